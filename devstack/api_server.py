"""`chalice local` with a listen backlog that takes bursts of clients, answering at its edges as the cloud does.

chalice's ThreadedHTTPServer keeps socketserver's backlog of 5, so a burst of 50 clients gets
connections reset. The local API must take at least 64 simultaneous connections. Unknown paths and
methods, bodies too large and raw UTF-8 request lines are answered by `devstack.gateway`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devstack.lifeline import exit_with_parent

REQUEST_QUEUE_SIZE = 128


def main(argv: list[str] | None = None) -> int:
    """Run `chalice local` for the project in the repository root, without autoreload."""
    parser = argparse.ArgumentParser(prog="python -m devstack.api_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    parser.add_argument("--project-dir", default=str(Path(__file__).resolve().parent.parent))
    args = parser.parse_args(argv)

    import chalice.local
    from chalice.cli import main as chalice_main

    from devstack import gateway

    exit_with_parent()
    chalice.local.ThreadedHTTPServer.request_queue_size = REQUEST_QUEUE_SIZE
    gateway.install()
    # chalice's own entry point reads sys.argv; going through it keeps its error handling.
    sys.argv = [
        "chalice",
        "--project-dir",
        args.project_dir,
        "local",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--stage",
        args.stage,
        "--no-autoreload",
    ]
    result: int = chalice_main()
    return result


if __name__ == "__main__":
    raise SystemExit(main())
