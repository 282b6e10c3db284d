"""What every area's request and response models share: strict request bodies, bounded texts, won, months,
pages, and the error shape.

The models validate requests (strict JSON types: `"1000"` or `true` is not an amount), shape responses
and generate the OpenAPI document, so the three cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from typing_extensions import TypeAliasType

from chalicelib.domain.dongs import DONGS
from chalicelib.domain.merchant import MALLS
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


class Rule:
    """A check the server makes on a value and the JSON Schema keywords that state it in the published
    document, declared together so that the two cannot drift apart: `Annotated[str, Rule(...)]`.

    The check runs after the type's own validation (strict types, bounds, patterns); a value it refuses is
    400 `VALIDATION_ERROR` with `message`, which names the value only where `echo` says it is no personal
    data (a staff member's list of dongs or malls: the message says which entry is wrong). Where JSON Schema
    cannot say the whole rule (a check digit), `keywords` say what it can, with a description and an `x-`
    extension naming the rest."""

    def __init__(self, holds: Callable[[Any], bool], message: str, keywords: dict[str, Any], *,
                 echo: bool = False) -> None:
        self.holds = holds
        self.message = message
        self.keywords = keywords
        self.echo = echo

    def _check(self, value: Any) -> Any:
        if not self.holds(value):
            if self.echo:
                raise PydanticCustomError("rule", "{value} " + self.message, {"value": repr(value)})
            raise PydanticCustomError("rule", self.message)
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        stated = handler(schema)
        stated.update(self.keywords)
        return stated


def one_of(values: Sequence[Any], message: str, *, echo: bool = False) -> Rule:
    """One of `values` (the domain's own list): the document's `enum`."""
    allowed = frozenset(values)
    return Rule(lambda v: v in allowed, message, {"enum": list(values)}, echo=echo)


def must_be_true(message: str) -> Rule:
    """A boolean that must be sent as `true` (an agreement, a consent): the document's `const: true`."""
    return Rule(lambda v: v is True, message, {"const": True})


def no_repeats(message: str) -> Rule:
    """A list whose entries are all different: the document's `uniqueItems`."""
    return Rule(lambda v: len(set(v)) == len(v), message, {"uniqueItems": True})


def unique_by(field: str, message: str) -> Rule:
    """A list of objects no two of which share `field` (JSON Schema cannot say it: `x-unique-by` does)."""
    return Rule(lambda v: len({getattr(x, field) for x in v}) == len(v), message, {"x-unique-by": field})


Won = Annotated[int, Field(ge=0, le=MAX_WON)]
PositiveWon = Annotated[int, Field(gt=0, le=MAX_WON)]
NOT_BLANK = r"[^\t\n\x0b\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
"""A character that is not white space as trimming sees it (Unicode's White_Space): a free text holds at
least one. The document's pattern for "not blank", equivalent to the trimmed text's minimum length of 1."""
Text20 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20, pattern=NOT_BLANK),
                   sent_at_most(20)]
Text40 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=NOT_BLANK),
                   sent_at_most(40)]
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=NOT_BLANK),
                   sent_at_most(50)]
Text64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=NOT_BLANK),
                   sent_at_most(64)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK),
                    sent_at_most(100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK),
                    sent_at_most(200)]
Dong = TypeAliasType("Dong", Annotated[str, one_of(DONGS, "must be one of the 22 dongs of Seo-gu")])
"""One of the 22 dongs (`domain/dongs.py`), spelled exactly (no trimming: the document's enum is the whole rule);
the document's `Dong` schema."""
NamedDong = Annotated[str, one_of(DONGS, "is not one of the 22 dongs of Seo-gu", echo=True)]
"""A dong in a staff member's list (the dongs a shop delivers to): a refusal names the entry."""
Mall = TypeAliasType("Mall", Annotated[str, one_of(MALLS, f"must be one of {', '.join(MALLS)}")])
"""One of the malls (`domain/merchant.py`); the document's `Mall` schema."""
NamedMall = Annotated[str, one_of(MALLS, f"is not a mall: malls are {', '.join(MALLS)}", echo=True)]
"""A mall in a staff member's list (a shop's malls): a refusal names the entry."""
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
"""What an id is, wherever a caller names one (a path parameter, a body's `…_id`) and as the OpenAPI
document states it: an ASCII letter or digit, then up to 63 of letters, digits, `_`, `.`, `:`, `-`. So `.`
and `..` (path segments that a proxy, a log reader or a file name would resolve), `-x` (read as an option)
and `:a` are not ids, while every id the system makes (`m-…`, `pay_…`, `ord_…`, `news_…`, the seeded
campaigns' slugs) and months are. Matched whole (`re.fullmatch`; pydantic and JSON Schema anchor at the
very end): `$` alone also matches before a final line feed."""
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]
SEALED_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
"""A payment's or an order's id, which may carry its payer sealed (domain/sealed_ids.py, `MAX_LENGTH`): an id as
`ID_PATTERN` says, of up to 128 characters."""
PATH_ID_PATTERNS = {"payment_id": SEALED_ID_PATTERN, "order_id": SEALED_ID_PATTERN}
"""Path parameters whose ids may be sealed ones; every other id in a path is `ID_PATTERN`."""


def month_rule() -> BeforeValidator:
    """A month anywhere in a request is the key a month may have (`MONTH_RULE`), refused in those words:
    a filter of 0000-01 would otherwise be taken, and the pattern's text tells a resident nothing."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and not is_month(value):
            raise PydanticCustomError("month", MONTH_RULE)
        return value

    return BeforeValidator(check)


MONTH_PATTERN = r"^2[0-9]{3}-(0[1-9]|1[0-2])$"
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN), month_rule()]
"""Patterns spell digits `[0-9]`: pydantic's digit class also takes other scripts' digits (JSON Schema's does not)."""
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")
TIMESTAMP_RULE = "must be an RFC 3339 time with its offset, like 2020-03-10T21:00:00+09:00"


def is_timestamp(text: str) -> bool:
    """An RFC 3339 time with its offset (the document's `format: date-time`), as the contract writes times
    (`2020-03-10T21:00:00+09:00`)."""
    if not _TIMESTAMP.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text.upper())
    except ValueError:
        return False
    return True


def _instant(value: Any) -> datetime:
    """A time in a request, read as RFC 3339 only (what its `format: date-time` says): pydantic's own datetime
    also takes seconds since 1970 in a string, a space for the `T`, `+0900`, or no seconds."""
    if not isinstance(value, str) or not is_timestamp(value):
        raise PydanticCustomError("rule", TIMESTAMP_RULE)
    return datetime.fromisoformat(value.upper())


Timestamp = Annotated[str, Rule(is_timestamp, TIMESTAMP_RULE, {"format": "date-time"})]
"""A time in a response: `format: date-time` in the document, and checked when the response is made, so a
time that is not RFC 3339 can never reach a client that trusts the format."""
Instant = Annotated[datetime, PlainValidator(_instant), WithJsonSchema({"type": "string", "format": "date-time"})]
"""A time in a request: RFC 3339 with its offset (`format: date-time`), as an aware datetime."""


class Strict(BaseModel):
    """Request bodies: strict types, no unknown fields. Every model defers building its validator to its first
    use (`defer_build`): a Lambda instance then builds only the models of the routes it serves, not all of them
    at `import app` (docs/PERFORMANCE.md, cold start)."""

    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)


class Out(BaseModel):
    """Response bodies. Every field is always sent (null where it has no value), so the document lists every
    one as required, defaults included."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True, defer_build=True)


# ---- errors ------------------------------------------------------------------------------


class ErrorDetail(Out):
    code: str = Field(description="One of the codes the response's status lists (its `x-error-codes`).")
    message: str


class ErrorOut(Out):
    error: ErrorDetail



class PageQuery(BaseModel):
    """`?limit=` (1–100, default 20) and `?next=` (opaque)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    next: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None
