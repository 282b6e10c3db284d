"""Fakes and helpers the service and e2e tests share: a settable clock, a signing key, and a stack on moto."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "resources.yaml"
GROUPS = {"resident": "residents", "merchant": "merchants", "staff": "staff"}


@dataclass
class SettableClock:
    """A clock tests move by hand; it does not run on by itself."""

    instant: datetime = field(default_factory=lambda: datetime(2020, 3, 10, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.instant

    def set(self, instant: datetime) -> None:
        self.instant = instant


class SigningKey:
    """An RSA key with its JWKS file, minting tokens the way Cognito shapes them."""

    def __init__(self, directory: Path, kid: str = "test-key") -> None:
        self.kid = kid
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
        self.jwks_file = directory / "jwks.json"
        self.jwks_file.write_text(json.dumps({"keys": [jwk]}))

    def token(
        self,
        role: str,
        sub: str,
        *,
        merchant_id: str | None = None,
        ttl: int = 3600,
        issuer: str | None = None,
        audience: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"sub": sub, "iat": now, "exp": now + ttl, "cognito:groups": [GROUPS[role]]}
        if merchant_id is not None:
            claims["custom:merchant_id"] = merchant_id
        if issuer is not None:
            claims["iss"] = issuer
        if audience is not None:
            claims["aud"] = audience
        claims.update(extra or {})
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})


def new_key() -> str:
    return uuid.uuid4().hex


def business_number(seed: int) -> str:
    """A valid, distinct business registration number for each seed (the check digit is computed)."""
    from chalicelib.domain.merchant import normalise_business_number

    stem = f"{(seed * 7919) % 10**9:09d}"
    for digit in "0123456789":
        if normalise_business_number(stem + digit):
            return stem + digit
    raise AssertionError("unreachable: one check digit always fits")


def grant_cashback(store: Any, sub: str, amount: int, at: str) -> None:
    """Credit cashback as a settlement would (wallet and ledger movement in one transaction), for tests and
    benchmarks that need a donor without settling a month first."""
    from dataclasses import replace

    from chalicelib.domain.ledger import MOVE_CASHBACK, Movement
    from chalicelib.storage.dynamo import Writes

    wallet = store.load(user_id=sub).wallet
    assert wallet is not None, f"{sub} has no wallet"
    store.commit(
        Writes(
            wallets=[(replace(wallet, cashback_balance=wallet.cashback_balance + amount, version=wallet.version + 1),
                      wallet.version)],
            movements=[Movement(sub, uuid.uuid4().hex, MOVE_CASHBACK, "grant", 0, amount, at)],
        ),
        0,
    )


def scan_table(client: Any, table_name: str) -> list[dict[str, Any]]:
    """Every item of a table in wire form, page by page (privacy tests search them as text)."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table_name}
    while True:
        page = client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
