"""The local stack exactly as `make run` starts it (`python -m devstack`), for tests that speak HTTP to it.

Starting and stopping it is `devstack.harness` (shared with `make load`); here it becomes fixtures, and a
stack that does not come up fails the test with everything it printed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.harness import LaunchError, LocalStack, process_alive, shut_down
from devstack.harness import launch as launch_stack_process

__all__ = ["REQUEST_TIMEOUT", "Http", "LocalStack", "process_alive", "unique"]


def launch(directory: Path, extra_env: dict[str, str] | None = None) -> LocalStack:
    """Start a stack on free ports with its own state directory; fail the test if it does not come up."""
    try:
        return launch_stack_process(directory, extra_env)
    except LaunchError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One local stack shared by the whole e2e session."""
    running = launch(tmp_path_factory.mktemp("stack"))
    try:
        yield running
    finally:
        shut_down(running)


@pytest.fixture
def launch_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], LocalStack]]:
    """Starts further, separate stacks (for tests that stop one); each is shut down afterwards."""
    started: list[LocalStack] = []

    def start() -> LocalStack:
        started.append(launch(tmp_path_factory.mktemp("extra-stack")))
        return started[-1]

    yield start
    for extra in started:
        shut_down(extra)


# How long one request may wait for its answer. moto's server answers one request at a time, so when 40
# or 50 racing requests arrive together the last waits for all the others, and under `make test` the
# other pytest-xdist worker is busy on the same two cores: 60 s was seen to run out. A hang still fails.
REQUEST_TIMEOUT = 240


class Http:
    """A caller of the local stack with one identity."""

    def __init__(self, stack: LocalStack, role: str, sub: str, merchant_id: str | None = None) -> None:
        self.base = stack.base_url
        self.auth = {"Authorization": f"Bearer {stack.token(role, sub, merchant_id)}"}

    def call(self, method: str, path: str, body: Any = None, key: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        h = dict(self.auth)
        if key is not None:
            h["Idempotency-Key"] = key
        h.update(headers or {})
        r = requests.request(method, self.base + path, json=body, headers=h, timeout=REQUEST_TIMEOUT)
        return r.status_code, r.json()


def unique(prefix: str) -> str:
    """An id no other test of the shared stack uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
