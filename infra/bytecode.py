"""Bytecode in the Lambda package, compiled once when it is built rather than at every cold start.

Lambda unpacks the package into a read-only /var/task, so Python cannot keep what it compiles there: without
`.pyc` files in the zip, every new instance compiles app.py, chalicelib and every dependency from source before
its first request (tens of ms; docs/PERFORMANCE.md, "Cold start"). `add_to_package` adds a `__pycache__/*.pyc`
next to each module of the zip, compiled by this interpreter, which must be the runtime's version (the magic
number differs between minor versions, and a mismatched `.pyc` is ignored, not an error). The files are
unchecked-hash `.pyc` (PEP 552): the package is immutable, so Python loads them without looking at the sources'
timestamps, which a zip does not keep exactly. Tracebacks name /var/task, where the code runs.

`python -m infra.bytecode out/deployment.zip out/sam.json` (`make package`).
"""

from __future__ import annotations

import compileall
import json
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path


def runtime_of(sam_template: Path) -> str:
    """The one Python runtime every function of the packaged template runs on."""
    resources = json.loads(sam_template.read_text(encoding="utf-8"))["Resources"]
    runtimes = {r["Properties"].get("Runtime") for r in resources.values() if r["Type"] == "AWS::Serverless::Function"}
    if len(runtimes) != 1:
        raise SystemExit(f"expected one Lambda runtime in {sam_template}, found {sorted(map(str, runtimes))}")
    return str(runtimes.pop())


def compile_tree(root: Path) -> None:
    """Compile every module under `root` into unchecked-hash `.pyc` files beside it. Files that are not valid
    Python for this version (test data some packages ship) are skipped, as the import system would never load
    them either."""
    compileall.compile_dir(str(root), quiet=2, workers=1,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)


def add_to_package(package: Path, runtime: str) -> int:
    """Add the bytecode of every module in the zip `package` to it; the number of `.pyc` files added."""
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime != here:
        raise SystemExit(f"the functions run {runtime} but this is {here}: its bytecode would be ignored there")
    with tempfile.TemporaryDirectory(prefix="seoro-bytecode-") as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(package) as zipped:
            present = set(zipped.namelist())
            zipped.extractall(root)
        compile_tree(root)
        added = sorted(p for p in root.rglob("*.pyc") if p.relative_to(root).as_posix() not in present)
        with zipfile.ZipFile(package, "a", compression=zipfile.ZIP_DEFLATED) as zipped:
            for pyc in added:
                zipped.write(pyc, pyc.relative_to(root).as_posix())
    return len(added)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        raise SystemExit("usage: python -m infra.bytecode PACKAGE.zip SAM.json")
    package, template = Path(args[0]), Path(args[1])
    added = add_to_package(package, runtime_of(template))
    print(f"{package}: bytecode of {added} modules added for {runtime_of(template)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
