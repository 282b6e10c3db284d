"""The local stack's speed as its table grows, with moto as it comes and with devstack/moto_index.py, in one run.

For each of the two (`SEORO_PLAIN_MOTO=1` starts the stack's moto server without the fixes), one fresh stack:
the load smoke run (`tests/e2e/test_y_load_e2e.py`'s command: two residents, the whole mix, five seconds) is
repeated `repeats` times on it, each run adding its own residents, shops and payments to the same table, and
each run's wall time is kept; then, on the same stack, `make load`'s run (20 users, 0.5-1.5 s think time) for
`load_seconds` gives the throughput. Both stacks start from nothing, so the table each run sees is the same
size in both columns.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.harness import launch, shut_down
from devstack.paths import REPO_ROOT

REPEATS = 12
LOAD_SECONDS = 60
KEEP_SPEED = 1.5
"""The last smoke run may take at most this many times the first (issue 17)."""


@dataclass(frozen=True)
class StackFigures:
    """One stack's figures: each smoke run's seconds, and the throughput of the load run after them."""

    moto: str
    smoke_seconds: list[float]
    load: dict[str, Any]

    @property
    def slowdown(self) -> float:
        return self.smoke_seconds[-1] / self.smoke_seconds[0]

    def as_json(self) -> dict[str, Any]:
        return {"smoke_seconds": self.smoke_seconds, "slowdown": round(self.slowdown, 3),
                "throughput": round(float(self.load["throughput"]), 2), "requests": self.load["requests"],
                "server_errors": self.load["server_errors"]}


def _load(stack: Any, out: Path, args: list[str]) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-m", "load", "--api", stack.base_url, "--state-dir", str(stack.state_dir),
         "--aws-endpoint", stack.aws_endpoint, "--no-settlement", "--json", str(out), *args],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800, check=False)
    if run.returncode != 0:
        raise SystemExit(f"the load run failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    if figures["server_errors"] or not figures["money"]["ok"]:
        raise SystemExit(f"the load run answered 5xx or left the money unbalanced: {out}")
    return figures


def measure(plain: bool, repeats: int = REPEATS, load_seconds: int = LOAD_SECONDS) -> StackFigures:
    """One fresh stack: the smoke run `repeats` times, then the load run."""
    with tempfile.TemporaryDirectory(prefix="seoro-bench-stack-") as tmp:
        stack = launch(Path(tmp), {"SEORO_PLAIN_MOTO": "1"} if plain else {})
        try:
            times = []
            for i in range(repeats):
                started = time.perf_counter()
                _load(stack, Path(tmp) / f"smoke-{i}.json",
                      ["--users", "2", "--spawn-rate", "2", "--run-time", "5", "--tour", "--wait-min", "0",
                       "--wait-max", "0.2"])
                times.append(round(time.perf_counter() - started, 2))
                print(f"  {'plain' if plain else 'indexed'} moto, smoke run {i + 1}: {times[-1]:.1f} s", flush=True)
            load = _load(stack, Path(tmp) / "load.json", ["--run-time", str(load_seconds)])
            print(f"  {'plain' if plain else 'indexed'} moto, load: {load['throughput']:.1f} req/s", flush=True)
        finally:
            shut_down(stack)
    return StackFigures("moto 5.2 as it comes" if plain else "devstack/moto_index.py", times, load)


def run(repeats: int = REPEATS, load_seconds: int = LOAD_SECONDS) -> list[StackFigures]:
    return [measure(True, repeats, load_seconds), measure(False, repeats, load_seconds)]


def markdown(results: list[StackFigures], repeats: int, load_seconds: int) -> str:
    plain, fast = results
    rows = [
        "| moto | smoke runs 1 … " + str(repeats) + " (s) | last / first | `make load` throughput (req/s) |",
        "|---|---|---:|---:|",
    ]
    for r in results:
        runs = ", ".join(f"{s:.1f}" for s in r.smoke_seconds)
        rows.append(f"| {r.moto} | {runs} | {r.slowdown:.2f}× | {float(r.load['throughput']):.1f} |")
    gain = float(fast.load["throughput"]) / float(plain.load["throughput"])
    return "\n".join([
        f"The load smoke run repeated {repeats} times on one fresh stack, then `make load`'s mix (20 users) for "
        f"{load_seconds} s on the same stack (`bench/local_stack.py`):",
        "",
        *rows,
        "",
        f"Throughput with the fixes: **{gain:.2f}×** moto's own; the last smoke run takes "
        f"**{fast.slowdown:.2f}×** the first (target ≤ {KEEP_SPEED}×).",
    ])
