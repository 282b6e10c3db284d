"""The residents' shards: the settlement's fan-out (domain/settlement.py), and the lists kept per shard (wallets,
automatic donations, registration numbers). Apart from the settlement's logic, which a wallet's storage does not
need to load."""

from __future__ import annotations

import zlib

DEFAULT_SHARDS = 256
"""How many shards the residents are split into. Fixed per deployment: a wallet's shard is stored with it."""


def shard_of(user_id: str, shards: int = DEFAULT_SHARDS) -> int:
    """A resident's settlement shard: stable, and spread evenly whatever the ids look like."""
    return zlib.crc32(user_id.encode("utf-8")) % shards
