"""Top-up records, payouts, and the wallet changes the automatic top-up follows (storage/cashout.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from chalicelib.domain.autocharge import WalletChange
from chalicelib.domain.cashout import Payout
from chalicelib.domain.ports.unit import Batch, Slot, Tx
from chalicelib.domain.wallet import ChargeRecord, Wallet


class Cashouts(Protocol):
    """Each top-up's record (so it can be cancelled), each payout to a resident's bank account, and the stream of
    wallet changes."""

    def want_charge(self, batch: Batch, user_id: str, charge_id: str) -> Slot[ChargeRecord | None]:
        """The resident's top-up of that id (None: none of theirs)."""
        ...

    def stage_charge(self, tx: Tx, record: ChargeRecord, read_version: int) -> None:
        """Write a top-up's record if it is still at `read_version` (0: if there is none yet)."""
        ...

    def want_payout(self, batch: Batch, user_id: str, payout_id: str) -> Slot[Payout | None]: ...

    def stage_payout(self, tx: Tx, payout: Payout, read_version: int) -> None:
        """Write a payout if it is still at `read_version` (0: if there is none yet). A `pending` payout is listed
        by `pending_payouts` until it is written paid or declined."""
        ...

    def pending_payouts(self, before: str, limit: int) -> list[Payout]:
        """Up to `limit` payouts still `pending` that were recorded before `before` (a KST time), oldest first."""
        ...

    def auto_charges_in_flight(self, before: str, limit: int) -> list[Wallet]:
        """Up to `limit` wallets whose automatic top-up was claimed before `before` and is still in flight, oldest
        claim first."""
        ...

    def wallet_change(self, record: Mapping[str, Any]) -> WalletChange | None:
        """One record of the table's stream (as Lambda delivers it) read as the change of a wallet it is; None
        for any other item, or a wallet removed."""
        ...
