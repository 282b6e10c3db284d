"""`chalice package` with the merge file, then cfn-lint and checkov, offline: the same steps as `make package`,
on a copy of the project whose requirements.txt is empty (the template does not depend on the wheels, and
fetching them needs PyPI; `make package` fetches them). checkov runs from its own virtualenv (.venv-tools,
`make install`), with the waivers of infra/checkov.yaml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from infra import merge
from tests.support import ROOT

BIN = Path(sys.executable).parent
CHECKOV = Path(os.environ.get("CHECKOV", ROOT / ".venv-tools" / "bin" / "checkov"))


def test_the_packaged_template_has_every_function_wired_and_cfn_lint_and_checkov_find_nothing(tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "app.py", project / "app.py")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".chalice").mkdir()
    shutil.copy(ROOT / ".chalice" / "config.json", project / ".chalice" / "config.json")
    (project / "requirements.txt").write_text("")
    merge_file = tmp_path / "merge.json"
    merge_file.write_text(json.dumps(merge.build()))
    out = tmp_path / "out"
    env = {**os.environ, "AWS_DEFAULT_REGION": "ap-northeast-2"}
    subprocess.run([str(BIN / "chalice"), "--project-dir", str(project), "package", "--stage", "prod",
                    "--merge-template", str(merge_file), str(out)], check=True, env=env, capture_output=True)
    sam = json.loads((out / "sam.json").read_text())
    functions = {k: v for k, v in sam["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert sorted(functions) == sorted(merge.function_names())
    for name, fn in functions.items():
        assert fn["Properties"]["Role"] == {"Fn::GetAtt": [f"{name.replace('APIHandler', 'ApiHandler')}Role", "Arn"]}
        assert fn["Properties"]["Environment"]["Variables"]["STAGE"] == "prod"
        assert fn["Properties"]["Environment"]["Variables"]["TABLE_NAME"] == {"Ref": "MainTable"}
    assert {"UserPool", "StaffUserPool", "SettlementDeadLetterAlarm"} <= set(sam["Resources"])
    lint = subprocess.run([str(BIN / "cfn-lint"), str(out / "sam.json")], capture_output=True, text=True)
    assert (lint.returncode, lint.stdout) == (0, "")
    assert CHECKOV.exists(), f"{CHECKOV} is missing: `make install` makes it (or set CHECKOV)"
    scan = subprocess.run([str(CHECKOV), "-f", str(out / "sam.json"), "--config-file", str(ROOT / "infra" / "checkov.yaml"),
                           "-o", "json"], capture_output=True, text=True, cwd=tmp_path)
    summary = json.loads(scan.stdout)
    failed = [(c["check_id"], c["resource"]) for c in summary.get("results", {}).get("failed_checks", [])]
    assert (scan.returncode, failed) == (0, []), scan.stderr[-2000:]
    assert summary["summary"]["passed"] > 100   # it did scan the template
