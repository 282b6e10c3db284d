"""The audit trail of staff actions, newest first."""

from __future__ import annotations

from chalicelib.web.api import STAFF, Call, Routes
from chalicelib.web.schemas.audit import AuditEntryOut, AuditList, AuditQuery

routes = Routes(__name__, "audit")


@routes.route("/staff/audit", "GET", role=STAFF, summary="Every staff action, newest first", query=AuditQuery,
              response=AuditList)
def staff_audit(call: Call) -> AuditList:
    from chalicelib.handlers import audit

    q = call.query
    page = audit.entries(q.actor, q.action, q.limit, q.next)
    return AuditList(items=[AuditEntryOut(at=e.at, actor=e.actor, action=e.action, target=e.target, detail=e.detail)
                            for e in page.items], next=page.next)
