"""서구소식 rules: reading notice files (every problem reported), rendering them. A post's life: test_news_posts.py."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from chalicelib.domain.months import KST
from chalicelib.domain.notices import (
    MAX_NOTICE_BYTES,
    MAX_PROBLEM_CHARS,
    MAX_PROBLEMS,
    Parsed,
    Problem,
    error_key,
    notice_name,
    parse_notice,
    post_id_for,
)
from chalicelib.markdown import render

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "sample-notice.md"
NOW = datetime(2020, 1, 5, 3, 0, tzinfo=UTC)


def notice(front: str, body: str = "본문입니다.\n") -> bytes:
    return f"---\n{front}---\n\n{body}".encode()


GOOD = "title: 알림\ncategory: daily-info\ndongs: [청라1동, 가정2동]\n"


def fields(parsed: Parsed) -> list[str]:
    return [p.field for p in parsed.problems]


def test_the_shared_sample_notice_is_valid() -> None:
    raw = SAMPLE.read_bytes() if SAMPLE.exists() else notice(
        "title: 청라1동 행정복지센터 주민 요가교실 수강생 모집\ncategory: dong-event\ndongs: [청라1동]\n"
        "publish_at: 2020-01-06T09:00:00+09:00\nexpires_at: 2020-01-31T18:00:00+09:00\npinned: false\n"
    )
    parsed = parse_notice(raw)
    assert parsed.problems == ()
    assert parsed.notice is not None
    assert parsed.notice.category == "dong-event"
    assert parsed.notice.dongs == ("청라1동",)
    assert parsed.notice.publish_at == datetime(2020, 1, 6, 9, 0, tzinfo=KST)
    assert parsed.notice.expires_at == datetime(2020, 1, 31, 18, 0, tzinfo=KST)


def test_a_valid_notice_keeps_its_markdown_body_and_orders_dongs_as_the_district_does() -> None:
    parsed = parse_notice(notice("title: ' 알림 '\ncategory: major-news\ndongs: [마전동, 검암경서동]\npinned: true\n",
                                 "# 제목\n\n내용"))
    assert parsed.notice is not None
    assert parsed.notice.title == "알림"
    assert parsed.notice.dongs == ("검암경서동", "마전동")
    assert parsed.notice.body == "# 제목\n\n내용"
    assert parsed.notice.pinned is True


def test_dongs_all_addresses_the_whole_district() -> None:
    parsed = parse_notice(notice("title: t\ncategory: disaster\ndongs: all\n"))
    assert parsed.notice is not None and parsed.notice.district_wide


def test_a_notice_without_front_matter_is_rejected_with_an_error_report() -> None:
    parsed = parse_notice("# 그냥 마크다운\n\n본문".encode())
    assert parsed.notice is None
    assert fields(parsed) == ["file"]
    assert "front matter" in parsed.problems[0].message


def test_an_unclosed_front_matter_is_rejected() -> None:
    parsed = parse_notice(b"---\ntitle: t\ncategory: disaster\n")
    assert fields(parsed) == ["file"]
    assert "not closed" in parsed.problems[0].message


def test_a_notice_with_a_bad_category_is_rejected_naming_the_allowed_ones() -> None:
    parsed = parse_notice(notice("title: t\ncategory: news\ndongs: all\n"))
    assert fields(parsed) == ["category"]
    assert "disaster, daily-info, major-news, dong-event" in parsed.problems[0].message
    assert "'news'" in parsed.problems[0].message


def test_a_notice_naming_an_unknown_dong_is_rejected_naming_it() -> None:
    parsed = parse_notice(notice("title: t\ncategory: dong-event\ndongs: [청라1동, 청라4동, 서울동]\n"))
    assert fields(parsed) == ["dongs"]
    assert "'청라4동'" in parsed.problems[0].message and "'서울동'" in parsed.problems[0].message
    assert "청라1동" not in parsed.problems[0].message


@pytest.mark.parametrize("dongs", ["[]", "[all, 청라1동]", "42", "{a: 1}"])
def test_dongs_must_be_all_or_a_list_of_dongs(dongs: str) -> None:
    parsed = parse_notice(notice(f"title: t\ncategory: dong-event\ndongs: {dongs}\n"))
    assert fields(parsed) == ["dongs"]


def test_a_notice_without_a_title_is_rejected() -> None:
    parsed = parse_notice(notice("category: daily-info\ndongs: all\n"))
    assert fields(parsed) == ["title"]
    assert parsed.problems[0].message == "is required"


@pytest.mark.parametrize("title", ["''", "'   '", "123", "[a, b]", "'" + "가" * 201 + "'"])
def test_a_title_must_be_text_of_at_most_200_characters(title: str) -> None:
    parsed = parse_notice(notice(f"title: {title}\ncategory: daily-info\ndongs: all\n"))
    assert fields(parsed) == ["title"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-01-06T09:00:00+09:00", datetime(2020, 1, 6, 0, 0, tzinfo=UTC)),  # YAML timestamp with offset
        ("2020-01-06 09:00:00", datetime(2020, 1, 6, 0, 0, tzinfo=UTC)),  # YAML timestamp without: KST
        ("'2020-01-06T09:00:00+09:00'", datetime(2020, 1, 6, 0, 0, tzinfo=UTC)),  # ISO string
        ("'2020-01-06T09:00:00'", datetime(2020, 1, 6, 0, 0, tzinfo=UTC)),  # ISO string without offset: KST
        ("2020-01-06T00:00:00Z", datetime(2020, 1, 6, 0, 0, tzinfo=UTC)),
    ],
)
def test_times_are_yaml_timestamps_or_iso_strings_and_mean_kst_without_an_offset(value: str, expected: datetime) -> None:
    parsed = parse_notice(notice(f"{GOOD}publish_at: {value}\n"))
    assert parsed.problems == ()
    assert parsed.notice is not None and parsed.notice.publish_at == expected


@pytest.mark.parametrize(
    "value", ["tomorrow", "'2020-13-01T00:00:00'", "2020-01-06", "'2020-01-06'", "12", "1800-01-01T00:00:00"]
)
def test_a_notice_with_bad_dates_is_rejected(value: str) -> None:
    parsed = parse_notice(notice(f"{GOOD}publish_at: {value}\nexpires_at: {value}\n"))
    assert fields(parsed) == ["publish_at", "expires_at"]


def test_a_notice_that_expires_before_it_is_published_is_rejected() -> None:
    parsed = parse_notice(notice(f"{GOOD}publish_at: 2020-01-06T09:00:00+09:00\nexpires_at: 2020-01-06T08:00:00+09:00\n"))
    assert fields(parsed) == ["expires_at"]


def test_pinned_must_be_true_or_false() -> None:
    parsed = parse_notice(notice(f"{GOOD}pinned: 'yes please'\n"))
    assert fields(parsed) == ["pinned"]


def test_an_unknown_field_is_rejected_so_a_typo_is_not_silently_ignored() -> None:
    parsed = parse_notice(notice(f"{GOOD}pined: true\n"))
    assert fields(parsed) == ["pined"]


def test_a_notice_that_is_not_utf8_is_rejected() -> None:
    parsed = parse_notice(notice(GOOD).replace("본문".encode(), "본문".encode("euc-kr")))
    assert fields(parsed) == ["file"]
    assert "UTF-8" in parsed.problems[0].message


def test_a_utf8_byte_order_mark_is_allowed() -> None:
    assert parse_notice(b"\xef\xbb\xbf" + notice(GOOD)).problems == ()


def test_a_notice_that_is_too_large_is_rejected() -> None:
    raw = notice(GOOD, "가" * (MAX_NOTICE_BYTES // 3 + 10))
    parsed = parse_notice(raw)
    assert fields(parsed) == ["file"]
    assert str(MAX_NOTICE_BYTES) in parsed.problems[0].message
    assert fields(parse_notice(raw[:100], size=MAX_NOTICE_BYTES + 1)) == ["file"]


def test_invalid_yaml_is_rejected_with_its_line() -> None:
    parsed = parse_notice(b"---\ntitle: t\ncategory: [unclosed\n---\nbody\n")
    assert fields(parsed) == ["front matter"]


LAUGHS = "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 5)
)
BILLION_LAUGHS = notice(f"title: t\ndongs: all\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n{LAUGHS}"
                        "category: *l4\n", "b\n")
"""Under 400 bytes whose `category` is 10⁵ items once built (four more lines would make it 10⁹)."""


def test_a_billion_laughs_is_refused_from_its_yaml_events_without_building_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def build(_: str) -> object:
        raise AssertionError("the front matter was built")

    monkeypatch.setattr(yaml, "safe_load", build)
    parsed = parse_notice(BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 400
    assert parsed.notice is None
    assert fields(parsed) == ["front matter"]
    assert "alias" in parsed.problems[0].message
    assert len(parsed.problems[0].message) < 300


@pytest.mark.parametrize(
    "front",
    [
        "title: &t 알림\ncategory: daily-info\ndongs: all\n",
        f"{GOOD}pinned: &p false\n",
        "title: 알림\ncategory: daily-info\ndongs: &d [청라1동]\n",
        f"{GOOD}base: &b {{pinned: true}}\nother:\n  <<: *b\n",
    ],
    ids=["anchor on a scalar", "unused anchor", "anchor on a list", "merge key"],
)
def test_any_anchor_or_alias_rejects_the_notice(front: str) -> None:
    parsed = parse_notice(notice(front))
    assert fields(parsed) == ["front matter"]
    assert "anchors and aliases" in parsed.problems[0].message


def test_ampersands_and_asterisks_in_text_are_not_anchors_or_aliases() -> None:
    parsed = parse_notice(notice("title: 'R&D 설명회 *안내*'\ncategory: daily-info\ndongs: all\n", "&a *b 본문\n"))
    assert parsed.problems == ()
    assert parsed.notice is not None and parsed.notice.title == "R&D 설명회 *안내*"


def test_deeply_nested_yaml_is_rejected_not_a_crash() -> None:
    parsed = parse_notice(notice(f"{GOOD}pinned: {'[' * 3000}{']' * 3000}\n"))
    assert fields(parsed) == ["front matter"]
    assert "nested" in parsed.problems[0].message


def test_a_short_size_does_not_let_a_long_file_through() -> None:
    raw = notice(GOOD, "가" * (MAX_NOTICE_BYTES // 3 + 10))
    assert fields(parse_notice(raw, size=10)) == ["file"]


def test_the_error_report_stays_small_however_many_problems_the_file_has() -> None:
    many_fields = parse_notice(notice(GOOD + "".join(f"f{i}: 1\n" for i in range(1000))))
    assert len(many_fields.problems) == MAX_PROBLEMS + 1
    assert many_fields.problems[-1] == Problem("file", f"{1000 - MAX_PROBLEMS} more problems are not listed")
    many_dongs = parse_notice(notice(f"title: t\ncategory: disaster\ndongs: [{', '.join(['없는동'] * 5000)}]\n"))
    assert fields(many_dongs) == ["dongs"]
    assert len(many_dongs.problems[0].message) <= MAX_PROBLEM_CHARS


def test_an_empty_body_is_rejected() -> None:
    assert fields(parse_notice(notice(GOOD, "\n  \n"))) == ["body"]


def test_every_problem_is_reported_not_only_the_first() -> None:
    parsed = parse_notice(notice("category: news\ndongs: [없는동]\npublish_at: soon\npinned: 3\nextra: 1\n", ""))
    assert sorted(fields(parsed)) == sorted(["extra", "title", "category", "dongs", "publish_at", "pinned", "body"])


def test_notice_keys_errors_keys_and_post_ids() -> None:
    assert notice_name("notices/2020/yoga.md") == "2020/yoga"
    assert notice_name("notices/.md") is None
    assert notice_name("errors/a.json") is None
    assert notice_name("notices/a.txt") is None
    assert error_key("notices/2020/yoga.md") == "errors/2020/yoga.json"
    assert post_id_for("notices/a.md") == post_id_for("notices/a.md") != post_id_for("notices/b.md")


class Elements(HTMLParser):
    """The elements and attributes a browser would build from the HTML (escaped text is only text)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt:alert(1))",
    "[a](vbscript:msgbox(1))",
    "![c](data:text/html;base64,PHNjcmlwdD4=)",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil></iframe>",
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](&#106;avascript:alert(1))",
    "<<script>script>alert(1)<</script>/script>",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_markdown_becomes_html_without_any_way_to_run_script(attack: str) -> None:
    html = render(f"# 제목\n\n{attack}\n\n[안내](https://www.seo.incheon.kr)\n")
    found = elements(html)
    tags = {tag for tag, _ in found}
    assert tags <= {"h1", "p", "a", "img"}, html
    for _tag, attrs in found:
        assert not any(name.startswith("on") or name == "style" for name in attrs), html
        for name in ("href", "src"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value or value.startswith(("http://", "https://")), html
    assert ("a", {"href": "https://www.seo.incheon.kr", "rel": "noopener noreferrer nofollow"}) in found


def test_a_notice_saved_with_windows_line_endings_is_read_the_same() -> None:
    parsed = parse_notice(notice(GOOD, "# 제목\n\n본문").replace(b"\n", b"\r\n"))
    assert parsed.problems == ()
    assert parsed.notice is not None and parsed.notice.dongs == ("청라1동", "가정2동")
    assert render(parsed.notice.body).startswith("<h1>제목</h1>")
