"""Service tests: the real app and handlers on moto in-process, tables made from the infra template."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib import composition
from chalicelib.adapters.bank import FakeBank
from chalicelib.handlers.admin import seed_defaults
from devstack.moto_streams import keep_stream_cheap
from devstack.resources import apply_bucket_notifications, apply_key_specs
from tests.support import TEMPLATE, Env, SettableClock, SigningKey, settings_for_tests


@pytest.fixture(scope="session", autouse=True)
def cheap_streams() -> None:
    """The template turns the table's stream on; moto's copies it whole on every transaction unless told not to."""
    keep_stream_cheap()


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return SigningKey(tmp_path_factory.mktemp("keys"))


def create_stack(region: str = "ap-northeast-2") -> dict[str, str]:
    """Deploy infra/resources.yaml to moto's CloudFormation and return its outputs (an HMAC key made as the
    template declares it in place of moto's symmetric one: `apply_key_specs`)."""
    cf = boto3.client("cloudformation", region_name=region)
    cf.create_stack(StackName="seoro-test", TemplateBody=TEMPLATE.read_text())
    apply_bucket_notifications(cf, boto3.client("s3", region_name=region), boto3.client("sqs", region_name=region),
                               "seoro-test")
    outputs = cf.describe_stacks(StackName="seoro-test")["Stacks"][0]["Outputs"]
    return apply_key_specs(cf, boto3.client("kms", region_name=region), "seoro-test",
                           {o["OutputKey"]: o["OutputValue"] for o in outputs})


def deliver_from_sqs(env: Env) -> None:
    """The local runner polls the settlement queue on moto and delivers its messages to the worker."""
    from app import app
    from devstack.runner import LocalRunner

    sqs = boto3.client("sqs", region_name="ap-northeast-2")
    runner = LocalRunner(app, env.clock, sqs)
    url = sqs.get_queue_url(QueueName="seoro-settlement")["QueueUrl"]
    for _ in range(200):
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0:
            return
        runner.poll_queues()
    raise AssertionError("the settlement queue did not drain")


@pytest.fixture
def env(signing_key: SigningKey) -> Iterator[Env]:
    with mock_aws():
        outputs = create_stack()
        clock = SettableClock()
        settings = settings_for_tests(
            table_name=outputs["TableName"],
            notices_bucket=outputs["NoticesBucket"],
            reports_bucket=outputs["ReportsBucket"],
            alert_topic_arn_prefix=outputs["AlertTopicArnPrefix"],
            exports_bucket=outputs["ExportsBucket"],
            pii_key_arn=outputs["PiiKeyArn"],
            tax_id_mac_key_arn=outputs["TaxIdMacKeyArn"],
            auth_jwks_file=str(signing_key.jwks_file),
        )
        composition.override(settings=settings, clock=clock, bank=FakeBank())
        seed_defaults()
        from app import app

        with Client(app) as client:
            yield Env(client, clock, signing_key, deliver_from_sqs)
        composition.reset()
