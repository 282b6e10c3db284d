"""Disaster alerts to SNS topics, one per dong and one for the whole district (`<prefix><slug>`)."""

from __future__ import annotations

import threading
from typing import Any


class AlertTopicsMissing(RuntimeError):
    """ALERT_TOPIC_ARN_PREFIX is not configured, so disaster alerts cannot be pushed."""


class SnsAlerts:
    def __init__(self, sns: Any, topic_arn_prefix: str | None) -> None:
        self._sns = sns
        self._prefix = topic_arn_prefix

    def publish(self, slug: str, message: str, post_id: str) -> None:
        if not self._prefix:
            raise AlertTopicsMissing("ALERT_TOPIC_ARN_PREFIX is not set: disaster alerts cannot be pushed")
        self._sns.publish(
            TopicArn=f"{self._prefix}{slug}",
            Subject="Seoro e-Eum disaster alert",
            Message=message,
            MessageAttributes={"post_id": {"DataType": "String", "StringValue": post_id}},
        )


class MemoryAlerts:
    """Every push, in order; `failing` makes the next pushes fail as SNS would when it is down."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.failing = False
        self._lock = threading.Lock()

    def publish(self, slug: str, message: str, post_id: str) -> None:
        if self.failing:
            raise ConnectionError("SNS is unavailable (simulated)")
        with self._lock:
            self.sent.append((slug, message, post_id))
