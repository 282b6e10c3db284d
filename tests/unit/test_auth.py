"""Who may call what: 401 for anything wrong with the token, 403 for the wrong role, 404 for someone
else's resource (never revealing that it exists). Token expiry is judged by real time, never by the
app's movable clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.support import AUDIENCE, BIZ, ISSUER, Env, SigningKey, new_key

RESIDENT = "res-1"
OTHER_RESIDENT = "res-2"


# ---- helpers -----------------------------------------------------------------------------------


def assert_error(status: int, body: Any, expected_status: int, code: str) -> None:
    """The contract's error shape, exactly: `{"error": {"code", "message"}}`."""
    assert status == expected_status, body
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body


def claims(**overrides: Any) -> dict[str, Any]:
    """A resident's claims as Cognito shapes them; `overrides` with value `...` drop a claim."""
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": RESIDENT,
        "iat": now,
        "exp": now + 3600,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "cognito:groups": ["residents"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


def sign_with_trusted_key(env: Env, payload: dict[str, Any]) -> str:
    """A token signed by the key the app trusts, with claims shaped freely (e.g. no `exp` at all)."""
    return jwt.encode(payload, env.key._key, algorithm="RS256", headers={"kid": env.key.kid})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get_wallet_with(env: Env, headers: dict[str, str]) -> tuple[int, Any]:
    return env.call("GET", "/wallet", headers=headers)


@pytest.fixture(scope="module")
def stranger_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    """A key the app does not trust, published under the very same `kid` as the trusted one."""
    return SigningKey(Path(tmp_path_factory.mktemp("stranger")))


@pytest.fixture(scope="module")
def stranger_key_other_kid(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return SigningKey(Path(tmp_path_factory.mktemp("stranger-kid")), kid="someone-elses-key")


def _tampered(env: Env) -> str:
    """A genuine resident token whose payload was edited to claim staff; the signature no longer fits."""
    header, _payload, signature = env.token("resident", RESIDENT).split(".")
    forged = claims(**{"cognito:groups": ["staff"]})
    payload = _b64(json.dumps(forged).encode())
    return f"{header}.{payload}.{signature}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hs256_with_public_jwks(env: Env) -> str:
    """The algorithm-confusion attack: HMAC keyed with public material the attacker can read."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": env.key.kid}).encode())
    payload = _b64(json.dumps(claims(**{"cognito:groups": ["staff"]})).encode())
    mac = hmac.new(env.key.jwks_file.read_bytes(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(mac)}"


# ---- 401: no token, or a token that does not verify -------------------------------------------


ROUTES_NEEDING_A_TOKEN = [
    ("GET", "/wallet", None),
    ("POST", "/wallet", {"dong": "청라1동", "agree_terms": True}),
    ("POST", "/wallet/charges", {"amount": 1000}),
    ("POST", "/payments", {"merchant_id": "m-anything", "amount": 1000}),
    ("GET", "/payments", None),
    ("GET", "/payments/pay_123", None),
    ("GET", "/merchants", None),
    ("GET", "/merchants/m-123", None),
    ("GET", "/policies/current", None),
    ("POST", "/merchant/payments/pay_123/refunds", {}),
    ("POST", "/staff/merchants", {"name": "x"}),
    ("PUT", "/staff/policies/2030-01", {}),
]


def test_a_request_without_a_token_is_refused_with_401_in_the_error_shape(
    env: Env, subtests: pytest.Subtests
) -> None:
    for method, path, body in ROUTES_NEEDING_A_TOKEN:
        with subtests.test(msg=f"{method} {path}"):
            status, out = env.call(method, path, body=body, headers={"Idempotency-Key": new_key()})
            assert_error(status, out, 401, "UNAUTHORIZED")


BAD_TOKENS: list[tuple[str, Callable[[Env, SigningKey, SigningKey], dict[str, str]]]] = [
    ("token without the Bearer scheme", lambda e, s, o: {"Authorization": e.token("resident", RESIDENT)}),
    ("Basic credentials", lambda e, s, o: {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}),
    ("Bearer with nothing after it", lambda e, s, o: {"Authorization": "Bearer "}),
    ("the word Bearer alone", lambda e, s, o: {"Authorization": "Bearer"}),
    ("an empty Authorization header", lambda e, s, o: {"Authorization": ""}),
    ("garbage token", lambda e, s, o: bearer("not-a-jwt")),
    ("garbage with dots", lambda e, s, o: bearer("aaa.bbb.ccc")),
    ("truncated token", lambda e, s, o: bearer(e.token("resident", RESIDENT)[:-20])),
    ("signed by another key under the same kid",
     lambda e, s, o: bearer(s.token("resident", RESIDENT, issuer=ISSUER, audience=AUDIENCE))),
    ("signed by another key under an unknown kid",
     lambda e, s, o: bearer(o.token("resident", RESIDENT, issuer=ISSUER, audience=AUDIENCE))),
    ("payload edited after signing", lambda e, s, o: bearer(_tampered(e))),
    ("unsigned (alg none)", lambda e, s, o: bearer(jwt.encode(claims(), "", algorithm="none"))),
    ("HS256 keyed with the public JWKS text", lambda e, s, o: bearer(_hs256_with_public_jwks(e))),
    ("expired two minutes ago (beyond the 60 s leeway)",
     lambda e, s, o: bearer(e.token("resident", RESIDENT, ttl=-120))),
    ("expired a day ago", lambda e, s, o: bearer(e.token("resident", RESIDENT, ttl=-86_400))),
    ("wrong audience", lambda e, s, o: bearer(e.token("resident", RESIDENT, audience="another-app"))),
    ("no audience", lambda e, s, o: bearer(sign_with_trusted_key(e, claims(aud=...)))),
    ("wrong issuer", lambda e, s, o: bearer(e.token("resident", RESIDENT, issuer="https://evil.test"))),
    ("no issuer", lambda e, s, o: bearer(sign_with_trusted_key(e, claims(iss=...)))),
    ("no exp claim at all", lambda e, s, o: bearer(sign_with_trusted_key(e, claims(exp=...)))),
    ("exp null", lambda e, s, o: bearer(sign_with_trusted_key(e, claims(exp=None)))),
    ("exp not a number", lambda e, s, o: bearer(sign_with_trusted_key(e, claims(exp="tomorrow")))),
    ("not valid before an hour from now", lambda e, s, o: bearer(
        sign_with_trusted_key(e, claims(nbf=int(time.time()) + 3600)))),
    ("no sub", lambda e, s, o: bearer(sign_with_trusted_key(e, claims(sub=...)))),
]


def test_every_kind_of_bad_token_is_refused_with_401(
    env: Env, stranger_key: SigningKey, stranger_key_other_kid: SigningKey, subtests: pytest.Subtests
) -> None:
    env.open_wallet(RESIDENT, charge=10_000)
    for label, make in BAD_TOKENS:
        with subtests.test(msg=label):
            status, out = get_wallet_with(env, make(env, stranger_key, stranger_key_other_kid))
            assert_error(status, out, 401, "UNAUTHORIZED")
    # The control: the same resident with a good token gets in.
    assert get_wallet_with(env, bearer(env.token("resident", RESIDENT)))[0] == 200


def test_a_money_moving_request_with_a_bad_token_moves_no_money(env: Env) -> None:
    env.open_wallet(RESIDENT, charge=10_000)
    transfers = dict(env.bank.transfers)
    expired = env.token("resident", RESIDENT, ttl=-120)
    status, out = env.call("POST", "/wallet/charges", body={"amount": 5_000},
                           headers={**bearer(expired), "Idempotency-Key": new_key()})
    assert_error(status, out, 401, "UNAUTHORIZED")
    assert env.wallet(RESIDENT)["charged_balance"] == 10_000
    assert env.bank.transfers == transfers


def test_a_token_expired_within_the_leeway_is_still_accepted(env: Env) -> None:
    env.open_wallet(RESIDENT)
    status, out = get_wallet_with(env, bearer(env.token("resident", RESIDENT, ttl=-20)))
    assert status == 200, out


def test_an_expired_token_is_refused_even_when_the_app_clock_is_moved_back(
    env: Env, subtests: pytest.Subtests
) -> None:
    env.open_wallet(RESIDENT)
    for app_time in (datetime(2020, 1, 1, tzinfo=UTC), datetime(2000, 1, 1, tzinfo=UTC),
                     datetime(1990, 6, 1, tzinfo=UTC)):
        with subtests.test(msg=f"app clock at {app_time:%Y-%m-%d}"):
            env.clock.set(app_time)
            status, out = get_wallet_with(env, bearer(env.token("resident", RESIDENT, ttl=-120)))
            assert_error(status, out, 401, "UNAUTHORIZED")


def test_a_valid_token_is_accepted_even_when_the_app_clock_is_moved_far_into_the_future(env: Env) -> None:
    env.open_wallet(RESIDENT)
    env.clock.set(datetime(2099, 12, 31, 12, tzinfo=UTC))
    status, out = get_wallet_with(env, bearer(env.token("resident", RESIDENT, ttl=300)))
    assert status == 200, out
    assert out["month"]["month"] == "2099-12"


def test_an_expired_token_is_refused_when_the_app_clock_is_far_in_the_future_too(env: Env) -> None:
    env.open_wallet(RESIDENT)
    env.clock.set(datetime(2099, 12, 31, 12, tzinfo=UTC))
    status, out = get_wallet_with(env, bearer(env.token("resident", RESIDENT, ttl=-120)))
    assert_error(status, out, 401, "UNAUTHORIZED")


# ---- 403: a verified token with the wrong role ------------------------------------------------


def test_a_caller_with_the_wrong_role_is_refused_with_403_and_nothing_happens(
    env: Env, subtests: pytest.Subtests
) -> None:
    env.open_wallet(RESIDENT, charge=50_000)
    merchant = env.register_merchant(number=BIZ[0])
    status, paid = env.pay(RESIDENT, merchant, 10_000)
    assert status == 201, paid
    payment_id = paid["payment_id"]
    before_wallet = env.wallet(RESIDENT)
    refunds_path = f"/merchant/payments/{payment_id}/refunds"
    merchant_body = {"name": "새 가게", "business_number": BIZ[1], "dong": "청라1동",
                     "category": "cafe", "benefit_plus": False}
    policy_body = {"programs": [{"program_id": "city-base", "funder": "incheon-city",
                                 "tiers": [{"up_to": None, "rate_bp": 100}]}],
                   "monthly_charge_limit": 1_000_000, "balance_limit": 2_000_000}

    cases: list[tuple[str, str, str, str, str | None, Any]] = [
        # (label, role, method, path, merchant_id, body)
        ("merchant on GET /wallet", "merchant", "GET", "/wallet", merchant, None),
        ("staff on GET /wallet", "staff", "GET", "/wallet", None, None),
        ("merchant opening a wallet", "merchant", "POST", "/wallet", merchant,
         {"dong": "청라1동", "agree_terms": True}),
        ("merchant charging a wallet", "merchant", "POST", "/wallet/charges", merchant, {"amount": 1000}),
        ("merchant paying", "merchant", "POST", "/payments", merchant, {"merchant_id": merchant, "amount": 1000}),
        ("staff paying", "staff", "POST", "/payments", None, {"merchant_id": merchant, "amount": 1000}),
        ("merchant reading a resident's payment", "merchant", "GET", f"/payments/{payment_id}", merchant, None),
        ("resident on /staff/merchants", "resident", "POST", "/staff/merchants", None, merchant_body),
        ("merchant on /staff/merchants", "merchant", "POST", "/staff/merchants", merchant, merchant_body),
        ("resident publishing a policy", "resident", "PUT", "/staff/policies/2030-01", None, policy_body),
        ("merchant publishing a policy", "merchant", "PUT", "/staff/policies/2030-01", merchant, policy_body),
        ("resident refunding", "resident", "POST", refunds_path, None, {}),
        ("staff refunding", "staff", "POST", refunds_path, None, {}),
        ("merchant token without custom:merchant_id refunding", "merchant", "POST", refunds_path, None, {}),
    ]
    for label, role, method, path, merchant_id, body in cases:
        with subtests.test(msg=label):
            sub = RESIDENT if role == "resident" else f"{role}-caller"
            status, out = env.call(method, path, role=role, sub=sub, merchant_id=merchant_id, body=body,
                                   key=new_key())
            assert_error(status, out, 403, "FORBIDDEN")

    assert env.wallet(RESIDENT) == before_wallet
    status, page = env.call("GET", "/merchants", role="resident", sub=RESIDENT)
    assert [m["merchant_id"] for m in page["items"]] == [merchant]
    status, policy = env.call("GET", "/policies/current", role="resident", sub=RESIDENT)
    assert policy["effective_month"] == "2020-01"
    env.clock.set(datetime(2030, 1, 15, tzinfo=UTC))
    status, policy = env.call("GET", "/policies/current", role="resident", sub=RESIDENT)
    assert policy["effective_month"] == "2020-01", "a forbidden policy PUT must not take effect"


def test_a_token_without_a_known_role_is_forbidden_even_on_routes_open_to_everyone_signed_in(
    env: Env, subtests: pytest.Subtests
) -> None:
    for label, groups in (("no groups", []), ("an unknown group", ["admins"]), ("groups missing", ...)):
        token = sign_with_trusted_key(env, claims(**{"cognito:groups": groups}))
        for path in ("/merchants", "/policies/current"):
            with subtests.test(msg=f"{label} on {path}"):
                status, out = env.call("GET", path, headers=bearer(token))
                assert_error(status, out, 403, "FORBIDDEN")


def test_every_role_may_read_merchants_and_the_policy(env: Env, subtests: pytest.Subtests) -> None:
    for role in ("resident", "merchant", "staff"):
        merchant_id = "m-any" if role == "merchant" else None
        for path in ("/merchants", "/policies/current"):
            with subtests.test(msg=f"{role} on {path}"):
                status, out = env.call("GET", path, role=role, sub=f"{role}-1", merchant_id=merchant_id)
                assert status == 200, out


# ---- 404: someone else's resource ---------------------------------------------------------------


def test_another_residents_payment_is_not_found_exactly_like_a_payment_that_does_not_exist(env: Env) -> None:
    env.open_wallet(RESIDENT, charge=20_000)
    env.open_wallet(OTHER_RESIDENT, charge=20_000)
    merchant = env.register_merchant(number=BIZ[0])
    status, paid = env.pay(RESIDENT, merchant, 5_000)
    assert status == 201, paid

    status, out = env.call("GET", f"/payments/{paid['payment_id']}", role="resident", sub=OTHER_RESIDENT)
    assert_error(status, out, 404, "NOT_FOUND")
    missing_status, missing = env.call("GET", "/payments/pay_doesnotexist", role="resident", sub=OTHER_RESIDENT)
    assert (status, out) == (missing_status, missing), "the answer must not reveal that the payment exists"

    status, listed = env.call("GET", "/payments", role="resident", sub=OTHER_RESIDENT)
    assert status == 200 and listed["items"] == []
    status, own = env.call("GET", f"/payments/{paid['payment_id']}", role="resident", sub=RESIDENT)
    assert status == 200 and own == paid


def test_a_merchant_refunding_another_merchants_payment_gets_404_and_nothing_moves(env: Env) -> None:
    env.open_wallet(RESIDENT, charge=20_000)
    shop = env.register_merchant(number=BIZ[0])
    rival = env.register_merchant(number=BIZ[1])
    status, paid = env.pay(RESIDENT, shop, 8_000)
    assert status == 201, paid
    before = env.wallet(RESIDENT)

    for body in ({}, {"amount": 1_000}):
        status, out = env.call("POST", f"/merchant/payments/{paid['payment_id']}/refunds", role="merchant",
                               sub="rival-owner", merchant_id=rival, body=body, key=new_key())
        assert_error(status, out, 404, "NOT_FOUND")
        missing = env.call("POST", "/merchant/payments/pay_doesnotexist/refunds", role="merchant",
                           sub="rival-owner", merchant_id=rival, body=body, key=new_key())
        assert (status, out) == missing

    assert env.wallet(RESIDENT) == before
    status, now = env.call("GET", f"/payments/{paid['payment_id']}", role="resident", sub=RESIDENT)
    assert now["refunded"] == 0 and now["status"] == "approved"

    # The payment's own merchant can refund it: the 404 above was about ownership, not the payment.
    status, refunded = env.call("POST", f"/merchant/payments/{paid['payment_id']}/refunds", role="merchant",
                                sub="shop-owner", merchant_id=shop, body={}, key=new_key())
    assert status == 200, refunded
    assert refunded["status"] == "refunded"


# ---- a verified token is remembered, never past its expiry -----------------------------------------


def mint(key: SigningKey, role: str, sub: str, ttl: int) -> str:
    return key.token(role, sub, ttl=ttl, issuer=ISSUER, audience=AUDIENCE)


def _verifier(key: SigningKey) -> Any:
    from chalicelib.auth import TokenVerifier

    return TokenVerifier(jwks_file=str(key.jwks_file), jwks_url=None, issuer=ISSUER, audience=AUDIENCE)


def _counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    decoded: list[str] = []
    real = jwt.decode

    def decode(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", decode)
    return decoded


def test_a_process_checks_a_token_s_signature_once_and_answers_its_repeats_from_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib import auth
    from chalicelib.domain.errors import Unauthorized

    key = SigningKey(tmp_path)
    verifier, decoded = _verifier(key), _counting_decodes(monkeypatch)
    ann, bo = mint(key, "resident", "ann", ttl=300), mint(key, "resident", "bo", ttl=300)
    assert [verifier.verify(t).sub for t in (ann, ann, bo, ann, bo)] == ["ann", "ann", "bo", "ann", "bo"]
    assert decoded == [ann, bo]
    forged = ann[:-4] + ("AAAA" if not ann.endswith("AAAA") else "BBBB")   # another string: checked, refused
    with pytest.raises(Unauthorized):
        verifier.verify(forged)
    monkeypatch.setattr(auth, "VERIFIED_KEPT", 1)   # the least recently used is forgotten first
    cy = mint(key, "resident", "cy", ttl=300)
    verifier.verify(cy)
    verifier.verify(ann)
    assert decoded[-2:] == [cy, ann] and verifier.verify(ann).sub == "ann" and decoded[-1] == ann


def test_a_remembered_token_is_refused_once_it_has_expired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.domain.errors import Unauthorized

    key = SigningKey(tmp_path)
    verifier, decoded = _verifier(key), _counting_decodes(monkeypatch)
    token = mint(key, "resident", "ann", ttl=-59)   # expired, but within the 60 s leeway for one more second
    assert verifier.verify(token).sub == "ann"
    time.sleep(1.5)
    with pytest.raises(Unauthorized):
        verifier.verify(token)
    assert decoded == [token, token]   # not answered from memory: checked again, and refused
