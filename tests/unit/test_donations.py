"""서로도움: campaigns, one-off gifts (atomic, idempotent), automatic gifts at settlement (once per
resident-month) and statements. The tax id and the tax-service export: test_tax_ids.py."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from chalicelib import composition
from chalicelib.domain.months import KST, kst_iso
from chalicelib.domain.shards import shard_of
from chalicelib.handlers import settlement
from tests import support
from tests.support import BIZ, Env, die_after_next_commit, new_key

RRN = "900101-1234568"
RRN_DIGITS = "9001011234568"


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=KST)


def grant_cashback(env: Env, sub: str, amount: int) -> None:
    support.grant_cashback(env.repos, sub, amount, kst_iso(env.clock.now()))


def settle(env: Env, month: str) -> dict[str, Any]:
    return env.settle(month)


def drain(env: Env) -> None:
    env.drain()


def give(env: Env, sub: str, amount: Any, campaign: str | None = None, key: str | None = None) -> tuple[int, Any]:
    body: dict[str, Any] = {"amount": amount}
    if campaign is not None:
        body["campaign_id"] = campaign
    return env.call("POST", "/donations", role="resident", sub=sub, body=body, key=key or new_key())


def campaign(env: Env, campaign_id: str) -> dict[str, Any]:
    status, body = env.call("GET", f"/campaigns/{campaign_id}", role="resident", sub="reader")
    assert status == 200, body
    return dict(body)


def statement(env: Env, sub: str, year: int, **query: Any) -> dict[str, Any]:
    qs = "&".join(f"{k}={v}" for k, v in {"year": year, **query}.items())
    status, body = env.call("GET", f"/donations?{qs}", role="resident", sub=sub)
    assert status == 200, body
    return dict(body)


def put_tax_id(env: Env, sub: str, rrn: Any = RRN, consent: Any = True) -> tuple[int, Any]:
    return env.call("PUT", "/me/tax-id", role="resident", sub=sub, body={"rrn": rrn, "consent_nts": consent})


# ---- campaigns -------------------------------------------------------------------------------


def test_the_four_campaigns_of_the_article_are_seeded_and_staff_open_more(env: Env):
    status, body = env.call("GET", "/campaigns", role="merchant", sub="m", merchant_id="m-1")
    assert status == 200
    seeded = {c["campaign_id"]: c for c in body["items"]}
    assert set(seeded) == {"solitary-elderly", "severe-disability", "rare-disease-children", "single-mother-families"}
    assert all(c["raised"] == 0 and c["donors"] == 0 and c["active"] for c in seeded.values())

    env.clock.set(at(2020, 3, 11))
    status, made = env.call("POST", "/staff/campaigns", role="staff", sub="clerk",
                            body={"title": "  겨울철 연탄 나눔 ", "category": "winter-heating", "target": 5_000_000})
    assert status == 201, made
    assert made["title"] == "겨울철 연탄 나눔" and made["raised"] == 0 and made["active"] is True
    assert campaign(env, made["campaign_id"])["target"] == 5_000_000
    status, body = env.call("GET", "/campaigns?limit=2", role="resident", sub="r")
    assert status == 200 and len(body["items"]) == 2 and body["next"]
    status, rest = env.call("GET", f"/campaigns?limit=100&next={body['next']}", role="resident", sub="r")
    assert [c["campaign_id"] for c in body["items"] + rest["items"]][-1] == made["campaign_id"]


def test_only_staff_open_campaigns_and_bad_campaign_bodies_are_refused(env: Env):
    good = {"title": "t", "category": "c", "target": 1_000}
    assert env.call("POST", "/staff/campaigns", role="resident", sub="r", body=good)[0] == 403
    assert env.call("POST", "/staff/campaigns", body=good)[0] == 401
    for bad in ({**good, "target": "1000"}, {**good, "target": 0}, {**good, "category": "x" * 41},
                {"title": "t", "category": "c"}, {**good, "raised": 5}):
        status, body = env.call("POST", "/staff/campaigns", role="staff", sub="s", body=bad)
        assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR", bad
    assert env.call("GET", "/campaigns/no-such-campaign", role="resident", sub="r")[0] == 404


# ---- one-off donations -----------------------------------------------------------------------


def test_a_donation_moves_cashback_to_the_campaign_and_counts_each_donor_once(env: Env):
    env.open_wallet("alice", charge=50_000)
    env.open_wallet("bob")
    grant_cashback(env, "alice", 5_000)
    grant_cashback(env, "bob", 1_000)
    status, body = give(env, "alice", 1_500, "solitary-elderly")
    assert status == 201, body
    assert body["amount"] == 1_500 and body["campaign_id"] == "solitary-elderly"
    assert body["cashback_balance"] == 3_500 and body["kind"] == "one-off"
    assert give(env, "alice", 500, "solitary-elderly")[0] == 201
    assert give(env, "bob", 1_000, "solitary-elderly")[0] == 201
    c = campaign(env, "solitary-elderly")
    assert (c["raised"], c["donors"]) == (3_000, 2)
    alice = env.wallet("alice")
    assert (alice["charged_balance"], alice["cashback_balance"]) == (50_000, 3_000)
    assert env.wallet("bob")["cashback_balance"] == 0
    # every balance still equals the sum of its movements
    movements = env.repos.wallets.movements("alice")
    assert sum(m.d_cashback for m in movements) == 3_000 and sum(m.d_charged for m in movements) == 50_000


def test_a_donation_without_a_campaign_goes_to_the_general_fund(env: Env):
    env.open_wallet("alice")
    grant_cashback(env, "alice", 800)
    status, body = give(env, "alice", 300)
    assert status == 201 and body["campaign_id"] is None and body["category"] == "general"
    assert env.repos.campaigns.totals("general") == (300, 1)
    assert all(campaign(env, cid)["raised"] == 0 for cid in ("solitary-elderly", "severe-disability"))


def test_refused_donations_leave_no_trace(env: Env):
    env.open_wallet("alice", charge=100_000)
    grant_cashback(env, "alice", 500)
    before = support.stored_items(env)
    cases = [
        (give(env, "alice", 600, "solitary-elderly"), 409, "INSUFFICIENT_FUNDS"),  # charged money is not donatable
        (give(env, "alice", 99), 400, "VALIDATION_ERROR"),
        (give(env, "alice", "100"), 400, "VALIDATION_ERROR"),
        (give(env, "alice", True), 400, "VALIDATION_ERROR"),
        (give(env, "alice", 10**12), 400, "VALIDATION_ERROR"),
        (give(env, "alice", 100, "no-such-campaign"), 404, "NOT_FOUND"),
        (give(env, "nobody", 100), 404, "NOT_FOUND"),
        (env.call("POST", "/donations", role="resident", sub="alice", body={"amount": 100}), 400, "VALIDATION_ERROR"),
        (env.call("POST", "/donations", role="merchant", sub="m", merchant_id="m-1", body={"amount": 100},
                  key=new_key()), 403, "FORBIDDEN"),
        (env.call("POST", "/donations", role="resident", sub="alice", raw='{"amount": 100', key=new_key()), 400,
         "VALIDATION_ERROR"),
    ]
    for (status, body), want_status, want_code in cases:
        assert (status, body["error"]["code"]) == (want_status, want_code), body
    assert support.stored_items(env) == before
    assert env.wallet("alice")["cashback_balance"] == 500


def test_a_closed_campaign_refuses_gifts_until_staff_reopen_it(env: Env):
    env.open_wallet("alice")
    grant_cashback(env, "alice", 1_000)
    status, body = env.call("POST", "/staff/campaigns/severe-disability/close", role="staff", sub="s")
    assert status == 200 and body["active"] is False
    status, body = give(env, "alice", 100, "severe-disability")
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert env.call("POST", "/staff/campaigns/severe-disability/reopen", role="staff", sub="s")[0] == 200
    assert give(env, "alice", 100, "severe-disability")[0] == 201
    assert env.call("POST", "/staff/campaigns/nope/close", role="staff", sub="s")[0] == 404


def test_the_same_key_replays_the_first_donation_and_another_body_is_refused(env: Env):
    env.open_wallet("alice")
    grant_cashback(env, "alice", 2_000)
    first = give(env, "alice", 700, "rare-disease-children", key="gift-1")
    again = give(env, "alice", 700, "rare-disease-children", key="gift-1")
    assert first[0] == again[0] == 201 and first[1] == again[1]
    status, body = give(env, "alice", 900, "rare-disease-children", key="gift-1")
    assert (status, body["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert env.wallet("alice")["cashback_balance"] == 1_300
    assert campaign(env, "rare-disease-children")["raised"] == 700
    assert statement(env, "alice", 2020)["count"] == 1


def test_a_transaction_cancelled_by_a_condition_writes_nothing_and_the_retry_gives_once(env: Env):
    """The first attempt is told the resident never gave to the campaign, so its donor marker's
    'does not exist' condition fails in DynamoDB: the whole transaction must be cancelled, and the
    retry (reading the truth) must give exactly once and not count the donor twice."""
    env.open_wallet("alice")
    grant_cashback(env, "alice", 5_000)
    assert give(env, "alice", 1_000, "solitary-elderly")[0] == 201
    r = env.repos
    seen: list[str] = []

    class LyingDonations:
        """The first attempt is told the resident never gave to this campaign."""

        def __getattr__(self, name: str) -> Any:
            return getattr(r.donations, name)

        def want_gave(self, batch: Any, user_id: str, target: str) -> Any:
            return batch.slot(False) if not seen else r.donations.want_gave(batch, user_id, target)

    class WatchedStore:
        def batch(self) -> Any:
            return r.store.batch()

        def tx(self) -> Any:
            real = r.store.tx()

            class Watched:
                def add(self, write: Any) -> None:
                    real.add(write)

                def commit(self) -> None:
                    try:
                        real.commit()
                        seen.append("committed")
                    except Exception as exc:
                        seen.append(type(exc).__name__)
                        wallet, _ = support.read_wallet("alice")
                        assert wallet.cashback_balance == 4_000  # untouched
                        assert r.donations.years(["alice"], "2020")["alice"].total == 1_000
                        assert r.campaigns.totals("solitary-elderly") == (1_000, 1)
                        raise

            return Watched()

    composition.amend(repos=r.replace(donations=LyingDonations(), store=WatchedStore()))
    status, body = give(env, "alice", 400, "solitary-elderly")
    assert status == 201, body
    assert seen == ["Contention", "committed"]
    c = campaign(env, "solitary-elderly")
    assert (c["raised"], c["donors"]) == (1_400, 1)
    assert env.wallet("alice")["cashback_balance"] == 3_600


# ---- statements ------------------------------------------------------------------------------


def test_the_statement_lists_a_years_gifts_with_the_total_and_the_tax_credit_estimate(env: Env):
    env.clock.set(at(2020, 12, 31, 23))  # 23:00 KST on New Year's Eve still belongs to 2020
    env.open_wallet("alice")
    grant_cashback(env, "alice", 20_000)
    assert give(env, "alice", 1_000, "solitary-elderly")[0] == 201
    env.clock.set(datetime(2020, 12, 31, 23, 30, tzinfo=KST))
    assert give(env, "alice", 333)[0] == 201
    env.clock.set(at(2021, 1, 1, 0))
    assert give(env, "alice", 5_000, "single-mother-families")[0] == 201

    year = statement(env, "alice", 2020)
    assert (year["total"], year["count"], year["tax_credit_estimate"]) == (1_333, 2, 199)
    assert year["by_campaign"] == {"solitary-elderly": 1_000, "general": 333}
    assert [d["amount"] for d in year["items"]] == [1_000, 333] and year["next"] is None
    page = statement(env, "alice", 2020, limit=1)
    assert len(page["items"]) == 1 and page["total"] == 1_333 and page["next"]
    rest = statement(env, "alice", 2020, limit=1, next=page["next"])
    assert rest["items"][0]["amount"] == 333
    assert statement(env, "alice", 2021)["by_category"] == {"single-mother-families": 5_000}
    assert statement(env, "bob", 2020)["items"] == []
    # another resident's cursor is refused
    status, _body = env.call("GET", f"/donations?year=2020&next={page['next']}", role="resident", sub="bob")
    assert status == 400
    assert env.call("GET", "/donations?year=1999", role="resident", sub="alice")[0] == 400


# ---- automatic donations at settlement -------------------------------------------------------


def put_auto(env: Env, sub: str, **body: Any) -> tuple[int, Any]:
    return env.call("PUT", "/donations/auto", role="resident", sub=sub, body=body)


def test_the_automatic_donation_runs_once_per_month_even_when_the_settlement_runs_again(env: Env):
    env.clock.set(at(2020, 3, 2))
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("alice", charge=500_000)
    env.open_wallet("bob", charge=500_000)
    env.open_wallet("carol")
    grant_cashback(env, "carol", 2_500)  # carol spends nothing but gives a fixed amount
    assert put_auto(env, "alice", mode="all", campaign_id="solitary-elderly")[0] == 200
    status, body = put_auto(env, "carol", mode="fixed", amount=1_000)
    assert status == 200 and body == {"mode": "fixed", "amount": 1_000, "campaign_id": None,
                                      "updated_at": body["updated_at"]}
    assert env.pay("alice", shop, 100_000)[0] == 201  # 4,000 + 1,000 cashback
    assert env.pay("bob", shop, 100_000)[0] == 201
    env.clock.set(at(2020, 4, 1, 1))

    first = settle(env, "2020-03")
    assert first["status"] == "completed" and first["books_balanced"] is True
    assert first["cashback_credited"] == 10_000 and first["auto_donations"] == 6_000
    assert env.wallet("alice")["cashback_balance"] == 0
    assert env.wallet("bob")["cashback_balance"] == 5_000
    assert env.wallet("carol")["cashback_balance"] == 1_500
    assert (campaign(env, "solitary-elderly")["raised"], campaign(env, "solitary-elderly")["donors"]) == (5_000, 1)
    assert env.repos.campaigns.totals("general") == (1_000, 1)

    again = settle(env, "2020-03")  # a staff re-run
    assert again["auto_donations"] == 6_000 and again["cashback_credited"] == 10_000
    assert again["books_balanced"] is True
    assert env.wallet("carol")["cashback_balance"] == 1_500
    assert campaign(env, "solitary-elderly")["raised"] == 5_000
    alice = statement(env, "alice", 2020)
    assert alice["count"] == 1 and alice["items"][0]["kind"] == "auto" and alice["items"][0]["month"] == "2020-03"

    # the next month: carol's fixed gift takes what is left, alice has nothing new to give
    env.clock.set(at(2020, 5, 1, 1))
    april = settle(env, "2020-04")
    assert april["auto_donations"] == 1_000 and env.wallet("carol")["cashback_balance"] == 500


def test_a_duplicate_shard_message_and_a_killed_worker_donate_nobody_twice(env: Env):
    env.clock.set(at(2020, 3, 2))
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("dora", charge=100_000)
    assert put_auto(env, "dora", mode="all")[0] == 200
    assert env.pay("dora", shop, 50_000)[0] == 201  # 2,000 + 500
    env.clock.set(at(2020, 4, 1, 1))
    assert env.call("POST", "/staff/settlements", role="staff", sub="c", body={"month": "2020-03"})[0] == 202
    run = env.repos.settlements.get_run("2020-03")
    assert run is not None
    message = json.dumps({"month": "2020-03", "run_id": run.run_id, "shard": shard_of("dora", 8)})
    die_after_next_commit()
    with pytest.raises(RuntimeError):
        settlement.process_message(message, lambda: 600_000)
    settlement.process_message(message, lambda: 600_000)
    settlement.process_message(message, lambda: 600_000)
    drain(env)
    _status, body = env.call("GET", "/staff/settlements/2020-03", role="staff", sub="c")
    assert body["auto_donations"] == 2_500 and body["books_balanced"] is True
    assert env.repos.campaigns.totals("general") == (2_500, 1)
    assert statement(env, "dora", 2020)["total"] == 2_500
    assert env.wallet("dora")["cashback_balance"] == 0


def test_an_automatic_gift_to_a_campaign_closed_since_goes_to_the_general_fund(env: Env):
    env.clock.set(at(2020, 3, 2))
    shop = env.register_merchant(number=BIZ[0])
    env.open_wallet("erin", charge=100_000)
    assert put_auto(env, "erin", mode="fixed", amount=100, campaign_id="rare-disease-children")[0] == 200
    assert env.pay("erin", shop, 20_000)[0] == 201  # 1,000 cashback
    assert env.call("POST", "/staff/campaigns/rare-disease-children/close", role="staff", sub="s")[0] == 200
    env.clock.set(at(2020, 4, 1, 1))
    assert settle(env, "2020-03")["auto_donations"] == 100
    gift = statement(env, "erin", 2020)["items"][0]
    assert gift["campaign_id"] is None and gift["category"] == "general"
    assert campaign(env, "rare-disease-children")["raised"] == 0


def test_the_automatic_donation_setting_is_validated_and_can_be_turned_off(env: Env):
    env.open_wallet("fay")
    for bad in ({"mode": "fixed"}, {"mode": "fixed", "amount": 99}, {"mode": "all", "amount": 1_000},
                {"mode": "sometimes"}, {"mode": "off", "campaign_id": "solitary-elderly"}, {"mode": "fixed",
                                                                                         "amount": "1000"}):
        status, body = put_auto(env, "fay", **bad)
        assert status == 400, bad
    assert put_auto(env, "fay", mode="all", campaign_id="nope")[0] == 404
    assert put_auto(env, "nobody", mode="all")[0] == 404
    assert put_auto(env, "fay", mode="all", campaign_id="severe-disability")[0] == 200
    status, body = env.call("GET", "/donations/auto", role="resident", sub="fay")
    assert body["mode"] == "all" and body["campaign_id"] == "severe-disability"
    assert put_auto(env, "fay", mode="off")[1]["mode"] == "off"
    status, body = env.call("GET", "/donations/auto", role="resident", sub="fay")
    assert body == {"mode": "off", "amount": None, "campaign_id": None, "updated_at": None}
