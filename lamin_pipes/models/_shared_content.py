"""Families of artifacts that share one stored object (``overwrite_versions=True``).

The versions of such a family store their content under one key,
``.lamindb/{stem}{suffix}``, which holds the bytes of one version at a time: the
*owner*'s (``_aux["lp_owner"]``). The rule is that a version reads back exactly the bytes
it was saved with, or raises; it never gets another version's bytes.

1. A save commits the new row *pending* (``_aux["lp_pending"]`` names its staged copy).
   The shared object is not touched, so a failed or killed save leaves the owner's
   content as it was.
2. :func:`settle` then, in one transaction under a lock on the family, moves the staged
   copy onto the shared key and makes the version the owner, unless a newer version
   owns the object already; then the staged copy is dropped.
3. Reads settle pending versions first (so a save killed between 1 and 2 is completed
   by the next read) and serve the owner only; the other versions raise
   :class:`~lamin_pipes.errors.StorageError`.

A kill inside 2, after the move and before the commit, leaves the version pending with
its staged copy gone: the move happened, and the next :func:`settle` finishes the
bookkeeping. Only :func:`settle` removes the staged copy of a pending version;
``Storage.clean()`` leaves it alone (:func:`pending_staging_keys`).

Families saved before this protocol carry no marks; their latest version is taken as
the owner.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import attributes

from ..errors import StorageError
from ..orm._query_compiler import bytewise
from ..orm._records import record_instance
from ..storage import Store
from ._artifact_store import move, remove
from ._is_versioned import _advisory_lock

PENDING = "lp_pending"
OWNER = "lp_owner"


def is_shared(artifact: Any) -> bool:
    """Whether ``artifact``'s family shares one stored object in ``.lamindb/``.

    Content registered in place is at its own path, outside this protocol.
    """
    state = artifact.__dict__
    return (
        bool(state.get("_overwrite_versions"))
        and state.get("_key_is_virtual") is not False
        and state.get("_real_key") is None
    )


def mark_pending(artifact: Any, staging: str) -> None:
    """Mark an unsaved version as pending, its content staged under ``staging``."""
    aux = dict(artifact.__dict__.get("_aux") or {})
    aux.pop(OWNER, None)
    aux[PENDING] = staging
    artifact._aux = aux


def _shared_key(stem: str, suffix: str | None) -> str:
    return f".lamindb/{stem}{suffix or ''}"


class _Version(NamedTuple):
    id: int
    uid: str
    aux: dict[str, Any] | None
    suffix: str | None
    n_files: int | None
    is_latest: bool


def _family(session: Any, model: Any, stem: str) -> list[_Version]:
    """Every version of the family, oldest first."""
    table = model.__table__
    rows = session.execute(
        select(
            table.c.id,
            table.c.uid,
            table.c._aux,
            table.c.suffix,
            table.c.n_files,
            table.c.is_latest,
        )
        .where(func.substr(table.c.uid, 1, model._len_stem) == stem)
        .order_by(bytewise(table.c.uid))
    ).all()
    return [_Version(*row) for row in rows]


def _mark(version: _Version, name: str) -> Any:
    """A mark (``PENDING``, ``OWNER``) of a version, ``None`` if it has none."""
    return (version.aux or {}).get(name)


def _staged(store: Store, key: str) -> bool:
    local = store.local_path(key)
    if local is not None:
        return local.exists()
    return bool(store.filesystem().exists(store.fs_path(key)))


def _set_aux(session: Any, model: Any, row_id: int, aux: dict[str, Any] | None) -> None:
    table = model.__table__
    session.execute(update(table).where(table.c.id == row_id).values(_aux=aux or None))


def settle(inst: Any, model: Any, stem: str, store: Store) -> None:
    """Move the staged content of the family's pending versions into place (see above)."""
    with inst.atomic() as session:
        _advisory_lock(session, f"{model.__tablename__}:shared:{stem}")
        rows = _family(session, model, stem)
        owner = next((r for r in rows if _mark(r, OWNER)), None)
        for row in rows:
            aux = dict(row.aux or {})
            staging = aux.get(PENDING)
            if staging is None:
                continue
            is_dir = bool(row.n_files)
            del aux[PENDING]
            if owner is not None and owner.uid > row.uid:  # a newer version owns it
                remove(store, staging, is_dir=is_dir)
                _set_aux(session, model, row.id, aux)
                continue
            if _staged(store, staging):
                move(store, staging, _shared_key(stem, row.suffix), is_dir=is_dir)
            # else: an interrupted settle moved it already; only the marks are left to do
            if owner is not None:
                previous = dict(owner.aux or {})
                previous.pop(OWNER, None)
                _set_aux(session, model, owner.id, previous)
            aux[OWNER] = True
            _set_aux(session, model, row.id, aux)
            owner = row._replace(aux=aux)


def _owner(rows: list[Any]) -> Any:
    marked = [r for r in rows if _mark(r, OWNER)]
    if marked:
        return marked[0]
    if any(_mark(r, PENDING) for r in rows):
        return None
    # a family saved before owners were recorded: the latest version has the object
    return next((r for r in rows if r.is_latest), None)


def owns_content(artifact: Any, store: Store) -> bool:
    """Whether the shared object holds ``artifact``'s bytes (settling pending saves first)."""
    inst = record_instance(artifact)
    model = type(artifact)
    stem = artifact.uid[: model._len_stem]
    with inst.read_session() as session:
        rows = _family(session, model, stem)
    if any(_mark(r, PENDING) for r in rows) and not inst.read_only:
        settle(inst, model, stem, store)
        with inst.read_session() as session:
            rows = _family(session, model, stem)
    owner = _owner(rows)
    mine = next((r for r in rows if r.id == artifact.id), None)
    if mine is not None:
        attributes.set_committed_value(artifact, "_aux", mine.aux)
    return owner is not None and owner.id == artifact.id


def check_owns_content(artifact: Any, store: Store) -> None:
    """Raise :class:`StorageError` unless the shared object holds ``artifact``'s bytes."""
    if owns_content(artifact, store):
        return
    msg = (
        f"The content of artifact {artifact.uid} (version {artifact.version} of "
        f"{artifact.key or 'its family'}) is no longer stored: its family keeps one copy "
        "(overwrite_versions=True), which now holds another version's content. Load the "
        "latest version instead."
    )
    raise StorageError(msg)


def pending_staging_keys(inst: Any, model: Any) -> set[str]:
    """The staging keys of pending versions: content that ``clean()`` must leave alone."""
    table = model.__table__
    with inst.read_session() as session:
        values = session.execute(select(table.c._aux).where(table.c._aux.isnot(None))).scalars()
        return {aux[PENDING] for aux in values if isinstance(aux, dict) and aux.get(PENDING)}
