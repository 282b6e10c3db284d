"""The opaque `next` token of every paged list: JSON, URL-safe base64 without padding.

What a token holds is each list's own business; that a token is opaque, and that one not minted by this
service is a 400 (`next is not a valid cursor`), is everyone's, so it lives here once.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.domain.errors import ValidationFailed


def pack(data: dict[str, Any]) -> str:
    """A cursor's fields as the token a client hands back."""
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def unpack(cursor: str) -> dict[str, Any]:
    """A token back into its fields; anything that is not a token of ours is a `ValidationFailed`."""
    try:
        padded = (cursor + "=" * (-len(cursor) % 4)).encode("ascii")
        data = json.loads(base64.urlsafe_b64decode(padded).decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise ValidationFailed("next is not a valid cursor") from exc
    if not isinstance(data, dict):
        raise ValidationFailed("next is not a valid cursor")
    return data
