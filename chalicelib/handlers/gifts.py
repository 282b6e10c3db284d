"""선물하기: send charged money as a gift, claim it with its code, cancel it, list them, and the sweep that
gives back what is unclaimed after 72 hours. Each money movement is one transaction conditioned on the
gift's and the wallet's versions, so of a claim, a cancellation and a return exactly one wins.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from chalicelib import composition
from chalicelib.domain.bounds import CODE_BITS
from chalicelib.domain.errors import NotFound, RateLimited
from chalicelib.domain.gifts import (
    SENT,
    UNKNOWN_CODES_PER_HOUR,
    Gift,
    GiftEntry,
    cancel_gift,
    claim_gift,
    code_digest,
    expires_at,
    format_code,
    gift_amount,
    gift_id_for,
    gift_message,
    guess_window,
    guess_window_ends,
    is_expired,
    return_gift,
    send_gift,
)
from chalicelib.domain.months import kst_iso, month_of
from chalicelib.domain.ports.unit import Page
from chalicelib.handlers.common import new_id, now, policy_in_force, retrying
from chalicelib.handlers.unit import Once, Unit, write_once

SWEEP_PAGE = 100
"""Gifts due back read per query: a backlog of any size is worked through in bounded pages."""
SWEEP_SECONDS = 240.0
"""A sweep stops starting returns after this long (its function may run 300 s); the next one, five minutes
later, goes on from there."""


@dataclass(frozen=True)
class SentGift:
    """A gift as its sender sees it once: with the claim code."""

    gift: Gift
    claim_code: str | None
    charged_balance: int
    sealed_code: str | None = None
    """Only in the stored answer, instead of `claim_code`: the code encrypted with the personal-data key, so
    that a retry with the same Idempotency-Key shows the same code again and the table holds it nowhere in
    clear."""


@dataclass(frozen=True)
class MovedGift:
    """A gift after a claim or a cancellation, and the caller's charged balance after it."""

    gift: Gift
    charged_balance: int


def _code_context(user_id: str, gift_id: str) -> dict[str, str]:
    return {"user": user_id, "purpose": "gift-claim-code", "gift": gift_id}


def _no_wallet() -> NotFound:
    return NotFound("no wallet is open for this resident")


# ---- sending -----------------------------------------------------------------------------------


def send(user_id: str, amount: int, message: str | None, key: str) -> SentGift:
    """Take the gift from the charged balance and make its claim code: wallet, ledger movement, gift, the
    code's digest and the stored answer in one transaction. A retry with the same key answers the same gift
    and the same code (decrypted from the stored answer)."""
    c = composition.container()
    r = c.repos
    once = Once.of(SentGift, user_id, "gift", key, {"amount": amount, "message": message})
    amount = gift_amount(amount)
    text = gift_message(message)

    def attempt(u: Unit[SentGift]) -> SentGift:
        at = now()
        held = r.wallets.want(u.batch, user_id)
        if (replayed := u.read()) is not None:
            return _reveal(replayed, user_id)
        wallet = held.value
        if wallet is None:
            raise _no_wallet()
        code = format_code(secrets.randbits(CODE_BITS))
        digest = code_digest(code)
        gift = Gift(gift_id_for(digest), user_id, amount, text, SENT, kst_iso(at), kst_iso(expires_at(at)), version=1)
        outcome = send_gift(wallet, gift, movement_id=new_id("mv"))
        r.wallets.stage(u.tx, outcome.wallet, wallet.version)
        r.wallets.stage_movement(u.tx, outcome.movement)
        r.gifts.stage(u.tx, gift, 0)
        r.gifts.stage_code(u.tx, digest, gift.gift_id)
        sent = SentGift(gift, code, outcome.wallet.charged_balance)
        sealed = c.pii.encrypt(code, _code_context(user_id, gift.gift_id))
        return u.commit(sent, keep=replace(sent, claim_code=None, sealed_code=sealed))

    return write_once(once, attempt, lock=user_id)


def _reveal(stored: SentGift, user_id: str) -> SentGift:
    """The stored answer with its claim code decrypted again (for the sender who sent it only)."""
    if stored.sealed_code is None:
        return stored
    code = composition.container().pii.decrypt(stored.sealed_code, _code_context(user_id, stored.gift.gift_id))
    return replace(stored, claim_code=code, sealed_code=None)


# ---- claiming ----------------------------------------------------------------------------------


def _throttled(hour_end: datetime) -> RateLimited:
    return RateLimited(f"too many unknown claim codes this hour: try again from {hour_end:%H:%M} KST")


def claim(user_id: str, claim_code: str, key: str) -> MovedGift:
    """Claim a gift by its code (matched forgiving case, hyphens and spaces) into the caller's charged
    balance. Unknown codes are counted per resident and clock hour; after 10, every claim is refused until
    the hour ends. One read (the code names the gift's key: `gift_id_for`), one transaction conditioned on the
    gift's version: of racing claimers exactly one wins. A gift sent before ids were derived from codes is
    found through its code item, with a second read."""
    r = composition.container().repos
    digest = code_digest(claim_code)
    once = Once.of(MovedGift, user_id, "gift.claim", key, {"claim_code": digest})

    def attempt(u: Unit[MovedGift]) -> MovedGift:
        at = now()
        window = guess_window(at)
        held = r.wallets.want(u.batch, user_id)
        derived = r.gifts.want(u.batch, gift_id_for(digest))
        named = r.gifts.want_code(u.batch, digest)
        misses = r.gifts.want_misses(u.batch, user_id, window)
        if (replayed := u.read()) is not None:
            return replayed
        hour_end = guess_window_ends(at)
        if misses.value >= UNKNOWN_CODES_PER_HOUR:
            raise _throttled(hour_end)
        wallet = held.value
        if wallet is None:
            raise _no_wallet()
        if named.value is None:
            expiry = int(hour_end.timestamp()) + 3600
            if not r.gifts.count_miss(user_id, window, UNKNOWN_CODES_PER_HOUR, expiry):
                raise _throttled(hour_end)
            raise NotFound("no gift has this claim code")
        gift = derived.value if derived.value is not None else _gift_named_by(named.value)
        if gift is None:
            raise NotFound("no gift has this claim code")
        policy = policy_in_force(month_of(at))
        outcome = claim_gift(gift, wallet, at, policy.balance_limit, movement_id=new_id("mv"))
        r.gifts.stage(u.tx, outcome.gift, gift.version)
        r.gifts.stage_received(u.tx, outcome.gift)
        r.wallets.stage(u.tx, outcome.wallet, wallet.version)
        r.wallets.stage_movement(u.tx, outcome.movement)
        return u.commit(MovedGift(outcome.gift, outcome.wallet.charged_balance))

    return write_once(once, attempt, lock=user_id)


def _gift_named_by(gift_id: str) -> Gift | None:
    """A gift whose id its code does not derive (sent before ids were), read by the id its code item names."""
    r = composition.container().repos
    batch = r.store.batch()
    found = r.gifts.want(batch, gift_id)
    batch.run()
    return found.value


# ---- cancelling --------------------------------------------------------------------------------


def cancel(user_id: str, gift_id: str, key: str | None = None) -> MovedGift:
    """The sender takes back a gift still `sent`: gift and wallet in one read, one transaction. Anyone
    else's gift is 'not found'. With an Idempotency-Key a retry replays the first answer; without, a repeat
    finds the gift cancelled (409 `INVALID_STATE`)."""
    r = composition.container().repos
    once = None if key is None else Once.of(MovedGift, user_id, "gift.cancel", key, {"gift_id": gift_id})

    def attempt(u: Unit[MovedGift] | None) -> MovedGift:
        at = now()
        batch = r.store.batch() if u is None else u.batch
        found = r.gifts.want(batch, gift_id)
        held = r.wallets.want(batch, user_id)
        if u is None:
            batch.run()
        elif (first := u.read()) is not None:
            return first
        gift = found.value
        if gift is None or gift.sender_id != user_id:
            raise NotFound("no such gift")
        wallet = held.value
        if wallet is None:
            raise _no_wallet()
        outcome = cancel_gift(gift, wallet, at, movement_id=new_id("mv"))
        tx = r.store.tx() if u is None else u.tx
        r.gifts.stage(tx, outcome.gift, gift.version)
        r.wallets.stage(tx, outcome.wallet, wallet.version)
        r.wallets.stage_movement(tx, outcome.movement)
        moved = MovedGift(outcome.gift, outcome.wallet.charged_balance)
        if u is not None:
            return u.commit(moved)
        tx.commit()
        return moved

    if once is None:
        return retrying(partial(attempt, None), user_id)
    return write_once(once, attempt, lock=user_id)


# ---- reading -----------------------------------------------------------------------------------


def of_user(user_id: str, limit: int, cursor: str | None) -> Page[GiftEntry]:
    """The gifts the resident sent and received, newest first (one query); never a claim code."""
    return composition.container().repos.gifts.of_user(user_id, limit, cursor)


# ---- the sweep ---------------------------------------------------------------------------------


def return_unclaimed(budget_seconds: float = SWEEP_SECONDS) -> int:
    """Scheduled every five minutes: every gift still `sent` 72 hours after it was sent goes back to its
    sender, each in one transaction conditioned on the gift still being `sent`. Every gift due is found,
    however long the sweep was down; a gift claimed or cancelled meanwhile is left alone, and a second run
    returns nothing twice. Returns how many gifts went back."""
    r = composition.container().repos
    started = time.monotonic()
    returned = 0
    done: set[str] = set()
    # The due index is eventually consistent: a page may still show a gift just returned. Those are skipped,
    # and a page of nothing else ends the run (what is left, the next run finds).
    while fresh := [g for g in r.gifts.due(kst_iso(now()), SWEEP_PAGE) if g.gift_id not in done]:
        for listed in fresh:
            returned += retrying(partial(_give_back, listed.gift_id, listed.sender_id), listed.sender_id)
            done.add(listed.gift_id)
            if time.monotonic() - started > budget_seconds:
                return returned
    return returned


def _give_back(gift_id: str, sender_id: str) -> int:
    """One gift, one transaction: 1 if it went back, 0 if it is no longer `sent` (or not yet due)."""
    r = composition.container().repos
    at = now()
    batch = r.store.batch()
    found = r.gifts.want(batch, gift_id)
    held = r.wallets.want(batch, sender_id)
    batch.run()
    gift, wallet = found.value, held.value
    if gift is None or wallet is None or gift.status != SENT or not is_expired(gift, at):
        return 0
    outcome = return_gift(gift, wallet, at, movement_id=new_id("mv"))
    tx = r.store.tx()
    r.gifts.stage(tx, outcome.gift, gift.version)
    r.wallets.stage(tx, outcome.wallet, wallet.version)
    r.wallets.stage_movement(tx, outcome.movement)
    tx.commit()
    return 1
