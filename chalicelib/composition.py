"""The composition root: cached factories for everything with a side effect, built on first use.

Tests replace any part with `override(...)` and go back with `reset()`; `in_memory()` gives the parts that
run the whole service without AWS (the use-case tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.repositories import Repositories, dynamo_repositories, memory_repositories
from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.auth import Verifier
    from chalicelib.clock import Clock
    from chalicelib.domain.policy import Policy
    from chalicelib.domain.ports.donations import Exports, Fingerprints, PiiCipher
    from chalicelib.domain.ports.keys import Keyring
    from chalicelib.domain.ports.money import BankGateway
    from chalicelib.domain.ports.news import Alerts, NoticeFiles
    from chalicelib.domain.ports.settlement import ReportFiles, ShardQueue

__all__ = ["Container", "PolicyCache", "Repositories", "amend", "container", "dynamo_repositories", "in_memory",
           "memory_repositories", "override", "reset"]

T = TypeVar("T")


def in_memory(settings: Settings) -> dict[str, Any]:
    """Overrides that run the service with no AWS at all: in-memory repositories and adapters."""
    from chalicelib.adapters.alerts import MemoryAlerts
    from chalicelib.adapters.bank import FakeBank
    from chalicelib.adapters.data_keys import MemoryKeyring
    from chalicelib.adapters.files import MemoryFiles
    from chalicelib.adapters.fingerprints import MemoryFingerprints
    from chalicelib.adapters.notices import MemoryNoticeFiles
    from chalicelib.adapters.pii import MemoryPiiCipher
    from chalicelib.adapters.shards import MemoryShardQueue

    return {
        "settings": settings, "repos": memory_repositories(settings), "bank": FakeBank(), "pii": MemoryPiiCipher(),
        "notices": MemoryNoticeFiles(), "alerts": MemoryAlerts(), "shards": MemoryShardQueue(),
        "reports": MemoryFiles(), "exports": MemoryFiles(), "fingerprints": MemoryFingerprints(),
        "keyring": MemoryKeyring(),
    }  # fmt: skip


class PolicyCache:
    """Policies change rarely and only for future months, so a short in-memory cache is safe."""

    def __init__(self, load: Callable[[], list[Policy]], ttl_seconds: float) -> None:
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

    def _get(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._built:
                self._built[name] = self.overrides[name] if name in self.overrides else build()
            return self._built[name]  # type: ignore[no-any-return]

    def client(self, service: str) -> Any:
        """The process's one boto3 client of `service` (the adapters share it)."""

        def build() -> Any:
            import boto3

            make: Any = boto3.client
            return make(service, region_name=self.settings.region)

        return self._get(f"client:{service}", build)

    @property
    def settings(self) -> Settings:
        return self._get("settings", Settings.from_env)

    @property
    def clock(self) -> Clock:
        def build() -> Clock:
            from chalicelib.clock import FileClock, SystemClock

            s = self.settings
            return FileClock(s.local_clock_file) if s.is_local and s.local_clock_file else SystemClock()

        return self._get("clock", build)

    @property
    def repos(self) -> Repositories:
        return self._get("repos", lambda: dynamo_repositories(self.settings))

    @property
    def policies(self) -> PolicyCache:
        return self._get("policies", lambda: PolicyCache(self.repos.policies.all, self.settings.policy_cache_seconds))

    @property
    def bank(self) -> BankGateway:
        def build() -> BankGateway:
            from chalicelib.adapters.bank import FakeBank

            return FakeBank()

        return self._get("bank", build)

    @property
    def verifier(self) -> Verifier:
        def build() -> Verifier:
            from chalicelib.auth import STAFF, TokenVerifier, TwoPools

            s = self.settings
            residents = TokenVerifier(jwks_file=s.auth_jwks_file, jwks_url=s.auth_jwks_url, issuer=s.auth_issuer,
                                      audience=s.auth_audience,
                                      withheld=frozenset({STAFF}) if s.has_staff_pool else frozenset())
            if not s.has_staff_pool:
                return residents
            if not s.staff_auth_jwks_url:
                raise ValueError("a staff pool needs STAFF_AUTH_JWKS_URL")
            staff = TokenVerifier(jwks_file=None, jwks_url=s.staff_auth_jwks_url, issuer=s.staff_auth_issuer,
                                  audience=s.staff_auth_audience, role=STAFF)
            return TwoPools(residents=residents, staff=staff)

        return self._get("verifier", build)

    @property
    def pii(self) -> PiiCipher:
        def build() -> PiiCipher:
            from chalicelib.adapters.pii import KmsPiiCipher

            return KmsPiiCipher(self.settings.pii_key_arn)

        return self._get("pii", build)

    @property
    def keyring(self) -> Keyring:
        """The data keys (a payment's and an order's sealed id: domain/sealed_ids.py), fetched once per process."""

        def build() -> Keyring:
            from chalicelib.adapters.data_keys import KmsKeyring

            return KmsKeyring(self.client("kms"), self.settings.pii_key_arn, self.repos.keys)

        return self._get("keyring", build)

    @property
    def fingerprints(self) -> Fingerprints:
        def build() -> Fingerprints:
            from chalicelib.adapters.fingerprints import KmsFingerprints

            return KmsFingerprints(self.client("kms"), self.settings.tax_id_mac_key_arn)

        return self._get("fingerprints", build)

    @property
    def notices(self) -> NoticeFiles:
        def build() -> NoticeFiles:
            from chalicelib.adapters.notices import S3NoticeFiles

            return S3NoticeFiles(self.client("s3"), self.settings.notices_bucket)

        return self._get("notices", build)

    @property
    def alerts(self) -> Alerts:
        def build() -> Alerts:
            from chalicelib.adapters.alerts import SnsAlerts

            return SnsAlerts(self.client("sns"), self.settings.alert_topic_arn_prefix)

        return self._get("alerts", build)

    @property
    def shards(self) -> ShardQueue:
        def build() -> ShardQueue:
            from chalicelib.adapters.shards import SqsShardQueue

            return SqsShardQueue(self.client("sqs"), self.settings.settlement_queue_url)

        return self._get("shards", build)

    @property
    def reports(self) -> ReportFiles:
        def build() -> ReportFiles:
            from chalicelib.adapters.files import S3Files

            return S3Files(self.client("s3"), self.settings.reports_bucket)

        return self._get("reports", build)

    @property
    def exports(self) -> Exports:
        def build() -> Exports:
            from chalicelib.adapters.files import S3Files

            s = self.settings
            return S3Files(self.client("s3"), s.exports_bucket, s.pii_key_arn, encrypted=True)

        return self._get("exports", build)


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
    """Replace parts (settings, clock, repos, policies, bank, verifier, pii, keyring, fingerprints, notices,
    alerts, shards, reports, exports) for tests; the rest rebuilds."""
    global _container
    with _lock:
        _container = Container(overrides=dict(parts))
        return _container


def amend(**parts: Any) -> Container:
    """Replace some parts and keep the others the current container was given (tests); the rest rebuilds."""
    global _container
    with _lock:
        kept = _container.overrides if _container is not None else {}
        _container = Container(overrides={**kept, **parts})
        return _container


def reset() -> None:
    global _container
    with _lock:
        _container = None
