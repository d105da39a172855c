"""Curation in Dagster: a sensor that validates new artifacts, an asset check that blocks.

- :func:`build_curation_sensor` validates each new artifact (cursor: the last artifact id
  seen, so a tick costs what is new, not the registry's size) against a schema, records
  the outcome on the artifact, reports an ``AssetCheckEvaluation`` for the asset that
  produced it, and can request a run of a job for the artifacts that passed (run keys by
  artifact uid: a restarted sensor never requests one twice). Invalid artifacts are kept.
- :func:`build_schema_asset_check` validates the artifact an asset just materialized,
  inside the run; ``blocking=True`` keeps downstream assets from invalid data.

Both need the registry open: the check through a ``lamin`` resource
(:class:`~lamin_pipes.dagster.LaminResource`), the sensor through its ``db``/``storage``
arguments (default: as ``ln.connect()``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (  # not exported
    AssetCheckEvaluationTargetMaterializationData,
)

from ..errors import InvalidArgument, LaminPipesError
from ..models import Artifact, Run, Schema, Transform
from . import _keys
from ._runs import STEP_REFERENCE
from ._validation import (
    check_metadata,
    record_outcome,
    record_outcomes,
    resolve_schema,
    validate_artifact,
)
from .resources import open_registry

logger = logging.getLogger("lamin_pipes")


def _check_name(schema: Schema | str, name: str | None) -> str:
    if name is not None:
        return name
    label = schema if isinstance(schema, str) else (schema.name or schema.uid)
    return re.sub(r"[^A-Za-z0-9_]+", "_", f"{label}_schema").strip("_")


def producing_asset(artifact: Artifact) -> dg.AssetKey | None:
    """The asset whose Dagster step saved ``artifact`` (``None`` if none did)."""
    found = _producing_assets([artifact]).get(artifact.id)
    return None if found is None else found[0]


def _producing_assets(artifacts: list[Artifact]) -> dict[int, tuple[dg.AssetKey, str]]:
    """The asset and the Dagster run id that saved each artifact (two queries), by id."""
    run_ids = {a.run_id for a in artifacts if a.run_id is not None}
    if not run_ids:
        return {}
    runs = Run.filter(id__in=sorted(run_ids), reference_type=STEP_REFERENCE).to_list()
    transform_ids = sorted({r.transform_id for r in runs})
    keys = dict(Transform.filter(id__in=transform_ids).values_list("id", "key"))
    by_run = {
        r.id: (dg.AssetKey.from_user_string(keys[r.transform_id]), r.reference.split("/", 1)[0])
        for r in runs
    }
    return {a.id: by_run[a.run_id] for a in artifacts if a.run_id in by_run}


def _instance(context: Any) -> Any:
    """The sensor's Dagster instance, or ``None`` for a context built without one."""
    try:
        return context.instance
    except dg.DagsterInvariantViolationError:
        return None


def _materializations(
    instance: Any, run_ids: set[str], uids: set[str]
) -> dict[str, tuple[str | None, dg.EventLogRecord | None]]:
    """Partition and materialization record of the artifacts ``uids`` these runs saved.

    They give a check evaluation its partition and the materialization it is about, so
    the UI shows the result on that materialization (and partition). The record comes
    from the asset's index (``fetch_materializations``): a SQLite instance numbers the
    events of each run's own file differently. Runs the instance does not know (another
    instance's) give nothing; one older than the last ``_RECENT`` of its asset (partition)
    gives its partition only.
    """
    found: dict[str, tuple[str | None, dg.EventLogRecord | None]] = {}
    if instance is None:
        return found
    for run_id in sorted(run_ids):
        connection = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        )
        for in_run in connection.records:
            uid = _lamin_uid(in_run)
            if uid not in uids or in_run.asset_key is None:
                continue
            partitions = [in_run.partition_key] if in_run.partition_key is not None else None
            indexed = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=in_run.asset_key, asset_partitions=partitions),
                limit=_RECENT,
            ).records
            record = next((r for r in indexed if _lamin_uid(r) == uid), None)
            found[uid] = (in_run.partition_key, record)
    return found


#: Materializations of an asset (partition) searched for the one that saved an artifact.
_RECENT = 20


def _lamin_uid(record: Any) -> str | None:
    materialization = record.asset_materialization
    uid = materialization.metadata.get("lamin/uid") if materialization is not None else None
    return None if uid is None else str(getattr(uid, "value", uid))


def _evaluation(
    artifact: Artifact,
    report: Any,
    asset_key: dg.AssetKey,
    check: str,
    materialized: tuple[str | None, Any],
) -> dg.AssetCheckEvaluation:
    partition, record = materialized
    target = None
    if record is not None:
        target = AssetCheckEvaluationTargetMaterializationData(
            storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
        )
    return dg.AssetCheckEvaluation(
        asset_key=asset_key,
        check_name=check,
        passed=report.ok,
        metadata=check_metadata(artifact, report),
        description=report.to_text().splitlines()[0],
        target_materialization_data=target,
        partition=partition,
    )


def _artifact_to_check(context: Any, asset_key: dg.AssetKey) -> Artifact | None:
    """The artifact the asset materialized for this run's partition, else its latest one.

    In a partitioned run (tag ``dagster/partition``) the registry's latest version of
    that partition's key is checked, so parallel runs of other partitions do not
    interfere; otherwise the artifact named by the asset's latest materialization.
    """
    partition = context.run.tags.get("dagster/partition")
    if partition is not None:
        found = _keys.latest_in_family(_keys.asset_base(asset_key.path, partition=partition))
        if found is not None:
            return found  # type: ignore[no-any-return]
    event = context.instance.get_latest_materialization_event(asset_key)
    materialization = event.asset_materialization if event is not None else None
    if materialization is not None:
        uid = materialization.metadata.get("lamin/uid")
        if uid is not None:
            found = Artifact.filter(uid=getattr(uid, "value", uid)).first()
            if found is not None:
                return found  # type: ignore[no-any-return]
    return _keys.latest_in_family(_keys.asset_base(asset_key.path))  # type: ignore[no-any-return]


def build_schema_asset_check(
    asset: Any,
    schema: Schema | str,
    *,
    blocking: bool = True,
    name: str | None = None,
    partitioned: bool = False,
) -> dg.AssetChecksDefinition:
    """An asset check that validates the asset's artifact against ``schema``.

    In a partitioned run it checks the run's partition (the latest version stored for
    it); otherwise the artifact of the asset's latest materialization. With
    ``partitioned=True`` the check is partitioned like its asset, so each result names
    its partition and the UI shows the outcome per partition (Dagster's partitioned
    checks are a preview feature in 1.13: it warns once when the check is defined).

    The check runs in the same run as the asset (it needs a ``lamin`` resource), records
    the outcome on the artifact (feature ``validation``), and fails with the report as
    metadata: problems by kind, up to 20 bad values each, and a markdown table.

    Args:
        asset: The asset (an ``AssetsDefinition``, ``AssetKey`` or key string).
        schema: The schema (saved) or its name or uid, looked up when the check runs.
        blocking: Whether a failure keeps downstream assets from running.
        name: The check's name (default ``<schema name>_schema``).
        partitioned: Partition the check like ``asset`` (an ``AssetsDefinition``).

    Returns:
        The asset check, for ``dg.Definitions(asset_checks=[...])``.
    """
    check_name = _check_name(schema, name)
    asset_key = (
        asset.key if isinstance(asset, dg.AssetsDefinition) else dg.AssetKey.from_coercible(asset)
    )
    label = schema if isinstance(schema, str) else schema.name
    partitions = None
    if partitioned:
        if not isinstance(asset, dg.AssetsDefinition):
            msg = (
                f"partitioned=True needs the asset definition, got {asset!r}: pass the "
                "@asset function itself"
            )
            raise InvalidArgument(msg)
        partitions = asset.partitions_def

    @dg.asset_check(
        asset=asset_key,
        name=check_name,
        blocking=blocking,
        partitions_def=partitions,
        required_resource_keys={"lamin"},
        description=f"Validates the latest artifact against the lamin_pipes schema {label!r}.",
    )
    def _schema_check(context):  # type: ignore[no-untyped-def]  # dagster reads the bare annotation
        saved = resolve_schema(schema)
        artifact = _artifact_to_check(context, asset_key)
        if artifact is None:
            return dg.AssetCheckResult(
                passed=False,
                description=f"No artifact of {asset_key.to_user_string()!r} in the registry",
            )
        report = validate_artifact(artifact, saved)
        record_outcome(artifact, report)
        return dg.AssetCheckResult(
            passed=report.ok,
            metadata=check_metadata(artifact, report),
            description=report.to_text().splitlines()[0],
        )

    return _schema_check


def build_curation_sensor(
    *,
    schema: Schema | str,
    key_prefix: str | None = None,
    otype: str | None = None,
    job: Any = None,
    minimum_interval_seconds: int = 30,
    name: str | None = None,
    check_name: str | None = None,
    db: str | None = None,
    storage: str | None = None,
    max_per_tick: int = 100,
) -> dg.SensorDefinition:
    """A sensor that validates new artifacts against ``schema`` and reports asset checks.

    Each tick reads the artifacts saved since the last one it saw (cursor: an artifact
    id), at most ``max_per_tick``, validates each with the curator of its kind, records
    ``validation`` (``"passed"``/``"failed"``) and ``validation_report`` on it, reports an
    ``AssetCheckEvaluation`` (named ``check_name``, default ``<schema name>_schema``) for
    the asset whose step saved it, and, with ``job``, requests a run for each artifact
    that passed (run key: the artifact's uid; tag ``lamin/artifact_uid``).

    Args:
        schema: The schema (saved) or its name or uid.
        key_prefix: Only artifacts whose key starts with this.
        otype: Only artifacts of this type (``"DataFrame"``, ``"AnnData"``).
        job: The job to run for artifacts that passed.
        minimum_interval_seconds: Time between ticks.
        name: The sensor's name (default ``lamin_curation_<check name>``).
        check_name: The name of the asset check the evaluations report.
        db: The registry's URL (default: as ``ln.connect()``).
        storage: The registry's storage root (default: as ``ln.connect()``).
        max_per_tick: Artifacts validated per tick; the rest wait for the next.

    Returns:
        The sensor, for ``dg.Definitions(sensors=[...])``.
    """
    checked = _check_name(schema, check_name)

    @dg.sensor(
        name=name or f"lamin_curation_{checked}",
        minimum_interval_seconds=minimum_interval_seconds,
        job=job,
        description=f"Validates new artifacts against the lamin_pipes schema ({checked}).",
    )
    def _curation_sensor(context):  # type: ignore[no-untyped-def]  # dagster reads the bare annotation
        open_registry(db, storage)
        saved = resolve_schema(schema)
        last = int(context.cursor) if context.cursor else 0
        query = Artifact.filter(id__gt=last)
        if key_prefix is not None:
            query = query.filter(key__startswith=key_prefix)
        if otype is not None:
            query = query.filter(otype=otype)
        new = query.order_by("id")[:max_per_tick].to_list()
        evaluations: list[dg.AssetCheckEvaluation] = []
        requests: list[dg.RunRequest] = []
        outcomes = []
        for artifact in new:
            last = max(last, artifact.id)
            try:
                report = validate_artifact(artifact, saved)
            except LaminPipesError as error:  # unreadable or not a dataset: say so, go on
                context.log.warning(f"Cannot validate artifact {artifact.uid}: {error}")
                continue
            outcomes.append((artifact, report))
        record_outcomes(outcomes)
        producers = _producing_assets([artifact for artifact, _ in outcomes])
        records = _materializations(
            _instance(context),
            {run for _, run in producers.values()},
            {artifact.uid for artifact, _ in outcomes if artifact.id in producers},
        )
        for artifact, report in outcomes:
            producer = producers.get(artifact.id)
            if producer is not None:
                materialized = records.get(artifact.uid, (None, None))
                evaluations.append(
                    _evaluation(artifact, report, producer[0], checked, materialized)
                )
            if report.ok and job is not None:
                requests.append(
                    dg.RunRequest(run_key=artifact.uid, tags={"lamin/artifact_uid": artifact.uid})
                )
        return dg.SensorResult(run_requests=requests, asset_events=evaluations, cursor=str(last))

    return _curation_sensor


__all__ = ["build_curation_sensor", "build_schema_asset_check", "producing_asset"]
