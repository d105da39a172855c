"""Finding artifacts by where their content is stored: ``Artifact.get(path=...)``.

As lamindb (``artifacts_from_path``), a path names an artifact in two ways:

- A managed path ``{root}/.lamindb/{uid}{suffix}``: the version ``uid`` (20
  characters) of a family that keeps each version's content, or the latest version of a
  family whose versions share one object (a 16-character stem, ``overwrite_versions``).
- Any other path in a registered storage location: the artifacts registered in place
  there, by their ``key`` (``_key_is_virtual=False``) or their ``_real_key``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..core._settings import storage_type
from ..errors import DoesNotExist, InvalidArgument
from ..orm._query_compiler import Q

_MANAGED = ".lamindb/"
_UID_CHARS = re.compile(r"^[0-9A-Za-z]+$")


def is_path_like(data: Any) -> bool:
    """Whether ``data`` names a path: a str, an ``os.PathLike`` or a ``UPath``."""
    return isinstance(data, str | os.PathLike) or type(data).__module__.startswith("upath")


def path_text(path: Any) -> str:
    """``path`` as text: a URL as given (``s3:///`` mended), a local path made absolute.

    Examples:
        >>> path_text("s3:///bucket/a.csv"), path_text("s3://bucket/dir/")
        ('s3://bucket/a.csv', 's3://bucket/dir')
    """
    if not is_path_like(path):
        msg = f"path must be a str, a pathlib.Path or a UPath, not {type(path).__name__}: {path!r}"
        raise InvalidArgument(msg)
    text = str(path) if type(path).__module__.startswith("upath") else os.fspath(path)
    if text.startswith("s3:///"):  # as lamindb: a malformed URL some tools produce
        text = "s3://" + text[len("s3:///") :]
    if storage_type(text) != "local":
        return text.rstrip("/")
    return str(Path(text.removeprefix("file://")).expanduser().absolute())


def _within(text: str, root: str) -> str | None:
    """The key of ``text`` relative to the storage ``root`` (``None`` if outside it)."""
    if storage_type(root) != "local":
        prefix = root.rstrip("/") + "/"
        return text[len(prefix) :] if text.startswith(prefix) else None
    if storage_type(text) != "local":
        return None
    path, base = Path(text), Path(root)
    for candidate, parent in ((path, base), (path.resolve(), base.resolve())):
        if candidate != parent and candidate.is_relative_to(parent):
            return candidate.relative_to(parent).as_posix()
    return None


def storage_of_path(inst: Any, text: str) -> tuple[Any, str] | None:
    """The registered storage location holding ``text`` (the innermost) and the key there."""
    from .storage import Storage, storage_by_id

    table = Storage.__table__  # type: ignore[attr-defined]
    with inst.read_session() as session:
        rows = session.execute(select(table.c.id, table.c.root)).all()
    for row in sorted(rows, key=lambda r: len(r.root), reverse=True):
        key = _within(text, row.root)
        if key is not None:
            return storage_by_id(inst, row.id), key
    return None


def _managed_uid(key: str) -> tuple[str, str] | None:
    """``(uid or stem, suffix)`` of a managed key ``.lamindb/{uid}{suffix}``."""
    if not key.startswith(_MANAGED):
        return None
    name = key[len(_MANAGED) :]
    for length in (20, 16):
        uid = name[:length]
        rest = name[length:]
        if len(uid) == length and _UID_CHARS.match(uid) and (not rest or rest[0] == "."):
            return uid, rest
    return None


def managed_folder_key(key: str) -> str | None:
    """The key of the managed folder that holds ``key``, a file inside it (else ``None``).

    Examples:
        >>> managed_folder_key(".lamindb/abcdefghijklmnop.zarr/x/.zarray")
        '.lamindb/abcdefghijklmnop.zarr'
        >>> managed_folder_key(".lamindb/abcdefghijklmnopqrst.csv") is None
        True
    """
    if not key.startswith(_MANAGED):
        return None
    head, sep, _ = key[len(_MANAGED) :].partition("/")
    return _MANAGED + head if sep else None


def artifacts_at_path(queryset: Any, path: Any) -> Any:
    """The artifacts of ``queryset`` whose content is stored at ``path``."""
    inst = queryset.instance
    text = path_text(path)
    found = storage_of_path(inst, text)
    if found is None:
        return queryset.none()
    storage, key = found
    managed = _managed_uid(key)
    if managed is not None:
        uid, suffix = managed
        shared = len(uid) == 16
        candidates = queryset.filter(
            Q(_key_is_virtual=True) | Q(key__isnull=True),
            _real_key__isnull=True,
            suffix=suffix,
            storage_id=storage.id,
        )
        if shared:
            candidates = candidates.filter(_overwrite_versions=True, uid__startswith=uid)
        else:
            candidates = candidates.filter(
                Q(_overwrite_versions=False) | Q(_overwrite_versions__isnull=True), uid=uid
            )
        return candidates
    return queryset.filter(
        Q(_real_key=key) | Q(_real_key__isnull=True, _key_is_virtual=False, key=key),
        storage_id=storage.id,
    )


def get_by_path(queryset: Any, path: Any, idlike: Any = None, **expressions: Any) -> Any:
    """``queryset.get(path=...)``: the artifact stored at ``path`` (see the module doc)."""
    if not getattr(queryset.model, "_queries_by_path", False):
        msg = (
            f"Querying by path is only possible for artifacts, not {queryset.model.__name__} "
            "records."
        )
        raise InvalidArgument(msg)
    found = artifacts_at_path(queryset, path)
    if idlike is not None or "is_latest" in expressions:
        return found.get(idlike, **expressions)
    # as lamindb: the latest version at the path, else the newest one
    latest = found.filter(is_latest=True, **expressions).first()
    if latest is not None:
        return latest
    newest = found.filter(**expressions).order_by("-created_at", "-id").first()
    if newest is None:
        msg = f"No artifact is stored at {path_text(path)!r}"
        raise DoesNotExist(msg)
    return newest


def artifact_for_managed_path(inst: Any, model: Any, text: str, key: str) -> Any:
    """The artifact whose managed content is at ``text`` (or holds it, a file in a folder)."""
    from ..orm.query_set import QuerySet

    queryset = QuerySet(model, instance=inst)
    for candidate_key in (key, managed_folder_key(key)):
        if candidate_key is None:
            continue
        candidate = text[: len(text) - len(key)] + candidate_key
        found = artifacts_at_path(queryset, candidate).order_by("-is_latest", "-id").first()
        if found is not None:
            return found
    return None
