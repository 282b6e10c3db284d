"""Helpers of the bad-input tests (test_bad_input.py, test_bad_input_text.py): a world to aim at, a snapshot, a table run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support import BIZ, Env, new_key

PAYER = "payer-1"
NEWCOMER = "newcomer-1"
OWNER = "owner-1"


def assert_error(status: int, body: Any, expected_status: int, code: str) -> None:
    assert status == expected_status, body
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body


@dataclass
class World:
    """A resident with money and one payment at a merchant, so every money-moving route has a target."""

    merchant_id: str
    payment_id: str


def make_world(env: Env) -> World:
    env.open_wallet(PAYER, charge=50_000)
    merchant_id = env.register_merchant(number=BIZ[0], benefit_plus=True, rate=5)
    status, paid = env.pay(PAYER, merchant_id, 10_000)
    assert status == 201, paid
    return World(merchant_id, paid["payment_id"])


def snapshot(env: Env, *also: str) -> dict[str, Any]:
    """What a bad request could have touched: always the payer's wallet, payments and bank transfers;
    `also` adds "merchants", "policy" or "newcomer" (whether NEWCOMER has a wallet)."""
    status, payments = env.call("GET", "/payments?limit=100", role="resident", sub=PAYER)
    assert status == 200, payments
    state: dict[str, Any] = {
        "wallet": env.wallet(PAYER),
        "payments": payments,
        "transfers": dict(env.bank.transfers),
        "cancelled": set(env.bank.cancelled),
    }
    if "merchants" in also:
        state["merchants"] = env.call("GET", "/merchants?limit=100", role="staff", sub="staff1")
    if "policy" in also:  # the policy in force in June, the month the bad PUTs aim at
        now = env.clock.instant
        env.clock.set(datetime(2020, 6, 15, 3, tzinfo=UTC))
        state["policy"] = env.call("GET", "/policies/current", role="staff", sub="staff1")
        env.clock.set(now)
    if "newcomer" in also:
        state["newcomer"] = env.call("GET", "/wallet", role="resident", sub=NEWCOMER)[0]
    return state


def send(env: Env, method: str, path: str, role: str, payload: bytes, *, key: str | None = "fresh",
         merchant_id: str | None = None, sub: str = PAYER) -> tuple[int, Any]:
    """A request with an exact byte body (possibly not UTF-8, possibly not JSON)."""
    headers = env.headers(role, sub, merchant_id, new_key() if key == "fresh" else key)
    r = env.client.http.request(method, path, headers=headers, body=payload)
    try:
        body = json.loads(r.body) if r.body else None
    except ValueError:
        body = r.body
    return r.status_code, body


def as_bytes(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()


def run_table(env: Env, subtests: pytest.Subtests, method: str, path: str, role: str,
              cases: list[tuple[str, Any]], *, merchant_id: str | None = None, sub: str = PAYER,
              watch: tuple[str, ...] = ()) -> None:
    """Each bad body → 400 VALIDATION_ERROR, and afterwards nothing anywhere has changed."""
    before = snapshot(env, *watch)
    for label, body in cases:
        with subtests.test(msg=f"{method} {path}: {label}"):
            status, out = send(env, method, path, role, as_bytes(body), merchant_id=merchant_id, sub=sub)
            after = snapshot(env, *watch)
            changed, before = after != before, after  # one leak must not fail the cases after it
            assert_error(status, out, 400, "VALIDATION_ERROR")
            assert not changed, "a refused request must have no effect"
