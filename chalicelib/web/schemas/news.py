"""서구소식 news: request and response models (API.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.web.schemas.common import Dong, Out, PageQuery, Timestamp

NewsCategory = Literal["disaster", "daily-info", "major-news", "dong-event"]


class NewsQuery(PageQuery):
    dong: Dong | None = Field(default=None, description="One of the 22 dongs: its posts and the district-wide ones.")
    category: NewsCategory | None = None


class NewsOut(Out):
    post_id: str
    title: str
    category: NewsCategory
    dongs: list[str] = Field(description='The dongs addressed, or ["all"] for the whole district.')
    district_wide: bool
    body: str = Field(description="Markdown, as uploaded.")
    body_html: str = Field(description="The body as sanitised HTML (no scripts, event handlers or javascript: URLs).")
    published_at: Timestamp
    pinned: bool
    alert: bool = Field(description="A current disaster alert (shown first).")
    expires_at: Timestamp | None
    updated_at: Timestamp
    revision: int


class NewsList(Out):
    items: list[NewsOut]
    next: str | None


class NoticeProblemOut(Out):
    field: str
    message: str


class StaffNoticeOut(Out):
    key: str
    status: Literal["published", "scheduled", "rejected", "retired"]
    post_id: str | None = Field(default=None, description="The post this key publishes (absent until a valid upload).")
    errors: list[NoticeProblemOut] | None = Field(
        default=None, description="Every problem of the latest upload, when it was rejected."
    )
    title: str | None = None
    updated_at: Timestamp


class StaffNoticeList(Out):
    items: list[StaffNoticeOut]
    next: str | None
