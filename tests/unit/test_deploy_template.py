"""The deployable template's own rules, checked on the merge file (`make package` adds Chalice's part and
runs cfn-lint; that needs PyPI, so it is not part of `make test`)."""

from __future__ import annotations

import json
from typing import Any

from moto.cloudformation.parsing import resource_class_from_type

from infra import merge
from tests.support import ROOT

FUNCTIONS = ["APIHandler", "MonthlySettlement", "SettlementWorker", "PurgeShippingData", "NoticeUploads", "NewsSchedule",
             "ReturnUnclaimedGifts", "AutoCharge", "CashoutSweep"]


def template() -> dict[str, Any]:
    return merge.build()


def statements(t: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role = t["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [s for p in t["Resources"][role]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_merge_names_exactly_the_functions_of_the_app():
    assert sorted(merge.function_names()) == sorted(FUNCTIONS)


def test_every_function_has_a_role_of_its_own_from_functions_yaml_never_the_placeholder():
    t = template()
    roles = [t["Resources"][f]["Properties"]["Role"]["Fn::GetAtt"][0] for f in FUNCTIONS]
    assert len(set(roles)) == len(FUNCTIONS)
    for role in roles:
        assert t["Resources"][role]["Type"] == "AWS::IAM::Role"
        trust = t["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["autogen_policy"] is False
    assert config["stages"]["prod"]["manage_iam_role"] is False


def test_no_statement_grants_a_wildcard_action_or_any_resource():
    t = template()
    for function in FUNCTIONS:
        for s in statements(t, function):
            assert s["Effect"] == "Allow"
            for action in as_list(s["Action"]):
                assert "*" not in action, (function, action)
            for resource in as_list(s["Resource"]):
                assert resource != "*", (function, s)
                assert isinstance(resource, dict), (function, resource)   # always tied to a template resource
                text = json.dumps(resource)
                if any(a.startswith("dynamodb:") for a in as_list(s["Action"])):
                    assert "MainTable" in text, (function, resource)
                if any(a.startswith("logs:") for a in as_list(s["Action"])):
                    assert f"${{AWS::StackName}}-{function}-*" in text, (function, resource)


def _grants(t: dict[str, Any], function: str, prefix: str) -> set[str]:
    return {a for s in statements(t, function) for a in as_list(s["Action"]) if a.startswith(prefix)}


def _personal_data_keys(t: dict[str, Any], function: str) -> dict[str, set[str]]:
    """kms action → the keys it is granted on, leaving out the data key (the table's and the reports':
    tests/unit/test_deploy_hardening.py)."""
    keys: dict[str, set[str]] = {}
    for s in statements(t, function):
        for r in as_list(s["Resource"]):
            if r != {"Fn::GetAtt": ["DataKey", "Arn"]}:
                for a in as_list(s["Action"]):
                    if a.startswith("kms:"):
                        keys.setdefault(a, set()).add(json.dumps(r))
    return keys


def test_only_the_api_uses_the_personal_data_key_and_only_the_worker_writes_reports():
    t = template()
    keys = _personal_data_keys(t, "APIHandler")
    assert keys == {"kms:GenerateDataKey": {json.dumps({"Fn::GetAtt": ["PiiKey", "Arn"]})},
                    "kms:Decrypt": {json.dumps({"Fn::GetAtt": ["PiiKey", "Arn"]})},
                    "kms:GenerateMac": {json.dumps({"Fn::GetAtt": ["TaxIdMacKey", "Arn"]})}}
    mac_key = t["Resources"]["TaxIdMacKey"]["Properties"]
    assert (mac_key["KeySpec"], mac_key["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    for function in FUNCTIONS[1:]:
        assert _personal_data_keys(t, function) == {}, function
    buckets = {f: {json.dumps(r) for s in statements(t, f) if "s3:PutObject" in as_list(s["Action"])
                   for r in as_list(s["Resource"])} for f in FUNCTIONS}
    assert buckets["SettlementWorker"] == {json.dumps({"Fn::Sub": "${ReportsBucket.Arn}/settlements/*"})}
    assert buckets["APIHandler"] == {json.dumps({"Fn::Sub": "${ExportsBucket.Arn}/nts/*"})}
    assert buckets["NoticeUploads"] == {json.dumps({"Fn::Sub": "${NoticesBucket.Arn}/errors/*"})}
    assert buckets["MonthlySettlement"] == buckets["PurgeShippingData"] == buckets["NewsSchedule"] == set()
    assert buckets["ReturnUnclaimedGifts"] == buckets["AutoCharge"] == buckets["CashoutSweep"] == set()
    sqs = {json.dumps(r) for s in statements(t, "PurgeShippingData")
           if any(a.startswith("sqs:") for a in as_list(s["Action"])) for r in as_list(s["Resource"])}
    assert sqs == {json.dumps({"Fn::GetAtt": ["ScheduledFailuresQueue", "Arn"]})}   # its failed runs only
    assert "sqs:ReceiveMessage" in _grants(t, "SettlementWorker", "sqs:")


def test_the_queue_workers_report_partial_batch_failures_and_each_queue_outlasts_its_timeout():
    t = template()
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for function, name, queue in (("SettlementWorker", "settlement_worker", "SettlementQueue"),
                                  ("NoticeUploads", "notice_uploads", "NoticesQueue")):
        source = t["Resources"][function]["Properties"]["Events"][f"{function}SqsEventSource"]
        assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        timeout = config["stages"]["prod"]["lambda_functions"][name]["lambda_timeout"]
        assert t["Resources"][queue]["Properties"]["VisibilityTimeout"] >= timeout, function


def test_every_function_gets_every_resource_variable_from_the_outputs_the_local_stack_uses():
    t = template()
    outputs = merge.load(merge.RESOURCES)["Outputs"]
    for function in FUNCTIONS:
        env = t["Resources"][function]["Properties"]["Environment"]["Variables"]
        for name in ("TABLE_NAME", "NOTICES_BUCKET", "REPORTS_BUCKET", "EXPORTS_BUCKET", "PII_KEY_ARN",
                     "TAX_ID_MAC_KEY_ARN", "SETTLEMENT_QUEUE_URL"):
            key = "".join(part.capitalize() for part in name.split("_"))
            assert env[name] == outputs[key]["Value"], (function, name)
        assert env["TABLE_NAME"] == {"Ref": "MainTable"}
        for name in ("AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE", "STAFF_AUTH_JWKS_URL", "STAFF_AUTH_ISSUER",
                     "STAFF_AUTH_AUDIENCE"):
            assert env[name]["Fn::If"][0] == "InCloud", (function, name)
        assert env["AUTH_AUDIENCE"]["Fn::If"][1] == {"Ref": "UserPoolClient"}
        assert env["STAFF_AUTH_AUDIENCE"]["Fn::If"][1] == {"Ref": "StaffUserPoolClient"}


def test_the_residents_pool_has_the_residents_and_merchants_groups_and_only_administrators_set_the_merchant_id():
    r = template()["Resources"]
    groups = {v["Properties"]["GroupName"] for v in r.values() if v.get("Type") == "AWS::Cognito::UserPoolGroup"}
    assert groups == {"residents", "merchants"}
    assert {"Name": "merchant_id", "AttributeDataType": "String", "Mutable": True,
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"}} in r["UserPool"]["Properties"]["Schema"]
    client = r["UserPoolClient"]["Properties"]
    assert "custom:merchant_id" in client["ReadAttributes"]
    assert "custom:merchant_id" not in client["WriteAttributes"]
    assert r["UserPool"]["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert "Schema" not in r["StaffUserPool"]["Properties"]   # no merchant id in the staff pool
    assert r["StaffUserPoolClient"]["Properties"]["ReadAttributes"] == ["email", "email_verified"]


def test_every_dead_letter_queue_has_an_alarm_on_a_visible_message():
    r = template()["Resources"]
    dead_letter = {q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                   for q in r.values() if q.get("Type") == "AWS::SQS::Queue" and "RedrivePolicy" in q.get("Properties", {})}
    assert dead_letter
    alarmed = {}
    for a in r.values():
        if a.get("Type") != "AWS::CloudWatch::Alarm":
            continue
        p = a["Properties"]
        if (p["Namespace"], p["MetricName"], p["ComparisonOperator"], p["Threshold"]) == (
                "AWS/SQS", "ApproximateNumberOfMessagesVisible", "GreaterThanThreshold", 0):
            queue = p["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
            alarmed[queue] = p["AlarmActions"]
    for queue in dead_letter:
        assert alarmed.get(queue) == [{"Ref": "AlarmTopic"}], queue


# Permissions only: moto enforces no resource policy, so the local stack loses nothing without them.
LOCALLY_MEANINGLESS = {"AWS::SQS::QueuePolicy", "AWS::S3::BucketPolicy"}


def test_every_resource_moto_cannot_create_is_cloud_only_so_the_local_stack_lacks_nothing_silently():
    resources = merge.load(merge.RESOURCES)["Resources"]
    for name, resource in resources.items():
        if resource_class_from_type(resource["Type"]) is None and resource["Type"] not in LOCALLY_MEANINGLESS:
            assert resource.get("Condition") in ("InCloud", "MailAlarms"), name
