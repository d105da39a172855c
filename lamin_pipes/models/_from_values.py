"""``from_values``: the records for a list of values, existing ones and new ones.

:func:`records_from_values` loads the records whose field matches a value (exactly, in
another casing or through a synonym; see ``_curate_match.map_values``) and, with
``create=True``, builds unsaved records for the values that match nothing.
:func:`new_records` builds those in bulk: ``ULabel.from_values([...], create=True)``
with ten thousand values is meant to cost milliseconds, not a constructor call each.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

from ..core._uid import UID_LENGTHS, base62_batch
from ..orm.query_set import QuerySet
from ..orm.sqlrecord import BaseSQLRecord
from ..orm.sqlrecord_list import SQLRecordList
from ._curate_log import log_from_values
from ._curate_match import IN_CHUNK, map_values, restrict
from ._curate_values import as_list, str_field, unique_strings

if TYPE_CHECKING:
    from ..orm.sqlrecord_list import SQLRecordList


def new_records(model: Any, field: str, values: list[str]) -> list[Any]:
    """Unsaved records of ``model`` with ``field`` set to each value.

    Equivalent to ``[model(**{field: v}) for v in values]``. For registries that keep
    the standard constructor it fills each record's state directly, with the defaults
    ``BaseSQLRecord.__init__`` would set (``Options.init_defaults``) and the uids drawn
    in one batch, which is several times faster. Registries that override
    ``__init__`` get their constructor.

    Examples:
        >>> import lamin_pipes as ln
        >>> records = new_records(ln.ULabel, "name", ["a", "b"])
        >>> [r.name for r in records], [len(r.uid) for r in records], records[0].id
        (['a', 'b'], [8, 8], None)
    """
    manager = model._sa_class_manager
    if manager.original_init is not BaseSQLRecord.__init__:
        return [model(**{field: value}) for value in values]
    attname = model._meta.fields[field].attname
    constant: dict[str, Any] = {}
    generated: list[tuple[str, Any]] = []
    uids: list[tuple[str, list[str]]] = []
    for key, default, is_callable in model._meta.init_defaults():
        if key == attname:
            continue
        if not is_callable:
            constant[key] = default
        elif default in UID_LENGTHS:
            uids.append((key, base62_batch(len(values), UID_LENGTHS[default])))
        else:
            generated.append((key, default))
    records = []
    new_instance = manager.new_instance
    collecting = gc.isenabled()
    gc.disable()  # allocating many tracked objects would trigger full collections
    try:
        for i, value in enumerate(values):
            record = new_instance()
            state = record.__dict__
            state.update(constant)
            for key, factory in generated:
                state[key] = factory()
            for key, drawn in uids:
                state[key] = drawn[i]
            state[attname] = value
            records.append(record)
    finally:
        if collecting:
            gc.enable()
    return records


def records_from_values(
    model: Any,
    values: Any,
    field: Any = None,
    create: bool = False,
    organism: Any = None,
    source: Any = None,
    mute: bool = False,
) -> SQLRecordList[Any]:
    """The records for ``values`` in input order; see ``CanCurate.from_values``."""
    name = str_field(model, field)
    items = as_list(values)
    unique = unique_strings(items, model, name)
    qs = restrict(QuerySet(model), organism)
    attname = model._meta.fields[name].attname
    mapping = map_values(qs, name, unique)
    targets = mapping.targets
    wanted: set[str] = set()
    for target in targets.values():
        wanted.update(target if isinstance(target, list) else [target])
    by_value: dict[str, list[Any]] = {}
    ids = [r[0] for r in mapping.rows if r[1] in wanted]
    if ids:
        table = model.__table__
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            for record in qs._where_clause(table.c.id.in_(chunk)).order_by("id"):
                by_value.setdefault(getattr(record, attname), []).append(record)
    missing = [v for v in unique if v not in targets]
    created = iter(new_records(model, name, missing) if create else [])
    records: list[Any] = []
    seen: set[int] = set()
    for value in unique:
        if value not in targets:
            if create:
                records.append(next(created))
            continue
        target = targets[value]
        for target_value in target if isinstance(target, list) else [target]:
            for record in by_value.get(target_value, []):
                if record.id not in seen:
                    seen.add(record.id)
                    records.append(record)
    if not mute:
        log_from_values(model, name, mapping, missing, create=create)
    return SQLRecordList(records)
