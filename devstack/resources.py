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


def _physical_ids(cloudformation: Any, stack_name: str) -> dict[str, str]:
    resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if "LogicalResourceId" in r}


def _queue_arn(value: Any, ids: Mapping[str, str], sqs: Any) -> str:
    """A `Queue` of the template: `Fn::GetAtt: [Logical, Arn]` of a queue in the stack, or a literal ARN."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("Fn::GetAtt"), list) and value["Fn::GetAtt"][1:] == ["Arn"]:
        url = ids[value["Fn::GetAtt"][0]]
        arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return arn
    raise ResourceError(f"cannot resolve the notification queue {value!r} locally")


def bucket_notifications(template: Path, cloudformation: Any, stack_name: str, sqs: Any) -> dict[str, dict[str, Any]]:
    """Each bucket's `NotificationConfiguration` as the template declares it, in the S3 API's shape.

    moto's CloudFormation creates buckets without their notifications, so the local stack applies them
    itself from the template: there is no second, hand-written list of them. Only queue notifications
    are supported locally (the app's S3 events arrive through SQS); any other kind is an error here
    rather than a silent difference from the cloud.
    """
    import yaml

    doc = yaml.safe_load(template.read_text(encoding="utf-8"))
    ids = _physical_ids(cloudformation, stack_name)
    found: dict[str, dict[str, Any]] = {}
    for logical, resource in (doc.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::S3::Bucket":
            continue
        config = (resource.get("Properties") or {}).get("NotificationConfiguration")
        if not config:
            continue
        unsupported = sorted(set(config) - {"QueueConfigurations"})
        if unsupported:
            raise ResourceError(f"{logical}: {', '.join(unsupported)} are not delivered by the local stack")
        queues = []
        for q in config.get("QueueConfigurations", []):
            entry: dict[str, Any] = {"QueueArn": _queue_arn(q["Queue"], ids, sqs), "Events": [q["Event"]]}
            rules = ((q.get("Filter") or {}).get("S3Key") or {}).get("Rules")
            if rules:
                entry["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
            queues.append(entry)
        found[ids[logical]] = {"QueueConfigurations": queues}
    return found


def apply_bucket_notifications(
    cloudformation: Any, s3: Any, sqs: Any, stack_name: str, template: Path = TEMPLATE
) -> dict[str, dict[str, Any]]:
    """Put every bucket notification the template declares on the stack's buckets; returns them."""
    found = bucket_notifications(template, cloudformation, stack_name, sqs)
    for bucket, config in found.items():
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    return found


def _key_outputs(template_doc: Mapping[str, Any], logical: str) -> dict[str, str]:
    """The Outputs that name the key `logical`: output key → `Arn` (`Fn::GetAtt`) or `KeyId` (`Ref`)."""
    named: dict[str, str] = {}
    for key, output in (template_doc.get("Outputs") or {}).items():
        value = (output or {}).get("Value")
        if value == {"Fn::GetAtt": [logical, "Arn"]}:
            named[key] = "Arn"
        elif value == {"Ref": logical}:
            named[key] = "KeyId"
    return named


def _makes_macs(kms: Any, key_id: str, spec: str) -> bool:
    """Whether the key computes MACs (asked by computing one: moto's DescribeKey fails on a key its
    CloudFormation made, whose policy it keeps unserialised)."""
    try:
        kms.generate_mac(KeyId=key_id, Message=b"local stack probe", MacAlgorithm=f"HMAC_SHA_{spec.split('_')[1]}")
        return True
    except kms.exceptions.InvalidKeyUsageException:
        return False


def apply_key_specs(
    cloudformation: Any, kms: Any, stack_name: str, outputs: Mapping[str, str], template: Path = TEMPLATE
) -> dict[str, str]:
    """The stack's outputs, with an HMAC key as the template declares it in place of any the stack made
    otherwise.

    moto's CloudFormation creates every `AWS::KMS::Key` as a symmetric encryption key whatever its
    `KeySpec` says, so GenerateMac on an HMAC key of the template would fail locally. For each key of the
    template with an HMAC `KeySpec` that cannot compute MACs, the local stack creates one as declared
    (`KeySpec`, `KeyUsage`) through the KMS API and hands out its ARN (or id) instead, in every Output
    that names the key; the template stays the one list of keys. A key the stack made right (in the
    cloud, or a moto that honours `KeySpec`) is left alone. Symmetric keys are what moto makes anyway;
    any other `KeySpec` is an error here rather than a silent difference from the cloud.
    """
    import yaml

    doc = yaml.safe_load(template.read_text(encoding="utf-8"))
    ids = _physical_ids(cloudformation, stack_name)
    fixed = dict(outputs)
    for logical, resource in (doc.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::KMS::Key" or logical not in ids:
            continue
        props = resource.get("Properties") or {}
        spec = props.get("KeySpec", "SYMMETRIC_DEFAULT")
        if spec == "SYMMETRIC_DEFAULT":
            continue
        if not spec.startswith("HMAC_"):
            raise ResourceError(f"{logical}: KeySpec {spec} is not made by the local stack")
        named = _key_outputs(doc, logical)
        if any(_makes_macs(kms, k, spec) for k in (ids[logical], *(fixed[o] for o in named if o in fixed))):
            continue  # made right, or already stood in for (applying twice makes no second key)
        description = f"{props.get('Description', logical)} (local stand-in: {stack_name} {logical})"
        key = kms.create_key(KeySpec=spec, KeyUsage=props.get("KeyUsage", "GENERATE_VERIFY_MAC"),
                             Description=description)["KeyMetadata"]
        for output, attribute in named.items():
            if output in fixed:
                fixed[output] = key[attribute]
    return fixed
