"""Transforms versioned by a declared code version (Dagster's ``code_version``)."""

from __future__ import annotations

from ..errors import IntegrityError, InvalidArgument
from ..models import Transform
from ..models._is_versioned import FamilyExists


def code_versioned_transform(key: str, *, code_version: str, source: str | None) -> Transform:
    """The transform with ``key`` tagged ``code_version``, made (as the next version) if new.

    The code version is the identity Dagster users declare: a changed source with the
    same code version stays the same transform, as Dagster's staleness sees it; a new
    code version is a new version of the transform, revising the latest one. Safe
    against concurrent processes: a version is created at most once.

    Examples:
        >>> first = code_versioned_transform("qc-example", code_version="1", source=None)
        >>> code_versioned_transform("qc-example", code_version="1", source="x = 1") == first
        True
        >>> second = code_versioned_transform("qc-example", code_version="2", source=None)
        >>> second.version, second.is_latest, second.kind
        ('2', True, 'function')
    """
    for _ in range(5):
        found = Transform.filter(key=key, version_tag=code_version).order_by("id").first()
        if found is not None:
            return found  # type: ignore[no-any-return]
        latest = Transform.filter(key=key, is_latest=True).order_by("id").first()
        try:
            if latest is None:
                first = Transform(
                    key=key,
                    kind="function",
                    source_code=source,
                    version=code_version,
                    skip_hash_lookup=True,
                    _search_names=False,
                )
                return first._insert(only_new_family=True)
            new = Transform(
                key=key,
                kind="function",
                source_code=source,
                revises=latest,
                version=code_version,
                skip_hash_lookup=True,  # the code version decides, not the source
                _search_names=False,
            )
            return new._insert(only_new_family=False, strict_revises=True)
        except (FamilyExists, IntegrityError):
            continue  # another process made a version meanwhile: look again
    msg = f"Could not resolve transform {key!r} at code version {code_version!r}: it keeps changing"
    raise InvalidArgument(msg)


__all__ = ["code_versioned_transform"]
