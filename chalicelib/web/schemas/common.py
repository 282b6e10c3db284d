"""What every area's request and response models share: strict request bodies, bounded texts, won, months,
pages, and the error shape.

The models validate requests (strict JSON types: `"1000"` or `true` is not an amount), shape responses
and generate the OpenAPI document, so the three cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from chalicelib.domain.months import MONTH_RULE, is_month

MAX_WON = 100_000_000
"""No single amount in this system may exceed 100 million won; larger numbers are input errors."""


def sent_at_most(limit: int) -> BeforeValidator:
    """The length bound of a trimmed text holds for the text as sent too, as the document's maxLength says:
    trimming alone would take 101 characters whose first is a space as 100. (Listed after the
    StringConstraints it guards, it runs first; listed before, pydantic drops their min_length.)"""

    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            raise PydanticCustomError(
                "string_too_long", "String should have at most {max_length} characters", {"max_length": limit}
            )
        return value

    return BeforeValidator(check)


Won = Annotated[int, Field(ge=0, le=MAX_WON)]
PositiveWon = Annotated[int, Field(gt=0, le=MAX_WON)]
Text20 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), sent_at_most(20)]
Text40 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), sent_at_most(40)]
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), sent_at_most(50)]
Text64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), sent_at_most(64)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), sent_at_most(100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), sent_at_most(200)]
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
"""What an id is, wherever a caller names one (a path parameter, a body's `…_id`) and as the OpenAPI
document states it: an ASCII letter or digit, then up to 63 of letters, digits, `_`, `.`, `:`, `-`. So `.`
and `..` (path segments that a proxy, a log reader or a file name would resolve), `-x` (read as an option)
and `:a` are not ids, while every id the system makes (`m-…`, `pay_…`, `ord_…`, `news_…`, the seeded
campaigns' slugs) and months are. Matched whole (`re.fullmatch`; pydantic and JSON Schema anchor at the
very end): `$` alone also matches before a final line feed."""
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]


def month_rule() -> BeforeValidator:
    """A month anywhere in a request is the key a month may have (`MONTH_RULE`), refused in those words:
    a filter of 0000-01 would otherwise be taken, and the pattern's text tells a resident nothing."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and not is_month(value):
            raise PydanticCustomError("month", MONTH_RULE)
        return value

    return BeforeValidator(check)


Month = Annotated[str, StringConstraints(pattern=r"^2[0-9]{3}-(0[1-9]|1[0-2])$"), month_rule()]
"""Patterns spell digits `[0-9]`: pydantic's digit class also takes other scripts' digits (JSON Schema's does not)."""


class Strict(BaseModel):
    """Request bodies: strict types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Out(BaseModel):
    """Response bodies."""

    model_config = ConfigDict(extra="forbid")


# ---- errors ------------------------------------------------------------------------------


class ErrorDetail(Out):
    code: str
    message: str


class ErrorOut(Out):
    error: ErrorDetail



class PageQuery(BaseModel):
    """`?limit=` (1–100, default 20) and `?next=` (opaque)."""

    model_config = ConfigDict(extra="ignore")
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    next: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None
