"""Loading columns of records that are detached from any session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import attributes
from sqlalchemy.orm import loading as _sa_loading

from ..errors import DoesNotExist
from ._records import record_instance


def load_expired_attributes(state: Any, attribute_names: Any, passive: Any) -> None:
    """Load expired or deferred columns, also for records detached from any session.

    Records are detached between operations; a column left out by ``only()``/``defer()``
    is loaded on first access with one query through the record's instance.
    """
    if state.session is not None:
        _sa_loading._load_scalar_attributes(state.mapper, state, attribute_names, passive)
        return
    record = state.obj()
    if record is None or not state.key or not attribute_names:
        return

    table = type(record).__table__
    names = sorted(attribute_names)

    with record_instance(record).read_session() as session:
        row = session.execute(
            select(*[table.c[n] for n in names]).where(table.c.id == state.key[1][0])
        ).first()
    if row is None:
        msg = f"{type(record).__name__} {record._ident()} no longer exists in the database."
        raise DoesNotExist(msg)
    for name, value in zip(names, row, strict=True):
        attributes.set_committed_value(record, name, value)
