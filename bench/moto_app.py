"""The app on moto in-process for the benchmarks: a clean environment, the stack on moto's CloudFormation, an HTTP helper."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ISSUER = "https://issuer.bench"
AUDIENCE = "seoro-bench"
REGION = "ap-northeast-2"


def prepare_environment() -> None:
    """No real endpoint, fake credentials, quiet logs; moto imported before any botocore client exists, and its
    DynamoDB stream kept cheap before any table exists (`devstack/moto_streams.py`: the template turns the
    table's stream on, and moto would otherwise copy every stream record into each transaction's rollback copy
    and keep them all)."""
    import moto  # noqa: F401  (first: clients made before it are not mocked)

    from devstack.moto_streams import keep_stream_cheap

    keep_stream_cheap()

    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Seoro")


class Http:
    """Speaks HTTP to the app like the mobile apps do; every answer's status is checked."""

    def __init__(self, client: Any, key: Any) -> None:
        self._client = client
        self._key = key
        self._tokens: dict[tuple[str, str, str | None], str] = {}

    def _token(self, role: str, sub: str, merchant_id: str | None) -> str:
        k = (role, sub, merchant_id)
        if k not in self._tokens:
            self._tokens[k] = self._key.token(
                role, sub, merchant_id=merchant_id, issuer=ISSUER, audience=AUDIENCE
            )
        return self._tokens[k]

    def call(
        self,
        method: str,
        path: str,
        *,
        role: str,
        sub: str,
        expect: int,
        merchant_id: str | None = None,
        body: Any = None,
        key: str | None = None,
        raw: bool = False,
    ) -> Any:
        """The answer's JSON, or with `raw` its bytes (a CSV file); any other status than `expect` raises."""
        headers = {
            "Authorization": f"Bearer {self._token(role, sub, merchant_id)}",
            "Content-Type": "application/json",
        }
        if key is not None:
            headers["Idempotency-Key"] = key
        payload = json.dumps(body).encode() if body is not None else b""
        r = self._client.http.request(method, path, headers=headers, body=payload)
        if raw and r.status_code == expect:
            return r.body
        out = json.loads(r.body) if r.body else None
        if r.status_code != expect:
            raise RuntimeError(f"{method} {path}: expected {expect}, got {r.status_code}: {out}")
        return out


def new_key() -> str:
    return uuid.uuid4().hex


def create_stack() -> dict[str, str]:
    """infra/resources.yaml on moto's CloudFormation; returns the stack's outputs (with an HMAC key made as the
    template declares it in place of moto's symmetric one, as the local stack does: `apply_key_specs`)."""
    import boto3

    from devstack.resources import apply_key_specs
    from tests.support import TEMPLATE

    cf = boto3.client("cloudformation", region_name=REGION)
    cf.create_stack(StackName="seoro-bench", TemplateBody=TEMPLATE.read_text())
    outputs = cf.describe_stacks(StackName="seoro-bench")["Stacks"][0]["Outputs"]
    return apply_key_specs(cf, boto3.client("kms", region_name=REGION), "seoro-bench",
                           {o["OutputKey"]: o["OutputValue"] for o in outputs})


class _KeepNothing(list):  # type: ignore[type-arg]
    """Stands in for moto's list of every instance ever made of a model class."""

    def append(self, _: Any) -> None:
        return None


def forget_dynamodb_instances() -> None:
    """Inside `mock_aws()` (its start and end reset the lists): moto's DynamoDB model classes stop keeping every
    instance they ever made (`BaseModel.instances_tracked`, for the moto server's dashboard). moto deep-copies the
    whole table before each TransactWriteItems, and every copied item and table would be kept for good: memory
    of (transactions × items in the table), gigabytes by the end of the benchmark. What moto answers is the same."""
    from moto.core.model_instances import model_data

    for model in model_data["dynamodb"].values():
        model.instances_tracked = _KeepNothing()  # type: ignore[attr-defined]


@contextmanager
def running_app(workdir: Path) -> Iterator[tuple[Http, Callable[[], None]]]:
    """The app on moto in-process; yields the HTTP helper and a function that starts a fresh container."""
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import composition
    from chalicelib.adapters.bank import FakeBank
    from chalicelib.handlers.admin import seed_defaults
    from chalicelib.settings import Settings
    from tests.support import SettableClock, SigningKey

    key = SigningKey(workdir)
    with mock_aws():
        forget_dynamodb_instances()
        outputs = create_stack()
        clock = SettableClock(datetime(2020, 3, 10, 12, 0, tzinfo=UTC))
        bank = FakeBank()
        settings = Settings(
            stage="bench",
            region=REGION,
            table_name=outputs["TableName"],
            notices_bucket=outputs["NoticesBucket"],
            reports_bucket=outputs["ReportsBucket"],
            auth_jwks_file=str(key.jwks_file),
            auth_issuer=ISSUER,
            auth_audience=AUDIENCE,
            pii_key_arn=outputs["PiiKeyArn"],  # a gift's claim code is kept encrypted in its stored answer
            contention_deadline_seconds=30.0,
        )

        def fresh_container() -> None:
            composition.override(settings=settings, clock=clock, bank=bank)

        fresh_container()
        seed_defaults()
        from app import app

        try:
            with Client(app) as client:
                yield Http(client, key), fresh_container
        finally:
            composition.reset()
