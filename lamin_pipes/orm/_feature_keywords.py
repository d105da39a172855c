"""Filter keywords that are no field, on registries lamindb also filters by features.

lamindb reads a ``filter()`` keyword that is no field of ``Artifact``, ``Record`` or
``Run`` as a feature name, and refuses an unknown one with ``InvalidArgument`` ("You can
query either by available fields: … Or fix invalid feature names: …"); the other
registries raise ``FieldError``. A registry opts in with the class attribute
``_filter_by_features = True`` (this layer does not know the registries). lamin_pipes
has no features yet, so every such keyword is refused, with the closest field names.
``get()`` and ``exclude()`` keep ``FieldError``, as in lamindb.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from ..errors import FieldError, InvalidArgument
from ._query_compiler import _field_name, get_field


def check_feature_keywords(model: Any, keys: Iterable[str]) -> None:
    """Refuse ``filter()`` keywords that are neither a field nor a feature of ``model``.

    Raises:
        InvalidArgument: Naming the keywords, the available fields and the closest ones.

    Examples:
        >>> import lamin_pipes as ln
        >>> check_feature_keywords(ln.Record, ["name__startswith", "type__name"])
        >>> check_feature_keywords(ln.Record, ["nme"])
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: You can query either by available fields: ...
        Or fix invalid feature names: nme
        Did you mean 'name'?
        >>> check_feature_keywords(ln.ULabel, ["nme"])  # no features: filter() raises FieldError
    """
    if not getattr(model, "_filter_by_features", False):
        return
    unknown = sorted({key.split("__")[0] for key in keys if not _is_field(model, key)})
    if not unknown:
        return
    available = [name for name in model._meta.lookup_names() if not name.startswith("_")]
    msg = (
        f"You can query either by available fields: {', '.join(available)}\n"
        f"Or fix invalid feature names: {', '.join(unknown)}"
    )
    close = {name: difflib.get_close_matches(name, available, n=1) for name in unknown}
    hints = [(name, found[0]) for name, found in close.items() if found]
    if len(unknown) == 1 and hints:
        msg += f"\nDid you mean '{hints[0][1]}'?"
    elif hints:
        msg += "\nDid you mean " + ", ".join(f"'{c}' for '{n}'" for n, c in hints) + "?"
    raise InvalidArgument(msg)


def check_field_keywords(model: Any, keys: Iterable[str]) -> None:
    """``get()`` on such a registry: an unknown keyword raises ``FieldError``, as in lamindb.

    Examples:
        >>> import lamin_pipes as ln
        >>> check_field_keywords(ln.Record, ["nme"])
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.FieldError: Unknown field 'nme'. Available fields: ... Did you mean 'name'?
    """
    if not getattr(model, "_filter_by_features", False):
        return  # filter() raises the FieldError itself
    for key in keys:
        get_field(model, _field_name(model, key.split("__")[0]))


def _is_field(model: Any, key: str) -> bool:
    try:
        get_field(model, _field_name(model, key.split("__")[0]))
    except FieldError:
        return False
    return True


__all__ = ["check_feature_keywords", "check_field_keywords"]
