"""The infrastructure template against the code: deployed to moto's CloudFormation the way the local
stack deploys it, its Outputs configure the app by the local stack's rule (`TableName` → `TABLE_NAME`),
the app works on what it created, and every AWS call each function makes is one its hand-written role
in infra/functions.yaml allows (the role is what the cloud would enforce; moto enforces nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import botocore.client
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib import composition
from chalicelib.adapters.bank import FakeBank
from chalicelib.domain.months import KST
from chalicelib.handlers.admin import seed_defaults
from chalicelib.settings import Settings
from devstack.lambda_events import FakeLambdaContext
from devstack.resources import apply_bucket_notifications, apply_key_specs, create_stack, output_env_name
from devstack.runner import LocalRunner
from devstack.streams import TableStream, streams_client
from infra import merge
from tests.service.conftest import deliver_from_sqs
from tests.service.iam_recorder import PREFIX, REGION, Recorder, acting_function, allowed, role_grants
from tests.support import AUDIENCE, BIZ, ISSUER, Env, SettableClock, SigningKey, new_key

# the local stack signs its own tokens, with one key for every role; the cloud has two user pools
CLOUD_ONLY = {"AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE", "STAFF_AUTH_JWKS_URL", "STAFF_AUTH_ISSUER",
              "STAFF_AUTH_AUDIENCE"}


def template_outputs() -> dict[str, Any]:
    outputs: dict[str, Any] = merge.load(merge.RESOURCES)["Outputs"]
    return outputs


def settings_from(outputs: dict[str, str], **extra: str) -> Settings:
    """Settings exactly as the local stack makes them: every Output becomes an environment variable."""
    return Settings.from_env({**{output_env_name(k): v for k, v in outputs.items()}, **extra})


@pytest.fixture
def stack(signing_key: SigningKey) -> Iterator[tuple[Env, dict[str, str]]]:
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        outputs = create_stack(cloudformation, "seoro-infra-test", {"Prefix": PREFIX})
        apply_bucket_notifications(cloudformation, boto3.client("s3", region_name=REGION),
                                   boto3.client("sqs", region_name=REGION), "seoro-infra-test")
        outputs = apply_key_specs(cloudformation, boto3.client("kms", region_name=REGION), "seoro-infra-test", outputs)
        settings = settings_from(
            outputs,
            STAGE="test",
            AUTH_JWKS_FILE=str(signing_key.jwks_file),
            AUTH_ISSUER=ISSUER,
            AUTH_AUDIENCE=AUDIENCE,
            SETTLEMENT_SHARDS="4",
        )
        clock = SettableClock()
        composition.override(settings=settings, clock=clock, bank=FakeBank())
        seed_defaults()
        from app import app

        with Client(app) as client:
            yield Env(client, clock, signing_key, deliver_from_sqs), outputs
        composition.reset()


def test_every_output_the_app_reads_is_in_the_template_and_the_local_stack_gets_each_one():
    read = merge.settings_variables()
    declared = {output_env_name(k): v for k, v in template_outputs().items()}
    provided = read & set(declared)
    assert {"TABLE_NAME", "NOTICES_BUCKET", "REPORTS_BUCKET", "EXPORTS_BUCKET", "PII_KEY_ARN", "TAX_ID_MAC_KEY_ARN",
            "SETTLEMENT_QUEUE_URL", "AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE", "STAFF_AUTH_JWKS_URL",
            "STAFF_AUTH_ISSUER", "STAFF_AUTH_AUDIENCE"} <= provided
    cloud_only = {name for name, output in declared.items() if "Condition" in output}
    assert cloud_only & read == CLOUD_ONLY


def test_the_template_deploys_to_moto_and_its_outputs_configure_every_resource_setting(
    stack: tuple[Env, dict[str, str]],
):
    _, outputs = stack
    local = {output_env_name(k) for k in outputs}
    wanted = {output_env_name(k) for k, o in template_outputs().items() if "Condition" not in o}
    assert local == wanted   # the cloud-only outputs (Cognito) are skipped locally, nothing else
    settings = composition.container().settings
    assert not settings.has_staff_pool   # locally one dev key gives every role, staff included
    assert settings.table_name == outputs["TableName"]
    assert settings.notices_bucket == outputs["NoticesBucket"]
    assert settings.reports_bucket == outputs["ReportsBucket"]
    assert settings.exports_bucket == outputs["ExportsBucket"]
    assert settings.pii_key_arn == outputs["PiiKeyArn"]
    assert settings.tax_id_mac_key_arn == outputs["TaxIdMacKeyArn"]
    # moto made the HMAC key a symmetric one; the stand-in the local stack hands out is as declared
    mac_key = boto3.client("kms", region_name=REGION).describe_key(KeyId=outputs["TaxIdMacKeyArn"])["KeyMetadata"]
    assert (mac_key["KeySpec"], mac_key["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    assert settings.settlement_queue_url == outputs["SettlementQueueUrl"]
    # the queue the worker consumes is the queue the app sends to
    assert outputs["SettlementQueueUrl"].endswith("/seoro-settlement")
    table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=outputs["TableName"])["Table"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2"}


def test_on_moto_the_reports_are_written_under_the_data_key_and_the_exports_under_the_personal_data_key(
    stack: tuple[Env, dict[str, str]],
):
    _, outputs = stack
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    keys = {r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cloudformation.describe_stack_resources(StackName="seoro-infra-test")["StackResources"]
            if r.get("ResourceType") == "AWS::KMS::Key"}
    container = composition.container()
    container.reports.put("settlements/2020-03/summary.json", b"{}", "application/json")   # as the worker does
    container.exports.put("nts/2020/donations.jsonl", b"{}", "application/x-ndjson")       # as the API does
    s3 = boto3.client("s3", region_name=REGION)
    report = s3.head_object(Bucket=outputs["ReportsBucket"], Key="settlements/2020-03/summary.json")
    export = s3.head_object(Bucket=outputs["ExportsBucket"], Key="nts/2020/donations.jsonl")
    assert (report["ServerSideEncryption"], report["SSEKMSKeyId"].split("/")[-1]) == ("aws:kms", keys["DataKey"])
    assert export["SSEKMSKeyId"].split("/")[-1] == keys["PiiKey"] != keys["DataKey"]


# ---- every AWS call of each function, against its role ----------------------------------------

@pytest.fixture
def recorder(stack: tuple[Env, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder(stack[1])
    original = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009  (private: stubs omit it)

    def recording(self: Any, operation: str, params: dict[str, Any]) -> Any:
        function = acting_function.get()
        if function is not None:
            service = self.meta.service_model.endpoint_prefix
            rec.calls.setdefault(function, set()).update(rec.requests(service, operation, params))
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return rec


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=KST)


def _scheduled(due: datetime) -> dict[str, Any]:
    return {"version": "0", "id": new_key(), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": due.astimezone(KST).isoformat(), "region": REGION,
            "resources": [], "detail": {}}


class TaggingRunner(LocalRunner):
    """The local runner; each handler invocation is recorded as its function (the queue and stream polling is
    Lambda's event source mapping, whose SQS and stream permissions the function's role states on their own)."""

    def __init__(self, recorder: Recorder, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recorder = recorder

    def _invoke(self, name: str, handler: Any, event: dict[str, Any]) -> tuple[bool, Any]:
        from chalice.utils import to_cfn_resource_name

        with self._recorder.acting(to_cfn_resource_name(name)):
            return super()._invoke(name, handler, event)


def _notice(title: str, category: str, dongs: str, **extra: str) -> bytes:
    lines = [f"title: {title}", f"category: {category}", f"dongs: {dongs}", *(f"{k}: {v}" for k, v in extra.items())]
    return ("---\n" + "\n".join(lines) + "\n---\n\n본문\n").encode()


def _drain(runner: LocalRunner, queue: str = "seoro-settlement") -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    for _ in range(100):
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0:
            return
        runner.poll_queues()
    raise AssertionError(f"the queue {queue} did not drain")


def test_a_month_of_real_work_on_the_created_resources_needs_nothing_beyond_each_functions_role(
    stack: tuple[Env, dict[str, str]], recorder: Recorder, monkeypatch: pytest.MonkeyPatch,
):
    import app as application

    env, _ = stack
    env.clock.set(at(2020, 3, 2, 10))
    with recorder.acting("APIHandler"):
        shop = env.register_merchant(benefit_plus=True, rate=5, number=BIZ[0], malls=["only-seogu"])
        env.open_wallet("ann", charge=300_000)
        status, paid = env.pay("ann", shop, 50_000)
        assert status == 201, paid
        assert env.call("GET", "/payments?month=2020-03", role="resident", sub="ann")[0] == 200
        status, _ = env.call("POST", f"/merchant/payments/{paid['payment_id']}/refunds", role="merchant",
                             sub="owner", merchant_id=shop, body={"amount": 1_000}, key=new_key())
        assert status == 200
        status, _ = env.call("PUT", "/merchant/products/rice", role="merchant", sub="owner", merchant_id=shop,
                             body={"mall": "only-seogu", "name": "쌀", "price": 30_000, "stock": 5, "shipping_fee": 0})
        assert status == 200
        status, order = env.call(
            "POST", "/mall/orders", role="resident", sub="ann", key=new_key(),
            body={"mall": "only-seogu", "items": [{"product_id": "rice", "quantity": 1}],
                  "shipping": {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 1", "postcode": "22742"},
                  "consent": {"third_party_provision": True, "version": "2020-01"}})
        assert status == 201, order
        path = f"/merchant/mall-orders/{order['order_id']}"
        env.call("POST", f"{path}/ship", role="merchant", sub="owner", merchant_id=shop,
                 body={"carrier": "우체국", "tracking_number": "1"})
        assert env.call("POST", f"{path}/deliver", role="merchant", sub="owner", merchant_id=shop)[0] == 200
        status, _ = env.call("PUT", "/donations/auto", role="resident", sub="ann", body={"mode": "fixed", "amount": 100})
        assert status == 200
        assert env.call("PUT", "/me/tax-id", role="resident", sub="ann",
                        body={"rrn": "900101-1234568", "consent_nts": True})[0] == 200
        assert env.call("GET", "/merchant/orders", role="merchant", sub="owner", merchant_id=shop)[0] == 200
        # 선물하기: one gift claimed, one cancelled, a wrong code, one left to go back after 72 hours
        env.open_wallet("bo")
        sent = []
        for _ in range(3):
            status, gift = env.call("POST", "/gifts", role="resident", sub="ann", body={"amount": 1_000}, key=new_key())
            assert status == 201, gift
            sent.append(gift)
        for code, answer in ((sent[0]["claim_code"], 201), ("0000-0000-0000-0000", 404)):
            assert env.call("POST", "/gifts/claim", role="resident", sub="bo", key=new_key(),
                            body={"claim_code": code})[0] == answer
        assert env.call("POST", f"/gifts/{sent[1]['gift_id']}/cancel", role="resident", sub="ann")[0] == 200
        assert len(env.call("GET", "/gifts", role="resident", sub="bo")[1]["items"]) == 1
        # money to and from the bank: a top-up cancelled, a withdrawal, one the bank does not answer (the sweep
        # pays it), an automatic top-up (the stream, below)
        env.open_wallet("cy", charge=50_000)
        status, top_up = env.call("POST", "/wallet/charges", role="resident", sub="cy", body={"amount": 10_000},
                                  key=new_key())
        assert env.call("POST", f"/wallet/charges/{top_up['charge_id']}/cancel", role="resident", sub="cy")[0] == 200
        assert env.call("PUT", "/wallet/auto-charge", role="resident", sub="cy",
                        body={"mode": "below", "below": 20_000, "amount": 30_000})[0] == 200
        assert env.pay("cy", shop, 35_000, use_cashback=False)[0] == 201
        for sub in ("dee", "eve"):
            env.open_wallet(sub, charge=10_000)
            assert env.pay(sub, shop, 7_000, use_cashback=False)[0] == 201   # 6,650 after the discount
        assert env.call("POST", "/wallet/withdrawals", role="resident", sub="dee", body={}, key=new_key())[0] == 201
        env.bank.down = True
        assert env.call("POST", "/wallet/withdrawals", role="resident", sub="eve", body={}, key=new_key())[0] == 503
        env.bank.down = False

    stream = TableStream(boto3.client("dynamodb", region_name=REGION), streams_client(REGION),
                         composition.container().settings.table_name, REGION)
    runner = TaggingRunner(recorder, application.app, env.clock, boto3.client("sqs", region_name=REGION),
                           stream=stream)
    runner.poll_streams()
    with recorder.acting("APIHandler"):
        assert env.call("GET", "/wallet/auto-charge", role="resident", sub="cy")[1]["last"]["status"] == "charged"
    context = FakeLambdaContext("seoro-test-fn", REGION, "123456789012")
    env.clock.set(at(2020, 4, 1, 1))
    with recorder.acting("MonthlySettlement"):
        assert application.monthly_settlement(_scheduled(at(2020, 4, 1, 1)), context) == "2020-03"
    _drain(runner)
    with recorder.acting("APIHandler"):
        status, run = env.call("GET", "/staff/settlements/2020-03", role="staff", sub="clerk")
        assert (status, run["status"], run["books_balanced"]) == (200, "completed", True)
        assert env.wallet("ann")["cashback_balance"] > 0
        status, gift = env.call("POST", "/donations", role="resident", sub="ann", body={"amount": 100}, key=new_key())
        assert status == 201, gift
        status, export = env.call("POST", "/staff/donations/nts-export", role="staff", sub="clerk", body={"year": 2020})
        assert (status, export["records"]) == (200, 1)
        assert env.call("DELETE", "/me/tax-id", role="resident", sub="ann")[0] == 200
        assert env.call("POST", "/staff/settlements", role="staff", sub="clerk", body={"month": "2020-03"})[0] == 202
    _drain(runner)
    # 서구소식: staff upload notices (an alert whose first push fails, one for later, a bad one), fix the
    # bad one (another alert), the schedule publishes and pushes what is left, a deleted notice retires
    env.clock.set(at(2020, 4, 1, 9))
    s3 = boto3.client("s3", region_name=REGION)
    bucket = composition.container().settings.notices_bucket
    sns = composition.container().client("sns")
    publish, down = sns.publish, [RuntimeError("SNS is down")]

    def flaky_publish(**kw: Any) -> Any:
        if down:
            raise down.pop()
        return publish(**kw)

    monkeypatch.setattr(sns, "publish", flaky_publish)
    s3.put_object(Bucket=bucket, Key="notices/flood.md", Body=_notice("침수 주의", "disaster", "[청라1동]"))
    s3.put_object(Bucket=bucket, Key="notices/yoga.md", Body=_notice(
        "요가교실", "dong-event", "all", publish_at="2020-04-01T10:00:00+09:00", expires_at="2020-04-02T10:00:00+09:00"))
    s3.put_object(Bucket=bucket, Key="notices/bad.md", Body=b"no front matter")
    runner.poll_queues()   # the flood message fails (SNS down); say it ended in the dead-letter queue
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName="seoro-notices")["QueueUrl"])
    s3.put_object(Bucket=bucket, Key="notices/bad.md", Body=_notice("단수 안내", "disaster", "[청라2동]"))
    _drain(runner, "seoro-notices")
    env.clock.set(at(2020, 4, 1, 11))
    with recorder.acting("NewsSchedule"):
        ran = application.news_schedule(_scheduled(env.clock.now()), context)
        assert (ran["published"], ran["alerts"]) == (1, 1), ran
    with recorder.acting("APIHandler"):
        status, notices = env.call("GET", "/staff/notices", role="staff", sub="clerk")
        assert status == 200 and len(notices["items"]) == 3, notices
        status, news = env.call("GET", "/news?dong=청라1동", role="resident", sub="ann")
        assert status == 200 and news["items"], news
        post_id = news["items"][0]["post_id"]
        assert env.call("GET", f"/news/{post_id}", role="resident", sub="ann")[0] == 200
    s3.delete_object(Bucket=bucket, Key="notices/flood.md")
    _drain(runner, "seoro-notices")
    env.clock.set(at(2020, 4, 2, 11))
    with recorder.acting("NewsSchedule"):
        assert application.news_schedule(_scheduled(env.clock.now()), context)["retired"] == 1

    env.clock.set(at(2020, 3, 2, 12) + timedelta(days=91))
    with recorder.acting("PurgeShippingData"):
        assert application.purge_shipping_data(_scheduled(env.clock.now()), context) == 1
    with recorder.acting("ReturnUnclaimedGifts"):
        assert application.return_unclaimed_gifts(_scheduled(env.clock.now()), context) == 1
    with recorder.acting("CashoutSweep"):
        assert application.cashout_sweep(_scheduled(env.clock.now()), context)["payouts"] == 1

    assert set(recorder.calls) == set(merge.function_names())
    for function, calls in sorted(recorder.calls.items()):
        grants = role_grants(function)
        refused = sorted(c for c in calls if not allowed(grants, *c))
        assert refused == [], f"{function}'s role does not allow {refused}"
        # and the other way round: every DynamoDB action its role grants, it used (reading the table's stream
        # is the event source mapping's, like polling a queue)
        granted = {a for actions, patterns in grants for a in actions if a.startswith("dynamodb:")
                   and not all(p.endswith("/stream/*") for p in patterns)}
        used = {a for a, _ in calls if a.startswith("dynamodb:")}
        assert granted == used, f"{function}: granted but not used {granted - used}, used {used - granted}"
