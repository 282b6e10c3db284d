"""One typed, frozen settings object, read from the environment when first asked for (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Everything the app can be configured with; see the README's configuration table."""

    stage: str = "local"
    region: str = "ap-northeast-2"
    table_name: str = "seoro-local-main"
    notices_bucket: str = "seoro-notices-local"
    reports_bucket: str = "seoro-reports-local"
    alert_topic_arn_prefix: str | None = None
    exports_bucket: str = "seoro-exports-local"
    pii_key_arn: str | None = None
    tax_id_mac_key_arn: str | None = None
    settlement_queue_url: str | None = None
    settlement_shards: int = 256
    shipping_purge_days: int = 90
    auth_jwks_file: str | None = None
    auth_jwks_url: str | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None
    staff_auth_jwks_url: str | None = None
    staff_auth_issuer: str | None = None
    staff_auth_audience: str | None = None
    local_clock_file: str | None = None
    idempotency_ttl_seconds: int = 24 * 3600
    policy_cache_seconds: int = 60
    max_rate_bp: int = 1_000
    contention_deadline_seconds: float = 20.0

    @property
    def has_staff_pool(self) -> bool:
        """Staff sign in to a pool of their own (the cloud); else one issuer gives every role (local)."""
        return any((self.staff_auth_jwks_url, self.staff_auth_issuer, self.staff_auth_audience))

    @property
    def is_local(self) -> bool:
        """Only the local stage has the movable clock and its routes."""
        return self.stage == "local"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (defaults suit the local stack)."""
        e = os.environ if env is None else env
        d = cls()

        def opt(name: str) -> str | None:
            value = e.get(name, "").strip()
            return value or None

        return cls(
            stage=e.get("STAGE", d.stage),
            region=e.get("AWS_REGION", e.get("AWS_DEFAULT_REGION", d.region)),
            table_name=e.get("TABLE_NAME", d.table_name),
            notices_bucket=e.get("NOTICES_BUCKET", d.notices_bucket),
            reports_bucket=e.get("REPORTS_BUCKET", d.reports_bucket),
            alert_topic_arn_prefix=opt("ALERT_TOPIC_ARN_PREFIX"),
            exports_bucket=e.get("EXPORTS_BUCKET", d.exports_bucket),
            pii_key_arn=opt("PII_KEY_ARN"),
            tax_id_mac_key_arn=opt("TAX_ID_MAC_KEY_ARN"),
            settlement_queue_url=opt("SETTLEMENT_QUEUE_URL"),
            settlement_shards=int(e.get("SETTLEMENT_SHARDS", d.settlement_shards)),
            shipping_purge_days=int(e.get("SHIPPING_PURGE_DAYS", d.shipping_purge_days)),
            auth_jwks_file=opt("AUTH_JWKS_FILE"),
            auth_jwks_url=opt("AUTH_JWKS_URL"),
            auth_issuer=opt("AUTH_ISSUER"),
            auth_audience=opt("AUTH_AUDIENCE"),
            staff_auth_jwks_url=opt("STAFF_AUTH_JWKS_URL"),
            staff_auth_issuer=opt("STAFF_AUTH_ISSUER"),
            staff_auth_audience=opt("STAFF_AUTH_AUDIENCE"),
            local_clock_file=opt("LOCAL_CLOCK_FILE"),
            idempotency_ttl_seconds=int(e.get("IDEMPOTENCY_TTL_SECONDS", d.idempotency_ttl_seconds)),
            policy_cache_seconds=int(e.get("POLICY_CACHE_SECONDS", d.policy_cache_seconds)),
            max_rate_bp=int(e.get("MAX_RATE_BP", d.max_rate_bp)),
            contention_deadline_seconds=float(
                e.get("CONTENTION_DEADLINE_SECONDS", d.contention_deadline_seconds)
            ),
        )
