"""선물하기: sending charged money with a claim code (shown once, replayed to the same key), claiming it,
cancelling it, the list, the throttle on unknown codes, and the claim code kept nowhere in clear. Races,
the 72-hour return and the sweep: test_gift_returns.py."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.bounds import CODE_PATTERN
from chalicelib.domain.errors import RateLimited
from chalicelib.domain.gifts import code_digest, format_code, normalise_code
from chalicelib.domain.ledger import balances_match
from chalicelib.web.schemas.common import ID_PATTERN
from tests import support
from tests.support import Env, change_month, change_wallet, new_key, race, stored_items

START = datetime(2020, 3, 10, 3, 0, tzinfo=UTC)   # 12:00 KST
CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def send(env: Env, sub: str, amount: Any = 10_000, message: Any = None, key: str | None = None) -> tuple[int, Any]:
    body: dict[str, Any] = {"amount": amount}
    if message is not None:
        body["message"] = message
    return env.call("POST", "/gifts", role="resident", sub=sub, body=body, key=key or new_key())


def sent(env: Env, sub: str, amount: int = 10_000, **kw: Any) -> dict[str, Any]:
    status, body = send(env, sub, amount, **kw)
    assert status == 201, body
    return dict(body)


def claim(env: Env, sub: str, code: Any, key: str | None = None) -> tuple[int, Any]:
    return env.call("POST", "/gifts/claim", role="resident", sub=sub, body={"claim_code": code}, key=key or new_key())


def cancel(env: Env, sub: str, gift_id: str, key: str | None = None) -> tuple[int, Any]:
    return env.call("POST", f"/gifts/{gift_id}/cancel", role="resident", sub=sub, key=key)


def listed(env: Env, sub: str, query: str = "") -> dict[str, Any]:
    status, body = env.call("GET", f"/gifts{query}", role="resident", sub=sub)
    assert status == 200, body
    return dict(body)


def kinds(env: Env, sub: str) -> list[tuple[str, int, int | None, int | None]]:
    return [(m.kind, m.d_charged, m.charged_after, m.cashback_after) for m in env.repos.wallets.movements(sub)]


def books_balance(env: Env, *subs: str) -> bool:
    return all(balances_match(w["charged_balance"], w["cashback_balance"], env.repos.wallets.movements(s))
               for s in subs for w in [env.wallet(s)])


@pytest.fixture
def gifting(env: Env) -> Env:
    env.clock.set(START)
    env.open_wallet("ann", charge=100_000)
    env.open_wallet("bob", charge=10_000)
    return env


# ---- the claim code ------------------------------------------------------------------------------


def test_a_claim_code_is_80_bits_in_four_groups_of_crockford_base32_and_typing_slips_still_match():
    assert format_code(0) == "0000-0000-0000-0000"
    assert format_code((1 << 80) - 1) == "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
    code = format_code(0x3A5F_0C1E_92B4_7D66_E013)
    assert CODE.fullmatch(code) and re.fullmatch(CODE_PATTERN, code)
    plain = code.replace("-", "")
    for typed in (code.lower(), plain, " ".join(code.split("-")), f" {code[:9]} {code[10:]} "):
        assert normalise_code(typed) == plain, typed
    assert normalise_code("7KQI-M2XD-9FRP-WZ3l") == normalise_code("7KQ1-M2XD-9FRP-WZ31") == "7KQ1M2XD9FRPWZ31"
    assert normalise_code("OOOO-IIII-LLLL-oooo") == "0000111111110000"
    for not_a_code in ("7KQ4-M2XD-9FRP-WZ3", "7KQ4-M2XD-9FRP-WZ3TX", "UKQ4-M2XD-9FRP-WZ3T", "7KQ4_M2XD_9FRP_WZ3T", ""):
        assert normalise_code(not_a_code) is None, not_a_code
    assert code_digest(code.lower()) == hashlib.sha256(plain.encode()).hexdigest()


# ---- sending -------------------------------------------------------------------------------------


def test_a_gift_leaves_the_charged_balance_at_once_and_its_code_is_shown_to_the_sender(gifting: Env):
    env = gifting
    support.grant_cashback(env.repos, "ann", 5_000, "2020-03-10T12:00:00+09:00")
    gift = sent(env, "ann", 30_000, message="  생일 축하해! ")
    assert (gift["amount"], gift["message"], gift["status"], gift["charged_balance"]) == (30_000, "생일 축하해!", "sent",
                                                                                          70_000)
    assert CODE.fullmatch(gift["claim_code"]) and re.fullmatch(ID_PATTERN, gift["gift_id"]), gift
    assert (gift["created_at"], gift["expires_at"]) == ("2020-03-10T12:00:00+09:00", "2020-03-13T12:00:00+09:00")
    w = env.wallet("ann")
    assert (w["charged_balance"], w["cashback_balance"]) == (70_000, 5_000)
    assert w["month"]["eligible_spend"] == 0 and w["month"]["pending_cashback"] == 0   # not spending
    assert kinds(env, "ann")[-1] == ("gift_sent", -30_000, 70_000, 5_000)
    (item,) = listed(env, "ann")["items"]
    assert item == {"gift_id": gift["gift_id"], "direction": "sent", "amount": 30_000, "message": "생일 축하해!",
                    "status": "sent", "created_at": gift["created_at"], "expires_at": gift["expires_at"],
                    "claimed_at": None}
    assert books_balance(env, "ann")


def test_a_gift_never_comes_from_cashback_and_one_beyond_the_charged_balance_is_refused_whole(gifting: Env):
    env = gifting
    change_wallet("bob", cashback_balance=50_000)
    status, body = send(env, "bob", 20_000)
    assert (status, body["error"]["code"]) == (409, "INSUFFICIENT_FUNDS")
    w = env.wallet("bob")
    assert (w["charged_balance"], w["cashback_balance"]) == (10_000, 50_000)
    assert listed(env, "bob")["items"] == [] and [k for k, *_ in kinds(env, "bob")] == ["charge"]
    assert send(env, "nobody")[0] == 404   # no wallet, no gift


def test_gift_amounts_and_messages_outside_their_bounds_are_refused_and_move_nothing(
    gifting: Env, subtests: pytest.Subtests
):
    env = gifting
    cases = [({"amount": 999}, 400), ({"amount": 500_001}, 400), ({"amount": "1000"}, 400), ({"amount": 1000.0}, 400),
             ({"amount": 5_000, "message": "가" * 101}, 400), ({"amount": 5_000, "message": "   "}, 400),
             ({"amount": 5_000, "message": " " + "가" * 100}, 400), ({"amount": 5_000, "to": "bob"}, 400), ({}, 400)]
    for body, want in cases:
        with subtests.test(msg=str(body)[:40]):
            status, out = env.call("POST", "/gifts", role="resident", sub="ann", body=body, key=new_key())
            assert (status, out["error"]["code"]) == (want, "VALIDATION_ERROR")
    status, out = env.call("POST", "/gifts", role="resident", sub="ann", body={"amount": 5_000})
    assert (status, out["error"]["code"]) == (400, "VALIDATION_ERROR")   # no Idempotency-Key
    assert env.wallet("ann")["charged_balance"] == 100_000 and listed(env, "ann")["items"] == []
    assert sent(env, "ann", 1_000, message="가" * 100)["charged_balance"] == 99_000
    change_wallet("ann", charged_balance=600_000)
    assert sent(env, "ann", 500_000)["charged_balance"] == 100_000


def test_a_replayed_gift_answers_the_same_gift_and_code_and_takes_the_money_once(gifting: Env):
    env = gifting
    key = new_key()
    first = sent(env, "ann", 10_000, key=key, message="커피 한 잔")
    again = sent(env, "ann", 10_000, key=key, message="커피 한 잔")
    assert again == first   # the code too: a sender whose answer was lost still gets it
    assert env.wallet("ann")["charged_balance"] == 90_000 and len(listed(env, "ann")["items"]) == 1
    status, body = send(env, "ann", 20_000, key=key)
    assert (status, body["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert sent(env, "bob", 10_000, key=key)["claim_code"] != first["claim_code"]   # keys are per caller


# ---- claiming ------------------------------------------------------------------------------------


def test_a_claimed_gift_lands_in_the_claimers_charged_balance_and_both_lists_show_it(gifting: Env):
    env = gifting
    gift = sent(env, "ann", 30_000, message="잘 지내?")
    change_month("bob", "2020-03", charged=1_000_000)   # the monthly charge limit is reached: a gift is no top-up
    env.clock.set(START + timedelta(hours=5))
    typed = gift["claim_code"].lower().replace("-", " ")
    status, got = claim(env, "bob", typed)
    assert status == 201, got
    assert got == {"gift_id": gift["gift_id"], "amount": 30_000, "message": "잘 지내?",
                   "claimed_at": "2020-03-10T17:00:00+09:00", "charged_balance": 40_000}
    bob = env.wallet("bob")
    assert (bob["charged_balance"], bob["month"]["charged"], bob["month"]["eligible_spend"]) == (40_000, 1_000_000, 0)
    assert kinds(env, "bob")[-1] == ("gift_received", 30_000, 40_000, 0)
    (mine,) = listed(env, "ann")["items"]
    (theirs,) = listed(env, "bob")["items"]
    assert (mine["direction"], mine["status"], mine["claimed_at"]) == ("sent", "claimed", "2020-03-10T17:00:00+09:00")
    assert theirs == {**mine, "direction": "received"}
    assert env.wallet("ann")["charged_balance"] == 70_000 and books_balance(env, "ann", "bob")


def test_an_unknown_code_is_404_a_gift_no_longer_sent_409_invalid_state_and_ones_own_409_conflict(gifting: Env):
    env = gifting
    env.open_wallet("cy")
    gift = sent(env, "ann", 10_000)
    status, body = claim(env, "bob", format_code(12345))
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
    status, body = claim(env, "ann", gift["claim_code"])
    assert (status, body["error"]["code"]) == (409, "CONFLICT")
    assert claim(env, "bob", gift["claim_code"])[0] == 201
    status, body = claim(env, "cy", gift["claim_code"])
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    status, body = claim(env, "nobody", gift["claim_code"])
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")   # no wallet to put it in
    for bad in ("7KQ4-M2XD-9FRP", "UUUU-UUUU-UUUU-UUUU", "7KQ4_M2XD_9FRP_WZ3T", 1234, None):
        assert claim(env, "cy", bad)[0] == 400, bad
    assert (env.wallet("cy")["charged_balance"], env.wallet("bob")["charged_balance"]) == (0, 20_000)


def test_a_claim_over_the_balance_limit_is_refused_and_the_gift_stays_claimable(gifting: Env):
    env = gifting
    gift = sent(env, "ann", 50_000)
    change_wallet("bob", charged_balance=1_960_000)
    status, body = claim(env, "bob", gift["claim_code"])
    assert (status, body["error"]["code"]) == (409, "LIMIT_EXCEEDED")
    assert env.wallet("bob")["charged_balance"] == 1_960_000 and listed(env, "ann")["items"][0]["status"] == "sent"
    change_wallet("bob", charged_balance=1_950_000)   # exactly up to the limit is fine
    status, got = claim(env, "bob", gift["claim_code"])
    assert (status, got["charged_balance"]) == (201, 2_000_000)


def test_a_replayed_claim_answers_the_first_claim_and_moves_the_money_once(gifting: Env):
    env = gifting
    gift = sent(env, "ann", 10_000)
    key = new_key()
    first = claim(env, "bob", gift["claim_code"], key)
    again = claim(env, "bob", gift["claim_code"].lower(), key)   # the same code, typed otherwise
    assert first == again and first[0] == 201
    assert env.wallet("bob")["charged_balance"] == 20_000
    assert [k for k, *_ in kinds(env, "bob")].count("gift_received") == 1


# ---- cancelling ----------------------------------------------------------------------------------


def test_the_sender_cancels_a_gift_still_sent_and_gets_it_back_once_and_nobody_else_may(gifting: Env):
    env = gifting
    gift = sent(env, "ann", 25_000)
    status, body = cancel(env, "bob", gift["gift_id"])
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")   # another resident's gift is not revealed
    assert cancel(env, "ann", "no-such-gift")[0] == 404
    key = new_key()
    status, done = cancel(env, "ann", gift["gift_id"], key)
    assert status == 200, done
    assert (done["status"], done["charged_balance"], done["direction"]) == ("cancelled", 100_000, "sent")
    assert cancel(env, "ann", gift["gift_id"], key) == (200, done)   # a retry with the key replays
    status, body = cancel(env, "ann", gift["gift_id"])
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    status, body = claim(env, "bob", gift["claim_code"])
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert env.wallet("ann")["charged_balance"] == 100_000
    assert [k for k, *_ in kinds(env, "ann")] == ["charge", "gift_sent", "gift_cancelled"]
    assert kinds(env, "ann")[-1] == ("gift_cancelled", 25_000, 100_000, 0)
    assert listed(env, "ann")["items"][0]["status"] == "cancelled" and books_balance(env, "ann", "bob")


def test_a_claimed_gift_cannot_be_cancelled(gifting: Env):
    env = gifting
    gift = sent(env, "ann", 10_000)
    assert claim(env, "bob", gift["claim_code"])[0] == 201
    status, body = cancel(env, "ann", gift["gift_id"], new_key())
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert (env.wallet("ann")["charged_balance"], env.wallet("bob")["charged_balance"]) == (90_000, 20_000)


# ---- the list ------------------------------------------------------------------------------------


def test_the_list_holds_sent_and_received_gifts_newest_first_page_by_page(gifting: Env):
    env = gifting
    ids = []
    for hour in range(3):
        env.clock.set(START + timedelta(hours=hour))
        ids.append(sent(env, "ann", 1_000 + hour)["gift_id"])
    env.clock.set(START + timedelta(hours=1, minutes=30))
    from_bob = sent(env, "bob", 2_000)
    env.clock.set(START + timedelta(hours=4))
    assert claim(env, "ann", from_bob["claim_code"])[0] == 201   # received at 4h, sent at 1h30
    first = listed(env, "ann", "?limit=2")
    rest = listed(env, "ann", f"?limit=2&next={first['next']}")
    order = [(i["gift_id"], i["direction"]) for i in first["items"] + rest["items"]]
    assert order == [(from_bob["gift_id"], "received"), (ids[2], "sent"), (ids[1], "sent"), (ids[0], "sent")]
    assert rest["next"] is None
    assert all("claim_code" not in i for i in first["items"] + rest["items"])
    status, body = env.call("GET", f"/gifts?next={first['next']}", role="resident", sub="bob")
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")   # ann's cursor is not bob's list


# ---- guessing codes ------------------------------------------------------------------------------


def test_after_10_unknown_codes_in_an_hour_every_claim_is_refused_until_the_hour_ends(gifting: Env):
    env = gifting
    env.open_wallet("cy")
    gift = sent(env, "ann", 10_000)
    other = sent(env, "ann", 10_000)
    env.clock.set(START + timedelta(minutes=10))   # 12:10 KST
    key = new_key()
    first = claim(env, "bob", other["claim_code"], key)
    assert first[0] == 201   # a known code counts for nothing
    for n in range(10):
        status, body = claim(env, "bob", format_code(n))
        assert (status, body["error"]["code"]) == (404, "NOT_FOUND"), n
    status, body = claim(env, "bob", format_code(10))
    assert (status, body["error"]["code"]) == (429, "RATE_LIMITED")
    status, body = claim(env, "bob", gift["claim_code"])   # a valid code too: else guessing would go on
    assert (status, body["error"]["code"]) == (429, "RATE_LIMITED") and "13:00" in body["error"]["message"]
    assert claim(env, "cy", format_code(99))[0] == 404   # counted per resident
    assert claim(env, "bob", other["claim_code"], key) == first   # a retry of what succeeded is still answered
    env.clock.set(START + timedelta(minutes=59, seconds=59))
    assert claim(env, "bob", gift["claim_code"])[0] == 429
    env.clock.set(START + timedelta(hours=1))   # 13:00 KST: a new hour
    status, got = claim(env, "bob", gift["claim_code"])
    assert (status, got["charged_balance"]) == (201, 30_000)


def test_the_unknown_code_count_is_checked_as_it_is_written_not_only_as_it_was_read(gifting: Env):
    """Guesses sent at once all read the count below 10; the count's conditional write refuses the 11th."""
    from chalicelib.domain.gifts import guess_window
    from chalicelib.handlers import gifts

    def ten_others() -> None:
        for _ in range(10):
            assert env.repos.gifts.count_miss("bob", guess_window(env.clock.now()), 10, 0)

    env = gifting
    racing = race(ten_others)
    with pytest.raises(RateLimited):
        gifts.claim("bob", format_code(77), new_key())
    assert racing.reads == 1   # it read a count of 0, and was refused at the write


# ---- the code in clear, nowhere ------------------------------------------------------------------


def test_the_claim_code_is_kept_and_logged_nowhere_in_clear_only_its_hash(gifting: Env, capsys: Any):
    import logging
    import sys

    from chalicelib.observability import logger

    env = gifting
    level, handler = logger().log_level, logger().registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream, handler.stream = handler.stream, sys.stdout
    logger().setLevel("INFO")
    capsys.readouterr()
    key = new_key()
    gift = sent(env, "ann", 10_000, key=key)
    sent(env, "ann", 10_000, key=key)   # the replay decrypts it from the stored answer
    claim(env, "bob", gift["claim_code"].lower())
    claim(env, "bob", gift["claim_code"])
    listed(env, "ann")
    out, err = capsys.readouterr()
    logger().setLevel(level)
    handler.stream = stream
    code = gift["claim_code"]
    plain = code.replace("-", "")
    forms = (code, plain, code.lower(), plain.lower(), code[:9])
    assert '"route":"POST/gifts/claim"' in (out + err).replace(" ", "")   # the requests were logged
    items = stored_items(env)
    stored = repr(items)
    for form in forms:
        assert form not in out + err and form not in stored, form
    responses = [v.body for k, v in items.items() if k[0] == "idem" and gift["gift_id"] in v.body]
    assert len(responses) == 2 and all(plain not in r and code not in r for r in responses)
    assert ("gift-code", hashlib.sha256(plain.encode()).hexdigest()) in items   # found by its hash alone


# ---- the document --------------------------------------------------------------------------------


def test_the_document_states_the_gift_rules_the_keys_each_route_takes_and_its_refusals():
    import app  # noqa: F401  (declares every route)
    from chalicelib.web.api import declared
    from chalicelib.web.openapi import build

    doc = build(declared(), include_local=False)
    ops = {op["operationId"]: op for path in doc["paths"].values() for op in path.values()}

    def key(operation: str) -> list[bool]:
        return [p["required"] for p in ops[operation].get("parameters", []) if p["name"] == "Idempotency-Key"]

    assert (key("send_gift"), key("claim_gift"), key("cancel_gift"), key("list_gifts")) == ([True], [True], [False], [])
    assert ops["send_gift"]["responses"]["409"]["x-error-codes"] == ["CONFLICT", "INSUFFICIENT_FUNDS"]
    assert ops["claim_gift"]["responses"]["409"]["x-error-codes"] == ["CONFLICT", "LIMIT_EXCEEDED", "INVALID_STATE"]
    assert ops["claim_gift"]["responses"]["429"]["x-error-codes"] == ["RATE_LIMITED"]
    schemas = doc["components"]["schemas"]
    amount = schemas["GiftIn"]["properties"]["amount"]
    assert (amount["minimum"], amount["maximum"]) == (1_000, 500_000)
    assert schemas["ClaimIn"]["properties"]["claim_code"]["pattern"] == CODE_PATTERN
    assert "claim_code" not in schemas["GiftItemOut"]["properties"] and "claim_code" in schemas["SentGiftOut"]["required"]
