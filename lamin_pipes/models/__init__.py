"""The registries and the ``lamindb.models`` surface.

Examples:
    >>> from lamin_pipes.models import SQLRecord, QuerySet
    >>> issubclass(QuerySet, object)
    True
"""

from ..orm._aggregates import Avg, Count, Max, Min, Sum
from ..orm._query_compiler import Q
from ..orm._registry import Registry
from ..orm.query_db import QueryDB
from ..orm.query_manager import QueryManager
from ..orm.query_set import BasicQuerySet, QuerySet
from ..orm.sqlrecord import BaseSQLRecord, SQLRecord
from ..orm.sqlrecord_list import SQLRecordList

# Importing these registers the registry layer's QuerySet.lookup() and .search()
# (see lamin_pipes.orm._extensions) and declares the annotation links
# (artifact.ulabels, run.json_values, ...) and fills FeatureManager's SCHEMA_HOOKS
# (features.slots, add_values(schema=...)).
from . import _annotation_links, _lookup, _run_references, _schema_links, _search  # noqa: F401
from ._feature_manager import FeatureManager
from ._is_versioned import IsVersioned
from ._label_manager import LabelManager
from .artifact import Artifact, LazyArtifact
from .artifact_set import ArtifactSet
from .can_curate import CanCurate, InspectResult, ValidateFields
from .collection import Collection
from .feature import Feature, FeatureValue
from .has_parents import HasParents
from .has_type import HasType
from .project import Project
from .record import Record
from .run import Run, TracksRun, TracksUpdates, Transform
from .schema import Schema, SchemaOptionals
from .space import Branch, Space
from .storage import Storage
from .ulabel import ULabel
from .user import User


def __getattr__(name: str) -> object:
    """``MappedCollection``, imported on first use (it needs torch, which stays unloaded)."""
    if name == "MappedCollection":
        from ._mapped import _dataset_class

        return _dataset_class()
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "Artifact",
    "ArtifactSet",
    "Avg",
    "BaseSQLRecord",
    "BasicQuerySet",
    "Branch",
    "CanCurate",
    "Collection",
    "Count",
    "Feature",
    "FeatureManager",
    "FeatureValue",
    "HasParents",
    "HasType",
    "InspectResult",
    "IsVersioned",
    "LabelManager",
    "LazyArtifact",
    "Max",
    "Min",
    "Project",
    "Q",
    "QueryDB",
    "QueryManager",
    "QuerySet",
    "Record",
    "Registry",
    "Run",
    "SQLRecord",
    "SQLRecordList",
    "Schema",
    "SchemaOptionals",
    "Space",
    "Storage",
    "Sum",
    "TracksRun",
    "TracksUpdates",
    "Transform",
    "ULabel",
    "User",
    "ValidateFields",
]
