"""The 22 administrative dongs of Incheon Seo-gu (2019–2020): the set wallets, merchants and news use."""

from __future__ import annotations

DONGS: tuple[str, ...] = (
    "검암경서동", "연희동", "청라1동", "청라2동", "청라3동",
    "가정1동", "가정2동", "가정3동", "신현원창동",
    "석남1동", "석남2동", "석남3동",
    "가좌1동", "가좌2동", "가좌3동", "가좌4동",
    "검단동", "불로대곡동", "원당동", "당하동", "오류왕길동", "마전동",
)  # fmt: skip

_DONG_SET = frozenset(DONGS)


def is_dong(name: str) -> bool:
    """True for one of the 22 dongs, spelled exactly."""
    return name in _DONG_SET
