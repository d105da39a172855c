"""Users."""

from __future__ import annotations

from typing import Any

from ..core._uid import base62_8
from ..orm import fields
from ..orm.sqlrecord import BaseSQLRecord
from .can_curate import CanCurate


class User(BaseSQLRecord, CanCurate):
    """Users: the current user is created on first connect.

    Examples:
        >>> import lamin_pipes as ln
        >>> ln.User.get(handle=ln.settings.user.handle) == ln.settings.user
        True
    """

    _name_field = "handle"

    uid: str = fields.CharField(
        max_length=8, unique=True, editable=False, default=base62_8, doc="A universal random id."
    )
    handle: str = fields.CharField(
        max_length=30, unique=True, doc="A unique handle (the OS user or LAMIN_PIPES_USER)."
    )
    name: str | None = fields.CharField(
        max_length=150, null=True, db_index=True, doc="A full name."
    )
    created_at: Any = fields.DateTimeField(
        auto_now_add=True, db_index=True, editable=False, doc="Time of creation of record."
    )
    updated_at: Any = fields.DateTimeField(
        auto_now_add=True, db_index=True, editable=False, doc="Time of last update."
    )
