"""Wrapped data keys (storage/keys.py and its twin): stored once in a transaction, never replaced."""

from __future__ import annotations

import pytest

from chalicelib import composition
from chalicelib.domain.errors import Contention


def test_a_wrapped_key_is_absent_until_stored_and_a_second_one_under_its_name_fails_the_transaction(
    repos: composition.Repositories,
):
    keys = repos.keys
    assert keys.get("sealed-ids") is None
    tx = repos.store.tx()
    keys.stage(tx, "sealed-ids", b"\x00first\xff" * 20)
    tx.commit()
    tx = repos.store.tx()
    keys.stage(tx, "sealed-ids", b"second")
    with pytest.raises(Contention):
        tx.commit()
    assert keys.get("sealed-ids") == b"\x00first\xff" * 20
    batch = repos.store.batch()
    stored, missing = keys.want(batch, "sealed-ids"), keys.want(batch, "another")
    batch.run()
    assert (stored.value, missing.value) == (b"\x00first\xff" * 20, None)
