"""Every area's repository, of one store family (DynamoDB, or the in-memory twins), each built on first use.

A request imports and builds only the repositories it asks for (`GET /wallet` needs no order, gift or news
storage), so a cold start pays for those alone. Each DynamoDB repository defines, when it is built, the item
classes of everything it reads (storage/table.py, `Table.define`), so building them one by one is safe.
"""

from __future__ import annotations

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


def dynamo_repositories(settings: Settings) -> Repositories:
    """The repositories on the main DynamoDB table (each area's item classes are defined on it when its
    repository is built)."""
    from chalicelib.storage.table import Table

    t = Table(settings.table_name, settings.region)
    shards = settings.settlement_shards

    def build(name: str) -> object:
        match name:
            case "wallets":
                from chalicelib.storage.wallets import DynamoWallets

                return DynamoWallets(t, shards)
            case "responses":
                from chalicelib.storage.idempotency import DynamoResponses

                return DynamoResponses(t, settings.idempotency_ttl_seconds)
            case "payments" | "budgets":
                from chalicelib.storage.payments import DynamoBudgets, DynamoPayments

                return DynamoPayments(t) if name == "payments" else DynamoBudgets(t)
            case "merchants" | "catalogue":
                from chalicelib.storage.merchants import DynamoCatalogue, DynamoMerchants

                return DynamoMerchants(t) if name == "merchants" else DynamoCatalogue(t)
            case "orders":
                from chalicelib.storage.orders import DynamoOrders

                return DynamoOrders(t)
            case "campaigns" | "donations":
                from chalicelib.storage.donations import DynamoCampaigns, DynamoDonations

                return DynamoCampaigns(t) if name == "campaigns" else DynamoDonations(t, shards)
            case "tax_ids":
                from chalicelib.storage.tax_ids import DynamoTaxIds

                return DynamoTaxIds(t)
            case "settlements":
                from chalicelib.storage.settlement import DynamoSettlements

                return DynamoSettlements(t)
            case "policies":
                from chalicelib.storage.policies import DynamoPolicies

                return DynamoPolicies(t)
            case "news":
                from chalicelib.storage.news import DynamoNews

                return DynamoNews(t)
            case "audit":
                from chalicelib.storage.audit import DynamoAudit

                return DynamoAudit(t)
            case "gifts":
                from chalicelib.storage.gifts import DynamoGifts

                return DynamoGifts(t)
            case "cashouts":
                from chalicelib.storage.cashout import DynamoCashouts

                return DynamoCashouts(t)
            case "keys":
                from chalicelib.storage.keys import DynamoKeys

                return DynamoKeys(t)
        raise AttributeError(f"no repository called {name!r}")

    return Repositories(t, build)


def memory_repositories(settings: Settings) -> Repositories:
    """The in-memory twins, sharing one in-memory table."""
    from chalicelib.storage.memory.table import MemoryTable

    t = MemoryTable()
    shards = settings.settlement_shards

    def build(name: str) -> object:
        match name:
            case "wallets":
                from chalicelib.storage.memory.wallets import MemoryWallets

                return MemoryWallets(t, shards)
            case "responses":
                from chalicelib.storage.memory.idempotency import MemoryResponses

                return MemoryResponses(t)
            case "payments" | "budgets":
                from chalicelib.storage.memory.payments import MemoryBudgets, MemoryPayments

                return MemoryPayments(t) if name == "payments" else MemoryBudgets(t)
            case "merchants" | "catalogue":
                from chalicelib.storage.memory.merchants import MemoryCatalogue, MemoryMerchants

                return MemoryMerchants(t) if name == "merchants" else MemoryCatalogue(t)
            case "orders":
                from chalicelib.storage.memory.orders import MemoryOrders

                return MemoryOrders(t)
            case "campaigns" | "donations" | "tax_ids":
                from chalicelib.storage.memory.donations import MemoryCampaigns, MemoryDonations, MemoryTaxIds

                if name == "campaigns":
                    return MemoryCampaigns(t)
                return MemoryDonations(t, shards) if name == "donations" else MemoryTaxIds(t)
            case "settlements":
                from chalicelib.storage.memory.settlement import MemorySettlements

                return MemorySettlements(t)
            case "policies":
                from chalicelib.storage.memory.policies import MemoryPolicies

                return MemoryPolicies(t)
            case "news":
                from chalicelib.storage.memory.news import MemoryNews

                return MemoryNews(t)
            case "audit":
                from chalicelib.storage.memory.audit import MemoryAudit

                return MemoryAudit(t)
            case "gifts":
                from chalicelib.storage.memory.gifts import MemoryGifts

                return MemoryGifts(t)
            case "cashouts":
                from chalicelib.storage.memory.cashout import MemoryCashouts

                return MemoryCashouts(t)
            case "keys":
                from chalicelib.storage.memory.keys import MemoryKeys

                return MemoryKeys(t)
        raise AttributeError(f"no repository called {name!r}")

    return Repositories(t, build)
