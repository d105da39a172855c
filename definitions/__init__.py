"""The reference pipeline: a single-cell ingest whose outputs live in the registry.

A Dagster code location (``workspace.yaml`` loads it; ``dagster dev -w workspace.yaml``
shows it). Wiring only: the assets are in :mod:`definitions.assets`, the jobs, sensor and
schedule in :mod:`definitions.automation`, the resources and their configuration in
:mod:`definitions.resources`, the bundled data generator in :mod:`definitions._synthetic`.
``python -m definitions`` runs it end to end on the embedded registry.
"""

from __future__ import annotations

import dagster as dg

from .assets import batch_qc, batches, obs_summary, raw_batches
from .automation import daily_summary, inbox_sensor, ingest, summarize
from .resources import executor, resources

defs = dg.Definitions(
    assets=[raw_batches, batch_qc, obs_summary],
    jobs=[ingest, summarize],
    sensors=[inbox_sensor],
    schedules=[daily_summary],
    resources=resources(),
    executor=executor(),
)

__all__ = ["batches", "defs"]
