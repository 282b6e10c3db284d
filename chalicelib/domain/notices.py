"""서구소식 notice files: their keys, and reading one into a `Notice` or every `Problem` in it.

Staff publish by uploading `notices/<name>.md` (Markdown with a YAML front matter) to the notices
bucket. This module holds the file rules only and does no I/O; what becomes of a post is `news.py`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

from chalicelib.domain.dongs import DONGS, is_dong
from chalicelib.domain.months import KST

DISASTER = "disaster"
CATEGORIES: tuple[str, ...] = (DISASTER, "daily-info", "major-news", "dong-event")
ALL = "all"
"""`dongs: all` addresses the whole district."""

NOTICE_PREFIX = "notices/"
NOTICE_SUFFIX = ".md"
ERROR_PREFIX = "errors/"
MAX_NOTICE_BYTES = 64 * 1024
"""A notice file may be at most 64 KiB: a long notice is a few KiB, and the post (Markdown and HTML)
must fit one DynamoDB item."""
MAX_TITLE_CHARS = 200
MAX_DEPTH = 4
"""The front matter is a mapping whose deepest value is the list of dongs (depth 2). Deeper nesting is
refused from the YAML events, before PyYAML builds it: it builds nested values recursively, and a file
of 64 KiB of `[` would exhaust Python's recursion limit instead of being reported."""
MAX_PROBLEMS = 20
"""A report lists at most this many problems, then how many more there were: the report is stored in the
notice's DynamoDB item (at most 400 KB), and 64 KiB of unknown fields would otherwise make a 770 KB one."""
MAX_PROBLEM_CHARS = 200
"""A problem's field and message are cut to this length, for the same reason: a list of 20,000 unknown
dongs must not become a 100 KB message."""
MAX_KEY_CHARS = 512
FIELDS = ("title", "category", "dongs", "publish_at", "expires_at", "pinned")
REQUIRED = ("title", "category", "dongs")
EARLIEST = datetime(2000, 1, 1, tzinfo=KST)
LATEST = datetime(2999, 12, 31, tzinfo=KST)

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


# ---- parsing and validation ------------------------------------------------------------------


def parse_notice(raw: bytes, size: int | None = None) -> Parsed:
    """Read a notice file; every problem is reported, not only the first.

    The file must be UTF-8 (a BOM is allowed), at most `MAX_NOTICE_BYTES`, and begin with a YAML front
    matter between `---` lines. Fields: `title` (text, 1–200 characters), `category` (one of
    `CATEGORIES`), `dongs` (`all`, a dong, or a list of the 22 dongs), optional `publish_at` and
    `expires_at` (YAML timestamps or ISO 8601 strings with a time; without an offset they mean KST;
    `expires_at` after `publish_at`), optional `pinned` (true/false). Unknown fields are errors (a
    typo such as `pined` must not be silently ignored). The Markdown body must not be empty.

    Nothing larger than the file is ever built: the size is checked before decoding (and the larger of
    `size` and what was read counts, so a short `size` cannot let a long file through), and the front
    matter's YAML events are read before any value is built, refusing anchors and aliases (`&a`, `*a`:
    the "billion laughs", where a few hundred bytes expand to millions of items) and deep nesting. The
    report is bounded too (`MAX_PROBLEMS`, `MAX_PROBLEM_CHARS`).
    """
    actual = len(raw) if size is None else max(size, len(raw))
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
        refusal = _unexpandable(header)
        if refusal is not None:
            return _rejected(refusal)
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


def _unexpandable(header: str) -> Problem | None:
    """Why the front matter may not be built, judged from its YAML events alone (parsing builds nothing,
    and stops at the first refusal): an anchor or alias, which lets a value repeat another and so grow
    exponentially with the file's size, or values nested deeper than `MAX_DEPTH`. A notice needs
    neither. Invalid YAML raises `yaml.YAMLError` here as it would when loading."""
    depth = 0
    for event in yaml.parse(header, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            return Problem("front matter", "YAML anchors and aliases (&name, *name) are not allowed in a notice")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return Problem("front matter", f"values may be nested at most {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _rejected(problem: Problem) -> Parsed:
    return Parsed(None, (problem,))


def _bounded(problems: list[Problem]) -> tuple[Problem, ...]:
    """The report as stored and shown: at most `MAX_PROBLEMS` problems, each cut to `MAX_PROBLEM_CHARS`."""
    shown = [Problem(_cut(p.field), _cut(p.message)) for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        shown.append(Problem("file", f"{len(problems) - MAX_PROBLEMS} more problems are not listed"))
    return tuple(shown)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_PROBLEM_CHARS else text[: MAX_PROBLEM_CHARS - 3] + "..."


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
        return Parsed(None, _bounded(problems))
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
