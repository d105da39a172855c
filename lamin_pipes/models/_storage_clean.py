"""Remove what interrupted saves left in a storage location.

A save that dies midway can leave, under ``.lamindb/`` of its storage:

- a staged object in ``.lamindb/_staging/`` (the process died before committing);
- a file (or folder) under an artifact's final name whose row never committed;
- a hidden temporary file of an atomic write (``.name.<hex>.tmp``, ``.old``, ``.del``).

None of them is referenced by a row, so they are harmless but take space. Only
objects older than ``min_age`` seconds are touched: a save in flight writes its objects
just before it commits, so a recent object may still be about to get its row.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from ..errors import InvalidArgument, StorageError
from ..orm._records import record_instance
from ._artifact_store import STORAGES_DIR, remove
from ._shared_content import pending_staging_keys

logger = logging.getLogger("lamin_pipes")

_STORED_NAME = re.compile(
    r"^(?P<stem>[0-9A-Za-z]{16})(?P<counter>[0-9A-Za-z]{4})?(?P<suffix>\..*)?$"
)
_LEFTOVER = re.compile(r"^\..+\.(tmp|old|del)$")
_LAMINDB = ".lamindb"
_STAGING = f"{_LAMINDB}/_staging"


@dataclass
class CleanReport:
    """What :func:`clean_storage` removed (or, with ``dry_run``, would remove)."""

    staged: list[str] = field(default_factory=list)
    """Staged objects of saves that never committed."""
    unreferenced: list[str] = field(default_factory=list)
    """Objects under a final name that no artifact row references."""
    temporary: list[str] = field(default_factory=list)
    """Leftover temporary files of atomic writes."""
    dry_run: bool = False

    @property
    def removed(self) -> list[str]:
        """All objects, in one list."""
        return [*self.staged, *self.unreferenced, *self.temporary]

    def __str__(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        parts = [
            f"{len(self.staged)} staged",
            f"{len(self.unreferenced)} unreferenced",
            f"{len(self.temporary)} temporary",
        ]
        return f"{verb} {len(self.removed)} objects ({', '.join(parts)})"


def _age_s(entry: dict[str, Any], fs: Any, now: float) -> float:
    """Seconds since the entry (a file, or the newest file of a folder) last changed.

    A folder's own time changes only when an entry is added to or removed from it
    directly; a long write deep inside (a zarr store) leaves it old, so the newest
    file below it decides.
    """
    stamp = entry.get("mtime", entry.get("LastModified"))
    stamps = [] if stamp is None else [stamp]
    if entry.get("type") == "directory":
        inner = fs.find(entry["name"], detail=True, withdirs=True).values()
        stamps += [e.get("mtime", e.get("LastModified")) for e in inner]
    stamps = [s for s in stamps if s is not None]
    if not stamps:
        return 0.0  # unknown: treat as new, never remove
    return now - max(_epoch(s) for s in stamps)


def _epoch(stamp: Any) -> float:
    if isinstance(stamp, dt.datetime):
        return stamp.timestamp()
    return float(stamp)


def _list(fs: Any, path: str) -> list[dict[str, Any]]:
    try:
        return list(fs.ls(path, detail=True))
    except FileNotFoundError:
        return []


def clean_storage(storage: Any, *, min_age: float = 3600.0, dry_run: bool = False) -> CleanReport:
    """Remove staged, unreferenced and temporary objects older than ``min_age`` seconds.

    Args:
        storage: The :class:`~lamin_pipes.Storage` record whose location is cleaned.
        min_age: Only objects unchanged for this many seconds are removed.
        dry_run: Report what would be removed, remove nothing.

    Raises:
        InvalidArgument: ``min_age`` is negative.
    """
    if min_age < 0:
        msg = f"min_age must be >= 0 seconds, got {min_age!r}"
        raise InvalidArgument(msg)
    store = storage.store
    fs = store.filesystem()
    _refuse_shared_root(storage, fs)
    now = time.time()
    report = CleanReport(dry_run=dry_run)
    # Artifact, reached through the relation: this module needs no import of it.
    artifacts = type(storage)._meta.fields["artifacts"].related_model
    pending = pending_staging_keys(record_instance(storage), artifacts)
    candidates: dict[str, tuple[str, bool, str]] = {}  # uid or stem -> (key, is_dir, kind)
    base = store.fs_path(_LAMINDB)
    for entry in _list(fs, base):
        name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
        key = f"{_LAMINDB}/{name}"
        is_dir = entry.get("type") == "directory"
        if name == "_staging":
            for staged in _list(fs, store.fs_path(_STAGING)):
                staged_name = staged["name"].rstrip("/").rsplit("/", 1)[-1]
                if f"{_STAGING}/{staged_name}" in pending:
                    continue  # a committed version's content, waiting to move into place
                if _age_s(staged, fs, now) >= min_age:
                    report.staged.append(f"{_STAGING}/{staged_name}")
                    if not dry_run:
                        remove(
                            store,
                            f"{_STAGING}/{staged_name}",
                            is_dir=staged.get("type") == "directory",
                        )
            continue
        if _LEFTOVER.match(name):
            if _age_s(entry, fs, now) >= min_age:
                report.temporary.append(key)
                if not dry_run:
                    remove(store, key, is_dir=is_dir)
            continue
        match = _STORED_NAME.match(name)
        if match is None or _age_s(entry, fs, now) < min_age:
            continue
        ident = match["stem"] + (match["counter"] or "")
        candidates[ident] = (key, is_dir, "uid" if match["counter"] else "stem")
    if candidates:
        known = _referenced(record_instance(storage), artifacts, candidates)
        for ident, (key, is_dir, _) in sorted(candidates.items()):
            if ident in known:
                continue
            report.unreferenced.append(key)
            if not dry_run:
                remove(store, key, is_dir=is_dir)
    if report.removed:
        logger.info("clean_storage(%s): %s", store.root_uri, report)
    return report


def _refuse_shared_root(storage: Any, fs: Any) -> None:
    """Raise if Storage records other than ``storage`` (other instances) use the root.

    An object no row of this instance references may belong to the other instance.
    """
    markers = _list(fs, storage.store.fs_path(STORAGES_DIR))
    others = sorted(
        name
        for name in (e["name"].rstrip("/").rsplit("/", 1)[-1] for e in markers)
        if name != storage.uid
    )
    if others:
        msg = (
            f"Cannot clean {storage.root!r}: other instances use this storage root too "
            f"(their Storage records {', '.join(others)}), and objects this instance does "
            "not reference may be theirs. Clean a root that one instance uses alone."
        )
        raise StorageError(msg)


def _referenced(inst: Any, model: Any, candidates: dict[str, tuple[str, bool, str]]) -> set[str]:
    """The uids and stems among ``candidates`` that rows (any branch) still use."""
    table = model.__table__
    uids = [ident for ident, (_, _, kind) in candidates.items() if kind == "uid"]
    stems = [ident for ident, (_, _, kind) in candidates.items() if kind == "stem"]
    found: set[str] = set()
    with inst.read_session() as session:
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            found.update(
                session.execute(select(table.c.uid).where(table.c.uid.in_(chunk))).scalars()
            )
        stem = func.substr(table.c.uid, 1, model._len_stem)
        for start in range(0, len(stems), 500):
            chunk = stems[start : start + 500]
            found.update(session.execute(select(stem).where(stem.in_(chunk)).distinct()).scalars())
    return found
