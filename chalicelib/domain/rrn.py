"""Resident registration numbers (주민등록번호): validation and masking. The number itself is personal
data of the highest order: this module never stores, logs or echoes it; callers encrypt it at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from chalicelib.domain.errors import Conflict

_SHAPE = re.compile(r"([0-9]{6})-?([0-9]{7})")
"""ASCII digits only (the regex digit class takes any script's digits), matched against the whole text."""
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_CENTURY = {"9": 1800, "0": 1800, "1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000,
            "8": 2000}  # fmt: skip
"""The 7th digit: sex and century of birth (5–8 for registered foreign residents)."""


def check_digit(first12: str) -> int:
    """The 13th digit: (11 − Σ digitᵢ × weightᵢ mod 11) mod 10, weights 2…9, 2…5."""
    total = sum(int(d) * w for d, w in zip(first12, _WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def normalise_rrn(text: str) -> str | None:
    """The 13 digits of a valid number (with or without the hyphen), or None.

    Valid means: 13 digits, a real birth date in the century the 7th digit names, and the check digit.
    """
    match = _SHAPE.fullmatch(text)
    if match is None:
        return None
    digits = match.group(1) + match.group(2)
    century = _CENTURY[digits[6]]
    try:
        date(century + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return None
    if check_digit(digits[:12]) != int(digits[12]):
        return None
    return digits


def mask_rrn(digits: str) -> str:
    """Birth date and the sex digit only, the rest hidden: `900101-1******`."""
    return f"{digits[:6]}-{digits[6]}******"


@dataclass(frozen=True)
class TaxIdRegistration:
    """A resident's stored registration as the use cases see it: never the number, only its masked form and
    its fingerprint (a keyed MAC: equal numbers have equal fingerprints, so one number can be held by one
    resident, yet without the key, which KMS keeps, the fingerprint cannot be turned back into the number).

    `fingerprint` is None for a registration made before fingerprints were kept: it claims no number.
    """

    user_id: str
    masked: str
    fingerprint: str | None
    updated_at: str


def number_taken() -> Conflict:
    """The refusal of a number another resident holds. It names no one: who holds a number is nobody else's
    business (and the caller already knows the number, so echoing it would add nothing but a leak)."""
    return Conflict("this registration number is registered by another resident")
