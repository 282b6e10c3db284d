"""선물하기: send charged money as a gift with a claim code, claim it, cancel it, list them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import RESIDENTS, Call, Routes
from chalicelib.web.schemas.common import PageQuery
from chalicelib.web.schemas.gifts import ClaimedGiftOut, ClaimIn, GiftIn, GiftItemOut, GiftList, GiftOut, SentGiftOut

if TYPE_CHECKING:
    from chalicelib.domain.gifts import Gift

routes = Routes(__name__, "gifts")


def item_out(direction: str, g: Gift) -> GiftItemOut:
    return GiftItemOut(
        gift_id=g.gift_id, direction=direction, amount=g.amount, message=g.message,  # type: ignore[arg-type]
        status=g.status, created_at=g.created_at, expires_at=g.expires_at, claimed_at=g.claimed_at,  # type: ignore[arg-type]
    )  # fmt: skip


@routes.route("/gifts", "POST", role=RESIDENTS, summary="Send a gift from my charged balance (the claim code, once)",
              body=GiftIn, response=SentGiftOut, status=201, idempotent=True)
def send_gift(call: Call) -> SentGiftOut:
    from chalicelib.handlers import gifts

    sent = gifts.send(call.user.sub, call.body.amount, call.body.message, call.key)
    g = sent.gift
    return SentGiftOut(
        gift_id=g.gift_id, amount=g.amount, message=g.message, status="sent", claim_code=sent.claim_code or "",
        created_at=g.created_at, expires_at=g.expires_at, charged_balance=sent.charged_balance,
    )  # fmt: skip


@routes.route("/gifts/claim", "POST", role=RESIDENTS, summary="Claim a gift with its code", body=ClaimIn,
              response=ClaimedGiftOut, status=201, idempotent=True)
def claim_gift(call: Call) -> ClaimedGiftOut:
    from chalicelib.handlers import gifts

    moved = gifts.claim(call.user.sub, call.body.claim_code, call.key)
    g = moved.gift
    return ClaimedGiftOut(gift_id=g.gift_id, amount=g.amount, message=g.message, claimed_at=g.claimed_at or "",
                          charged_balance=moved.charged_balance)


@routes.route("/gifts/{gift_id}/cancel", "POST", role=RESIDENTS, summary="Take back a gift not yet claimed",
              response=GiftOut, optional_key=True)
def cancel_gift(call: Call) -> GiftOut:
    from chalicelib.handlers import gifts

    moved = gifts.cancel(call.user.sub, call.params["gift_id"], call.idempotency_key)
    return GiftOut(**item_out("sent", moved.gift).model_dump(), charged_balance=moved.charged_balance)


@routes.route("/gifts", "GET", role=RESIDENTS, summary="Gifts I sent and received, newest first", query=PageQuery,
              response=GiftList)
def list_gifts(call: Call) -> GiftList:
    from chalicelib.handlers import gifts

    page = gifts.of_user(call.user.sub, call.query.limit, call.query.next)
    return GiftList(items=[item_out(e.direction, e.gift) for e in page.items], next=page.next)
