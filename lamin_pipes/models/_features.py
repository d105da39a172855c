"""The registries lamindb annotates with features: ``Artifact``, ``Record`` and ``Run``.

lamindb filters them by feature values as well as fields (see
:mod:`lamin_pipes.models._feature_query`), and gives each record a
:class:`~lamin_pipes.models.FeatureManager` (``artifact.features``); artifacts and
collections also get a :class:`~lamin_pipes.models.LabelManager` (``artifact.labels``).
An unknown ``filter()`` keyword of these registries raises ``InvalidArgument``,
elsewhere ``FieldError`` (see :mod:`lamin_pipes.orm._feature_keywords`).

The managers are attached here, from outside the class bodies, so that the three
registries are listed in one place.

Examples:
    >>> import lamin_pipes as ln
    >>> [m.__name__ for m in FEATURE_REGISTRIES]
    ['Artifact', 'Record', 'Run']
    >>> ln.ULabel._filter_by_features, ln.Record._filter_by_features
    (False, True)
    >>> type(ln.Run(ln.Transform(key="t").save()).features).__name__
    'FeatureManager'
"""

from __future__ import annotations

from typing import Any

from . import _describe_features, _feature_frame, _feature_query  # noqa: F401  (hooks)
from ._feature_manager import FeatureManager
from ._label_manager import LabelManager
from .artifact import Artifact
from .collection import Collection
from .record import Record
from .run import Run

FEATURE_REGISTRIES = (Artifact, Record, Run)
LABEL_REGISTRIES = (Artifact, Collection)


def _features(self: Any) -> FeatureManager:
    """The feature values of this record (a :class:`FeatureManager`)."""
    return FeatureManager(self)


def _labels(self: Any) -> LabelManager:
    """The labels of this artifact or collection (a :class:`LabelManager`)."""
    return LabelManager(self)


# Set here rather than in the class bodies so that the registries are listed in one place.
for _host in FEATURE_REGISTRIES:
    _host._filter_by_features = True
    type.__setattr__(_host, "features", property(_features))
for _labelled in LABEL_REGISTRIES:
    type.__setattr__(_labelled, "labels", property(_labels))
_describe_features.install()

__all__ = ["FEATURE_REGISTRIES", "LABEL_REGISTRIES"]
