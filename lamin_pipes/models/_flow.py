"""``@ln.flow()`` and ``@ln.step()``: runs of functions, and of blocks.

A *flow* is a function tracked as a transform: every call is a run of its own, which is
``ln.context.run`` while the call lasts. A *step* is a function called inside a flow (or
a tracked script): its run is initiated by the enclosing run, and the records saved in
the step belong to the step's run. Both record the call's arguments in ``run.params``
(records as ``"Artifact[<uid>]"``, lists of records as lists of such strings), the status
(``"completed"``, ``"errored"`` when an exception escapes, ``"aborted"`` when the call is
interrupted or cancelled), and start and finish times.

The runs live in context variables, so threads and asyncio tasks each see their own run.
``ln.flow(...)`` and ``ln.step(...)`` are also context managers (``with``/``async with``)
for a run of one block, and take a ``key`` and Dagster-style ``reference`` beyond lamindb.

Examples:
    >>> import lamin_pipes as ln
    >>> @ln.step()
    ... def clean(label):
    ...     return ln.ULabel(name=f"{label.name}-clean").save()
    >>> @ln.flow()
    ... def ingest(name, n=1):
    ...     return clean(ln.ULabel(name=name).save())
    >>> cleaned = ingest("raw")
    >>> flow_run = cleaned.run.initiated_by_run
    >>> flow_run.params["name"], flow_run.status, cleaned.run.params["label"][:7]
    ('raw', 'completed', 'ULabel[')
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Literal, TypeVar, get_args

from ..core._context import active_run, context_run, current_run, global_run
from ..errors import InvalidArgument, RunInProgress, TrackNotCalled
from ..orm.sqlrecord import SQLRecord
from . import _tracking
from ._tracking import current_project
from .project import Project
from .run import Run, Transform

F = TypeVar("F", bound=Callable[..., Any])
GlobalRun = Literal["clear", "memorize", "none"]

logger = logging.getLogger("lamin_pipes")

#: What a redacted parameter value reads.
REDACTED = "***REDACTED***"
_SECRET_KEY = re.compile(
    r"(^|[_\-.])(api[_-]?key|access[_-]?key|secret|token|password|passwd|private[_-]?key"
    r"|client[_-]?secret)($|[_\-.])"
)
_CREDENTIALS_URL = re.compile(r"^postgres(?:ql)?://[^:@/\s]+:[^@/\s]+@", re.IGNORECASE)
_SKIP = object()


def serialize_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` as JSON for ``run.params``, as lamindb records a call's arguments.

    ``None`` and empty lists are left out; a record becomes ``"Registry[<uid>]"`` and a
    list of records a list of those; values JSON cannot hold are left out with a warning;
    values of secret-looking names (``password``, ``api_key``, ``token`` …) and database
    URLs with a password are redacted.

    Examples:
        >>> import lamin_pipes as ln
        >>> label = ln.ULabel(name="param-label").save()
        >>> params = serialize_params({"n": 2, "label": label, "none": None, "token": "abc"})
        >>> params["n"], params["label"] == f"ULabel[{label.uid}]", params["token"], "none" in params
        (2, True, '***REDACTED***', False)
    """
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None or (isinstance(value, list | tuple) and len(value) == 0):
            continue
        converted = _param_value(value)
        if converted is _SKIP:
            logger.warning(
                "skipping param %s of type %s: not JSON serializable", name, type(value).__name__
            )
            continue
        secret = _SECRET_KEY.search(name.lower()) or (
            isinstance(converted, str) and _CREDENTIALS_URL.match(converted.strip())
        )
        out[name] = REDACTED if secret else converted
    return out


def _record_label(record: SQLRecord) -> str:
    return f"{type(record).__name__}[{record.uid}]"  # type: ignore[attr-defined]


def _param_value(value: Any) -> Any:
    if isinstance(value, SQLRecord):
        return _record_label(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if all(isinstance(item, SQLRecord) for item in items):
            return [_record_label(item) for item in items]
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return _SKIP
    return list(value) if isinstance(value, tuple) else value


class _RunScope:
    """The run of one flow or step: a context manager, and a decorator that makes one per call."""

    def __init__(
        self,
        *,
        is_flow: bool,
        uid: str | None,
        transform: Transform | None,
        key: str | None,
        kind: str | None,
        params: dict[str, Any] | None,
        project: Project | str | None,
        initiated_by_run: Run | str | None,
        reference: str | None,
        reference_type: str | None,
        global_run: GlobalRun,
        track_arg_aliases: bool,
    ) -> None:
        if uid is not None and transform is not None:
            msg = f"Pass either uid or transform, not both (got uid={uid!r})."
            raise InvalidArgument(msg)
        if global_run not in get_args(GlobalRun):
            msg = f"global_run must be one of {list(get_args(GlobalRun))}, not {global_run!r}."
            raise InvalidArgument(msg)
        self._is_flow = is_flow
        self._transform: Transform | str | None = transform if transform is not None else uid
        self._key = key
        self._kind = kind
        self._params = params
        self._project = project
        self._initiated_by_run = initiated_by_run
        self._reference = reference
        self._reference_type = reference_type
        self._global_run = global_run
        self._track_arg_aliases = track_arg_aliases
        self._source: str | None = None
        self._active: tuple[Run, Project | None, list[tuple[Any, Any]]] | None = None

    @property
    def _name(self) -> str:
        return "@ln.flow()" if self._is_flow else "@ln.step()"

    def _check_context(self) -> None:
        if self._is_flow:
            running = context_run()
            if running is not None:
                msg = (
                    f"Cannot start a flow while run {running.uid!r} of "
                    f"{running.transform.key!r} is ln.context.run: use @ln.step() inside "
                    f"it, or call ln.finish() first."
                )
                raise RunInProgress(msg)
        elif active_run() is None:
            msg = "A step needs an enclosing run: call it inside @ln.flow() or after ln.track()."
            raise TrackNotCalled(msg)

    def __enter__(self) -> Run:
        if self._active is not None:
            msg = f"This {self._name} scope is already active; use a new one for each block."
            raise InvalidArgument(msg)
        self._check_context()
        project = _tracking._resolve_project(self._project)
        if project is None:
            project = _tracking.context.project
        initiating = _tracking._resolve_initiating_run(self._initiated_by_run)
        if initiating is None:
            initiating = active_run()
        key, kind = self._key, self._kind
        default_kind = "function" if key is not None or self._source else _tracking._default_kind()
        transform = _tracking._resolve_transform(
            self._transform, key=key, kind=kind, default_kind=default_kind, source=self._source
        )
        run = _tracking._start_run(
            transform,
            params=self._params,
            initiated_by_run=initiating,
            reference=self._reference,
            reference_type=self._reference_type,
        )
        tokens: list[tuple[Any, Any]] = [
            (current_run, current_run.set(run)),
            (current_project, current_project.set(project)),
        ]
        if self._is_flow and self._global_run != "none":
            tokens.append((global_run, global_run.set(run)))
        self._active = (run, project, tokens)
        return run

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._active is not None
        run, project, tokens = self._active
        self._active = None
        for var, token in reversed(tokens):
            var.reset(token)
        if exc_type is None:
            status = "completed"
        else:
            status = "errored" if issubclass(exc_type, Exception) else "aborted"
        _tracking._end_run(run, status, project)
        if self._is_flow and self._global_run == "memorize":
            _tracking._memorize(run, project)

    async def __aenter__(self) -> Run:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)

    def _for_call(self, arguments: dict[str, Any]) -> _RunScope:
        """A fresh scope for one call, with the call's arguments as params."""
        params = {**(self._params or {}), **serialize_params(arguments)}
        project, initiated_by_run = self._project, self._initiated_by_run
        if self._track_arg_aliases:
            if isinstance(arguments.get("project"), Project | str):
                project = arguments["project"]
            if isinstance(arguments.get("initiated_by_run"), Run | str):
                initiated_by_run = arguments["initiated_by_run"]
        scope = _RunScope(
            is_flow=self._is_flow,
            uid=None,
            transform=None,
            key=self._key,
            kind=self._kind,
            params=params or None,
            project=project,
            initiated_by_run=initiated_by_run,
            reference=self._reference,
            reference_type=self._reference_type,
            global_run=self._global_run,
            track_arg_aliases=self._track_arg_aliases,
        )
        scope._transform = self._transform
        scope._source = self._source
        return scope

    def __call__(self, func: F) -> F:
        """Decorate ``func``: each call is a run (transform key: ``module.qualname``).

        The function's source code is stored with its transform; when it changes, the next
        call makes a new version of the transform.
        """
        if not callable(func):
            msg = f"{self._name} decorates functions, not {type(func).__name__} {func!r}."
            raise InvalidArgument(msg)
        if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
            msg = f"Cannot track generator function {func.__qualname__!r} with {self._name}."
            raise InvalidArgument(msg)
        if self._transform is None and self._key is None:
            self._key = f"{func.__module__}.{func.__qualname__}"
        if not isinstance(self._transform, Transform):
            try:  # the function's source versions its transform, as a script's does
                self._source = inspect.getsource(func)
            except (OSError, TypeError):
                self._source = None
        signature = inspect.signature(func)

        def scope_for(args: tuple[Any, ...], kwargs: dict[str, Any]) -> _RunScope:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return self._for_call(dict(bound.arguments))

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with scope_for(args, kwargs):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with scope_for(args, kwargs):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def flow(
    uid: str | None = None,
    global_run: GlobalRun = "clear",
    track_arg_aliases: bool = True,
    *,
    key: str | None = None,
    kind: str | None = None,
    transform: Transform | None = None,
    params: dict[str, Any] | None = None,
    project: Project | str | None = None,
    initiated_by_run: Run | str | None = None,
    reference: str | None = None,
    reference_type: str | None = None,
) -> _RunScope:
    """Track a function as a flow: each call is a run, ``ln.context.run`` during the call.

    The transform is the one with uid ``uid`` (or ``transform``), else the latest one with
    ``key`` (default: ``module.qualname`` of the function; for a block, the script's file
    name), created with ``kind`` (default ``"function"``) and the function's source code;
    a changed source makes a new version. The run records the call's arguments in
    ``run.params`` (see :func:`serialize_params`), its status and its start and finish.

    A flow cannot start while another run is ``ln.context.run`` (call :func:`step`
    inside it instead). Runs are per thread and asyncio task, so concurrent calls in
    several threads or tasks each get their own run, whatever ``global_run`` is.

    Args:
        uid: Uid of the transform (a 12-character stem uid, or 16 for one version).
        global_run: ``"clear"``: the run is ``ln.context.run`` during the call;
            ``"memorize"``: it stays ``ln.context.run`` (for the whole process) after the
            call, until ``ln.finish()``; ``"none"``: ``ln.context.run`` is left alone (records
            saved in the call still belong to the run, and steps are initiated by it).
        track_arg_aliases: Arguments named ``project`` and ``initiated_by_run`` also set the
            run's project and initiating run (and stay in ``run.params``).
        key: Key of the transform to look up or create.
        kind: Kind of a newly created transform.
        transform: The transform to run.
        params: Parameters recorded besides the call's arguments (the block's, for ``with``).
        project: A project (or its name or uid) for the records created in the run.
        initiated_by_run: The run (or its uid) that triggered this one.
        reference: An external reference such as a Dagster run id.
        reference_type: The kind of reference, e.g. ``"dagster_run_id"``.

    Returns:
        A decorator, which is also a context manager (``with`` yields the started run).

    Raises:
        InvalidArgument: ``global_run`` is not one of the options, or both ``uid`` and
            ``transform`` are given.
        RunInProgress: On a call, when another run is ``ln.context.run``.

    Examples:
        >>> import lamin_pipes as ln
        >>> @ln.flow(global_run="clear")
        ... def train(labels: list, lr: float = 0.1):
        ...     return ln.context.run
        >>> run = train([ln.ULabel(name="a").save()])
        >>> run.params["lr"], run.params["labels"][0].startswith("ULabel["), run.status
        (0.1, True, 'completed')
        >>> ln.context.run is None
        True
        >>> with ln.flow(key="ingest-block", params={"n": 1}) as run:
        ...     label = ln.ULabel(name="in-block").save()
        >>> label.run == run, run.transform.key
        (True, 'ingest-block')
    """
    return _RunScope(
        is_flow=True,
        uid=uid,
        transform=transform,
        key=key,
        kind=kind,
        params=params,
        project=project,
        initiated_by_run=initiated_by_run,
        reference=reference,
        reference_type=reference_type,
        global_run=global_run,
        track_arg_aliases=track_arg_aliases,
    )


def step(
    uid: str | None = None,
    *,
    key: str | None = None,
    kind: str | None = None,
    transform: Transform | None = None,
    params: dict[str, Any] | None = None,
    reference: str | None = None,
    reference_type: str | None = None,
) -> _RunScope:
    """Track a function as a step of the enclosing flow (or tracked script).

    Like :func:`flow`, but the run is initiated by the current run, and does not become
    ``ln.context.run`` (that stays the flow's run, as in lamindb); records saved in the
    step belong to the step's run (``ln.context.current_run``). Steps nest.

    Args:
        uid: Uid of the transform (a 12-character stem uid, or 16 for one version).
        key: Key of the transform to look up or create (default: ``module.qualname``).
        kind: Kind of a newly created transform (default ``"function"``).
        transform: The transform to run.
        params: Parameters recorded besides the call's arguments.
        reference: An external reference such as a Dagster step key.
        reference_type: The kind of reference.

    Returns:
        A decorator, which is also a context manager (``with`` yields the started run).

    Raises:
        TrackNotCalled: On a call outside any run.

    Examples:
        >>> import lamin_pipes as ln
        >>> @ln.step()
        ... def half(x):
        ...     return x / 2, ln.context.current_run
        >>> with ln.flow(key="halving") as flow_run:
        ...     value, step_run = half(8)
        >>> value, step_run.initiated_by_run == flow_run, step_run.params
        (4.0, True, {'x': 8})
    """
    return _RunScope(
        is_flow=False,
        uid=uid,
        transform=transform,
        key=key,
        kind=kind,
        params=params,
        project=None,
        initiated_by_run=None,
        reference=reference,
        reference_type=reference_type,
        global_run="none",
        track_arg_aliases=False,
    )


__all__ = ["flow", "serialize_params", "step"]
