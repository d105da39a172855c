"""Tables of user-defined registries, created on first use."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import FieldError
from ._indexes import declare_pending
from ._options import MANY_TO_MANY

if TYPE_CHECKING:
    from sqlalchemy import Table

    from ..core._instance import Instance

#: (database URL, pid) -> registries whose tables are known to exist there.
_CREATED: dict[tuple[str, int], set[type]] = {}


def _is_user_registry(model: Any) -> bool:
    return not model.__module__.startswith("lamin_pipes.")


def _connected_user_registries(model: Any) -> list[Any]:
    """``model`` and every user registry reachable from it through relations."""
    found = [model]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        for info in current._meta.fields.values():
            if not info.is_relation:
                continue
            try:
                related = info.related_model
            except FieldError:
                continue  # a forward reference to a registry not defined yet
            if _is_user_registry(related) and related not in found:
                found.append(related)
    return found


def ensure_registry_table(inst: Instance, model: Any) -> None:
    """Create the tables of a user-defined registry on first use.

    Built-in registries are created by the shipped migrations; a registry defined by a
    user (a ``SQLRecord`` subclass outside lamin_pipes) gets its table, its link
    tables and those of the user registries it relates to here, once per process and
    database. Read-only instances are never written to.
    """
    if not _is_user_registry(model):
        return
    key = (inst.db, os.getpid())
    done = _CREATED.setdefault(key, set())
    if model in done or inst.read_only:
        return
    models = _connected_user_registries(model)
    tables: list[Table] = []
    for related in models:
        tables.append(related.__table__)
        tables.extend(
            f.link_table
            for f in related._meta.fields.values()
            if f.kind == MANY_TO_MANY and f.link_table is not None
        )
    declare_pending()  # a user registry may have indexes declared on demand
    model.metadata.create_all(inst.engine, tables=tables, checkfirst=True)
    done.update(models)
