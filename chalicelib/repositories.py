"""Every area's repository, of one store family (DynamoDB, or the in-memory twins), each built on first use.

A request imports and builds only the repositories it asks for (`GET /wallet` needs no order, gift or news
storage), so a cold start pays for those alone. Each DynamoDB repository defines, when it is built, the item
classes of everything it reads (storage/table.py, `Table.define`), so building them one by one is safe.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

if TYPE_CHECKING:
    from chalicelib.domain.ports.audit import Audit
    from chalicelib.domain.ports.cashout import Cashouts
    from chalicelib.domain.ports.donations import Campaigns, Donations, TaxIds
    from chalicelib.domain.ports.gifts import Gifts
    from chalicelib.domain.ports.idempotency import Responses
    from chalicelib.domain.ports.keys import StoredKeys
    from chalicelib.domain.ports.merchants import Catalogue, Merchants
    from chalicelib.domain.ports.news import News
    from chalicelib.domain.ports.orders import Orders
    from chalicelib.domain.ports.payments import Budgets, Payments
    from chalicelib.domain.ports.policies import Policies
    from chalicelib.domain.ports.settlement import Settlements
    from chalicelib.domain.ports.unit import Store
    from chalicelib.domain.ports.wallets import Wallets
    from chalicelib.settings import Settings

T = TypeVar("T")


class _Repository(Generic[T]):
    """An attribute of `Repositories`: its area's repository, built by the family's builder when first read,
    then kept. It cannot be reassigned (the repositories are one immutable set)."""

    name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _Repository[T]: ...

    @overload
    def __get__(self, obj: Repositories, owner: type[Any]) -> T: ...

    def __get__(self, obj: Repositories | None, owner: type[Any]) -> _Repository[T] | T:
        if obj is None:
            return self
        return cast(T, obj.built(self.name))

    def __set__(self, obj: Repositories, value: T) -> None:
        raise AttributeError(f"the repositories are immutable: cannot assign {self.name!r}")


class Repositories:
    """Every area's repository, all of one store family, sharing `store` (the table)."""

    wallets: _Repository[Wallets] = _Repository()
    responses: _Repository[Responses] = _Repository()
    payments: _Repository[Payments] = _Repository()
    budgets: _Repository[Budgets] = _Repository()
    merchants: _Repository[Merchants] = _Repository()
    catalogue: _Repository[Catalogue] = _Repository()
    orders: _Repository[Orders] = _Repository()
    campaigns: _Repository[Campaigns] = _Repository()
    donations: _Repository[Donations] = _Repository()
    tax_ids: _Repository[TaxIds] = _Repository()
    settlements: _Repository[Settlements] = _Repository()
    policies: _Repository[Policies] = _Repository()
    news: _Repository[News] = _Repository()
    audit: _Repository[Audit] = _Repository()
    gifts: _Repository[Gifts] = _Repository()
    cashouts: _Repository[Cashouts] = _Repository()
    keys: _Repository[StoredKeys] = _Repository()

    def __init__(self, store: Store, build: Callable[[str], object]) -> None:
        """`build(name)` makes the repository called `name` (an attribute above) on `store`."""
        self._store = store
        self._build = build
        self._built: dict[str, object] = {}
        self._lock = threading.RLock()

    @property
    def store(self) -> Store:
        return self._store

    def built(self, name: str) -> object:
        """The repository called `name`, built on the first call (once, whatever the threads)."""
        with self._lock:
            if name not in self._built:
                self._built[name] = self._build(name)
            return self._built[name]

    def replace(self, *, store: Store | None = None, **repositories: object) -> Repositories:
        """These repositories with some parts replaced (tests: a store that fails or races); the others are
        this set's own, shared (built when either set first asks for them)."""
        unknown = set(repositories) - NAMES
        if unknown:
            raise TypeError(f"no repository called {', '.join(sorted(unknown))}")
        return Repositories(store if store is not None else self._store,
                            lambda name: repositories[name] if name in repositories else self.built(name))


NAMES = frozenset(name for name, value in vars(Repositories).items() if isinstance(value, _Repository))
"""The repositories' names (the attributes of `Repositories` besides `store`)."""


CLASSES: dict[str, tuple[str, str]] = {
    "wallets": ("wallets:DynamoWallets", "memory.wallets:MemoryWallets"),
    "responses": ("idempotency:DynamoResponses", "memory.idempotency:MemoryResponses"),
    "payments": ("payments:DynamoPayments", "memory.payments:MemoryPayments"),
    "budgets": ("payments:DynamoBudgets", "memory.payments:MemoryBudgets"),
    "merchants": ("merchants:DynamoMerchants", "memory.merchants:MemoryMerchants"),
    "catalogue": ("merchants:DynamoCatalogue", "memory.merchants:MemoryCatalogue"),
    "orders": ("orders:DynamoOrders", "memory.orders:MemoryOrders"),
    "campaigns": ("donations:DynamoCampaigns", "memory.donations:MemoryCampaigns"),
    "donations": ("donations:DynamoDonations", "memory.donations:MemoryDonations"),
    "tax_ids": ("tax_ids:DynamoTaxIds", "memory.donations:MemoryTaxIds"),
    "settlements": ("settlement:DynamoSettlements", "memory.settlement:MemorySettlements"),
    "policies": ("policies:DynamoPolicies", "memory.policies:MemoryPolicies"),
    "news": ("news:DynamoNews", "memory.news:MemoryNews"),
    "audit": ("audit:DynamoAudit", "memory.audit:MemoryAudit"),
    "gifts": ("gifts:DynamoGifts", "memory.gifts:MemoryGifts"),
    "cashouts": ("cashout:DynamoCashouts", "memory.cashout:MemoryCashouts"),
    "keys": ("keys:DynamoKeys", "memory.keys:MemoryKeys"),
}
"""Each repository's class in `chalicelib.storage` (`module:Class`): DynamoDB's, then its in-memory twin's. Each
is imported when the repository is first asked for."""
SHARDED = frozenset({"wallets", "donations"})
"""The repositories that also take the number of settlement shards."""


def _class(where: str) -> Any:
    module, name = where.split(":")
    return getattr(importlib.import_module(f"chalicelib.storage.{module}"), name)


def _builder(family: int, table: object, settings: Settings) -> Callable[[str], object]:
    """Builds the repository `name` of one family (0: DynamoDB, 1: in memory) on `table`."""

    def build(name: str) -> object:
        if name not in CLASSES:
            raise AttributeError(f"no repository called {name!r}")
        cls = _class(CLASSES[name][family])
        if name in SHARDED:
            return cls(table, settings.settlement_shards)
        if name == "responses" and family == 0:
            return cls(table, settings.idempotency_ttl_seconds)
        return cls(table)

    return build


def dynamo_repositories(settings: Settings) -> Repositories:
    """The repositories on the main DynamoDB table (each area's item classes are defined on it when its
    repository is built)."""
    from chalicelib.storage.table import Table

    t = Table(settings.table_name, settings.region)
    return Repositories(t, _builder(0, t, settings))


def memory_repositories(settings: Settings) -> Repositories:
    """The in-memory twins, sharing one in-memory table."""
    from chalicelib.storage.memory.table import MemoryTable

    t = MemoryTable()
    return Repositories(t, _builder(1, t, settings))
