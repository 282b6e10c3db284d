"""`SEED_DEMO=1`'s shops never take a business number the README's walkthrough registers (one merchant per
number: the walkthrough's registration would be 409 on a stack seeded with the demo shops)."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.domain.merchant import normalise_business_number
from chalicelib.handlers.admin import DEMO_MERCHANTS

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "walkthrough.sh")


def registered_numbers(text: str) -> set[str]:
    """Every `"business_number":"…"` a document registers, as its 10 digits."""
    return {re.sub(r"-", "", n) for n in re.findall(r'"business_number"\s*:\s*"([^"]*)"', text)}


def test_the_demo_shops_numbers_are_valid_distinct_and_none_the_walkthrough_registers():
    demo = [m.business_number for m in DEMO_MERCHANTS]
    assert all(normalise_business_number(n) == n for n in demo), demo
    assert len(set(demo)) == len(demo), demo
    for document in DOCUMENTS:
        used = registered_numbers(document.read_text(encoding="utf-8"))
        assert used, f"{document.name} registers no shop: the check would prove nothing"
        assert all(normalise_business_number(n) for n in used), f"{document.name}: {sorted(used)}"
        assert not used & set(demo), f"{document.name} registers a demo shop's number: {sorted(used & set(demo))}"
