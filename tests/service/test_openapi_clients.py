"""The mobile team generates its clients from `/openapi.json`: `openapi-python-client` (pinned in
requirements-dev.txt) and `openapi-typescript` (tools/openapi, installed by `make test` with `npm ci`) must
take the app's document without a warning or an error, and what they generate must compile.

The document is the local stage's (it has every route, the clock's too), exactly as the app builds it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

VENV_BIN = Path(sys.executable).parent
NPM_BIN = ROOT / "tools" / "openapi" / "node_modules" / ".bin"
PACKAGE = "seoro_client"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import app  # noqa: F401  (declares every area's routes)
    from chalicelib.web.api import declared
    from chalicelib.web.openapi import build

    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(build(declared(), include_local=True), ensure_ascii=False), encoding="utf-8")
    return path


def run(command: list[str | Path], cwd: Path) -> tuple[int, str]:
    """Exit status and everything printed (stdout and stderr together), with the venv's tools on PATH."""
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{NPM_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "NO_COLOR": "1"}
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    return done.returncode, done.stdout + done.stderr


def lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip()]


def test_openapi_python_client_generates_a_client_from_the_document_without_a_warning_and_it_imports(
    document: Path, tmp_path: Path
) -> None:
    generator = VENV_BIN / "openapi-python-client"
    assert generator.exists(), "openapi-python-client is missing: `make install` (requirements-dev.txt)"
    status, output = run([generator, "generate", "--path", document, "--output-path", tmp_path / PACKAGE,
                          "--meta", "none"], tmp_path)
    assert status == 0, output
    # It prints "Generating <path>" and nothing else when the document holds nothing it cannot take; any
    # warning ("Warning(s) encountered while generating", a skipped endpoint or schema) is printed too.
    unexpected = [line for line in lines(output) if not line.startswith("Generating ")]
    assert unexpected == [], output
    status, output = run([sys.executable, "-c", f"import {PACKAGE}.client, {PACKAGE}.api, {PACKAGE}.models"], tmp_path)
    assert status == 0, output


def test_openapi_typescript_generates_types_from_the_document_without_a_warning_and_they_compile(
    document: Path, tmp_path: Path
) -> None:
    generator = NPM_BIN / "openapi-typescript"
    assert generator.exists(), "openapi-typescript is missing: `make test` installs it (cd tools/openapi && npm ci)"
    types = tmp_path / "api.d.ts"
    status, output = run([generator, document, "--output", types], tmp_path)
    assert status == 0, output
    # Its banner and the line naming the output; a problem is a line of its own (warnings start with ⚠).
    unexpected = [line for line in lines(output) if not line.startswith(("✨ openapi-typescript", "🚀 "))]
    assert unexpected == [], output
    status, output = run([NPM_BIN / "tsc", "--noEmit", "--strict", types], tmp_path)
    assert status == 0, output

