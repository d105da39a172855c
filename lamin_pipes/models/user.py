"""Users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..core._connect import set_user_loader
from ..core._settings import default_user_handle
from ..core._uid import base62_8
from ..orm import fields
from ..orm.sqlrecord import BaseSQLRecord
from .can_curate import CanCurate

if TYPE_CHECKING:
    from ..core._instance import Instance


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


def current_user(instance: Instance) -> User:
    """The record of the current user (``LAMIN_PIPES_USER`` or the OS user) in ``instance``.

    Created on first connect; a user created concurrently by another process is found
    instead of duplicated.
    """
    handle = default_user_handle()
    query = select(User).where(User.__table__.c.handle == handle)
    with instance.session() as session:
        user = session.scalars(query).first()
    if user is None:
        try:
            user = User(handle=handle, name=handle, _search_names=False)  # looked up above
            with instance.session() as session:
                session.add(user)
        except IntegrityError:  # created concurrently by another process
            with instance.session() as session:
                user = session.scalars(query).one()
    user._lp_instance = instance
    return user


set_user_loader(current_user)
