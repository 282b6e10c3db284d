"""moto's server on one port with threading off (one request at a time), for the first-request benchmark,
with its DynamoDB stream kept cheap as the local stack's server keeps it (`devstack/moto_streams.py`).

Run by `bench.cold` as `python -m bench.moto_server PORT`; it is stopped by the benchmark when done.
"""

from __future__ import annotations

import logging
import sys


def main(argv: list[str]) -> int:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    from devstack.moto_streams import keep_stream_cheap

    keep_stream_cheap()  # before any table exists: the table's stream is on (devstack/moto_streams.py)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    run_simple(
        "127.0.0.1",
        int(argv[0]),
        DomainDispatcherApplication(create_backend_app),
        threaded=False,
        request_handler=MotoRequestHandler,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
