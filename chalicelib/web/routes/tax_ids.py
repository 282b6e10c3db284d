"""The registration number for the National Tax Service link (shown masked only), and staff's yearly export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.web.api import RESIDENTS, STAFF, Call, Routes
from chalicelib.web.schemas.donations import NtsExportIn, NtsExportOut, TaxIdIn, TaxIdOut

if TYPE_CHECKING:
    from chalicelib.handlers.tax_ids import TaxId

routes = Routes(__name__, "donations")


def tax_id_out(t: TaxId) -> TaxIdOut:
    return TaxIdOut(rrn_masked=t.rrn_masked, consent_nts=t.consent_nts, updated_at=t.updated_at)


@routes.route("/me/tax-id", "PUT", role=RESIDENTS, summary="Register my registration number for the NTS link",
              body=TaxIdIn, response=TaxIdOut)
def put_tax_id(call: Call) -> TaxIdOut:
    from chalicelib.handlers import tax_ids

    return tax_id_out(tax_ids.put_tax_id(call.user.sub, call.body.rrn, call.body.consent_nts))


@routes.route("/me/tax-id", "GET", role=RESIDENTS, summary="My registered number, masked", response=TaxIdOut)
def get_tax_id(call: Call) -> TaxIdOut:
    from chalicelib.handlers import tax_ids

    return tax_id_out(tax_ids.get_tax_id(call.user.sub))


@routes.route("/me/tax-id", "DELETE", role=RESIDENTS, summary="Withdraw my NTS consent and remove the number",
              response=TaxIdOut)
def delete_tax_id(call: Call) -> TaxIdOut:
    from chalicelib.handlers import tax_ids

    return tax_id_out(tax_ids.delete_tax_id(call.user.sub))


@routes.route("/staff/donations/nts-export", "POST", role=STAFF, summary="Write a year's file for the tax service",
              body=NtsExportIn, response=NtsExportOut)
def nts_export(call: Call) -> NtsExportOut:
    from chalicelib.handlers import tax_ids

    e = tax_ids.nts_export(call.body.year, call.user.sub)
    return NtsExportOut(year=e.year, s3_key=e.s3_key, records=e.records, total=e.total)
