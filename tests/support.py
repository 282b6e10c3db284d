"""What the unit, service and e2e tests share: a settable clock, a signing key, and `Env`, the app behind
`chalice.test.Client` with helpers that speak HTTP to it as the mobile apps do (on the in-memory store in
tests/unit, on moto in tests/service)."""

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

from chalicelib import composition

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "resources.yaml"
GROUPS = {"resident": "residents", "merchant": "merchants", "staff": "staff"}
ISSUER = "https://issuer.test"
AUDIENCE = "seoro-test"
# Valid business registration numbers (check digit holds) for tests.
BIZ = ['1248100998', '2208162517', '1008100105', '1018100108', '1028100101', '1038100104', '1048100107',
       '1058100100', '1068100103', '1078100106', '1088100109', '1098100102']


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


class Env:
    """The app behind `chalice.test.Client`, with helpers that speak HTTP to it like the mobile apps do.

    `drain` delivers the settlement's shard messages to the worker until none is left (from the in-memory
    queue, or from SQS on moto).
    """

    def __init__(self, client: Any, clock: SettableClock, key: SigningKey, drain: Any) -> None:
        self.client = client
        self.clock = clock
        self.key = key
        self._drain = drain

    @property
    def container(self) -> composition.Container:
        return composition.container()

    @property
    def repos(self) -> composition.Repositories:
        return composition.container().repos

    @property
    def bank(self) -> Any:
        return composition.container().bank

    def drain(self) -> None:
        self._drain(self)

    def token(self, role: str, sub: str, merchant_id: str | None = None, **kw: Any) -> str:
        kw.setdefault("issuer", ISSUER)
        kw.setdefault("audience", AUDIENCE)
        return self.key.token(role, sub, merchant_id=merchant_id, **kw)

    def owner_headers(self, sub: str, merchant_id: str, key: str | None = None) -> dict[str, str]:
        """A shop's owner who is also a resident: a token in both groups, naming the shop."""
        token = self.token("resident", sub, merchant_id, extra={"cognito:groups": ["residents", "merchants"]})
        return {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}

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

    def enact_policy(self, month: str, body: Any) -> dict[str, Any]:
        """A policy for a future month, proposed by one staff member and approved by another (two people)."""
        status, proposed = self.call("PUT", f"/staff/policies/{month}", role="staff", sub="clerk", body=body)
        assert status == 202 and proposed["status"] == "proposed", proposed
        status, approved = self.call("POST", f"/staff/policies/{month}/approve", role="staff", sub="chief")
        assert status == 200 and approved["status"] == "approved", approved
        return dict(approved)

    def settle(self, month: str) -> dict[str, Any]:
        """Staff start the month's settlement; the workers run until the queue is empty; the run's totals."""
        status, body = self.call("POST", "/staff/settlements", role="staff", sub="clerk", body={"month": month})
        assert status == 202, body
        self.drain()
        status, body = self.call("GET", f"/staff/settlements/{month}", role="staff", sub="clerk")
        assert status == 200, body
        return dict(body)


def settings_for_tests(**overrides: Any) -> Any:
    """The settings every test app runs with (the stage is `test`; tests override what they need)."""
    from chalicelib.settings import Settings

    values: dict[str, Any] = {"stage": "test", "auth_issuer": ISSUER, "auth_audience": AUDIENCE,
                              "contention_deadline_seconds": 30.0, "settlement_shards": 8}
    values.update(overrides)
    return Settings(**values)


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


def grant_cashback(repos: Any, sub: str, amount: int, at: str) -> None:
    """Credit cashback as a settlement would (wallet and ledger movement in one transaction), for tests and
    benchmarks that need a donor without settling a month first. `repos`: `composition.Repositories`."""
    from dataclasses import replace

    from chalicelib.domain.ledger import MOVE_CASHBACK, Movement, stamped

    batch = repos.store.batch()
    held = repos.wallets.want(batch, sub)
    batch.run()
    wallet = held.value
    assert wallet is not None, f"{sub} has no wallet"
    after = replace(wallet, cashback_balance=wallet.cashback_balance + amount, version=wallet.version + 1)
    tx = repos.store.tx()
    repos.wallets.stage(tx, after, wallet.version)
    repos.wallets.stage_movement(tx, stamped(Movement(sub, uuid.uuid4().hex, MOVE_CASHBACK, "grant", 0, amount, at),
                                             after))
    tx.commit()


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


class RacingStore:
    """Wraps the app's store: the first batched read after it is armed runs `interloper` right after it read,
    as if another request had committed between this request's read and its write (a race)."""

    def __init__(self, real: Any, interloper: Any) -> None:
        self._real = real
        self.interloper = interloper
        self.reads = 0

    def batch(self) -> Any:
        return _RacingBatch(self._real.batch(), self)

    def tx(self) -> Any:
        return self._real.tx()


class _RacingBatch:
    def __init__(self, real: Any, owner: RacingStore) -> None:
        self._real = real
        self._owner = owner

    def slot(self, default: Any) -> Any:
        return self._real.slot(default)

    def want(self, key: Any, found: Any) -> None:
        self._real.want(key, found)

    def run(self) -> None:
        self._real.run()
        self._owner.reads += 1
        if self._owner.interloper is not None:
            run, self._owner.interloper = self._owner.interloper, None
            run()


def race(interloper: Any) -> RacingStore:
    """Arm a race in the current app: the next batched read lets `interloper` commit first."""
    repos = composition.container().repos
    racing = RacingStore(repos.store, interloper)
    composition.amend(repos=repos.replace(store=racing))
    return racing


def read_wallet(user_id: str, month: str | None = None) -> tuple[Any, Any]:
    """The resident's wallet and (if asked) counters of `month`, as the app reads them."""
    r = composition.container().repos
    batch = r.store.batch()
    wallet = r.wallets.want(batch, user_id)
    counters = r.wallets.want_month(batch, user_id, month) if month else None
    batch.run()
    return wallet.value, counters.value if counters is not None else None


def change_wallet(user_id: str, **fields: Any) -> None:
    """Put a wallet in a state the API would take long to reach (one versioned write, as the app makes)."""
    from dataclasses import replace

    r = composition.container().repos
    wallet, _ = read_wallet(user_id)
    tx = r.store.tx()
    r.wallets.stage(tx, replace(wallet, **fields, version=wallet.version + 1), wallet.version)
    tx.commit()


def change_month(user_id: str, month: str, **fields: Any) -> None:
    from dataclasses import replace

    r = composition.container().repos
    _, counters = read_wallet(user_id, month)
    tx = r.store.tx()
    r.wallets.stage_month(tx, replace(counters, **fields, version=counters.version + 1), counters.version)
    tx.commit()


class DyingStore:
    """Wraps the app's store: the next transaction commits, then its worker dies before hearing so (once)."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.died = 0

    def batch(self) -> Any:
        return self._real.batch()

    def tx(self) -> Any:
        real, owner = self._real.tx(), self

        class Dying:
            def add(self, write: Any) -> None:
                real.add(write)

            def commit(self) -> None:
                real.commit()
                if not owner.died:
                    owner.died += 1
                    raise RuntimeError("worker killed")

        return Dying()


def die_after_next_commit() -> DyingStore:
    repos = composition.container().repos
    dying = DyingStore(repos.store)
    composition.amend(repos=repos.replace(store=dying))
    return dying


def stored_items(env: Env) -> dict[Any, Any]:
    """Everything the in-memory store holds, by key (the use-case tests' view of 'the table')."""
    items: dict[Any, Any] = dict(env.repos.store.items)  # type: ignore[attr-defined]
    return items


SEASON2_PROGRAMS: list[dict[str, Any]] = [
    {"program_id": "city-base", "funder": "incheon-city", "applies_to": "all",
     "tiers": [{"up_to": 300_000, "rate_bp": 400}, {"up_to": 500_000, "rate_bp": 200},
               {"up_to": 1_000_000, "rate_bp": 100}, {"up_to": None, "rate_bp": 0}]},
    {"program_id": "gu-extra", "funder": "seo-gu", "applies_to": "all",
     "tiers": [{"up_to": 500_000, "rate_bp": 100}, {"up_to": None, "rate_bp": 0}]},
    {"program_id": "benefit-plus", "funder": "seo-gu", "applies_to": "benefit-plus",
     "tiers": [{"up_to": 1_000_000, "rate_bp": 200}, {"up_to": None, "rate_bp": 0}]},
]
"""Season 2's programs as `PUT /staff/policies/{month}` takes them (the e2e tests propose a month with them)."""
