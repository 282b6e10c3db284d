"""The OpenAPI document covers every route the app registers; the movable clock exists in stage
`local` only, for staff only, and moves what the rest of the app reads as "now".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from chalicelib import composition
from chalicelib.clock import FileClock
from tests.support import Env

KST = timezone(timedelta(hours=9))
LOCAL_ONLY_PREFIX = "/_local/"
IDEMPOTENT_POSTS = ("/wallet/charges", "/payments", "/merchant/payments/{payment_id}/refunds")
PUBLIC = {("/health", "GET"), ("/openapi.json", "GET")}
RESIDENT = "res-1"


def assert_error(status: int, body: Any, expected_status: int, code: str) -> None:
    assert status == expected_status, body
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body


def registered_routes() -> set[tuple[str, str]]:
    """(path, METHOD) for every route the Chalice app has, read from the app itself."""
    from app import app

    return {(path, method.upper()) for path, methods in app.routes.items() for method in methods}


def documented_routes(doc: dict[str, Any]) -> set[tuple[str, str]]:
    verbs = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return {(path, method.upper()) for path, item in doc["paths"].items() for method in item if method in verbs}


def openapi(env: Env) -> dict[str, Any]:
    status, doc = env.call("GET", "/openapi.json")
    assert status == 200, doc
    result: dict[str, Any] = doc
    return result


def use_stage(env: Env, stage: str, clock_file: Path | None = None) -> None:
    """Rebuild the app's container for `stage`, on the same store and fakes, with the clock the stage builds."""
    settings = dataclasses.replace(
        env.container.settings, stage=stage, local_clock_file=str(clock_file) if clock_file else None
    )
    kept = {name: part for name, part in env.container.overrides.items() if name != "clock"}
    composition.override(**{**kept, "settings": settings})


@pytest.fixture
def local(env: Env, tmp_path: Path) -> Iterator[Path]:
    """Stage `local` with its file clock (composition builds it from the settings), starting at real time."""
    clock_file = tmp_path / "clock.json"
    use_stage(env, "local", clock_file)
    assert isinstance(env.container.clock, FileClock)
    yield clock_file


def real_month() -> str:
    return datetime.now(UTC).astimezone(KST).strftime("%Y-%m")


def wallet_month(env: Env) -> str:
    month: str = env.wallet(RESIDENT)["month"]["month"]
    return month


# ---- the document --------------------------------------------------------------------------------


def test_the_openapi_document_needs_no_token_and_is_openapi_3(env: Env) -> None:
    doc = openapi(env)
    assert str(doc["openapi"]).startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["paths"]


def test_every_registered_route_is_documented_with_its_method(env: Env) -> None:
    expected = {(p, m) for p, m in registered_routes() if not p.startswith(LOCAL_ONLY_PREFIX)}
    documented = documented_routes(openapi(env))
    missing = expected - documented
    assert not missing, f"undocumented routes: {sorted(missing)}"
    phantom = documented - registered_routes()
    assert not phantom, f"documented routes the app does not have: {sorted(phantom)}"


def test_in_stage_local_every_route_is_documented_including_the_clock(env: Env, local: Path) -> None:
    documented = documented_routes(openapi(env))
    assert registered_routes() == documented
    assert {("/_local/clock", "PUT"), ("/_local/clock", "DELETE")} <= documented


@pytest.mark.parametrize("stage", ["test", "prod", "dev"])
def test_outside_stage_local_the_document_does_not_list_the_clock(env: Env, stage: str) -> None:
    use_stage(env, stage)
    doc = openapi(env)
    assert not [p for p in doc["paths"] if p.startswith(LOCAL_ONLY_PREFIX)]


def test_every_documented_operation_declares_its_path_parameters_security_and_idempotency_key(
    env: Env,
) -> None:
    doc = openapi(env)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            params = op.get("parameters", [])
            in_path = {p["name"] for p in params if p["in"] == "path"}
            assert in_path == set(re.findall(r"{(\w+)}", path)), (method, path)
            assert op.get("responses"), (method, path)
            if (path, method.upper()) not in PUBLIC:
                assert op.get("security") or doc.get("security"), f"{method} {path} shows no auth"
            headers = {p["name"].lower(): p for p in params if p["in"] == "header"}
            if method == "post" and path in IDEMPOTENT_POSTS:
                assert headers.get("idempotency-key", {}).get("required") is True, path


def test_the_document_is_the_same_for_a_signed_in_caller(env: Env) -> None:
    anonymous = openapi(env)
    status, signed_in = env.call("GET", "/openapi.json", role="resident", sub=RESIDENT)
    assert status == 200 and signed_in == anonymous


def test_health_needs_no_token_and_names_the_stage(env: Env) -> None:
    assert env.call("GET", "/health") == (200, {"status": "ok", "stage": "test"})
    use_stage(env, "prod")
    assert env.call("GET", "/health") == (200, {"status": "ok", "stage": "prod"})


# ---- the local clock ----------------------------------------------------------------------------


def test_in_stage_local_staff_move_the_clock_and_the_wallet_month_follows(env: Env, local: Path) -> None:
    env.open_wallet(RESIDENT)
    assert wallet_month(env) == real_month()

    status, out = env.call("PUT", "/_local/clock", role="staff", sub="staff1",
                           body={"now": "2020-05-15T10:00:00+09:00"})
    assert status == 200, out
    assert out["now"].startswith("2020-05-15T10:00"), out
    assert wallet_month(env) == "2020-05"

    # Every local process sees it: the clock lives in the shared file, not in this process.
    assert abs(FileClock(local).now() - datetime(2020, 5, 15, 1, 0, tzinfo=UTC)) < timedelta(minutes=1)

    status, out = env.call("PUT", "/_local/clock", role="staff", sub="staff1",
                           body={"now": "2020-06-30T15:30:00Z"})  # 1 July, 00:30 KST
    assert status == 200, out
    assert wallet_month(env) == "2020-07"

    status, out = env.call("DELETE", "/_local/clock", role="staff", sub="staff1")
    assert status == 200, out
    assert wallet_month(env) == real_month()
    assert abs(FileClock(local).now() - datetime.now(UTC)) < timedelta(minutes=1)


def test_in_stage_local_the_clock_runs_on_from_where_it_was_set(env: Env, local: Path) -> None:
    status, out = env.call("PUT", "/_local/clock", role="staff", sub="staff1",
                           body={"now": "2020-05-31T23:59:59+09:00"})
    assert status == 200, out
    moved = FileClock(local).now()
    assert datetime(2020, 5, 31, 14, 59, 59, tzinfo=UTC) <= moved < datetime(2020, 5, 31, 15, 1, tzinfo=UTC)


def test_in_stage_local_a_non_staff_token_may_not_touch_the_clock(
    env: Env, local: Path, subtests: pytest.Subtests
) -> None:
    env.open_wallet(RESIDENT)
    body = {"now": "2020-05-15T10:00:00+09:00"}
    for role, merchant_id in (("resident", None), ("merchant", "m-1")):
        for method in ("PUT", "DELETE"):
            with subtests.test(msg=f"{role} {method}"):
                status, out = env.call(method, "/_local/clock", role=role, sub=f"{role}-x",
                                       merchant_id=merchant_id, body=body if method == "PUT" else None)
                assert_error(status, out, 403, "FORBIDDEN")
    with subtests.test(msg="no token"):
        status, out = env.call("PUT", "/_local/clock", body=body)
        assert_error(status, out, 401, "UNAUTHORIZED")
    assert not local.exists(), "a refused request must not move the clock"
    assert wallet_month(env) == real_month()


def test_in_stage_local_a_bad_clock_body_is_refused(env: Env, local: Path, subtests: pytest.Subtests) -> None:
    for label, body in (("no offset", {"now": "2020-05-15T10:00:00"}), ("not a time", {"now": "yesterday"}),
                        ("a number", {"now": 1589504400}), ("missing", {}),
                        ("unknown field", {"now": "2020-05-15T10:00:00+09:00", "speed": 2})):
        with subtests.test(msg=label):
            status, out = env.call("PUT", "/_local/clock", role="staff", sub="staff1", body=body)
            assert_error(status, out, 400, "VALIDATION_ERROR")
    assert not local.exists()


def test_in_stage_local_a_time_outside_the_years_2000_to_2999_is_refused_and_the_clock_stays_usable(
    env: Env, local: Path, subtests: pytest.Subtests
) -> None:
    """Found by the schema fuzzing: year 1 or 9999 was stored, and then every request reading the clock
    (and the local runner) failed with a 500 until someone reset it."""
    env.open_wallet(RESIDENT)
    for label, now in (("year 1", "0001-01-01T00:00:00+09:00"), ("year 9999, west of UTC", "9999-12-31T23:59:59-09:00"),
                       ("1999 in KST", "1999-12-31T23:59:59+09:00"), ("3000 in KST", "2999-12-31T15:00:00Z")):
        with subtests.test(msg=label):
            status, out = env.call("PUT", "/_local/clock", role="staff", sub="staff1", body={"now": now})
            assert_error(status, out, 400, "VALIDATION_ERROR")
            assert not local.exists(), "a refused time must not move the clock"
            assert wallet_month(env) == real_month()
    for edge in ("2000-01-01T00:00:00+09:00", "2999-12-31T00:00:00+09:00"):
        status, out = env.call("PUT", "/_local/clock", role="staff", sub="staff1", body={"now": edge})
        assert (status, out["now"][:16]) == (200, edge[:16]), out


@pytest.mark.parametrize("stage", ["test", "prod"])
def test_outside_stage_local_the_clock_routes_do_not_exist(env: Env, stage: str, tmp_path: Path) -> None:
    if stage != "test":
        use_stage(env, stage, tmp_path / "clock.json")  # even with a clock file configured
    env.open_wallet(RESIDENT)
    month = wallet_month(env)
    body = {"now": "2031-01-15T10:00:00+09:00"}
    for role in ("staff", "resident", None):
        status, out = env.call("PUT", "/_local/clock", role=role, sub="someone", body=body)
        assert_error(status, out, 404, "NOT_FOUND")
        status, out = env.call("DELETE", "/_local/clock", role=role, sub="someone")
        assert_error(status, out, 404, "NOT_FOUND")
    assert wallet_month(env) == month
    assert not (tmp_path / "clock.json").exists()
