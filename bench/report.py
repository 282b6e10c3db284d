"""The benchmark's figures as a console table and as the markdown that goes into docs/PERFORMANCE.md."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.cold import BASELINE, IMPORT_CASES, FirstRequest, Imported, ImportTimes
from bench.requests_per_op import OpResult

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
BEGIN = "<!-- bench:begin (written by `make bench`; edits inside are overwritten) -->"
END = "<!-- bench:end -->"
IMPORT_TARGET = 1.5
COLD_TARGET = 1.5


@dataclass(frozen=True)
class Figures:
    reps: int
    warmup: int
    runs: int
    ops: list[OpResult]
    client_ms: float | None
    imports: ImportTimes | None
    first: list[FirstRequest]


def _verdict(met: bool | None) -> str:
    return "—" if met is None else ("yes" if met else "**NO**")


def _breakdown(op: OpResult) -> str:
    text = " + ".join(f"{n:g} {name}" for name, n in op.breakdown.items()) or "none"
    if op.refreshed and op.reps > op.refreshed:
        text += f" ({op.refreshed} of {op.reps} requests paid the policy cache refresh)"
    return text


def _calls(op: OpResult) -> str:
    """DynamoDB API calls, and any other service's beside them (`2 + 1 KMS GenerateDataKey`)."""
    return " + ".join([f"{op.mean_calls:g}", *(f"{n:g} {name}" for name, n in op.other_calls.items())])


def _revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return f"commit {head}" + (" with uncommitted changes" if dirty else "")


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def _imports_line(mods: list[Imported], top: int = 7) -> str:
    """Packages with their own import time (ms) and share of the total; the rest summed."""
    shown = [f"`{m.name}` {m.self_ms:.0f} ({m.cumulative_ms:.0f} %)" for m in mods[:top]]
    rest = sum(m.self_ms for m in mods[top:])
    if rest:
        shown.append(f"everything else {rest:.0f}")
    return f"{sum(m.self_ms for m in mods):.0f} in all — " + ", ".join(shown)


def markdown(f: Figures) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"_Last run: {stamp}, {_revision()}; {machine()}._"]
    if f.ops:
        out += _requests_markdown(f)
    if f.imports is not None:
        out += _imports_markdown(f.imports, f.runs)
    if f.first:
        out += _first_markdown(f.first, f.runs)
    if (ratio := cold_ratio(f)) is not None:
        out += ["", f"**Cold start as deployed / `import boto3` = {ratio:.2f}×** (the cold start's wall time in the "
                f"process against `import boto3`'s CPU time net of the interpreter) — target ≤ {COLD_TARGET}×: "
                f"{'met' if ratio <= COLD_TARGET else '**NOT met**'} (\"The cold start's floor\" below says why)."]
    return "\n".join(out) + "\n"


def cold_ratio(f: Figures) -> float | None:
    """The deployed cold start (import app + the first GET /wallet) over `import boto3` (issue 17's target)."""
    deployed = [fr for fr in f.first if fr.mode == "deployed"]
    if f.imports is None or not deployed:
        return None
    return deployed[0].median("cold_start_ms") / f.imports.net_cpu("import boto3")


def _requests_markdown(f: Figures) -> list[str]:
    out = [
        "",
        "### DynamoDB requests per operation (warm process)",
        "",
        f"Each operation: {f.warmup} warm-up requests, then {f.reps} measured ones through the HTTP routes "
        "(`chalice.test.Client`, moto in-process). Requests are HTTP attempts seen at botocore's "
        "`before-send` (retries included); API calls are `_make_api_call`s (equal unless botocore retried), "
        "with any call to another AWS service named after them (not counted in the DynamoDB figures).",
        "",
        "| Operation | Target | Requests (mean) | Min–max | By DynamoDB operation (mean) | Met¹ | "
        "API calls (mean) | New botocore clients | Median ms (in-process moto) |",
        "|---|---:|---:|---:|---|:---:|---:|---:|---:|",
    ]
    for op in f.ops:
        target = "—" if op.target is None else f"≤ {op.target}"
        name = op.name if op.reps == f.reps else f"{op.name} ({op.reps} runs)"
        out.append(
            f"| `{name}` | {target} | {op.mean_requests:g} | {min(op.requests)}–{max(op.requests)} | "
            f"{_breakdown(op)} | {_verdict(op.met)} | {_calls(op)} | {op.clients_per_op:g} | "
            f"{op.median_ms:.1f} |"
        )
    out += [
        "",
        "¹ Met when every measured request, the policy cache refresh aside, made at most the target number "
        "of requests. The refresh is one `Query` per process per cache lifetime (60 s), not per request; "
        "the mean includes it wherever it fell.",
        "",
        "The milliseconds are CPU time of the app plus moto's in-process emulation on this machine, useful "
        "to compare operations with each other, not a latency figure for AWS.",
    ]
    if f.client_ms is not None:
        out += [
            "",
            f"Building one botocore DynamoDB client (a new `pynamodb.connection.Connection`, then `.client`) "
            f"took {f.client_ms:.0f} ms (median of 5) in this warm process.",
        ]
    warm_builders = [op.name for op in f.ops if op.clients_per_op and "first request" not in op.name]
    if warm_builders:
        names = ", ".join(f"`{n}`" for n in warm_builders)
        out += [
            "",
            f"**Warning — new botocore clients on a warm process:** {names} "
            "build a DynamoDB client per request; against AWS each new client also opens a new HTTPS "
            "connection (TCP + TLS), since the old client's connection pool is not reused.",
        ]
    return out


def _imports_markdown(it: ImportTimes, runs: int) -> list[str]:
    out = [
        "",
        "### Cold import",
        "",
        f"A fresh interpreter per run; wall and CPU (user + system) time of the whole process, medians of "
        f"{runs} runs interleaved in rotating order (after one uncounted warm-up run of each).",
        "",
        "| Command | Wall (ms) | Wall net of `pass` | CPU (ms) | CPU net of `pass` | Wall of each run (ms) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for case in it.wall:
        base = case == BASELINE
        out.append(
            f"| `python -c \"{IMPORT_CASES[case]}\"` | {statistics.median(it.wall[case]):.0f} | "
            f"{'—' if base else f'{it.net_wall(case):.0f}'} | {statistics.median(it.cpu[case]):.0f} | "
            f"{'—' if base else f'{it.net_cpu(case):.0f}'} | {', '.join(f'{w:.0f}' for w in it.wall[case])} |"
        )
    out += [
        "",
        f"**`import app` / `import boto3` = {it.ratio:.2f}×** (CPU time net of the interpreter; "
        f"{it.wall_ratio:.2f}× by wall time) — target ≤ {IMPORT_TARGET}×: "
        f"{'met' if it.ratio <= IMPORT_TARGET else '**NOT met**'}. The target is judged on CPU time because "
        "wall time on a shared machine also counts other processes' turns on the core.",
        "",
        "Where `import app` spends it (one `-X importtime` run, own time summed per top-level package, ms): "
        + _imports_line(it.app_by_package)
        + ".",
    ]
    return out


HARNESSES = {
    "lambda": "`app(event, context)`, as Lambda calls it, from source",
    "deployed": "`app(event, context)`, as deployed (bytecode shipped)",
    "client": "`chalice.test.Client`",
}


def _first_markdown(first: list[FirstRequest], runs: int) -> list[str]:
    out = [
        "",
        "### First request in a fresh process",
        "",
        f"A new process imports the app and serves `GET /wallet` twice (a token verified against the "
        f"JWKS file, one resident's wallet on a moto server in another process, real HTTP to it). "
        f"Medians of {runs} runs, ms. The whole-process figures add the interpreter's start and shutdown, "
        "which a Lambda instance pays once, not per request.",
        "",
        "| Harness | `import app` | Harness import | First `GET /wallet` | **Cold start** (the three before) "
        "| Second `GET /wallet` | Whole process, wall | Whole process, CPU "
        "| Heavy modules loaded by `import app` |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for fr in first:
        harness = HARNESSES.get(fr.mode, fr.mode)
        loaded = ", ".join(f"`{m}`" for m in fr.loaded_after_import) or "none"
        out.append(
            f"| {harness} | {fr.median('import_app_ms'):.0f} | {fr.median('harness_ms'):.0f} | "
            f"{fr.median('first_request_ms'):.0f} | **{fr.median('cold_start_ms'):.0f}** | "
            f"{fr.median('second_request_ms'):.0f} | "
            f"{fr.process_median:.0f} | {fr.process_cpu_median:.0f} | {loaded} |"
        )
    for fr in first:
        if fr.mode == "deployed" and fr.lazy_imports:
            out += [
                "",
                "What the first request imports as deployed (one `-X importtime` run, own time "
                "summed per top-level package, ms): " + _imports_line(fr.lazy_imports) + ". The rest of "
                "the first request is building the DynamoDB client, verifying the token (RS256) and the "
                "round trip to moto.",
            ]
        if fr.mode == "client":
            out += [
                "",
                "`chalice.test.Client` loads botocore when it is imported, so in that row the first "
                "request does not pay for botocore. The Lambda-style rows are the honest cold start; \"as "
                "deployed\" is what a new Lambda instance runs (`make package` ships every module's bytecode, "
                "infra/bytecode.py; Lambda's /var/task is read-only, so without it each instance would compile "
                "the app from source, as the \"from source\" row does: this machine sets "
                "PYTHONDONTWRITEBYTECODE).",
            ]
    return out


def console(f: Figures) -> str:
    """A plain table for the terminal."""
    lines = [f"Seoro e-Eum bench — {machine()}", ""]
    w = max((len(op.name) for op in f.ops), default=20) + 2
    if f.ops:
        lines.append(
            f"{'operation':<{w}}{'target':>7}{'mean':>7}{'min-max':>9}  {'met':<5}{'ms':>8}  breakdown"
        )
    for op in f.ops:
        target = "-" if op.target is None else f"<={op.target}"
        met = "-" if op.met is None else ("yes" if op.met else "NO")
        span = f"{min(op.requests)}-{max(op.requests)}"
        extra = f" [api calls {_calls(op)}, new clients {op.clients_per_op:g}]"
        lines.append(
            f"{op.name:<{w}}{target:>7}{op.mean_requests:>7g}{span:>9}  {met:<5}{op.median_ms:>8.1f}  "
            f"{_breakdown(op)}{extra}"
        )
    if f.client_ms is not None:
        lines.append(f"building one PynamoDB Connection's botocore client: {f.client_ms:.0f} ms (median)")
    if f.imports is not None:
        it = f.imports
        lines += ["", "cold import (medians, ms)      wall    net     cpu    net"]
        for case in it.wall:
            net_wall = "" if case == BASELINE else f"{it.net_wall(case):.0f}"
            net_cpu = "" if case == BASELINE else f"{it.net_cpu(case):.0f}"
            lines.append(
                f"  {case:<26}{statistics.median(it.wall[case]):>7.0f}{net_wall:>7}"
                f"{statistics.median(it.cpu[case]):>8.0f}{net_cpu:>7}"
            )
        lines.append(f"  ratio app/boto3: {it.ratio:.2f}x by CPU, {it.wall_ratio:.2f}x by wall "
                     f"(target <= {IMPORT_TARGET}x: {'met' if it.ratio <= IMPORT_TARGET else 'NOT met'})")
    for fr in f.first:
        lines.append(
            f"first request [{fr.mode}]: import app {fr.median('import_app_ms'):.0f} ms, harness "
            f"{fr.median('harness_ms'):.0f} ms, first GET {fr.median('first_request_ms'):.0f} ms, second GET "
            f"{fr.median('second_request_ms'):.0f} ms, whole process {fr.process_median:.0f} ms wall / "
            f"{fr.process_cpu_median:.0f} ms CPU"
        )
    return "\n".join(lines)


def write_doc(block: str, doc: Path = DOC) -> bool:
    """Replace what is between the markers; False (nothing written) if the document has no markers."""
    if not doc.exists():
        return False
    text = doc.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        return False
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{block}{END}{tail}", encoding="utf-8")
    return True
