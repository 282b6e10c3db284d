"""서로도움: campaigns, donations, automatic donations, tax ids, and the adapters the tax-service export
needs (storage/donations.py, storage/tax_ids.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.donations import AutoDonation, Donation, DonationYear
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx
from chalicelib.domain.rrn import TaxIdRegistration


class Campaigns(Protocol):
    def want(self, batch: Batch, campaign_id: str) -> Slot[Campaign | None]:
        """The campaign without its totals (a donation only needs to know it exists and is open)."""
        ...

    def get(self, campaign_id: str) -> Campaign | None:
        """The campaign with its totals."""
        ...

    def page(self, limit: int, cursor: str | None) -> Page[Campaign]:
        """Campaigns in creation order, each with its totals."""
        ...

    def stage_add(self, tx: Tx, campaign: Campaign) -> None: ...

    def seed(self, campaign: Campaign) -> bool:
        """Create the campaign unless it exists (what was raised is never reset); True if created."""
        ...

    def stage_active(self, tx: Tx, campaign_id: str, active: bool) -> None:
        """Open or close a campaign; an unknown one is `NotFound` at the commit."""
        ...

    def totals(self, target: str) -> tuple[int, int]:
        """(raised, donors) of a campaign or of the general fund."""
        ...

    def stage_gift(self, tx: Tx, target: str, raised: int, donors: int) -> None:
        """Add a gift to the target's totals (spread over slices: no hot key)."""
        ...


class Donations(Protocol):
    def want_year(self, batch: Batch, user_id: str, year: str) -> Slot[DonationYear]:
        """The resident's summary of `year` (empty, version 0, when none yet)."""
        ...

    def want_gave(self, batch: Batch, user_id: str, target: str) -> Slot[bool]:
        """Whether the resident has given to this campaign (or the general fund) before."""
        ...

    def stage(self, tx: Tx, donation: Donation) -> None: ...

    def stage_year(self, tx: Tx, year: DonationYear, read_version: int) -> None: ...

    def stage_donor(self, tx: Tx, user_id: str, target: str, at: str) -> None:
        """Mark the resident's first gift to a target (the commit fails if it is not the first)."""
        ...

    def of_year(self, user_id: str, year: str, limit: int, cursor: str | None) -> Page[Donation]: ...

    def years(self, user_ids: list[str], year: str) -> dict[str, DonationYear]:
        """The residents' summaries of `year` (absent: no donations that year)."""
        ...

    def want_auto(self, batch: Batch, user_id: str) -> Slot[AutoDonation | None]: ...

    def put_auto(self, user_id: str, setting: AutoDonation | None) -> None:
        """Set (None: remove) the resident's automatic donation."""
        ...

    def autos_in_shard(self, shard: int) -> dict[str, AutoDonation]:
        """The automatic donations of one settlement shard's residents, by resident."""
        ...


class TaxIds(Protocol):
    """Residents' registration numbers for the National Tax Service link, stored encrypted, and which resident
    holds each number (by its fingerprint): one number, one resident."""

    shards: int

    def want(self, batch: Batch, user_id: str) -> Slot[TaxIdRegistration | None]:
        """The resident's registration, if any (what a replacement or a removal is staged against)."""
        ...

    def get(self, user_id: str) -> TaxIdRegistration | None: ...

    def stage_put(
        self, tx: Tx, registration: TaxIdRegistration, encrypted: str, previous: TaxIdRegistration | None
    ) -> None:
        """Register (or replace) the resident's number: claim its fingerprint for the resident (`Conflict`,
        naming no one, if another resident holds it), release the previous number's claim, and store the
        encrypted number. `previous` is the registration read (None: none); if it changed since, the commit
        fails with `Contention`, so a claim is never left behind by two racing replacements."""
        ...

    def stage_delete(self, tx: Tx, previous: TaxIdRegistration) -> None:
        """Remove the resident's number and release its claim (`Contention` if it changed since it was read)."""
        ...

    def in_shard(self, shard: int) -> list[tuple[str, str]]:
        """(user, encrypted number) of every consenting resident in one index shard."""
        ...


class PiiCipher(Protocol):
    """Envelope encryption of personal data; the context binds a ciphertext to its owner."""

    def encrypt(self, plaintext: str, context: dict[str, str]) -> str: ...

    def decrypt(self, ciphertext: str, context: dict[str, str]) -> str: ...


class Exports(Protocol):
    """Files handed to other authorities (the tax-service export), encrypted at rest."""

    def put(self, key: str, body: bytes, content_type: str) -> None: ...


class Fingerprints(Protocol):
    """A keyed MAC of personal data (HMAC-SHA-256 under a key that never leaves KMS): equal values give equal
    fingerprints, so a value can be found again (who holds this registration number?) without storing it.
    A plain hash would not do: 13-digit numbers with a check digit are few enough to hash them all.

    `purpose` is mixed into the MAC, so fingerprints made for one purpose never match another's."""

    def mac(self, value: str, purpose: str) -> str: ...
