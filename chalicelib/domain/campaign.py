"""서로도움 donation campaigns: what staff run, with what residents have given so far."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Campaign:
    """A cause with a target; `raised` and `donors` (distinct residents) are summed from its total slices."""

    campaign_id: str
    title: str
    category: str
    target: int
    raised: int = 0
    donors: int = 0
    active: bool = True
    created_at: str = ""


SEEDED_CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign("solitary-elderly", "고독사 예방 홀몸노인 지원", "solitary-elderly", 30_000_000),
    Campaign("severe-disability", "중증장애인 생활여건 개선", "severe-disability", 30_000_000),
    Campaign("rare-disease-children", "희귀질환 아동 치료 지원", "rare-disease-children", 20_000_000),
    Campaign("single-mother-families", "한부모 가정 양육 지원", "single-mother-families", 20_000_000),
)
"""The four campaigns of the article, seeded by the local stack and by a fresh deployment."""
