"""Two user pools (docs/RULES.md, "Cloud"): staff sign in to a pool of their own, which requires a second
factor, and the residents' pool (residents and shop owners) grants no staff role. The app tells the pools
apart by the token's `iss` and verifies each token against its own pool's keys, issuer and audience.
Without a staff pool (the local stage: one dev key) one issuer gives every role, as before.

The staff pool's keys are served over HTTP on this machine and read from their URL, the way the app reads
Cognito's JWKS over HTTPS.
"""

from __future__ import annotations

import functools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from chalice.test import Client

from chalicelib import composition
from chalicelib.auth import Principal, TokenVerifier
from chalicelib.domain.errors import Unauthorized
from chalicelib.settings import Settings
from tests.support import AUDIENCE, BIZ, ISSUER, Env, SettableClock, SigningKey, new_key, settings_for_tests
from tests.unit.conftest import deliver_shard_messages, memory_app
from tests.unit.test_auth import assert_error, bearer

STAFF_ISSUER = "https://staff-issuer.test"
STAFF_AUDIENCE = "seoro-staff-test"
MERCHANT_BODY = {"name": "새 가게", "business_number": BIZ[3], "dong": "청라1동", "category": "cafe",
                 "benefit_plus": False}


class StaffPool(SigningKey):
    """The staff pool's key, with its JWKS served at `jwks_url` (by a server the fixture stops)."""

    jwks_url: str


def staff_pool(staff_key: StaffPool) -> dict[str, Any]:
    """The three settings the template's StaffAuth* outputs give the functions in the cloud."""
    return {"staff_auth_jwks_url": staff_key.jwks_url, "staff_auth_issuer": STAFF_ISSUER,
            "staff_auth_audience": STAFF_AUDIENCE}


@pytest.fixture(scope="module")
def staff_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffPool]:
    """The staff pool's key: another RSA key set, under its own kid (as two Cognito pools have)."""
    key = StaffPool(Path(tmp_path_factory.mktemp("staff-pool")), kid="staff-pool-key")
    handler = functools.partial(QuietHandler, directory=str(key.jwks_file.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    key.jwks_url = f"http://127.0.0.1:{server.server_address[1]}/{key.jwks_file.name}"
    yield key
    server.shutdown()
    server.server_close()
    thread.join()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def staff_key_same_kid(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    """A staff pool whose key happens to carry the residents' pool's kid."""
    return SigningKey(Path(tmp_path_factory.mktemp("staff-pool-same-kid")))


@pytest.fixture
def pools(signing_key: SigningKey, staff_key: StaffPool) -> Iterator[Env]:
    """The app as the cloud configures it: the residents' pool (`env.token`) and the staff pool."""
    clock = SettableClock()
    memory_app(signing_key, clock, **staff_pool(staff_key))
    from app import app

    with Client(app) as client:
        yield Env(client, clock, signing_key, deliver_shard_messages)
    composition.reset()


def staff_token(staff_key: StaffPool, sub: str, groups: list[str] | None = None, **claims: Any) -> str:
    """A staff pool ID token; the pool has no groups, so by default the token carries none."""
    now = int(time.time())
    payload: dict[str, Any] = {"sub": sub, "iat": now, "exp": now + 3600, "iss": STAFF_ISSUER, "aud": STAFF_AUDIENCE,
                               "token_use": "id", **claims}
    if groups is not None:
        payload["cognito:groups"] = groups
    return jwt.encode(payload, staff_key._key, algorithm="RS256", headers={"kid": staff_key.kid})


def residents_token(env: Env, sub: str, groups: list[str], merchant_id: str | None = None) -> str:
    return env.token("resident", sub, merchant_id, extra={"cognito:groups": groups})


def verifier_for(**settings: Any) -> Any:
    """The verifier the composition builds from these settings."""
    return composition.Container(overrides={"settings": Settings(**settings)}).verifier


# ---- the staff pool --------------------------------------------------------------------------------------


def test_a_staff_pool_token_is_staff_and_nothing_else_without_any_group(pools: Env, staff_key: StaffPool) -> None:
    sub = str(uuid.uuid4())  # Cognito's subs are UUIDs
    token = staff_token(staff_key, sub)
    assert composition.container().verifier.verify(token) == Principal(sub=sub, groups=frozenset({"staff"}))
    status, out = pools.call("POST", "/staff/merchants", body=MERCHANT_BODY, headers=bearer(token))
    assert status == 201, out
    # the sub is the staff pool's own, not namespaced: the audit trail names the actor by it
    status, trail = pools.call("GET", "/staff/audit", headers=bearer(token))
    assert status == 200, trail
    assert [(e["action"], e["actor"]) for e in trail["items"]] == [("merchant.register", sub)]


def test_two_staff_pool_members_propose_and_approve_a_policy(pools: Env, staff_key: StaffPool) -> None:
    policy = {"programs": [{"program_id": "city-base", "funder": "incheon-city",
                            "tiers": [{"up_to": None, "rate_bp": 300}]}],
              "monthly_charge_limit": 1_000_000, "balance_limit": 2_000_000}
    clerk, chief = bearer(staff_token(staff_key, "clerk")), bearer(staff_token(staff_key, "chief"))
    status, out = pools.call("PUT", "/staff/policies/2020-05", body=policy, headers=clerk)
    assert status == 202, out
    status, out = pools.call("POST", "/staff/policies/2020-05/approve", headers=chief)
    assert status == 200 and out["status"] == "approved", out


def test_a_staff_pool_token_carrying_residents_or_merchants_is_neither_a_resident_nor_a_merchant(
    pools: Env, staff_key: StaffPool, subtests: pytest.Subtests
) -> None:
    pools.open_wallet("res-1", charge=10_000)
    status, registered = pools.call("POST", "/staff/merchants", body={**MERCHANT_BODY, "business_number": BIZ[0]},
                                    headers=bearer(staff_token(staff_key, "kim")))
    assert status == 201, registered
    shop = registered["merchant_id"]
    status, paid = pools.pay("res-1", shop, 1_000)
    assert status == 201, paid
    token = staff_token(staff_key, "clerk", ["residents", "merchants", "staff"])
    forged = staff_token(staff_key, "clerk", ["residents", "merchants"], **{"custom:merchant_id": shop})
    for label, t in (("groups", token), ("groups and a merchant id, no staff group", forged)):
        assert composition.container().verifier.verify(t) == Principal(sub="clerk", groups=frozenset({"staff"}))
        for method, path, body in (("GET", "/wallet", None), ("POST", "/wallet", {"dong": "청라1동", "agree_terms": True}),
                                   ("POST", f"/merchant/payments/{paid['payment_id']}/refunds", {}),
                                   ("GET", "/merchant/orders", None)):
            with subtests.test(msg=f"{label}: {method} {path}"):
                status, out = pools.call(method, path, body=body, headers={**bearer(t), "Idempotency-Key": new_key()})
                assert_error(status, out, 403, "FORBIDDEN")
        with subtests.test(msg=f"{label}: still staff"):
            assert pools.call("GET", "/staff/audit", headers=bearer(t))[0] == 200
    assert pools.wallet("res-1")["charged_balance"] == 9_000


# ---- the residents' pool -------------------------------------------------------------------------------


def test_a_residents_pool_token_carrying_staff_is_refused_on_staff_routes_but_still_works_as_a_resident(
    pools: Env, subtests: pytest.Subtests
) -> None:
    token = residents_token(pools, "res-1", ["residents", "staff"])
    assert composition.container().verifier.verify(token) == Principal(sub="res-1", groups=frozenset({"residents"}))
    for method, path, body in (("POST", "/staff/merchants", MERCHANT_BODY), ("GET", "/staff/audit", None),
                               ("POST", "/staff/settlements", {"month": "2020-02"})):
        with subtests.test(msg=f"{method} {path}"):
            status, out = pools.call(method, path, body=body, headers={**bearer(token), "Idempotency-Key": new_key()})
            assert_error(status, out, 403, "FORBIDDEN")
    status, out = pools.call("POST", "/wallet", body={"dong": "청라1동", "agree_terms": True}, headers=bearer(token))
    assert status == 201, out
    assert pools.call("GET", "/wallet", headers=bearer(token))[0] == 200
    # a shop owner's token from the residents' pool keeps its shop
    owner = residents_token(pools, "owner-1", ["merchants", "staff"], merchant_id="m-0123abcd")
    assert composition.container().verifier.verify(owner) == Principal(
        sub="owner-1", groups=frozenset({"merchants"}), merchant_id="m-0123abcd")


def test_a_residents_pool_token_with_staff_as_its_only_group_has_no_role(pools: Env) -> None:
    token = residents_token(pools, "res-1", ["staff"])
    for path in ("/merchants", "/policies/current", "/staff/audit"):
        status, out = pools.call("GET", path, headers=bearer(token))
        assert_error(status, out, 403, "FORBIDDEN")


# ---- one pool's key cannot speak for the other ---------------------------------------------------------


def test_a_token_signed_in_one_pool_that_names_the_other_is_401(
    pools: Env, staff_key: StaffPool, staff_key_same_kid: SigningKey, subtests: pytest.Subtests
) -> None:
    pools.open_wallet("res-1")
    cases = {
        "staff key, residents' issuer and audience":
            staff_key.token("resident", "res-1", issuer=ISSUER, audience=AUDIENCE),
        "staff key under the residents' kid, residents' issuer and audience":
            staff_key_same_kid.token("resident", "res-1", issuer=ISSUER, audience=AUDIENCE),
        "residents' key, staff issuer and audience":
            pools.key.token("staff", "clerk", issuer=STAFF_ISSUER, audience=STAFF_AUDIENCE),
        "staff key and issuer, residents' audience":
            staff_key.token("staff", "clerk", issuer=STAFF_ISSUER, audience=AUDIENCE),
        "residents' key and issuer, staff audience":
            pools.key.token("resident", "res-1", issuer=ISSUER, audience=STAFF_AUDIENCE),
        "staff key, no issuer": staff_key.token("staff", "clerk", audience=STAFF_AUDIENCE),
        "staff key, an issuer list naming the staff pool": jwt.api_jws.PyJWS().encode(
            json.dumps({"sub": "clerk", "exp": int(time.time()) + 3600, "iss": [STAFF_ISSUER],
                        "aud": STAFF_AUDIENCE}).encode(), staff_key._key, "RS256", {"kid": staff_key.kid}),
        "staff pool, expired": staff_key.token("staff", "clerk", issuer=STAFF_ISSUER, audience=STAFF_AUDIENCE,
                                               ttl=-120),
        "not a JWT": "not-a-jwt",
        "a payload that is not an object": "eyJhbGciOiJSUzI1NiJ9.WzFd.c2ln",
    }
    for label, token in cases.items():
        for method, path in (("GET", "/wallet"), ("GET", "/staff/audit")):
            with subtests.test(msg=f"{label}: {method} {path}"):
                status, out = pools.call(method, path, headers=bearer(token))
                assert_error(status, out, 401, "UNAUTHORIZED")
                assert token not in out["error"]["message"]
    with subtests.test(msg="verified directly"), pytest.raises(Unauthorized):
        composition.container().verifier.verify(cases["staff key, residents' issuer and audience"])
    # the controls: each key is trusted, for its own pool
    assert pools.call("GET", "/staff/audit", headers=bearer(staff_token(staff_key, "clerk")))[0] == 200
    assert pools.call("GET", "/wallet", headers=bearer(pools.token("resident", "res-1")))[0] == 200


# ---- without a staff pool, and misconfigured ------------------------------------------------------------


def test_without_a_staff_pool_one_issuer_gives_every_role_as_before(
    env: Env, signing_key: SigningKey, staff_key: StaffPool
) -> None:
    blank = {"STAFF_AUTH_JWKS_URL": "", "STAFF_AUTH_ISSUER": " ", "STAFF_AUTH_AUDIENCE": ""}
    local = Settings.from_env({"AUTH_JWKS_FILE": str(signing_key.jwks_file), **blank})
    assert not local.has_staff_pool
    assert type(composition.Container(overrides={"settings": local}).verifier) is TokenVerifier
    assert type(composition.container().verifier) is TokenVerifier
    both = residents_token(env, "res-1", ["residents", "staff"])
    assert composition.container().verifier.verify(both).groups == {"residents", "staff"}
    status, out = env.call("POST", "/staff/merchants", body=MERCHANT_BODY, headers=bearer(both))
    assert status == 201, out
    # a token of a staff pool the app was not told about is refused (another key, another issuer)
    status, out = env.call("GET", "/staff/audit", headers=bearer(staff_token(staff_key, "clerk")))
    assert_error(status, out, 401, "UNAUTHORIZED")


def test_a_staff_pool_configured_by_halves_or_with_the_residents_issuer_is_refused(
    signing_key: SigningKey, staff_key: StaffPool, subtests: pytest.Subtests
) -> None:
    base = {"auth_jwks_file": str(signing_key.jwks_file), "auth_issuer": ISSUER, "auth_audience": AUDIENCE}
    full = staff_pool(staff_key)
    for label, settings in (
        ("no staff JWKS", {**full, "staff_auth_jwks_url": None}),
        ("no staff issuer", {**full, "staff_auth_issuer": None}),
        ("the residents' issuer", {**full, "staff_auth_issuer": ISSUER}),
        ("no residents' issuer", {**full, "auth_issuer": None}),
    ):
        with subtests.test(msg=label), pytest.raises(ValueError):
            verifier_for(**{**base, **settings})
    from chalicelib.auth import TwoPools

    assert type(verifier_for(**base, **full)) is TwoPools
    assert settings_for_tests(**full).has_staff_pool
