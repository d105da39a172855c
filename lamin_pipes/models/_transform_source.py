"""The latest transform of a key, made once per new source: ``ln.track()`` and
``Transform.from_path()`` share it.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument
from ._is_versioned import FamilyExists
from .run import Transform, hash_text


def check_version(transform: Transform, version: str | None) -> Transform:
    """``transform``, tagged with ``version`` if it has no tag yet."""
    if version is None or transform.version_tag == version:
        return transform
    if transform.version_tag is None:
        transform.version_tag = version
        return transform.save()
    msg = (
        f"Transform {transform.uid!r} is already tagged with version "
        f"{transform.version_tag!r}, not {version!r}; set ln.context.version = "
        f"{transform.version_tag!r} or None, or tag it yourself: "
        f"transform.version_tag = {version!r}; transform.save()."
    )
    raise InvalidArgument(msg)


def latest_transform(
    key: str,
    *,
    kind: str,
    source: str | None,
    stem: str | None = None,
    version: str | None = None,
) -> Transform:
    """The latest transform with ``key`` (or stem uid ``stem``); a new version for new source.

    Safe against other processes doing the same: the first version of a family, and a new
    version for a changed source, is created at most once (a concurrent creator's
    transform is returned instead).
    """
    for _ in range(5):
        query = (
            Transform.filter(uid__startswith=stem, is_latest=True)
            if stem is not None
            else Transform.filter(key=key, is_latest=True)
        )
        found = query.order_by("id").first()
        if found is None:
            uid: dict[str, Any] = {} if stem is None else {"uid": f"{stem}0000"}
            try:
                first = Transform(
                    key=key,
                    kind=kind,
                    source_code=source,
                    version=version,
                    _search_names=False,
                    **uid,
                )
                return first._insert(only_new_family=True)
            except FamilyExists:
                continue
        new_hash = None if source is None else hash_text(source)
        if source is None or found.hash == new_hash:
            return check_version(found, version)
        if found.hash is None:
            found.source_code = source
            found.hash = new_hash
            return check_version(found.save(), version)
        if version is not None and version == found.version_tag:
            msg = (
                f"The source code of transform {found.key!r} changed, but version {version!r} "
                f"is taken by Transform {found.uid!r}; set another ln.context.version."
            )
            raise InvalidArgument(msg)
        try:
            # Only if `found` is still the head: a concurrent process may have made the
            # same new version meanwhile (then the next round returns it).
            return Transform(
                key=found.key,
                kind=found.kind,
                source_code=source,
                revises=found,
                version=version,
                _search_names=False,
            )._insert(only_new_family=False, strict_revises=True)
        except FamilyExists:
            continue
    msg = f"Could not resolve the transform {key!r}: it keeps changing concurrently"
    raise InvalidArgument(msg)


__all__ = ["check_version", "latest_transform"]
