"""What a payment's or an order's id carries: its payer's wallet key and its month (an order's also its shop),
sealed, so that the id reveals nothing.

Why the id carries them: a shop refunds a payment knowing only its id, and the refund must read the payer's
wallet and the payment's month's counters in the same read as the payment (one BatchGetItem, then one
transaction). Why sealed: the shop must learn nothing from the id — not who paid, and not whether two payments
were made by the same resident. So they are encrypted and authenticated (AES-256-GCM) under a key only the API
holds (`KEY_NAME`, a data key made by KMS: adapters/data_keys.py), each id with its own random 96-bit nonce: two
ids of one resident share no part but the prefix and the version, and an id altered or made up does not open.

An id is `<prefix>_<body>`; the body is URL-safe base64 without padding of

    version (1 byte: 1) ‖ nonce (12 bytes) ‖ AES-GCM(plaintext, associated data = version) (plaintext + 16-byte tag)
    plaintext = month (2 bytes: year × 12 + month − 1) ‖ payer ‖ [shop]
    payer, shop = 0x00 ‖ the 16 bytes of a UUID written in its canonical form (every Cognito sub)
                | n ‖ n ASCII bytes (any other id, 1 ≤ n ≤ 255)

An order and its payment share one body (`ord_X` and `pay_X`, `mord_X` and `pay_X`), so the order's id names
its payment, payer, month and shop. Ids sealed for a Cognito sub all have the same length (68 characters for a
payment, 88–89 for an order of a shop with an `m-` id); an id that would be longer than `MAX_LENGTH` (a payer's id
of more than 61 characters for a payment, about 45 for an order; never a Cognito sub) is made plain, as every id
was before ids were sealed.
A plain id is 32 hex digits, which never decode to a sealed body (too short), so `sealed_part` tells the two apart
without the key.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass

from chalicelib.domain.months import is_month

KEY_NAME = "sealed-ids"
"""The data key's name (adapters/data_keys.py); also the encryption context its wrapped copy is bound to."""
VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_LENGTH = 128
"""The longest id the API takes where a payment's or an order's id is named (web/schemas/common.py)."""
_SMALLEST = 1 + NONCE_BYTES + 2 + 2 + TAG_BYTES
"""A sealed body's fewest bytes: version, nonce, month, a one-character payer, tag."""
_BODY = re.compile(r"[A-Za-z0-9_-]+")
_UUID = 0


@dataclass(frozen=True)
class Sealed:
    """What an id carries: the payer (the wallet's key), the month, and for an order (and its payment) the shop."""

    user_id: str
    month: str
    merchant_id: str | None = None


def seal(key: bytes, sealed: Sealed, nonce: bytes) -> str:
    """The body of an id carrying `sealed`; `nonce` must be fresh random bytes (`NONCE_BYTES`) for every id."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(nonce) != NONCE_BYTES:
        raise ValueError("a sealed id's nonce is 12 bytes")
    year, month = int(sealed.month[:4]), int(sealed.month[5:7])
    plain = (year * 12 + month - 1).to_bytes(2, "big") + _field(sealed.user_id)
    if sealed.merchant_id is not None:
        plain += _field(sealed.merchant_id)
    version = bytes([VERSION])
    raw = version + nonce + AESGCM(key).encrypt(nonce, plain, version)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def fits(prefix: str, body: str) -> bool:
    """Whether `<prefix>_<body>` is within `MAX_LENGTH`."""
    return len(prefix) + 1 + len(body) <= MAX_LENGTH


def with_prefix(ident: str, prefix: str) -> str:
    """The id with the same body under another prefix: an order's id gives its payment's."""
    return f"{prefix}_{ident.partition('_')[2]}"


def sealed_part(ident: str) -> bytes | None:
    """The decoded body of an id in the sealed form, before it is opened; None for a plain id (any id made
    before ids were sealed, or one too long to seal), which is then looked up as it is."""
    prefix, _, body = ident.partition("_")
    if not prefix or not _BODY.fullmatch(body):
        return None
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    # one body, one id: a body with other trailing bits decodes to the same bytes but is not the id that was made
    canonical = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") == body
    return raw if canonical and len(raw) >= _SMALLEST and raw[0] == VERSION else None


def unseal(key: bytes, raw: bytes) -> Sealed | None:
    """What a sealed body (`sealed_part`) carries, or None if it does not open under `key`: altered, made up,
    or sealed under another key (another deployment's)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    version, nonce, sealed = raw[:1], raw[1:1 + NONCE_BYTES], raw[1 + NONCE_BYTES:]
    try:
        plain = AESGCM(key).decrypt(nonce, sealed, version)
    except InvalidTag:
        return None
    year, month = divmod(int.from_bytes(plain[:2], "big"), 12)
    fields, rest = [], plain[2:]
    while rest:
        value, rest = _read_field(rest)
        if value is None:
            return None
        fields.append(value)
    text = f"{year:04d}-{month + 1:02d}"
    if not is_month(text) or len(fields) not in (1, 2):
        return None
    return Sealed(fields[0], text, fields[1] if len(fields) == 2 else None)


def _field(value: str) -> bytes:
    try:
        compact = uuid.UUID(value)
    except ValueError:
        compact = None
    if compact is not None and str(compact) == value:
        return bytes([_UUID]) + compact.bytes
    data = value.encode("ascii")
    if not 1 <= len(data) <= 255:
        raise ValueError("a sealed id's field is 1 to 255 ASCII characters")
    return bytes([len(data)]) + data


def _read_field(data: bytes) -> tuple[str | None, bytes]:
    size = data[0]
    if size == _UUID:
        return (str(uuid.UUID(bytes=data[1:17])), data[17:]) if len(data) >= 17 else (None, b"")
    if len(data) < 1 + size:
        return None, b""
    try:
        return data[1:1 + size].decode("ascii"), data[1 + size:]
    except UnicodeDecodeError:
        return None, b""
