"""서구소식: residents read the district's news; staff see what became of each uploaded notice file.
(Publishing is an upload to the notices bucket: see app.py's `notice_uploads`.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.months import kst_iso
from chalicelib.web.api import SIGNED_IN, STAFF, Call, Routes
from chalicelib.web.schemas.common import PageQuery
from chalicelib.web.schemas.news import NewsList, NewsOut, NewsQuery, NoticeProblemOut, StaffNoticeList, StaffNoticeOut

if TYPE_CHECKING:
    from chalicelib.domain.news import Post

routes = Routes(__name__, "news")


def news_out(post: Post) -> NewsOut:
    return NewsOut(
        post_id=post.post_id,
        title=post.title,
        category=post.category,  # type: ignore[arg-type]
        dongs=list(post.dongs) or ["all"],
        district_wide=post.district_wide,
        body=post.body,
        body_html=post.body_html,
        published_at=kst_iso(post.published_at or post.updated_at),
        pinned=post.pinned,
        alert=post.category == "disaster",
        expires_at=kst_iso(post.expires_at) if post.expires_at else None,
        updated_at=kst_iso(post.updated_at),
        revision=post.revision,
    )


@routes.route("/news", "GET", role=SIGNED_IN, summary="District news for a dong: current disaster alerts first",
              query=NewsQuery, response=NewsList)
def list_news(call: Call) -> NewsList:
    from chalicelib.handlers import news

    q = call.query
    page = news.list_posts(q.dong, q.category, q.limit, q.next)
    return NewsList(items=[news_out(p) for p in page.items], next=page.next)


@routes.route("/news/{post_id}", "GET", role=SIGNED_IN, summary="One news post", response=NewsOut)
def get_news(call: Call) -> NewsOut:
    from chalicelib.handlers import news

    return news_out(news.get_post(call.params["post_id"]))


@routes.route("/staff/notices", "GET", role=STAFF, summary="Uploaded notice files and what became of them",
              query=PageQuery, response=StaffNoticeList)
def staff_notices(call: Call) -> StaffNoticeList:
    from chalicelib.handlers import news

    page, posts = news.list_notices(call.query.limit, call.query.next)
    items = []
    for r in page.items:
        post = posts.get(r.post_id)
        items.append(StaffNoticeOut(
            key=r.key,
            status=r.status(post),  # type: ignore[arg-type]
            post_id=r.post_id if post is not None else None,
            errors=[NoticeProblemOut(field=e.field, message=e.message) for e in r.errors] if r.rejected else None,
            title=post.title if post is not None else None,
            updated_at=kst_iso(r.updated_at),
        ))  # fmt: skip
    return StaffNoticeList(items=items, next=page.next)
