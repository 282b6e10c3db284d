"""Bad input, generated: schemathesis runs its phases as they come — examples, coverage (boundary cases,
valid and invalid, and every method a path does not declare, TRACE and QUERY included), fuzzing
(FUZZ_EXAMPLES cases per operation) and stateful sequences along the links it infers — over HTTP against a
running local stack, once as each caller: a resident, a merchant, staff and no token at all. So it finds
what `schemathesis run` from outside finds with any of those identities. Every answer goes through the
checks such a run applies (no 5xx; a documented status, content type, headers and schema; input the
document calls invalid refused; a required header's absence refused; 405 with `Allow` for an undeclared
method; authentication enforced), and through this project's own: no answer carries a bearer token, and
every 4xx and 5xx has the error shape. A caller of the wrong role is refused before anything else, so
those runs take fewer fuzzed cases (REFUSED_EXAMPLES). Callers with no or a forged token, or of another
role, must get 401/403 with the right code (the last test).

Not applied: `positive_data_acceptance`, which wants a 2xx for every schema-valid request. Some rules
cannot be stated in JSON Schema (a check digit, an item on two lines of one order, a `next` cursor this
server did not make, a reused Idempotency-Key), and the contract answers 400 or 422 for them.

The stack is this module's own, so the fuzzing (which moves the local clock, opens and closes campaigns,
starts settlements and publishes policies) never reaches what the other e2e tests share. Real data is
seeded first — a Benefit Plus delivery merchant that also sells in a mall, a resident with money, a
payment, an order, a mall order, a disaster alert and a rejected notice upload — and about half of the
valid fuzzed cases are aimed at it, so they reach the handlers' business rules rather than a 404. Values
that once got past the validators are offered for the fields they broke.

The document is the app's own generator output, loaded when the module is collected: schemathesis'
fixture-based loader does not work with this pytest, and its `parametrize` needs the schema at import,
before any stack runs. The first test checks that the running stack serves exactly that document.

Runs are reproducible: cases derive from FUZZ_SEED (default fixed), printed with every failure; the
stateful sequences are derandomized (the same for every seed, more of them with more examples).
`make test` runs FUZZ_EXAMPLES=8 fuzzed cases per operation and 3 sequences per caller; `make soak` many
more.
"""
from __future__ import annotations

import json
import os
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis import APIOperation, Case
from schemathesis.checks import CheckContext, positive_data_acceptance
from schemathesis.core import NOT_SET
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.schemas import OpenApiSchema

import app  # noqa: F401  (declares every area's routes)
from chalicelib.web.api import declared
from chalicelib.web.openapi import build
from devstack.harness import LocalStack, launch, shut_down
from devstack.token import mint
from tests.support import business_number

pytestmark = pytest.mark.e2e

Operation = APIOperation[Any, Any, Any, Any]
FuzzCase = Case[Operation]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
REFUSED_EXAMPLES = max(1, EXAMPLES // 8)
"""Fuzzed cases per operation for a caller the operation refuses (401/403 before anything is read)."""
STATEFUL_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", str(max(3, EXAMPLES // 3))))
SEED = int(os.environ.get("FUZZ_SEED", "20261201"))
ROLES = ("resident", "merchant", "staff", "anonymous")
EXCLUDED = [positive_data_acceptance]  # see the module's docstring
KST = timezone(timedelta(hours=9))
TOKEN_TTL = 2 * 24 * 3600  # a soak may run for hours, and tokens expire by real time
ROLE_OF_GROUP = {"residents": "resident", "merchants": "merchant", "staff": "staff"}
SIGNED_IN = "signed-in"
DONG = "청라1동"
NOTICES_BUCKET = "seoro-notices-local"
ITEM = "fuzz-tteok"
PRODUCT = "fuzz-rice"
SEEDED_CAMPAIGNS = ["solitary-elderly", "severe-disability", "rare-disease-children", "single-mother-families"]

# Values that once got past the validators (other scripts' digits, a trailing line feed, far-off times),
# offered to the generator for these fields now and then: schemathesis' type-wide dictionaries reach path
# and query parameters only, so body fields are named.
HOSTILE = {
    "body.rrn": ["９００１０１-１２３４５６８", "٩٠٠١٠١-١٢٣٤٥٦٨", "900101-1234568\n"],
    "body.business_number": ["１２４８１００９９８", "١٢٤٨١٠٠٩٩٨"],
    "body.month": ["٢٠٢٦-١١", "２０２６-11", "2026-11\n"],
    "query.month": ["٢٠٢٦-١١", "２０２６-11", "2026-11\n"],
    "body.now": ["0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-09:00", "1999-12-31T23:59:59+09:00"],
    "body.shipping.phone": ["٠١٠-١٢٣٤-٥٦٧٨", "０１０-１２３４-５６７８"],
    "body.shipping.postcode": ["２２７４２", "٢٢٧٤٢"],
}

DOCUMENT = build(declared(), include_local=True)


def may_call(role: str, operation: dict[str, Any]) -> bool:
    """Whether `role` ("anonymous": no token) passes the operation's role check (its `x-role`)."""
    group = operation.get("x-role")
    if group is None:
        return True
    if role == "anonymous":
        return False
    return group == SIGNED_IN or ROLE_OF_GROUP[group] == role


def schema_for(role: str) -> OpenApiSchema:
    """The document with this caller's settings: fewer fuzzed cases where every one is refused. Each caller
    has a schema object of its own, since schemathesis sends a path's undeclared methods once per object."""
    refused = [f"{method.upper()} {path}" for path, item in DOCUMENT["paths"].items() for method, operation
               in item.items() if isinstance(operation, dict) and not may_call(role, operation)]
    return schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict({
        "seed": SEED,
        "dictionaries": {key: {"values": values} for key, values in HOSTILE.items()},
        "parameters": {key: {"dictionary": key, "probability": 0.3} for key in HOSTILE},
        "generation": {
            "mode": "all", "max-examples": EXAMPLES, "database": "none",
            # Unknown query parameters are ignored (docs/RULES.md), so adding some does not make a request
            # invalid; and the token is each caller's own.
            "allow-extra-parameters": False, "with-security-parameters": False,
        },
        # Input the document calls invalid is refused (API.md): 400, or 401/403 before the body is read, 404 for
        # a malformed path id, 422 for a reused Idempotency-Key; an undeclared method 405.
        "checks": {"negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 405, 422]}},
        "operations": [{"include-name": refused, "generation": {"max-examples": REFUSED_EXAMPLES}}] if refused else [],
        "request-timeout": 60,
    }))


SCHEMAS = {role: schema_for(role) for role in ROLES}
OPERATIONS: list[Operation] = [
    result.ok() for result in SCHEMAS["anonymous"].get_all_operations() if isinstance(result, Ok)
]
GUARDED = [op for op in OPERATIONS if op.definition.raw.get("x-role") is not None]
FORGED = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."
"""A token of no key at all (alg none), for the refusals."""
TOKENS: set[str] = {FORGED}
"""Every bearer token the fuzzing sends (the world's), none of which any answer may carry."""


@schemathesis.check
def no_token_and_errors_in_the_error_shape(ctx: CheckContext, response: Response, case: FuzzCase) -> bool | None:
    """No answer carries a bearer token, in its body or its headers; every 4xx and 5xx is
    `{"error": {"code", "message"}}` (undeclared methods and statuses included, which the schema checks skip)."""
    text = response.text or ""
    headers = json.dumps(dict(response.headers))
    leaked = [token for token in TOKENS if token in text or token in headers]
    for token in leaked:
        text = text.replace(token, "<the token>")
    assert not leaked, f"the answer ({response.status_code}) carries a bearer token: {text[:300]}"
    if response.status_code >= 400 and response.request.method != "HEAD":
        try:
            body = json.loads(text)
        except ValueError:
            raise AssertionError(f"a {response.status_code} answer that is not JSON: {text[:300]}") from None
        assert (
            isinstance(body, dict) and list(body) == ["error"] and isinstance(body["error"], dict)
            and set(body["error"]) == {"code", "message"}
            and all(isinstance(body["error"][k], str) for k in ("code", "message"))
        ), f"a {response.status_code} answer not in the error shape: {text[:300]}"
    return None


@dataclass(frozen=True)
class World:
    """The fuzz stack, one signed-in caller per role, and the ids of the seeded data."""

    stack: LocalStack
    headers: dict[str, dict[str, str]]
    seeded: dict[str, list[str]]

    def call(self, method: str, path: str, role: str, body: Any = None, key: str | None = None) -> Any:
        h = dict(self.headers[role])
        if key is not None:
            h["Idempotency-Key"] = key
        r = requests.request(method, self.stack.base_url + path, json=body, headers=h, timeout=60)
        assert r.status_code in (200, 201), f"seeding {method} {path}: {r.status_code} {r.text}"
        return r.json()


def long_lived_token(stack: LocalStack, role: str, sub: str, merchant_id: str | None = None) -> str:
    """A token that outlives a long soak (the stack's usual ones last an hour)."""
    return mint(role, sub, merchant_id=merchant_id, ttl=TOKEN_TTL, state_dir=stack.state_dir)


def kst_month(offset: int = 0) -> str:
    """This KST month moved by `offset` months."""
    now = datetime.now(UTC).astimezone(KST)
    index = now.year * 12 + now.month - 1 + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of this module's own: what the fuzzing does to it must not reach the shared one."""
    running = launch(tmp_path_factory.mktemp("fuzz-stack"))
    try:
        yield running
    finally:
        shut_down(running)


@pytest.fixture(scope="module")
def world(fuzz_stack: LocalStack) -> World:
    """Real data for the generated requests to hit, made the way the apps would make it."""
    staff = {"Authorization": f"Bearer {long_lived_token(fuzz_stack, 'staff', 'fuzz-clerk')}"}
    r = requests.post(f"{fuzz_stack.base_url}/staff/merchants", headers=staff, timeout=60, json={
        "name": "퍼즈 분식", "business_number": business_number(9000), "dong": DONG, "category": "restaurant",
        "benefit_plus": True, "discount_rate": 5, "malls": ["only-seogu"],
        "delivery": {"fee": 2_000, "min_order": 0, "dongs": [DONG]},
    })
    assert r.status_code == 201, r.text
    merchant_id = r.json()["merchant_id"]
    headers = {
        "resident": {"Authorization": f"Bearer {long_lived_token(fuzz_stack, 'resident', 'fuzz-resident')}"},
        "merchant": {"Authorization": f"Bearer {long_lived_token(fuzz_stack, 'merchant', 'fuzz-owner', merchant_id)}"},
        "staff": staff,
    }
    TOKENS.update(h["Authorization"].removeprefix("Bearer ") for h in headers.values())
    w = World(fuzz_stack, headers, {})
    w.call("PUT", "/merchant/menu", "merchant",
           {"items": [{"item_id": ITEM, "name": "떡볶이", "price": 4_500, "available": True}]})
    w.call("PUT", f"/merchant/products/{PRODUCT}", "merchant",
           {"mall": "only-seogu", "name": "서구 쌀 10kg", "price": 30_000, "stock": 1_000, "shipping_fee": 3_000})
    w.call("POST", "/wallet", "resident", {"dong": DONG, "agree_terms": True})
    w.call("POST", "/wallet/charges", "resident", {"amount": 500_000}, key="fuzz-seed-charge")
    payment = w.call("POST", "/payments", "resident", {"merchant_id": merchant_id, "amount": 10_000},
                     key="fuzz-seed-payment")
    order = w.call("POST", "/orders", "resident",
                   {"merchant_id": merchant_id, "items": [{"item_id": ITEM, "quantity": 2}], "address": "청라동 1-1"},
                   key="fuzz-seed-order")
    mall_order = w.call("POST", "/mall/orders", "resident", {
        "mall": "only-seogu", "items": [{"product_id": PRODUCT, "quantity": 1}],
        "shipping": {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"},
        "consent": {"third_party_provision": True, "version": "2020-01"},
    }, key="fuzz-seed-mall-order")
    post_id = publish_notices(w)
    seeded = {
        "post_id": [post_id],
        "merchant_id": [merchant_id],
        "payment_id": [payment["payment_id"]],
        "order_id": [order["order_id"], mall_order["order_id"]],
        "campaign_id": SEEDED_CAMPAIGNS,
        "month": [kst_month(), kst_month(-1), kst_month(-2), kst_month(1)],
        "mall": ["only-seogu", "yumyum"],
        "dong": [DONG],
        "item_id": [ITEM],
        "product_id": [PRODUCT],
    }
    return World(fuzz_stack, headers, seeded)


def publish_notices(w: World) -> str:
    """A current disaster alert and a rejected upload, through the notices bucket as staff publish them;
    the post's id once both are processed."""
    s3 = w.stack.client("s3")
    s3.put_object(Bucket=NOTICES_BUCKET, Key="notices/fuzz-alert.md", Body=(
        f"---\ntitle: 단수 안내\ncategory: disaster\ndongs: [{DONG}]\npinned: true\n---\n\n"
        "# 단수\n- 오늘 **14시**까지, [안내](https://www.seo.incheon.kr)\n").encode())
    s3.put_object(Bucket=NOTICES_BUCKET, Key="notices/fuzz-typo.md", Body=b"---\ntitle: x\npined: true\n---\n")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        items = w.call("GET", "/staff/notices", "staff")["items"]
        if len(items) == 2 and all(item["status"] != "scheduled" for item in items):
            return str(next(item["post_id"] for item in items if item["status"] == "published"))
        time.sleep(0.3)
    pytest.fail("the notice uploads were not processed within 60 s")


def pick(value: Any, choices: list[str]) -> str | None:
    """One of `choices` for about half of the generated values, chosen by the value itself, so that
    hypothesis replaying a case (to shrink it) sends the same request."""
    digest = zlib.crc32(repr(value).encode())
    return choices[(digest // 2) % len(choices)] if digest % 2 == 0 else None


def aim(case: FuzzCase, world: World) -> None:
    """Point a valid fuzzed case's ids (path and body, items included) at the seeded data about half of the time."""
    for name, value in list(case.path_parameters.items() if case.path_parameters else []):
        if name in world.seeded and (real := pick(value, world.seeded[name])) is not None:
            case.path_parameters[name] = real
    body = case.body
    targets: list[dict[str, Any]] = [body] if isinstance(body, dict) else []
    lines = body.get("items") if isinstance(body, dict) else None
    if isinstance(lines, list):
        targets += [line for line in lines if isinstance(line, dict)]
    for target in targets:
        for name in [n for n in target if n in world.seeded]:
            if (real := pick(target[name], world.seeded[name])) is not None:
                target[name] = real


def headers_of(world: World, role: str) -> dict[str, str]:
    return world.headers.get(role, {})  # "anonymous": no token


def test_the_stack_serves_the_document_that_is_fuzzed(world: World) -> None:
    r = requests.get(f"{world.stack.base_url}/openapi.json", timeout=60)
    assert r.status_code == 200, r.text
    assert r.json() == DOCUMENT


def send_and_check(case: FuzzCase, world: World, role: str) -> None:
    meta = case.meta
    if meta is not None and meta.phase.name == "fuzzing" and meta.generation.mode.is_positive:
        aim(case, world)  # not an invalid case: a real id could replace the very value that made it invalid
    try:
        case.call_and_validate(base_url=world.stack.base_url, headers=headers_of(world, role), excluded_checks=EXCLUDED)
    except BaseException as exc:
        exc.add_note(f"called as {role}; reproduce the run with FUZZ_SEED={SEED} FUZZ_EXAMPLES={EXAMPLES}")
        raise
    finally:
        if (case.method, case.operation.path) == ("PUT", "/_local/clock"):
            world.stack.reset_clock()  # later cases run at real time, as the seeded data did


@SCHEMAS["resident"].parametrize()
def test_generated_requests_as_a_resident_get_a_documented_answer(case: FuzzCase, world: World) -> None:
    send_and_check(case, world, "resident")


@SCHEMAS["merchant"].parametrize()
def test_generated_requests_as_a_merchant_get_a_documented_answer(case: FuzzCase, world: World) -> None:
    send_and_check(case, world, "merchant")


@SCHEMAS["staff"].parametrize()
def test_generated_requests_as_staff_get_a_documented_answer(case: FuzzCase, world: World) -> None:
    send_and_check(case, world, "staff")


@SCHEMAS["anonymous"].parametrize()
def test_generated_requests_without_a_token_get_a_documented_answer(case: FuzzCase, world: World) -> None:
    send_and_check(case, world, "anonymous")


@pytest.mark.parametrize("role", ROLES)
def test_stateful_sequences_along_the_inferred_links_get_documented_answers(world: World, role: str) -> None:
    """schemathesis' stateful phase: requests chained by the links it infers (an id one answer returns, used
    by the next request), STATEFUL_EXAMPLES sequences of up to 6 steps per caller."""

    class Sequences(SCHEMAS[role].as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: FuzzCase) -> dict[str, Any]:
            return {"base_url": world.stack.base_url, "headers": headers_of(world, role)}

        def validate_response(self, response: Response, case: FuzzCase, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            case.validate_response(response, excluded_checks=EXCLUDED, transport_kwargs=kwargs)

        def after_call(self, response: Response, case: FuzzCase) -> None:
            if (case.method, case.operation.path) == ("PUT", "/_local/clock"):
                world.stack.reset_clock()

    try:
        Sequences.run(settings=hypothesis.settings(
            max_examples=STATEFUL_EXAMPLES, stateful_step_count=6, deadline=None, database=None,
            derandomize=True, suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        ))
    except BaseException as exc:
        exc.add_note(f"called as {role}; reproduce with FUZZ_STATEFUL_EXAMPLES={STATEFUL_EXAMPLES}")
        raise


@pytest.mark.parametrize("operation", GUARDED, ids=[op.label for op in GUARDED])
def test_callers_of_another_role_or_without_a_valid_token_are_refused_in_the_error_shape(
    operation: Operation, world: World
) -> None:
    group = operation.definition.raw["x-role"]
    allowed = set(ROLE_OF_GROUP.values()) if group == SIGNED_IN else {ROLE_OF_GROUP[group]}
    refused: list[tuple[str, dict[str, str], int, str]] = [
        ("no token", {}, 401, "UNAUTHORIZED"),
        ("a forged token", {"Authorization": f"Bearer {FORGED}"}, 401, "UNAUTHORIZED"),
    ]
    refused += [(role, world.headers[role], 403, "FORBIDDEN") for role in sorted(set(world.headers) - allowed)]
    case = operation.Case(
        path_parameters={p.name: "fuzz" for p in operation.path_parameters},
        headers={"Idempotency-Key": "fuzz-refused"} if "Idempotency-Key" in operation.headers else None,
        body={} if len(operation.body) else NOT_SET,
    )
    for caller, headers, status, code in refused:
        response = case.call(base_url=world.stack.base_url, headers=headers)
        case.validate_response(response, excluded_checks=EXCLUDED)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), f"{caller}: {response.text}"
