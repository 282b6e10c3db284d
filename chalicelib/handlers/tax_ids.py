"""The resident registration number for the National Tax Service link, and the yearly export."""

from __future__ import annotations

import json
from dataclasses import dataclass

from chalicelib import composition
from chalicelib.domain.audit import NTS_EXPORT
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.months import KST, kst_iso
from chalicelib.domain.rrn import TaxIdRegistration, mask_rrn, normalise_rrn
from chalicelib.handlers import audit
from chalicelib.handlers.common import now, retrying
from chalicelib.observability import logger

EXPORT_BATCH = 100
FINGERPRINT_PURPOSE = "rrn:nts-donations"
"""What a registration number's fingerprint is for; another use of the same key gets fingerprints of its own."""


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
    encrypted with the KMS key before it is stored, and only ever shown masked.

    A number belongs to one resident (otherwise anyone could have their gifts credited to another's tax
    return): one already held by another resident is 409 `CONFLICT`, naming no one. The claim is keyed by
    the number's fingerprint (a keyed MAC from KMS) and written in the registration's transaction; the
    resident's own number may be registered again, and a replaced number is released in that transaction."""
    if consent_nts is not True:
        raise ValidationFailed("consent_nts: the link to the National Tax Service needs consent (true)")
    digits = normalise_rrn(rrn)
    if digits is None:
        raise ValidationFailed("rrn: not a valid resident registration number")
    c = composition.container()
    masked = mask_rrn(digits)
    fingerprint = c.fingerprints.mac(digits, FINGERPRINT_PURPOSE)
    encrypted = c.pii.encrypt(digits, _context(user_id))

    def attempt() -> TaxId:
        batch = c.repos.store.batch()
        current = c.repos.tax_ids.want(batch, user_id)
        batch.run()
        at = kst_iso(now())
        tx = c.repos.store.tx()
        c.repos.tax_ids.stage_put(tx, TaxIdRegistration(user_id, masked, fingerprint, at), encrypted, current.value)
        tx.commit()
        return TaxId(masked, True, at)

    return retrying(attempt, f"tax-id:{user_id}")


def get_tax_id(user_id: str) -> TaxId:
    found = composition.container().repos.tax_ids.get(user_id)
    if found is None:
        raise NotFound("no registration number is registered")
    return TaxId(found.masked, True, found.updated_at)


def delete_tax_id(user_id: str) -> TaxId:
    """Withdrawing consent removes the number and releases it (another resident may then register it);
    later exports leave the resident out."""
    c = composition.container()

    def attempt() -> TaxId:
        batch = c.repos.store.batch()
        current = c.repos.tax_ids.want(batch, user_id)
        batch.run()
        found = current.value
        if found is None:
            raise NotFound("no registration number is registered")
        tx = c.repos.store.tx()
        c.repos.tax_ids.stage_delete(tx, found)
        tx.commit()
        return TaxId(found.masked, False, kst_iso(now()))

    return retrying(attempt, f"tax-id:{user_id}")


def nts_export(year: int, actor: str) -> Export:
    """The year's file for the tax service: one JSON line per consenting resident who gave that year,
    `{"rrn", "year", "total", "by_category"}` (no names), written encrypted with the KMS key. An S3 write
    cannot share the table's transaction, so the audit record goes first: a file of registration numbers
    never exists unrecorded."""
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
    audit.record(actor, NTS_EXPORT, y, {"s3_key": key, "records": len(lines), "total": total})
    c.exports.put(key, "".join(line + "\n" for line in sorted(lines)).encode("utf-8"), "application/x-ndjson")
    logger().info("nts export written", extra={"year": year, "records": len(lines), "s3_key": key})
    return Export(year, key, len(lines), total)
