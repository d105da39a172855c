"""Filter keywords that are no field, on registries lamindb also filters by features.

lamindb reads a ``filter()`` keyword that is no field of ``Artifact``, ``Record`` or
``Run`` as a feature name, and refuses an unknown one with ``InvalidArgument`` ("You can
query either by available fields: … Or fix invalid feature names: …"); the other
registries raise ``FieldError``. A registry opts in with the class attribute
``_filter_by_features = True`` (this layer does not know the registries).

:func:`split_feature_filters` takes such keywords (and positional ``Feature``
predicates, ``n_cells > 1000``) out of a ``filter()`` call and has the registry layer
compile them (the ``feature_filters`` extension point): known features become SQL
conditions, unknown names raise ``InvalidArgument`` as above.
``get()`` and ``exclude()`` keep ``FieldError``, as in lamindb, and so do ``Q`` objects.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import InvalidArgument
from ._extensions import implementation_or_none
from ._options import FOREIGN_KEY
from ._query_compiler import Q, _field_name, get_field


def split_feature_filters(
    model: Any,
    get_instance: Callable[[], Any],
    queries: tuple[Any, ...],
    expressions: dict[str, Any],
) -> tuple[tuple[Any, ...], dict[str, Any], list[Any], tuple[int, ...]]:
    """Take the feature conditions out of ``filter(*queries, **expressions)``.

    Returns:
        The remaining queries and keyword lookups, the compiled feature conditions, and
        the ids of the features they use (for ``to_dataframe(features="queryset")``).

    Raises:
        InvalidArgument: For keywords that are neither a field nor a feature.
    """
    if not getattr(model, "_filter_by_features", False):
        return queries, expressions, [], ()
    unknown = {k: v for k, v in expressions.items() if not _is_field(model, k)}
    predicates = [q for q in queries if not isinstance(q, (Q, dict))]
    if not unknown and not predicates:
        return queries, expressions, [], ()
    compile_features = implementation_or_none("feature_filters")
    if compile_features is None:
        check_feature_keywords(model, unknown)
        return queries, expressions, [], ()
    clauses, feature_ids = compile_features(
        model, get_instance(), list(unknown.items()), predicates
    )
    kept_queries = tuple(q for q in queries if isinstance(q, (Q, dict)))
    kept = {k: v for k, v in expressions.items() if k not in unknown}
    return kept_queries, kept, list(clauses), tuple(feature_ids)


def check_feature_keywords(model: Any, keys: Iterable[str]) -> None:
    """Refuse ``filter()`` keywords that are no field of ``model`` (and no feature).

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
    """Whether ``key`` starts with a field of ``model`` (no suggestions computed)."""
    name = _field_name(model, key.split("__")[0])
    meta = model._meta
    if name in meta.fields or name == "pk":
        return True
    fk = meta.fields.get(name[:-3]) if name.endswith("_id") else None
    return fk is not None and fk.kind == FOREIGN_KEY


__all__ = ["check_feature_keywords", "check_field_keywords", "split_feature_filters"]
