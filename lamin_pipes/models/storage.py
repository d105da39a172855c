"""Storage locations: a local directory or an S3 bucket prefix that holds artifacts."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from ..core._settings import settings, storage_type
from ..core._uid import base62_12
from ..errors import IntegrityError, InvalidArgument
from ..orm import fields
from ..orm.query_set import QuerySet
from ..orm.sqlrecord import SQLRecord
from ..storage import open_store
from ._artifact_store import STORAGES_DIR
from ._storage_clean import CleanReport, clean_storage
from .run import TracksRun, TracksUpdates

if TYPE_CHECKING:
    from ..core._instance import Instance
    from ..storage import Store

_DEFAULT_LOCK = threading.Lock()
logger = logging.getLogger("lamin_pipes")


class Storage(SQLRecord, TracksRun, TracksUpdates):
    """Storage locations of artifacts: local directories or ``s3://bucket/prefix`` roots.

    The instance's default storage is registered the first time an artifact is saved.
    Artifact files live at ``{root}/.lamindb/{uid}{suffix}``.

    As in lamindb, the root may be passed positionally, ``type`` is inferred from it
    (``"s3"`` for ``s3://…``, ``"local"`` for a path, which is made absolute), and
    constructing a location whose root is registered already returns that record.

    Examples:
        >>> import lamin_pipes as ln
        >>> storage = ln.Storage.default()
        >>> storage.type, storage.root == ln.settings.storage.root_as_str
        ('local', True)
        >>> ln.Storage("s3://my-bucket/prefix/").type
        's3'
        >>> ln.Storage(storage.root) == storage
        True
    """

    _name_field = "root"

    uid: str = fields.CharField(
        max_length=12, unique=True, editable=False, default=base62_12, doc="A universal random id."
    )
    root: str = fields.CharField(
        max_length=767, unique=True, doc="Root path: a local directory or s3://bucket/prefix."
    )
    description: str | None = fields.TextField(null=True, doc="A description.")
    type: str = fields.CharField(max_length=30, db_index=True, doc="'local' or 's3'.")
    region: str | None = fields.CharField(
        max_length=64, null=True, db_index=True, doc="The cloud region, if any."
    )
    instance_uid: str | None = fields.CharField(
        max_length=12, null=True, db_index=True, doc="The instance that manages the location."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args:
            if len(args) > 1 or "root" in kwargs:
                msg = f"Storage() takes the root as its only positional argument, got {args!r}"
                raise InvalidArgument(msg)
            kwargs["root"] = args[0]
        root = kwargs.get("root")
        if isinstance(root, (str, os.PathLike)):
            root = _normalize_root(os.fspath(root))
            kwargs["root"] = root
            kwargs.setdefault("type", storage_type(root))
        super().__init__(**kwargs)

    @classmethod
    def _existing_on_init(cls, kwargs: dict[str, Any]) -> Storage | None:
        """The registered location with the same root (lamindb returns it)."""
        root = kwargs.get("root")
        if not isinstance(root, str):
            return None
        return QuerySet(cls).filter(root=root).first()  # type: ignore[no-any-return]

    @property
    def store(self) -> Store:
        """The object store of this location (local directory or S3)."""
        return open_store(self.root)

    def clean(self, *, min_age: float = 3600.0, dry_run: bool = False) -> CleanReport:
        """Remove what interrupted saves left here (objects no artifact row references).

        Removes staged objects in ``.lamindb/_staging/``, objects under a final name
        whose row never committed, and leftover temporary files, all only when
        unchanged for ``min_age`` seconds (a save in flight is never disturbed).

        Args:
            min_age: Minimum age in seconds of what is removed.
            dry_run: Only report what would be removed.

        Examples:
            >>> import lamin_pipes as ln
            >>> print(ln.Storage.default().clean(dry_run=True))
            would remove 0 objects (0 staged, 0 unreferenced, 0 temporary)
        """
        return clean_storage(self, min_age=min_age, dry_run=dry_run)

    def delete(self, permanent: bool | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        """Delete the storage record permanently; storage locations have no trash.

        As in lamindb, a location that artifacts still use, or the instance's current
        storage, is refused; the files under the root are never touched.

        Args:
            permanent: ``False`` raises, since soft delete is impossible here.
            **kwargs: Accepted for signature compatibility; unused.

        Raises:
            InvalidArgument: For ``permanent=False``, a location artifacts use (in any
                branch, the trash included), or the instance's current storage.
        """
        if permanent is False:
            msg = (
                "Soft delete is not possible for Storage; use permanent=True or "
                "permanent=None to delete the storage record."
            )
            raise InvalidArgument(msg)
        if self.id is None:
            logger.warning("%s is not saved yet: delete() has no effect", self._label())
            return
        inst = self._check_writable()
        self._check_not_locked("delete")
        artifacts = self._meta.fields["artifacts"].related_model.__table__  # type: ignore[attr-defined]
        count_artifacts = (
            select(func.count()).select_from(artifacts).where(artifacts.c.storage_id == self.id)
        )
        with inst.read_session() as session:
            n_artifacts = session.execute(count_artifacts).scalar_one()
        if n_artifacts:
            msg = (
                f"Cannot delete Storage {self.root!r}: {n_artifacts} artifact(s) of this "
                "instance use it (trash included); delete them permanently first."
            )
            raise InvalidArgument(msg)
        if open_store(inst.storage).root_uri == self.root:
            msg = (
                f"Cannot delete Storage {self.root!r}: it is the instance's current "
                "storage; switch to another location first."
            )
            raise InvalidArgument(msg)
        self._hard_delete()
        _forget(self, _DEFAULT_CACHE)
        _forget(self, _STORAGE_CACHE)
        try:
            open_store(self.root).delete(f"{STORAGES_DIR}/{self.uid}", missing_ok=True)
        except OSError as error:  # the marker only informs clean(); leave it
            logger.warning("could not remove the marker of %s: %s", self.root, error)

    @classmethod
    def default(cls, instance: Instance | None = None) -> Storage:
        """The record of the instance's storage root, registered on first use."""
        inst = instance or settings.instance
        cache = _DEFAULT_CACHE
        # Keyed by the Instance object: a reconnect (new Instance) never sees stale rows.
        cache_key = (inst, inst.storage)
        found = cache.get(cache_key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        store = open_store(inst.storage)
        root = store.root_uri
        with _DEFAULT_LOCK:
            record = QuerySet(cls, instance=inst).filter(root=root).first()
            if record is None:
                try:
                    record = cls(root=root, type=store.storage_type, region=store.region)
                    record._lp_instance = inst
                    record.save()
                except IntegrityError:  # registered by another process meanwhile
                    record = QuerySet(cls, instance=inst).filter(root=root).first()
                    if record is None:
                        raise
        _mark_use(store, record)
        cache[cache_key] = record
        return record  # type: ignore[no-any-return]


_DEFAULT_CACHE: dict[tuple[Any, str], Any] = {}


def _forget(record: Storage, cache: dict[Any, Any]) -> None:
    """Drop a deleted location from a cache."""
    for key in [k for k, v in cache.items() if v is record or v.id == record.id]:
        del cache[key]


def _normalize_root(root: str) -> str:
    """A local root as an absolute path; a cloud root without its trailing slash."""
    if storage_type(root) != "local":
        return root.rstrip("/")
    return str(Path(root.removeprefix("file://")).expanduser().resolve())


def _mark_use(store: Store, record: Storage) -> None:
    """Leave a marker that this Storage record (so its instance) uses the root.

    Instances can share a root; each sees only its own artifacts, so ``clean()`` counts
    the markers and refuses to judge what is unreferenced in a root others use.
    """
    key = f"{STORAGES_DIR}/{record.uid}"
    if not store.exists(key):
        store.put_bytes(b"", key)


_STORAGE_CACHE: dict[tuple[Any, int], Any] = {}


def storage_by_id(inst: Any, storage_id: int) -> Any:
    """The Storage record with ``storage_id`` (cached: storage rows rarely change)."""
    key = (inst, storage_id)  # the Instance object: a reconnect starts afresh
    found = _STORAGE_CACHE.get(key)
    if found is None:
        found = inst.get_by_id(Storage, storage_id)
        _STORAGE_CACHE[key] = found
    return found
