"""Test-wide setup: moto is imported before any boto3 client exists, and no test talks to a real endpoint."""

from __future__ import annotations

import os

import moto  # noqa: F401  (must come first: clients made before it are not mocked)

for _name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[_name]
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ["AWS_DEFAULT_REGION"] = "ap-northeast-2"
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Seoro")
