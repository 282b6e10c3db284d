"""Fixes to moto's DynamoDB emulator so that it costs per request what DynamoDB costs per request: the local
stack's moto server runs with them for its whole life (`install()`, devstack/moto_server.py), and the settlement
benchmark inside `indexed_moto()` (bench/settlement.py). The app never imports this.

moto 5.2's emulator is written for small tables. Three of its operations cost O(items in the table):

- `Table.query` builds the list of *every* item of the table and filters it by hash key, for a table
  query (the resident's ledger) and an index query (a shard's page of wallets) alike, then sorts the
  partition and steps over every item before the exclusive start key;
- `Table.scan` of one segment (the settlement's books check) sorts every item of the table on every page,
  then steps over all of them, hashing each one's key to find its segment and comparing it with the
  exclusive start key;
- `DynamoDBBackend.transact_write_items` `deepcopy`s the whole table before every transaction, to roll
  back if a condition fails.

With a million items that is seconds per request, and settling N residents makes ~N of each, so the run
time would grow with N²: a figure about moto, not about the settlement. `indexed_moto()` swaps in

- a candidate lookup: a table query looks only at the items of its partition (`table.items[hash]`); an
  index query only at the items written with that index hash value, from the exclusive start key on,
  in moto's order, and at most `Limit + 1` of them when nothing but the key condition narrows the page
  (an index kept on the side per table, filled by `Table.put_item` and `update_item`, sorted lazily).
  moto's own `query` then runs unchanged on those candidates (sorting, start key, limits, 1 MB pages,
  conditions, projection);
- for a table scan of one segment, the segment's partition keys (each partition key's segment computed once,
  with moto's own hash, and kept per number of segments until a partition key is added), in moto's order,
  from the exclusive start key's partition on, and items handed over one by one as moto's `scan` asks for
  them, so a page touches about `Limit` items; moto's `scan` then runs unchanged on them (segment check,
  start key, limit, 1 MB pages, filters, projection);
- a projection (`Item.project`) of top-level attributes converts the item to plain JSON once, not once per
  attribute projected (the books check projects twelve); moto's own `project` then runs unchanged on it;
- an undo log: before a transaction each item it names is copied, and put back if moto cancels the
  transaction. moto's own `transact_write_items` then runs unchanged, except that its copy of the whole
  table is skipped.

Two more costs grow with the run rather than the table, or are flat but large:

- moto keeps every `Item` it ever built in a class-level list (`BaseModel.instances_tracked`, for its
  dashboard): each credit's new wallet, month and ledger items and every copy made to roll a transaction
  back stay in memory for good (~25 KB per resident settled; 300,000 residents would need ~8 GB more).
  Inside `indexed_moto()` that list keeps nothing; the table itself still holds every live item;
- moto serialises every response through botocore's shape model, attribute by attribute (~25 µs an
  attribute value), so a ledger Query of ten items costs ~15 ms of emulation. DynamoDB's results are
  already in wire form (`{"S": ...}` maps), so for DynamoDB the body is `json.dumps` of the result. The
  first 25 responses of each operation are also serialised moto's way and must decode to the same JSON,
  or the benchmark stops.

`scanning()` turns the candidate lookup off for a block: after seeding, the benchmark reads every page of
two shards, three ledgers and one books segment both ways and stops unless the answers are the same.
"""

from __future__ import annotations

import bisect
import copy
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

_INDEX_ATTR = "_bench_index"
_SEGMENTS_ATTR = "_bench_segments"
_state: dict[str, Any] = {"indexed": True}


def _hash_attrs(table: Any) -> list[str]:
    """The hash-key attribute of every index of the table that has exactly one."""
    names = []
    for index in table.all_indexes():
        hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        if len(hashes) == 1:
            names.append(hashes[0])
    return names


def _index(table: Any) -> dict[str, dict[Any, dict[tuple[Any, Any], None]]]:
    found: dict[str, dict[Any, dict[tuple[Any, Any], None]]] | None = getattr(table, _INDEX_ATTR, None)
    if found is None:
        found = {attr: {} for attr in _hash_attrs(table)}
        setattr(table, _INDEX_ATTR, found)
        for item in _original["all_items"](table):
            _note(table, found, item)
    return found


def _note(table: Any, index: dict[str, dict[Any, dict[tuple[Any, Any], None]]], item: Any) -> None:
    for attr, by_value in index.items():
        value = item.attrs.get(attr)
        if value is not None:
            by_value.setdefault(value, {})[(item.hash_key, item.range_key)] = None


def _lookup(table: Any, hash_key: Any, range_key: Any) -> Any:
    part = table.items.get(hash_key)
    if part is None:
        return None
    if table.range_key_attr is None:
        return part
    return part.get(range_key)


def _candidates(table: Any, hash_key: Any, index_name: str | None, conditions: list[tuple[str, Any]]) -> list[Any] | None:
    """The items a query can match, or None to let moto look at all of them."""
    if not index_name:
        key = hash_key if hash_key is not None else dict(conditions).get(table.hash_key_attr)
        if key is None:
            return None
        part = table.items.get(key)
        if part is None:
            return []
        return [part] if table.range_key_attr is None else list(part.values())
    indexes = {i.name: i for i in table.all_indexes()}
    if index_name not in indexes:
        return None
    hashes = [k["AttributeName"] for k in indexes[index_name].schema if k["KeyType"] == "HASH"]
    wanted = dict(conditions).get(hashes[0]) if len(hashes) == 1 else None
    if wanted is None:
        return None
    keys = _index(table).get(hashes[0], {}).get(wanted, {})
    items = (_lookup(table, hk, rk) for hk, rk in list(keys))
    return [it for it in items if it is not None]


def _query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    if not _state["indexed"]:
        return _original["query"](self, hash_key, *args, **kwargs)
    index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
    found = _candidates(self, hash_key, index_name, list(kwargs.get("hash_key_conditions") or []))
    if found is None:
        return _original["query"](self, hash_key, *args, **kwargs)
    self.all_items = lambda: found  # an instance attribute shadows the method for this one call
    try:
        return _original["query"](self, hash_key, *args, **kwargs)
    finally:
        del self.all_items


def _segment_keys(table: Any, segments: int) -> list[list[Any]] | None:
    """Each segment's partition keys, sorted as moto sorts them; None for a key moto's hash cannot take."""
    from moto.utilities.utils import md5_hash

    cache: dict[int, tuple[tuple[int, int], list[list[Any]]]] = table.__dict__.setdefault(_SEGMENTS_ATTR, {})
    stamp = (id(table.items), len(table.items))  # partition keys are only ever added (moto keeps emptied ones)
    found = cache.get(segments)
    if found is not None and found[0] == stamp:
        return found[1]
    keys: list[list[Any]] = [[] for _ in range(segments)]
    for hk in list(table.items):
        if not isinstance(hk.value, str):
            return None
        keys[md5_hash(hk.value.encode("utf8")).digest()[0] % segments].append(hk)  # Item.is_within_segment
    for part in keys:
        part.sort()
    cache[segments] = (stamp, keys)
    return keys


def _segment_items(table: Any, keys: list[Any], start: dict[str, Any] | None) -> Iterable[Any]:
    """The segment's items in moto's order (hash key, then range key), from the start key's partition on."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    first = 0 if not start else bisect.bisect_left(keys, DynamoType(start[table.hash_key_attr]))
    for hk in keys[first:]:
        part = table.items.get(hk)
        if part:
            yield from sorted(part.values(), key=lambda it: it.range_key)


def _scan(self: Any, filters: Any, limit: Any, exclusive_start_key: Any, *args: Any, **kwargs: Any) -> Any:
    index_name = kwargs.get("index_name", args[1] if len(args) > 1 else None)
    segment, segments = kwargs.get("segments", (None, None))
    keys = None
    if _state["indexed"] and not index_name and segments and self.range_key_attr is not None:
        keys = _segment_keys(self, segments)
    if keys is None:
        return _original["scan"](self, filters, limit, exclusive_start_key, *args, **kwargs)
    found = _segment_items(self, keys[segment], exclusive_start_key)
    self.all_items = lambda: found  # an instance attribute shadows the method for this one call
    try:
        return _original["scan"](self, filters, limit, exclusive_start_key, *args, **kwargs)
    finally:
        del self.all_items


def _project(self: Any, projection_expressions: list[list[str]]) -> Any:
    if not all(len(expr) == 1 and "[" not in expr[0] for expr in projection_expressions):
        return _original["project"](self, projection_expressions)
    regular = self.to_regular_json()  # only read by moto's project when every name is a top-level attribute
    self.to_regular_json = lambda: regular  # an instance attribute shadows the method for this one call
    try:
        return _original["project"](self, projection_expressions)
    finally:
        del self.to_regular_json


def _put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
    item = _original["put_item"](self, *args, **kwargs)
    if getattr(self, _INDEX_ATTR, None) is not None:
        _note(self, getattr(self, _INDEX_ATTR), item)
    return item


def _update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
    item = _original["update_item"](self, table_name, *args, **kwargs)
    table = self.get_table(table_name)
    if item is not None and getattr(table, _INDEX_ATTR, None) is not None:
        _note(table, getattr(table, _INDEX_ATTR), item)
    return item


class _KeepTables:
    """Stands in for the `copy` module inside moto's backend during a transaction: a table is not copied."""

    def __init__(self, table_cls: Any) -> None:
        self._table_cls = table_cls

    def deepcopy(self, x: Any, memo: Any = None) -> Any:
        return x if isinstance(x, self._table_cls) else copy.deepcopy(x, memo)

    def copy(self, x: Any) -> Any:
        return copy.copy(x)


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    models: Any = sys.modules["moto.dynamodb.models"]  # the module whose `copy.deepcopy` copies tables

    undo: list[tuple[Any, Any, Any, Any]] = []
    for entry in transact_items:
        try:
            _, op = next(iter(entry.items()))
            table = self.tables[op["TableName"]]
            key = op.get("Key") or op["Item"]
            hk = DynamoType(key[table.hash_key_attr])
            rk = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, StopIteration, AttributeError, TypeError):
            continue  # moto rejects it before writing anything
        undo.append((table, hk, rk, copy.deepcopy(_lookup(table, hk, rk))))
    streams = {id(t): (t.stream_shard, list(t.stream_shard.items), t.stream_shard.starting_sequence_number)
               for t, _, _, _ in undo if getattr(t, "stream_shard", None) is not None}
    models.copy = _KeepTables(Table)
    try:
        _original["transact_write_items"](self, transact_items)
    except BaseException:
        for shard, records, first in streams.values():  # a cancelled transaction leaves no stream record
            shard.items[:] = records
            shard.starting_sequence_number = first
        for table, hk, rk, before in reversed(undo):
            if table.range_key_attr is None:
                if before is None:
                    table.items.pop(hk, None)
                else:
                    table.items[hk] = before
            elif before is None:
                table.items.get(hk, {}).pop(rk, None)
            else:
                table.items[hk][rk] = before
        raise
    finally:
        models.copy = copy


_CHECKED_RESPONSES = 25
_checked: Counter[str] = Counter()
_headers: dict[str, dict[str, str]] = {}


def _execute_result(self: Any, context: Any) -> Any:
    original = _original["execute_result"]
    result = self.result
    if (type(self).__name__ not in ("ActionResult", "DynamoResult") or isinstance(result, Exception)
            or context.service_model.service_name != "dynamodb"):
        return original(self, context)
    operation = str(context.operation_model.name)
    shape = context.operation_model.output_shape
    try:  # only what the API's shape has: moto's own serialiser drops the rest (DeleteItem's capacity units)
        body = json.dumps({k: v for k, v in result.items() if shape is not None and k in shape.members},
                          separators=(",", ":"))
    except (TypeError, ValueError, AttributeError):
        return original(self, context)
    if _checked[operation] < _CHECKED_RESPONSES:
        status, headers, theirs = original(self, context)
        if status != 200 or json.loads(theirs) != json.loads(body):
            raise AssertionError(f"moto_index: a fast {operation} response differs from moto's own")
        _checked[operation] += 1
        _headers[operation] = dict(headers)
        return status, headers, theirs
    return 200, dict(_headers[operation]), body


_original: dict[str, Any] = {}


class _KeepNothing(list):  # type: ignore[type-arg]
    """Stands in for moto's list of every instance ever made of a model class."""

    def append(self, _: Any) -> None:
        return None


@contextmanager
def indexed_moto() -> Iterator[None]:
    """Patch moto's DynamoDB emulator for the duration (`scanning()` turns the candidate lookup off)."""
    from moto.core.responses import ActionResult
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    if _original:
        raise RuntimeError("indexed_moto() is already active")
    _original.update(
        query=Table.query,
        scan=Table.scan,
        project=Item.project,
        put_item=Table.put_item,
        all_items=Table.all_items,
        update_item=DynamoDBBackend.update_item,
        transact_write_items=DynamoDBBackend.transact_write_items,
        execute_result=ActionResult.execute_result,
        instances_tracked=getattr(Item, "instances_tracked"),  # noqa: B009 (set by moto's metaclass)
    )
    setattr(Item, "instances_tracked", _KeepNothing())  # noqa: B010
    Table.query = _query  # type: ignore[method-assign]
    Table.scan = _scan  # type: ignore[method-assign]
    Item.project = _project  # type: ignore[method-assign]
    Table.put_item = _put_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = _update_item  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    ActionResult.execute_result = _execute_result  # type: ignore[method-assign]
    try:
        yield
    finally:
        setattr(Item, "instances_tracked", _original["instances_tracked"])  # noqa: B010
        ActionResult.execute_result = _original["execute_result"]  # type: ignore[method-assign]
        Table.query = _original["query"]  # type: ignore[method-assign]
        Table.scan = _original["scan"]  # type: ignore[method-assign]
        Item.project = _original["project"]  # type: ignore[method-assign]
        Table.put_item = _original["put_item"]  # type: ignore[method-assign]
        DynamoDBBackend.update_item = _original["update_item"]  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items = _original["transact_write_items"]  # type: ignore[method-assign]
        _original.clear()
        _state["indexed"] = True


_installed: list[AbstractContextManager[None]] = []
"""The context `install()` entered, held for the life of the process: a generator context manager that nobody
references is collected at once, and collecting it runs its `finally`, which takes the patches off again."""


def install() -> None:
    """Patch moto for the rest of this process (the local stack's moto server, which serves until it is killed)."""
    if not _original:
        patched = indexed_moto()
        patched.__enter__()
        _installed.append(patched)


def installed() -> bool:
    """Whether moto is patched right now (`install()` or an open `indexed_moto()` block)."""
    from moto.dynamodb.models import DynamoDBBackend

    return DynamoDBBackend.transact_write_items is _transact_write_items  # type: ignore[comparison-overlap]


@contextmanager
def scanning() -> Iterator[None]:
    """Within this block, queries and scans look at every item of the table again (moto's own behaviour)."""
    before = _state["indexed"]
    _state["indexed"] = False
    try:
        yield
    finally:
        _state["indexed"] = before
