"""Saving and deleting artifacts: staging, hashing, dedup, versioning, cleanup.

Order of a save, chosen so that a crash at any point leaves nothing inconsistent:

1. The content is written to a *staging* name (``.lamindb/_staging/<random><suffix>``)
   in the storage, hashed while it streams (files are read once).
2. If an artifact with that hash exists, the staged copy is removed and the record
   becomes the existing artifact; nothing else is written.
3. One transaction inserts the row (moving ``is_latest`` in its family) and, still
   inside it, renames the staged content onto its final name ``.lamindb/{uid}{suffix}``.
   If the transaction fails the content is moved back and removed.

A crash before the commit leaves at most a staged object or a file without a row
(never a row without its file, never a half-written file under a final name).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import select, update
from sqlalchemy.orm import attributes

from ..core._context import active_run
from ..errors import InvalidArgument
from ..orm._records import make_saved, record_instance
from ..storage._keys import validate_key
from ..storage._local import _fsync_dir
from ._is_versioned import Duplicate, insert_version, promote_newest

if TYPE_CHECKING:
    from ..storage import Store
    from .artifact import Artifact

logger = logging.getLogger("lamin_pipes")

STAGING_DIR = ".lamindb/_staging"
_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst", ".zip", ".tar")
_FOLDER_SUFFIXES = (".zarr", ".zrad", ".tiledbsoma", ".lance", ".parquet")


@dataclass
class Source:
    """What an unsaved artifact will store."""

    kind: str  # "file", "dir" or "object"
    suffix: str
    otype: str | None
    n_observations: int | None
    path: Path | None = None
    obj: Any = None
    format: str | None = None
    consume: bool = False  # move the path into storage instead of copying it


def path_suffix(path: Path, *, is_dir: bool) -> str:
    """The suffix lamindb records for a path (``.csv.gz`` style for compressed files).

    Examples:
        >>> path_suffix(Path("a/b.csv.gz"), is_dir=False), path_suffix(Path("x.zarr"), is_dir=True)
        ('.csv.gz', '.zarr')
        >>> path_suffix(Path("run.2024"), is_dir=True)
        ''
    """
    suffixes = path.suffixes
    if not suffixes:
        return ""
    last = suffixes[-1]
    if is_dir:
        return last if last in _FOLDER_SUFFIXES else ""
    if last in _COMPRESSIONS and len(suffixes) > 1:
        return suffixes[-2] + last
    return last


def prepare_source(data: Any, *, key: str | None, format: str | None) -> Source:
    """Inspect ``data`` (cheaply: nothing is read or written yet) and check ``key``."""
    from ..storage import _serializers

    if isinstance(data, str | os.PathLike):
        text = os.fspath(data)
        if "://" in text:
            msg = (
                f"Cannot register {text!r}: pass a local path (file or folder) or an "
                "in-memory object; registering remote URLs in place is not supported"
            )
            raise InvalidArgument(msg)
        path = Path(text).absolute()
        if not path.exists():
            msg = f"Path {text!r} does not exist; pass an existing file or folder"
            raise InvalidArgument(msg)
        if format is not None:
            msg = f"format={format!r} applies to in-memory objects only, not to a path"
            raise InvalidArgument(msg)
        is_dir = path.is_dir()
        source = Source(
            kind="dir" if is_dir else "file",
            suffix=path_suffix(path, is_dir=is_dir),
            otype=None,
            n_observations=None,
            path=path,
        )
    else:
        try:
            serializer_suffix = _serializers.suffix_for(data, format)
        except InvalidArgument as error:
            if format is not None:
                raise
            msg = f"{error}; or pass the path of a file or folder"
            raise InvalidArgument(msg) from None
        source = Source(
            kind="object",
            suffix=serializer_suffix,
            otype=_serializers.otype_of(data),
            n_observations=_serializers.n_observations_of(data),
            obj=data,
            format=format,
        )
    if key is not None:
        check_key(key, source.suffix)
    return source


def check_key(key: str, suffix: str) -> None:
    """Raise if ``key`` is not a valid relative key ending in the data's ``suffix``."""
    validate_key(key)
    if len(key) > 1024:
        msg = f"Invalid key {key[:40]!r}…: longer than 1024 characters"
        raise InvalidArgument(msg)
    name = key.rsplit("/", 1)[-1]
    if suffix and not name.endswith(suffix):
        stem = name.split(".", 1)[0] or "name"
        msg = (
            f"Invalid key {key!r}: the data is stored as {suffix!r}, so the key must end "
            f"with {suffix!r}, e.g. "
            f"{(key.rsplit('/', 1)[0] + '/' if '/' in key else '') + stem + suffix!r}"
        )
        raise InvalidArgument(msg)
    if not suffix and "." in name and not key.endswith("/"):
        known = path_suffix(Path(name), is_dir=False)
        if known:
            msg = (
                f"Invalid key {key!r}: it ends with {known!r} but the data has no suffix; "
                "drop the suffix from the key"
            )
            raise InvalidArgument(msg)


def storage_key(artifact: Any) -> str:
    """The storage key of an artifact's content: ``.lamindb/{uid}{suffix}``.

    Families that overwrite versions share one key built from the stem uid.
    """
    state = artifact.__dict__
    uid = state["uid"]
    if state.get("_overwrite_versions"):
        uid = uid[: type(artifact)._len_stem]
    return f".lamindb/{uid}{state.get('suffix') or ''}"


def lazy_staging_path(suffix: str) -> Path:
    """A fresh path for a :class:`LazyArtifact` (in the storage when it is local)."""
    from ..core._settings import settings
    from .storage import Storage

    store = Storage.default(settings.instance).store
    token = secrets.token_hex(8)
    local = store.local_path(f"{STAGING_DIR}/{token}")
    if local is None:
        root = Path(tempfile.mkdtemp(prefix="lamin_pipes_lazy_"))
        return root / f"{token}{suffix}"
    local.parent.mkdir(parents=True, exist_ok=True)
    return local.with_name(f"{token}{suffix}")


# --- saving ------------------------------------------------------------------------


def save_artifact(artifact: Artifact) -> Artifact:
    """Stage, hash, dedup and insert a new artifact (or a new version); see module doc."""
    from .storage import Storage

    inst = artifact._check_writable()
    state = artifact.__dict__
    source: Source = state["_lp_source"]
    revises = state.get("_lp_revises")
    replace_run = state.get("_lp_replace_run")
    if state.get("id") is not None:
        _prepare_replacement(artifact)
        if replace_run is not None:
            artifact.run = replace_run
    if state.get("storage_id") is None:
        storage = (
            Storage.default(inst)
            if revises is None or revises.__dict__.get("storage_id") is None
            else _storage_by_id(inst, revises.storage_id)
        )
        state["storage_id"] = storage.id
    else:
        storage = _storage_by_id(inst, state["storage_id"])
    store = storage.store
    staging = f"{STAGING_DIR}/{secrets.token_hex(8)}{source.suffix}"
    # source.suffix is normalized (format="zarr" gives ".zarr"); the staged digest says
    # for sure below.
    is_dir = source.kind == "dir" or (source.kind == "object" and source.suffix == ".zarr")
    final: list[str] = []  # the final key once the content was moved there
    try:
        digest = _stage(store, source, staging)
        is_dir = hasattr(digest, "n_files")
        artifact.size = digest.size
        artifact.hash = digest.hash
        artifact._hash_type = digest.hash_type
        artifact.n_files = getattr(digest, "n_files", None)
        model = type(artifact)
        # Looked up inside the insert's transaction, under a lock on the hash, so that
        # concurrent saves of the same content return one artifact.
        dedup_hash = None if state.get("_lp_skip_hash_lookup") else digest.hash
        artifact._prepare_save()

        def move_into_place(record: Any) -> None:
            key = storage_key(record)
            _move(store, staging, key, is_dir=is_dir)
            final.append(key)

        def move_back(record: Any) -> None:
            if final:
                _move(store, final.pop(), staging, is_dir=is_dir)

        try:
            insert_version(
                artifact,
                inst,
                revises=revises,
                before_commit=move_into_place,
                after_conflict=move_back,
                dedup_hash=dedup_hash,
            )
        except Duplicate as duplicate:
            _remove(store, staging, is_dir=is_dir)
            _forget_source(state)
            _adopt(artifact, inst.get_by_id(model, duplicate.record_id), inst)
            return artifact
        except BaseException:
            if final:
                _move(store, final.pop(), staging, is_dir=is_dir)
            raise
    except BaseException:
        # Nothing was written. Keep what save() needs so that calling it again retries
        # the whole save (never a bare row), and give back what was taken.
        # A failed replacement stays the unsaved next version of its family.
        _unstage(store, staging, source, is_dir=is_dir)
        raise
    _forget_source(state)
    artifact._lp_instance = inst
    if source.consume and source.path is not None and source.path.exists():
        _remove_local(source.path)
    return artifact


def _forget_source(state: dict[str, Any]) -> None:
    for name in ("_lp_source", "_lp_revises", "_lp_skip_hash_lookup", "_lp_replace_run"):
        state.pop(name, None)


def _unstage(store: Store, staging: str, source: Source, *, is_dir: bool) -> None:
    """Remove the staged content; content moved in from a LazyArtifact path goes back."""
    local = store.local_path(staging)
    if source.consume and source.path is not None and local is not None and local.exists():
        try:
            os.replace(local, source.path)
            return
        except OSError as error:
            logger.warning("Could not move %s back to %s: %s", local, source.path, error)
    _remove(store, staging, is_dir=is_dir)


def _prepare_replacement(artifact: Any) -> None:
    """Turn a saved artifact whose content was replaced into a new unsaved version."""
    from sqlalchemy.orm import make_transient

    make_transient(artifact)
    state = artifact.__dict__
    state.pop("id", None)
    artifact.n_observations = state["_lp_source"].n_observations
    artifact.otype = state["_lp_source"].otype or artifact.otype
    artifact.run_id = None
    artifact.created_by_id = None  # the replacing user, filled in by the save hooks
    for name in ("created_at", "updated_at"):
        state.pop(name, None)
    from ..core._types import utcnow

    now = utcnow()
    artifact.created_at = now
    artifact.updated_at = now


def _stage(store: Store, source: Source, staging: str) -> Any:
    """Write the content under ``staging`` and return its hash (one read of the data)."""
    from ..storage import _serializers
    from ..storage._hashing import hash_dir, hash_file

    if source.kind in ("file", "dir"):
        assert source.path is not None
        local = store.local_path(staging)
        if source.consume and local is not None:
            local.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source.path, local)
            _fsync_tree(local)
            return hash_dir(local) if source.kind == "dir" else hash_file(local)
        if source.kind == "dir":
            return store.put_dir(source.path, staging)
        return store.put_file(source.path, staging)
    local = store.local_path(staging)
    if local is not None:
        local.parent.mkdir(parents=True, exist_ok=True)
        try:
            _serializers.save(source.obj, local, source.format)
            _fsync_tree(local)
        except BaseException:
            _remove_local(local)
            raise
        return hash_dir(local) if local.is_dir() else hash_file(local)
    with tempfile.TemporaryDirectory(prefix="lamin_pipes_") as tmp:
        path = Path(tmp) / f"object{source.suffix}"
        _serializers.save(source.obj, path, source.format)
        if path.is_dir():
            return store.put_dir(path, staging)
        return store.put_file(path, staging)


def _fsync_tree(path: Path) -> None:
    if path.is_dir():
        for child in path.rglob("*"):
            if child.is_file():
                _fsync_file(child)
    else:
        _fsync_file(path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_local(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _remove(store: Store, key: str, *, is_dir: bool) -> None:
    """Remove a staged or stored object; never raises for a missing one."""
    try:
        local = store.local_path(key)
        if local is not None:
            _remove_local(local)
        elif is_dir:
            store.delete_dir(key, missing_ok=True)
        else:
            store.delete(key, missing_ok=True)
    except Exception as error:  # cleanup must not hide the original error
        logger.warning("Could not remove %s: %s", store.uri(key), error)


def _move(store: Store, src: str, dst: str, *, is_dir: bool) -> None:
    """Rename ``src`` onto ``dst`` in the store, replacing what is there.

    Whatever lies at ``dst`` is garbage or obsolete: the caller holds the row that owns
    the name (a leftover of a crashed save, or the shared content of a family that
    overwrites versions). Atomic for local files.
    """
    local_src = store.local_path(src)
    local_dst = store.local_path(dst)
    if local_src is not None and local_dst is not None:
        local_dst.parent.mkdir(parents=True, exist_ok=True)
        if local_dst.is_dir() or (local_src.is_dir() and local_dst.exists()):
            old = local_dst.with_name(f".{local_dst.name}.{secrets.token_hex(4)}.old")
            os.replace(local_dst, old)
            os.replace(local_src, local_dst)
            _remove_local(old)
        else:
            os.replace(local_src, local_dst)
        _fsync_dir(local_dst.parent)
        return
    fs = store.filesystem()
    if is_dir:
        # Clear the destination first: copying into an existing prefix nests the tree.
        store.delete_dir(dst, missing_ok=True)
        if store.exists(dst):
            store.delete(dst)
        fs.copy(store.fs_path(src), store.fs_path(dst), recursive=True)
        store.delete_dir(src, missing_ok=True)
    else:
        fs.copy(store.fs_path(src), store.fs_path(dst))
        store.delete(src, missing_ok=True)
    with contextlib.suppress(Exception):
        fs.invalidate_cache()


def _adopt(artifact: Any, existing: Any, inst: Any) -> None:
    """Make the unsaved ``artifact`` the saved ``existing`` one (same row, same state)."""
    logger.info(
        "returning the existing %s with the same hash: %s (key=%r)",
        type(existing).__name__.lower(),
        existing.uid,
        existing.key,
    )
    table = type(artifact).__table__
    for column in table.columns:
        attributes.set_committed_value(artifact, column.key, existing.__dict__.get(column.key))
    make_saved(artifact, inst)
    run = active_run()
    if run is not None and run.id is not None and run.id != existing.run_id:
        record_link(inst, artifact, "recreating_runs", run)


def record_link(inst: Any, record: Any, field: str, run: Any) -> None:
    """Link ``run`` to ``record`` through ``field`` (a no-op if already linked)."""
    record_links(inst, [record], field, run)


def record_links(inst: Any, records: list[Any], field: str, run: Any) -> None:
    """Link ``run`` to every record through ``field``: one transaction, missing links only."""
    if not records:
        return
    info = type(records[0])._meta.fields[field]
    link = info.link_table
    source, target = link.c[info.source_column], link.c[info.target_column]
    ids = list({r.id for r in records})
    with inst.session() as session:
        linked = set(
            session.execute(select(source).where(source.in_(ids), target == run.id)).scalars()
        )
        rows = [{info.source_column: i, info.target_column: run.id} for i in ids if i not in linked]
        if rows:
            try:
                with session.begin_nested():
                    session.execute(link.insert(), rows)
            except sa_exc.IntegrityError:  # a concurrent writer linked some first
                for row in rows:
                    with contextlib.suppress(sa_exc.IntegrityError), session.begin_nested():
                        session.execute(link.insert(), [row])


_STORAGE_CACHE: dict[tuple[Any, int], Any] = {}


def _storage_by_id(inst: Any, storage_id: int) -> Any:
    """The Storage record with ``storage_id`` (cached: storage rows rarely change)."""
    from .storage import Storage

    key = (inst, storage_id)  # the Instance object: a reconnect starts afresh
    found = _STORAGE_CACHE.get(key)
    if found is None:
        found = inst.get_by_id(Storage, storage_id)
        _STORAGE_CACHE[key] = found
    return found


# --- deleting and restoring --------------------------------------------------------


def delete_artifact(artifact: Any, *, permanent: bool | None, delete_storage: bool | None) -> None:
    """Trash or permanently delete an artifact; see :meth:`Artifact.delete`."""
    artifact._check_writable()
    artifact._check_not_locked("delete")
    if artifact.id is None:
        msg = "Cannot delete an unsaved Artifact."
        raise InvalidArgument(msg)
    inst = record_instance(artifact)
    model = type(artifact)
    stem = artifact.stem_uid
    was_latest = bool(artifact.is_latest)
    if permanent is True or (permanent is None and artifact.branch_id == -1):
        storage = _storage_by_id(inst, artifact.storage_id)
        key = storage_key(artifact)
        shares_content = bool(artifact._overwrite_versions) and _family_size(inst, model, stem) > 1
        with inst.atomic():
            if was_latest:
                promote_newest(inst, model, stem, exclude_id=artifact.id)
            artifact._hard_delete()
        if delete_storage is not False and not shares_content:
            is_dir = bool(artifact.n_files) or artifact.suffix in (".zarr",)
            _remove(storage.store, key, is_dir=is_dir)
            _forget_cached(storage.store, key)
        return
    with inst.atomic():
        artifact._set_branch(-1)
        if was_latest:
            promote_newest(inst, model, stem, exclude_id=artifact.id)
    attributes.set_committed_value(artifact, "is_latest", value=False)


def _family_size(inst: Any, model: Any, stem: str) -> int:
    from ..orm.query_set import QuerySet

    return QuerySet(model, instance=inst, include_trash=True).filter(uid__startswith=stem).count()


def _forget_cached(store: Any, key: str) -> None:
    if store.local_path(key) is not None:
        return
    try:
        from ..storage._cache import cache_path

        _remove_local(cache_path(store, key))
    except Exception as error:
        logger.debug("Could not remove the cached copy of %s: %s", key, error)


def restore_artifact(artifact: Any) -> None:
    """Restore from the trash; the artifact becomes latest if its family has no head."""
    from ._is_versioned import latest_in_family

    artifact._check_writable()
    inst = record_instance(artifact)
    model = type(artifact)
    table = model.__table__
    with inst.atomic() as session:
        artifact._set_branch(1)
        head = latest_in_family(session, model, stem=artifact.stem_uid, key=None)
        if head is None:
            try:
                with inst.session() as write:
                    write.execute(
                        update(table).where(table.c.id == artifact.id).values(is_latest=True)
                    )
                attributes.set_committed_value(artifact, "is_latest", value=True)
            except Exception:  # another family took the key meanwhile: stay a non-head
                attributes.set_committed_value(artifact, "is_latest", value=False)
