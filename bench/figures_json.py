"""`python -m bench --json FILE`: the run's figures for machines, and the document's extra sections.

The keys a reader may rely on: `operations.<"METHOD /path">.requests`, `settlement.<residents>.requests_per_resident`
(and `write_units_per_resident` where the run counted them), `payment_vs_floor.ratio`, `cold.cold_start_ms` and
`cold.import_boto3_ms`, `local_stack.<moto>.slowdown` and `.throughput`. A part the run skipped is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.report import DOC, Figures


def operations(f: Figures) -> dict[str, Any]:
    return {op.name: {"requests": round(op.mean_requests, 3), "max": max(op.requests), "target": op.target,
                      "met": op.met, "median_ms": round(op.median_ms, 2)} for op in f.ops}


def cold(f: Figures) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if f.imports is not None:
        out |= {"import_boto3_ms": round(f.imports.net_cpu("import boto3"), 1),
                "import_app_ms": round(f.imports.net_cpu("import app"), 1), "import_ratio": round(f.imports.ratio, 3)}
    for fr in f.first:   # the headline is what a new Lambda instance runs: the package, bytecode included
        if fr.mode == "deployed":
            out |= {"cold_start_ms": round(fr.median("cold_start_ms"), 1),
                    "first_request_ms": round(fr.median("first_request_ms"), 1)}
        if fr.mode == "lambda":
            out |= {"cold_start_from_source_ms": round(fr.median("cold_start_ms"), 1)}
    if "cold_start_ms" in out and "import_boto3_ms" in out:
        out["cold_start_vs_import_boto3"] = round(out["cold_start_ms"] / out["import_boto3_ms"], 3)
    return out


def settlement(results: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for r in results:
        row = {"requests_per_resident": round(r["dynamodb_total"] / r["residents"], 4), "shards": r["shards"]}
        if "write_units" in r:
            row["write_units_per_resident"] = round(r["write_units"] / r["residents"], 4)
        out[str(r["residents"])] = row
    return out


def write(path: Path, parts: dict[str, Any]) -> None:
    path.write_text(json.dumps(parts, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_section(name: str, block: str, doc: Path = DOC) -> bool:
    """Replace the text between `<!-- bench:<name>:begin -->` and `<!-- bench:<name>:end -->`."""
    begin, end = f"<!-- bench:{name}:begin (written by `python -m bench`) -->", f"<!-- bench:{name}:end -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    if begin not in text or end not in text:
        return False
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    doc.write_text(f"{head}{begin}\n{block}\n{end}{tail}", encoding="utf-8")
    return True
