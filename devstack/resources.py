"""The local AWS resources, created from the same CloudFormation template as the cloud's.

There is no second, hand-written list of tables or buckets: the stack's Outputs name what the app
needs, and each output becomes an environment variable (`TableName` → `TABLE_NAME`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devstack.paths import REPO_ROOT

TEMPLATE = REPO_ROOT / "infra" / "resources.yaml"


class ResourceError(RuntimeError):
    """The template could not be turned into resources."""


def output_env_name(output_key: str) -> str:
    """`TableName` → `TABLE_NAME`, `SQSQueueUrl` → `SQS_QUEUE_URL`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", output_key).upper()


def create_stack(
    cloudformation: Any,
    stack_name: str,
    parameters: Mapping[str, str],
    template: Path = TEMPLATE,
    timeout: float = 60.0,
) -> dict[str, str]:
    """Create the stack, wait for it, and return its outputs by key.

    Only parameters the template declares are passed, so it may drop or default one freely.
    """
    body = template.read_text(encoding="utf-8")
    summary = cloudformation.get_template_summary(TemplateBody=body)
    declared = {p["ParameterKey"] for p in summary["Parameters"]}
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items() if k in declared],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    deadline = time.monotonic() + timeout
    while True:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        status: str = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if not status.endswith("_IN_PROGRESS"):
            events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
            reasons = [
                f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
                for e in events
                if e.get("ResourceStatus", "").endswith("FAILED")
            ]
            why = "; ".join(reasons) or "no reason given"
            raise ResourceError(f"stack {stack_name} ended {status}: {why}")
        if time.monotonic() > deadline:
            raise ResourceError(f"stack {stack_name} still {status} after {timeout:.0f} s")
        time.sleep(0.1)
