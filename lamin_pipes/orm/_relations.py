"""Attribute descriptors for relations: ``record.created_by``, ``record.parents``, …

Records are detached from any session between operations, so relations are loaded by
these descriptors through the record's instance rather than by SQLAlchemy lazy loading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import FieldValidationError
from ._records import record_instance
from .query_manager import QueryManager

if TYPE_CHECKING:
    from ._options import FieldInfo
    from .query_manager import QueryManager


def _cache_key(name: str) -> str:
    return f"_lp_fk_{name}"


class ForeignKeyDescriptor:
    """``record.<fk>``: the related record, loaded on first access and cached."""

    def __init__(self, info: FieldInfo) -> None:
        self.info = info
        self.__doc__ = info.doc

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        info = self.info
        fk_id = getattr(obj, info.attname)
        cached = obj.__dict__.get(_cache_key(info.name))
        if cached is not None:
            if cached.id == fk_id:  # loaded before, or an unsaved record (both None)
                return cached
            if fk_id is None:  # the id was cleared directly
                return None
        if fk_id is None:
            return None

        related = record_instance(obj).get_by_id(info.related_model, fk_id)
        obj.__dict__[_cache_key(info.name)] = related
        return related

    def __set__(self, obj: Any, value: Any) -> None:
        info = self.info
        if value is None:
            setattr(obj, info.attname, None)  # type: ignore[arg-type]
            obj.__dict__.pop(_cache_key(info.name), None)
            return
        related = info.related_model
        if not isinstance(value, related):
            msg = (
                f"Cannot assign {value!r} to {type(obj).__name__}.{info.name}: "
                f"expected a {related.__name__} record or None."
            )
            raise FieldValidationError(msg)
        validate = getattr(obj, f"_validate_{info.name}", None)
        if validate is not None:
            validate(value)
        setattr(obj, info.attname, value.id)
        obj.__dict__[_cache_key(info.name)] = value
        obj.__dict__["_lp_fk_assigned"] = True


def pending_related(obj: Any, info: FieldInfo) -> Any:
    """The record assigned to a foreign key, if it was assigned as an object."""
    return obj.__dict__.get(_cache_key(info.name))


class RelatedManagerDescriptor:
    """``record.<m2m>`` or a reverse accessor: a :class:`QueryManager`."""

    def __init__(self, info: FieldInfo) -> None:
        self.info = info
        self.__doc__ = info.doc

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self

        manager: QueryManager = QueryManager(obj, self.info)
        return manager

    def __set__(self, obj: Any, value: Any) -> None:
        msg = (
            f"Direct assignment to {type(obj).__name__}.{self.info.name} is not allowed;"
            f" use {self.info.name}.set(...) instead."
        )
        raise FieldValidationError(msg)
