"""The README's walkthrough is `docs/walkthrough.sh`, shown in the README as it is, and it runs to the end.

The script moves the local clock past the end of this month and settles the month, so it gets a fresh stack of
its own (seeded with the demo shops, as `SEED_DEMO=1 make run` is) rather than the e2e tests' shared one, whose
residents' month it would settle.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.harness import shut_down
from tests.e2e.conftest import launch

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "walkthrough.sh"
README = ROOT / "README.md"
SCRIPT_TIMEOUT = 240  # seconds; it takes about 6 (the settlement's wait is bounded at 2 minutes by the script)


def test_the_readme_shows_the_walkthrough_script_exactly_as_it_is_in_docs():
    blocks = re.findall(r"^```bash\n(#!/usr/bin/env bash\n.*?)^```$", README.read_text(encoding="utf-8"), re.M | re.S)
    assert len(blocks) == 1, "README.md must show docs/walkthrough.sh once, in a ```bash block"
    script = SCRIPT.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(script.splitlines(True), blocks[0].splitlines(True), "docs/walkthrough.sh",
                                        "README.md"))
    assert blocks[0] == script, f"the README's copy of docs/walkthrough.sh differs:\n{diff}"
    assert os.access(SCRIPT, os.X_OK), "docs/walkthrough.sh must be executable"


@pytest.mark.e2e
def test_the_readme_walkthrough_runs_every_step_on_a_fresh_stack_seeded_with_the_demo_shops(
        tmp_path_factory: pytest.TempPathFactory):
    stack = launch(tmp_path_factory.mktemp("walkthrough"), {"SEED_DEMO": "1"})
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        env.update(API=stack.base_url, AWS=stack.aws_endpoint, PY=sys.executable,
                   TOKEN=f"{sys.executable} -m devstack.token", LOCAL_STATE_DIR=str(stack.state_dir))
        run = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=SCRIPT_TIMEOUT, check=False)
        told = f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}"
        assert run.returncode == 0, f"docs/walkthrough.sh stopped ({run.returncode}):\n{told}\n\nthe stack:\n" + \
            stack.output()[-6000:]
        assert run.stderr.rstrip().endswith("the walkthrough ran to the end"), told
        assert "POST /staff/settlements → 202" in run.stderr and "PUT /_local/clock → 200" in run.stderr, told
    finally:
        shut_down(stack)
