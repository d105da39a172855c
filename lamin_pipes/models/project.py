"""Projects: group and annotate records by project."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..core._uid import base62_12
from ..orm import fields
from ..orm.sqlrecord import SQLRecord
from .can_curate import CanCurate
from .has_parents import HasParents
from .has_type import HasType
from .run import TracksRun, TracksUpdates


class Project(SQLRecord, HasType, HasParents, CanCurate, TracksRun, TracksUpdates):
    """Projects: annotate records, labels and (later) artifacts with a project.

    Examples:
        >>> import lamin_pipes as ln
        >>> project = ln.Project(name="my project").save()
        >>> project.records.count()
        0
    """

    uid: str = fields.CharField(
        max_length=12,
        unique=True,
        editable=False,
        default=base62_12,
        doc="A universal random id, valid across instances.",
    )
    name: str = fields.CharField(db_index=True, doc="Title or name of the project.")
    description: str | None = fields.TextField(null=True, doc="A description.")
    type: Any = fields.ForeignKey(
        "self",
        fields.PROTECT,
        null=True,
        related_name="projects",
        doc="The type of the project ← projects.",
    )
    is_type: bool = fields.BooleanField(
        default=False, db_index=True, doc="Whether the project is a type of projects."
    )
    abbr: str | None = fields.CharField(
        max_length=32, null=True, db_index=True, doc="An abbreviation."
    )
    url: str | None = fields.CharField(max_length=255, null=True, doc="A URL.")
    start_date: dt.date | None = fields.DateField(null=True, doc="Date the project started.")
    end_date: dt.date | None = fields.DateField(null=True, doc="Date the project ended.")
    parents: Any = fields.ManyToManyField(
        "self", related_name="children", doc="Parent projects ← children."
    )
    records: Any = fields.ManyToManyField(
        "Record", related_name="projects", doc="Records annotated with the project ← projects."
    )
    ulabels: Any = fields.ManyToManyField(
        "ULabel", related_name="projects", doc="ULabels annotated with the project ← projects."
    )
