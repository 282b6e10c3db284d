"""Money to and from the bank — cancelling a top-up, withdrawing, the automatic top-up: request and response
models (API.md, "Resident, added")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain.autocharge import MAX_AMOUNT, MAX_BELOW, MIN_AMOUNT, MIN_BELOW, REASON_BANK, REASON_NO_POLICY
from chalicelib.domain.bounds import SPENT_SHARE_PERCENT
from chalicelib.domain.wallet import AUTO_BELOW, AUTO_OFF, LIMIT_BALANCE, LIMIT_MONTHLY
from chalicelib.web.schemas.common import Out, Strict, Timestamp, one_of

SkipReason = Literal["monthly_charge_limit", "balance_limit", "bank_declined", "no_policy"]
SKIP_REASONS = (LIMIT_MONTHLY, LIMIT_BALANCE, REASON_BANK, REASON_NO_POLICY)
"""The domain's reasons, which `SkipReason` spells out for the document (tests/unit/test_cashout.py holds them equal)."""


class CancelledChargeOut(Out):
    charge_id: str
    status: Literal["cancelled"]
    charged_balance: int = Field(description="The charged balance after the top-up went back.")


class WithdrawalIn(Strict):
    """No fields: the whole remaining charged balance is withdrawn."""


class WithdrawalOut(Out):
    withdrawal_id: str
    amount: int = Field(description="Won paid into the resident's bank account.")
    charged_balance: int = Field(description="Always 0 after a withdrawal.")
    kept_back: int = Field(description="Won of the charged balance kept back for what the resident owed from "
                                       "refunded cashback (`adjustment_due`), after the cashback balance paid its "
                                       f"part. A withdrawal needs {SPENT_SHARE_PERCENT} % of everything charged "
                                       "spent at shops.")


AutoAmount = Annotated[int, Field(ge=MIN_AMOUNT, le=MAX_AMOUNT)]
AutoBelow = Annotated[int, Field(ge=MIN_BELOW, le=MAX_BELOW)]


class AutoChargeIn(Strict):
    """`below` needs `below` and `amount`; `off` takes neither. The document states it in `allOf` (`if`/`then`)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [
        {"if": {"properties": {"mode": {"const": AUTO_BELOW}}},
         "then": {"required": ["below", "amount"],
                  "properties": {"below": {"type": "integer"}, "amount": {"type": "integer"}}},
         "else": {"properties": {"below": {"type": "null"}, "amount": {"type": "null"}}}},
    ]})

    mode: Annotated[str, one_of((AUTO_BELOW, AUTO_OFF), "must be below or off")]
    below: AutoBelow | None = Field(default=None, validate_default=True,
                                    description="Only for 'below' (required there): top up when the charged balance "
                                                "falls below this many won.")
    amount: AutoAmount | None = Field(default=None, validate_default=True,
                                      description="Only for 'below' (required there): won each top-up charges.")

    @field_validator("below", "amount")
    @classmethod
    def _only_for_below(cls, value: int | None, info: ValidationInfo) -> int | None:
        mode = info.data.get("mode")
        if mode == AUTO_BELOW and value is None:
            raise PydanticCustomError("rule", "required when mode is 'below'")
        if mode == AUTO_OFF and value is not None:
            raise PydanticCustomError("rule", "only for mode 'below', not 'off'")
        return value


class AutoChargeLastOut(Out):
    at: Timestamp
    amount: int
    status: Literal["charged", "skipped"]
    reason: SkipReason | None = Field(
        description="Why it was skipped (null when charged): the monthly charge limit, the balance limit, the bank "
                    "declined, or no policy in force.")
    charge_id: str | None = Field(description="The top-up, when charged (it can be cancelled like any top-up).")


class AutoChargeOut(Out):
    mode: Literal["below", "off"]
    below: int | None
    amount: int | None
    last: AutoChargeLastOut | None = Field(description="What the last automatic top-up did (null: none yet).")
