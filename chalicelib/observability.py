"""The one place Powertools is set up: structured JSON logs and metrics, built when first used.

Log lines carry ids, codes and timings; never request bodies, names, phone numbers, addresses or
registration numbers.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

SERVICE = "seoro-api"
NAMESPACE = "Seoro"


@cache
def logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)


@cache
def metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=SERVICE)
