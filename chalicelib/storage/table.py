"""The single main table, shared by every area: the base item, batched reads areas register keys into,
transactions areas stage writes into, paging with opaque cursors, and storage errors as domain errors.

Every item type lives in this one table, told apart by the `entry` discriminator, so a use case's reads
are one BatchGetItem and its writes one TransactWriteItems whatever areas they touch. Each area's module
defines its own item classes on the base (`Table.define`), its keys and its converters; `docs/ARCHITECTURE.md`
lists every key.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pynamodb.attributes import DiscriminatorAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain import cursors
from chalicelib.domain.errors import Contention, StorageUnavailable, ValidationFailed
from chalicelib.domain.ports.unit import Key, Page
from chalicelib.storage.wanted import Wanted

T = TypeVar("T")
PAGE_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")
GSI2_KEYS = ("pk", "sk", "gsi2pk", "gsi2sk")
TABLE_KEYS = ("pk", "sk")


def define_every_area() -> None:
    """Define every area's item classes (each storage module's `define(Item)`) on every table of the process.
    Repositories define what they read when they are built; this is the net under that: an item of an area this
    process has not used yet, met by a batched read, is then decoded rather than refused."""
    import chalicelib.storage as storage

    for area in pkgutil.iter_modules(storage.__path__):
        build = getattr(importlib.import_module(f"{storage.__name__}.{area.name}"), "define", None)
        if area.ispkg or build is None:
            continue
        with _DEFINING:
            tables = list(_TABLES)
        for table in tables:
            table.define(build)


class _Entry(DiscriminatorAttribute):
    """The `entry` discriminator, which defines the rest of the areas when it meets a value it does not know."""

    def deserialize(self, value: Any) -> type:
        try:
            return super().deserialize(value)  # type: ignore[no-any-return]
        except ValueError:
            define_every_area()
            return super().deserialize(value)  # type: ignore[no-any-return]


def define_base(table_name: str, region: str) -> Any:
    """The base item of `table_name`: keys, the discriminator and the two general-purpose indexes."""

    class Gsi1(GlobalSecondaryIndex[Any]):
        class Meta:
            index_name = "gsi1"
            projection = AllProjection()

        gsi1pk = UnicodeAttribute(hash_key=True)
        gsi1sk = UnicodeAttribute(range_key=True)

    class Gsi2(GlobalSecondaryIndex[Any]):
        class Meta:
            index_name = "gsi2"
            projection = AllProjection()

        gsi2pk = UnicodeAttribute(hash_key=True)
        gsi2sk = UnicodeAttribute(range_key=True)

    class Item(Model):
        class Meta:
            pass

        pk = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)
        entry = _Entry()
        gsi1pk = UnicodeAttribute(null=True)
        gsi1sk = UnicodeAttribute(null=True)
        gsi2pk = UnicodeAttribute(null=True)
        gsi2sk = UnicodeAttribute(null=True)
        gsi1 = Gsi1()
        gsi2 = Gsi2()

    Item.Meta.table_name = table_name  # type: ignore[attr-defined]
    Item.Meta.region = region  # type: ignore[attr-defined]
    return Item


@dataclass(frozen=True)
class Put:
    """Write a whole item if `condition` holds; `refused` is the error a failed condition means."""

    item: Any
    condition: Any = None
    refused: Callable[[], Exception] | None = None


@dataclass(frozen=True)
class Update:
    """Apply `actions` to an item if `condition` holds."""

    item: Any
    actions: list[Any]
    condition: Any = None
    refused: Callable[[], Exception] | None = None


@dataclass(frozen=True)
class Delete:
    """Remove an item (its keys are what matters) if `condition` holds."""

    item: Any
    condition: Any = None
    refused: Callable[[], Exception] | None = None


_DEFINED: list[Callable[[Any], Any]] = []
"""Every area's `define` any table of the process has been given so far, in order."""
_TABLES: weakref.WeakSet[Table] = weakref.WeakSet()
_DEFINING = threading.RLock()


class Table:
    """The table's base item, one connection (one botocore client) for every item type, and the plumbing.

    An area's item classes are defined when its repository is first built (composition builds them on first
    use), and then on every table of the process at once: a table can read any item a repository of the
    process wants in its batches, whichever table that repository was built on (tests mix them)."""

    def __init__(self, table_name: str, region: str) -> None:
        self.Item: Any = define_base(table_name, region)
        self._areas: dict[Callable[[Any], Any], Any] = {}
        with _DEFINING:
            _TABLES.add(self)
            for build in _DEFINED:
                self._define_here(build)

    def define(self, build: Callable[[Any], T]) -> T:
        """An area's item classes on this table, built once: `build(Item)` subclasses the base."""
        with _DEFINING:
            if build not in _DEFINED:
                _DEFINED.append(build)
                for table in list(_TABLES):
                    table._define_here(build)
            return self._areas[build]  # type: ignore[no-any-return]

    def _define_here(self, build: Callable[[Any], Any]) -> None:
        if build in self._areas:
            return
        self._areas[build] = build(self.Item)
        shared = self.Item._get_connection()
        for cls in _subclasses(self.Item):
            cls._connection = shared  # type: ignore[attr-defined]

    def connection(self) -> Connection:
        conn: Connection = self.Item._get_connection().connection
        return conn

    def batch(self) -> DynamoBatch:
        return DynamoBatch(self)

    def tx(self) -> DynamoTx:
        return DynamoTx(self)

    def guard(self, fn: Callable[[], T]) -> T:
        """Run a storage call; its failures become domain errors (never a 5xx with the driver's words)."""
        try:
            return fn()
        except PynamoDBException as exc:
            if error_code(exc) == "ValidationException":
                raise ValidationFailed("the request does not fit the stored data (bad cursor?)") from exc
            raise StorageUnavailable("the store is unavailable") from exc

    def get(self, model: Any, key: Key) -> Any | None:
        """One item by key (consistent), or None."""
        try:
            return model.get(*key, consistent_read=True)
        except model.DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise StorageUnavailable("the store is unavailable") from exc

    def save_if(self, item: Any, condition: Any) -> bool:
        """Write one item if `condition` holds; False when it did not."""
        try:
            item.save(condition=condition)
            return True
        except PynamoDBException as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise StorageUnavailable("the store is unavailable") from exc

    def update_if(self, item: Any, actions: list[Any], condition: Any) -> bool:
        """Update one item if `condition` holds; False when it did not."""
        try:
            item.update(actions=actions, condition=condition)
            return True
        except PynamoDBException as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise StorageUnavailable("the store is unavailable") from exc

    def page(
        self,
        query: Callable[[dict[str, Any] | None, int], Any],
        convert: Callable[[Any], T],
        cursor: str | None,
        limit: int,
        key_names: tuple[str, ...],
        expected_hash: str,
    ) -> Page[T]:
        """Up to `limit` items, collected across DynamoDB pages (a filter may thin a page), and a cursor only if
        more items follow: one more than `limit` is asked for, so a page that ends the list says so.

        `query(start, n)` reads on from `start` asking for `n` items. `key_names` name the item's keys and the
        queried index's (`pk, sk` for the table, or `pk, sk, gsiNpk, gsiNsk`); the queried partition key,
        which a cursor must carry unchanged, is the third name, or the first for the table itself.
        """
        hash_index = 0 if len(key_names) == 2 else 2
        start = decode_cursor(cursor, key_names, expected_hash, hash_index)
        items: list[Any] = []
        while True:
            wanted = limit + 1 - len(items)
            result = self.guard(lambda s=start, n=wanted: query(s, n))  # type: ignore[misc]
            items.extend(self.guard(lambda r=result, n=wanted: list(_take(r, n))))  # type: ignore[misc]
            if len(items) > limit or not result.last_evaluated_key:
                break
            start = result.last_evaluated_key
        more = len(items) > limit
        items = items[:limit]
        last = {k: {"S": getattr(items[-1], k)} for k in key_names} if more else None
        return Page(items=[convert(it) for it in items], next=encode_cursor(last) if last else None)


class DynamoBatch(Wanted):
    """The keys a unit of work needs, fetched in one consistent BatchGetItem."""

    def __init__(self, table: Table) -> None:
        super().__init__()
        self.table = table

    def run(self) -> None:
        keys = list(self.wanted)
        items = self.table.guard(lambda: list(self.table.Item.batch_get(keys, consistent_read=True))) if keys else []
        self.deliver([((it.pk, it.sk), it) for it in items])


@dataclass
class DynamoTx:
    """Writes staged by the areas, sent as one TransactWriteItems."""

    table: Table
    _writes: list[Put | Update | Delete] = field(default_factory=list)

    def add(self, write: Any) -> None:
        if not isinstance(write, Put | Update | Delete):
            raise TypeError(f"a DynamoDB transaction takes Put, Update and Delete, not {type(write).__name__}")
        self._writes.append(write)

    def commit(self) -> None:
        """All or nothing. A failed condition raises the write's own error if it names one (the first in
        the order DynamoDB reports them), else `Contention`: the caller reads again and recomputes."""
        if not self._writes:
            return
        # PynamoDB sends deletes, then puts, then updates, and reports cancellation reasons in that order.
        sent: list[Put | Update | Delete] = [w for kind in (Delete, Put, Update) for w in self._writes
                                             if isinstance(w, kind)]
        try:
            with TransactWrite(connection=self.table.connection()) as tx:
                for w in sent:
                    if isinstance(w, Delete):
                        tx.delete(w.item, condition=w.condition)
                    elif isinstance(w, Put):
                        tx.save(w.item, condition=w.condition)
                    else:
                        tx.update(w.item, actions=w.actions, condition=w.condition)
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            for w, reason in zip(sent, reasons, strict=False):
                if reason is not None and reason.code == "ConditionalCheckFailed" and w.refused is not None:
                    raise w.refused() from exc
            if exc.cause_response_code in ("TransactionCanceledException", "TransactionConflictException"):
                raise Contention("a concurrent request changed the same records") from exc
            raise StorageUnavailable("the store refused the transaction") from exc


def version_condition(table: Table, model: Any, read_version: int) -> Any:
    """Optimistic concurrency: the item is still at the version it was read at (0: it does not exist)."""
    if read_version == 0:
        return table.Item.pk.does_not_exist()
    return model.version == read_version


def error_code(exc: PynamoDBException) -> str | None:
    code = getattr(exc, "cause_response_code", None)
    return str(code) if code else None


def cancelled_by_condition(exc: TransactWriteError) -> bool:
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or [])


def int_map(raw: Any) -> dict[str, int]:
    """A stored map of numbers back into plain ints."""
    data = raw.as_dict() if hasattr(raw, "as_dict") else dict(raw or {})
    return {str(k): int(v) for k, v in data.items()}


def _subclasses(cls: type[Any]) -> Iterable[type[Any]]:
    sub: type[Any]
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _take(iterator: Iterator[Any], n: int) -> Iterable[Any]:
    for i, item in enumerate(iterator):
        yield item
        if i + 1 >= n:
            return


def encode_cursor(key: dict[str, Any]) -> str:
    return cursors.pack({k: v["S"] for k, v in key.items()})


def decode_cursor(
    cursor: str | None, key_names: tuple[str, ...], expected_hash: str, hash_index: int = 2
) -> dict[str, Any] | None:
    """An opaque `next` token back into a start key; anything not minted for this list is a 400."""
    if cursor is None:
        return None
    data = cursors.unpack(cursor)
    if (
        set(data) != set(key_names)
        or not all(isinstance(v, str) and 0 < len(v) <= 512 for v in data.values())
        or data.get(key_names[hash_index]) != expected_hash
    ):
        raise ValidationFailed("next is not a valid cursor for this list")
    return {k: {"S": v} for k, v in data.items()}
