"""Serializers by object type: how an in-memory object becomes a file and back.

Each :class:`Serializer` names an ``otype`` (the value stored in ``Artifact.otype``), the
file suffix it writes, a test that recognizes its objects, and save/load functions. The
built-in ones cover pandas DataFrames (``.parquet`` via pyarrow), numpy arrays (``.npy``)
and dicts (``.json``). pandas and numpy are imported only when an object of theirs is
saved or loaded.

Extension point: a new type (AnnData, later) is one :func:`register_serializer` call with
its own ``Serializer``; nothing else here changes. Serializers write to a plain path;
atomicity is the store's job (serialize to a temporary file, then ``put_file``).

Examples:
    >>> import tempfile
    >>> from pathlib import Path
    >>> otype_of({"a": 1}), suffix_for({"a": 1})
    ('dict', '.json')
    >>> path = Path(tempfile.mkdtemp()) / "params.json"
    >>> save({"a": 1}, path)
    >>> load(path, "dict")
    {'a': 1}
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamin_pipes.errors import InvalidArgument

__all__ = [
    "Serializer",
    "load",
    "otype_of",
    "register_serializer",
    "save",
    "suffix_for",
    "supported_otypes",
]


@dataclass(frozen=True)
class Serializer:
    """How one object type is written to and read from a file."""

    otype: str
    """Name recorded as the artifact's ``otype``, e.g. ``"DataFrame"``."""
    suffix: str
    """File suffix including the dot, e.g. ``".parquet"``."""
    matches: Callable[[object], bool]
    """Whether an object is handled by this serializer (must not import heavy modules)."""
    save: Callable[[Any, Path], None]
    """Write the object to the path."""
    load: Callable[[Path], Any]
    """Read the object back from the path."""


_REGISTRY: dict[str, Serializer] = {}


def register_serializer(serializer: Serializer) -> None:
    """Add a serializer (or replace the one with the same ``otype``).

    Serializers are tried in registration order; a replaced one keeps its place.
    """
    _REGISTRY[serializer.otype] = serializer


def supported_otypes() -> list[str]:
    """The registered ``otype`` names, in the order they are tried.

    Examples:
        >>> supported_otypes()
        ['DataFrame', 'ndarray', 'dict']
    """
    return list(_REGISTRY)


def _is_instance_of(module: str, name: str) -> Callable[[object], bool]:
    """A type test that never imports ``module``: if it is not loaded, no object is of it."""

    def matches(obj: object) -> bool:
        loaded = sys.modules.get(module)
        return loaded is not None and isinstance(obj, getattr(loaded, name))

    return matches


def _supported() -> str:
    return ", ".join(f"{s.otype} ({s.suffix})" for s in _REGISTRY.values())


def _serializer_for(obj: object) -> Serializer:
    for serializer in _REGISTRY.values():
        if serializer.matches(obj):
            return serializer
    cls = type(obj)
    msg = f"No serializer for objects of type '{cls.__module__}.{cls.__qualname__}'. Supported types: {_supported()}"
    raise InvalidArgument(msg)


def otype_of(obj: object) -> str:
    """The ``otype`` name of ``obj``.

    Raises:
        InvalidArgument: No serializer handles the object's type.
    """
    return _serializer_for(obj).otype


def suffix_for(obj: object) -> str:
    """The file suffix ``obj`` is saved with.

    Raises:
        InvalidArgument: No serializer handles the object's type.
    """
    return _serializer_for(obj).suffix


def save(obj: object, path: str | Path) -> None:
    """Write ``obj`` to ``path``, whose suffix must be the one for its type.

    Raises:
        InvalidArgument: No serializer handles the object's type, or the suffix differs.
    """
    serializer = _serializer_for(obj)
    target = Path(path)
    if target.suffix != serializer.suffix:
        msg = f"A {serializer.otype} is saved as {serializer.suffix!r}, but the path {str(target)!r} has suffix {target.suffix!r}"
        raise InvalidArgument(msg)
    serializer.save(obj, target)


def load(path: str | Path, otype: str) -> Any:
    """Read the object of type ``otype`` stored at ``path``.

    Raises:
        InvalidArgument: ``otype`` is not a registered type.
    """
    serializer = _REGISTRY.get(otype)
    if serializer is None:
        msg = f"Unknown otype {otype!r}. Supported types: {_supported()}"
        raise InvalidArgument(msg)
    return serializer.load(Path(path))


def _save_dataframe(df: Any, path: Path) -> None:
    df.to_parquet(path, engine="pyarrow")


def _load_dataframe(path: Path) -> Any:
    import pandas as pd

    return pd.read_parquet(path, engine="pyarrow")


def _save_ndarray(array: Any, path: Path) -> None:
    import numpy as np

    np.save(path, array, allow_pickle=False)


def _load_ndarray(path: Path) -> Any:
    import numpy as np

    return np.load(path, allow_pickle=False)


def _save_dict(data: dict[str, Any], path: Path) -> None:
    try:
        text = json.dumps(data, ensure_ascii=False, indent=2)
    except (TypeError, ValueError) as e:
        msg = f"The dict cannot be saved as JSON: {e}"
        raise InvalidArgument(msg) from e
    path.write_text(text, encoding="utf-8")


def _load_dict(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


register_serializer(
    Serializer(
        "DataFrame",
        ".parquet",
        _is_instance_of("pandas", "DataFrame"),
        _save_dataframe,
        _load_dataframe,
    )
)
register_serializer(
    Serializer("ndarray", ".npy", _is_instance_of("numpy", "ndarray"), _save_ndarray, _load_ndarray)
)
register_serializer(
    Serializer("dict", ".json", lambda obj: isinstance(obj, dict), _save_dict, _load_dict)
)
