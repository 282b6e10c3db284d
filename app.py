"""Seoro e-Eum API: routes and event functions only. Each parses, calls one handler, and returns.

Heavy modules (boto3, PynamoDB, PyJWT, Powertools) load on first use, not at import.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, CloudWatchEvent, Cron, Rate, SQSEvent

from chalicelib.schemas import (
    AcceptIn,
    AutoDonationIn,
    AutoDonationOut,
    CampaignIn,
    CampaignList,
    CampaignOut,
    ChargeIn,
    ChargeOut,
    ClockIn,
    ClockOut,
    DonationIn,
    DonationOut,
    DonationsQuery,
    DonationStatementOut,
    HealthOut,
    MallApprovalIn,
    MallOrderIn,
    MallOrderList,
    MallOrderOut,
    MallOrdersQuery,
    MenuIn,
    MenuOut,
    MerchantIn,
    MerchantList,
    MerchantOut,
    MerchantRegisteredOut,
    MerchantSettlementOut,
    MerchantsQuery,
    NewsList,
    NewsOut,
    NewsQuery,
    NtsExportIn,
    NtsExportOut,
    OpenWalletIn,
    OrderIn,
    OrderList,
    OrderOut,
    OrdersQuery,
    PageQuery,
    PaymentIn,
    PaymentList,
    PaymentOut,
    PaymentsQuery,
    PolicyIn,
    PolicyOut,
    ProductIn,
    ProductList,
    ProductOut,
    RefundIn,
    RejectIn,
    SettlementIn,
    SettlementOut,
    ShipIn,
    StaffNoticeList,
    TaxIdIn,
    TaxIdOut,
    WalletOut,
)
from chalicelib.web import SIGNED_IN, Api, Call

app = Chalice(app_name="seoro", configure_logs=False)
api = Api(app)

RESIDENTS = "residents"
MERCHANTS = "merchants"
STAFF = "staff"


# ---- system ----------------------------------------------------------------------------------


@api.route("/health", "GET", role=None, summary="Liveness", response=HealthOut)
def health(call: Call) -> Any:
    from chalicelib.handlers import system

    return system.health()


@api.route("/openapi.json", "GET", role=None, summary="This API as an OpenAPI 3 document")
def openapi_document(call: Call) -> Any:
    from chalicelib.handlers import system

    return system.openapi(api.specs)


@api.route("/_local/clock", "PUT", role=STAFF, summary="Move the local clock (stage local only)",
           body=ClockIn, response=ClockOut, local_only=True)
def set_local_clock(call: Call) -> Any:
    from chalicelib.handlers import system

    return system.set_clock(call.body)


@api.route("/_local/clock", "DELETE", role=STAFF, summary="Back to real time (stage local only)",
           response=ClockOut, local_only=True)
def reset_local_clock(call: Call) -> Any:
    from chalicelib.handlers import system

    return system.reset_clock()


# ---- resident: wallet and payments -----------------------------------------------------------


@api.route("/wallet", "POST", role=RESIDENTS, summary="Open the wallet", body=OpenWalletIn,
           response=WalletOut, status=201)
def open_wallet(call: Call) -> Any:
    from chalicelib.handlers import wallet

    return wallet.open_wallet(call.user, call.body)


@api.route("/wallet", "GET", role=RESIDENTS, summary="Balances and this month's cashback", response=WalletOut)
def get_wallet(call: Call) -> Any:
    from chalicelib.handlers import wallet

    return wallet.get_wallet(call.user)


@api.route("/wallet/charges", "POST", role=RESIDENTS, summary="Top up from the bank", body=ChargeIn,
           response=ChargeOut, status=201, idempotent=True)
def charge_wallet(call: Call) -> Any:
    from chalicelib.handlers import wallet

    return wallet.charge(call.user, call.body, call.idempotency_key or "")


@api.route("/payments", "POST", role=RESIDENTS, summary="Pay a merchant", body=PaymentIn,
           response=PaymentOut, status=201, idempotent=True)
def create_payment(call: Call) -> Any:
    from chalicelib.handlers import payments

    return payments.create_payment(call.user, call.body, call.idempotency_key or "")


@api.route("/payments", "GET", role=RESIDENTS, summary="My payments", query=PaymentsQuery,
           response=PaymentList)
def list_payments(call: Call) -> Any:
    from chalicelib.handlers import payments

    return payments.list_payments(call.user, call.query)


@api.route("/payments/{payment_id}", "GET", role=RESIDENTS, summary="One of my payments", response=PaymentOut)
def get_payment(call: Call) -> Any:
    from chalicelib.handlers import payments

    return payments.get_payment(call.user, call.params["payment_id"])


# ---- merchants -------------------------------------------------------------------------------


@api.route("/merchants", "GET", role=SIGNED_IN, summary="Find merchants", query=MerchantsQuery,
           response=MerchantList)
def list_merchants(call: Call) -> Any:
    from chalicelib.handlers import merchants

    return merchants.list_merchants(call.query)


@api.route("/merchants/{merchant_id}", "GET", role=SIGNED_IN, summary="One merchant", response=MerchantOut)
def get_merchant(call: Call) -> Any:
    from chalicelib.handlers import merchants

    return merchants.get_merchant(call.params["merchant_id"])


@api.route("/merchant/payments/{payment_id}/refunds", "POST", role=MERCHANTS,
           summary="Refund one of my payments", body=RefundIn, response=PaymentOut, idempotent=True)
def refund_payment(call: Call) -> Any:
    from chalicelib.handlers import payments

    return payments.refund(call.user, call.params["payment_id"], call.body, call.idempotency_key or "")


# ---- staff -----------------------------------------------------------------------------------


@api.route("/staff/merchants", "POST", role=STAFF, summary="Register a merchant", body=MerchantIn,
           response=MerchantRegisteredOut, status=201)
def register_merchant(call: Call) -> Any:
    from chalicelib.handlers import merchants

    return merchants.register(call.body)


@api.route("/policies/current", "GET", role=SIGNED_IN, summary="The cashback policy in force",
           response=PolicyOut)
def current_policy(call: Call) -> Any:
    from chalicelib.handlers import policies

    return policies.current()


@api.route("/staff/policies/{month}", "PUT", role=STAFF, summary="Publish a policy for a future month",
           body=PolicyIn, response=PolicyOut)
def publish_policy(call: Call) -> Any:
    from chalicelib.handlers import policies

    return policies.publish(call.params["month"], call.body)


@api.route("/staff/settlements", "POST", role=STAFF, summary="Start or re-run a closed month's settlement",
           body=SettlementIn, response=SettlementOut, status=202)
def start_settlement(call: Call) -> Any:
    from chalicelib.handlers import settlement

    return settlement.start(call.body.month)


@api.route("/staff/settlements/{month}", "GET", role=STAFF, summary="A month's settlement and its totals",
           response=SettlementOut)
def settlement_status(call: Call) -> Any:
    from chalicelib.handlers import settlement

    return settlement.status(call.params["month"])


@api.route("/merchant/settlements/{month}", "GET", role=MERCHANTS, summary="My line of a settled month",
           response=MerchantSettlementOut)
def merchant_settlement(call: Call) -> Any:
    from chalicelib.handlers import settlement

    return settlement.merchant_line(call.user.merchant_id or "", call.params["month"])


# ---- 서구소식 news ---------------------------------------------------------------------------


@api.route("/news", "GET", role=SIGNED_IN, summary="District news for a dong: current disaster alerts first",
           query=NewsQuery, response=NewsList)
def list_news(call: Call) -> Any:
    from chalicelib.handlers import news

    return news.list_posts(call.query)


@api.route("/news/{post_id}", "GET", role=SIGNED_IN, summary="One news post", response=NewsOut)
def get_news(call: Call) -> Any:
    from chalicelib.handlers import news

    return news.get_post(call.params["post_id"])


@api.route("/staff/notices", "GET", role=STAFF, summary="Uploaded notice files and what became of them",
           query=PageQuery, response=StaffNoticeList)
def staff_notices(call: Call) -> Any:
    from chalicelib.handlers import news

    return news.list_notices(call.query.limit, call.query.next)


# ---- 배달서구 delivery ------------------------------------------------------------------------


@api.route("/merchant/menu", "PUT", role=MERCHANTS, summary="Replace my delivery menu", body=MenuIn, response=MenuOut)
def put_menu(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.put_menu(call.user, call.body)


@api.route("/merchants/{merchant_id}/menu", "GET", role=SIGNED_IN, summary="A merchant's menu", response=MenuOut)
def get_menu(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.get_menu(call.params["merchant_id"])


@api.route("/orders", "POST", role=RESIDENTS, summary="Order delivery (priced by the server, paid at once)",
           body=OrderIn, response=OrderOut, status=201, idempotent=True)
def place_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.place_order(call.user, call.body, call.idempotency_key or "")


@api.route("/orders", "GET", role=RESIDENTS, summary="My delivery orders", query=OrdersQuery, response=OrderList)
def list_orders(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.list_orders(call.user, call.query)


@api.route("/orders/{order_id}", "GET", role=RESIDENTS, summary="One of my delivery orders", response=OrderOut)
def get_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.get_order(call.user, call.params["order_id"])


@api.route("/orders/{order_id}/cancel", "POST", role=RESIDENTS, summary="Cancel a placed order (full refund)",
           response=OrderOut)
def cancel_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.cancel_order(call.user, call.params["order_id"])


@api.route("/merchant/orders", "GET", role=MERCHANTS, summary="My delivery orders", query=OrdersQuery,
           response=OrderList)
def merchant_orders(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.list_merchant_orders(call.user, call.query)


@api.route("/merchant/orders/{order_id}/accept", "POST", role=MERCHANTS, summary="Accept an order",
           body=AcceptIn, response=OrderOut)
def accept_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.merchant_order_action(call.user, call.params["order_id"], "accept",
                                        {"eta_minutes": call.body.eta_minutes})


@api.route("/merchant/orders/{order_id}/reject", "POST", role=MERCHANTS, summary="Reject an order (full refund)",
           body=RejectIn, response=OrderOut)
def reject_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.merchant_order_action(call.user, call.params["order_id"], "reject", {"reason": call.body.reason})


@api.route("/merchant/orders/{order_id}/dispatch", "POST", role=MERCHANTS, summary="Send an order out",
           response=OrderOut)
def dispatch_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.merchant_order_action(call.user, call.params["order_id"], "dispatch", {})


@api.route("/merchant/orders/{order_id}/deliver", "POST", role=MERCHANTS, summary="Mark an order delivered",
           response=OrderOut)
def deliver_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.merchant_order_action(call.user, call.params["order_id"], "deliver", {})


# ---- 온리서구몰 / 냠냠서구몰 malls ---------------------------------------------------------------


@api.route("/staff/merchants/{merchant_id}/malls", "POST", role=STAFF, summary="Approve a seller for a mall",
           body=MallApprovalIn, response=MerchantOut)
def approve_mall(call: Call) -> Any:
    from chalicelib.handlers import merchants

    return merchants.approve_mall(call.params["merchant_id"], call.body.mall)


@api.route("/merchant/products/{product_id}", "PUT", role=MERCHANTS, summary="List or update a product",
           body=ProductIn, response=ProductOut)
def put_product(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.put_product(call.user, call.params["product_id"], call.body)


@api.route("/malls/{mall}/products", "GET", role=SIGNED_IN, summary="What a mall has on sale", query=PageQuery,
           response=ProductList)
def mall_products(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.list_products(call.params["mall"], call.query.limit, call.query.next)


@api.route("/mall/orders", "POST", role=RESIDENTS, summary="Buy from a mall seller", body=MallOrderIn,
           response=MallOrderOut, status=201, idempotent=True)
def place_mall_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.place_mall_order(call.user, call.body, call.idempotency_key or "")


@api.route("/mall/orders/{order_id}", "GET", role=RESIDENTS, summary="One of my mall orders", response=MallOrderOut)
def get_mall_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.get_mall_order(call.user, call.params["order_id"])


@api.route("/mall/orders/{order_id}/cancel", "POST", role=RESIDENTS, summary="Cancel before shipping",
           response=MallOrderOut)
def cancel_mall_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.cancel_mall_order(call.user, call.params["order_id"])


@api.route("/merchant/mall-orders", "GET", role=MERCHANTS, summary="My mall orders, with shipping data",
           query=MallOrdersQuery, response=MallOrderList)
def seller_mall_orders(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.list_seller_mall_orders(call.user, call.query)


@api.route("/merchant/mall-orders/{order_id}/ship", "POST", role=MERCHANTS, summary="Ship a mall order",
           body=ShipIn, response=MallOrderOut)
def ship_mall_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.seller_mall_action(call.user, call.params["order_id"], "ship",
                                     {"carrier": call.body.carrier, "tracking_number": call.body.tracking_number})


@api.route("/merchant/mall-orders/{order_id}/deliver", "POST", role=MERCHANTS, summary="Mark a mall order delivered",
           response=MallOrderOut)
def deliver_mall_order(call: Call) -> Any:
    from chalicelib.handlers import orders

    return orders.seller_mall_action(call.user, call.params["order_id"], "deliver", {})


# ---- 서로도움 donations ------------------------------------------------------------------------


@api.route("/campaigns", "GET", role=SIGNED_IN, summary="Donation campaigns", query=PageQuery, response=CampaignList)
def list_campaigns(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.list_campaigns(call.query)


@api.route("/campaigns/{campaign_id}", "GET", role=SIGNED_IN, summary="One campaign", response=CampaignOut)
def get_campaign(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.get_campaign(call.params["campaign_id"])


@api.route("/staff/campaigns", "POST", role=STAFF, summary="Open a campaign", body=CampaignIn, response=CampaignOut,
           status=201)
def create_campaign(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.create_campaign(call.body)


@api.route("/staff/campaigns/{campaign_id}/close", "POST", role=STAFF, summary="Close a campaign to donations",
           response=CampaignOut)
def close_campaign(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.set_campaign_active(call.params["campaign_id"], False)


@api.route("/staff/campaigns/{campaign_id}/reopen", "POST", role=STAFF, summary="Reopen a closed campaign",
           response=CampaignOut)
def reopen_campaign(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.set_campaign_active(call.params["campaign_id"], True)


@api.route("/donations", "POST", role=RESIDENTS, summary="Donate cashback", body=DonationIn, response=DonationOut,
           status=201, idempotent=True)
def donate(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.give(call.user, call.body, call.idempotency_key or "")


@api.route("/donations", "GET", role=RESIDENTS, summary="My donations of a year, with the tax-credit estimate",
           query=DonationsQuery, response=DonationStatementOut)
def donation_statement(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.statement(call.user, call.query)


@api.route("/donations/auto", "PUT", role=RESIDENTS, summary="Set my automatic donation", body=AutoDonationIn,
           response=AutoDonationOut)
def set_auto_donation(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.set_auto(call.user, call.body)


@api.route("/donations/auto", "GET", role=RESIDENTS, summary="My automatic donation", response=AutoDonationOut)
def get_auto_donation(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.get_auto(call.user)


@api.route("/me/tax-id", "PUT", role=RESIDENTS, summary="Register my registration number for the NTS link",
           body=TaxIdIn, response=TaxIdOut)
def put_tax_id(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.put_tax_id(call.user, call.body)


@api.route("/me/tax-id", "GET", role=RESIDENTS, summary="My registered number, masked", response=TaxIdOut)
def get_tax_id(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.get_tax_id(call.user)


@api.route("/me/tax-id", "DELETE", role=RESIDENTS, summary="Withdraw my NTS consent and remove the number",
           response=TaxIdOut)
def delete_tax_id(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.delete_tax_id(call.user)


@api.route("/staff/donations/nts-export", "POST", role=STAFF, summary="Write a year's file for the tax service",
           body=NtsExportIn, response=NtsExportOut)
def nts_export(call: Call) -> Any:
    from chalicelib.handlers import donations

    return donations.nts_export(call.body.year)


# ---- events ----------------------------------------------------------------------------------


@app.on_sqs_message(queue="seoro-notices", batch_size=10)
def notice_uploads(event: SQSEvent) -> Any:
    """S3 notifications of the notices bucket (created and removed `notices/*.md`), through SQS."""
    from chalicelib.handlers import news

    return news.on_sqs_batch(event.to_dict(), event.context)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def news_schedule(event: CloudWatchEvent) -> Any:
    """Every minute: publish the posts whose publish_at has come, retire the expired ones."""
    from chalicelib.handlers import news

    return news.on_schedule()


@app.schedule(Cron(0, 16, "*", "*", "?", "*"))
def monthly_settlement(event: CloudWatchEvent) -> Any:
    """Daily at 16:00 UTC = 01:00 KST; on the 1st it settles the month that closed at midnight."""
    from chalicelib.handlers import settlement

    return settlement.on_schedule(event.time)


@app.on_sqs_message(queue="seoro-settlement", batch_size=5)
def settlement_worker(event: SQSEvent) -> Any:
    from chalicelib.handlers import settlement

    return settlement.on_sqs_batch(event.to_dict(), event.context)


@app.schedule(Cron(0, 18, "*", "*", "?", "*"))
def purge_shipping_data(event: Any) -> Any:
    """Daily at 03:00 KST: mall orders' shipping data goes a set time after delivery."""
    from chalicelib.handlers import orders

    return orders.purge_shipping_data()
