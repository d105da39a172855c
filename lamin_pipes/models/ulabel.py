"""ULabels: universal labels for simple annotations."""

from __future__ import annotations

from typing import Any

from ..core._uid import base62_8
from ..orm import fields
from ..orm.sqlrecord import SQLRecord
from .can_curate import CanCurate
from .has_parents import HasParents
from .has_type import HasType
from .run import TracksRun, TracksUpdates


class ULabel(SQLRecord, HasType, HasParents, CanCurate, TracksRun, TracksUpdates):
    """Universal labels: simple categorical annotations, optionally typed and nested.

    Examples:
        >>> import lamin_pipes as ln
        >>> train = ln.ULabel(name="train").save()
        >>> ln.ULabel.get(name="train") == train
        True
    """

    uid: str = fields.CharField(
        max_length=8,
        unique=True,
        editable=False,
        default=base62_8,
        doc="A universal random id, valid across instances.",
    )
    name: str = fields.CharField(max_length=150, db_index=True, doc="Name or title of the label.")
    type: Any = fields.ForeignKey(
        "self",
        fields.PROTECT,
        null=True,
        related_name="ulabels",
        doc="The type of the label (a ULabel with is_type=True).",
    )
    is_type: bool = fields.BooleanField(
        default=False, db_index=True, doc="Whether the label is a type of other labels."
    )
    description: str | None = fields.TextField(null=True, doc="A description.")
    reference: str | None = fields.CharField(
        max_length=255,
        null=True,
        db_index=True,
        doc="A simple reference like a URL or external id.",
    )
    reference_type: str | None = fields.CharField(
        max_length=25, null=True, db_index=True, doc="Type of the reference."
    )
    synonyms: str | None = fields.TextField(null=True, doc="Synonyms, separated by '|'.")
    abbr: str | None = fields.CharField(
        max_length=32,
        null=True,
        db_index=True,
        doc="An abbreviation (also kept among the synonyms).",
    )
    parents: Any = fields.ManyToManyField(
        "self", related_name="children", doc="Parent labels ← children."
    )
