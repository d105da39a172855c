"""The registries lamindb annotates with features: ``Artifact``, ``Record`` and ``Run``.

lamindb filters them by feature values as well as fields, so an unknown ``filter()``
keyword there raises ``InvalidArgument`` ("You can query either by available fields: …
Or fix invalid feature names: …"), elsewhere ``FieldError``; see
:mod:`lamin_pipes.orm._feature_keywords`. Features themselves are not implemented yet.

Examples:
    >>> import lamin_pipes as ln
    >>> [m.__name__ for m in FEATURE_REGISTRIES]
    ['Artifact', 'Record', 'Run']
    >>> ln.ULabel._filter_by_features, ln.Record._filter_by_features
    (False, True)
"""

from __future__ import annotations

from .artifact import Artifact
from .record import Record
from .run import Run

FEATURE_REGISTRIES = (Artifact, Record, Run)

# Set here rather than in the class bodies so that the three are listed in one place.
for _model in FEATURE_REGISTRIES:
    _model._filter_by_features = True

__all__ = ["FEATURE_REGISTRIES"]
