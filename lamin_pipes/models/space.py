"""Spaces (access permissions) and branches (life cycle: main, archive, trash)."""

from __future__ import annotations

from typing import Any

from ..core._uid import base62_12
from ..errors import InvalidArgument
from ..orm import fields
from ..orm.sqlrecord import BaseSQLRecord

#: Ids of the built-in branches.
MAIN_BRANCH, ARCHIVE_BRANCH, TRASH_BRANCH = 1, 0, -1


class Space(BaseSQLRecord):
    """Spaces for access permissions; every record lives in one (default: ``all``).

    Examples:
        >>> import lamin_pipes as ln
        >>> ln.Space.get(1).name
        'all'
    """

    uid: str = fields.CharField(
        max_length=12, unique=True, editable=False, default=base62_12, doc="A universal random id."
    )
    name: str = fields.CharField(max_length=100, db_index=True, doc="Name of the space.")
    description: str | None = fields.TextField(null=True, doc="A description.")
    created_at: Any = fields.DateTimeField(
        auto_now_add=True, db_index=True, editable=False, doc="Time of creation of record."
    )
    created_by: Any = fields.ForeignKey(
        "User", fields.PROTECT, null=True, related_name="+", doc="Creator of the space."
    )


class Branch(BaseSQLRecord):
    """Branches: ``main`` (1), ``archive`` (0), ``trash`` (-1), or user branches.

    Examples:
        >>> import lamin_pipes as ln
        >>> ln.Branch.get(-1).name
        'trash'
    """

    uid: str = fields.CharField(
        max_length=12, unique=True, editable=False, default=base62_12, doc="A universal random id."
    )
    name: str = fields.CharField(max_length=100, db_index=True, doc="Name of the branch.")
    description: str | None = fields.TextField(null=True, doc="A description.")
    created_at: Any = fields.DateTimeField(
        auto_now_add=True, db_index=True, editable=False, doc="Time of creation of record."
    )
    created_by: Any = fields.ForeignKey(
        "User", fields.PROTECT, null=True, related_name="+", doc="Creator of the branch."
    )

    def delete(self, permanent: bool | None = None) -> None:
        """Delete a user branch permanently (branches have no trash).

        The built-in branches main (1), archive (0) and trash (-1) hold every record's
        life cycle and are refused; lamindb leaves that to its foreign keys.

        Raises:
            InvalidArgument: For ``permanent=False``, an unsaved branch or a built-in one.
        """
        if self.id in _BUILT_IN:
            msg = (
                f"Cannot delete the built-in branch {self.name!r} (id {self.id}): main (1), "
                "archive (0) and trash (-1) always exist; only user branches can be deleted."
            )
            raise InvalidArgument(msg)
        super().delete(permanent=permanent)


_BUILT_IN = frozenset({MAIN_BRANCH, ARCHIVE_BRANCH, TRASH_BRANCH})
