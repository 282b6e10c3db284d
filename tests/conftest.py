"""Test-wide setup: moto is imported before any boto3 client exists, no test talks to a real endpoint, and
tests marked `soak` run only under `make soak`."""

from __future__ import annotations

import os

import moto  # noqa: F401  (must come first: clients made before it are not mocked)
import pytest

for _name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[_name]
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ["AWS_DEFAULT_REGION"] = "ap-northeast-2"
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Seoro")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test` runs two workers) every end-to-end test goes to one worker, in file
    order, against one local stack: the privacy test at the end reads what the whole e2e run wrote. Tests
    marked `soak` take long: they run under `make soak` (SOAK=1), never in `make test`."""
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("e2e"))
    if os.environ.get("SOAK") == "1":
        return
    skip = pytest.mark.skip(reason="a soak test: `make soak` runs it")
    for item in items:
        if item.get_closest_marker("soak") is not None:
            item.add_marker(skip)
