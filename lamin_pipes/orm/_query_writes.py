"""Bulk writes of a query set: ``update()`` and ``delete()``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy import exc as sa_exc

from ..core._types import utcnow
from ..errors import FieldError, IntegrityError, InvalidArgument
from ._options import COLUMN, FOREIGN_KEY
from ._query_compiler import get_field
from ._records import convert_integrity_error, life_cycle_values
from ._values import check_values

if TYPE_CHECKING:
    from .query_set import BasicQuerySet


def _ids_of(qs: BasicQuerySet[Any]) -> Any:
    return select(qs.id_subquery().subquery().c.id)


def update_records(qs: BasicQuerySet[Any], kwargs: dict[str, Any]) -> int:
    """``UPDATE`` every record of ``qs`` with ``kwargs``; returns the row count."""
    inst = qs._writable()
    if not kwargs:
        return 0
    model: Any = qs.model
    values: dict[str, Any] = {}
    for key, value in kwargs.items():
        info = get_field(model, key)
        if info.kind == FOREIGN_KEY:
            values[info.attname] = getattr(value, "id", value)
        elif info.kind == COLUMN:
            values[info.attname] = value
        else:
            msg = f"update() cannot set the many-valued relation '{key}'; use .set()."
            raise FieldError(msg)
    if set(values) != {"is_locked"}:
        qs._refuse_locked("update")
    if "updated_at" in model._meta.fields and "updated_at" not in values:
        values["updated_at"] = utcnow()
    check_values(model, values)
    table = model.__table__
    try:
        with inst.session() as session:
            stmt = update(table).where(table.c.id.in_(_ids_of(qs))).values(**values)
            result = session.execute(stmt)
    except sa_exc.IntegrityError as error:
        raise convert_integrity_error(error) from None
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_records(qs: BasicQuerySet[Any], permanent: bool | None) -> None:
    """Move the records of ``qs`` to the trash, or delete them with ``permanent=True``."""
    inst = qs._writable()
    qs._refuse_locked("delete")
    model: Any = qs.model
    table = model.__table__
    ids = _ids_of(qs)
    if "branch" in model._meta.fields and not permanent:
        values = life_cycle_values(model, -1)
        with inst.session() as session:
            session.execute(update(table).where(table.c.id.in_(ids)).values(**values))
        return
    if permanent is False:
        msg = f"Soft delete is impossible for {model.__name__}; use permanent=True."
        raise InvalidArgument(msg)
    try:
        with inst.session() as session:
            session.execute(delete(table).where(table.c.id.in_(ids)))
    except sa_exc.IntegrityError as error:
        msg = f"Cannot delete: other records still reference them ({error.orig})."
        raise IntegrityError(msg) from None
