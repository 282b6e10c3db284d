"""Seoro e-Eum API: each area's routes (a Blueprint in `chalicelib/web/routes/`) and the event functions.

Heavy modules (boto3, PynamoDB, PyJWT, Powertools) load on first use, not at import: routes and events
import their use cases when they are called.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, CloudWatchEvent, Cron, DynamoDBEvent, Rate, SQSEvent

from chalicelib.web.api import edge
from chalicelib.web.routes import (
    audit,
    cashout,
    catalogue,
    donations,
    gifts,
    history,
    malls,
    merchants,
    news,
    orders,
    payments,
    policies,
    settlement,
    system,
    tax_ids,
    wallet,
)

app = Chalice(app_name="seoro", configure_logs=False)

AREAS = (system, wallet, payments, merchants, catalogue, orders, malls, policies, settlement, news, donations, tax_ids,
         audit, history, gifts, cashout)
"""Every area's routes; the OpenAPI document lists them in this order."""
for area in AREAS:
    app.register_blueprint(area.routes.blueprint)
app.register_middleware(edge, "http")  # body size, and Chalice's own 405 and 500 in the error shape


# ---- events: S3 (through SQS), SQS, the table's stream and schedules ------------------------------

TABLE_STREAM = "arn:aws:dynamodb:ap-northeast-2:123456789012:table/seoro-main/stream/named-by-the-template"
"""Chalice wants a stream ARN when the app is imported; the packaged template replaces it with the table's own
(infra/functions.yaml, `Fn::GetAtt: [MainTable, StreamArn]`), and the local runner reads the local table's
stream (devstack/runner.py)."""


@app.on_sqs_message(queue="seoro-notices", batch_size=10)
def notice_uploads(event: SQSEvent) -> Any:
    """S3 notifications of the notices bucket (created and removed `notices/*.md`), through SQS."""
    from chalicelib.handlers import news as news_use_cases

    return news_use_cases.on_sqs_batch(event.to_dict(), event.context)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def news_schedule(event: CloudWatchEvent) -> Any:
    """Every minute: publish the posts whose publish_at has come, retire the expired ones."""
    from chalicelib.handlers import news as news_use_cases

    return news_use_cases.on_schedule()


@app.schedule(Cron(0, 16, "*", "*", "?", "*"))
def monthly_settlement(event: CloudWatchEvent) -> Any:
    """Daily at 16:00 UTC = 01:00 KST; on the 1st it settles the month that closed at midnight."""
    from chalicelib.handlers import settlement as settlement_use_cases

    return settlement_use_cases.on_schedule(event.time)


@app.on_sqs_message(queue="seoro-settlement", batch_size=5)
def settlement_worker(event: SQSEvent) -> Any:
    """One message per shard of residents (or the rest of one); failures are reported per message."""
    from chalicelib.handlers import settlement as settlement_use_cases

    return settlement_use_cases.on_sqs_batch(event.to_dict(), event.context)


@app.schedule(Cron(0, 18, "*", "*", "?", "*"))
def purge_shipping_data(event: Any) -> Any:
    """Daily at 03:00 KST: orders' personal data goes a set time after the order ends, however it ended."""
    from chalicelib.handlers import orders as order_use_cases

    return order_use_cases.purge_shipping_data()


@app.schedule(Rate(5, unit=Rate.MINUTES))
def return_unclaimed_gifts(event: CloudWatchEvent) -> Any:
    """Every 5 minutes: each gift unclaimed 72 hours after it was sent goes back to its sender, once."""
    from chalicelib.handlers import gifts as gift_use_cases

    return gift_use_cases.return_unclaimed()


@app.on_dynamodb_record(stream_arn=TABLE_STREAM, batch_size=10, starting_position="TRIM_HORIZON")
def auto_charge(event: DynamoDBEvent) -> Any:
    """The table's stream, filtered to wallets with an automatic top-up: a change that takes the charged balance
    below the resident's threshold tops it up, once (자동충전), without the payment that made it waiting."""
    from chalicelib.handlers import autocharge

    return autocharge.on_stream_batch(event.to_dict(), event.context)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def cashout_sweep(event: CloudWatchEvent) -> Any:
    """Every 5 minutes: payouts to the bank whose request was lost are paid (or given back), and automatic
    top-ups whose worker was lost are completed."""
    from chalicelib.handlers import cashout as cashout_use_cases

    return cashout_use_cases.on_schedule()
