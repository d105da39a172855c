"""Which saved transform ``ln.Transform(...)`` stands for, as lamindb 2.12 decides.

lamindb's ``Transform.__init__`` returns a saved transform instead of a new one:

1. ``uid`` names the latest version of its family: that version.
2. The latest transform with ``key`` (outside the trash) has no source code yet: that
   transform ("no source code was yet saved, returning existing transform with same
   key"), whatever ``version``, ``kind`` or ``source_code`` were passed. Otherwise it is
   the version the new transform revises, so a ``version`` it carries is refused.
3. ``source_code`` is given (and not ``skip_hash_lookup``) and the latest version of
   any family has the same source hash: that transform, even under another key (a
   warning says so).
4. ``version`` is given and a transform with the key carries that tag: that version
   (skipped when ``ln.settings.creation.search_names`` is off, as in lamindb).

Only ``description`` is taken from the arguments onto the returned transform (with a
warning when it changes; ``save()`` writes it).
"""

from __future__ import annotations

import logging
from typing import Any

from ..core._settings import settings
from ._is_versioned import check_revises_tag

logger = logging.getLogger("lamin_pipes")


def existing_transform(
    model: Any,
    kwargs: dict[str, Any],
    revises: Any,
    *,
    skip_hash_lookup: bool,
    search_names: bool | None,
) -> Any | None:
    """The saved transform that ``model(**kwargs, revises=revises)`` stands for, else ``None``.

    Args:
        model: The ``Transform`` class.
        kwargs: The constructor's field values (``version_tag``, ``hash`` filled in).
        revises: The transform passed as ``revises``, if any.
        skip_hash_lookup: Do not look for a transform with the same source code.
        search_names: ``_search_names`` as passed; ``None`` follows the setting.

    Raises:
        InvalidArgument: If ``version`` is the tag of the version that would be revised.

    Examples:
        >>> import lamin_pipes as ln
        >>> draft = ln.Transform(key="draft.py").save()
        >>> existing_transform(ln.Transform, {"key": "draft.py"}, None,
        ...                    skip_hash_lookup=False, search_names=None) == draft
        True
        >>> existing_transform(ln.Transform, {"key": "new.py"}, None,
        ...                    skip_hash_lookup=False, search_names=None) is None
        True
    """
    key = kwargs.get("key")
    version = kwargs.get("version_tag")
    uid = kwargs.get("uid")
    if uid is not None:
        latest = _outside_trash(model).filter(uid=uid, is_latest=True).first()
        if latest is not None:
            logger.info("returning existing transform with same uid: %r", uid)
        return latest
    if revises is None and key is not None:
        candidate = (
            _outside_trash(model).filter(key=key, is_latest=True).order_by("-created_at", "-id")
        ).first()
        if candidate is not None:
            if candidate.source_code is None:
                logger.info(
                    "no source code was yet saved, returning existing transform with same key: %r",
                    key,
                )
                return candidate
            revises = candidate
    check_revises_tag(revises, version)
    if key is None and revises is not None:
        key = revises.key
    source_hash = kwargs.get("hash")
    if kwargs.get("source_code") is not None and source_hash is not None and not skip_hash_lookup:
        same_source = (
            _outside_trash(model).filter(hash=source_hash, is_latest=True).order_by("id").first()
        )
        if same_source is not None:
            logger.info("returning existing transform with same source code: %r", same_source.key)
            if key is not None and same_source.key != key:
                logger.warning(
                    "key %r on existing transform differs from passed key %r, keeping the "
                    "original key; update it yourself or pass skip_hash_lookup=True for a "
                    "new transform",
                    same_source.key,
                    key,
                )
            return same_source
    if search_names is None:
        search_names = settings.creation.search_names
    if search_names and version is not None and key is not None:
        tagged = model.filter(key=key, version_tag=version).order_by("-id").first()
        if tagged is not None:
            logger.info("returning transform with same key and version: %r", key)
            return tagged
    return None


def _outside_trash(model: Any) -> Any:
    # lamindb looks in every branch but the trash (``~Q(branch_id=-1)``)
    return model.objects.exclude(branch_id=-1)


__all__ = ["existing_transform"]
