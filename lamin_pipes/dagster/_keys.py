"""Artifact keys of Dagster assets, and the registry family behind each one.

An asset ``a/b`` materialized for partition ``p`` is stored under the key ``a/b/p`` plus
the suffix its format writes (``a/b/p.parquet``). Every key component (asset key parts,
partition keys, dimension names of multi-partitions) is encoded so that the mapping is
deterministic and cannot collide: characters outside ``A-Z a-z 0-9 _ -`` become ``%XX``
(UTF-8 bytes), dots included. Keys stay readable for the common names (``raw_batches``,
``2024-01-31``) while a partition key such as ``v1.2`` cannot pass for a suffix.

A multi-partition key becomes one component per dimension, ordered by dimension name:
``date=2024-01-31/region=eu``.

Examples:
    >>> encode_component("2024-01-31"), encode_component("v1.2"), encode_component("a b/c")
    ('2024-01-31', 'v1%2E2', 'a%20b%2Fc')
    >>> asset_base(["scrna", "raw_batches"], partition="batch-7")
    'scrna/raw_batches/batch-7'
    >>> asset_base(["qc"], partition={"region": "eu", "date": "2024-01-31"})
    'qc/date=2024-01-31/region=eu'
    >>> is_in_family("qc/batch-1.parquet", "qc/batch-1"), is_in_family("qc/batch-1/x.parquet", "qc/batch-1")
    (True, False)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidArgument

_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SUFFIX_CHAIN = re.compile(r"(\.[A-Za-z0-9]+)*")

#: Definition metadata an asset sets to choose its key base, format, description, kind.
KEY_META = "lamin/key"
FORMAT_META = "lamin/format"
DESCRIPTION_META = "lamin/description"
KIND_META = "lamin/kind"
VERSION_META = "lamin/version"
SCHEMA_META = "lamin/schema"
ON_INVALID_META = "lamin/on_invalid"


def encode_component(text: str) -> str:
    """``text`` as one key component: unsafe characters (``.`` too) as ``%XX`` bytes."""
    if not isinstance(text, str) or not text:
        msg = f"A key component must be a non-empty string, not {text!r}"
        raise InvalidArgument(msg)
    return "".join(c if c in _SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in text)


def partition_components(partition: str | Mapping[str, str]) -> list[str]:
    """The key components of a partition key (a dict for a multi-partition key)."""
    if isinstance(partition, Mapping):
        return [
            f"{encode_component(dim)}={encode_component(partition[dim])}"
            for dim in sorted(partition)
        ]
    return [encode_component(partition)]


def asset_base(
    asset_path: Sequence[str],
    *,
    partition: str | Mapping[str, str] | None = None,
    key: str | None = None,
) -> str:
    """The artifact key of an asset (and partition) without its suffix.

    Args:
        asset_path: The asset key's path (``AssetKey.path``).
        partition: The partition key; a dict of dimension → key for a multi-partition.
        key: A base chosen in the asset's definition metadata (``lamin/key``), used
            instead of the asset key path; taken as it is (not encoded).
    """
    if key is not None:
        if not isinstance(key, str) or not key.strip("/"):
            msg = f"{KEY_META} must be a non-empty key such as 'datasets/raw', not {key!r}"
            raise InvalidArgument(msg)
        components = [key.strip("/")]
    else:
        components = [encode_component(part) for part in asset_path]
    if partition is not None:
        components.extend(partition_components(partition))
    return "/".join(components)


def is_in_family(artifact_key: str | None, base: str) -> bool:
    """Whether ``artifact_key`` is ``base`` plus nothing but a suffix (``.parquet``, ``.tar.gz``)."""
    if artifact_key is None or not artifact_key.startswith(base):
        return False
    return _SUFFIX_CHAIN.fullmatch(artifact_key[len(base) :]) is not None


def key_base_of(meta_key: Any) -> str | None:
    """The key base a ``lamin/key`` names: a suffix in it is dropped (the format decides it).

    Examples:
        >>> key_base_of("datasets/raw.parquet"), key_base_of("datasets/raw"), key_base_of(None)
        ('datasets/raw', 'datasets/raw', None)
    """
    if meta_key is None:
        return None
    text = str(meta_key).strip("/")
    head, _, last = text.rpartition("/")
    stem = last.split(".", 1)[0]
    return f"{head}/{stem}" if head else stem


def latest_in_family(base: str, *, version: str | None = None) -> Any:
    """The latest artifact stored for ``base`` (any suffix), or the version ``version``.

    Returns ``None`` when nothing was stored under ``base`` yet.
    """
    from ..models import Artifact, Q

    query = Artifact.filter(Q(key=base) | Q(key__startswith=f"{base}."))
    if version is None:
        query = query.filter(is_latest=True)
    candidates = [a for a in query.order_by("-id").to_list() if is_in_family(a.key, base)]
    if version is None:
        return candidates[0] if candidates else None
    for artifact in candidates:
        if version in (artifact.version_tag, artifact.version, artifact.uid):
            return artifact
    known = sorted({a.version for a in candidates})
    msg = f"No version {version!r} of {base!r} in the registry; versions: {known}"
    raise InvalidArgument(msg)


__all__ = [
    "DESCRIPTION_META",
    "FORMAT_META",
    "KEY_META",
    "KIND_META",
    "ON_INVALID_META",
    "SCHEMA_META",
    "VERSION_META",
    "asset_base",
    "encode_component",
    "is_in_family",
    "key_base_of",
    "latest_in_family",
    "partition_components",
]
