"""Sealed ids (domain/sealed_ids.py): a payment's or an order's id carries its payer and month, and reveals
nothing; the data key they are sealed with is made once per deployment (adapters/data_keys.py)."""

from __future__ import annotations

import base64
import os
import re
from typing import Any

import pytest

from chalicelib.adapters.data_keys import KmsKeyring
from chalicelib.domain.errors import Contention, StorageUnavailable
from chalicelib.domain.sealed_ids import MAX_LENGTH, Sealed, fits, seal, sealed_part, unseal, with_prefix
from chalicelib.storage.memory.keys import MemoryKeys
from chalicelib.storage.memory.table import MemoryTable
from chalicelib.web.schemas.common import SEALED_ID_PATTERN

KEY = bytes(range(32))
SUB = "4f1c2a9e-7b3d-4e8a-9c51-0d2e6f7a8b90"   # a Cognito sub is a UUID


def made(sealed: Sealed, prefix: str = "pay", key: bytes = KEY) -> str:
    return f"{prefix}_{seal(key, sealed, os.urandom(12))}"


def opened(ident: str, key: bytes = KEY) -> Sealed | None:
    raw = sealed_part(ident)
    return None if raw is None else unseal(key, raw)


@pytest.mark.parametrize("sealed", [
    Sealed(SUB, "2020-03"), Sealed("payer-1", "2999-12"), Sealed(SUB, "2000-01", "m-0123456789ab"),
    Sealed("a" * 61, "2026-12"), Sealed("u@x.kr", "2021-07", "only-seogu-seller"),
], ids=["cognito-sub", "text-sub", "with-shop", "longest-text-sub", "text-shop"])
def test_an_id_opens_to_what_it_was_sealed_with(sealed: Sealed):
    ident = made(sealed)
    assert opened(ident) == sealed
    assert re.fullmatch(SEALED_ID_PATTERN, ident) and len(ident) <= MAX_LENGTH


def test_every_payment_id_of_a_cognito_sub_has_the_same_length_and_names_no_part_of_the_payer():
    ids = [made(Sealed(SUB, "2020-03")) for _ in range(50)]
    assert {len(i) for i in ids} == {68}
    for ident in ids:
        for part in (SUB, SUB.replace("-", ""), *SUB.split("-"), "2020-03", "202003"):
            assert part not in ident


def test_two_ids_of_one_payer_in_one_month_share_nothing_but_the_prefix_and_the_version():
    one, two = (sealed_part(made(Sealed(SUB, "2020-03"))) for _ in range(2))
    assert one is not None and two is not None
    assert one[0] == two[0] == 1
    # past the version byte, no run of 4 bytes in one appears in the other (nonce and ciphertext are fresh)
    assert not any(one[i:i + 4] in two for i in range(1, len(one) - 3))


@pytest.mark.parametrize("position", [0, 5, 20, 40, -1])
def test_an_altered_id_does_not_open(position: int):
    raw = bytearray(sealed_part(made(Sealed(SUB, "2020-03"))) or b"")
    raw[position] ^= 0x01
    tampered = "pay_" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    found = sealed_part(tampered)
    assert found is None or unseal(KEY, found) is None   # a changed version byte is not even the sealed form


def test_an_id_sealed_under_another_key_does_not_open():
    ident = made(Sealed(SUB, "2020-03"), key=os.urandom(32))
    assert sealed_part(ident) is not None and opened(ident) is None


def test_plain_ids_and_other_text_are_not_in_the_sealed_form():
    body = seal(KEY, Sealed(SUB, "2020-03"), os.urandom(12))
    not_sealed = [
        "pay_" + "0123456789abcdef" * 2,  # every id made before ids were sealed: 32 hex digits
        "pay_ghost", "pay", "_" + body, "pay_" + body + "=", "pay_" + body + "!", "pay_" + body[:-1] + "%",
        "pay_" + body[:40],
    ]
    assert [i for i in not_sealed if sealed_part(i) is not None] == []


def test_one_body_is_one_id_a_body_with_other_trailing_bits_is_not_the_sealed_form():
    body = seal(KEY, Sealed("ab", "2020-03"), os.urandom(12))   # 34 bytes: the last character holds 4 spare bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(body[-1])
    twin = body[:-1] + alphabet[last ^ 0x01]
    assert base64.urlsafe_b64decode(twin + "==") == base64.urlsafe_b64decode(body + "==")
    assert sealed_part("pay_" + body) is not None and sealed_part("pay_" + twin) is None


def test_an_order_and_its_payment_share_one_body_and_open_the_same():
    order_id = made(Sealed(SUB, "2020-03", "m-0123456789ab"), prefix="mord")
    payment_id = with_prefix(order_id, "pay")
    assert payment_id.startswith("pay_") and payment_id[4:] == order_id[5:]
    assert opened(payment_id) == opened(order_id) == Sealed(SUB, "2020-03", "m-0123456789ab")


def test_an_id_that_would_be_too_long_does_not_fit_and_a_field_over_255_characters_cannot_be_sealed():
    assert fits("pay", seal(KEY, Sealed("a" * 61, "2020-03"), os.urandom(12)))
    assert not fits("pay", seal(KEY, Sealed("a" * 62, "2020-03"), os.urandom(12)))
    with pytest.raises(ValueError):
        seal(KEY, Sealed("a" * 256, "2020-03"), os.urandom(12))
    with pytest.raises(ValueError):
        seal(KEY, Sealed(SUB, "2020-03"), os.urandom(8))


# ---- the data key ------------------------------------------------------------------------------------


class FakeKms:
    """KMS as the keyring uses it: a data key wrapped under a master key, bound to its encryption context."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail = False
        self._wrapped: dict[bytes, tuple[str, str, bytes]] = {}

    def generate_data_key(self, *, KeyId: str, KeySpec: str, EncryptionContext: dict[str, str]) -> dict[str, Any]:
        self.calls.append("GenerateDataKey")
        plain, blob = os.urandom(32), os.urandom(48)
        self._wrapped[blob] = (KeyId, repr(sorted(EncryptionContext.items())), plain)
        return {"Plaintext": plain, "CiphertextBlob": blob}

    def decrypt(self, *, CiphertextBlob: bytes, KeyId: str, EncryptionContext: dict[str, str]) -> dict[str, Any]:
        self.calls.append("Decrypt")
        if self.fail:
            raise RuntimeError("AccessDenied for arn:aws:kms:secret-details")
        key_id, context, plain = self._wrapped[CiphertextBlob]
        assert (key_id, context) == (KeyId, repr(sorted(EncryptionContext.items()))), "another key or context"
        return {"Plaintext": plain}


def first_use(keyring: KmsKeyring, table: MemoryTable, name: str = "sealed-ids") -> bytes:
    """What a use case does: the key wanted in its batch, then used with its transaction, which it commits."""
    batch, tx = table.batch(), table.tx()
    later = keyring.want(batch, name)
    batch.run()
    key = later(tx)
    tx.commit()
    return key


class NoOwnReads(MemoryKeys):
    def get(self, name: str) -> bytes | None:
        raise AssertionError("the wrapped key was read on its own, not in the use case's batch")


def test_the_key_is_made_in_the_first_use_s_transaction_and_every_later_process_unwraps_it_once():
    table, kms = MemoryTable(), FakeKms()
    first = KmsKeyring(kms, "arn:pii", NoOwnReads(table))
    key = first_use(first, table)
    assert len(key) == 32 and kms.calls == ["GenerateDataKey"]
    wrapped = MemoryKeys(table).get("sealed-ids")
    assert wrapped is not None and key not in wrapped
    assert first_use(first, table) == key and first.key("sealed-ids") == key   # its own key: no KMS call
    later = KmsKeyring(kms, "arn:pii", NoOwnReads(table))   # another process of the same deployment
    assert first_use(later, table) == later.key("sealed-ids") == key
    assert kms.calls == ["GenerateDataKey", "Decrypt"]
    assert KmsKeyring(kms, "arn:pii", MemoryKeys(table)).key("sealed-ids") == key   # one read on its own
    assert kms.calls == ["GenerateDataKey", "Decrypt", "Decrypt"]


def test_processes_starting_together_agree_on_one_key_the_loser_retries_and_unwraps_the_winner_s():
    table, kms = MemoryTable(), FakeKms()
    one, two = KmsKeyring(kms, "arn:pii", MemoryKeys(table)), KmsKeyring(kms, "arn:pii", MemoryKeys(table))
    batches, txs = (table.batch(), table.batch()), (table.tx(), table.tx())
    wanted = [one.want(batches[0], "k"), two.want(batches[1], "k")]
    for batch in batches:
        batch.run()   # both find no key
    made = [use(tx) for use, tx in zip(wanted, txs, strict=True)]
    assert made[0] != made[1]
    txs[0].commit()
    with pytest.raises(Contention):
        txs[1].commit()   # nothing of that transaction is written, the id it sealed included
    assert first_use(two, table, "k") == made[0] == one.key("k")


def test_before_any_key_was_made_there_is_none_to_open_with_and_none_is_made_for_opening():
    table, kms = MemoryTable(), FakeKms()
    assert KmsKeyring(kms, "arn:pii", MemoryKeys(table)).key("k") is None
    assert kms.calls == [] and MemoryKeys(table).get("k") is None


def test_without_a_key_or_with_kms_failing_no_key_is_made_up_and_the_error_names_nothing_of_kms():
    table, kms = MemoryTable(), FakeKms()
    with pytest.raises(StorageUnavailable):
        first_use(KmsKeyring(kms, None, MemoryKeys(table)), table)
    first_use(KmsKeyring(kms, "arn:pii", MemoryKeys(table)), table)
    kms.fail = True
    with pytest.raises(StorageUnavailable) as refused:
        KmsKeyring(kms, "arn:pii", MemoryKeys(table)).key("sealed-ids")
    assert "secret" not in str(refused.value) and refused.value.__cause__ is None
