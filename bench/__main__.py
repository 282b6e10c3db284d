"""`python -m bench`: run everything, print the table, write the figures into docs/PERFORMANCE.md."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bench import figures_json
from bench.report import COLD_TARGET, DOC, IMPORT_TARGET, Figures, cold_ratio, console, markdown, write_doc
from bench.requests_per_op import OpResult


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--reps", type=int, default=50, help="measured requests per operation (50)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests before them (5)")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per cold-start figure (5)")
    parser.add_argument("--skip-cold", action="store_true", help="only the DynamoDB request counts")
    parser.add_argument("--skip-requests", action="store_true", help="only the cold-start figures")
    parser.add_argument("--no-write", action="store_true", help=f"print the markdown, leave {DOC.name} alone")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--settlement-sizes", default="10000",
                        help="residents per settlement run, comma-separated (10000); e.g. 10000,100000,300000")
    parser.add_argument("--settlement-shards", type=int, default=256, help="settlement shards (256)")
    parser.add_argument("--lambda-timeout", type=int, default=900,
                        help="the settlement worker's Lambda timeout in s, as its context reports it (900)")
    parser.add_argument("--settlement-merchants", type=int, default=3_000, help="merchants in the district (3000)")
    parser.add_argument("--settlement-time-limit", type=float, default=None, help="give up on a size after s")
    parser.add_argument("--skip-settlement", action="store_true", help="no settlement runs")
    parser.add_argument("--settlement-only", action="store_true", help="only the settlement runs")
    parser.add_argument("--skip-floor", action="store_true", help="no POST /payments against its hand-written floor")
    parser.add_argument("--floor-reps", type=int, default=200, help="payments on each side of the floor (200)")
    parser.add_argument("--local-stack", action="store_true",
                        help="also the local stack's speed as its table grows, moto as it comes vs patched (~10 min)")
    parser.add_argument("--local-repeats", type=int, default=12, help="smoke runs per stack (12)")
    parser.add_argument("--local-load-seconds", type=int, default=60, help="the load run's length on each stack (60)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    parts: dict[str, Any] = {}

    started = time.perf_counter()
    if args.settlement_only:
        settled = _settlement(args, parts)
        _write_json(args, parts)
        print(f"bench took {time.perf_counter() - started:.0f} s")
        return settled
    # The cold-start runs go first: they only start processes, and this one stays free of the app.
    imports = first = None
    if not args.skip_cold:
        from bench import cold

        print(f"cold import: {args.runs} runs each of pass / import boto3 / import app ...", flush=True)
        imports = cold.import_times(args.runs)
        print(f"first request: {args.runs} fresh processes per harness, moto server ...", flush=True)
        first = cold.first_request(args.runs)

    ops: list[OpResult] = []
    client_ms: float | None = None
    if not args.skip_requests:
        from bench import requests_per_op

        print(f"DynamoDB requests: {args.warmup} warm-up + {args.reps} measured requests per operation ...",
              flush=True)
        ops, client_ms = requests_per_op.run(reps=args.reps, warmup=args.warmup)
    for op in ops:
        if op.mean_calls > op.mean_requests:
            raise SystemExit(f"{op.name}: more API calls than requests; the event hook missed a client")

    figures = Figures(args.reps, args.warmup, args.runs, ops, client_ms, imports, first or [])
    print()
    print(console(figures))
    block = markdown(figures)
    if args.no_write or args.skip_cold or args.skip_requests:
        print(f"\n{DOC.name} not updated (--no-write or a partial run); the markdown:\n\n{block}")
    elif write_doc(block):
        print(f"\nfigures written to {DOC.relative_to(DOC.parent.parent)}")
    else:
        print(f"\n{DOC} has no bench markers; paste this between them:\n\n{block}")
    parts |= {"operations": figures_json.operations(figures), "cold": figures_json.cold(figures)}
    missed = [op.name for op in ops if op.met is False]
    if not args.skip_floor and not args.skip_requests:
        missed += _floor(args, parts)
    if args.local_stack:
        missed += _local_stack(args, parts)
    settled = 0 if args.skip_settlement else _settlement(args, parts)
    _write_json(args, parts)
    print(f"bench took {time.perf_counter() - started:.0f} s")

    if imports is not None and imports.ratio > IMPORT_TARGET:
        missed.append("import app / import boto3")
    if (ratio := cold_ratio(figures)) is not None and ratio > COLD_TARGET:
        missed.append("cold start / import boto3")
    if missed:
        print("targets missed: " + "; ".join(missed), file=sys.stderr)
        return 1 if args.strict else 0
    return settled if args.strict else 0


def _write_json(args: argparse.Namespace, parts: dict[str, Any]) -> None:
    if args.json is not None:
        figures_json.write(args.json, parts)
        print(f"figures written as JSON to {args.json}")


def _floor(args: argparse.Namespace, parts: dict[str, Any]) -> list[str]:
    """POST /payments against the same requests made by hand; the section is written unless --no-write."""
    from bench import floor

    print(f"POST /payments against its floor: {args.floor_reps} of each ...", flush=True)
    result = floor.run(reps=args.floor_reps)
    parts["payment_vs_floor"] = result.as_json()
    block = floor.markdown(result)
    print(block)
    if not args.no_write and not figures_json.write_section("floor", block):
        print(f"{DOC.name} has no floor markers; the markdown is above")
    return [] if result.ratio <= floor.TARGET else ["POST /payments / its floor"]


def _local_stack(args: argparse.Namespace, parts: dict[str, Any]) -> list[str]:
    from bench import local_stack

    print(f"local stack: {args.local_repeats} smoke runs + {args.local_load_seconds} s of load, per moto ...",
          flush=True)
    results = local_stack.run(args.local_repeats, args.local_load_seconds)
    parts["local_stack"] = {("plain" if i == 0 else "indexed"): r.as_json() for i, r in enumerate(results)}
    block = local_stack.markdown(results, args.local_repeats, args.local_load_seconds)
    print(block)
    if not args.no_write and not figures_json.write_section("local-stack", block):
        print(f"{DOC.name} has no local-stack markers; the markdown is above")
    plain, fast = results
    gain = float(fast.load["throughput"]) / float(plain.load["throughput"])
    return ([] if fast.slowdown <= local_stack.KEEP_SPEED else ["local stack slows down"]) + (
        [] if gain >= 2 else ["local stack throughput not doubled"])


def _settlement(args: argparse.Namespace, parts: dict[str, Any]) -> int:
    """Settle a synthetic district at each size (one process each); merge and write the figures.

    The figures of every size and configuration ever run are kept in bench/settlement_figures.json, so a
    default run (10,000) refreshes its own row and leaves the larger sizes' figures in the document.
    """
    from bench import settlement_report

    sizes = [int(x.replace("_", "")) for x in args.settlement_sizes.split(",") if x.strip()]
    results = settlement_report.run(sizes, args.settlement_shards, args.lambda_timeout, args.settlement_merchants,
                                    args.settlement_time_limit)
    parts["settlement"] = figures_json.settlement(results)
    block = settlement_report.markdown(settlement_report.load())
    print()
    print(block)
    if args.no_write:
        print(f"{DOC.name} not updated (--no-write)")
    elif settlement_report.write_doc(block):
        print(f"settlement figures written to {DOC.relative_to(DOC.parent.parent)}")
    else:
        print(f"{DOC} has no settlement markers; the markdown is above")
    over = [r for r in results if r["dynamodb_total"] / r["residents"] > settlement_report.TARGET]
    if over:
        print("settlement target missed: " + ", ".join(f"{r['residents']:,}" for r in over), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
