"""Files the service hands out: settlement reports (reports bucket) and exports for other authorities
(exports bucket, encrypted with the personal-data key)."""

from __future__ import annotations

import threading
from typing import Any


class S3Files:
    def __init__(self, s3: Any, bucket: str, kms_key_arn: str | None = None, *, encrypted: bool = False) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._extra: dict[str, str] = {}
        if encrypted:
            self._extra["ServerSideEncryption"] = "aws:kms"
            if kms_key_arn:
                self._extra["SSEKMSKeyId"] = kms_key_arn

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type, **self._extra)


class MemoryFiles:
    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, body: bytes, content_type: str) -> None:
        with self._lock:
            self.files[key] = (body, content_type)
