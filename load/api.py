"""A plain HTTP caller of the stack for seeding and for the checks after the run (not measured)."""

from __future__ import annotations

import ipaddress
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from devstack.token import mint

TIMEOUT = 60.0
TOKEN_TTL = 4 * 3600  # outlives the longest allowed run, seeding and checks included


class SetupError(RuntimeError):
    """The stack answered a seeding or checking call in a way the run cannot go on from."""


def require_loopback(url: str) -> str:
    """The URL unchanged if its host is on this machine's loopback; a load run never targets anything else."""
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"{url}: a load run only targets loopback addresses (127.0.0.0/8, ::1, localhost)")
    return url.rstrip("/")


class Api:
    """Calls the API with dev tokens signed by the stack's key (in `state_dir`).

    No shared session: seeding calls come from several greenlets at once, and the local API closes each
    connection after its answer anyway.
    """

    def __init__(self, base_url: str, state_dir: Path) -> None:
        self.base_url = require_loopback(base_url)
        self.state_dir = state_dir

    def token(self, role: str, sub: str, merchant_id: str | None = None) -> str:
        return mint(role, sub, merchant_id=merchant_id, ttl=TOKEN_TTL, state_dir=self.state_dir)

    def call(self, token: str, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        r = requests.request(method, self.base_url + path, json=body, headers=headers, timeout=TIMEOUT)
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, r.text

    def expect(self, status: int, token: str, method: str, path: str, body: Any = None,
               key: str | None = None) -> dict[str, Any]:
        """The answer's body, which must come with `status`."""
        got, out = self.call(token, method, path, body, key)
        if got != status or not isinstance(out, dict):
            raise SetupError(f"{method} {path} answered {got}, expected {status}: {out}")
        return out

    def set_clock(self, staff: str, iso: str) -> None:
        self.expect(200, staff, "PUT", "/_local/clock", {"now": iso})

    def reset_clock(self, staff: str) -> None:
        self.expect(200, staff, "DELETE", "/_local/clock")

    def wait_for(self, staff: str, path: str, done: str, timeout: float) -> dict[str, Any]:
        """Poll `path` until its `status` is `done` (or `failed`), within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        seen: dict[str, Any] = {}
        while time.monotonic() < deadline:
            seen = self.expect(200, staff, "GET", path)
            if seen.get("status") in (done, "failed"):
                return seen
            time.sleep(0.25)
        raise SetupError(f"{path} was not {done} within {timeout:.0f} s: {seen}")
