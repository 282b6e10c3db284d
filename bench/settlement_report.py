"""Runs the settlement benchmark per size (one fresh process each), keeps every size's latest figures in
`bench/settlement_figures.json`, and renders them (with the AWS estimate) into docs/PERFORMANCE.md."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import DOC, ROOT, _revision, machine

FIGURES = ROOT / "bench" / "settlement_figures.json"
BEGIN = "<!-- bench:settlement:begin (written by `python -m bench`; edits inside are overwritten) -->"
END = "<!-- bench:settlement:end -->"
MAIN_SHARDS = 256
MAIN_TIMEOUT = 900
DISTRICT = 300_000
TARGET = 1.0
BATCH_SIZE = 5

# ---- the AWS model: assumptions, stated once ------------------------------------------------------------

SCAN = "Scan (books check: a segment's page)"
LATENCY_MS = {
    "Query gsi2 (shard page of wallets)": 10.0,  # 100 wallets, ~30 KB, eventually consistent
    "Query gsi1 (shard's automatic donations)": 5.0,  # the shard's few instructions, eventually consistent
    "BatchGetItem (month counters of a page)": 15.0,  # 100 keys, strongly consistent
    "TransactWriteItems (credit)": 15.0,  # 3 items (wallet, month, ledger line), two-phase
    SCAN: 80.0,  # 1 MB read (~3,000 items), filtered and projected, eventually consistent
    "Query (books check: one resident read again)": 5.0,  # one partition, ~10 small items, consistent
    "TransactWriteItems (shard done)": 15.0,
    "TransactWriteItems (books segment done)": 15.0,
    "BatchWriteItem (merchant lines)": 10.0,
    "Query (shard totals)": 15.0,
}
OTHER_MS = 5.0  # GetItem / PutItem / UpdateItem of the run record, the policy query
SQS_MS = 10.0
S3_MS = 30.0
WRU_PER_CREDIT = 7  # runs recorded before write units were counted: 3 items ≤ 1 KB × 2 + 1 for the wallet's gsi2
NEW_TABLE_WRU_PER_S = 4_000  # what a new on-demand table sustains before it has seen a higher peak
BOOKS_OPS = (SCAN, "Query (books check", "TransactWriteItems (books")
"""The books check's own requests (its segments' run-record reads are counted with the shards')."""


def key(r: dict[str, Any]) -> str:
    return f"{r['residents']}-{r['shards']}-{r['lambda_timeout_s']}"


def load() -> dict[str, dict[str, Any]]:
    if not FIGURES.exists():
        return {}
    data: dict[str, dict[str, Any]] = json.loads(FIGURES.read_text(encoding="utf-8"))
    return data


def save(figures: dict[str, dict[str, Any]]) -> None:
    ordered = dict(sorted(figures.items(), key=lambda kv: (kv[1]["shards"] != MAIN_SHARDS,
                                                           kv[1]["lambda_timeout_s"], kv[1]["residents"])))
    FIGURES.write_text(json.dumps(ordered, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def run(
    sizes: list[int], shards: int, lambda_timeout: int, merchants: int, time_limit: float | None
) -> list[dict[str, Any]]:
    """Each size in its own process; the figures are merged into FIGURES as each one finishes."""
    results = []
    for size in sizes:
        print(f"settlement: {size:,} residents, {shards} shards, Lambda timeout {lambda_timeout} s ...", flush=True)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="seoro-settle-") as tmp:
            out = Path(tmp) / "result.json"
            cmd = [sys.executable, "-m", "bench.settlement", "--size", str(size), "--shards", str(shards),
                   "--lambda-timeout", str(lambda_timeout), "--merchants", str(merchants), "--json", str(out)]
            try:
                done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=time_limit)
            except subprocess.TimeoutExpired:
                raise SystemExit(f"settlement at {size:,} residents took longer than {time_limit:.0f} s") from None
            if done.returncode != 0 or not out.exists():
                raise SystemExit(f"settlement at {size:,} residents failed:\n{done.stderr[-4000:]}")
            result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        result["recorded_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        result["revision"] = _revision()
        result["machine"] = machine()
        figures = load()
        figures[key(result)] = result
        save(figures)
        results.append(result)
        print(f"  {result['dynamodb_total'] / size:.3f} DynamoDB requests and "
              f"{result['settle_s'] * 1000 / size:.2f} ms per resident; whole size took "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    return results


# ---- rendering -------------------------------------------------------------------------------------------


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _per(count: float, residents: int) -> str:
    return f"{count / residents:.4f}".rstrip("0").rstrip(".") if count else "0"


PER_RESIDENT = ("Query (resident's ledger)", "TransactWriteItems (credit)", "BatchGetItem (re-read", SCAN,
                "Query (books check")
PER_PAGE = ("Query gsi2", "BatchGetItem (month counters")
PAGE_SIZE = 100  # chalicelib.handlers.settlement.PAGE_SIZE


def projected_counts(r: dict[str, Any], residents: int) -> dict[str, float]:
    """The run's requests scaled to `residents` at the same shard count: per-resident requests in
    proportion, page reads by the pages a shard of that size needs, per-shard and per-run ones as they are."""
    n, shards = r["residents"], r["shards"]
    pages_then = shards * math.ceil(n / shards / PAGE_SIZE)
    pages_now = shards * math.ceil(residents / shards / PAGE_SIZE)
    out: dict[str, float] = {}
    for op, c in list(r["dynamodb"].items()) + list(r["app_calls"].items()):
        if op.startswith(PER_RESIDENT):
            out[op] = c * residents / n
        elif op.startswith(PER_PAGE):
            out[op] = c * pages_now / pages_then
        else:
            out[op] = float(c)
    return out


def _latency(op: str) -> float:
    if op.startswith("S3"):
        return S3_MS
    if op.startswith("SQS"):
        return SQS_MS
    return LATENCY_MS.get(op, OTHER_MS)


def aws_estimate(r: dict[str, Any], residents: int = DISTRICT, batch_size: int = BATCH_SIZE) -> dict[str, float]:
    """Seconds to settle `residents` on AWS with r's request mix (see the doc for the reasoning): the credit
    phase (shards in batches), then the books check (its segments in batches, each a string of Scan pages)."""
    counts = projected_counts(r, residents)
    n = r["residents"]
    books_ops = {op: c for op, c in counts.items() if op.startswith(BOOKS_OPS)}
    io_ms = sum(c * _latency(op) for op, c in counts.items() if op not in books_ops) / residents
    phases = r.get("phases") or {}
    credit_cpu = phases["credit"]["cpu_s"] - phases["credit"]["emulator_s"] if phases else (
        r["settle_cpu_s"] - r["emulator_s"])
    cpu_ms = max(0.0, credit_cpu * 1000 / n)
    per_resident_ms = io_ms + cpu_ms
    shards = r["shards"]
    workers = math.ceil(shards / batch_size)
    per_worker = residents / shards * batch_size
    credit_s = per_worker * per_resident_ms / 1000
    segments = int(r.get("segments", 0))
    books_io_ms = sum(c * _latency(op) for op, c in books_ops.items()) / residents
    books_cpu_ms = max(0.0, (phases["books"]["cpu_s"] - phases["books"]["emulator_s"]) * 1000 / n) if phases else 0.0
    books_s = (residents / segments * min(batch_size, segments) * (books_io_ms + books_cpu_ms) / 1000
               if segments else 0.0)
    compute_s = credit_s + books_s
    if "write_units_by_op" in r:  # the credits' units in proportion, the rest (per shard, per run) as they were
        wru_per_resident = sum(u * residents / n if op.startswith(PER_RESIDENT) else u
                               for op, u in r["write_units_by_op"].items()) / residents
    else:
        wru_per_resident = r["dynamodb"].get("TransactWriteItems (credit)", 0) / n * WRU_PER_CREDIT
    dynamodb = sum(c for op, c in counts.items() if not op.startswith(("SQS", "S3")))
    return {
        "requests_per_resident": dynamodb / residents,
        "io_ms": io_ms,
        "cpu_ms": cpu_ms,
        "per_resident_ms": per_resident_ms,
        "workers": workers,
        "per_worker": per_worker,
        "credit_s": credit_s,
        "segments": segments,
        "books_ms": books_io_ms + books_cpu_ms,
        "books_s": books_s,
        "compute_s": compute_s,
        "one_per_shard_s": residents / shards * per_resident_ms / 1000 + (
            residents / segments * (books_io_ms + books_cpu_ms) / 1000 if segments else 0.0),
        "wru_per_resident": wru_per_resident,
        "wru_per_s": residents * wru_per_resident / credit_s,  # the writes are the credit phase's
        "write_bound_s": residents * wru_per_resident / NEW_TABLE_WRU_PER_S,
    }


def markdown(figures: dict[str, dict[str, Any]]) -> str:
    main = sorted((r for r in figures.values() if r["shards"] == MAIN_SHARDS and r["lambda_timeout_s"] == MAIN_TIMEOUT),
                  key=lambda r: r["residents"])
    other = sorted((r for r in figures.values() if r not in main), key=lambda r: (r["shards"], r["residents"]))
    if not main:
        return "_No settlement figures yet: run `python -m bench --settlement-only`._\n"
    out: list[str] = []
    stamps = sorted({f"{r['recorded_at']} ({r['revision']})" for r in main})
    out.append(f"_Recorded: {'; '.join(stamps)}; {main[-1]['machine']}. {MAIN_SHARDS} shards, Lambda context "
               f"timeout {MAIN_TIMEOUT} s, SQS batches of {BATCH_SIZE}, moto in-process (indexed, see above)._")
    out += ["", "#### DynamoDB requests per resident, by operation", ""]
    sizes = [r["residents"] for r in main]
    out.append("| Request | " + " | ".join(f"{s:,} residents" for s in sizes) + " |")
    out.append("|---|" + "---:|" * len(sizes))
    ops = sorted({op for r in main for op in r["dynamodb"]}, key=_op_order)
    for op in ops:
        out.append(f"| {op} | " + " | ".join(f"{_per(r['dynamodb'].get(op, 0), r['residents'])} "
                                             f"({_n(r['dynamodb'].get(op, 0))})" for r in main) + " |")
    out.append("| **All DynamoDB requests** | " + " | ".join(
        f"**{r['dynamodb_total'] / r['residents']:.3f}** ({_n(r['dynamodb_total'])})" for r in main) + " |")
    out.append(f"| Target ≤ {TARGET:g} per resident | " + " | ".join(
        "met" if r["dynamodb_total"] / r["residents"] <= TARGET else "**NOT met**" for r in main) + " |")
    out.append("| Write units per resident (from the items sent) | " + " | ".join(
        f"{r['write_units'] / r['residents']:.2f} ({_n(r['write_units'])})" if "write_units" in r else "not counted"
        for r in main) + " |")
    app_calls = sorted({k for r in main for k in r["app_calls"]})
    for k in app_calls:
        out.append(f"| {k} (the app's) | " + " | ".join(
            f"{_per(r['app_calls'].get(k, 0), r['residents'])} ({_n(r['app_calls'].get(k, 0))})" for r in main) + " |")
    esm = sorted({k for r in main for k in r["harness_calls"] if "ReceiveMessage" in k or "DeleteMessage" in k})
    for k in esm:
        out.append(f"| {k} (Lambda's event source mapping, AWS side) | " + " | ".join(
            f"{_per(r['harness_calls'].get(k, 0), r['residents'])} ({_n(r['harness_calls'].get(k, 0))})"
            for r in main) + " |")
    out += [
        "",
        "Per resident: `per resident (count in the run)`. The fixed part (a shard's or segment's run-record "
        "reads and `done` transaction, a shard's automatic donations, the policy, the reports, the merchant "
        "lines) is spread over more residents as the district grows, so the total per resident falls towards "
        "the per-resident core: one `TransactWriteItems` for each resident with something to credit, plus page "
        "reads (a shard's pages of 100 wallets and their months, the books check's Scan pages of 1 MB). "
        "A run without a `Scan` row predates the books check's own phase: it read every resident's ledger with "
        "one `Query` instead. Write units: `bench/settlement_tallies.py` (1 per KB of each item written, 2 in a "
        "transaction, +1 per index the item is in; updates sized by what they send).",
        "",
        "#### Time per resident",
        "",
        "| Residents | Items seeded | Seeding | Settlement, wall | **ms per resident** (wall) | CPU ms per "
        "resident | … in moto's emulator | … in the app + botocore + PynamoDB | Messages (continuations) / "
        "invocations | ms per message, median / max | Residents per shard, mean / max | Peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|",
    ]
    for r in main:
        n = r["residents"]
        app_ms = (r["settle_cpu_s"] - r["emulator_s"]) * 1000 / n
        out.append(
            f"| {n:,} | {r['profile']['items']:,} | {r['seed_s']:.0f} s | {_duration(r['settle_s'])} | "
            f"**{r['settle_s'] * 1000 / n:.2f}** | {r['settle_cpu_s'] * 1000 / n:.2f} | "
            f"{r['emulator_s'] * 1000 / n:.2f} | {app_ms:.2f} | {r['messages']} ({r['continuations']}) / "
            f"{r['invocations']} | {r['message_ms']['median']:,.0f} / {r['message_ms']['max']:,.0f} | "
            f"{r['shard_residents']['mean']:,.0f} / {r['shard_residents']['max']:,.0f} | {r['peak_rss_mb']:,.0f} MB |"
        )
    phased = [r for r in main if r.get("phases")]
    if phased:
        out += ["", "By phase (the credit shards, then the books check's Scan segments):", "",
                "| Residents | Phase | Messages | CPU ms per resident | … in moto's emulator | … in the app | "
                "ms per message, median / max |", "|---:|---|---:|---:|---:|---:|---|"]
        for r in phased:
            n = r["residents"]
            for name, ph in r["phases"].items():
                out.append(
                    f"| {n:,} | {name} | {ph['messages']} | {ph['cpu_s'] * 1000 / n:.2f} | "
                    f"{ph['emulator_s'] * 1000 / n:.2f} | {(ph['cpu_s'] - ph['emulator_s']) * 1000 / n:.2f} | "
                    f"{ph['message_ms'].get('median', 0):,.0f} / {ph['message_ms'].get('max', 0):,.0f} |")
    lo, hi = min(r["settle_s"] / r["residents"] for r in main), max(r["settle_s"] / r["residents"] for r in main)
    if len(main) > 1:
        out += ["", f"Wall time per resident ranges {lo * 1000:.2f}–{hi * 1000:.2f} ms over a "
                    f"{main[-1]['residents'] // main[0]['residents']}× range of district sizes "
                    f"(ratio {hi / lo:.2f}); the total grows linearly with the residents."]
    out += ["", "What each run settled (all checks passed, or the run would have stopped):", ""]
    for r in main:
        p, o = r["profile"], r["outcome"]
        out.append(
            f"- {r['residents']:,}: {p['active']:,} paid in the month ({p['payments']:,} payments and "
            f"{p['refunds']:,} refunds over two months, median eligible spend of a paying resident "
            f"{p['median_eligible_spend_active']:,} won, {p['paid_total'] / r['residents']:,.0f} won paid per "
            f"resident in the month), {p['with_adjustment']:,} owed an adjustment; {o['settled_residents']:,} "
            f"settled, {o['cashback_credited']:,} won credited ({o['adjustments_applied']:,} of adjustments"
            f"{_recovered(o)}), books balanced: {o['books_balanced']}."
        )
    if other:
        out += ["", "#### Other configurations", "",
                "| Residents | Shards | Lambda timeout | DynamoDB / resident | SQS SendMessageBatch / resident "
                "| Messages (continuations) / invocations | ms per resident (wall) |",
                "|---:|---:|---:|---:|---:|---|---:|"]
        for r in other:
            n = r["residents"]
            out.append(
                f"| {n:,} | {r['shards']} | {r['lambda_timeout_s']} s | {r['dynamodb_total'] / n:.3f} | "
                f"{r['app_calls'].get('SQS SendMessageBatch', 0) / n:.4f} | {r['messages']} ({r['continuations']}) / "
                f"{r['invocations']} | {r['settle_s'] * 1000 / n:.2f} |"
            )
    out += _aws_markdown(main)
    return "\n".join(out) + "\n"


def _aws_markdown(main: list[dict[str, Any]]) -> list[str]:
    current = [r for r in main if r.get("phases")]  # runs of the code with the books check's own phase
    base = (current or main)[-1]
    measured = base["residents"] >= DISTRICT
    e = aws_estimate(base)
    label = (f"request mix and CPU from the {base['residents']:,}-resident run" if measured else
             f"**extrapolated** from the {base['residents']:,}-resident run, the largest measured of the current "
             "code: per-resident requests, Scan pages and CPU scaled to the district, page reads by page, "
             "per-shard and per-segment ones as they were")
    latencies = ", ".join(f"{op} {ms:g} ms" for op, ms in LATENCY_MS.items())
    out = [
        "",
        f"#### Estimate for {DISTRICT:,} residents on AWS ({label})",
        "",
        f"Assumed DynamoDB latencies from a Lambda in the table's region (typical p50, single-digit to low "
        f"double-digit ms; a Scan page tens of ms): {latencies}; any other DynamoDB request {OTHER_MS:g} ms; SQS "
        f"{SQS_MS:g} ms; S3 {S3_MS:g} ms. The settlement worker configured with 1,769 MB or more (one full vCPU, "
        f"roughly one core of this machine), so the CPU measured here carries over.",
        "",
        "| Step | Figure |",
        "|---|---:|",
        f"| DynamoDB requests per resident at {DISTRICT:,} | {e['requests_per_resident']:.3f} |",
        f"| Credit phase: DynamoDB + SQS + S3 waiting per resident, at the latencies assumed | {e['io_ms']:.1f} ms |",
        f"| Credit phase: CPU per resident in the app + botocore + PynamoDB (measured, outside moto) | "
        f"{e['cpu_ms']:.1f} ms |",
        f"| **One resident, one worker** | **{e['per_resident_ms']:.1f} ms** ≈ "
        f"{1000 / e['per_resident_ms']:.0f} residents/s |",
        f"| Workers: {base['shards']} shard messages in batches of {BATCH_SIZE} | {e['workers']} concurrent "
        f"invocations |",
        f"| Residents per invocation ({BATCH_SIZE} shards one after another) | {e['per_worker']:,.0f} |",
        f"| Credit phase, compute-bound (one invocation's {BATCH_SIZE} shards of average size) | "
        f"{_duration(e['credit_s'])} |",
    ]
    if e["segments"]:
        out.append(f"| Books check: {e['segments']:.0f} Scan segments in batches of {BATCH_SIZE}, "
                   f"{e['books_ms']:.2f} ms per resident (Scan pages, re-reads, CPU) | {_duration(e['books_s'])} |")
    out += [
        f"| **Compute-bound time** (credits, then the books check) | **{_duration(e['compute_s'])}** |",
        f"| Write rate during the credits ({e['wru_per_resident']:.2f} write units per resident"
        f"{', measured and scaled' if 'write_units' in base else ', assumed'}) | {e['wru_per_s']:,.0f} WRU/s |",
        f"| **Write-bound time** if the table sustains only {NEW_TABLE_WRU_PER_S:,} WRU/s (a new on-demand table) | "
        f"**{_duration(e['write_bound_s'])}** |",
        f"| With batch size 1 (one shard or segment per invocation, {base['shards']} concurrent), compute-bound | "
        f"{_duration(e['one_per_shard_s'])} |",
    ]
    return out


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _op_order(op: str) -> tuple[int, str]:
    order = ["Query gsi2", "Query gsi1", "BatchGetItem (month", "TransactWriteItems (credit", "Query (resident",
             "BatchGetItem (re-read", "Scan", "Query (books", "GetItem", "UpdateItem", "PutItem",
             "TransactWriteItems (run", "TransactWriteItems (shard", "TransactWriteItems (books", "Query (shard",
             "Query (policy", "BatchWriteItem"]
    for i, prefix in enumerate(order):
        if op.startswith(prefix):
            return i, op
    return len(order), op


def write_doc(block: str, doc: Path = DOC) -> bool:
    if not doc.exists():
        return False
    text = doc.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        return False
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{block}{END}{tail}", encoding="utf-8")
    return True


def _recovered(outcome: dict[str, Any]) -> str:
    """What of the adjustments the charged balances paid (docs/RULES.md: cashback first, then charged)."""
    if "recovered_from_charged" not in outcome:
        return ""  # a run recorded before the figure was kept
    return (f", of which {outcome['recovered_from_charged']:,} recovered from charged balances and "
            f"{outcome['still_owed']:,} still owed")
