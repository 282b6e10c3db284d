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
import zipfile
from pathlib import Path

import pytest

from infra import bytecode, merge
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
    assert bytecode.add_to_package(out / "deployment.zip", bytecode.runtime_of(out / "sam.json")) > 100
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


def test_the_package_ships_every_module_s_bytecode_and_python_loads_it_without_the_sources_timestamps(
    tmp_path: Path,
):
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as zipped:
        zipped.write(ROOT / "app.py", "app.py")
        for source in (ROOT / "chalicelib").rglob("*.py"):
            zipped.write(source, source.relative_to(ROOT).as_posix())
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    modules = [n for n in zipfile.ZipFile(package).namelist() if n.endswith(".py")]
    assert bytecode.add_to_package(package, runtime) == len(modules)
    assert bytecode.add_to_package(package, runtime) == 0   # once
    with pytest.raises(SystemExit, match="bytecode would be ignored"):
        bytecode.add_to_package(package, "python3.9")
    task = tmp_path / "task"
    zipfile.ZipFile(package).extractall(task)
    months = task / "chalicelib" / "domain" / "months.py"
    months.write_text(months.read_text(encoding="utf-8") + "\nraise RuntimeError('compiled from source')\n")
    loaded = subprocess.run(   # an unchecked-hash .pyc is used as it is: the edited source is never compiled
        [sys.executable, "-c", "import chalicelib.domain.months as m; print(m.__cached__, m.month_of.__module__)"],
        cwd=task, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, capture_output=True, text=True, check=True)
    cached = task / "chalicelib" / "domain" / "__pycache__" / f"months.{sys.implementation.cache_tag}.pyc"
    assert loaded.stdout.split() == [str(cached), "chalicelib.domain.months"]
