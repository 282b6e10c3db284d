"""The console's API types, generated from the app's own OpenAPI document.

`python -m devstack.console_types` (`make console-types`) writes the document the cloud serves (no local-only
routes) and has `openapi-typescript` (console/node_modules, `npm ci`) turn it into `console/src/api.d.ts`, which
is committed: the console's build type-checks every call against it, and tests/service/test_console_types.py
fails when the routes changed and the file was not regenerated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devstack.paths import REPO_ROOT

CONSOLE = REPO_ROOT / "console"
TYPES = CONSOLE / "src" / "api.d.ts"
GENERATOR = CONSOLE / "node_modules" / ".bin" / "openapi-typescript"


def document() -> str:
    """The OpenAPI document of every route the cloud has, as JSON text."""
    import app  # noqa: F401  (declares every area's routes)
    from chalicelib.web.api import declared
    from chalicelib.web.openapi import build

    return json.dumps(build(declared(), include_local=False), ensure_ascii=False, indent=1)


def generate(output: Path, workdir: Path) -> None:
    """Write the document into `workdir` and the TypeScript types generated from it to `output`."""
    if not GENERATOR.exists():
        raise SystemExit(f"{GENERATOR} is missing: run `cd console && npm ci` (make installs it)")
    source = workdir / "openapi.json"
    source.write_text(document(), encoding="utf-8")
    done = subprocess.run([str(GENERATOR), str(source), "--output", str(output)], capture_output=True, text=True,
                          check=False, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    if done.returncode != 0:
        raise SystemExit(f"openapi-typescript failed:\n{done.stdout}{done.stderr}")


def main() -> int:
    """Regenerate console/src/api.d.ts."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        generate(TYPES, Path(tmp))
    print(f"wrote {TYPES.relative_to(REPO_ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
