"""서로도움: campaigns, donations, automatic donations, tax ids, and the adapters the tax-service export
needs (storage/donations.py, storage/tax_ids.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.donations import AutoDonation, Donation, DonationYear
from chalicelib.domain.ports.unit import Batch, Page, Slot, Tx


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

    def add(self, campaign: Campaign) -> None: ...

    def seed(self, campaign: Campaign) -> bool:
        """Create the campaign unless it exists (what was raised is never reset); True if created."""
        ...

    def set_active(self, campaign_id: str, active: bool) -> None:
        """Open or close a campaign; unknown: `NotFound`."""
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
    """Residents' registration numbers for the National Tax Service link, stored encrypted."""

    shards: int

    def put(self, user_id: str, encrypted: str, masked: str, at: str) -> None: ...

    def get(self, user_id: str) -> tuple[str, str] | None:
        """(masked number, registered at), if any."""
        ...

    def delete(self, user_id: str) -> None: ...

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
