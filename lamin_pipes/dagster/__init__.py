"""Dagster, natively: assets stored as versioned artifacts, Dagster runs as registry runs.

- :class:`LaminIOManager` saves every materialization as a versioned
  :class:`~lamin_pipes.Artifact` and loads inputs from the registry;
- :class:`LaminResource` gives assets and ops the registry;
- :func:`output` builds an asset's artifact in its body, with its hash as Dagster data
  version;
- :func:`build_curation_sensor` and :func:`build_schema_asset_check` validate artifacts
  against schemas and report the outcome as asset checks;
- :func:`build_training_asset` trains a classifier over ``mapped()`` artifacts and
  stores the model, its metrics and its training inputs;
- each Dagster run is a registry ``Run`` of the job's transform (``kind="pipeline"``) and
  each step a ``Run`` of its asset's transform, initiated by it (lamindb's flow and steps).

This package imports dagster; ``import lamin_pipes`` does not import it.
"""

from __future__ import annotations

from ._runs import PIPELINE_REFERENCE, STEP_REFERENCE
from .curation import build_curation_sensor, build_schema_asset_check
from .io_manager import LaminIOManager
from .output import output
from .resources import LaminResource
from .training import TrainingResult, build_training_asset, train_classifier

__all__ = [
    "PIPELINE_REFERENCE",
    "STEP_REFERENCE",
    "LaminIOManager",
    "LaminResource",
    "TrainingResult",
    "build_curation_sensor",
    "build_schema_asset_check",
    "build_training_asset",
    "output",
    "train_classifier",
]
