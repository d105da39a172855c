"""``output(context, value)``: an asset's value as an artifact, with its hash as data version."""

from __future__ import annotations

from typing import Any

import dagster as dg

from ..models import Artifact
from . import _keys, _values
from .io_manager import _partition_value


def output(context: dg.AssetExecutionContext, value: Any, **artifact_kwargs: Any) -> Any:
    """Build the artifact of ``value`` inside an asset body and return it with its data version.

    The artifact is hashed when it is built, so the result carries
    ``DataVersion(artifact.hash)``: Dagster's staleness then follows the content, not the
    time of materialization. Return the result from the asset;
    :class:`~lamin_pipes.dagster.LaminIOManager` saves the artifact (or keeps the latest
    version when its content is unchanged).

    Args:
        context: The asset's execution context.
        value: What the asset produced (a DataFrame, AnnData, array, dict, path, …) or an
            unsaved :class:`~lamin_pipes.Artifact` without a key.
        **artifact_kwargs: Passed to :class:`~lamin_pipes.Artifact` (``description``,
            ``kind``, ``format``, …); the key is the asset's (see the IO manager).

    Returns:
        ``dg.MaterializeResult(value=artifact, data_version=dg.DataVersion(artifact.hash))``.

    Examples:
        >>> import dagster as dg
        >>> import pandas as pd
        >>> import lamin_pipes as ln
        >>> from lamin_pipes.dagster import LaminIOManager, output
        >>> @dg.asset
        ... def scores(context):
        ...     return output(context, pd.DataFrame({"s": [0.5]}), description="scores")
        >>> io = LaminIOManager(db=ln.settings.instance.db, storage=ln.settings.storage.root_as_str)
        >>> result = dg.materialize([scores], resources={"io_manager": io})
        >>> artifact = ln.Artifact.get(key="scores.parquet")
        >>> event = result.get_asset_materialization_events()[0]
        >>> event.step_materialization_data.materialization.tags["dagster/data_version"] == artifact.hash
        True
    """
    asset_key = context.asset_key
    metadata = context.assets_def.metadata_by_key.get(asset_key, {})
    fmt = artifact_kwargs.pop("format", None) or metadata.get(_keys.FORMAT_META)
    for option, meta in (("description", _keys.DESCRIPTION_META), ("kind", _keys.KIND_META)):
        if meta in metadata:
            artifact_kwargs.setdefault(option, metadata[meta])
    partition = (
        _partition_value(context.partition_key, context.assets_def.partitions_def)
        if context.has_partition_key
        else None
    )
    key_base = _keys.key_base_of(metadata.get(_keys.KEY_META))
    base = _keys.asset_base(asset_key.path, partition=partition, key=key_base)
    if isinstance(value, Artifact):
        artifact = value
    else:
        key = f"{base}{_values.suffix_of(value, fmt)}"
        artifact = _values.build_artifact(value, key=key, fmt=fmt, **artifact_kwargs)
        _values.remember_value(artifact, value)  # for row counts and column schemas
    return dg.MaterializeResult(value=artifact, data_version=dg.DataVersion(str(artifact.hash)))


__all__ = ["output"]
