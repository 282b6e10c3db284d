"""Measured in a fresh process by `bench.cold`: import the app, then serve `GET /wallet` twice.

`python -m bench.first_request client|lambda`, with the app's settings, `AWS_ENDPOINT_URL` (a moto server)
and `BENCH_TOKEN` in the environment. Prints one JSON line of timings.

- client: through `chalice.test.Client`, as the brief asks. Importing `chalice.test` already loads
  botocore, so that import is timed on its own line and the first request does not pay it.
- lambda: the way the Lambda runtime calls the app, `app(event, context)` with an API Gateway proxy
  event; nothing is loaded before the first request except what `import app` loads. This is the honest
  cold start of the lazy loading.

Before the clock starts, only modules `python -m` has loaded anyway (os, sys, time, types).
"""

from __future__ import annotations

import os
import sys
import time
from types import SimpleNamespace

HEAVY = ("boto3", "botocore", "pynamodb", "jwt", "aws_lambda_powertools", "cryptography", "pydantic")


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000, 1)


def main(mode: str) -> dict[str, object]:
    headers = {"authorization": f"Bearer {os.environ['BENCH_TOKEN']}", "host": "bench.local"}
    t0 = time.perf_counter()
    from app import app

    t_import = time.perf_counter()
    after_import = [m for m in HEAVY if m in sys.modules]
    if mode == "client":
        from chalice.test import Client

        t_harness = time.perf_counter()
        with Client(app) as client:
            statuses = []
            marks = [time.perf_counter()]
            for _ in range(2):
                statuses.append(client.http.get("/wallet", headers=headers).status_code)
                marks.append(time.perf_counter())
    else:
        t_harness = t_import
        event = {
            "requestContext": {
                "httpMethod": "GET",
                "resourcePath": "/wallet",
                "path": "/wallet",
                "identity": {"sourceIp": "127.0.0.1"},
                "stage": "api",
                "requestId": "bench",
            },
            "headers": headers,
            "multiValueQueryStringParameters": None,
            "pathParameters": None,
            "stageVariables": None,
            "body": None,
            "isBase64Encoded": False,
        }
        context = SimpleNamespace(aws_request_id="bench", function_name="seoro-bench", memory_limit_in_mb=512)
        statuses = []
        marks = [time.perf_counter()]
        for _ in range(2):
            statuses.append(int(app(event, context)["statusCode"]))
            marks.append(time.perf_counter())
    return {
        "mode": mode,
        "import_app_ms": _ms(t0, t_import),
        "harness_ms": _ms(t_import, t_harness),
        "first_request_ms": _ms(marks[0], marks[1]),
        "second_request_ms": _ms(marks[1], marks[2]),
        "cold_start_ms": _ms(t0, marks[1]),
        "statuses": statuses,
        "loaded_after_import": after_import,
        "loaded_after_first_request": [m for m in HEAVY if m in sys.modules],
    }


if __name__ == "__main__":
    result = main(sys.argv[1])
    import json  # after the measurement: `import app` loads json itself

    print(json.dumps(result))
