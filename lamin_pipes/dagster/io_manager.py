"""``LaminIOManager``: every materialization a versioned artifact, every input from the registry."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from pydantic import PrivateAttr

from ..core._context import current_run
from ..core._instance import redact_url
from ..core._settings import settings
from ..errors import DoesNotExist, InvalidArgument
from ..models import Artifact, Run
from . import _keys, _runs, _values
from ._curated import curated_artifact
from ._validation import record_outcome
from .resources import open_registry, setup_registry, teardown_registry

logger = logging.getLogger("lamin_pipes")


def _step_context(context: dg.OutputContext | dg.InputContext) -> Any:
    """The step's execution context, or ``None`` (contexts built for unit tests)."""
    try:
        return context.step_context
    except Exception:  # dagster raises for contexts built outside a run
        return None


def _step_run(context: dg.OutputContext | dg.InputContext) -> Run | None:
    step_context = _step_context(context)
    if step_context is None or step_context.run_id not in _runs._enabled:
        return None
    return _runs.step_run(step_context)


@contextlib.contextmanager
def _in_run(run: Run | None) -> Iterator[None]:
    """Records saved and artifacts loaded in the block belong to ``run``."""
    if run is None:
        yield
        return
    token = current_run.set(run)
    try:
        yield
    finally:
        current_run.reset(token)


def _partition_value(key: Any, partitions_def: Any = None) -> str | Mapping[str, str]:
    """A partition key as :func:`~._keys.asset_base` takes it (a dict for multi-partitions)."""
    by_dimension = getattr(key, "keys_by_dimension", None)
    if by_dimension is None and isinstance(partitions_def, dg.MultiPartitionsDefinition):
        by_dimension = partitions_def.get_partition_key_from_str(str(key)).keys_by_dimension
    return dict(by_dimension) if by_dimension is not None else str(key)


def _asset_path(context: dg.OutputContext | dg.InputContext, output: Any) -> list[str]:
    if context.has_asset_key:
        return list(context.asset_key.path)
    # an op output: the op's name, then the output's name unless it is the default one
    name = output.name if output is not None else context.name
    op_name = output.op_def.name if output is not None else context.op_def.name
    return [op_name] if name == "result" else [op_name, name]


def _metadata_of(context: Any) -> Mapping[str, Any]:
    try:
        return context.definition_metadata or {}
    except Exception:
        return {}


def output_metadata(artifact: Artifact, value: Any, *, is_new: bool) -> dict[str, Any]:
    """What the Dagster UI shows for one stored materialization."""
    metadata: dict[str, Any] = {
        "lamin/uid": artifact.uid,
        "lamin/key": artifact.key,
        "lamin/version": artifact.version,
        "lamin/hash": artifact.hash,
        "lamin/is_new_version": is_new,
        "dagster/uri": dg.MetadataValue.path(str(artifact.path)),
        "lamin/describe": dg.MetadataValue.text(f"lamin-pipes describe {artifact.uid}"),
    }
    if artifact.size is not None:
        metadata["size"] = dg.MetadataValue.int(int(artifact.size))
    rows = _values.observations(value)
    if rows is None:
        rows = artifact.n_observations
    if rows is not None:
        metadata["dagster/row_count"] = dg.MetadataValue.int(int(rows))
        metadata["n_observations"] = dg.MetadataValue.int(int(rows))
    columns = _values.columns(value)
    if columns is not None:
        schema = dg.TableSchema(columns=[dg.TableColumn(name, dtype) for name, dtype in columns])
        metadata["dagster/column_schema"] = dg.MetadataValue.table_schema(schema)
    return metadata


def store(
    value: Any,
    *,
    base: str,
    fmt: str | None = None,
    description: str | None = None,
    kind: str | None = None,
    asset: str = "",
    schema: Any = None,
    on_invalid: str = "raise",
) -> tuple[Artifact, bool]:
    """Save ``value`` as the next version under ``base``; unchanged content keeps the latest.

    Returns the artifact (the latest version when the content did not change) and
    whether a new version was made. ``value`` may be an unsaved artifact without a key
    (it gets the derived one) or with exactly the derived key. With ``schema`` (a
    DataFrame or AnnData value), the value is standardized and validated by a curator
    first and saved annotated and linked to the schema (see
    :func:`~lamin_pipes.dagster._curated.curated_artifact`); the outcome is recorded
    on the artifact (feature ``validation``).
    """
    latest = _keys.latest_in_family(base)
    report = None
    if isinstance(value, Artifact):
        artifact = _adopt(value, base=base, asset=asset)
    else:
        suffix = _values.suffix_of(value, fmt)
        extra = {k: v for k, v in (("description", description), ("kind", kind)) if v}
        if schema is not None:
            artifact, report = curated_artifact(
                value,
                key=f"{base}{suffix}",
                fmt=fmt,
                schema=schema,
                on_invalid=on_invalid,
                **extra,
            )
        else:
            artifact = _values.build_artifact(value, key=f"{base}{suffix}", fmt=fmt, **extra)
    if artifact.id is not None:  # saved already (e.g. by the asset itself)
        return artifact, False
    if latest is not None and latest.hash == artifact.hash and latest.key == artifact.key:
        return latest, False
    saved = artifact.save()
    if report is not None:
        record_outcome(saved, report)
    return saved, True


def _adopt(artifact: Artifact, *, base: str, asset: str) -> Artifact:
    """An artifact the asset returned, under the key the asset decides."""
    suffix = artifact.suffix or ""
    key = f"{base}{suffix}"
    if artifact.key is None and artifact.id is None:
        artifact.key = key
        return artifact
    if artifact.key != key:
        state = "saved" if artifact.id is not None else "unsaved"
        msg = (
            f"Asset {asset!r} returned a {state} artifact with key {artifact.key!r}, but the "
            f"asset stores under {key!r}: leave the key out (the asset decides it), set "
            f"definition metadata {{'{_keys.KEY_META}': ...}} to choose another base, or use "
            f"lamin_pipes.dagster.output(context, value) to build it"
        )
        raise InvalidArgument(msg)
    return artifact


class LaminIOManager(dg.ConfigurableIOManager):
    """Stores each asset materialization as a versioned artifact; loads inputs from the registry.

    An output is saved under ``<asset key path>[/<partition key>]<suffix>`` (see
    :mod:`lamin_pipes.dagster._keys`): a new version when its content differs from the
    latest version of that key, else the latest version is kept (``lamin/is_new_version``
    is ``False``). An input is the latest version stored for the upstream asset and
    partition (or the version pinned in the input's metadata ``lamin/version``), and is
    recorded as an input of the step's registry run. Definition metadata of an asset:
    ``lamin/key`` (key base instead of the asset key path), ``lamin/format`` (e.g.
    ``"zarr"`` for AnnData, ``"csv"`` for DataFrames), ``lamin/description``,
    ``lamin/kind``, ``lamin/schema`` (a schema name or uid: the value is standardized,
    validated and saved through a curator, annotated with its features and labels) and
    ``lamin/on_invalid`` (``"raise"``, the default, fails the step on invalid data;
    ``"save"`` stores it anyway, marked ``validation="failed"``, for a check to report).

    Examples:
        >>> import dagster as dg
        >>> import pandas as pd
        >>> import lamin_pipes as ln
        >>> from lamin_pipes.dagster import LaminIOManager
        >>> @dg.asset
        ... def numbers() -> pd.DataFrame:
        ...     return pd.DataFrame({"x": [1, 2, 3]})
        >>> @dg.asset
        ... def total(numbers: pd.DataFrame) -> dict:
        ...     return {"total": int(numbers.x.sum())}
        >>> io = LaminIOManager(db=ln.settings.instance.db, storage=ln.settings.storage.root_as_str)
        >>> result = dg.materialize([numbers, total], resources={"io_manager": io})
        >>> ln.Artifact.get(key="total.json").load()
        {'total': 6}
        >>> ln.Artifact.get(key="total.json").run.initiated_by_run.reference_type
        'dagster_run_id'
    """

    db: str | None = None
    """SQLAlchemy URL or SQLite path of the registry (default: as ``ln.connect()``)."""
    storage: str | None = None
    """Storage root, a directory or ``s3://bucket/prefix`` (default: as ``ln.connect()``)."""

    _run_id: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._run_id = setup_registry(self.db, self.storage, context)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        teardown_registry(self._run_id, context)
        self._run_id = None

    # -- outputs ----------------------------------------------------------------------

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        open_registry(self.db, self.storage)
        if obj is None:
            context.log.info("The output is None: nothing stored in the registry")
            return
        metadata = _metadata_of(context)
        path = _asset_path(context, None)
        asset = "/".join(path)
        options = {
            "fmt": metadata.get(_keys.FORMAT_META),
            "description": metadata.get(_keys.DESCRIPTION_META),
            "kind": metadata.get(_keys.KIND_META),
            "schema": metadata.get(_keys.SCHEMA_META),
            "on_invalid": metadata.get(_keys.ON_INVALID_META, "raise"),
        }
        key_base = _keys.key_base_of(metadata.get(_keys.KEY_META))
        with _in_run(_step_run(context)):
            if context.has_asset_partitions and len(context.asset_partition_keys) > 1:
                self._handle_partitions(context, obj, path, key_base, options)
                return
            partition = (
                _partition_value(context.asset_partition_key, context.asset_partitions_def)
                if context.has_asset_partitions
                else (context.partition_key if context.has_partition_key else None)
            )
            base = _keys.asset_base(path, partition=partition, key=key_base)
            artifact, is_new = store(obj, base=base, asset=asset, **options)
        context.add_output_metadata(output_metadata(artifact, obj, is_new=is_new))
        state = "new version" if is_new else "unchanged"
        context.log.info(f"{asset}: artifact {artifact.uid} {artifact.key!r} ({state})")

    def _handle_partitions(
        self,
        context: dg.OutputContext,
        obj: Any,
        path: list[str],
        key_base: str | None,
        options: dict[str, Any],
    ) -> None:
        """A run over several partitions: a dict of partition key → value, one each."""
        keys = list(context.asset_partition_keys)
        if not isinstance(obj, Mapping) or set(map(str, obj)) != set(keys):
            shown = keys if len(keys) <= 5 else [*keys[:5], "..."]
            msg = (
                f"Asset {'/'.join(path)!r} ran for {len(keys)} partitions at once ({shown}): "
                f"return a dict partition key -> value for exactly these partitions, or "
                f"backfill one partition per run"
            )
            raise InvalidArgument(msg)
        uids: dict[str, str] = {}
        new = 0
        partitions_def = context.asset_partitions_def
        for partition_key in keys:
            value = obj[str(partition_key)]
            partition = _partition_value(partition_key, partitions_def)
            base = _keys.asset_base(path, partition=partition, key=key_base)
            artifact, is_new = store(value, base=base, asset="/".join(path), **options)
            uids[str(partition_key)] = artifact.uid
            new += int(is_new)
        context.add_output_metadata(
            {"lamin/uids": dg.MetadataValue.json(uids), "lamin/new_versions": new}
        )

    # -- inputs -----------------------------------------------------------------------

    def load_input(self, context: dg.InputContext) -> Any:
        open_registry(self.db, self.storage)
        upstream = context.upstream_output
        path = _asset_path(context, upstream)
        key_base = _keys.key_base_of(_metadata_of(upstream).get(_keys.KEY_META))
        version = _metadata_of(context).get(_keys.VERSION_META)
        run = _step_run(context)
        if not context.has_asset_partitions:
            return self._load(_keys.asset_base(path, key=key_base), path, None, version, run)
        keys = list(context.asset_partition_keys)
        as_dict = not context.has_partition_key or len(keys) != 1
        typing_type = getattr(context.dagster_type, "typing_type", None)
        if typing_type in (dict, Mapping) or getattr(typing_type, "__origin__", None) in (
            dict,
            Mapping,
        ):
            as_dict = True
        if not as_dict:
            partition = _partition_value(context.asset_partition_key, context.asset_partitions_def)
            base = _keys.asset_base(path, partition=partition, key=key_base)
            return self._load(base, path, keys[0], version, run)
        values = {}
        for partition_key in keys:
            partition = _partition_value(partition_key, context.asset_partitions_def)
            base = _keys.asset_base(path, partition=partition, key=key_base)
            values[partition_key] = self._load(base, path, partition_key, version, run)
        return values

    def _load(
        self, base: str, path: list[str], partition: str | None, version: Any, run: Run | None
    ) -> Any:
        artifact = _keys.latest_in_family(base, version=None if version is None else str(version))
        if artifact is None:
            where = f" partition {partition!r}" if partition is not None else ""
            msg = (
                f"No artifact for asset {'/'.join(path)!r}{where} in the registry at "
                f"{redact_url(str(settings.instance.db))} (looked for key {base!r} plus a "
                f"suffix): materialize it first"
            )
            raise DoesNotExist(msg)
        with _in_run(run):
            return _values.load_value(artifact)


__all__ = ["LaminIOManager", "output_metadata", "store"]
