"""The composition root: cached factories for everything with a side effect, built on first use.

Tests replace any part with `override(...)` and go back with `reset()`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.auth import TokenVerifier
    from chalicelib.clock import Clock
    from chalicelib.domain.policy import Policy
    from chalicelib.domain.ports import BankGateway, PiiCipher
    from chalicelib.storage.dynamo import DynamoStore
    from chalicelib.storage.news import NewsRepository


class PolicyCache:
    """Policies change rarely and only for future months, so a short in-memory cache is safe."""

    def __init__(self, load: Any, ttl_seconds: float) -> None:
        self._load = load
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Policy]] | None = None

    def all(self) -> list[Policy]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > self._ttl:
                self._cached = (now, self._load())
            return self._cached[1]

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None


@dataclass
class Container:
    """Holds the app's collaborators; each is built once, when first asked for."""

    overrides: dict[str, Any]
    _built: dict[str, Any] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def _get(self, name: str, build: Any) -> Any:
        with self._lock:
            if name not in self._built:
                self._built[name] = self.overrides[name] if name in self.overrides else build()
            return self._built[name]

    @property
    def settings(self) -> Settings:
        return self._get("settings", Settings.from_env)  # type: ignore[no-any-return]

    @property
    def clock(self) -> Clock:
        def build() -> Clock:
            from chalicelib.clock import FileClock, SystemClock

            s = self.settings
            if s.is_local and s.local_clock_file:
                return FileClock(s.local_clock_file)
            return SystemClock()

        return self._get("clock", build)  # type: ignore[no-any-return]

    @property
    def store(self) -> DynamoStore:
        def build() -> DynamoStore:
            from chalicelib.storage.dynamo import DynamoStore

            s = self.settings
            return DynamoStore(s.table_name, s.region, s.idempotency_ttl_seconds, s.settlement_shards)

        return self._get("store", build)  # type: ignore[no-any-return]

    @property
    def bank(self) -> BankGateway:
        def build() -> BankGateway:
            from chalicelib.storage.bank import FakeBank

            return FakeBank()

        return self._get("bank", build)  # type: ignore[no-any-return]

    @property
    def verifier(self) -> TokenVerifier:
        def build() -> TokenVerifier:
            from chalicelib.auth import TokenVerifier

            s = self.settings
            return TokenVerifier(
                jwks_file=s.auth_jwks_file,
                jwks_url=s.auth_jwks_url,
                issuer=s.auth_issuer,
                audience=s.auth_audience,
            )

        return self._get("verifier", build)  # type: ignore[no-any-return]

    @property
    def sqs(self) -> Any:
        def build() -> Any:
            import boto3

            return boto3.client("sqs", region_name=self.settings.region)

        return self._get("sqs", build)

    @property
    def s3(self) -> Any:
        def build() -> Any:
            import boto3

            return boto3.client("s3", region_name=self.settings.region)

        return self._get("s3", build)

    @property
    def sns(self) -> Any:
        def build() -> Any:
            import boto3

            return boto3.client("sns", region_name=self.settings.region)

        return self._get("sns", build)

    @property
    def news(self) -> NewsRepository:
        def build() -> NewsRepository:
            from chalicelib.storage.news import NewsRepository

            return NewsRepository(self.store)

        return self._get("news", build)  # type: ignore[no-any-return]

    @property
    def pii(self) -> PiiCipher:
        def build() -> PiiCipher:
            from chalicelib.storage.pii import KmsPiiCipher

            return KmsPiiCipher(self.settings.pii_key_arn)

        return self._get("pii", build)  # type: ignore[no-any-return]

    @property
    def policies(self) -> PolicyCache:
        def build() -> PolicyCache:
            return PolicyCache(self.store.list_policies, self.settings.policy_cache_seconds)

        return self._get("policies", build)  # type: ignore[no-any-return]


_lock = threading.Lock()
_container: Container | None = None


def container() -> Container:
    """The process's container, created on first use."""
    global _container
    with _lock:
        if _container is None:
            _container = Container(overrides={})
        return _container


def override(**parts: Any) -> Container:
    """Replace parts (settings, clock, store, bank, verifier, policies, sqs, s3, pii, sns, news) for tests;
    the rest rebuilds."""
    global _container
    with _lock:
        _container = Container(overrides=dict(parts))
        return _container


def reset() -> None:
    global _container
    with _lock:
        _container = None
