"""Fingerprints of personal data: HMAC-SHA-256 computed by KMS (`GenerateMac`) under an HMAC key that never
leaves it.

Why a keyed MAC and not a hash: a registration number is 13 digits with a check digit and a birth date, so
every possible number can be hashed in minutes; whoever reads the table could then turn a plain hash back
into the number. Without the key (which only KMS holds, and only the API may use) a fingerprint tells
nothing but whether two numbers are equal. The value never appears in an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from chalicelib.domain.errors import StorageUnavailable

MAC_ALGORITHM = "HMAC_SHA_256"


def message(value: str, purpose: str) -> bytes:
    """What is MACed: the purpose and the value, unambiguously joined (a JSON pair), so one purpose's
    fingerprints never match another's."""
    return json.dumps([purpose, value], ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class KmsFingerprints:
    """MACs with the deployment's HMAC key (`TAX_ID_MAC_KEY_ARN`, KeySpec HMAC_256); one KMS call each."""

    def __init__(self, kms: Any, key_arn: str | None) -> None:
        self._kms = kms
        self._key_arn = key_arn

    def mac(self, value: str, purpose: str) -> str:
        if not self._key_arn:
            raise StorageUnavailable("no MAC key is configured (TAX_ID_MAC_KEY_ARN)")
        try:
            out = self._kms.generate_mac(KeyId=self._key_arn, MacAlgorithm=MAC_ALGORITHM,
                                         Message=message(value, purpose))
        except Exception as exc:  # the SDK's errors never carry the message, but its chain may: drop it
            raise StorageUnavailable(f"fingerprinting failed ({type(exc).__name__})") from None
        mac: bytes = out["Mac"]
        return mac.hex()


class MemoryFingerprints:
    """The use-case tests' stand-in for KMS: the same HMAC-SHA-256 over the same message, under a random key
    that lives in this object (so, as with KMS, no one outside can recompute a fingerprint)."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def mac(self, value: str, purpose: str) -> str:
        return hmac.new(self._key, message(value, purpose), hashlib.sha256).hexdigest()
