"""Jobs, sensors and schedules.

- ``ingest`` (job): one batch partition of ``raw_batches``, ``curated_batches`` (with its
  blocking schema check) and ``batch_qc``; on an invalid batch the check fails and
  ``batch_qc`` does not run (the run fails: that is the signal).
- ``summarize`` (job): ``obs_summary`` over the batches that passed.
- ``train`` (job): ``cell_type_classifier`` over the validated latest curated batches.
- ``maintenance`` (job): ``ln.Storage.default().clean()``, what interrupted saves left.
- ``inbox_sensor``: every 30 s, each ``<inbox>/<name>.h5ad`` becomes partition ``name``
  of ``batches`` and gets an ``ingest`` run. The run key is the file's name, size and
  modification time: a new or replaced file is ingested once, an unchanged one never
  again (and a replaced file with the same content makes no new artifact version).
- ``curation_sensor``: validates curated artifacts saved since its cursor (an artifact
  id) against the schema, reports the check result on ``curated_batches``, and requests
  a ``train`` run per artifact that passed (run key: its uid).
- ``daily_summary``: ``summarize`` every day at 06:00 UTC; ``weekly_clean``:
  ``maintenance`` every Sunday at 03:00 UTC.
"""

import re

import dagster as dg

from lamin_pipes.dagster import LaminResource, build_curation_sensor

from . import vocabulary
from .assets import (
    BATCHES,
    batch_qc,
    batches,
    cell_type_classifier,
    curated_batches,
    obs_summary,
    raw_batches,
)
from .resources import Inbox

ingest = dg.define_asset_job(
    "ingest",
    selection=[raw_batches, curated_batches, batch_qc],
    description=(
        "Ingest one inbox batch: raw counts, the curated batch (checked against the schema; "
        "invalid batches stop here) and per-cell QC, stored in the registry."
    ),
)
summarize = dg.define_asset_job(
    "summarize",
    selection=[obs_summary],
    description="Summarize the QC of every batch that passed curation into one table.",
)
train = dg.define_asset_job(
    "train",
    selection=[cell_type_classifier],
    description="Train the cell-type classifier on the validated latest curated batches.",
)


@dg.op(description="Remove what interrupted saves left in the registry's default storage.")
def clean_storage(context: dg.OpExecutionContext, lamin: LaminResource) -> None:
    """``ln.Storage.default().clean()`` (objects unchanged for an hour and unreferenced)."""
    report = lamin.ln.Storage.default().clean(min_age=3600.0)
    context.log.info(
        f"removed {len(report.removed)} objects: {len(report.staged)} staged, "
        f"{len(report.unreferenced)} unreferenced, {len(report.temporary)} temporary"
    )
    context.add_output_metadata({"removed": len(report.removed)})


@dg.job(description="Housekeeping: clean the registry's storage.")
def maintenance() -> None:
    clean_storage()


curation_sensor = build_curation_sensor(
    schema=vocabulary.SCHEMA,
    key_prefix="curated_batches/",
    otype="AnnData",
    job=train,
    name="curation_sensor",
)

#: Batch names that make valid partition keys and registry keys.
_VALID_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def run_key(path: object) -> str:
    """The run key of an inbox file: name, size and modification time (ns)."""
    from pathlib import Path

    stat = Path(str(path)).stat()
    return f"{Path(str(path)).name}:{stat.st_size}:{stat.st_mtime_ns}"


@dg.sensor(job=ingest, minimum_interval_seconds=30)
def inbox_sensor(context: dg.SensorEvaluationContext, inbox: Inbox) -> dg.SensorResult:
    """Add a ``batches`` partition per new inbox file and request an ``ingest`` run for it."""
    known = set(context.instance.get_dynamic_partitions(BATCHES))
    requests, new = [], []
    for path in inbox.batch_files():
        name = path.stem
        if not _VALID_NAME.fullmatch(name):
            context.log.warning(f"skipping {path.name}: use letters, digits, '_', '-', '.'")
            continue
        if name not in known:
            new.append(name)
        requests.append(dg.RunRequest(partition_key=name, run_key=run_key(path)))
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[batches.build_add_request(new)] if new else None,
    )


daily_summary = dg.ScheduleDefinition(
    name="daily_summary",
    job=summarize,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    description="Rebuild obs_summary once a day (no new version when nothing changed).",
)
weekly_clean = dg.ScheduleDefinition(
    name="weekly_clean",
    job=maintenance,
    cron_schedule="0 3 * * 0",
    execution_timezone="UTC",
    description="Clean the registry's storage every Sunday at 03:00 UTC.",
)
