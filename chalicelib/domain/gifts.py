"""선물하기 gifts: a resident sends charged money to whoever they give the claim code to.

A gift is taken whole from the sender's `charged_balance` when it is sent (never from cashback), and
lives in one of four states: `sent` (claimable), then exactly one of `claimed` (by another resident),
`cancelled` (by the sender) or `returned` (unclaimed for 72 hours, back to the sender by the sweep).
Every change of state is one write conditioned on the gift's version, so of a claim, a cancellation and
a return racing for one gift exactly one wins.

The claim code is 80 random bits written as 16 characters of Crockford's base32 in four groups
(`7KQ4-M2XD-9FRP-WZ3T`): no I, L, O or U, so it reads aloud and types without confusion, and what a
resident types is matched forgiving case, hyphens, spaces, and I/L for 1 and O for 0. Only its SHA-256
is kept: 2⁸⁰ codes cannot be hashed to find one (unlike registration numbers, which need a keyed MAC).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.bounds import CLAIM_HOURS, CODE_BITS, CODE_LENGTH, MAX_GIFT, MIN_GIFT
from chalicelib.domain.errors import Conflict, InsufficientFunds, InvalidState, LimitExceeded, ValidationFailed
from chalicelib.domain.ledger import (
    MOVE_GIFT_CANCELLED,
    MOVE_GIFT_RECEIVED,
    MOVE_GIFT_RETURNED,
    MOVE_GIFT_SENT,
    Movement,
    stamped,
)
from chalicelib.domain.months import KST, kst_iso
from chalicelib.domain.wallet import Wallet

MESSAGE_MAX = 100
"""A gift's message: at most 100 characters once trimmed (a card's worth); absent when blank."""
CLAIM_PERIOD = timedelta(hours=CLAIM_HOURS)

SENT = "sent"
CLAIMED = "claimed"
CANCELLED = "cancelled"
RETURNED = "returned"
STATUSES = (SENT, CLAIMED, CANCELLED, RETURNED)
DIRECTION_SENT = "sent"
DIRECTION_RECEIVED = "received"

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: digits and the letters but I, L, O and U."""
CODE_GROUP = 4
_LOOK_ALIKE = str.maketrans({"I": "1", "L": "1", "O": "0"})

UNKNOWN_CODES_PER_HOUR = 10
"""A resident may try 10 unknown codes in a clock hour (KST); after that every claim is refused until the
next hour, a valid code's too, or the limit would not stop anyone guessing."""


@dataclass(frozen=True)
class Gift:
    """One gift. `recipient_id` and `claimed_at` once claimed; `ended_at` when cancelled or returned."""

    gift_id: str
    sender_id: str
    amount: int
    message: str | None
    status: str
    created_at: str
    expires_at: str
    recipient_id: str | None = None
    claimed_at: str | None = None
    ended_at: str | None = None
    version: int = 0


@dataclass(frozen=True)
class GiftEntry:
    """A gift in one resident's list: sent by them, or received (claimed) by them."""

    direction: str
    gift: Gift


@dataclass(frozen=True)
class GiftOutcome:
    """A gift's change of state: the gift after it, the wallet the money moved in, and its ledger movement."""

    gift: Gift
    wallet: Wallet
    movement: Movement


# ---- the claim code ----------------------------------------------------------------------------


def format_code(bits: int) -> str:
    """80 bits as 16 base32 characters in groups of four (`7KQ4-M2XD-9FRP-WZ3T`), most significant first."""
    if not 0 <= bits < 1 << CODE_BITS:
        raise ValueError("a claim code is made of 80 bits")
    chars = [CODE_ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(CODE_LENGTH))]
    return "-".join("".join(chars[i:i + CODE_GROUP]) for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalise_code(text: str) -> str | None:
    """A typed code as the 16 characters it stands for, or None if it cannot be one: hyphens and spaces
    dropped, any case, I and L read as 1 and O as 0 (Crockford's rule)."""
    plain = text.replace("-", "").replace(" ", "").upper().translate(_LOOK_ALIKE)
    if len(plain) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in plain):
        return None
    return plain


def code_digest(code: str) -> str:
    """What is stored to find a gift by its code: the SHA-256 of the normalised code. With 80 random bits a
    plain hash is safe: nobody can hash every code to find the one that matches."""
    plain = normalise_code(code)
    if plain is None:
        raise ValidationFailed("claim_code: not a claim code (16 characters of 0-9 and A-Z, in groups of four)")
    return hashlib.sha256(plain.encode("ascii")).hexdigest()


def gift_id_for(digest: str) -> str:
    """A gift's id, derived from its code's digest: whoever holds the code reads the gift itself in the claim's
    one read, with no lookup first. One-way (a hash of the digest, under its own label), so an id shown in a
    list tells nothing of the code; 128 bits, like the random ids it replaces."""
    return "gift_" + hashlib.sha256(f"seoro-gift-id:{digest}".encode("ascii")).hexdigest()[:32]


def guess_window(at: datetime) -> str:
    """The clock hour (KST) unknown codes are counted in: `YYYY-MM-DDTHH`."""
    return at.astimezone(KST).strftime("%Y-%m-%dT%H")


def guess_window_ends(at: datetime) -> datetime:
    """When the hour `at` falls in ends (a counter is kept an hour past it, then expires)."""
    return at.astimezone(KST).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


# ---- what is sent -------------------------------------------------------------------------------


def gift_amount(amount: int) -> int:
    """A gift is 1,000 to 500,000 won."""
    if not MIN_GIFT <= amount <= MAX_GIFT:
        raise ValidationFailed(f"amount: a gift is {MIN_GIFT:,} to {MAX_GIFT:,} won")
    return amount


def gift_message(message: str | None) -> str | None:
    """Trimmed, at most 100 characters; a blank message is no message."""
    if message is None:
        return None
    trimmed = message.strip()
    if len(message) > MESSAGE_MAX or len(trimmed) > MESSAGE_MAX:
        raise ValidationFailed(f"message: at most {MESSAGE_MAX} characters")
    return trimmed or None


def expires_at(sent_at: datetime) -> datetime:
    """The gift is claimable until 72 hours after it was sent, that instant excluded."""
    return sent_at + CLAIM_PERIOD


def is_expired(gift: Gift, at: datetime) -> bool:
    """72 hours after sending the gift can no longer be claimed: it is the sender's again."""
    return at >= datetime.fromisoformat(gift.expires_at)


# ---- the four movements -------------------------------------------------------------------------


def _movement(after: Wallet, gift: Gift, kind: str, delta: int, at: str, movement_id: str) -> Movement:
    """The gift's movement in the ledger of `after`'s resident, with the balances it leaves (`stamped`)."""
    return stamped(Movement(
        user_id=after.user_id, movement_id=movement_id, kind=kind, ref=gift.gift_id, d_charged=delta, d_cashback=0,
        created_at=at,
    ), after)  # fmt: skip


def _credit(wallet: Wallet, amount: int) -> Wallet:
    """A gift's money into a wallet: it counts in what came into the charged balance (`charged_in`, the
    withdrawal's 60 % rule, domain/cashout.py), for the recipient as for a sender it comes back to."""
    return replace(wallet, charged_balance=wallet.charged_balance + amount, charged_in=wallet.charged_in + amount,
                   version=wallet.version + 1)


def send_gift(wallet: Wallet, gift: Gift, *, movement_id: str) -> GiftOutcome:
    """A gift leaves the sender's charged balance whole, at once; cashback never pays for a gift.
    Sending is not spending: it earns no cashback and counts toward no program."""
    gift_amount(gift.amount)
    if gift.amount > wallet.charged_balance:
        raise InsufficientFunds(f"a gift comes from the charged balance only: {wallet.charged_balance} won available")
    # the gift takes its share of the withdrawal's 60 % rule with it (`charged_in`, domain/cashout.py)
    after = replace(wallet, charged_balance=wallet.charged_balance - gift.amount,
                    charged_in=wallet.charged_in - gift.amount, version=wallet.version + 1)
    return GiftOutcome(gift, after, _movement(after, gift, MOVE_GIFT_SENT, -gift.amount, gift.created_at,
                                              movement_id))


def claim_gift(gift: Gift, wallet: Wallet, at: datetime, balance_limit: int, *, movement_id: str) -> GiftOutcome:
    """Another resident claims a gift still `sent` and not yet expired; it lands in their charged balance,
    within their balance limit (over it the gift stays claimable). It is not a top-up: the monthly charge
    limit does not count it. Nobody claims their own gift (they cancel it)."""
    if gift.sender_id == wallet.user_id:
        raise Conflict("this is your own gift: cancel it to take the money back")
    if gift.status != SENT:
        raise InvalidState(f"this gift can no longer be claimed: it is {gift.status}")
    if is_expired(gift, at):
        raise InvalidState("this gift can no longer be claimed: its 72 hours are over and it goes back to its sender")
    if wallet.total_balance + gift.amount > balance_limit:
        room = max(balance_limit - wallet.total_balance, 0)
        raise LimitExceeded(f"balance limit {balance_limit} won: room for {room} won; the gift stays claimable")
    stamp = kst_iso(at)
    claimed = replace(gift, status=CLAIMED, recipient_id=wallet.user_id, claimed_at=stamp, version=gift.version + 1)
    after = _credit(wallet, gift.amount)
    return GiftOutcome(claimed, after, _movement(after, claimed, MOVE_GIFT_RECEIVED, gift.amount, stamp, movement_id))


def cancel_gift(gift: Gift, wallet: Wallet, at: datetime, *, movement_id: str) -> GiftOutcome:
    """The sender takes a gift back while it is still `sent` (even past its 72 hours, before the sweep
    returns it): the whole amount goes back to the charged balance, whatever the balance limit."""
    return _back(gift, wallet, at, CANCELLED, MOVE_GIFT_CANCELLED, movement_id)


def return_gift(gift: Gift, wallet: Wallet, at: datetime, *, movement_id: str) -> GiftOutcome:
    """A gift unclaimed for 72 hours goes back to its sender's charged balance, once."""
    if not is_expired(gift, at):
        raise InvalidState("this gift may still be claimed")
    return _back(gift, wallet, at, RETURNED, MOVE_GIFT_RETURNED, movement_id)


def _back(gift: Gift, wallet: Wallet, at: datetime, status: str, kind: str, movement_id: str) -> GiftOutcome:
    if gift.status != SENT:
        raise InvalidState(f"this gift is {gift.status}, not sent")
    if wallet.user_id != gift.sender_id:
        raise ValueError("a gift goes back to its sender's wallet only")
    stamp = kst_iso(at)
    ended = replace(gift, status=status, ended_at=stamp, version=gift.version + 1)
    after = _credit(wallet, gift.amount)
    return GiftOutcome(ended, after, _movement(after, ended, kind, gift.amount, stamp, movement_id))
