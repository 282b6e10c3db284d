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
