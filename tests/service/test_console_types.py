"""The console's API types (console/src/api.d.ts) are generated from the app's OpenAPI document and committed;
the console's build type-checks every call against them. Here they are generated again, as
`make console-types` does, and must be exactly the committed file: a route or schema changed without
regenerating them fails here, not in a shop's browser.
"""

from __future__ import annotations

from pathlib import Path

from devstack.console_types import GENERATOR, TYPES, generate


def test_the_committed_console_types_are_the_ones_the_current_routes_generate(tmp_path: Path) -> None:
    assert GENERATOR.exists(), "openapi-typescript is missing: `make test` installs it (cd console && npm ci)"
    fresh = tmp_path / "api.d.ts"
    generate(fresh, tmp_path)
    assert fresh.read_text(encoding="utf-8") == TYPES.read_text(encoding="utf-8"), (
        "console/src/api.d.ts is stale: run `make console-types` and commit it")
