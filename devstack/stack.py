"""`python -m devstack`: the whole system on one machine, in the foreground until Ctrl-C or SIGTERM.

It starts moto (the embedded AWS), creates the resources from the cloud's template, seeds the
defaults, then starts the API (`chalice local`), the event runner and the console's server. Each child runs in its own
process group, so the supervisor can stop each one with everything it started; children also end
themselves if the supervisor dies without stopping them (see `lifeline`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from devstack.lifeline import PARENT_ENV
from devstack.paths import REPO_ROOT, state_dir
from devstack.resources import ResourceError, apply_bucket_notifications, apply_key_specs, create_stack, output_env_name
from devstack.token import ensure_dev_key

logger = logging.getLogger("devstack")

STAGE = "local"
REGION = "ap-northeast-2"
HOST = "127.0.0.1"
STOP_GRACE_SECONDS = 5.0


class StackError(RuntimeError):
    """The stack could not start; the message says what to do."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived while starting."""


@dataclass(frozen=True)
class StackConfig:
    """What the environment asks of the local stack (see API.md, "The local stack")."""

    api_port: int
    aws_port: int
    console_port: int
    state_dir: Path
    notices_bucket: str
    reports_bucket: str
    exports_bucket: str
    prefix: str
    jwks_file: Path | None
    seed_demo: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StackConfig:
        e = os.environ if env is None else env
        jwks = e.get("AUTH_JWKS_FILE", "").strip()
        return cls(
            api_port=int(e.get("PORT", "8000")),
            aws_port=int(e.get("LOCAL_AWS_PORT", "5000")),
            console_port=int(e.get("CONSOLE_PORT", "8001")),
            state_dir=state_dir(e),
            notices_bucket=e.get("NOTICES_BUCKET", "").strip() or "seoro-notices-local",
            reports_bucket=e.get("REPORTS_BUCKET", "").strip() or "seoro-reports-local",
            exports_bucket=e.get("EXPORTS_BUCKET", "").strip() or "seoro-exports-local",
            prefix=f"seoro-{STAGE}",
            jwks_file=Path(jwks).resolve() if jwks else None,
            seed_demo=e.get("SEED_DEMO", "").strip().lower() in ("1", "true", "yes"),
        )

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def aws_endpoint(self) -> str:
        return f"http://{HOST}:{self.aws_port}"

    @property
    def console_url(self) -> str:
        return f"http://{HOST}:{self.console_port}"

    @property
    def clock_file(self) -> Path:
        return self.state_dir / "clock.json"


class Child:
    """A child process in its own process group."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str]) -> None:
        self.name = name
        self._proc = subprocess.Popen(
            args, cwd=REPO_ROOT, env=dict(env), stdin=subprocess.DEVNULL, process_group=0
        )
        self.pid = self._proc.pid
        self._reaped = False

    def exit_code(self) -> int | None:
        """The exit code once the process has ended, without reaping it (its group id stays ours)."""
        if self._reaped:
            return self._proc.returncode
        info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is None:
            return None
        return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status

    def signal_group(self, sig: int) -> None:
        # Only while the leader is unreaped: until then its pid cannot name anyone else's group.
        if not self._reaped:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, sig)

    def reap(self) -> int:
        """Collect the ended process after sweeping anything left in its group."""
        if not self._reaped:
            self.signal_group(signal.SIGKILL)
            self._proc.wait()
            self._reaped = True
        return self._proc.returncode


class Supervisor:
    """Starts children and stops every one of them, whatever happens."""

    def __init__(self) -> None:
        self.children: list[Child] = []

    def start(self, name: str, module: str, args: list[str], env: Mapping[str, str]) -> Child:
        child = Child(name, [sys.executable, "-m", module, *args], env)
        self.children.append(child)
        return child

    def stop_all(self, grace: float = STOP_GRACE_SECONDS) -> None:
        for child in reversed(self.children):
            child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(c.exit_code() is None for c in self.children):
            time.sleep(0.05)
        for child in self.children:
            if child.exit_code() is None:
                logger.warning("%s did not stop within %.0f s; killing it", child.name, grace)
            child.reap()


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _wait_for_port(port: int, child: Child, stop: threading.Event, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if stop.is_set():
            raise Interrupted
        code = child.exit_code()
        if code is not None:
            raise StackError(f"{child.name} exited with code {code} while starting (see its output above)")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise StackError(f"{child.name} did not listen on port {port} within {timeout:.0f} s")
        time.sleep(0.05)


def _wait_for_exit(child: Child, stop: threading.Event, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (code := child.exit_code()) is None:
        if stop.is_set():
            raise Interrupted
        if time.monotonic() > deadline:
            raise StackError(f"{child.name} did not finish within {timeout:.0f} s")
        time.sleep(0.05)
    child.reap()
    return code


def chalice_stage_env(stage: str = STAGE) -> dict[str, str]:
    """The environment variables `.chalice/config.json` gives the stage (as Lambda would see them)."""
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    env = dict(config.get("environment_variables", {}))
    env.update(config.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    return {str(k): str(v) for k, v in env.items()}


def base_env(cfg: StackConfig) -> dict[str, str]:
    """What every child needs: the local AWS endpoint, region and (any) credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(
        AWS_ENDPOINT_URL=cfg.aws_endpoint,
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        PYTHONUNBUFFERED="1",
        **{PARENT_ENV: str(os.getpid())},
    )
    env.setdefault("AWS_ACCESS_KEY_ID", "local")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    return env


def _create_resources(cfg: StackConfig) -> dict[str, str]:
    import boto3

    cloudformation = boto3.client(
        "cloudformation",
        endpoint_url=cfg.aws_endpoint,
        region_name=REGION,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
    )
    params = {
        "Prefix": cfg.prefix,
        "NoticesBucketName": cfg.notices_bucket,
        "ReportsBucketName": cfg.reports_bucket,
        "ExportsBucketName": cfg.exports_bucket,
    }

    def client(service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=cfg.aws_endpoint,
            region_name=REGION,
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "local"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
        )

    try:
        outputs = create_stack(cloudformation, cfg.prefix, params)
        apply_bucket_notifications(cloudformation, client("s3"), client("sqs"), cfg.prefix)
        outputs = apply_key_specs(cloudformation, client("kms"), cfg.prefix, outputs)
    except ResourceError as e:
        raise StackError(str(e)) from e
    return {output_env_name(k): v for k, v in outputs.items()}


def _banner(cfg: StackConfig, resources: Mapping[str, str]) -> str:
    env_prefix = "" if cfg.state_dir == REPO_ROOT / ".local" else f"LOCAL_STATE_DIR={cfg.state_dir} "
    auth = (
        f"tokens          {env_prefix}make -s token ROLE=resident SUB=alice   (roles: resident, merchant "
        "MERCHANT=<id>, staff)"
        if cfg.jwks_file is None
        else f"auth            AUTH_JWKS_FILE={cfg.jwks_file} (dev tokens will not verify)"
    )
    console = (
        f"  console         {cfg.console_url}/   sign in: open {cfg.console_url}/#id_token=$({env_prefix}make -s token "
        "ROLE=staff SUB=clerk)  (a shop: ROLE=merchant SUB=owner1 MERCHANT=<id>)"
        if cfg.jwks_file is None
        else f"  console         {cfg.console_url}/   sign in: {cfg.console_url}/#id_token=<a token AUTH_JWKS_FILE verifies>"
    )
    lines = [
        "",
        "Seoro e-Eum local stack is up (Ctrl-C stops it)",
        f"  API             {cfg.api_url}   e.g. curl {cfg.api_url}/health",
        console,
        f"  AWS             {cfg.aws_endpoint}   region {REGION}, any credentials",
        *(f"  {name:<15} {value}" for name, value in sorted(resources.items())),
        f"  {auth}",
        f"  clock           PUT/DELETE {cfg.api_url}/_local/clock (staff token), file {cfg.clock_file}",
        "",
    ]
    return "\n".join(lines)


def run(cfg: StackConfig, supervisor: Supervisor, stop: threading.Event) -> int:
    """Start everything, then watch it until `stop` is set; returns non-zero if a child died."""
    for port, var in ((cfg.api_port, "PORT"), (cfg.aws_port, "LOCAL_AWS_PORT"), (cfg.console_port, "CONSOLE_PORT")):
        if not _port_free(port):
            raise StackError(f"port {port} on {HOST} is in use; free it or set {var}=<another port>")
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    # The embedded AWS starts empty every time, so a clock moved in an earlier run starts over too.
    cfg.clock_file.unlink(missing_ok=True)
    env = base_env(cfg)

    moto = supervisor.start("local AWS (moto)", "devstack.moto_server", ["--port", str(cfg.aws_port)], env)
    _wait_for_port(cfg.aws_port, moto, stop, timeout=30)
    resources = _create_resources(cfg)
    jwks = cfg.jwks_file or ensure_dev_key(cfg.state_dir)
    app_env = {
        **env,
        **chalice_stage_env(),
        **resources,
        "STAGE": STAGE,
        "AUTH_JWKS_FILE": str(jwks),
        "LOCAL_CLOCK_FILE": str(cfg.clock_file),
        "SEED_DEMO": "1" if cfg.seed_demo else "0",
    }
    if stop.is_set():
        raise Interrupted
    seed = supervisor.start("seed", "devstack.seed", [], app_env)
    if _wait_for_exit(seed, stop, timeout=120) != 0:
        raise StackError("seeding failed (see its output above)")

    api = supervisor.start(
        "API (chalice local)", "devstack.api_server", ["--port", str(cfg.api_port), "--stage", STAGE], app_env
    )
    runner = supervisor.start("runner", "devstack.runner", [], app_env)
    console = supervisor.start(
        "console", "devstack.console_server", ["--port", str(cfg.console_port), "--api", cfg.api_url], env
    )
    _wait_for_port(cfg.api_port, api, stop, timeout=60)
    _wait_for_port(cfg.console_port, console, stop, timeout=30)
    print(_banner(cfg, resources), flush=True)

    while not stop.wait(0.5):
        for child in (moto, api, runner, console):
            code = child.exit_code()
            if code is not None:
                logger.error("%s exited with code %s; stopping the stack", child.name, code)
                return 1
    return 0


def main() -> int:
    """Run the local stack until interrupted; every child is stopped on the way out."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="[devstack] %(message)s")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            logger.info("%s received; stopping", signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    supervisor = Supervisor()
    try:
        cfg = StackConfig.from_env()
        return run(cfg, supervisor, stop)
    except Interrupted:
        return 0
    except (StackError, ValueError) as e:
        logger.error("%s", e)
        return 1
    finally:
        supervisor.stop_all()
        logger.info("stopped")
