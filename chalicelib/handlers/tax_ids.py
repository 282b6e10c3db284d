"""The resident registration number for the National Tax Service link, and the yearly export."""

from __future__ import annotations

import json
from dataclasses import dataclass

from chalicelib import composition
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.months import KST, kst_iso
from chalicelib.domain.rrn import mask_rrn, normalise_rrn
from chalicelib.handlers.common import now
from chalicelib.observability import logger

EXPORT_BATCH = 100


@dataclass(frozen=True)
class TaxId:
    """What a resident sees of their registration: the number masked."""

    rrn_masked: str
    consent_nts: bool
    updated_at: str


@dataclass(frozen=True)
class Export:
    year: int
    s3_key: str
    records: int
    total: int


def _context(user_id: str) -> dict[str, str]:
    return {"user": user_id, "purpose": "nts-donations"}


def put_tax_id(user_id: str, rrn: str, consent_nts: bool) -> TaxId:
    """Register the resident registration number for the NTS link: checksum-validated, only with consent,
    encrypted with the KMS key before it is stored, and only ever shown masked."""
    if consent_nts is not True:
        raise ValidationFailed("consent_nts: the link to the National Tax Service needs consent (true)")
    digits = normalise_rrn(rrn)
    if digits is None:
        raise ValidationFailed("rrn: not a valid resident registration number")
    c = composition.container()
    at = kst_iso(now())
    masked = mask_rrn(digits)
    c.repos.tax_ids.put(user_id, c.pii.encrypt(digits, _context(user_id)), masked, at)
    return TaxId(masked, True, at)


def get_tax_id(user_id: str) -> TaxId:
    found = composition.container().repos.tax_ids.get(user_id)
    if found is None:
        raise NotFound("no registration number is registered")
    return TaxId(found[0], True, found[1])


def delete_tax_id(user_id: str) -> TaxId:
    """Withdrawing consent removes the number; later exports leave the resident out."""
    tax_ids = composition.container().repos.tax_ids
    found = tax_ids.get(user_id)
    if found is None:
        raise NotFound("no registration number is registered")
    tax_ids.delete(user_id)
    return TaxId(found[0], False, kst_iso(now()))


def nts_export(year: int) -> Export:
    """The year's file for the tax service: one JSON line per consenting resident who gave that year,
    `{"rrn", "year", "total", "by_category"}` (no names), written encrypted with the KMS key."""
    c = composition.container()
    y = f"{year:04d}"
    lines: list[str] = []
    total = 0
    for shard in range(c.repos.tax_ids.shards):
        donors = c.repos.tax_ids.in_shard(shard)
        for start in range(0, len(donors), EXPORT_BATCH):
            batch = donors[start : start + EXPORT_BATCH]
            years = c.repos.donations.years([u for u, _ in batch], y)
            for user_id, encrypted in batch:
                summary = years.get(user_id)
                if summary is None or summary.total <= 0:
                    continue
                rrn = c.pii.decrypt(encrypted, _context(user_id))
                lines.append(json.dumps({"rrn": rrn, "year": year, "total": summary.total,
                                         "by_category": dict(sorted(summary.by_category.items()))},
                                        ensure_ascii=False, separators=(",", ":")))
                total += summary.total
    stamp = now().astimezone(KST).strftime("%Y%m%dT%H%M%S")
    key = f"nts/{y}/donations-{stamp}.jsonl"
    c.exports.put(key, "".join(line + "\n" for line in sorted(lines)).encode("utf-8"), "application/x-ndjson")
    logger().info("nts export written", extra={"year": year, "records": len(lines), "s3_key": key})
    return Export(year, key, len(lines), total)
