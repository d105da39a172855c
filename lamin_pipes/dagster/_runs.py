"""Dagster runs and steps as registry runs: lamindb's flow and steps.

- A Dagster run is one :class:`~lamin_pipes.Run` of ``Transform(key=<job name>,
  kind="pipeline")``, with ``reference=<dagster run id>`` and
  ``reference_type="dagster_run_id"``.
- Each executed step (an asset, a multi-asset or an op) is a ``Run`` of
  ``Transform(key=<asset key or op name>, kind="function")``, initiated by the pipeline
  run, with ``reference="<dagster run id>/<step key>"``, ``reference_type="dagster_step"``
  and the step's config as ``params``. The transform is versioned by the asset's
  ``code_version`` when it has one (a new code version is a new transform version),
  else by the source code of the step's function.

Both are created on first use, by whichever process of the run gets there first: a
partial unique index on ``(reference_type, reference)`` (migration 0004) makes the
creation idempotent across step processes and concurrent steps — a loser of the race
reads the winner's row.

While a step body runs, :func:`step_runs` (registered as a run provider of
:mod:`lamin_pipes.core._context`) names the pipeline run as ``ln.context.run`` and the
step run as the run records belong to, for Dagster runs whose resources set up the
registry in this process (:func:`enable`).
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..core._context import add_run_provider
from ..core._settings import settings
from ..errors import IntegrityError
from ..models import Run, Transform
from ..models._flow import serialize_params
from ..models._transform_source import latest_transform
from ._transform_versions import code_versioned_transform

logger = logging.getLogger("lamin_pipes")

PIPELINE_REFERENCE = "dagster_run_id"
STEP_REFERENCE = "dagster_step"
_MAX_REFERENCE = 255

_lock = threading.RLock()
#: Dagster run ids with the registry set up in this process → how many resources hold it.
_enabled: dict[str, int] = {}
#: (instance db, dagster run id, step key or "") → the registry run, once made or found.
_runs: dict[tuple[str, str, str], Run] = {}


def enable(run_id: str) -> None:
    """Map the steps of Dagster run ``run_id`` to registry runs in this process."""
    with _lock:
        _enabled[run_id] = _enabled.get(run_id, 0) + 1
    add_run_provider(step_runs)


def disable(run_id: str) -> list[Run]:
    """Stop mapping ``run_id`` (when its last resource is torn down); its cached runs.

    Returns the registry runs this process made or found for the Dagster run, pipeline
    run last, once the last resource lets go; else an empty list.
    """
    with _lock:
        left = _enabled.get(run_id, 0) - 1
        if left > 0:
            _enabled[run_id] = left
            return []
        _enabled.pop(run_id, None)
        mine = [key for key in _runs if key[1] == run_id]
        runs = [_runs.pop(key) for key in sorted(mine, key=lambda k: k[2] == "")]
    return runs


def _db() -> str:
    return str(settings.instance.db)


def _remember(cache_key: tuple[str, str, str], run: Run) -> None:
    """Cache ``run`` unless it was made inside ``ln.atomic()``, which may still roll back."""
    if settings.instance.atomic_session() is None:
        _runs[cache_key] = run


def _step_reference(run_id: str, step_key: str) -> str:
    reference = f"{run_id}/{step_key}"
    if len(reference) > _MAX_REFERENCE:
        import hashlib

        digest = hashlib.sha1(step_key.encode()).hexdigest()
        reference = f"{run_id}/{step_key[: _MAX_REFERENCE - len(run_id) - 43]}~{digest}"
    return reference


#: (instance db, transform key, kind, code version, source) → the transform, per process:
#: each materialization of a long-lived process looks its transforms up once.
_transforms: dict[tuple[str, str, str, str | None, str | None], Transform] = {}


def _cached_transform(
    key: tuple[str, str, str, str | None, str | None], make: Callable[[], Transform]
) -> Callable[[], Transform]:
    def transform() -> Transform:
        found = _transforms.get(key)
        if found is None:
            found = _transforms[key] = make()
        return found

    return transform


def _get_or_create(
    reference: str,
    reference_type: str,
    *,
    transform: Callable[[], Transform],
    params: dict[str, Any] | None,
    initiated_by_run: Run | None,
    forget: Callable[[], object] = lambda: None,
) -> Run:
    """The run with this reference; created once whatever other processes do.

    The insert comes first (a run is almost always new: the step's own, or the first of
    a Dagster run in this process); the unique index turns a concurrent creator's row
    into an ``IntegrityError``, after which that row is read. ``forget`` drops a cached
    transform when the insert failed for another reason (it may have been deleted).
    """
    for attempt in range(2):
        run = Run(
            transform(),
            started_at=datetime.now(UTC),
            status="started",
            params=params or None,
            reference=reference,
            reference_type=reference_type,
            initiated_by_run=initiated_by_run,
        )
        try:
            return run.save()  # type: ignore[no-any-return]
        except IntegrityError:  # another process of the same Dagster run created it first
            found = Run.filter(reference=reference, reference_type=reference_type).one_or_none()
            if found is not None:
                return found  # type: ignore[no-any-return]
            if attempt == 1:
                raise
            forget()
    raise AssertionError("unreachable")


def pipeline_run(dagster_run: Any) -> Run:
    """The registry run of a Dagster run (a ``DagsterRun``), made on first use."""
    cache_key = (_db(), dagster_run.run_id, "")
    with _lock:
        cached = _runs.get(cache_key)
        if cached is not None:
            return cached
        params = serialize_params(dict(dagster_run.run_config or {}))
        job = dagster_run.job_name
        transform_key = (_db(), job, "pipeline", None, None)
        run = _get_or_create(
            dagster_run.run_id,
            PIPELINE_REFERENCE,
            transform=_cached_transform(
                transform_key, lambda: latest_transform(job, kind="pipeline", source=None)
            ),
            params=params,
            initiated_by_run=None,
            forget=lambda: _transforms.pop(transform_key, None),
        )
        _remember(cache_key, run)
        return run


def _step_identity(step_context: Any) -> tuple[str, str | None, Callable[..., Any] | None]:
    """The transform key, code version and function of the step executing."""
    op_def = step_context.op_def
    assets_def = step_context.assets_def
    code_version: str | None = None
    if assets_def is not None and len(assets_def.keys) == 1:
        (asset_key,) = assets_def.keys
        key = asset_key.to_user_string()
        code_version = assets_def.code_versions_by_key.get(asset_key)
    else:
        key = str(step_context.node_handle)
        if assets_def is not None:
            versions = {v for v in assets_def.code_versions_by_key.values() if v is not None}
            code_version = versions.pop() if len(versions) == 1 else None
    code_version = code_version or getattr(op_def, "code_version", None)
    compute = getattr(op_def.compute_fn, "decorated_fn", op_def.compute_fn)
    return key, code_version, compute


def _source_of(func: Callable[..., Any] | None) -> str | None:
    if func is None:
        return None
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        return None


def step_run(step_context: Any) -> Run:
    """The registry run of the step ``step_context`` executes (a ``StepExecutionContext``)."""
    run_id, step_key = step_context.run_id, step_context.step.key
    cache_key = (_db(), run_id, step_key)
    with _lock:
        cached = _runs.get(cache_key)
        if cached is not None:
            return cached
        flow = pipeline_run(step_context.dagster_run)
        key, code_version, func = _step_identity(step_context)
        source = _source_of(func)

        def make() -> Transform:
            if code_version is not None:
                return code_versioned_transform(key, code_version=code_version, source=source)
            return latest_transform(key, kind="function", source=source)

        transform_key = (_db(), key, "function", code_version, source)

        try:
            config = step_context.op_config
        except Exception:  # an op without config schema
            config = None
        params = serialize_params(config) if isinstance(config, dict) else None
        run = _get_or_create(
            _step_reference(run_id, step_key),
            STEP_REFERENCE,
            transform=_cached_transform(transform_key, make),
            params=params,
            initiated_by_run=flow,
            forget=lambda: _transforms.pop(transform_key, None),
        )
        _remember(cache_key, run)
        return run


def step_runs() -> tuple[Run, Run] | None:
    """``(pipeline run, step run)`` while a step of an enabled Dagster run executes here."""
    if not _enabled:
        return None
    from dagster._core.execution.context.compute import current_execution_context

    context = current_execution_context.get()
    if context is None:
        return None
    op_context = context.op_execution_context
    if op_context.run_id not in _enabled:
        return None
    step = step_run(op_context.get_step_execution_context())
    flow = _runs.get((_db(), op_context.run_id, ""))
    return (flow if flow is not None else step.initiated_by_run), step


_STATUS = {"SUCCESS": "completed", "FAILURE": "errored", "SKIPPED": "skipped"}


def finish(instance: Any, run_id: str, runs: list[Run]) -> None:
    """Set status and finish time of ``runs`` (of Dagster run ``run_id``) from Dagster's steps.

    Called when the last resource of the run is torn down in this process, after its
    steps finished: each step run takes its step's outcome; the pipeline run is
    ``errored`` once any step failed, else ``completed`` while its steps all finished
    (each process that ran steps updates it when it is done, the last one settles it;
    one that saw fewer steps finished never undoes a final status). One transaction.
    """
    if not runs:
        return
    stats = {s.step_key: s for s in instance.get_run_step_stats(run_id)}
    updates: list[tuple[Run, dict[str, Any]]] = []
    for run in runs:
        if run.reference_type != STEP_REFERENCE:
            continue
        stat = stats.get(str(run.reference).split("/", 1)[1])
        if stat is None or stat.status is None:
            continue
        values: dict[str, Any] = {
            "status": _STATUS.get(stat.status.value, str(stat.status.value).lower())
        }
        if stat.end_time is not None:
            values["finished_at"] = datetime.fromtimestamp(stat.end_time, UTC)
        updates.append((run, values))
    flow = next((r for r in runs if r.reference_type == PIPELINE_REFERENCE), None)
    statuses = [s.status.value if s.status is not None else None for s in stats.values()]
    if "FAILURE" in statuses:
        status = "errored"
    elif statuses and all(s not in (None, "IN_PROGRESS") for s in statuses):
        status = "completed"
    else:
        status = "started"
    end_times = [s.end_time for s in stats.values() if s.end_time is not None]
    with settings.instance.atomic():
        for run, values in updates:
            Run.filter(id=run.id).update(**values)
            for name, value in values.items():
                setattr(run, name, value)
        if flow is not None:
            values = {"status": status}
            if end_times:
                values["finished_at"] = datetime.fromtimestamp(max(end_times), UTC)
            query: Any = Run.filter(id=flow.id)
            if status == "started":  # another process, finishing later, saw more steps
                query = query.exclude(status__in=["completed", "errored"])
            query.update(**values)


__all__ = [
    "PIPELINE_REFERENCE",
    "STEP_REFERENCE",
    "disable",
    "enable",
    "finish",
    "pipeline_run",
    "step_run",
    "step_runs",
]
