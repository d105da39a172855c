"""Jobs, the inbox sensor and the daily schedule.

- ``ingest`` (job): one batch partition of ``raw_batches`` and ``batch_qc``.
- ``summarize`` (job): ``obs_summary`` over all batches.
- ``inbox_sensor``: every 30 s, each ``<inbox>/<name>.h5ad`` becomes partition ``name``
  of ``batches`` and gets an ``ingest`` run. The run key is the file's name, size and
  modification time: a new or replaced file is ingested once, an unchanged one never
  again (and a replaced file with the same content makes no new artifact version).
- ``obs_summary`` is also kept fresh declaratively (eager: once every batch's QC is
  there and one of them changed) when Dagster's automation sensor is on.
- ``daily_summary``: ``summarize`` every day at 06:00 UTC.
"""

import re

import dagster as dg

from .assets import BATCHES, batch_qc, batches, obs_summary, raw_batches
from .resources import Inbox

ingest = dg.define_asset_job(
    "ingest",
    selection=[raw_batches, batch_qc],
    description="Ingest one inbox batch: raw counts and per-cell QC, stored in the registry.",
)
summarize = dg.define_asset_job(
    "summarize",
    selection=[obs_summary],
    description="Summarize the QC of every batch into one table.",
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
