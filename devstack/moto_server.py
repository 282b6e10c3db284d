"""moto's server with threading off, so that DynamoDB conditions are atomic locally, and with its DynamoDB
made to cost per request what DynamoDB does (devstack/moto_index.py), so the stack keeps its speed as the
table grows.

`moto.server.main` always serves threaded, and moto's `update_item` checks a condition and writes with
no lock: under concurrent requests a conditional decrement can lose an update. One request at a time
(HTTP/1.0, one connection per request) removes that race from the local stack. Never long-poll SQS
against this server: a waiting receive would hold every other request.
"""

from __future__ import annotations

import argparse
import logging
import os

from werkzeug.serving import run_simple

from devstack.lifeline import exit_with_parent
from devstack.moto_index import install
from devstack.moto_streams import keep_stream_cheap


def main(argv: list[str] | None = None) -> int:
    """Serve moto on host:port until terminated."""
    parser = argparse.ArgumentParser(prog="python -m devstack.moto_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--log-requests", action="store_true", help="log every AWS request")
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    exit_with_parent()
    keep_stream_cheap()  # the table's stream is on: see devstack/moto_streams.py
    if not os.environ.get("SEORO_PLAIN_MOTO"):
        install()  # queries read their partition, transactions copy only their items (moto_index.py)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto's own main does: URLs it builds use it
    if not args.log_requests:
        # The runner polls SQS every second; one log line per request would drown everything else.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    run_simple(
        args.host,
        args.port,
        DomainDispatcherApplication(create_backend_app),
        threaded=False,
        request_handler=MotoRequestHandler,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
