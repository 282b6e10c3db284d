"""The local stack started as a child process on free loopback ports, for the e2e tests and `make load`.

Each stack gets free ports and its own state directory, so it never touches a developer's running
stack or `.local/`. The AWS endpoint is passed explicitly to clients here; the caller's own environment
is left alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests

from devstack.paths import REPO_ROOT
from devstack.token import mint

REGION = "ap-northeast-2"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0


class LaunchError(RuntimeError):
    """The stack did not come up; the message carries everything it printed."""


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def process_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (Linux /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children_of(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


@dataclass
class LocalStack:
    """A running `python -m devstack` and what a caller needs to talk to it."""

    process: subprocess.Popen[bytes]
    api_port: int
    aws_port: int
    state_dir: Path
    log_path: Path
    console_port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def console_url(self) -> str:
        """The console's origin (devstack/console_server.py): the app, and the API under /api."""
        return f"http://127.0.0.1:{self.console_port}"

    @property
    def aws_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    def output(self) -> str:
        """Everything the stack and its children printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def token(self, role: str, sub: str, merchant_id: str | None = None) -> str:
        """A token the stack accepts, signed with its dev key."""
        return mint(role, sub, merchant_id=merchant_id, state_dir=self.state_dir)

    def headers(self, role: str, sub: str, merchant_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, sub, merchant_id)}"}

    def set_clock(self, iso: str) -> None:
        """Move the clock every part of the stack reads; it runs on from `iso`."""
        r = requests.put(
            f"{self.base_url}/_local/clock", json={"now": iso}, headers=self.headers("staff", "e2e-clock"), timeout=10
        )
        assert r.status_code == 200, r.text

    def reset_clock(self) -> None:
        r = requests.delete(f"{self.base_url}/_local/clock", headers=self.headers("staff", "e2e-clock"), timeout=10)
        assert r.status_code == 200, r.text

    def client(self, service: str) -> Any:
        """A boto3 client for the stack's embedded AWS."""
        make_client: Callable[..., Any] = boto3.client  # the stubs type only literal service names
        return make_client(
            service,
            endpoint_url=self.aws_endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def child_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the stack as a user would; kill its process group if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode

    def assert_nothing_left_listening(self, within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        ports = [p for p in (self.api_port, self.aws_port, self.console_port) if p]
        while (left := [p for p in ports if listening(p)]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"still listening on {left} after the stack stopped\n{self.output()}"


def launch(directory: Path, extra_env: dict[str, str] | None = None) -> LocalStack:
    """Start a stack on free ports with its own state directory and wait until /health answers.

    Raises LaunchError (with the stack's output) if it exits or does not answer within START_TIMEOUT.
    """
    api_port, aws_port, console_port = free_port(), free_port(), free_port()
    while aws_port == api_port:
        aws_port = free_port()
    while console_port in (api_port, aws_port):
        console_port = free_port()
    state_dir = directory / "state"
    log_path = directory / "stack.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.pop("AUTH_JWKS_FILE", None)  # the stack must make (and sign with) its dev key
    env.update(
        PORT=str(api_port),
        LOCAL_AWS_PORT=str(aws_port),
        CONSOLE_PORT=str(console_port),
        LOCAL_STATE_DIR=str(state_dir),
        PYTHONUNBUFFERED="1",
        SETTLEMENT_SHARDS="32",  # fewer shard messages keep local settlements quick; the logic is the same
        POWERTOOLS_LOG_LEVEL="INFO",  # as `make run` logs (the privacy test reads these lines)
        **(extra_env or {}),
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
    stack = LocalStack(process, api_port, aws_port, state_dir, log_path, console_port)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise LaunchError(f"the local stack exited with {process.returncode} while starting:\n{stack.output()}")
        try:
            # the console's server starts beside the API: both must answer before the stack is up
            if requests.get(f"{stack.base_url}/health", timeout=2).status_code == 200 and listening(console_port):
                return stack
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            stack.stop(signal.SIGKILL)
            raise LaunchError(f"/health did not answer 200 (or the console did not listen) within {START_TIMEOUT:.0f} s:\n"
                              f"{stack.output()}")
        time.sleep(0.1)


def shut_down(stack: LocalStack) -> None:
    """Stop the stack and check that none of its ports is still served."""
    stack.stop()
    stack.assert_nothing_left_listening()
