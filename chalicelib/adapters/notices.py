"""The notices bucket: uploaded notice files (`notices/`) and their error reports (`errors/`)."""

from __future__ import annotations

import threading
from typing import Any


class S3NoticeFiles:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def read(self, key: str, limit: int) -> tuple[bytes, int] | None:
        """Never reads more than `limit` bytes, whatever the object's size."""
        try:
            obj = self._s3.get_object(Bucket=self._bucket, Key=key)
        except self._s3.exceptions.NoSuchKey:
            return None
        size = int(obj.get("ContentLength", 0))
        raw: bytes = obj["Body"].read(limit)
        obj["Body"].close()
        return raw, max(size, len(raw))

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except self._s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def put_report(self, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json; charset=utf-8")

    def drop_report(self, key: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=key)


class MemoryNoticeFiles:
    """Files by key; tests upload with `files[key] = bytes`."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def read(self, key: str, limit: int) -> tuple[bytes, int] | None:
        with self._lock:
            raw = self.files.get(key)
        return None if raw is None else (raw[:limit], len(raw))

    def exists(self, key: str) -> bool:
        return key in self.files

    def put_report(self, key: str, body: bytes) -> None:
        with self._lock:
            self.files[key] = body

    def drop_report(self, key: str) -> None:
        with self._lock:
            self.files.pop(key, None)
