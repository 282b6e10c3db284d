"""Health, this API as an OpenAPI document, and the local stage's movable clock."""

from __future__ import annotations

from typing import Any

from chalicelib.web.api import STAFF, Call, Routes, declared
from chalicelib.web.schemas.system import ClockIn, ClockOut, HealthOut

routes = Routes(__name__, "system")


@routes.route("/health", "GET", role=None, summary="Liveness", response=HealthOut)
def health(call: Call) -> HealthOut:
    from chalicelib.handlers import system

    return HealthOut(status="ok", stage=system.stage())


@routes.route("/openapi.json", "GET", role=None, summary="This API as an OpenAPI 3 document")
def openapi_document(call: Call) -> dict[str, Any]:
    from chalicelib import composition
    from chalicelib.web.openapi import build

    settings = composition.container().settings
    return build(declared(), include_local=settings.is_local, max_rate_bp=settings.max_rate_bp)


@routes.route("/_local/clock", "PUT", role=STAFF, summary="Move the local clock (stage local only)",
              body=ClockIn, response=ClockOut, local_only=True)
def set_local_clock(call: Call) -> ClockOut:
    from chalicelib.domain.months import kst_iso
    from chalicelib.handlers import system

    return ClockOut(now=kst_iso(system.set_clock(call.body.now, call.user.sub)), moved=True)


@routes.route("/_local/clock", "DELETE", role=STAFF, summary="Back to real time (stage local only)",
              response=ClockOut, local_only=True)
def reset_local_clock(call: Call) -> ClockOut:
    from chalicelib.domain.months import kst_iso
    from chalicelib.handlers import system

    return ClockOut(now=kst_iso(system.reset_clock()), moved=False)
