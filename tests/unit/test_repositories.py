"""Every repository `Repositories` names has a class in both families (chalicelib/repositories.py), each built
once, on first use."""

from __future__ import annotations

import pytest

from chalicelib.repositories import CLASSES, NAMES, memory_repositories
from tests.support import settings_for_tests


def test_every_repository_has_a_dynamodb_class_and_an_in_memory_twin_of_the_same_protocol_name() -> None:
    assert set(CLASSES) == NAMES
    for dynamo, memory in CLASSES.values():
        assert dynamo.split(":")[1].removeprefix("Dynamo") == memory.split(":")[1].removeprefix("Memory")


def test_the_in_memory_family_builds_each_repository_once_and_refuses_an_unknown_name() -> None:
    repos = memory_repositories(settings_for_tests())
    built = {name: getattr(repos, name) for name in NAMES}
    assert all(getattr(repos, name) is built[name] for name in NAMES)
    assert type(built["wallets"]).__name__ == "MemoryWallets"
    with pytest.raises(AttributeError):
        repos.built("nothing")
