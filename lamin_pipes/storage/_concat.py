"""Concatenate loaded objects of one type: pandas DataFrames or AnnData objects.

This is how a set of artifacts loads as one object. DataFrames are stacked with
:func:`pandas.concat` (index kept, no label column). AnnData objects are stacked along
``obs`` with :func:`anndata.concat`; given ``labels`` (one per object, e.g. artifact
uids), each observation is labelled in ``obs[label_key]``, and ``index_unique`` can
make clashing ``obs_names`` unique by appending the label.

Examples:
    >>> import pandas as pd
    >>> a = pd.DataFrame({"x": [1]}, index=["r1"])
    >>> b = pd.DataFrame({"x": [2], "y": [3]}, index=["r2"])
    >>> concat_objects([a, b], join="inner")
        x
    r1  1
    r2  2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from lamin_pipes.errors import InvalidArgument
from lamin_pipes.storage._serializers import otype_of

__all__ = ["JOINS", "concat_objects"]

JOINS: tuple[str, ...] = ("outer", "inner")
"""Valid values of ``join``."""

_CONCATENABLE: tuple[str, ...] = ("DataFrame", "AnnData")


def _type_name(obj: object) -> str:
    try:
        return otype_of(obj)
    except InvalidArgument:
        cls = type(obj)
        return f"{cls.__module__}.{cls.__qualname__}"


def concat_objects(
    objects: Sequence[Any],
    *,
    join: Literal["outer", "inner"] = "outer",
    labels: Sequence[str] | None = None,
    label_key: str = "artifact_uid",
    index_unique: str | None = None,
) -> Any:
    """Concatenate DataFrames or AnnData objects along their rows/observations.

    Args:
        objects: The objects, all pandas DataFrames or all AnnData objects.
        join: ``"outer"`` keeps every column (variable), filling gaps with missing
            values; ``"inner"`` keeps only those all objects share.
        labels: One label per object. AnnData: the observations' source is recorded
            in ``obs[label_key]`` (a categorical). DataFrames: checked for length,
            otherwise unused (no column is added).
        label_key: The ``obs`` column for ``labels`` (AnnData).
        index_unique: AnnData with ``labels``: a separator; ``obs_names`` become
            ``"{name}{index_unique}{label}"``. ``None`` keeps them as they are.

    Returns:
        A pandas DataFrame or an AnnData object. A single object is returned through
        the same concat call (a copy), not as is.

    Raises:
        InvalidArgument: No objects, an invalid ``join``, ``labels`` of the wrong
            length, mixed types, or a type that cannot be concatenated.

    Examples:
        >>> concat_objects([], join="outer")
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: concat_objects() needs at least one object, got none
        >>> concat_objects([{"a": 1}], join="left")
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: Invalid join 'left'. Valid joins: 'outer', 'inner'
    """
    if not objects:
        msg = "concat_objects() needs at least one object, got none"
        raise InvalidArgument(msg)
    if join not in JOINS:
        valid = ", ".join(repr(j) for j in JOINS)
        msg = f"Invalid join {join!r}. Valid joins: {valid}"
        raise InvalidArgument(msg)
    if labels is not None and len(labels) != len(objects):
        msg = f"Got {len(labels)} labels for {len(objects)} objects; pass one label per object"
        raise InvalidArgument(msg)
    types = list(dict.fromkeys(_type_name(obj) for obj in objects))
    if len(types) > 1:
        msg = f"Cannot concatenate objects of different types: {', '.join(types)}"
        raise InvalidArgument(msg)
    (otype,) = types
    if otype not in _CONCATENABLE:
        msg = (
            f"Cannot concatenate objects of type {otype}. "
            f"Types that can be concatenated: {', '.join(_CONCATENABLE)}"
        )
        raise InvalidArgument(msg)
    if otype == "DataFrame":
        import pandas as pd

        return pd.concat(list(objects), join=join)
    import anndata

    if labels is None:
        return anndata.concat(list(objects), join=join)
    return anndata.concat(
        list(objects),
        join=join,
        label=label_key,
        keys=list(labels),
        index_unique=index_unique,
    )
