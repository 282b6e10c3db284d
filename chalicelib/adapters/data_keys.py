"""256-bit data keys made by KMS, kept wrapped in the table, unwrapped once per process.

CloudFormation cannot make a data key, and the deployer may not use the personal-data key, so the API makes it
when it first needs it: KMS `GenerateDataKey` under the personal-data key (`PII_KEY_ARN`), the key's name as its
encryption context, the wrapped copy put in the table in the same transaction as the first thing sealed with it
(a conditional put, storage/keys.py). Processes starting together agree: one transaction stores its key, and
every other one fails with `Contention`, reads again and unwraps the stored one; an id sealed with a key that
was not stored is never written. From then on a process unwraps the stored copy once (`Decrypt`, one KMS call)
and keeps the key in memory for its lifetime. Where a use case needs the key after its batched read (sealing a new
payment's id), the wrapped copy is one more key of that read (`want`): no DynamoDB request of its own.
Only the API's role may call either KMS operation on that key, so no other function, and no one reading the
table, can unwrap it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from chalicelib.domain.errors import StorageUnavailable
from chalicelib.domain.ports.keys import StoredKeys
from chalicelib.domain.ports.unit import Batch, Tx

T = TypeVar("T")


class KmsKeyring:
    """The data keys of one deployment, each made once for good and unwrapped once per process."""

    def __init__(self, kms: Any, key_arn: str | None, stored: StoredKeys) -> None:
        self._kms = kms
        self._key_arn = key_arn
        self._stored = stored
        self._lock = threading.Lock()
        self._keys: dict[str, bytes] = {}
        self._made: dict[str, tuple[bytes, bytes]] = {}
        """The last key this process made, by name (wrapped, plain): once stored, no KMS call unwraps it."""

    def key(self, name: str) -> bytes | None:
        with self._lock:
            if name not in self._keys:
                wrapped = self._stored.get(name)
                if wrapped is None:
                    return None
                self._keys[name] = self._unwrap(name, wrapped)
            return self._keys[name]

    def want(self, batch: Batch, name: str) -> Callable[[Tx], bytes]:
        with self._lock:
            known = self._keys.get(name)
        if known is not None:
            return lambda _: known
        slot = self._stored.want(batch, name)

        def after(tx: Tx) -> bytes:
            with self._lock:
                if name not in self._keys and slot.value is not None:
                    self._keys[name] = self._unwrap(name, slot.value)
                if name in self._keys:
                    return self._keys[name]
                wrapped, plain = self._make(name)
                self._made[name] = (wrapped, plain)
            self._stored.stage(tx, name, wrapped)
            return plain

        return after

    def _arn(self) -> str:
        if not self._key_arn:
            raise StorageUnavailable("no personal-data key is configured (PII_KEY_ARN)")
        return self._key_arn

    def _make(self, name: str) -> tuple[bytes, bytes]:
        arn = self._arn()
        made = _kms(lambda: self._kms.generate_data_key(KeyId=arn, KeySpec="AES_256",
                                                        EncryptionContext={"purpose": name}))
        return bytes(made["CiphertextBlob"]), bytes(made["Plaintext"])

    def _unwrap(self, name: str, wrapped: bytes) -> bytes:
        ours = self._made.get(name)
        if ours is not None and ours[0] == wrapped:
            return ours[1]
        arn = self._arn()
        out = _kms(lambda: self._kms.decrypt(CiphertextBlob=wrapped, KeyId=arn, EncryptionContext={"purpose": name}))
        return bytes(out["Plaintext"])


def _kms(call: Callable[[], T]) -> T:
    try:
        return call()
    except Exception as exc:  # KMS's errors never carry a key, but keep the chain out of answers and logs alike
        raise StorageUnavailable(f"the data key could not be fetched ({type(exc).__name__})") from None


class MemoryKeyring:
    """The use-case tests' stand-in: a random key per name, living in this object (one 'deployment')."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def key(self, name: str) -> bytes | None:
        with self._lock:
            return self._keys.setdefault(name, secrets.token_bytes(32))

    def want(self, batch: Batch, name: str) -> Callable[[Tx], bytes]:
        def after(_: Tx) -> bytes:
            with self._lock:
                return self._keys.setdefault(name, secrets.token_bytes(32))

        return after
