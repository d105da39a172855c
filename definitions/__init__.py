"""The reference pipeline: a single-cell ingest whose outputs live in the registry.

A Dagster code location (``workspace.yaml`` loads it; ``dagster dev -w workspace.yaml``
shows it). Wiring only: the assets are in :mod:`definitions.assets`, the jobs, sensor and
schedule in :mod:`definitions.automation`, the resources and their configuration in
:mod:`definitions.resources`, the bundled data generator in :mod:`definitions._synthetic`,
the labels, genes and schema curation validates against in :mod:`definitions.vocabulary`.
``python -m definitions`` runs it end to end on the embedded registry.
"""

from __future__ import annotations

import dagster as dg

from .assets import (
    batch_qc,
    batches,
    cell_type_classifier,
    curated_batches,
    curated_check,
    obs_summary,
    raw_batches,
)
from .automation import (
    curation_sensor,
    daily_summary,
    inbox_sensor,
    ingest,
    maintenance,
    summarize,
    train,
    weekly_clean,
)
from .resources import executor, resources

defs = dg.Definitions(
    assets=[raw_batches, curated_batches, batch_qc, obs_summary, cell_type_classifier],
    asset_checks=[curated_check],
    jobs=[ingest, summarize, train, maintenance],
    sensors=[inbox_sensor, curation_sensor],
    schedules=[daily_summary, weekly_clean],
    resources=resources(),
    executor=executor(),
)

__all__ = ["batches", "defs"]
