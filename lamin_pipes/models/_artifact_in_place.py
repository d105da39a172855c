"""Artifacts registered in place: content that already lies in a registered storage.

As in lamindb, ``ln.Artifact(path)`` for a path inside a registered storage location
(the default one or any other ``ln.Storage`` record), local or ``s3://``, registers the
object where it is, without copying it: ``key`` is the path relative to the storage
root and ``_key_is_virtual`` is ``False``. With a ``key`` other than that path, the key
is virtual and the path is kept in ``_real_key``. Content registered in place is hashed
where it lies, and is not looked up by hash unless ``skip_hash_lookup=False``.

An ``s3://`` path in a bucket that no storage location holds is handled as lamindb does:
a bucket another instance manages, or one this process cannot write to, is registered
as a (read-only) location and the object in place; a writable, unmanaged bucket raises
:class:`~lamin_pipes.errors.UnknownStorageLocation`, since registering it would make this
instance manage it: register it yourself with ``ln.Storage(root="s3://bucket").save()``.
Paths inside a location's ``.lamindb/`` folder are managed content: an ``s3://`` one
gives its artifact, a local one is refused (as lamindb).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..core._settings import storage_type
from ..errors import IntegrityError, InvalidArgument, UnknownStorageLocation
from ..storage import open_store
from ..storage._keys import validate_key
from ..storage._stored_hash import hash_stored, stored_kind
from ._artifact_by_path import artifact_for_managed_path, path_text, storage_of_path
from ._artifact_store import STORAGES_DIR, Source, path_suffix

logger = logging.getLogger("lamin_pipes")

#: lamindb's marker of a storage location it manages.
_LAMINDB_MARKER = ".lamindb/storage_uid.txt"


@dataclass(frozen=True)
class InPlace:
    """Where the content of an artifact registered in place lies."""

    storage: Any
    """The Storage record of the location."""
    key: str
    """The path relative to the storage root."""
    kind: str
    """``"file"`` or ``"dir"``."""
    local: Path | None = None
    """The local path (``None`` for a remote object)."""
    existing: Any = None
    """For a managed ``.lamindb/`` path: the artifact it belongs to."""


def locate(data: Any, inst: Any, model: Any) -> InPlace | None:
    """The registered location holding the path ``data``; ``None`` for a local path outside.

    Raises:
        InvalidArgument: Nothing is at the path, or a local path inside ``.lamindb/``.
        UnknownStorageLocation: An ``s3://`` path in a writable bucket no location holds.
    """
    from .storage import Storage

    text = path_text(data)
    kind = storage_type(text)
    if kind not in ("local", "s3"):
        msg = (
            f"Cannot register {text!r}: the scheme {kind!r} is not supported; pass a local "
            "path, an s3:// URL, or an in-memory object"
        )
        raise InvalidArgument(msg)
    if kind == "local" and not Path(text).exists():
        msg = f"Path {str(data)!r} does not exist; pass an existing file or folder"
        raise InvalidArgument(msg)
    Storage.default(inst)  # the default location counts, registered or not yet
    found = storage_of_path(inst, text)
    if found is None:
        if kind == "local":
            return None
        found = (_register_bucket(inst, text), _bucket_key(text))
    storage, key = found
    try:
        validate_key(key)
    except InvalidArgument as error:
        msg = f"Cannot register {text!r} in place in storage {storage.root!r}: {error}"
        raise InvalidArgument(msg) from None
    if key == ".lamindb" or key.startswith(".lamindb/"):
        return _managed(inst, model, storage, text, key)
    store = storage.store
    found_kind = stored_kind(store, key)
    if found_kind is None:
        msg = f"Path {text!r} does not exist; pass an existing file or folder"
        raise InvalidArgument(msg)
    return InPlace(storage, key, found_kind, store.local_path(key))


def _managed(inst: Any, model: Any, storage: Any, text: str, key: str) -> InPlace:
    if storage_type(text) == "local":
        msg = (
            f"Do not pass a path inside the '.lamindb/' folder of storage {storage.root!r} "
            f"({text!r}): its content belongs to artifacts; get one with "
            "ln.Artifact.get(path=...)"
        )
        raise InvalidArgument(msg)
    existing = artifact_for_managed_path(inst, model, text, key)
    if existing is None:
        msg = f"No artifact is stored at the managed path {text!r}"
        raise InvalidArgument(msg)
    logger.info("initializing from the existing artifact with uid=%s", existing.uid)
    return InPlace(storage, key, "dir" if existing.n_files else "file", existing=existing)


def _bucket_key(text: str) -> str:
    return text[len("s3://") :].partition("/")[2]


def _register_bucket(inst: Any, text: str) -> Any:
    """Register the bucket of ``text`` as a read-only location, or raise (see the module)."""
    from .storage import Storage

    root = "s3://" + text[len("s3://") :].partition("/")[0]
    store = open_store(root)
    if not _managed_elsewhere(store) and _writable(store):
        known = _roots(inst)
        msg = (
            f"Path {text!r} is not contained in any known storage location "
            f"({', '.join(known) or 'none'}). Register a storage location that contains "
            f"it, e.g.: ln.Storage(root={root!r}).save()"
        )
        raise UnknownStorageLocation(msg)
    record = Storage(root=root, type="s3", region=store.region)
    if record.id is None:
        record._lp_instance = inst
        try:
            record.save()
        except IntegrityError:  # registered by another process meanwhile
            record = Storage(root=root)
            if record.id is None:
                raise
        logger.info("referenced read-only storage location at %s", root)
    return record


def _roots(inst: Any) -> list[str]:
    from .storage import Storage

    table = Storage.__table__  # type: ignore[attr-defined]
    with inst.read_session() as session:
        return list(session.scalars(select(table.c.root).order_by(table.c.id)))


def _managed_elsewhere(store: Any) -> bool:
    """Whether an instance (this package's or lamindb's) marked the bucket as its location."""
    try:
        if store.exists(_LAMINDB_MARKER):
            return True
        markers = store.filesystem().find(store.fs_path(STORAGES_DIR))
    except PermissionError:
        return False
    except FileNotFoundError as error:
        msg = f"The bucket of {store.root_uri!r} cannot be read: {error}"
        raise InvalidArgument(msg) from None
    return bool(markers)


def _writable(store: Any) -> bool:
    """Whether objects can be written to the bucket (a probe object, removed at once)."""
    probe = f"{STORAGES_DIR}/_probe_{secrets.token_hex(6)}"
    try:
        store.put_bytes(b"", probe)
    except PermissionError:
        return False
    store.delete(probe, missing_ok=True)
    return True


def in_place_source(place: InPlace) -> Source:
    """The :class:`Source` of content registered in place."""
    is_dir = place.kind == "dir"
    return Source(
        kind=place.kind,
        suffix=path_suffix(Path(place.key), is_dir=is_dir),
        otype=None,
        n_observations=None,
        path=place.local,
        in_place=place,
    )


def in_place_fields(place: InPlace, key: str | None) -> dict[str, Any]:
    """``key``, ``_key_is_virtual`` and ``_real_key`` of an artifact registered in place."""
    if key is None or key == place.key:
        return {"key": place.key, "_key_is_virtual": False, "_real_key": None}
    return {"key": key, "_key_is_virtual": True, "_real_key": place.key}


def hash_in_place(place: InPlace) -> Any:
    """The size and hash of content registered in place, read where it lies."""
    return hash_stored(place.storage.store, place.key)


def is_in_place(artifact: Any) -> bool:
    """Whether the artifact's content is stored at a path of its own (not in ``.lamindb/``)."""
    state = artifact.__dict__
    return state.get("_key_is_virtual") is False or state.get("_real_key") is not None
