"""The run context: ``ln.track()``, ``ln.finish()`` and ``ln.context``.

The current run lives in the context variable :data:`lamin_pipes.core._context.current_run`;
every ``TracksRun`` record saved while a run is current gets that run (and its creator)
automatically. There are two ways to make a run current:

- ``ln.track()`` / ``ln.finish()`` for a script or notebook: the run stays current in the
  calling context until ``ln.finish()`` (or the next ``ln.track()``).
- ``ln.context.run(...)`` for libraries: a context manager and decorator that makes a run
  current for one block or call only. It resets the context variable on exit, so threads
  and asyncio tasks each see their own run.

Examples:
    >>> import lamin_pipes as ln
    >>> with ln.context.run(key="clean-data") as run:
    ...     label = ln.ULabel(name="cleaned").save()
    >>> label.run == run, run.status
    (True, 'completed')
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from ..core import _context
from ..core._context import current_run
from ..core._types import utcnow
from ..errors import InvalidArgument
from ._is_versioned import FamilyExists
from .run import Run, Transform

F = TypeVar("F", bound=Callable[..., Any])

# Serializes get-or-create of transforms by key within this process.
_TRANSFORM_LOCK = threading.Lock()


class _Tracked:
    """The run started by ``track()`` and what to restore when it finishes."""

    def __init__(self, run: Run, token: contextvars.Token[Any], previous: Any) -> None:
        self.run = run
        self.token = token
        self.previous = previous


_tracked: _Tracked | None = None


def _default_key() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return Path(path).name if path else "interactive"


def _default_kind() -> str:
    if getattr(sys.modules.get("__main__"), "__file__", None):
        return "script"
    return "notebook" if "ipykernel" in sys.modules else "script"


def _resolve_transform(
    transform: Any,
    *,
    key: str | None,
    kind: str | None,
    default_kind: str,
    source: str | None = None,
) -> Transform:
    """A saved transform: the one given, else the latest one with ``key`` (created if none)."""
    if transform is not None:
        if not isinstance(transform, Transform):
            msg = (
                f"transform must be a Transform record, not {type(transform).__name__} "
                f"{transform!r}; pass a key as key={transform!r}."
            )
            raise InvalidArgument(msg)
        if key is not None:
            msg = f"Pass either transform or key, not both (got key={key!r})."
            raise InvalidArgument(msg)
        return transform.save() if transform.id is None else transform
    if key is None:
        key = _default_key()
        source = _main_source()
    with _TRANSFORM_LOCK:
        return _latest_transform(key, kind=kind or default_kind, source=source)


def _main_source() -> str | None:
    """The source code of the running script (``None`` in notebooks and shells)."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _function_source(func: Any) -> str | None:
    """The source code of ``func`` (``None`` where Python cannot find it)."""
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        return None


def _latest_transform(key: str, *, kind: str, source: str | None) -> Transform:
    """The latest transform with ``key``; a new version when the source code changed.

    Safe against other processes doing the same: the first version of a key, and a
    new version for a changed source, is created at most once (a concurrent
    creator's transform is returned instead).
    """
    for _ in range(5):
        found = Transform.filter(key=key, is_latest=True).order_by("id").first()
        if found is None:
            try:
                return Transform(key=key, kind=kind, source_code=source)._insert(
                    only_new_family=True
                )
            except FamilyExists:
                continue
        if source is None:
            return found  # type: ignore[no-any-return]
        new = Transform(key=key, kind=found.kind, source_code=source)
        if found.hash == new.hash:
            return found  # type: ignore[no-any-return]
        if found.hash is None:
            found.source_code = source
            found.hash = new.hash
            return found.save()  # type: ignore[no-any-return]
        try:
            # Only if `found` is still the head: a concurrent process may have made the
            # same new version meanwhile (then the next round returns it).
            return Transform(key=key, kind=found.kind, source_code=source, revises=found)._insert(
                only_new_family=False, strict_revises=True
            )
        except FamilyExists:
            continue
    msg = f"Could not resolve the transform {key!r}: it keeps changing concurrently"
    raise InvalidArgument(msg)


def _start_run(
    transform: Transform,
    *,
    params: Any,
    reference: str | None = None,
    reference_type: str | None = None,
) -> Run:
    return Run(
        transform=transform,
        started_at=utcnow(),
        status="started",
        params=params,
        reference=reference,
        reference_type=reference_type,
        initiated_by_run=_context.active_run(),
    ).save()


def _end_run(run: Run, status: str) -> Run:
    run.finished_at = utcnow()
    run.status = status
    return run.save()


def track(
    transform: Transform | None = None,
    *,
    params: dict[str, Any] | None = None,
    key: str | None = None,
    kind: str | None = None,
) -> Run:
    """Start a run and make it the current run until :func:`finish`.

    The transform is ``transform`` if given (saved if unsaved), else the latest
    transform with ``key``, created if there is none. ``key`` defaults to the file name
    of the running script, or ``"interactive"``; ``kind`` (only used when creating)
    defaults to ``"script"`` (``"notebook"`` in a Jupyter kernel).

    The run becomes current for the whole process, in every thread and task, until
    :func:`finish`; inside an ``ln.context.run(...)`` block that block's run takes
    precedence. Its ``initiated_by_run`` is the run that was current before, if any. Calling
    ``track()`` again while a tracked run is active finishes that run first.

    Args:
        transform: The transform to run.
        params: JSON-serializable parameters of the run.
        key: Key of the transform to look up or create, when ``transform`` is not given.
        kind: Kind of a newly created transform.

    Returns:
        The started run (status ``"started"``).

    Raises:
        InvalidArgument: ``transform`` is not a ``Transform``, or both it and ``key``
            are given.

    Examples:
        >>> import lamin_pipes as ln
        >>> run = ln.track(key="train.py", params={"lr": 0.1})
        >>> ln.context.current_run == run, run.transform.key, run.status
        (True, 'train.py', 'started')
        >>> ln.ULabel(name="trained").save().run == run
        True
        >>> ln.finish().status
        'completed'
    """
    global _tracked
    resolved = _resolve_transform(transform, key=key, kind=kind, default_kind=_default_kind())
    if _tracked is not None:
        finish()
    previous = current_run.get()
    run = _start_run(resolved, params=params)
    token = current_run.set(run)
    _tracked = _Tracked(run, token, previous)
    _context.tracked_run = run  # seen by threads started later, too
    return run


def finish() -> Run:
    """Finish the run started by :func:`track`: status ``"completed"``, ``finished_at`` now.

    The run that was current before :func:`track` becomes current again.

    Returns:
        The finished run.

    Raises:
        InvalidArgument: No run was started with ``ln.track()``.

    Examples:
        >>> import lamin_pipes as ln
        >>> run = ln.track(key="finish-example.py")
        >>> ln.finish().finished_at is not None, ln.context.current_run
        (True, None)
    """
    global _tracked
    tracked = _tracked
    if tracked is None:
        msg = "No run is being tracked. Call ln.track() first."
        raise InvalidArgument(msg)
    _tracked = None
    _context.tracked_run = None
    try:
        current_run.reset(tracked.token)
    except (ValueError, RuntimeError):  # finish() from another context than track()
        if current_run.get() is tracked.run:
            current_run.set(tracked.previous)
    return _end_run(tracked.run, "completed")


class RunScope:
    """A run for one block or one call: a context manager and a decorator.

    Made by :meth:`Context.run`. As a context manager it starts a run on entry and
    finishes it on exit; as a decorator it does so around every call of the function
    (sync or async). Inside, the run is current (records saved there get it); the
    previous current run becomes its ``initiated_by_run`` and is current again on exit.
    The run ends with status ``"completed"``, or ``"errored"`` if an exception escapes
    (the exception propagates).

    One scope object runs one block at a time; call ``ln.context.run(...)`` for each block.
    """

    def __init__(
        self,
        transform: Transform | None = None,
        *,
        params: dict[str, Any] | None = None,
        key: str | None = None,
        kind: str | None = None,
        reference: str | None = None,
        reference_type: str | None = None,
    ) -> None:
        self._transform = transform
        self._params = params
        self._key = key
        self._kind = kind
        self._reference = reference
        self._reference_type = reference_type
        self._source: str | None = None
        self._active: tuple[Run, contextvars.Token[Any]] | None = None

    def __enter__(self) -> Run:
        if self._active is not None:
            msg = "This run scope is already active; call ln.context.run(...) for each block."
            raise InvalidArgument(msg)
        transform = _resolve_transform(
            self._transform,
            key=self._key,
            kind=self._kind,
            default_kind="function",
            source=self._source,
        )
        run = _start_run(
            transform,
            params=self._params,
            reference=self._reference,
            reference_type=self._reference_type,
        )
        self._active = (run, current_run.set(run))
        return run

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._active is not None
        run, token = self._active
        self._active = None
        current_run.reset(token)
        _end_run(run, "completed" if exc_type is None else "errored")

    async def __aenter__(self) -> Run:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)

    def _fresh(self) -> RunScope:
        scope = RunScope(
            self._transform,
            params=self._params,
            key=self._key,
            kind=self._kind,
            reference=self._reference,
            reference_type=self._reference_type,
        )
        scope._source = self._source
        return scope

    def __call__(self, func: F) -> F:
        """Decorate ``func``: each call runs in a new run (key: ``module.qualname``).

        The function's source code is stored with its transform; when it changes, the
        next call makes a new version of the transform.
        """
        if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
            msg = f"Cannot track generator function {func!r}; use `with ln.context.run(...)`."
            raise InvalidArgument(msg)
        if not callable(func):
            msg = f"ln.context.run(...) decorates functions, not {type(func).__name__}."
            raise InvalidArgument(msg)
        if self._transform is None and self._key is None:
            self._key = f"{func.__module__}.{func.__qualname__}"
        if self._transform is None:
            # The function's source versions its transform, as a script's does.
            self._source = _function_source(func)
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class Context:
    """The run context of this thread or task, as ``ln.context``.

    Examples:
        >>> import lamin_pipes as ln
        >>> ln.context.current_run is None
        True
        >>> @ln.context.run(key="double")
        ... def double(x):
        ...     return 2 * x, ln.context.transform.key
        >>> double(21)
        (42, 'double')
    """

    @property
    def current_run(self) -> Run | None:
        """The current run (a ``context.run`` block's, else ``ln.track()``'s) or ``None``."""
        run: Run | None = _context.active_run()
        return run

    @property
    def transform(self) -> Transform | None:
        """The transform of the current run, or ``None`` outside any run."""
        run = self.current_run
        return None if run is None else run.transform

    def run(
        self,
        transform: Transform | None = None,
        *,
        params: dict[str, Any] | None = None,
        key: str | None = None,
        kind: str | None = None,
        reference: str | None = None,
        reference_type: str | None = None,
    ) -> RunScope:
        """A run for one block (``with``) or for each call of a function (decorator).

        The transform is ``transform`` if given (saved if unsaved), else the latest one
        with ``key``, created with ``kind`` (default ``"function"``) if there is none.
        ``key`` defaults to ``module.qualname`` for a decorated function and to the
        running script's file name for a block.

        Args:
            transform: The transform to run.
            params: JSON-serializable parameters of the run.
            key: Key of the transform to look up or create, when ``transform`` is not given.
            kind: Kind of a newly created transform.
            reference: An external reference such as a Dagster run id.
            reference_type: The kind of reference, e.g. ``"dagster_run_id"``.

        Returns:
            A :class:`RunScope`; ``with`` yields the started :class:`Run`.

        Examples:
            >>> import lamin_pipes as ln
            >>> with ln.context.run(key="outer") as outer:
            ...     with ln.context.run(key="inner", params={"n": 1}) as inner:
            ...         pass
            >>> inner.initiated_by_run == outer, inner.params
            (True, {'n': 1})
        """
        return RunScope(
            transform,
            params=params,
            key=key,
            kind=kind,
            reference=reference,
            reference_type=reference_type,
        )


#: The run context, as ``ln.context``.
context = Context()
