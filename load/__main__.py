"""`python -m load` (`make load`): start a local stack on free loopback ports, seed it, drive the mix with
locust (headless, as a library) for a bounded time, report, and check that the money still balances.

Exit status: 0 when every answer was expected or a business refusal and the money balances; 1 on any
5xx, request without an answer, other unexpected answer, task exception or imbalance; 2 when the stack
or the seeding failed. Sizes come from the command line or LOAD_* variables, within fixed bounds.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment

from devstack.harness import LaunchError, LocalStack, launch, shut_down
from load.api import Api, SetupError, require_loopback
from load.checks import check_money
from load.cpu import CpuSample, CpuUse, stack_processes
from load.mix import resident_user
from load.model import Tally, World
from load.report import Settings, as_json, console, figures, markdown, problems
from load.seed import Seeder, SeedPlan, previous_month

MAX_USERS = 200
MAX_RUN_TIME = 900.0
STOP_TIMEOUT = 60.0  # when time is up, users finish the request in hand and stop, within this


def _bounded(kind: type[float] | type[int], low: float, high: float) -> Any:
    def parse(text: str) -> float | int:
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low:g}–{high:g}")
        return value

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ
    p = argparse.ArgumentParser(prog="python -m load", description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--users", type=_bounded(int, 1, MAX_USERS), default=int(env.get("LOAD_USERS", "20")),
                   help="simulated residents, one locust user each (LOAD_USERS, default 20, at most 200)")
    p.add_argument("--spawn-rate", type=_bounded(float, 0.1, 100), default=float(env.get("LOAD_SPAWN_RATE", "5")),
                   help="users started per second (LOAD_SPAWN_RATE, default 5)")
    p.add_argument("--run-time", type=_bounded(float, 1, MAX_RUN_TIME), default=float(env.get("LOAD_RUN_TIME", "60")),
                   help="seconds of load after the first user starts (LOAD_RUN_TIME, default 60, at most 900)")
    p.add_argument("--wait-min", type=_bounded(float, 0, 60), default=float(env.get("LOAD_WAIT_MIN", "0.5")),
                   help="a user's shortest think time between tasks, s (LOAD_WAIT_MIN, default 0.5)")
    p.add_argument("--wait-max", type=_bounded(float, 0, 60), default=float(env.get("LOAD_WAIT_MAX", "1.5")),
                   help="a user's longest think time between tasks, s (LOAD_WAIT_MAX, default 1.5)")
    p.add_argument("--tour", action="store_true",
                   help="each user first does every task once, even past the run time (short runs)")
    p.add_argument("--seed-month", default=env.get("LOAD_SEED_MONTH") or previous_month(),
                   help="the closed month residents earn their cashback in (default: last month)")
    p.add_argument("--no-settlement", action="store_true",
                   help="seed without moving the clock or settling: quicker, but residents have no cashback to donate")
    p.add_argument("--api", help="drive this running stack instead of starting one (loopback only)")
    p.add_argument("--state-dir", type=Path, help="with --api: the stack's state directory (its dev signing key)")
    p.add_argument("--aws-endpoint", help="with --api: the stack's embedded AWS, to publish a news notice")
    p.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    p.add_argument("--markdown", action="store_true", help="also print the figures as docs/PERFORMANCE.md has them")
    args = p.parse_args(argv)
    if args.wait_max < args.wait_min:
        p.error("--wait-max must not be below --wait-min")
    if args.api and args.state_dir is None:
        p.error("--api needs --state-dir (the stack's dev signing key)")
    if (args.state_dir or args.aws_endpoint) and not args.api:
        p.error("--state-dir and --aws-endpoint go with --api")
    try:
        for url in (args.api, args.aws_endpoint):
            if url:
                require_loopback(url)
    except ValueError as e:
        p.error(str(e))
    return args


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[load {time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def drive(world: World, tally: Tally, args: argparse.Namespace, processes: dict[str, int]) -> tuple[list[str], CpuUse]:
    """Run the mix headless for the run time; the tasks that raised, and the time and CPU it took."""
    exceptions: list[str] = []
    stop = threading.Event()
    user = resident_user(world, tally, stop, wait=(args.wait_min, args.wait_max), tour=args.tour)
    env = Environment(user_classes=[user], host=world.base_url, stop_timeout=STOP_TIMEOUT)

    def on_request(name: str, response_time: float, response: Any = None, **_: Any) -> None:
        tally.record(name, int(getattr(response, "status_code", 0) or 0), float(response_time))

    def on_user_error(user_instance: Any, exception: BaseException, tb: Any, **_: Any) -> None:
        exceptions.append("".join(traceback.format_exception(type(exception), exception, tb)).strip().splitlines()[-1])

    env.events.request.add_listener(on_request)
    env.events.user_error.add_listener(on_user_error)
    runner = env.create_local_runner()
    log(f"driving {args.users} users (spawned {args.spawn_rate:g}/s) for {args.run_time:g} s")
    before, started = CpuSample.take(processes), time.monotonic()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    gevent.sleep(max(0.0, args.run_time - (time.monotonic() - started)))
    stop.set()  # each user finishes the request in hand and stops itself
    runner.user_greenlets.join(timeout=STOP_TIMEOUT)
    runner.quit()  # kills any user still running after STOP_TIMEOUT (its request is then reported as cut off)
    wall = time.monotonic() - started
    return exceptions, CpuUse.between(before, CpuSample.take(processes), wall)


def main(argv: list[str] | None = None) -> int:
    """Start (or reach) the stack, seed, drive, report; see the module's docstring for the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="[locust] %(message)s")
    run_id = uuid.uuid4().hex[:8]
    stack: LocalStack | None = None
    workdir = Path(tempfile.mkdtemp(prefix="seoro-load-"))
    try:
        if args.api:
            api, aws = Api(args.api, args.state_dir), args.aws_endpoint
            target = args.api
        else:
            log(f"starting a local stack on free loopback ports (log: {workdir / 'stack.log'})")
            stack = launch(workdir)
            api, aws, target = Api(stack.base_url, stack.state_dir), stack.aws_endpoint, "its own local stack"
        world = Seeder(api, SeedPlan(args.users, args.seed_month, not args.no_settlement, run_id, aws), log).run()
        tally = Tally()
        exceptions, cpu = drive(world, tally, args, stack_processes(stack))
        log("checking the money")
        money = check_money(api, world)
    except (LaunchError, SetupError, OSError) as e:
        log(f"could not run: {e}")
        return 2
    finally:
        if stack is not None:
            shut_down(stack)
    settings = Settings(args.users, args.spawn_rate, args.run_time, (args.wait_min, args.wait_max), args.tour, target,
                        command_line(argv))
    f = figures(tally, cpu, exceptions)
    print(console(f, settings, money))
    if args.markdown:
        print(markdown(f, settings, money))
    if args.json:
        args.json.write_text(json.dumps(as_json(f, settings, money), ensure_ascii=False, indent=2), encoding="utf-8")
    if problems(f, money):
        if stack is not None:
            log(f"the stack's log is kept in {workdir}")
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def command_line(argv: list[str] | None) -> str:
    """How this run was started, LOAD_* settings included (LOAD_ARGS is make's way to pass the arguments)."""
    settings = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("LOAD_") and k != "LOAD_ARGS"]
    return shlex.join([*settings, "python", "-m", "load", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
