"""Give opened objects the context-manager protocol, keeping their own type.

``artifact.open()`` returns library objects (a pyarrow dataset, a polars ``LazyFrame``, a
backed ``AnnData``, a zarr group, an h5py file). :func:`closable` lets each of them be
used as ``with artifact.open() as access:`` and still be the object it was: the object's
class is swapped for a subclass of the same name that adds ``__enter__`` (returning the
object) and ``__exit__`` (calling ``close``), so ``isinstance`` checks, ``type(x).__name__``,
pickling (as the original class) and libraries that accept the object (duckdb, polars)
work unchanged. A pyarrow dataset,
an extension type whose class cannot be swapped, is rebuilt from its fragments as an
instance of such a subclass. Only when neither works does a thin proxy stand in.

Examples:
    >>> closed = []
    >>> class Handle:
    ...     pass
    >>> handle = closable(Handle(), close=lambda: closed.append(True))
    >>> with handle as inner:
    ...     isinstance(inner, Handle), type(inner).__name__, inner is handle
    (True, 'Handle', True)
    >>> closed
    [True]
"""

from __future__ import annotations

import copyreg
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["closable"]

T = TypeVar("T")

_SUBCLASSES: dict[type, type] = {}


def _enter(self: Any) -> Any:
    return self


def _exit(self: Any, *exc_info: object) -> None:
    _close(self)


def _close(self: Any) -> None:
    close = self.__dict__.get("_lp_close") if hasattr(self, "__dict__") else None
    if close is None:
        return
    self.__dict__["_lp_close"] = None  # once: a second close() does nothing
    close()


def _reducer(cls: type) -> Callable[[Any, int], Any]:
    """``__reduce_ex__`` that pickles an object as its original class, without its closer."""

    def reduce_ex(self: Any, protocol: int) -> Any:
        reduced = cast(Any, cls).__reduce_ex__(self, protocol)
        if not isinstance(reduced, tuple) or len(reduced) < 2:
            return reduced
        sub = type(self)
        function, args = reduced[0], tuple(cls if a is sub else a for a in reduced[1])
        if function is cast(Any, copyreg).__newobj__ and args == (cls,):
            # pickle insists that __newobj__ builds the object's own class
            function, args = cast(Any, copyreg)._reconstructor, (cls, object, None)
        rest = list(reduced[2:])
        if rest and isinstance(rest[0], dict) and "_lp_close" in rest[0]:
            rest[0] = {k: v for k, v in rest[0].items() if k != "_lp_close"}
        return (function, args, *rest)

    return reduce_ex


def _subclass(cls: type) -> type:
    """A subclass of ``cls`` with the same name, closing on ``__exit__``."""
    found = _SUBCLASSES.get(cls)
    if found is None:
        namespace: dict[str, Any] = {
            "__enter__": _enter,
            "__exit__": _exit,
            "__reduce_ex__": _reducer(cls),
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
        }
        if not callable(getattr(cls, "close", None)):
            namespace["close"] = _close
        found = type(cls.__name__, (cls,), namespace)
        _SUBCLASSES[cls] = found
    return found


def _rebuilt_dataset(dataset: Any) -> Any:
    """A pyarrow ``FileSystemDataset`` rebuilt as an instance of a closing subclass."""
    import pyarrow.dataset as ds

    if type(dataset) is not ds.FileSystemDataset:
        return None
    cls = _subclass(ds.FileSystemDataset)
    return cls(
        list(dataset.get_fragments()),
        dataset.schema,
        dataset.format,
        dataset.filesystem,
        dataset.partition_expression,
    )


class _Proxy:
    """Stands in for an object whose class cannot be given the protocol."""

    def __init__(self, obj: Any, close: Callable[[], None] | None) -> None:
        self.__dict__["_lp_obj"] = obj
        self.__dict__["_lp_close"] = close

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_lp_obj"], name)

    def __enter__(self) -> Any:
        return self.__dict__["_lp_obj"]

    def __exit__(self, *exc_info: object) -> None:
        _close(self)

    def close(self) -> None:
        """Release the handles of the object."""
        _close(self)

    def __repr__(self) -> str:
        return repr(self.__dict__["_lp_obj"])


def closable(obj: T, close: Callable[[], None] | None = None) -> T:
    """``obj``, usable in a ``with`` statement that calls ``close`` at its end.

    Args:
        obj: The opened object.
        close: What releases its handles (``None``: nothing to release). An object
            that is a context manager already and needs nothing else is returned as is.
    """
    cls = type(obj)
    if close is None and hasattr(cls, "__enter__") and hasattr(cls, "__exit__"):
        return obj
    if cls.__module__.startswith("pyarrow"):
        rebuilt = _rebuilt_dataset(obj)
        if rebuilt is not None:
            rebuilt.__dict__["_lp_close"] = close
            return rebuilt  # type: ignore[no-any-return]
    try:
        object.__setattr__(obj, "__class__", _subclass(cls))
        object.__setattr__(obj, "_lp_close", close)
    except (TypeError, AttributeError):
        if type(obj) is not cls:
            object.__setattr__(obj, "__class__", cls)
        return _Proxy(obj, close)  # type: ignore[return-value]
    return obj
