"""The family a new artifact joins by its key, checked when it is constructed.

As lamindb (``get_stat_or_artifact``): an artifact constructed with a ``key`` (and no
``revises``) becomes the next version of the artifacts with that key in its storage
location. If such artifacts exist outside the trash but none of them is the latest
version, there is no version to revise, and construction raises
:class:`~lamin_pipes.errors.IntegrityError`. Trashed artifacts do not count: a key
whose versions are all in the trash starts a new family.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from ..errors import IntegrityError
from .storage import storage_by_id


def check_key_has_latest(artifact: Any) -> None:
    """Raise :class:`IntegrityError` if the key's non-trashed versions have no latest one."""
    inst = artifact._check_writable()
    state = artifact.__dict__
    table = type(artifact).__table__
    statement = select(
        func.count(),
        func.coalesce(func.sum(case((table.c.is_latest.is_(True), 1), else_=0)), 0),
    ).where(
        table.c.key == state["key"],
        table.c.storage_id == state["storage_id"],
        table.c.branch_id != -1,
    )
    with inst.read_session() as session:
        n_versions, n_latest = session.execute(statement).one()
    if n_versions and not n_latest:
        root = storage_by_id(inst, state["storage_id"]).root
        msg = (
            "Cannot create a new artifact version: matching non-trashed artifacts exist "
            f"for key {state['key']!r} in storage {root!r}, but none has `is_latest=True`. "
            "Pass revises= to name the version to revise, or restore the latest one."
        )
        raise IntegrityError(msg)
