"""Constructing a record that exists already returns it (lamindb's behaviour).

``ln.ULabel(name="T cell")`` when a ``T cell`` label is saved gives that label, with
an info line, instead of a duplicate that ``save()`` would write. The name is matched
exactly (the registry's name field), outside the trash, and within a type as lamindb
scopes it: no ``type`` given — any type; ``type=None`` — records without a type; a
type — records of that type.

Turned off by ``ln.settings.creation.search_names = False`` or, for one call, by
``_search_names=False``; a constructor given a ``uid`` never looks.
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import FieldValidationError

logger = logging.getLogger("lamin_pipes")


def existing_by_name(model: Any, kwargs: dict[str, Any]) -> Any | None:
    """The saved record that ``model(**kwargs)`` stands for, else ``None``.

    Examples:
        >>> import lamin_pipes as ln
        >>> label = ln.ULabel(name="T cell").save()
        >>> existing_by_name(ln.ULabel, {"name": "T cell"}) == label
        True
        >>> ln.ULabel(name="T cell") == label
        True
    """
    name_field = model._meta.name_field
    name = kwargs.get(name_field)
    if not isinstance(name, str):
        return None
    conditions: dict[str, Any] = {name_field: name}
    if "type" in model._meta.fields and ("type" in kwargs or "type_id" in kwargs):
        kind = kwargs.get("type", kwargs.get("type_id"))
        kind_id = getattr(kind, "id", kind)
        if kind is not None and kind_id is None:
            return None  # an unsaved type has no records yet
        conditions["type_id"] = kind_id
    try:
        existing = model.filter(**conditions).order_by("id").first()
    except FieldValidationError:
        return None  # a value no record can hold: save() reports it in its words
    if existing is not None:
        logger.info("returning %s with same %s: %r", model.__name__.lower(), name_field, name)
    return existing


__all__ = ["existing_by_name"]
