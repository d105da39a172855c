"""The catalog of registries: every registry class by name.

Relations may name their target registry as a string (``ForeignKey("Branch")``) before
that registry exists; the catalog resolves such names once it does. It holds classes
only and knows nothing about what they are.

Examples:
    >>> import lamin_pipes as ln
    >>> resolve_model("ULabel", ln.Record) is ln.ULabel
    True
    >>> resolve_model("self", ln.Record) is ln.Record
    True
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError

#: Registries by class name.
MODELS: dict[str, Any] = {}


def register(model: Any) -> None:
    """Add a newly created registry class to the catalog."""
    MODELS[model.__name__] = model


def model_named(target: str) -> Any:
    """The registry called ``target`` (a class name, possibly dotted), else ``None``."""
    return MODELS.get(target.rsplit(".", 1)[-1])


def resolve_model(target: Any, owner: Any) -> Any:
    """The registry class that ``target`` (a class, its name or ``"self"``) names.

    Raises:
        FieldError: If no registry of that name is defined.
    """
    if isinstance(target, type):
        return target
    if target == "self":
        return owner
    found = model_named(target)
    if found is None:
        msg = f"Registry {target!r} (referenced by {owner.__name__}) is not defined."
        raise FieldError(msg)
    return found
