"""Every AWS call a function makes, as the IAM action and resource its role must allow (test_infra.py)."""

from __future__ import annotations

import contextlib
import fnmatch
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from infra import merge

REGION = "ap-northeast-2"
PREFIX = "seoro-infra-test"
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": "123456789012", "Prefix": PREFIX,
          "AWS::StackName": "seoro-infra-test"}

acting_function: ContextVar[str | None] = ContextVar("acting", default=None)


def _symbolic(value: Any) -> str:
    """An IAM resource of functions.yaml with the logical id in place of the ARN: `MainTable/index/gsi2`."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        text: str = value["Fn::Sub"]
        if text.startswith("${") and ".Arn}" in text:
            logical, rest = text[2:].split(".Arn}", 1)
            return logical + rest
        for name, resolved in PSEUDO.items():
            text = text.replace("${" + name + "}", resolved)
        return text   # an ARN pattern, e.g. the alert topics `arn:aws:sns:…:<Prefix>-alert-*`
    return str(value)


def role_grants(function: str) -> list[tuple[set[str], list[str]]]:
    template = merge.build()
    role = template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    grants = []
    for policy in template["Resources"][role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            grants.append((set(actions), [_symbolic(r) for r in resources]))
    return grants


def allowed(grants: list[tuple[set[str], list[str]]], action: str, resource: str) -> bool:
    return any(action in actions and any(fnmatch.fnmatchcase(resource, p) for p in patterns)
               for actions, patterns in grants)


class Recorder:
    """Every (IAM action, resource) each function asks AWS for, by the function that asked."""

    def __init__(self, outputs: dict[str, str]) -> None:
        self.calls: dict[str, set[tuple[str, str]]] = {}
        self.tables = {outputs["TableName"]: "MainTable"}
        self.buckets = {outputs[k]: k for k in ("NoticesBucket", "ReportsBucket", "ExportsBucket")}
        self.queues = {outputs["SettlementQueueUrl"]: "SettlementQueue"}
        self.key = outputs["PiiKeyArn"]
        self.keys = {outputs["PiiKeyArn"]: "PiiKey", outputs["TaxIdMacKeyArn"]: "TaxIdMacKey"}

    def _table(self, name: str, index: str | None = None) -> str:
        logical = self.tables.get(name, f"?{name}")
        return f"{logical}/index/{index}" if index else logical

    def requests(self, service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
        if service == "dynamodb":
            if operation == "TransactWriteItems":
                kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                         "ConditionCheck": "ConditionCheckItem"}
                return [(f"dynamodb:{kinds[kind]}", self._table(body["TableName"]))
                        for item in params["TransactItems"] for kind, body in item.items()]
            if operation in ("BatchGetItem", "BatchWriteItem"):
                return [(f"dynamodb:{operation}", self._table(t)) for t in params["RequestItems"]]
            return [(f"dynamodb:{operation}", self._table(params["TableName"], params.get("IndexName")))]
        if service == "s3":
            bucket = self.buckets.get(params.get("Bucket", ""), f"?{params.get('Bucket')}")
            action = {"HeadObject": "GetObject"}.get(operation, operation)
            return [(f"s3:{action}", f"{bucket}/{params.get('Key', '')}")]
        if service == "sns":
            return [(f"sns:{operation}", str(params.get("TopicArn")))]
        if service == "sqs":
            action = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage"}.get(operation, operation)
            return [(f"sqs:{action}", self.queues.get(params.get("QueueUrl", ""), "?queue"))]
        if service == "kms":
            key = params.get("KeyId", self.key)
            return [(f"kms:{operation}", self.keys.get(key, f"?{key}"))]
        return [(f"{service}:{operation}", "?")]

    @contextlib.contextmanager
    def acting(self, function: str) -> Iterator[None]:
        token = acting_function.set(function)
        try:
            yield
        finally:
            acting_function.reset(token)
