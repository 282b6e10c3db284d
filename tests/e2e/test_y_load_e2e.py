"""`make load` in miniature against the session's local stack: two residents run the whole mix for a few
seconds (each first does every task once), and the run must get no 5xx, no request without an answer,
nothing unexpected, and leave every wallet, campaign total and mall stock exactly as its answers say.

The load tool runs as a child process (locust monkey-patches the standard library for gevent, which
must never happen to the test process). Its residents, shops and products carry the run's own id. To stay
within seconds it seeds without a settlement (`--no-settlement`: no clock moves), so its residents have
no cashback and their donations are refused for funds — still requests of the donation category; `make
load` seeds with one.

The file is named to run after the other e2e tests (and before the privacy scan, which should see its
rows too): moto's queries and transactions cost O(items in the table), so the rows it adds would slow
every test after it on the shared stack, and the racing-payment tests are the ones that feel it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.paths import REPO_ROOT
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

CATEGORIES = ("read", "top-up", "payment", "refund", "delivery order", "mall order", "donation")


def test_two_residents_running_the_whole_mix_get_no_5xx_and_leave_the_money_balanced(
    stack: LocalStack, tmp_path: Path
) -> None:
    figures = tmp_path / "load.json"
    run = subprocess.run(
        [sys.executable, "-m", "load", "--api", stack.base_url, "--state-dir", str(stack.state_dir),
         "--aws-endpoint", stack.aws_endpoint, "--users", "2", "--spawn-rate", "2", "--run-time", "5", "--tour",
         "--wait-min", "0", "--wait-max", "0.2", "--no-settlement", "--json", str(figures)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    printed = run.stdout + run.stderr  # the run's own report: every assertion below shows it
    assert run.returncode == 0, printed
    report = json.loads(figures.read_text(encoding="utf-8"))
    assert (report["server_errors"], report["connection_errors"], report["unexpected"]) == (0, 0, {}), printed
    assert report["exceptions"] == [] and report["problems"] == [], printed
    assert set(report["categories"]) == set(CATEGORIES)
    assert {c: n for c, n in report["categories"].items() if n == 0} == {}, printed
    money = report["money"]
    assert money["ok"] and money["checked"] == 2 and money["expected_total"] == money["actual_total"], printed
    assert report["requests"] == sum(e["requests"] for e in report["endpoints"].values()) > 30, printed
