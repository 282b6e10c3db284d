"""The deployable template's protections (issue 14), checked on the merge file: the API stage's throttle and
access log, the gateway's own answers in the error shape, reserved concurrency, the scheduled functions'
failed runs, encryption with customer keys, the buckets of personal data, the key policies, and checkov's waivers
(infra/checkov.yaml, each with a test here where the waived check half applies). The user pools: test_deploy_identity.py."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import yaml
from chalice.app import ScheduledEventConfig, SQSEventConfig
from chalice.utils import to_cfn_resource_name

from tests.support import ROOT
from tests.unit.test_deploy_template import FUNCTIONS, as_list, statements
from tests.unit.test_deploy_template import template as build

# The contract's codes (API.md, "Conventions" and "Conventions, added") and the app's own for a 5xx.
CONTRACT_CODES = {"VALIDATION_ERROR", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "INSUFFICIENT_FUNDS",
                  "LIMIT_EXCEEDED", "OUT_OF_STOCK", "INVALID_STATE", "IDEMPOTENCY_KEY_REUSED", "METHOD_NOT_ALLOWED",
                  "RATE_LIMITED", "SERVICE_UNAVAILABLE", "INTERNAL"}
# Actions that use a key's material (encrypt, decrypt, MAC, sign) or hand its use to someone (a grant).
KEY_USE = re.compile(r"^kms:(Encrypt|Decrypt|ReEncrypt.*|GenerateDataKey.*|GenerateMac|VerifyMac|Sign|Verify|"
                     r"GenerateRandom|CreateGrant|Create\*|\*)$")
PERSONAL_DATA_BUCKETS = ["NoticesBucket", "ReportsBucket", "ExportsBucket"]


@cache
def template() -> dict[str, Any]:
    """The merge file, built once for this module (no test changes it)."""
    return build()


def resources() -> dict[str, Any]:
    r: dict[str, Any] = template()["Resources"]
    return r


def of_type(r: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in r.items() if v.get("Type") == kind}


def parameter_default(name: str) -> int:
    return int(template()["Parameters"][name]["Default"])


def scheduled_functions() -> list[str]:
    from app import app

    return sorted(to_cfn_resource_name(s.name) for s in app.event_sources if isinstance(s, ScheduledEventConfig))


def queue_workers() -> list[str]:
    from app import app

    return sorted(to_cfn_resource_name(s.name) for s in app.event_sources if isinstance(s, SQSEventConfig))


# ---- 1. the API stage -------------------------------------------------------------------------------

def test_the_api_stage_throttles_every_route_by_parameters_and_logs_each_request_as_json_without_token_or_body():
    r = resources()
    api = r["RestAPI"]["Properties"]
    everything = [m for m in api["MethodSettings"] if (m["ResourcePath"], m["HttpMethod"]) == ("/*", "*")]
    assert len(everything) == 1
    setting = everything[0]
    assert setting["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    assert setting["ThrottlingBurstLimit"] == {"Ref": "ApiBurstLimit"}
    assert 0 < parameter_default("ApiRateLimit") <= parameter_default("ApiBurstLimit")
    # no execution logs, which would hold the requests' headers and bodies
    assert (setting["LoggingLevel"], setting["DataTraceEnabled"]) == ("OFF", False)
    log = api["AccessLogSetting"]
    group = r[log["DestinationArn"]["Fn::GetAtt"][0]]
    assert group["Type"] == "AWS::Logs::LogGroup" and group["Properties"]["RetentionInDays"] >= 731
    fields = json.loads(log["Format"])
    assert {"requestId", "ip", "method", "path", "status"} <= set(fields)
    for forbidden in ("authorization", "$input", "$context.error.message", "$context.authorizer", "$method.request",
                      "token", "body"):
        assert forbidden not in log["Format"].lower(), forbidden
    # API Gateway writes access logs only with the account's CloudWatch role set, before the stage
    assert r["RestAPI"]["DependsOn"] == "ApiGatewayAccount"
    role = r["ApiGatewayAccount"]["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    assert r[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"}


# ---- 2. the gateway's own answers ---------------------------------------------------------------------

GATEWAY = {  # response type → (status, code); None keeps the status of the response type
    "MISSING_AUTHENTICATION_TOKEN": ("404", "NOT_FOUND"),   # unknown path, or a method the path lacks
    "RESOURCE_NOT_FOUND": ("404", "NOT_FOUND"),
    "THROTTLED": ("429", "RATE_LIMITED"),
    "QUOTA_EXCEEDED": ("429", "RATE_LIMITED"),
    "REQUEST_TOO_LARGE": ("413", "VALIDATION_ERROR"),
    "UNAUTHORIZED": ("401", "UNAUTHORIZED"),
    "ACCESS_DENIED": ("403", "FORBIDDEN"),
    "DEFAULT_4XX": (None, "VALIDATION_ERROR"),
    "INTEGRATION_TIMEOUT": ("504", "SERVICE_UNAVAILABLE"),
    "DEFAULT_5XX": (None, "INTERNAL"),
}


def test_every_answer_the_gateway_makes_itself_has_the_error_shape_and_fixed_words_never_the_callers_request():
    responses = resources()["RestAPI"]["Properties"]["GatewayResponses"]
    for kind, (status, _) in GATEWAY.items():
        assert kind in responses, kind
        assert responses[kind].get("StatusCode") == status, kind
    for kind, response in responses.items():
        templates = response["ResponseTemplates"]
        assert list(templates) == ["application/json"], kind
        text = templates["application/json"]
        # nothing of the request: no $context.error.message (it quotes the Authorization header), no variable
        assert "$" not in text, kind
        body = json.loads(text)
        assert list(body) == ["error"] and sorted(body["error"]) == ["code", "message"], kind
        assert body["error"]["code"] in CONTRACT_CODES, kind
        assert body["error"]["message"], kind
        if kind in GATEWAY:
            assert body["error"]["code"] == GATEWAY[kind][1], kind
        for header in response.get("ResponseParameters", {}).get("Headers", {}).values():
            assert re.fullmatch(r"'[^'$]*'", header), (kind, header)   # fixed values, never a request's
    assert responses["THROTTLED"]["ResponseParameters"]["Headers"]["Retry-After"] == "'1'"


def test_every_path_sends_the_methods_it_does_not_define_to_the_app_which_answers_405():
    import app as application

    paths = template()["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    assert set(paths) == set(application.app.routes) and len(paths) > 40
    for path, operations in paths.items():
        integration = operations["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
        assert (integration["type"], integration["httpMethod"]) == ("aws_proxy", "POST"), path
        # the API function by its fixed name (infra/merge.py, API_FUNCTION_NAME; test_deploy_console.py)
        assert "function:${AWS::StackName}-APIHandler-api/invocations" in integration["uri"]["Fn::Sub"], path
    status, body, headers = _lambda_answer(application.app, "DELETE", "/wallet")
    assert (status, body["error"]["code"]) == (405, "METHOD_NOT_ALLOWED") and "GET" in headers["Allow"]


def _lambda_answer(app: Any, method: str, path: str) -> tuple[int, Any, dict[str, str]]:
    """What the API handler answers API Gateway's proxy event for a method the path's routes do not take."""
    event = {
        "resource": path, "path": path, "httpMethod": method, "headers": {"Host": "api"},
        "multiValueHeaders": {"Host": ["api"]}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": path, "httpMethod": method, "path": f"/api{path}", "stage": "api",
                           "requestId": "r-1", "identity": {"sourceIp": "127.0.0.1"}},
        "body": None, "isBase64Encoded": False,
    }
    answer = app(event, None)
    return answer["statusCode"], json.loads(answer["body"]), answer["headers"]


# ---- 3. reserved concurrency --------------------------------------------------------------------------

def test_every_function_has_reserved_concurrency_so_an_api_flood_cannot_starve_settlement_or_notices():
    r = resources()
    reserved = {f: r[f]["Properties"]["ReservedConcurrentExecutions"]["Ref"] for f in FUNCTIONS}
    assert reserved["APIHandler"] == "ApiConcurrency"
    assert reserved["SettlementWorker"] == "SettlementWorkerConcurrency"
    assert reserved["NoticeUploads"] == "NoticeUploadsConcurrency"
    assert reserved["AutoCharge"] == "AutoChargeConcurrency"
    assert {reserved[f] for f in scheduled_functions()} == {"ScheduledConcurrency"}
    # an SQS source never invokes past the reservation (a throttled batch would count towards the DLQ)
    for function in queue_workers():
        source = r[function]["Properties"]["Events"][f"{function}SqsEventSource"]["Properties"]
        assert source["ScalingConfig"]["MaximumConcurrency"] == {"Ref": reserved[function]}, function
        assert parameter_default(reserved[function]) >= 2, function
    # the defaults leave the 100 executions AWS keeps unreserved, in an account with the default 1,000
    assert sum(parameter_default(reserved[f]) for f in FUNCTIONS) + 100 <= 1000
    # the stage refuses (429) before the API's executions run out (5xx): a request takes well under 1 s
    assert parameter_default("ApiBurstLimit") <= parameter_default("ApiConcurrency") * 10


# ---- 4. failed scheduled runs ---------------------------------------------------------------------------

def test_the_scheduled_functions_send_a_run_that_failed_after_its_retries_to_a_queue_with_an_alarm():
    r = resources()
    assert scheduled_functions() == ["CashoutSweep", "MonthlySettlement", "NewsSchedule", "PurgeShippingData",
                                     "ReturnUnclaimedGifts"]
    queues = set()
    for function in scheduled_functions():
        config = r[function]["Properties"]["EventInvokeConfig"]
        assert 0 <= config["MaximumRetryAttempts"] <= 2, function
        on_failure = config["DestinationConfig"]["OnFailure"]
        assert on_failure["Type"] == "SQS", function
        queue = on_failure["Destination"]["Fn::GetAtt"][0]
        queues.add(queue)
        granted = [s for s in statements(template(), function) if "sqs:SendMessage" in as_list(s["Action"])]
        assert {"Fn::GetAtt": [queue, "Arn"]} in [x for s in granted for x in as_list(s["Resource"])], function
    (queue,) = queues
    assert r[queue]["Type"] == "AWS::SQS::Queue" and r[queue]["Properties"]["MessageRetentionPeriod"] == 1209600
    alarms = [a["Properties"] for a in of_type(r, "AWS::CloudWatch::Alarm").values()
              if a["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}]
    assert len(alarms) == 1
    alarm = alarms[0]
    assert (alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "ApproximateNumberOfMessagesVisible", "GreaterThanThreshold", 0)
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_automatic_top_up_reads_the_tables_stream_of_wallets_only_and_gives_up_on_a_record_to_the_alarmed_queue():
    r = resources()
    assert r["MainTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    source = r["AutoCharge"]["Properties"]["Events"]["AutoChargeDynamodbEventSource"]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["MainTable", "StreamArn"]}   # not Chalice's placeholder
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 < source["MaximumRetryAttempts"] <= 10 and source["BisectBatchOnFunctionError"] is True
    (pattern,) = [json.loads(f["Pattern"]) for f in source["FilterCriteria"]["Filters"]]
    assert pattern == {"dynamodb": {"NewImage": {"entry": {"S": ["wallet"]}, "auto_below": {"N": [{"exists": True}]}}}}
    queue = source["DestinationConfig"]["OnFailure"]["Destination"]
    assert queue == {"Fn::GetAtt": ["ScheduledFailuresQueue", "Arn"]}
    granted = [x for s in statements(template(), "AutoCharge") if "sqs:SendMessage" in as_list(s["Action"])
               for x in as_list(s["Resource"])]
    assert granted == [queue]
    stream = [s for s in statements(template(), "AutoCharge") if "dynamodb:GetRecords" in as_list(s["Action"])]
    assert [as_list(s["Resource"]) for s in stream] == [[{"Fn::Sub": "${MainTable.Arn}/stream/*"}]]


# ---- 5. encryption with customer keys --------------------------------------------------------------------

def _bucket_key(r: dict[str, Any], bucket: str) -> Any:
    (rule,) = r[bucket]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    by_default = rule["ServerSideEncryptionByDefault"]
    assert by_default["SSEAlgorithm"] == "aws:kms", bucket
    return by_default["KMSMasterKeyID"]["Fn::GetAtt"][0]


def _key_grants(function: str, key: str) -> dict[str, Any]:
    """Action → the kms:ViaService condition (or None) of every statement of the role on the key."""
    found: dict[str, Any] = {}
    for s in statements(template(), function):
        if {"Fn::GetAtt": [key, "Arn"]} in as_list(s["Resource"]):
            via = s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
            found.update({a: via for a in as_list(s["Action"])})
    return found


def test_the_table_and_the_reports_are_encrypted_with_the_data_key_and_the_exports_with_the_personal_data_key():
    r = resources()
    sse = r["MainTable"]["Properties"]["SSESpecification"]
    assert (sse["SSEEnabled"], sse["SSEType"], sse["KMSMasterKeyId"]) == (True, "KMS", {"Ref": "DataKey"})
    assert _bucket_key(r, "ReportsBucket") == "DataKey"
    assert _bucket_key(r, "ExportsBucket") == "PiiKey"
    dynamodb = {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"}
    s3 = {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}
    for function in FUNCTIONS:   # every function reads the table: through DynamoDB only
        assert _key_grants(function, "DataKey")["kms:Decrypt"] == dynamodb, function
    assert _key_grants("SettlementWorker", "DataKey")["kms:GenerateDataKey"] == s3
    assert _key_grants("APIHandler", "PiiKey") == {"kms:GenerateDataKey": None, "kms:Decrypt": None}
    for function in FUNCTIONS[1:]:
        assert _key_grants(function, "PiiKey") == {} == _key_grants(function, "TaxIdMacKey"), function


# ---- 6. buckets holding personal data ------------------------------------------------------------------

def _denies_plain_http(policy: dict[str, Any], bucket: str) -> bool:
    return any(s["Effect"] == "Deny" and s["Principal"] == "*" and s["Action"] == "s3:*"
               and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               and s["Resource"] == [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": "${" + bucket + ".Arn}/*"}]
               for s in policy["Statement"])


def test_every_bucket_holding_personal_data_keeps_versions_logs_its_access_and_refuses_plain_http():
    r = resources()
    policies = {p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]
                for p in of_type(r, "AWS::S3::BucketPolicy").values()}
    for bucket in [*PERSONAL_DATA_BUCKETS, "AccessLogsBucket"]:
        props = r[bucket]["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, bucket
        assert _denies_plain_http(policies[bucket], bucket), bucket
        assert all(props["PublicAccessBlockConfiguration"].values()), bucket
    for bucket in of_type(r, "AWS::S3::Bucket"):   # every bucket but the log bucket logs to it
        if bucket != "AccessLogsBucket":
            assert r[bucket]["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == {
                "Ref": "AccessLogsBucket"}, bucket
    logs = r["AccessLogsBucket"]["Properties"]
    # S3 delivers access logs only into SSE-S3; kept two years (docs/RULES.md, "Cloud")
    assert logs["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}
    assert logs["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] >= 731
    (delivery,) = [s for s in policies["AccessLogsBucket"]["Statement"] if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"} and delivery["Action"] == "s3:PutObject"
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


# ---- 7. key policies ----------------------------------------------------------------------------------

def _role_patterns(statement: dict[str, Any]) -> list[str]:
    condition = statement.get("Condition", {}).get("ArnLike", {}).get("aws:PrincipalArn")
    return [p["Fn::Sub"] for p in as_list(condition)] if condition else []


def test_every_key_policy_gives_its_use_to_named_roles_or_one_service_and_the_account_administration_only():
    r = resources()
    root = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    users: dict[str, set[str]] = {}
    for name, key in of_type(r, "AWS::KMS::Key").items():
        for s in key["Properties"]["KeyPolicy"]["Statement"]:
            s = s["Fn::If"][1] if "Fn::If" in s else s
            assert s["Effect"] == "Allow", name
            assert s["Principal"] not in ("*", {"AWS": "*"}), (name, s["Sid"])
            using = [a for a in as_list(s["Action"]) if KEY_USE.match(a)]
            if s["Principal"] != root or not using:
                continue
            roles = _role_patterns(s)
            via = s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
            # the account's principals may use a key only if named (role ARNs) or through one service
            assert roles or via, (name, s["Sid"])
            for pattern in roles:
                role = re.fullmatch(r"arn:\$\{AWS::Partition\}:iam::\$\{AWS::AccountId\}:role/"
                                    r"\$\{AWS::StackName\}-(\w+)-\*", pattern)
                assert role and r[role.group(1)]["Type"] == "AWS::IAM::Role", (name, pattern)
                users.setdefault(name, set()).add(role.group(1))
        administration = key["Properties"]["KeyPolicy"]["Statement"][0]
        assert administration["Principal"] == root and "Condition" not in administration, name
        assert not [a for a in as_list(administration["Action"]) if KEY_USE.match(a)], name
    assert users == {"PiiKey": {"ApiHandlerRole"}, "TaxIdMacKey": {"ApiHandlerRole"}, "DataKey": {"SettlementWorkerRole"}}


def test_every_symmetric_key_rotates_and_the_hmac_key_which_cannot_is_the_only_exception():
    for name, key in of_type(resources(), "AWS::KMS::Key").items():
        props = key["Properties"]
        if props.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT":
            assert props["EnableKeyRotation"] is True, name
        else:
            assert (name, props["KeySpec"]) == ("TaxIdMacKey", "HMAC_256")


def test_every_queue_is_encrypted_at_rest():
    for name, queue in of_type(resources(), "AWS::SQS::Queue").items():
        assert queue["Properties"].get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in queue["Properties"], name


# ---- 9. checkov's waivers -----------------------------------------------------------------------------

def test_each_waived_checkov_check_is_listed_once_with_its_reason_and_named_in_the_readme():
    config_path = ROOT / "infra" / "checkov.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    assert config["framework"] == ["cloudformation"] and config["skip-download"] is True
    waived = config["skip-check"]
    assert len(waived) == len(set(waived)) and all(re.fullmatch(r"CKV2?_AWS_\d+", c) for c in waived)
    lines = config_path.read_text(encoding="utf-8").splitlines()
    for check in waived:
        at = lines.index(f"  - {check}")
        assert lines[at - 1].strip().startswith("#"), f"{check} has no reason above it"
    deploying = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Deploying", 1)[1].split("\n## ", 1)[0]
    for check in waived:
        assert check in deploying, f"README, Deploying, does not name {check}"
