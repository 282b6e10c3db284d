"""Every staff action is in the audit trail (who, when, what, on what), written with the action or not at all,
and staff list it newest first, by actor and by action."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from chalicelib import composition
from chalicelib.domain.months import KST
from tests.support import BIZ, Env, stored_items


def trail(env: Env, query: str = "") -> list[dict[str, Any]]:
    status, body = env.call("GET", f"/staff/audit?limit=100{query}", role="staff", sub="auditor")
    assert status == 200, body
    items: list[dict[str, Any]] = body["items"]
    return items


def test_every_staff_action_is_recorded_newest_first_with_who_what_and_on_what(env: Env):
    env.clock.set(datetime(2020, 3, 10, 9, 0, tzinfo=KST))
    shop = env.register_merchant(number=BIZ[0], malls=["only-seogu"])   # by staff1
    seller = env.register_merchant(number=BIZ[1])
    status, _ = env.call("POST", f"/staff/merchants/{seller}/malls", role="staff", sub="kim", body={"mall": "only-seogu"})
    assert status == 200
    status, camp = env.call("POST", "/staff/campaigns", role="staff", sub="kim",
                            body={"title": "연탄 나눔", "category": "winter", "target": 5_000_000})
    assert status == 201
    assert env.call("POST", f"/staff/campaigns/{camp['campaign_id']}/close", role="staff", sub="lee")[0] == 200
    assert env.call("POST", f"/staff/campaigns/{camp['campaign_id']}/reopen", role="staff", sub="lee")[0] == 200
    env.enact_policy("2020-05", {"programs": [{"program_id": "city-base", "funder": "incheon-city",
                                               "tiers": [{"up_to": None, "rate_bp": 300}]}],
                                 "monthly_charge_limit": 1_000_000, "balance_limit": 2_000_000})
    env.clock.set(datetime(2020, 4, 1, 1, 0, tzinfo=KST))
    assert env.call("POST", "/staff/settlements", role="staff", sub="park", body={"month": "2020-03"})[0] == 202
    assert env.call("POST", "/staff/donations/nts-export", role="staff", sub="park", body={"year": 2020})[0] == 200

    got = [(e["action"], e["actor"], e["target"]) for e in trail(env)]
    assert got == [
        ("nts.export", "park", "2020"),
        ("settlement.start", "park", "2020-03"),
        ("policy.approve", "chief", "2020-05"),
        ("policy.propose", "clerk", "2020-05"),
        ("campaign.reopen", "lee", camp["campaign_id"]),
        ("campaign.close", "lee", camp["campaign_id"]),
        ("campaign.open", "kim", camp["campaign_id"]),
        ("merchant.malls", "kim", seller),
        ("merchant.register", "staff1", seller),
        ("merchant.register", "staff1", shop),
    ]
    first = trail(env)[-1]
    assert first["at"] == "2020-03-10T09:00:00+09:00" and first["detail"]["name"] == "가게"
    assert [e["action"] for e in trail(env, "&actor=lee")] == ["campaign.reopen", "campaign.close"]
    assert [e["target"] for e in trail(env, "&action=merchant.register")] == [seller, shop]


def test_a_refused_action_leaves_no_record(env: Env):
    env.register_merchant(number=BIZ[0])
    before = trail(env)
    status, _ = env.call("POST", "/staff/merchants", role="staff", sub="kim",
                         body={"name": "또 가게", "business_number": BIZ[0], "dong": "청라1동", "category": "cafe",
                               "benefit_plus": False})
    assert status == 409                                   # the business number is taken
    assert env.call("POST", "/staff/campaigns/no-such/close", role="staff", sub="kim")[0] == 404
    assert env.call("POST", "/staff/settlements", role="staff", sub="kim", body={"month": "2020-03"})[0] == 409
    assert trail(env) == before
    assert not any(key[0] == "audit" and value.actor == "kim" for key, value in stored_items(env).items())


def test_approving_a_mall_again_changes_nothing_and_records_nothing(env: Env):
    seller = env.register_merchant(number=BIZ[0])
    for _ in range(2):
        status, body = env.call("POST", f"/staff/merchants/{seller}/malls", role="staff", sub="kim",
                                body={"mall": "only-seogu"})
        assert status == 200 and body["malls"] == ["only-seogu"]
    assert [e["action"] for e in trail(env, "&actor=kim")] == ["merchant.malls"]


def test_only_staff_read_the_trail_and_a_filter_on_an_unknown_action_is_refused(env: Env):
    assert env.call("GET", "/staff/audit", role="resident", sub="ann")[0] == 403
    assert env.call("GET", "/staff/audit", role="merchant", sub="o", merchant_id="m-1")[0] == 403
    status, body = env.call("GET", "/staff/audit?action=wallet.drain", role="staff", sub="auditor")
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")


class FailingStore:
    """The table refuses every write (an outage): reads still work."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def batch(self) -> Any:
        return self._real.batch()

    def tx(self) -> Any:
        class Refusing:
            def add(self, write: Any) -> None:
                pass

            def commit(self) -> None:
                raise RuntimeError("table unavailable")

        return Refusing()


def test_no_export_file_of_registration_numbers_exists_without_its_audit_record(env: Env):
    exports = composition.container().exports
    repos = composition.container().repos
    composition.amend(repos=repos.replace(store=FailingStore(repos.store)))
    with contextlib.suppress(RuntimeError):
        env.call("POST", "/staff/donations/nts-export", role="staff", sub="park", body={"year": 2020})
    assert exports.files == {}                                 # type: ignore[attr-defined]
    composition.amend(repos=repos)
    status, body = env.call("POST", "/staff/donations/nts-export", role="staff", sub="park", body={"year": 2020})
    assert status == 200
    assert list(exports.files) == [body["s3_key"]]             # type: ignore[attr-defined]
    assert [e["detail"]["s3_key"] for e in trail(env, "&action=nts.export")] == [body["s3_key"]]
