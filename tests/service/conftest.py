"""Service tests: the real app and handlers on moto in-process, tables made from the infra template."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib import composition
from chalicelib.handlers.admin import seed_defaults
from chalicelib.settings import Settings
from chalicelib.storage.bank import FakeBank
from devstack.resources import apply_bucket_notifications
from tests.support import TEMPLATE, SettableClock, SigningKey, new_key

ISSUER = "https://issuer.test"
AUDIENCE = "seoro-test"


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return SigningKey(tmp_path_factory.mktemp("keys"))


def create_stack(region: str = "ap-northeast-2") -> dict[str, str]:
    """Deploy infra/resources.yaml to moto's CloudFormation and return its outputs."""
    cf = boto3.client("cloudformation", region_name=region)
    cf.create_stack(StackName="seoro-test", TemplateBody=TEMPLATE.read_text())
    apply_bucket_notifications(cf, boto3.client("s3", region_name=region), boto3.client("sqs", region_name=region),
                               "seoro-test")
    outputs = cf.describe_stacks(StackName="seoro-test")["Stacks"][0]["Outputs"]
    return {o["OutputKey"]: o["OutputValue"] for o in outputs}


class Env:
    """The app on moto, with helpers that speak HTTP to it like the mobile apps do."""

    def __init__(self, client: Client, clock: SettableClock, bank: FakeBank, key: SigningKey) -> None:
        self.client = client
        self.clock = clock
        self.bank = bank
        self.key = key

    @property
    def container(self) -> composition.Container:
        return composition.container()

    def token(self, role: str, sub: str, merchant_id: str | None = None, **kw: Any) -> str:
        kw.setdefault("issuer", ISSUER)
        kw.setdefault("audience", AUDIENCE)
        return self.key.token(role, sub, merchant_id=merchant_id, **kw)

    def headers(self, role: str, sub: str, merchant_id: str | None = None, key: str | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token(role, sub, merchant_id)}", "Content-Type": "application/json"}
        if key is not None:
            h["Idempotency-Key"] = key
        return h

    def call(
        self,
        method: str,
        path: str,
        *,
        role: str | None = None,
        sub: str = "someone",
        merchant_id: str | None = None,
        body: Any = None,
        key: str | None = None,
        raw: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        h = self.headers(role, sub, merchant_id, key) if role else {"Content-Type": "application/json"}
        h.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        r = self.client.http.request(method, path, headers=h, body=payload.encode() if payload else b"")
        return r.status_code, json.loads(r.body) if r.body else None

    # -- the usual first steps --

    def open_wallet(self, sub: str, dong: str = "청라1동", charge: int = 0) -> None:
        status, body = self.call("POST", "/wallet", role="resident", sub=sub,
                                 body={"dong": dong, "agree_terms": True})
        assert status == 201, body
        if charge:
            status, body = self.call("POST", "/wallet/charges", role="resident", sub=sub,
                                     body={"amount": charge}, key=new_key())
            assert status == 201, body

    def register_merchant(self, *, benefit_plus: bool = False, rate: int | None = None, number: str,
                          **extra: Any) -> str:
        body: dict[str, Any] = {"name": "가게", "business_number": number, "dong": "청라1동",
                                "category": "restaurant", "benefit_plus": benefit_plus, **extra}
        if rate is not None:
            body["discount_rate"] = rate
        status, out = self.call("POST", "/staff/merchants", role="staff", sub="staff1", body=body)
        assert status == 201, out
        return str(out["merchant_id"])

    def pay(self, sub: str, merchant_id: str, amount: int, use_cashback: bool = True,
            key: str | None = None) -> tuple[int, Any]:
        return self.call("POST", "/payments", role="resident", sub=sub, key=key or new_key(),
                         body={"merchant_id": merchant_id, "amount": amount, "use_cashback": use_cashback})

    def wallet(self, sub: str) -> Any:
        status, body = self.call("GET", "/wallet", role="resident", sub=sub)
        assert status == 200, body
        return body


# Valid business registration numbers (check digit holds) for tests.
BIZ = ['1248100998', '2208162517', '1008100105', '1018100108', '1028100101', '1038100104', '1048100107',
       '1058100100', '1068100103', '1078100106', '1088100109', '1098100102']


@pytest.fixture
def env(signing_key: SigningKey) -> Iterator[Env]:
    with mock_aws():
        outputs = create_stack()
        clock = SettableClock()
        bank = FakeBank()
        settings = Settings(
            stage="test",
            table_name=outputs["TableName"],
            notices_bucket=outputs["NoticesBucket"],
            reports_bucket=outputs["ReportsBucket"],
            alert_topic_arn_prefix=outputs["AlertTopicArnPrefix"],
            exports_bucket=outputs["ExportsBucket"],
            pii_key_arn=outputs["PiiKeyArn"],
            auth_jwks_file=str(signing_key.jwks_file),
            auth_issuer=ISSUER,
            auth_audience=AUDIENCE,
            contention_deadline_seconds=30.0,
            settlement_shards=8,
        )
        composition.override(settings=settings, clock=clock, bank=bank)
        seed_defaults()
        from app import app

        with Client(app) as client:
            yield Env(client, clock, bank, signing_key)
        composition.reset()
