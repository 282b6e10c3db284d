"""선물하기 gifts: request and response models (API.md, "Resident, added")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.domain.bounds import CLAIM_HOURS, CODE_PATTERN, MAX_GIFT, MIN_GIFT
from chalicelib.web.schemas.common import Out, Strict, Text100, Timestamp

GiftAmount = Annotated[int, Field(ge=MIN_GIFT, le=MAX_GIFT, description="Won, from the charged balance only.")]
ClaimCode = Annotated[
    str,
    StringConstraints(max_length=40, pattern=CODE_PATTERN),
    Field(description="The code the sender passed on: 16 characters of Crockford's base32 (0-9 and the letters "
                      "but I, L, O, U), usually in four groups (`7KQ4-M2XD-9FRP-WZ3T`). Either case, hyphens and "
                      "spaces anywhere; I and L are read as 1, O as 0."),
]
GiftStatus = Literal["sent", "claimed", "cancelled", "returned"]


class GiftIn(Strict):
    amount: GiftAmount
    message: Text100 | None = Field(default=None, description="A note for the recipient (trimmed, ≤ 100).")


class SentGiftOut(Out):
    gift_id: str
    amount: int
    message: str | None
    status: Literal["sent"]
    claim_code: str = Field(description="Shown to the sender only here (and again to a retry with the same "
                                        "Idempotency-Key); never listed.")
    created_at: Timestamp
    expires_at: Timestamp = Field(description=f"Claimable until then ({CLAIM_HOURS} hours); then it goes back.")
    charged_balance: int


class ClaimIn(Strict):
    claim_code: ClaimCode


class ClaimedGiftOut(Out):
    gift_id: str
    amount: int
    message: str | None
    claimed_at: Timestamp
    charged_balance: int


class GiftItemOut(Out):
    gift_id: str
    direction: Literal["sent", "received"]
    amount: int
    message: str | None
    status: GiftStatus
    created_at: Timestamp
    expires_at: Timestamp
    claimed_at: Timestamp | None


class GiftOut(GiftItemOut):
    charged_balance: int = Field(description="The sender's charged balance after the gift came back.")


class GiftList(Out):
    items: list[GiftItemOut]
    next: str | None
