"""The one place Powertools is set up: structured JSON logs, built when first used.

Log lines carry ids, codes and timings; never request bodies, names, phone numbers, addresses or
registration numbers.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

SERVICE = "seoro-api"


@cache
def logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)

