"""Notice bodies to HTML that is safe to show: Markdown rendered by markdown-it-py with raw HTML off,
then cleaned by nh3 (the Ammonia sanitiser) against an allow-list, so no script, event handler or
`javascript:` URL can get through even if the renderer let one pass.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

ALLOWED_TAGS = frozenset({
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li",
    "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
})  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


@lru_cache(maxsize=1)
def _renderer() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render(markdown: str) -> str:
    """Markdown → sanitised HTML (links get rel="noopener noreferrer nofollow")."""
    import nh3

    html: str = _renderer().render(markdown)
    cleaned: str = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )
    return cleaned
