"""Personal data encrypted with KMS: Powertools data masking over the AWS Encryption SDK.

Each value gets its own data key wrapped by the KMS key (envelope encryption); the encryption context
names the owner, so a ciphertext copied onto another resident does not decrypt. The plaintext never
leaves this module except to the caller that asked for it, and no error message carries it.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import StorageUnavailable


class KmsPiiCipher:
    """Encrypts with the deployment's personal-data key (`PII_KEY_ARN`); built on first use."""

    def __init__(self, key_arn: str | None) -> None:
        self._key_arn = key_arn
        self._masker: Any = None

    def _data_masking(self) -> Any:
        if self._masker is None:
            if not self._key_arn:
                raise StorageUnavailable("no personal-data key is configured (PII_KEY_ARN)")
            from aws_lambda_powertools.utilities.data_masking import DataMasking
            from aws_lambda_powertools.utilities.data_masking.provider.kms.aws_encryption_sdk import (
                AWSEncryptionSDKProvider,
            )

            self._masker = DataMasking(provider=AWSEncryptionSDKProvider(keys=[self._key_arn]))
        return self._masker

    def encrypt(self, plaintext: str, context: dict[str, str]) -> str:
        try:
            return str(self._data_masking().encrypt(plaintext, **context))
        except StorageUnavailable:
            raise
        except Exception as exc:  # the SDK's errors never carry the plaintext, but its chain may: drop it
            raise StorageUnavailable(f"encryption failed ({type(exc).__name__})") from None

    def decrypt(self, ciphertext: str, context: dict[str, str]) -> str:
        try:
            return str(self._data_masking().decrypt(ciphertext, **context))
        except StorageUnavailable:
            raise
        except Exception as exc:
            raise StorageUnavailable(f"decryption failed ({type(exc).__name__})") from None


class MemoryPiiCipher:
    """The use-case tests' stand-in for KMS: real authenticated encryption (Fernet) under a key that lives in
    this object, bound to its context like the KMS envelope, so a ciphertext copied to another owner fails."""

    def __init__(self) -> None:
        from cryptography.fernet import Fernet

        self._fernet = Fernet(Fernet.generate_key())

    def encrypt(self, plaintext: str, context: dict[str, str]) -> str:
        import json

        token: bytes = self._fernet.encrypt(json.dumps([sorted(context.items()), plaintext]).encode("utf-8"))
        return token.decode("ascii")

    def decrypt(self, ciphertext: str, context: dict[str, str]) -> str:
        import json

        bound, plaintext = json.loads(self._fernet.decrypt(ciphertext.encode("ascii")))
        if bound != [list(kv) for kv in sorted(context.items())]:
            raise StorageUnavailable("decryption failed (the context does not match)")
        return str(plaintext)
