"""서구소식, the district news board: notice files, their validation, and the life of a post.

Staff publish by uploading `notices/<name>.md` (Markdown with a YAML front matter) to the notices
bucket. This module holds the rules only: reading a file into a `Notice` or a list of every
`Problem` in it, when a post is scheduled, published or retired, how posts are ordered, and which
SNS topics a disaster alert goes to. It does no I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import yaml

from chalicelib.domain.dongs import DONGS, is_dong
from chalicelib.domain.months import KST

DISASTER = "disaster"
CATEGORIES: tuple[str, ...] = (DISASTER, "daily-info", "major-news", "dong-event")
ALL = "all"
"""`dongs: all` addresses the whole district."""

STATUS_SCHEDULED = "scheduled"
STATUS_PUBLISHED = "published"
STATUS_RETIRED = "retired"
STATUS_REJECTED = "rejected"

NOTICE_PREFIX = "notices/"
NOTICE_SUFFIX = ".md"
ERROR_PREFIX = "errors/"
MAX_NOTICE_BYTES = 64 * 1024
"""A notice file may be at most 64 KiB: a long notice is a few KiB, and the post (Markdown and HTML)
must fit one DynamoDB item."""
MAX_TITLE_CHARS = 200
MAX_KEY_CHARS = 512
FIELDS = ("title", "category", "dongs", "publish_at", "expires_at", "pinned")
REQUIRED = ("title", "category", "dongs")
EARLIEST = datetime(2000, 1, 1, tzinfo=KST)
LATEST = datetime(2999, 12, 31, tzinfo=KST)

DONG_SLUGS: dict[str, str] = {
    "검암경서동": "geomam-gyeongseo",
    "연희동": "yeonhui",
    "청라1동": "cheongna-1",
    "청라2동": "cheongna-2",
    "청라3동": "cheongna-3",
    "가정1동": "gajeong-1",
    "가정2동": "gajeong-2",
    "가정3동": "gajeong-3",
    "신현원창동": "sinhyeon-wonchang",
    "석남1동": "seoknam-1",
    "석남2동": "seoknam-2",
    "석남3동": "seoknam-3",
    "가좌1동": "gajwa-1",
    "가좌2동": "gajwa-2",
    "가좌3동": "gajwa-3",
    "가좌4동": "gajwa-4",
    "검단동": "geomdan",
    "불로대곡동": "bullo-daegok",
    "원당동": "wondang",
    "당하동": "dangha",
    "오류왕길동": "oryu-wanggil",
    "마전동": "majeon",
}
"""The ASCII slug of each dong, naming its alert topic (`<prefix>-alert-<slug>`); SNS names are ASCII."""
DISTRICT_SLUG = "all"
"""The district-wide alert topic, for notices addressed to `all`."""

_FRONT_MATTER_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_FRONT_MATTER_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a notice file: the front matter field (or `file`, `body`) and why."""

    field: str
    message: str


@dataclass(frozen=True)
class Notice:
    """A valid notice file. `dongs` is empty for a district-wide notice (`dongs: all`)."""

    title: str
    category: str
    dongs: tuple[str, ...]
    body: str
    publish_at: datetime | None = None
    expires_at: datetime | None = None
    pinned: bool = False

    @property
    def district_wide(self) -> bool:
        return not self.dongs


@dataclass(frozen=True)
class Parsed:
    """What a notice file turned out to be: a notice, or every problem found in it."""

    notice: Notice | None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Post:
    """A notice as residents see it, one per notice key; re-uploads revise it (`revision` counts them).

    `published_at` is when residents could first see this post; `alert_fingerprint` identifies what a
    disaster alert would say, and `alerted` is the fingerprint of the last alert actually pushed.
    """

    post_id: str
    key: str
    title: str
    category: str
    dongs: tuple[str, ...]
    body: str
    body_html: str
    status: str
    pinned: bool
    publish_at: datetime | None
    expires_at: datetime | None
    published_at: datetime | None
    alert_fingerprint: str
    alerted: str | None
    revision: int
    created_at: datetime
    updated_at: datetime
    version: int = 0

    @property
    def district_wide(self) -> bool:
        return not self.dongs

    @property
    def needs_alert(self) -> bool:
        """A published disaster alert whose current content has not been pushed yet."""
        return (
            self.category == DISASTER
            and self.status == STATUS_PUBLISHED
            and self.alerted != self.alert_fingerprint
        )

    def visible_at(self, now: datetime) -> bool:
        """Residents see a published post until it expires (even before the schedule retires it)."""
        return self.status == STATUS_PUBLISHED and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class NoticeRecord:
    """What staff see of an uploaded key: the outcome of its latest upload.

    `content_hash` is the SHA-256 of the last file processed for this key, so a duplicate event for
    the same content changes nothing. A deleted key keeps its record (`deleted`), with its post retired.
    """

    key: str
    post_id: str
    content_hash: str
    rejected: bool
    errors: tuple[Problem, ...]
    deleted: bool
    updated_at: datetime
    version: int = 0

    def status(self, post: Post | None) -> str:
        """`rejected` while the latest upload is invalid (an earlier valid version stays as it was)."""
        if self.deleted:
            return STATUS_RETIRED
        if self.rejected or post is None:
            return STATUS_REJECTED
        return post.status


# ---- keys and ids ----------------------------------------------------------------------------


def notice_name(key: str) -> str | None:
    """`notices/<name>.md` → `<name>`; any other key is not a notice (None)."""
    if not key.startswith(NOTICE_PREFIX) or not key.endswith(NOTICE_SUFFIX):
        return None
    name = key[len(NOTICE_PREFIX) : -len(NOTICE_SUFFIX)]
    if not name or name.endswith("/") or len(key) > MAX_KEY_CHARS:
        return None
    return name


def error_key(key: str) -> str:
    """Where the error report of a rejected notice goes: `errors/<name>.json` in the same bucket."""
    name = notice_name(key)
    if name is None:
        raise ValueError(f"{key!r} is not a notice key")
    return f"{ERROR_PREFIX}{name}.json"


def post_id_for(key: str) -> str:
    """One post per notice key, so the id is derived from the key: re-uploads revise the same post."""
    return "news_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def alert_fingerprint(notice: Notice) -> str:
    """What an alert says (title, body, addressed dongs): a revision that keeps these sends no new alert."""
    doc = json.dumps([notice.title, notice.body, list(notice.dongs)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(doc.encode("utf-8")).hexdigest()


def alert_slugs(dongs: tuple[str, ...]) -> list[str]:
    """The topics a disaster alert goes to: one per named dong, or the district-wide topic for `all`."""
    if not dongs:
        return [DISTRICT_SLUG]
    return [DONG_SLUGS[d] for d in dongs]


# ---- parsing and validation ------------------------------------------------------------------


def parse_notice(raw: bytes, size: int | None = None) -> Parsed:
    """Read a notice file; every problem is reported, not only the first.

    The file must be UTF-8 (a BOM is allowed), at most `MAX_NOTICE_BYTES`, and begin with a YAML front
    matter between `---` lines. Fields: `title` (text, 1–200 characters), `category` (one of
    `CATEGORIES`), `dongs` (`all`, a dong, or a list of the 22 dongs), optional `publish_at` and
    `expires_at` (YAML timestamps or ISO 8601 strings with a time; without an offset they mean KST;
    `expires_at` after `publish_at`), optional `pinned` (true/false). Unknown fields are errors (a
    typo such as `pined` must not be silently ignored). The Markdown body must not be empty.
    """
    actual = len(raw) if size is None else size
    if actual > MAX_NOTICE_BYTES:
        return _rejected(Problem("file", f"the file is {actual} bytes; a notice may be at most {MAX_NOTICE_BYTES} bytes"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _rejected(Problem("file", f"the file is not UTF-8 (byte {exc.start} cannot be decoded)"))
    text = text.removeprefix("\ufeff")
    opening = _FRONT_MATTER_OPEN.match(text)
    if opening is None:
        return _rejected(
            Problem("file", "the file must begin with a YAML front matter: a '---' line, the fields, a '---' line")
        )
    closing = _FRONT_MATTER_CLOSE.search(text, opening.end())
    if closing is None:
        return _rejected(Problem("file", "the front matter is not closed by a '---' line"))
    header = text[opening.end() : closing.start()]
    body = text[closing.end() :].lstrip("\r\n")
    try:
        meta = yaml.safe_load(header)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        return _rejected(Problem("front matter", f"the front matter is not valid YAML{where}"))
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return _rejected(Problem("front matter", "the front matter must be a list of 'field: value' lines"))
    return _validate(meta, body)


def _rejected(problem: Problem) -> Parsed:
    return Parsed(None, (problem,))


def _validate(meta: dict[Any, Any], body: str) -> Parsed:
    problems: list[Problem] = []
    for name in meta:
        if name not in FIELDS:
            problems.append(Problem(str(name), f"unknown field; the fields are {', '.join(FIELDS)}"))
    for name in REQUIRED:
        if meta.get(name) is None:
            problems.append(Problem(name, "is required"))

    title = meta.get("title")
    if title is not None:
        if not isinstance(title, str) or not title.strip():
            problems.append(Problem("title", "must be non-empty text"))
        elif len(title.strip()) > MAX_TITLE_CHARS:
            problems.append(Problem("title", f"must be at most {MAX_TITLE_CHARS} characters"))

    category = meta.get("category")
    if category is not None and category not in CATEGORIES:
        problems.append(Problem("category", f"must be one of {', '.join(CATEGORIES)} (got {_show(category)})"))

    dongs = _dongs(meta.get("dongs"), problems) if meta.get("dongs") is not None else ()

    publish_at = _instant(meta, "publish_at", problems)
    expires_at = _instant(meta, "expires_at", problems)
    if publish_at is not None and expires_at is not None and expires_at <= publish_at:
        problems.append(Problem("expires_at", "must be after publish_at"))

    pinned = meta.get("pinned", False)
    if pinned is None:
        pinned = False
    if not isinstance(pinned, bool):
        problems.append(Problem("pinned", f"must be true or false (got {_show(pinned)})"))

    if not body.strip():
        problems.append(Problem("body", "the notice has no text after the front matter"))

    if problems:
        return Parsed(None, tuple(problems))
    assert isinstance(title, str) and isinstance(category, str) and isinstance(pinned, bool)
    return Parsed(
        Notice(
            title=title.strip(),
            category=category,
            dongs=dongs,
            body=body,
            publish_at=publish_at,
            expires_at=expires_at,
            pinned=pinned,
        ),
        (),
    )


def _dongs(value: Any, problems: list[Problem]) -> tuple[str, ...]:
    """`all` → () (district-wide); a dong or a list of dongs → those dongs, in the district's order."""
    if value == ALL:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        problems.append(Problem("dongs", "must be 'all' or a list of dongs, e.g. [청라1동, 청라2동]"))
        return ()
    unknown = [n for n in names if not isinstance(n, str) or not is_dong(n)]
    if ALL in names:
        problems.append(Problem("dongs", "'all' cannot be listed with dongs; write dongs: all"))
        return ()
    if unknown:
        shown = ", ".join(_show(n) for n in unknown)
        problems.append(Problem("dongs", f"not dongs of Seo-gu: {shown}"))
        return ()
    chosen = set(names)
    return tuple(d for d in DONGS if d in chosen)


def _instant(meta: dict[Any, Any], name: str, problems: list[Problem]) -> datetime | None:
    """A YAML timestamp or an ISO 8601 string with a time; without an offset it is KST."""
    value = meta.get(name)
    if value is None:
        return None
    parsed: datetime | None = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        problems.append(Problem(name, "needs a time as well as a date, e.g. 2020-01-31T18:00:00+09:00"))
        return None
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None and "T" not in value and " " not in value.strip():
            problems.append(Problem(name, "needs a time as well as a date, e.g. 2020-01-31T18:00:00+09:00"))
            return None
    if parsed is None:
        problems.append(Problem(name, f"is not a date and time (got {_show(value)}); e.g. 2020-01-06T09:00:00+09:00"))
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=KST)
    if not EARLIEST <= parsed <= LATEST:
        problems.append(Problem(name, "must be between the years 2000 and 2999"))
        return None
    return parsed


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


# ---- the life of a post ----------------------------------------------------------------------


def status_at(publish_at: datetime | None, expires_at: datetime | None, now: datetime) -> str:
    """Retired once expired; scheduled while `publish_at` is in the future; published otherwise."""
    if expires_at is not None and expires_at <= now:
        return STATUS_RETIRED
    if publish_at is not None and publish_at > now:
        return STATUS_SCHEDULED
    return STATUS_PUBLISHED


def revise(existing: Post | None, notice: Notice, post_id: str, key: str, body_html: str, now: datetime) -> Post:
    """The post a valid upload makes: new, or the next revision of the key's post.

    A post that stays published keeps its `published_at`; one published by this upload gets `now`.
    A post that was already alerted keeps that record, so an alert goes out again only if the
    alert's content (title, body, dongs) changed.
    """
    status = status_at(notice.publish_at, notice.expires_at, now)
    published_at: datetime | None = None
    if status == STATUS_PUBLISHED:
        still = existing is not None and existing.status == STATUS_PUBLISHED and existing.published_at is not None
        published_at = existing.published_at if still and existing is not None else now
    elif status == STATUS_RETIRED and existing is not None:
        published_at = existing.published_at
    return Post(
        post_id=post_id,
        key=key,
        title=notice.title,
        category=notice.category,
        dongs=notice.dongs,
        body=notice.body,
        body_html=body_html,
        status=status,
        pinned=notice.pinned,
        publish_at=notice.publish_at,
        expires_at=notice.expires_at,
        published_at=published_at,
        alert_fingerprint=alert_fingerprint(notice),
        alerted=existing.alerted if existing is not None else None,
        revision=existing.revision + 1 if existing is not None else 1,
        created_at=existing.created_at if existing is not None else now,
        updated_at=now,
        version=existing.version if existing is not None else 0,
    )


def advance(post: Post, now: datetime) -> Post | None:
    """What the schedule does to a post at `now`: publish it when due, retire it when expired.

    A scheduled post is published as of its `publish_at` (that is its `published_at`, though the
    schedule may run up to a minute later). None: nothing to do.
    """
    if post.status not in (STATUS_SCHEDULED, STATUS_PUBLISHED):
        return None
    status = status_at(post.publish_at, post.expires_at, now)
    if status == post.status:
        return None
    published_at = post.published_at
    if status == STATUS_PUBLISHED and post.status == STATUS_SCHEDULED:
        published_at = post.publish_at or now
    return replace(post, status=status, published_at=published_at, updated_at=now)


def retire(post: Post, now: datetime) -> Post:
    """Deleting the notice file retires its post."""
    if post.status == STATUS_RETIRED:
        return post
    return replace(post, status=STATUS_RETIRED, updated_at=now)


def listing_rank(post: Post) -> int:
    """Order on the board: current disaster alerts first (2), then pinned posts (1), then the rest (0);
    newest first within each."""
    if post.category == DISASTER:
        return 2
    return 1 if post.pinned else 0


def alert_lease() -> timedelta:
    """How long one worker holds the right to push an alert before another may try again."""
    return timedelta(seconds=120)
