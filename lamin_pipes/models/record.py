"""Records: flexible metadata records (samples, donors, experiments, …)."""

from __future__ import annotations

from typing import Any

from ..core._uid import base62_16
from ..orm import fields
from ..orm.sqlrecord import SQLRecord
from .can_curate import CanCurate
from .has_parents import HasParents
from .has_type import HasType
from .run import TracksRun, TracksUpdates


class Record(SQLRecord, HasType, HasParents, CanCurate, TracksRun, TracksUpdates):
    """Metadata records: samples, donors, experiments, compounds, …

    Records of a type are grouped under it (``type.records``); parents and children
    build ontologies.

    Examples:
        >>> import lamin_pipes as ln
        >>> samples = ln.Record(name="Samples", is_type=True).save()
        >>> sample1 = ln.Record(name="sample 1", type=samples).save()
        >>> samples.records.to_list("name")
        ['sample 1']
    """

    uid: str = fields.CharField(
        max_length=16,
        unique=True,
        editable=False,
        default=base62_16,
        doc="A universal random id, valid across instances.",
    )
    name: str | None = fields.CharField(max_length=150, null=True, db_index=True, doc="A name.")
    type: Any = fields.ForeignKey(
        "self",
        fields.PROTECT,
        null=True,
        related_name="records",
        doc="The type of the record (a Record with is_type=True) ← records.",
    )
    is_type: bool = fields.BooleanField(
        default=False, db_index=True, doc="Whether the record is a type of other records."
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
    extra_data: Any = fields.JSONField(null=True, doc="Additional data as JSON.")
    parents: Any = fields.ManyToManyField(
        "self", related_name="children", doc="Parent records ← children."
    )
