"""The save flow of artifacts: stage, hash, deduplicate, insert a version, move into place.

Order of a save, chosen so that a crash at any point leaves nothing inconsistent:

1. When the artifact is constructed, its content is written to a *staging* name
   (``.lamindb/_staging/<random><suffix>``) in the storage, hashed while it streams
   (files are read once), so ``hash`` and ``size`` are known before ``save()``, as in
   lamindb; an artifact dropped unsaved removes its staged copy.
2. If an artifact with that hash exists, the staged copy is removed and the record
   becomes the existing artifact; nothing else is written.
3. One transaction inserts the row (moving ``is_latest`` in its family) and, still
   inside it, renames the staged content onto its final name ``.lamindb/{uid}{suffix}``.
   If the transaction fails the content is moved back and removed.

A crash before the commit leaves at most a staged object or a file without a row
(never a row without its file, never a half-written file under a final name).
Families that share one stored object (``overwrite_versions=True``) commit the row
first and move the content onto the shared object afterwards, so that no failure can
touch the content of the version that holds it (see :mod:`._shared_content`).
:func:`save_artifact` is the one entry point; ``Artifact.save()`` calls it once.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import attributes, make_transient

from ..core._context import active_run
from ..core._settings import settings
from ..core._types import utcnow
from ..orm._driver_select import fetch_first
from ..orm._records import become_existing, make_saved
from ..storage import Store, hash_covers_content, same_content
from ._artifact_in_place import hash_in_place
from ._artifact_store import (
    STAGING_DIR,
    Source,
    move,
    remove,
    remove_local,
    stage,
    storage_key,
    unstage,
)
from ._is_versioned import Duplicate, insert_version
from ._run_links import link_run
from ._shared_content import is_shared, mark_pending, owns_content, settle
from .storage import Storage, storage_by_id

if TYPE_CHECKING:
    from .artifact import Artifact

logger = logging.getLogger("lamin_pipes")


def lazy_staging_path(suffix: str) -> Path:
    """A fresh path for a :class:`LazyArtifact` (in the storage when it is local)."""
    store = Storage.default(settings.instance).store
    token = secrets.token_hex(8)
    local = store.local_path(f"{STAGING_DIR}/{token}")
    if local is None:
        root = Path(tempfile.mkdtemp(prefix="lamin_pipes_lazy_"))
        return root / f"{token}{suffix}"
    local.parent.mkdir(parents=True, exist_ok=True)
    return local.with_name(f"{token}{suffix}")


@dataclass
class Staged:
    """Content written under a staging name and hashed, waiting for ``save()``."""

    storage_id: int
    staging: str
    digest: Any
    is_dir: bool
    #: Removes the staged copy if the artifact is dropped without being saved.
    finalizer: Any
    #: The content is registered where it lies: ``staging`` is its own key, never removed.
    in_place: bool = False


def stage_artifact(artifact: Artifact) -> Staged:
    """Write and hash the content of an unsaved artifact (once; ``save()`` reuses it).

    Sets ``size``, ``hash``, ``_hash_type`` and ``n_files``, as lamindb does when an
    artifact is constructed. The content is read once: it streams to a staging name
    in the storage while it is hashed, and ``save()`` only moves it into place.
    """
    state = artifact.__dict__
    staged: Staged | None = state.get("_lp_staged")
    if staged is not None:
        return staged
    inst = artifact._check_writable()
    source: Source = state["_lp_source"]
    revises = state.get("_lp_revises")
    if source.in_place is not None:
        return _stage_in_place(artifact, source)
    if state.get("storage_id") is None:
        storage = (
            Storage.default(inst)
            if revises is None or revises.__dict__.get("storage_id") is None
            else storage_by_id(inst, revises.storage_id)
        )
        state["storage_id"] = storage.id
    else:
        storage = storage_by_id(inst, state["storage_id"])
    store = storage.store
    staging = f"{STAGING_DIR}/{secrets.token_hex(8)}{source.suffix}"
    # source.suffix is normalized (format="zarr" gives ".zarr"); the digest says for sure
    is_dir = source.kind == "dir" or (source.kind == "object" and source.suffix == ".zarr")
    try:
        digest = stage(store, source, staging)
    except BaseException:
        unstage(store, staging, source, is_dir=is_dir)
        raise
    is_dir = hasattr(digest, "n_files")
    artifact.size = digest.size
    artifact.hash = digest.hash
    artifact._hash_type = digest.hash_type
    artifact.n_files = getattr(digest, "n_files", None)
    finalizer = weakref.finalize(artifact, _discard_staged, store, staging, is_dir)
    staged = Staged(storage.id, staging, digest, is_dir, finalizer)
    state["_lp_staged"] = staged
    return staged


def _stage_in_place(artifact: Artifact, source: Source) -> Staged:
    """Hash content registered in place where it lies; nothing is copied."""
    place = source.in_place
    digest = hash_in_place(place)
    artifact.size = digest.size
    artifact.hash = digest.hash
    artifact._hash_type = digest.hash_type
    artifact.n_files = getattr(digest, "n_files", None)
    is_dir = hasattr(digest, "n_files")
    staged = Staged(place.storage.id, place.key, digest, is_dir, None, in_place=True)
    artifact.__dict__["_lp_staged"] = staged
    return staged


def _discard_staged(store: Store, staging: str, is_dir: bool) -> None:
    with contextlib.suppress(OSError):
        remove(store, staging, is_dir=is_dir)


def _release_staged(state: dict[str, Any]) -> None:
    """The staged copy is no longer this artifact's to remove (moved, or removed)."""
    staged = state.pop("_lp_staged", None)
    if staged is not None and staged.finalizer is not None:
        staged.finalizer.detach()


def existing_with_content(artifact: Artifact) -> Any:
    """The saved artifact (any branch) holding the staged content, else ``None``."""
    staged: Staged = artifact.__dict__["_lp_staged"]
    inst = artifact._check_writable()
    store = storage_by_id(inst, staged.storage_id).store
    model = type(artifact)
    table = model.__table__
    statement = (
        select(table.c.id).where(table.c.hash == bindparam("lp_hash")).order_by(table.c.id).limit(1)
    )
    values = {"lp_hash": staged.digest.hash}
    done, first = fetch_first(inst, ("hash", model), statement, values)
    if not done:
        with inst.read_session() as session:
            first = session.scalars(statement, values).first()
    if first is None:
        return None
    return _same_content_as(
        inst, type(artifact), first, staged.digest, store, staged.staging, any_branch=True
    )


def return_existing(artifact: Artifact, existing: Any) -> None:
    """Make the unsaved ``artifact`` the saved ``existing`` one; drop the staged copy."""
    inst = artifact._check_writable()
    state = artifact.__dict__
    staged: Staged = state["_lp_staged"]
    if not staged.in_place:
        store = storage_by_id(inst, staged.storage_id).store
        remove(store, staged.staging, is_dir=staged.is_dir)
    _release_staged(state)
    _forget_source(state)
    adopt(artifact, existing, inst)
    if artifact.__dict__.get("branch_id") == -1:
        logger.info("restoring artifact %s from the trash", artifact.uid)
        artifact.restore()


def save_artifact(artifact: Artifact) -> Artifact:
    """Stage (unless staged at construction), dedup and insert; see the module doc."""
    inst = artifact._check_writable()
    state = artifact.__dict__
    source: Source = state["_lp_source"]
    revises = state.get("_lp_revises")
    replace_run = state.get("_lp_replace_run")
    if state.get("id") is not None:
        _prepare_replacement(artifact)
        if replace_run is not None:
            artifact.run = replace_run
    staged = stage_artifact(artifact)
    if staged.in_place:
        return _save_in_place(artifact, staged)
    store = storage_by_id(inst, staged.storage_id).store
    staging = staged.staging
    digest = staged.digest
    is_dir = staged.is_dir
    final: list[str] = []  # the final key once the content was moved there
    try:
        model = type(artifact)
        # Looked up inside the insert's transaction, under a lock on the hash, so that
        # concurrent saves of the same content return one artifact.
        dedup_hash = None if state.get("_lp_skip_hash_lookup") else digest.hash
        artifact._prepare_save()
        # A family that shares one stored object: the row commits pending, and the
        # content moves into place after the commit (see _shared_content).
        shared = is_shared(artifact)
        if shared:
            mark_pending(artifact, staging)

        def move_into_place(record: Any) -> None:
            key = storage_key(record)
            move(store, staging, key, is_dir=is_dir)
            final.append(key)

        def move_back(record: Any) -> None:
            if final:
                move(store, final.pop(), staging, is_dir=is_dir)

        while True:
            try:
                insert_version(
                    artifact,
                    inst,
                    revises=revises,
                    before_commit=None if shared else move_into_place,
                    after_conflict=None if shared else move_back,
                    dedup_hash=dedup_hash,
                )
            except Duplicate as duplicate:
                existing = _same_content_as(
                    inst, model, duplicate.record_id, digest, store, staging
                )
                if existing is None:
                    dedup_hash = None  # same partial hash, other bytes: new content
                    continue
                remove(store, staging, is_dir=is_dir)
                _release_staged(state)
                _forget_source(state)
                adopt(artifact, existing, inst)
                return artifact
            except BaseException:
                if final:
                    move(store, final.pop(), staging, is_dir=is_dir)
                raise
            break
    except BaseException:
        # Nothing was written. Keep what save() needs so that calling it again retries
        # the whole save (never a bare row), and give back what was taken.
        # A failed replacement stays the unsaved next version of its family.
        unstage(store, staging, source, is_dir=is_dir)
        _release_staged(state)
        raise
    _release_staged(state)
    _forget_source(state)
    artifact._lp_instance = inst
    if shared:
        # The row is committed: a failure from here on leaves it pending, and the next
        # read of the family moves the staged content into place.
        settle(inst, model, artifact.stem_uid, store)
        owns_content(artifact, store)  # refreshes the marks held in memory
    if source.consume and source.path is not None and source.path.exists():
        remove_local(source.path)
    return artifact


def _save_in_place(artifact: Artifact, staged: Staged) -> Artifact:
    """Insert the row of content registered in place (nothing moves)."""
    inst = artifact._check_writable()
    state = artifact.__dict__
    store = storage_by_id(inst, staged.storage_id).store
    dedup_hash = None if state.get("_lp_skip_hash_lookup") else staged.digest.hash
    artifact._prepare_save()
    while True:
        try:
            insert_version(artifact, inst, revises=state.get("_lp_revises"), dedup_hash=dedup_hash)
        except Duplicate as duplicate:
            existing = _same_content_as(
                inst, type(artifact), duplicate.record_id, staged.digest, store, staged.staging
            )
            if existing is None:
                dedup_hash = None
                continue
            _release_staged(state)
            _forget_source(state)
            adopt(artifact, existing, inst)
            return artifact
        break
    _release_staged(state)
    _forget_source(state)
    artifact._lp_instance = inst
    return artifact


def _same_content_as(
    inst: Any,
    model: Any,
    first_id: int,
    digest: Any,
    store: Store,
    staging: str,
    *,
    any_branch: bool = False,
) -> Any:
    """The saved artifact to return instead of the staged content, else ``None``.

    The artifacts on the main branch (any branch with ``any_branch``) with the staged
    content's hash are candidates, oldest first (``first_id`` among them), skipping those whose content is no longer
    stored (versions of a family with one shared object that another version now
    holds). A hash computed from every byte settles it. lamindb's hash of content above
    100 MiB covers only its first and last 50 MiB, so there the bytes are compared;
    when none match, the content is new and a warning says so.
    """
    is_dir = hasattr(digest, "n_files")
    table = model.__table__
    with inst.read_session() as session:
        conditions = [table.c.hash == digest.hash]
        if not any_branch:
            conditions.append(table.c.branch_id == 1)
        ids = session.scalars(select(table.c.id).where(*conditions).order_by(table.c.id)).all()
    compared = []
    for record_id in ids or [first_id]:
        existing = inst.get_by_id(model, record_id)
        if existing is None:
            continue
        stored = storage_by_id(inst, existing.storage_id).store
        if is_shared(existing) and not owns_content(existing, stored):
            continue
        if hash_covers_content(digest):
            return existing
        if same_content(store, staging, stored, storage_key(existing), is_dir=is_dir):
            return existing
        compared.append(existing)
    if compared:
        logger.warning(
            "The content has the hash %s of %s, but that hash covers only the first and "
            "last 50 MiB and the bytes differ: saving it as new content.",
            digest.hash,
            ", ".join(f"artifact {a.uid} ({a.key or 'no key'})" for a in compared),
        )
    return None


def _forget_source(state: dict[str, Any]) -> None:
    for name in ("_lp_source", "_lp_revises", "_lp_skip_hash_lookup", "_lp_replace_run"):
        state.pop(name, None)


def _prepare_replacement(artifact: Any) -> None:
    """Turn a saved artifact whose content was replaced into a new unsaved version."""
    make_transient(artifact)
    state = artifact.__dict__
    state.pop("id", None)
    artifact.n_observations = state["_lp_source"].n_observations
    artifact.otype = state["_lp_source"].otype or artifact.otype
    artifact.run_id = None
    artifact.created_by_id = None  # the replacing user, filled in by the save hooks
    for name in ("created_at", "updated_at"):
        state.pop(name, None)
    now = utcnow()
    artifact.created_at = now
    artifact.updated_at = now


def adopt(artifact: Any, existing: Any, inst: Any) -> None:
    """Make the unsaved ``artifact`` the saved ``existing`` one (same row, same state)."""
    logger.info(
        "returning the existing %s with the same hash: %s (key=%r)",
        type(existing).__name__.lower(),
        existing.uid,
        existing.key,
    )
    become(artifact, existing, inst)
    run = active_run()
    if run is not None and run.id is not None and run.id != existing.run_id:
        link_run(inst, [artifact], "recreating_runs", run)


def become(artifact: Any, other: Any, inst: Any) -> None:
    """Make ``artifact`` stand for the saved ``other`` (same row, same state)."""
    if attributes.instance_state(artifact).key is not None:  # saved: another row now
        become_existing(artifact, other, {})
        artifact._lp_instance = inst
        return
    table = type(artifact).__table__
    for column in table.columns:
        attributes.set_committed_value(artifact, column.key, other.__dict__.get(column.key))
    make_saved(artifact, inst)
