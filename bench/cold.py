"""Cold start: the import time of `app` against `boto3`, and what the first request costs.

Every figure comes from fresh interpreter processes started here (the benchmark's own process has long
imported everything, so nothing measured in it would be cold). Runs of the compared commands are
interleaved, in rotating order, so that a busy moment on the machine hits all of them alike.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGION = "ap-northeast-2"
ISSUER = "https://issuer.bench-cold"
AUDIENCE = "seoro-bench-cold"
RESIDENT = "cold-resident"



def _base_env() -> dict[str, str]:
    """The caller's environment without any AWS settings (no real endpoint, profile or credentials)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


@dataclass(frozen=True)
class Ran:
    """One finished child process: wall time and CPU time (user + system) in ms, and its output."""

    wall_ms: float
    cpu_ms: float
    stdout: str
    stderr: str


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> Ran:
    """Run the venv's python with `args` in the repository and wait for it.

    CPU time comes from `getrusage(RUSAGE_CHILDREN)` around the wait; nothing else of ours ends
    meanwhile, so the difference is this child's. On a shared machine it is steadier than wall time,
    which also counts the moments another process had the core.
    """
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    wall = (time.perf_counter() - started) * 1000
    cpu = (_children_cpu() - cpu_before) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return Ran(wall, cpu, done.stdout, done.stderr)


@dataclass(frozen=True)
class Imported:
    """Import time from `-X importtime`, in ms: own (the module's body) and cumulative (with its imports)."""

    name: str
    self_ms: float
    cumulative_ms: float


BASELINE = "python -c pass"
IMPORT_CASES = {BASELINE: "pass", "import boto3": "import boto3", "import app": "import app"}


@dataclass(frozen=True)
class ImportTimes:
    """Per command, the wall and CPU times (ms) of each run, and where `import app` spends its time."""

    wall: dict[str, list[float]]
    cpu: dict[str, list[float]]
    app_by_package: list[Imported]

    @staticmethod
    def _net(samples: dict[str, list[float]], case: str) -> float:
        return statistics.median(samples[case]) - statistics.median(samples[BASELINE])

    def net_wall(self, case: str) -> float:
        """Median wall time minus the median of an empty interpreter (`python -c pass`)."""
        return self._net(self.wall, case)

    def net_cpu(self, case: str) -> float:
        return self._net(self.cpu, case)

    @property
    def ratio(self) -> float:
        """`import app` / `import boto3`, CPU time net of the interpreter: the figure the target is on."""
        return self.net_cpu("import app") / self.net_cpu("import boto3")

    @property
    def wall_ratio(self) -> float:
        return self.net_wall("import app") / self.net_wall("import boto3")


def _importtime_rows(stderr: str) -> list[tuple[int, Imported]]:
    """`-X importtime` lines as (indent, module), in the order printed (children before their parent)."""
    rows: list[tuple[int, Imported]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        if not cumulative.strip().isdigit():
            continue  # the header line
        indent = len(name) - len(name.lstrip(" "))
        rows.append((indent, Imported(name.strip(), int(own) / 1000, int(cumulative) / 1000)))
    return rows


def _by_package(rows: list[tuple[int, Imported]]) -> list[Imported]:
    """Own import time summed per top-level package (`self_ms`), heaviest first; `cumulative_ms` is
    the share of the total."""
    own: dict[str, float] = {}
    for _, mod in rows:
        top = mod.name.split(".", 1)[0]
        own[top] = own.get(top, 0.0) + mod.self_ms
    total = sum(own.values()) or 1.0
    return sorted((Imported(k, v, 100 * v / total) for k, v in own.items()), key=lambda m: -m.self_ms)


def _app_span(rows: list[tuple[int, Imported]]) -> tuple[int, int]:
    """Index of the line of `app` itself and of the first line of its subtree."""
    at = next(i for i in range(len(rows) - 1, -1, -1) if rows[i][1].name == "app")
    depth = rows[at][0]
    first = at
    while first > 0 and rows[first - 1][0] > depth:
        first -= 1
    return first, at


def app_import_by_package(stderr: str) -> list[Imported]:
    """What `import app` loads, own time summed per top-level package."""
    rows = _importtime_rows(stderr)
    first, at = _app_span(rows)
    return _by_package(rows[first: at + 1])


def lazy_imports_by_package(stderr: str) -> list[Imported]:
    """What was imported after `import app` finished (on the first request), own time per package."""
    rows = _importtime_rows(stderr)
    _, at = _app_span(rows)
    return _by_package(rows[at + 1:])


def import_times(runs: int = 5) -> ImportTimes:
    env = _base_env()
    cases = list(IMPORT_CASES)
    for case in cases:  # once each, not counted: bytecode caches and the page cache are warm for all
        _run(["-c", IMPORT_CASES[case]], env)
    wall: dict[str, list[float]] = {case: [] for case in cases}
    cpu: dict[str, list[float]] = {case: [] for case in cases}
    for i in range(runs):
        for case in cases[i % len(cases):] + cases[: i % len(cases)]:
            ran = _run(["-c", IMPORT_CASES[case]], env)
            wall[case].append(ran.wall_ms)
            cpu[case].append(ran.cpu_ms)
    trace = _run(["-X", "importtime", "-c", "import app"], env).stderr
    return ImportTimes(wall, cpu, app_import_by_package(trace))


@dataclass(frozen=True)
class FirstRequest:
    mode: str
    runs: list[dict[str, object]]
    process_ms: list[float]
    process_cpu_ms: list[float]
    lazy_imports: list[Imported]

    def median(self, key: str) -> float:
        values = [r[key] for r in self.runs]
        return statistics.median(float(v) for v in values if isinstance(v, int | float))

    @property
    def process_median(self) -> float:
        return statistics.median(self.process_ms)

    @property
    def process_cpu_median(self) -> float:
        return statistics.median(self.process_cpu_ms)

    def _modules(self, key: str) -> list[str]:
        value = self.runs[0][key]
        return [str(m) for m in value] if isinstance(value, list) else []

    @property
    def loaded_after_import(self) -> list[str]:
        return self._modules("loaded_after_import")

    @property
    def loaded_after_first_request(self) -> list[str]:
        return self._modules("loaded_after_first_request")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the moto server exited before it listened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the moto server did not listen on {port} within {timeout:.0f} s")


def _as_deployed(task: Path) -> Path:
    """app.py and chalicelib as `make package` ships them: with their bytecode compiled (infra/bytecode.py), so a
    process started there imports the app as a Lambda instance does, without compiling it. The dependencies come
    from the virtualenv, whose modules pip compiled when it installed them, as the package's are."""
    from infra.bytecode import compile_tree

    task.mkdir(parents=True)
    shutil.copy(ROOT / "app.py", task / "app.py")
    shutil.copytree(ROOT / "chalicelib", task / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    compile_tree(task)
    return task


def first_request(runs: int = 5) -> list[FirstRequest]:
    """A fresh process per run imports the app and serves GET /wallet twice, from a moto server: as Lambda calls
    it, from the sources (`lambda`) and as `make package` ships it, with bytecode (`deployed`), and through
    `chalice.test.Client` (`client`); the three in rotating order."""
    from tests.support import SigningKey

    port = _free_port()
    env = _base_env()
    env.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_METRICS_NAMESPACE="Seoro",
        STAGE="bench",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.moto_server", str(port)],
        cwd=ROOT,
        env=_base_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, server)
        setup = _run(["-m", "bench.cold_setup", RESIDENT], env)
        outputs = json.loads(setup.stdout.strip().splitlines()[-1])
        with tempfile.TemporaryDirectory(prefix="seoro-bench-cold-") as tmp:
            key = SigningKey(Path(tmp))
            env.update(
                TABLE_NAME=outputs["TableName"],
                AUTH_JWKS_FILE=str(key.jwks_file),
                AUTH_ISSUER=ISSUER,
                AUTH_AUDIENCE=AUDIENCE,
                BENCH_TOKEN=key.token("resident", RESIDENT, issuer=ISSUER, audience=AUDIENCE, ttl=3600),
            )
            deployed = _as_deployed(Path(tmp) / "task")
            modes = ("lambda", "deployed", "client")
            where = {"deployed": (deployed, {**env, "PYTHONPATH": str(ROOT)})}
            results: dict[str, FirstRequest] = {m: FirstRequest(m, [], [], [], []) for m in modes}
            for i in range(runs + 1):
                for mode in modes[i % len(modes):] + modes[: i % len(modes)]:
                    cwd, mode_env = where.get(mode, (ROOT, env))
                    harness = "lambda" if mode == "deployed" else mode
                    ran = _run(["-m", "bench.first_request", harness], mode_env, cwd)
                    data = json.loads(ran.stdout.strip().splitlines()[-1])
                    if data["statuses"] != [200, 200]:
                        raise RuntimeError(f"GET /wallet answered {data['statuses']} in mode {mode}")
                    if i == 0:
                        continue  # warms the bytecode and page caches; not counted
                    results[mode].runs.append(data)
                    results[mode].process_ms.append(ran.wall_ms)
                    results[mode].process_cpu_ms.append(ran.cpu_ms)
            for mode in modes:  # one traced run each: which imports the first request pays for
                cwd, mode_env = where.get(mode, (ROOT, env))
                harness = "lambda" if mode == "deployed" else mode
                trace = _run(["-X", "importtime", "-m", "bench.first_request", harness], mode_env, cwd).stderr
                results[mode].lazy_imports.extend(lazy_imports_by_package(trace))
            return [results[m] for m in modes]
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
