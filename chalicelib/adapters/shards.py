"""The settlement's shard messages, through SQS."""

from __future__ import annotations

import json
import threading
from typing import Any

QUEUE_NAME = "seoro-settlement"


class SqsShardQueue:
    def __init__(self, sqs: Any, queue_url: str | None) -> None:
        self._sqs = sqs
        self._url = queue_url

    def _queue_url(self) -> str:
        if not self._url:
            self._url = str(self._sqs.get_queue_url(QueueName=QUEUE_NAME)["QueueUrl"])
        return self._url

    def send(self, messages: list[dict[str, Any]]) -> None:
        """In batches of ten, sending again the entries SQS did not take."""
        url = self._queue_url()
        for start in range(0, len(messages), 10):
            entries = [
                {"Id": str(i), "MessageBody": json.dumps(m, separators=(",", ":"), ensure_ascii=False)}
                for i, m in enumerate(messages[start : start + 10])
            ]
            for _ in range(5):
                failed = self._sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
                if not failed:
                    break
                ids = {f["Id"] for f in failed}
                entries = [e for e in entries if e["Id"] in ids]
            else:
                raise RuntimeError("SQS did not accept the settlement shard messages")


class MemoryShardQueue:
    """Messages wait in `pending` (as JSON text, like SQS bodies) until a test delivers them."""

    def __init__(self) -> None:
        self.pending: list[str] = []
        self._lock = threading.Lock()

    def send(self, messages: list[dict[str, Any]]) -> None:
        with self._lock:
            self.pending.extend(json.dumps(m, separators=(",", ":"), ensure_ascii=False) for m in messages)

    def take(self) -> list[str]:
        with self._lock:
            taken, self.pending = self.pending, []
        return taken
