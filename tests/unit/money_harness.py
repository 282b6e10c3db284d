"""The money invariants' harness (test_money_invariants.py): the district every example starts from, what the harness
itself knows of the money it moved, and the base of the machine (sending requests, the table's stream after every
step). The rules are in money_machine.py and money_rules_bank.py, the checks in money_checks.py."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from hypothesis import note
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, rule

from chalicelib.domain.months import KST, month_of
from chalicelib.storage.memory.cashout import MemoryCashouts
from tests.support import Env, new_key, stored_items

STOCK = 6
USERS = ("ann", "bob")
START = datetime(2020, 3, 27, 12, 0, tzinfo=KST)
MENU = {"items": [{"item_id": "tteok", "name": "떡볶이", "price": 4_500, "available": True}]}
SHIPPING = {"name": "홍길동", "phone": "010-1234-5678", "address": "인천 서구 청라동 1", "postcode": "22742"}
CONSENT = {"third_party_provision": True, "version": "2020-01"}
OK = range(200, 300)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class District:
    """What every example starts from: the app with four merchants registered once."""

    env: Env
    plain: str
    bplus: str
    kitchen: str
    seller: str
    tokens: dict[tuple[str, str, str | None], str] = field(default_factory=dict)
    snapshot: Any = None
    bank_snapshot: Any = None

    def call(self, method: str, path: str, role: str, sub: str, merchant_id: str | None = None, body: Any = None,
             key: str | None = None) -> tuple[int, Any]:
        """One request through the app, with a token minted once per caller (RSA signing is not cheap)."""
        token = self.tokens.get((role, sub, merchant_id))
        if token is None:
            token = self.tokens[role, sub, merchant_id] = self.env.token(role, sub, merchant_id)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        r = self.env.client.http.request(method, path, headers=headers,
                                         body=json.dumps(body).encode() if body is not None else b"")
        return r.status_code, json.loads(r.body) if r.body else None

    def owner(self, merchant_id: str) -> str:
        return f"owner-{merchant_id}"

    def take_snapshot(self) -> None:
        """Remember the district as it stands, the bank's records with it: every example starts from exactly this."""
        self.snapshot = stored_items(self.env)
        bank = self.env.bank
        self.bank_snapshot = (dict(bank.transfers), set(bank.cancelled), dict(bank.deposits))

    def reset(self) -> None:
        """The district's store as it was (stored values are immutable: a copy of the index is a copy of the
        store), its stream emptied (its records named the last example's writes), the bank's records as they were
        and the bank working, the clock wound back to the start."""
        table = self.env.repos.store
        with table.lock:  # type: ignore[attr-defined]
            table.items = dict(self.snapshot)  # type: ignore[attr-defined]
            table.stream.clear()  # type: ignore[attr-defined]
        bank = self.env.bank
        transfers, cancelled, deposits = self.bank_snapshot
        bank.transfers, bank.cancelled, bank.deposits = dict(transfers), set(cancelled), dict(deposits)
        bank.refuse_withdrawals.clear()
        bank.refuse_deposits.clear()
        bank.down = False
        self.env.clock.set(START)

    def store(self) -> dict[str, list[Any]]:
        """Everything stored, by kind (the key's first part: wallet, ledger, payment, ...): one read of the store."""
        kinds: dict[str, list[Any]] = {}
        for key, value in stored_items(self.env).items():
            kinds.setdefault(key[0], []).append(value)
        return kinds

    def items(self, kind: str) -> list[Any]:
        """Every stored value of one kind."""
        return self.store().get(kind, [])


@dataclass
class Sent:
    """A request sent with an Idempotency-Key and its answer, kept so a rule can send it again with the same key."""

    method: str
    path: str
    role: str
    sub: str
    merchant_id: str | None
    body: Any
    key: str
    status: int
    response: Any


@dataclass
class GiftBook:
    """A gift as the harness knows it: who sent it, how much, until when it is claimable, and what became of it
    (`sent`, `claimed` by `recipient`, `cancelled`, or `returned` by the sweep once its 72 hours were over)."""

    sender: str
    amount: int
    expires: datetime
    state: str = "sent"
    recipient: str | None = None


@dataclass
class Books:
    """What the harness itself knows, independently of the table."""

    charged_in: int = 0
    """Won the residents' own top-ups (201) took from their banks."""
    bank_start: int = 0
    """What the bank had taken for top-ups when the example began (the district's own)."""
    settled: dict[str, int] = field(default_factory=dict)   # month → the run's net cashback credited
    recovered: int = 0
    """What withdrawals took back for refunded cashback of settled months (from cashback, then kept back)."""
    mall_quantity: dict[str, int] = field(default_factory=dict)   # live mall order → quantity
    gifts: dict[str, GiftBook] = field(default_factory=dict)


def step(**strategies: Any) -> Callable[[F], F]:
    """A rule of the machine (hypothesis's `rule`, same arguments), after which the table's stream is handed to
    the automatic top-up, as Lambda does soon after every write."""

    def wrap(f: F) -> F:
        @functools.wraps(f)
        def run(self: MachineBase, *args: Any, **kwargs: Any) -> Any:
            result = f(self, *args, **kwargs)
            self.deliver_stream()
            return result

        return rule(**strategies)(run)  # type: ignore[no-any-return, no-untyped-call]

    return wrap


class MachineBase(RuleBasedStateMachine):
    """The district, its books, and how the rules reach the app."""

    def __init__(self, d: District) -> None:
        super().__init__()
        self.d = d
        d.reset()
        self.books = Books(bank_start=d.env.bank.settled_total())
        self.last: Sent | None = None
        self.tried: Sent | None = None
        """The last request sent with an Idempotency-Key, whatever its answer."""
        self.unanswered: Sent | None = None
        """The last payout the bank did not answer (503), for a retry with its key."""
        self.rerun = False
        self.stream_after = 0
        self.auto_on = False

    def teardown(self) -> None:
        bank = self.d.env.bank
        bank.refuse_withdrawals.clear()
        bank.refuse_deposits.clear()
        bank.down = False

    # ---- sending ----

    def send(self, method: str, path: str, role: str, sub: str, body: Any = None, *, merchant_id: str | None = None,
             keyed: bool = False, allowed: tuple[int, ...] = ()) -> tuple[int, Any]:
        key = new_key() if keyed else None
        status, out = self.d.call(method, path, role, sub, merchant_id, body, key)
        if currently_in_test_context():  # the steps of a failing example are printed with it
            note(f"{method} {path} {json.dumps(body, ensure_ascii=False)} as {sub} -> {status}")
        assert status in OK or status in allowed, (method, path, body, status, out)
        if key is not None:
            self.tried = Sent(method, path, role, sub, merchant_id, body, key, status, out)
            if status in OK:
                self.last = self.tried
        return status, out

    def unavailable(self) -> tuple[int, ...]:
        """503 is a possible answer of a request that asks the bank only while the bank is down."""
        return (503,) if self.d.env.bank.down else ()

    def month_now(self) -> str:
        return month_of(self.d.env.clock.now())

    # ---- the table's stream ----

    def deliver_stream(self, *, again: bool = False) -> None:
        """The stream's records since the last delivery (`again`: every record of the example, as a redelivery
        from the start) to the automatic top-up's function, which must fail none: a record that cannot be done now
        leaves its top-up in flight for the sweep."""
        cashouts = self.d.env.repos.cashouts
        assert isinstance(cashouts, MemoryCashouts)
        records, self.stream_after = cashouts.stream_records(0 if again else self.stream_after)
        if not records:
            return
        answer = self.d.env.client.lambda_.invoke("auto_charge", {"Records": records}).payload
        assert answer["batchItemFailures"] == [], answer
