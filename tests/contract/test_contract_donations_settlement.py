"""Donations (campaigns, gifts, year summaries, automatic donations) and the monthly settlement's runs,
shards and merchant lines, held to one behaviour on both stores. Tax ids: test_contract_tax_ids.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib import composition
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.donations import GENERAL_FUND, AutoDonation, Donation, DonationYear
from chalicelib.domain.errors import Contention, NotFound
from chalicelib.domain.settlement import MerchantLine, RunTaken, SettlementRun, Totals
from chalicelib.domain.shards import shard_of
from tests.contract.conftest import SHARDS, commit, read

AT = "2020-03-10T12:00:00+09:00"
MONTH = "2020-02"


def campaign(campaign_id: str, created_at: str = AT, active: bool = True) -> Campaign:
    return Campaign(campaign_id, f"{campaign_id} 지원", "solitary-elderly", 1_000_000, active=active, created_at=created_at)


def gift(repos: composition.Repositories, target: str, raised: int, donors: int) -> None:
    commit(repos, lambda tx: repos.campaigns.stage_gift(tx, target, raised, donors))


def donation(donation_id: str, user_id: str, created_at: str, amount: int = 1_000) -> Donation:
    return Donation(donation_id, user_id, amount, "elderly", "solitary-elderly", "one-off", created_at)


def same_shard(shards: int, count: int) -> tuple[int, list[str], list[str]]:
    """A shard, `count` residents in it and `count` residents outside it."""
    names = [f"res{i:02d}" for i in range(96)]
    shard = shard_of(names[0], shards)
    inside = [n for n in names if shard_of(n, shards) == shard][:count]
    outside = [n for n in names if shard_of(n, shards) != shard][:count]
    assert len(inside) == count
    return shard, inside, outside


def run(run_id: str, status: str = "queued") -> SettlementRun:
    return SettlementRun(MONTH, run_id, status, shards_total=SHARDS, shards_done=0, started_at=AT)


def totals(residents: int, dong: str = "청라1동") -> Totals:
    return Totals(
        residents=residents, settled_residents=residents, cashback_credited=300 * residents, accrued=300 * residents,
        by_program={"base": 300 * residents}, tier_spend={"base": [10_000, 5_000]}, dongs={dong: [residents, 15_000]},
        merchants={"mer_1": [20_000, 1_000, 0]}, problems=[f"{residents} residents"],
    )  # fmt: skip


def start_run(repos: composition.Repositories, new: SettlementRun, previous_run_id: str | None) -> bool:
    """Begin a run in a transaction of its own: False when another start won."""
    try:
        commit(repos, lambda tx: repos.settlements.stage_start(tx, new, previous_run_id))
        return True
    except RunTaken:
        return False


# ---- campaigns -------------------------------------------------------------------------------


def test_an_added_campaign_is_got_with_its_totals_and_wanted_without_them(repos: composition.Repositories):
    commit(repos, lambda tx: repos.campaigns.stage_add(tx, campaign("elderly")))
    gift(repos, "elderly", 5_000, 1)
    assert repos.campaigns.get("elderly") == replace(campaign("elderly"), raised=5_000, donors=1)
    assert read(repos, lambda b: repos.campaigns.want(b, "elderly")) == campaign("elderly")
    assert repos.campaigns.get("nothing") is None
    assert read(repos, lambda b: repos.campaigns.want(b, "nothing")) is None


def test_seeding_creates_a_campaign_only_once_and_never_resets_what_it_raised(repos: composition.Repositories):
    assert repos.campaigns.seed(campaign("elderly")) is True
    gift(repos, "elderly", 7_000, 2)
    assert repos.campaigns.seed(replace(campaign("elderly"), title="다른 제목", active=False)) is False
    assert repos.campaigns.get("elderly") == replace(campaign("elderly"), raised=7_000, donors=2)


def test_a_campaign_is_opened_and_closed_and_an_unknown_one_is_not_found(repos: composition.Repositories):
    commit(repos, lambda tx: repos.campaigns.stage_add(tx, campaign("elderly")))
    commit(repos, lambda tx: repos.campaigns.stage_active(tx, "elderly", False))
    assert read(repos, lambda b: repos.campaigns.want(b, "elderly")).active is False
    commit(repos, lambda tx: repos.campaigns.stage_active(tx, "elderly", True))
    assert repos.campaigns.get("elderly") == campaign("elderly")
    with pytest.raises(NotFound):
        commit(repos, lambda tx: repos.campaigns.stage_active(tx, "nothing", False))
    assert repos.campaigns.get("nothing") is None


def test_several_gifts_add_up_in_totals_get_and_page(repos: composition.Repositories):
    commit(repos, lambda tx: repos.campaigns.stage_add(tx, campaign("elderly")))
    commit(repos, lambda tx: repos.campaigns.stage_add(tx, campaign("children", created_at="2020-03-11T09:00:00+09:00")))
    for raised, donors in ((1_000, 1), (2_500, 1), (400, 0), (100, 1)):
        gift(repos, "elderly", raised, donors)
    gift(repos, "children", 9_000, 1)
    assert repos.campaigns.totals("elderly") == (4_000, 3)
    assert repos.campaigns.get("elderly") == replace(campaign("elderly"), raised=4_000, donors=3)
    listed = repos.campaigns.page(10, None)
    assert [(c.campaign_id, c.raised, c.donors) for c in listed.items] == [("elderly", 4_000, 3), ("children", 9_000, 1)]
    assert listed.next is None


def test_campaigns_are_paged_in_creation_order(repos: composition.Repositories):
    for cid, day in (("c-late", 3), ("c-first", 1), ("c-mid", 2)):
        made = campaign(cid, created_at=f"2020-03-0{day}T09:00:00+09:00")
        commit(repos, lambda tx, made=made: repos.campaigns.stage_add(tx, made))
    gift(repos, "c-late", 300, 1)
    first = repos.campaigns.page(2, None)
    assert [c.campaign_id for c in first.items] == ["c-first", "c-mid"]
    assert first.next is not None
    rest = repos.campaigns.page(2, first.next)
    assert [(c.campaign_id, c.raised, c.donors) for c in rest.items] == [("c-late", 300, 1)]
    assert rest.next is None


def test_the_general_fund_has_totals_of_its_own(repos: composition.Repositories):
    assert repos.campaigns.totals(GENERAL_FUND) == (0, 0)
    gift(repos, GENERAL_FUND, 1_200, 1)
    gift(repos, GENERAL_FUND, 800, 1)
    commit(repos, lambda tx: repos.campaigns.stage_add(tx, campaign("elderly")))
    gift(repos, "elderly", 50, 1)
    assert repos.campaigns.totals(GENERAL_FUND) == (2_000, 2)
    assert repos.campaigns.totals("elderly") == (50, 1)


# ---- donations -------------------------------------------------------------------------------


def test_a_year_summary_starts_empty_at_version_0_and_is_written_at_the_version_read(repos: composition.Repositories):
    assert read(repos, lambda b: repos.donations.want_year(b, "ann", "2020")) == DonationYear("ann", "2020")
    first = DonationYear("ann", "2020").plus(donation("d1", "ann", AT))
    commit(repos, lambda tx: repos.donations.stage_year(tx, first, 0))
    with pytest.raises(Contention):
        commit(repos, lambda tx: repos.donations.stage_year(tx, first, 0))
    second = first.plus(donation("d2", "ann", AT, amount=500))
    commit(repos, lambda tx: repos.donations.stage_year(tx, second, 1))
    with pytest.raises(Contention):
        commit(repos, lambda tx: repos.donations.stage_year(tx, first.plus(donation("d3", "ann", AT)), 1))
    stored = read(repos, lambda b: repos.donations.want_year(b, "ann", "2020"))
    assert stored == second
    assert (stored.total, stored.count, stored.version) == (1_500, 2, 2)
    assert stored.by_campaign == {"elderly": 1_500} and stored.by_category == {"solitary-elderly": 1_500}


def test_a_resident_has_given_to_a_target_once_marked_as_a_donor(repos: composition.Repositories):
    assert read(repos, lambda b: repos.donations.want_gave(b, "ann", "elderly")) is False
    commit(repos, lambda tx: repos.donations.stage_donor(tx, "ann", "elderly", AT))
    assert read(repos, lambda b: repos.donations.want_gave(b, "ann", "elderly")) is True
    assert read(repos, lambda b: repos.donations.want_gave(b, "ann", GENERAL_FUND)) is False
    assert read(repos, lambda b: repos.donations.want_gave(b, "bob", "elderly")) is False


def test_a_second_first_gift_to_the_same_target_is_contention_and_writes_nothing(repos: composition.Repositories):
    commit(repos, lambda tx: repos.donations.stage_donor(tx, "ann", "elderly", AT))
    d = donation("d1", "ann", AT)
    with pytest.raises(Contention):
        commit(
            repos,
            lambda tx: repos.donations.stage(tx, d),
            lambda tx: repos.donations.stage_year(tx, DonationYear("ann", "2020").plus(d), 0),
            lambda tx: repos.campaigns.stage_gift(tx, "elderly", 1_000, 1),
            lambda tx: repos.donations.stage_donor(tx, "ann", "elderly", "2020-03-11T00:00:00+09:00"),
        )
    assert repos.donations.of_year("ann", "2020", 10, None).items == []
    assert read(repos, lambda b: repos.donations.want_year(b, "ann", "2020")) == DonationYear("ann", "2020")
    assert repos.campaigns.totals("elderly") == (0, 0)


def test_a_year_lists_only_that_residents_donations_of_that_year_in_time_order_and_pages(
    repos: composition.Repositories,
):
    mine = [
        donation("d-c", "ann", "2020-07-01T10:00:00+09:00", 300),
        donation("d-a", "ann", "2020-01-05T09:00:00+09:00", 100),
        donation("d-b", "ann", "2020-03-10T12:00:00+09:00", 200),
    ]
    others = [donation("d-x", "ann", "2019-12-31T23:00:00+09:00"), donation("d-y", "ann", "2021-01-01T00:10:00+09:00"),
              donation("d-z", "bob", "2020-03-10T12:00:00+09:00")]  # fmt: skip
    commit(repos, *[lambda tx, d=d: repos.donations.stage(tx, d) for d in mine + others])
    everything = repos.donations.of_year("ann", "2020", 10, None)
    assert [d.donation_id for d in everything.items] == ["d-a", "d-b", "d-c"]
    assert everything.items[2] == mine[0] and everything.next is None
    first = repos.donations.of_year("ann", "2020", 2, None)
    assert [d.donation_id for d in first.items] == ["d-a", "d-b"] and first.next is not None
    rest = repos.donations.of_year("ann", "2020", 2, first.next)
    assert (rest.items, rest.next) == ([mine[0]], None)
    assert [d.donation_id for d in repos.donations.of_year("bob", "2020", 10, None).items] == ["d-z"]
    assert repos.donations.of_year("cid", "2020", 10, None).items == []


def test_the_years_of_several_residents_leave_out_those_without_one(repos: composition.Repositories):
    ann = DonationYear("ann", "2020").plus(donation("d1", "ann", AT, 700))
    bob = DonationYear("bob", "2020").plus(donation("d2", "bob", AT, 900))
    ann_before = DonationYear("ann", "2019").plus(donation("d0", "ann", "2019-05-01T00:00:00+09:00"))
    commit(
        repos,
        lambda tx: repos.donations.stage_year(tx, ann, 0),
        lambda tx: repos.donations.stage_year(tx, bob, 0),
        lambda tx: repos.donations.stage_year(tx, ann_before, 0),
    )
    assert repos.donations.years(["ann", "bob", "cid"], "2020") == {"ann": ann, "bob": bob}
    assert repos.donations.years(["cid"], "2020") == {}
    assert repos.donations.years([], "2020") == {}
    assert repos.donations.years(["ann", "bob"], "2019") == {"ann": ann_before}


def test_an_automatic_donation_is_set_replaced_and_removed(repos: composition.Repositories):
    assert read(repos, lambda b: repos.donations.want_auto(b, "ann")) is None
    every = AutoDonation("all", None, None, AT)
    repos.donations.put_auto("ann", every)
    assert read(repos, lambda b: repos.donations.want_auto(b, "ann")) == every
    fixed = AutoDonation("fixed", 5_000, "elderly", "2020-03-11T09:00:00+09:00")
    repos.donations.put_auto("ann", fixed)
    assert read(repos, lambda b: repos.donations.want_auto(b, "ann")) == fixed
    repos.donations.put_auto("ann", None)
    assert read(repos, lambda b: repos.donations.want_auto(b, "ann")) is None
    repos.donations.put_auto("ann", None)  # removing nothing is no error
    assert read(repos, lambda b: repos.donations.want_auto(b, "ann")) is None


def test_a_shard_lists_exactly_its_residents_automatic_donations(repos: composition.Repositories):
    shard, inside, outside = same_shard(SHARDS, 3)
    settings = {u: AutoDonation("fixed", 100 * (i + 1), None, AT) for i, u in enumerate(inside + outside)}
    for user, setting in settings.items():
        repos.donations.put_auto(user, setting)
    repos.donations.put_auto(inside[0], AutoDonation("all", None, "elderly", AT))
    repos.donations.put_auto(inside[1], None)
    assert repos.donations.autos_in_shard(shard) == {
        inside[0]: AutoDonation("all", None, "elderly", AT),
        inside[2]: settings[inside[2]],
    }
    other = shard_of(outside[0], SHARDS)
    expected = {u: s for u, s in settings.items() if shard_of(u, SHARDS) == other}
    assert repos.donations.autos_in_shard(other) == expected and outside[0] in expected
    empty = next(s for s in range(SHARDS) if all(shard_of(u, SHARDS) != s for u in settings))
    assert repos.donations.autos_in_shard(empty) == {}


# ---- settlements -----------------------------------------------------------------------------


def test_a_run_starts_once_and_is_replaced_only_by_naming_the_run_it_replaces(repos: composition.Repositories):
    assert repos.settlements.get_run(MONTH) is None
    assert start_run(repos, run("run-1"), None) is True
    assert start_run(repos, run("run-2"), None) is False
    assert repos.settlements.get_run(MONTH) == run("run-1")
    assert start_run(repos, run("run-3"), "run-9") is False
    assert repos.settlements.get_run(MONTH) == run("run-1")
    repos.settlements.record_shard(MONTH, "run-1", 0, totals(1))
    repos.settlements.finish_run(MONTH, "run-1", "failed", totals(1), ["r.csv"], "2020-03-01T01:00:00+09:00")
    assert start_run(repos, run("run-2"), "run-1") is True
    assert repos.settlements.get_run(MONTH) == run("run-2")  # nothing of the replaced run is kept
    assert start_run(repos, run("run-4"), "run-1") is False
    assert repos.settlements.get_run("2020-01") is None


def test_a_month_without_a_run_is_neither_started_by_naming_a_previous_run_nor_counted_nor_finished(
    repos: composition.Repositories,
):
    assert start_run(repos, run("run-2"), "run-1") is False
    assert repos.settlements.record_shard(MONTH, "run-1", 0, totals(1)) is False
    repos.settlements.finish_run(MONTH, "run-1", "completed", totals(1), [], "2020-03-01T01:00:00+09:00")
    assert repos.settlements.get_run(MONTH) is None
    assert repos.settlements.shard_totals(MONTH, "run-1") == []


def test_only_the_current_queued_run_is_marked_running(repos: composition.Repositories):
    repos.settlements.mark_running(MONTH, "run-1")
    assert repos.settlements.get_run(MONTH) is None
    start_run(repos, run("run-1"), None)
    repos.settlements.mark_running(MONTH, "run-0")
    assert repos.settlements.get_run(MONTH) == run("run-1")
    repos.settlements.mark_running(MONTH, "run-1")
    assert repos.settlements.get_run(MONTH) == run("run-1", status="running")
    repos.settlements.finish_run(MONTH, "run-1", "completed", Totals(), [], "2020-03-01T01:00:00+09:00")
    repos.settlements.mark_running(MONTH, "run-1")
    assert repos.settlements.get_run(MONTH).status == "completed"  # type: ignore[union-attr]


def test_a_shard_counts_once_per_run_and_its_totals_come_back_for_that_run_only(repos: composition.Repositories):
    start_run(repos, run("run-1"), None)
    assert repos.settlements.record_shard(MONTH, "run-1", 3, totals(1)) is True
    assert repos.settlements.record_shard(MONTH, "run-1", 3, totals(9)) is False
    assert repos.settlements.record_shard(MONTH, "run-1", 5, totals(2, dong="연희동")) is True
    assert repos.settlements.get_run(MONTH).shards_done == 2  # type: ignore[union-attr]
    by_json = sorted(repos.settlements.shard_totals(MONTH, "run-1"), key=Totals.to_json)
    assert by_json == sorted([totals(1), totals(2, dong="연희동")], key=Totals.to_json)
    assert start_run(repos, run("run-2"), "run-1") is True
    assert repos.settlements.record_shard(MONTH, "run-1", 6, totals(4)) is False  # a superseded run
    assert repos.settlements.record_shard(MONTH, "run-2", 3, totals(7)) is True
    assert repos.settlements.get_run(MONTH).shards_done == 1  # type: ignore[union-attr]
    assert repos.settlements.shard_totals(MONTH, "run-2") == [totals(7)]
    assert repos.settlements.shard_totals(MONTH, "run-1") == [totals(2, dong="연희동")]
    assert repos.settlements.shard_totals("2020-01", "run-2") == []


def test_a_run_is_finished_with_its_totals_and_reports_only_by_its_own_id(repos: composition.Repositories):
    start_run(repos, run("run-1"), None)
    repos.settlements.mark_running(MONTH, "run-1")
    repos.settlements.finish_run(MONTH, "run-0", "failed", totals(5), ["x.csv"], "2020-03-01T00:30:00+09:00")
    assert repos.settlements.get_run(MONTH) == run("run-1", status="running")
    done = "2020-03-01T01:00:00+09:00"
    reports = ["reports/2020-02/summary.csv", "reports/2020-02/merchants.csv"]
    repos.settlements.finish_run(MONTH, "run-1", "completed", totals(3), reports, done)
    finished = repos.settlements.get_run(MONTH)
    assert finished == replace(run("run-1"), status="completed", finished_at=done, totals=totals(3), reports=reports)
    assert finished is not None and finished.totals is not None
    assert finished.totals.tier_spend == {"base": [10_000, 5_000]} and finished.totals.problems == ["3 residents"]


def test_merchant_lines_are_put_and_read_one_by_one(repos: composition.Repositories):
    assert repos.settlements.merchant_line(MONTH, "mer_1") is None
    repos.settlements.put_merchant_lines(MONTH, {"mer_1": MerchantLine(20_000, 1_000, 500), "mer_2": MerchantLine(7_000)})
    assert repos.settlements.merchant_line(MONTH, "mer_1") == MerchantLine(20_000, 1_000, 500)
    assert repos.settlements.merchant_line(MONTH, "mer_1").net == 18_500  # type: ignore[union-attr]
    assert repos.settlements.merchant_line(MONTH, "mer_2") == MerchantLine(7_000, 0, 0)
    assert repos.settlements.merchant_line(MONTH, "mer_3") is None
    assert repos.settlements.merchant_line("2020-01", "mer_1") is None
    repos.settlements.put_merchant_lines(MONTH, {"mer_1": MerchantLine(1, 2, 3)})
    assert repos.settlements.merchant_line(MONTH, "mer_1") == MerchantLine(1, 2, 3)
    repos.settlements.put_merchant_lines(MONTH, {})
    assert repos.settlements.merchant_line(MONTH, "mer_2") == MerchantLine(7_000, 0, 0)
