"""Use-case tests: the real app and use cases behind `chalice.test.Client`, on the in-memory repositories and
adapters (no moto, no network). The contract tests in tests/service hold the in-memory twins to the
DynamoDB repositories' behaviour."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from chalicelib import composition
from chalicelib.handlers.admin import seed_defaults
from tests.support import Env, SettableClock, SigningKey, settings_for_tests

SETTLEMENT_QUEUE = "seoro-settlement"


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return SigningKey(tmp_path_factory.mktemp("keys"))


def deliver_shard_messages(env: Env) -> None:
    """What SQS and Lambda do with the settlement queue: deliver each message to the worker, again if it
    failed, until the queue is empty."""
    queue = env.container.shards
    for _ in range(500):
        bodies = queue.take()  # type: ignore[attr-defined]
        if not bodies:
            return
        for body in bodies:
            event = env.client.events.generate_sqs_event(message_bodies=[body], queue_name=SETTLEMENT_QUEUE)
            failed = env.client.lambda_.invoke("settlement_worker", event).payload.get("batchItemFailures") or []
            if failed:
                queue.pending.append(body)  # type: ignore[attr-defined]
    raise AssertionError("the settlement queue did not drain")


def memory_app(signing_key: SigningKey, clock: SettableClock, **settings: object) -> composition.Container:
    """Override the composition with the in-memory parts; seeds the Season 2 policy and the campaigns."""
    parts = composition.in_memory(settings_for_tests(auth_jwks_file=str(signing_key.jwks_file), **settings))
    c = composition.override(clock=clock, **parts)
    seed_defaults()
    return c


@pytest.fixture
def env(signing_key: SigningKey) -> Iterator[Env]:
    clock = SettableClock()
    memory_app(signing_key, clock)
    from app import app

    with Client(app) as client:
        yield Env(client, clock, signing_key, deliver_shard_messages)
    composition.reset()
