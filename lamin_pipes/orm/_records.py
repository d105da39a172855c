"""What the engine needs to know about a record, without the record classes.

The query compiler, managers, bulk writes and loaders work with records of any
registry. They reach a record's instance, table and state through these functions and
recognize records and query sets by what they offer (as Django recognizes models by
their ``_meta``), so none of them imports the classes defined on top of them.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import attributes, make_transient_to_detached

from ..core._settings import settings
from ..core._types import utcnow
from ..errors import IntegrityError
from ._options import COLUMN, FOREIGN_KEY
from ._user_tables import ensure_registry_table

logger = logging.getLogger("lamin_pipes")

if TYPE_CHECKING:
    from sqlalchemy import Table

    from ..core._instance import Instance


def is_record(value: Any) -> bool:
    """Whether ``value`` is a record of a registry (not a registry class).

    Examples:
        >>> import lamin_pipes as ln
        >>> is_record(ln.ULabel(name="x")), is_record(ln.ULabel), is_record("x")
        (True, False, False)
    """
    return not isinstance(value, type) and hasattr(type(value), "_meta")


def is_query_set(value: Any) -> bool:
    """Whether ``value`` is a query set (it can stand in for its ids in a subquery).

    Examples:
        >>> import lamin_pipes as ln
        >>> is_query_set(ln.ULabel.filter()), is_query_set([1, 2])
        (True, False)
    """
    return hasattr(value, "id_subquery") and hasattr(value, "values_subquery")


def table_of(model: Any) -> Table:
    """The :class:`~sqlalchemy.Table` of a registry (typed for mypy)."""
    return model.__table__  # type: ignore[no-any-return]


def record_instance(record: Any) -> Instance:
    """The instance a record was loaded from or saved to (else the current one)."""
    inst = record.__dict__.get("_lp_instance")
    if inst is None:
        inst = settings.instance
    ensure_registry_table(inst, type(record))
    return inst  # type: ignore[no-any-return]


def make_saved(record: Any, instance: Instance) -> None:
    """Mark an inserted record (its id already set) as saved and clean."""
    make_transient_to_detached(record)
    record._lp_instance = instance


def become_existing(record: Any, existing: Any, kwargs: dict[str, Any]) -> None:
    """Make a record under construction stand for ``existing``, a saved record.

    What the constructor set is dropped; the record gets ``existing``'s column values,
    identity and instance, clean (as if loaded). Then each column or foreign key
    passed to the constructor with another value than the existing one is set, so
    ``save()`` writes it, with a warning naming the change (lamindb does the same).
    ``uid`` and ``hash`` are never taken from the arguments.
    """
    model = type(record)
    mapper = model.__mapper__
    state = attributes.instance_state(record)
    values = state.dict
    for key in list(values):
        if key in mapper.attrs or key.startswith("_lp_"):
            del values[key]
    for attr in mapper.column_attrs:
        values[attr.key] = getattr(existing, attr.key)
    state.key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    state._commit_all(values)  # loaded values carry no history
    values["_lp_instance"] = existing.__dict__.get("_lp_instance")
    fields = model._meta.fields
    for key, value in kwargs.items():
        info = fields.get(key)
        if value is None or info is None or key in ("uid", "hash"):
            continue
        if info.kind == FOREIGN_KEY:
            key, value = info.attname, getattr(value, "id", value)
        elif info.kind != COLUMN:
            continue
        current = values.get(key)
        if current != value:
            logger.warning("updated %s of %s from %r to %r", key, model.__name__, current, value)
            setattr(record, key, value)


def life_cycle_values(model: Any, branch_id: int) -> dict[str, Any]:
    """Column values that move records to another branch (and stamp ``updated_at``)."""
    values: dict[str, Any] = {"branch_id": branch_id}
    if "updated_at" in model._meta.fields:
        values["updated_at"] = utcnow()
    return values


def convert_integrity_error(error: sa_exc.IntegrityError, record: Any = None) -> IntegrityError:
    """The :class:`~lamin_pipes.errors.IntegrityError` to raise for a refused write."""
    detail = str(error.orig) if error.orig is not None else str(error)
    what = f" {type(record).__name__}" if record is not None else ""
    msg = f"The database refused to write{what}: {detail.strip()}"
    return IntegrityError(msg)


def format_field_value(value: Any) -> str | None:
    """Format a field value for ``__repr__`` as lamindb does.

    Examples:
        >>> format_field_value("a"), format_field_value(3), format_field_value(None)
        ("'a'", '3', None)
    """
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    if isinstance(value, str):
        return f"'{value}'"
    if value is None:
        return None
    return str(value)
