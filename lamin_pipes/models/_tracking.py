"""The run context: ``ln.track()``, ``ln.finish()`` and ``ln.context``.

Every ``TracksRun`` record saved while a run is current gets that run (and its creator)
automatically. A run becomes current in one of three ways:

- ``ln.track()`` / ``ln.finish()`` for a script or notebook: the run is ``ln.context.run``
  for the whole process, in every thread and task, until ``ln.finish()``.
- ``@ln.flow()`` (see :mod:`lamin_pipes.models._flow`): each call of a function is a run of
  its own, ``ln.context.run`` for the call's thread or task only.
- ``@ln.step()``: a run initiated by the enclosing flow's (or tracked) run; records saved in
  the step belong to it, while ``ln.context.run`` stays the flow's run, as in lamindb.

Examples:
    >>> import lamin_pipes as ln
    >>> ln.context.run is None
    True
    >>> run = ln.track(key="clean-data.py", params={"threshold": 0.5})
    >>> label = ln.ULabel(name="cleaned").save()
    >>> label.run == ln.context.run == run, run.params
    (True, {'threshold': 0.5})
    >>> ln.finish().status, ln.context.run
    ('completed', None)
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

from ..core import _context
from ..core._context import current_run, global_run
from ..core._settings import settings
from ..core._types import utcnow
from ..core._uid import base62_12
from ..errors import InvalidArgument, TrackNotCalled
from ._transform_source import check_version, latest_transform
from .project import Project
from .run import Run, Transform

logger = logging.getLogger("lamin_pipes")

# Serializes get-or-create of transforms by key within this process.
_TRANSFORM_LOCK = threading.Lock()

#: The project of the current flow or step in this context (``ln.track()``'s is global).
current_project: contextvars.ContextVar[Project | None] = contextvars.ContextVar(
    "lamin_pipes_project", default=None
)

_UID_PATTERN = re.compile(r"[0-9A-Za-z]{12}([0-9A-Za-z]{4})?")


class _Tracked:
    """The run of ``track()`` (or a memorized flow) and what to restore when it finishes."""

    def __init__(
        self,
        run: Run,
        *,
        project: Project | None,
        tokens: tuple[contextvars.Token[Any], contextvars.Token[Any]] | None,
        finished: bool = False,
    ) -> None:
        self.run = run
        self.project = project
        self.tokens = tokens
        self.finished = finished


_tracked: _Tracked | None = None


def _default_key() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return Path(path).name if path else "interactive"


def _default_kind() -> str:
    if getattr(sys.modules.get("__main__"), "__file__", None):
        return "script"
    return "notebook" if "ipykernel" in sys.modules else "script"


def _main_source() -> str | None:
    """The source code of the running script (``None`` in notebooks and shells)."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _resolve_transform(
    transform: Transform | str | None,
    *,
    key: str | None,
    kind: str | None,
    default_kind: str,
    source: str | None = None,
    version: str | None = None,
) -> Transform:
    """A saved transform: the one given, the one with uid ``transform``, or the latest with ``key``.

    A string ``transform`` is a transform uid: 12 characters name a version family (its
    latest version is used, a new version when the source code changed, and the family is
    created if it does not exist yet), 16 characters one exact version.
    """
    if isinstance(transform, Transform):
        if key is not None:
            msg = f"Pass either transform or key, not both (got key={key!r})."
            raise InvalidArgument(msg)
        return transform.save() if transform.id is None else transform
    if transform is not None and not isinstance(transform, str):
        msg = (
            f"transform must be a Transform record or a transform uid, not "
            f"{type(transform).__name__} {transform!r}."
        )
        raise InvalidArgument(msg)
    if transform is not None and not _UID_PATTERN.fullmatch(transform):
        msg = (
            f"Transform uid {transform!r} is not a 12-character stem uid or a 16-character "
            f"uid of base62 characters; e.g. ln.track({base62_12()!r})."
        )
        raise InvalidArgument(msg)
    if key is None:
        key = _default_key()
        if source is None:
            source = _main_source()
    with _TRANSFORM_LOCK:
        if transform is not None and len(transform) == 16:
            found = Transform.filter(uid=transform).one_or_none()
            if found is not None:
                return check_version(found, version)  # type: ignore[no-any-return]
            return Transform(
                uid=transform,
                key=key,
                kind=kind or default_kind,
                source_code=source,
                version=version,
                _search_names=False,
            ).save()
        return latest_transform(
            key, kind=kind or default_kind, source=source, stem=transform, version=version
        )


def _resolve_project(project: Project | str | None) -> Project | None:
    """The saved project ``project`` names (a name or uid); ``$LAMIN_CURRENT_PROJECT`` if unset."""
    if project is None:
        project = os.environ.get("LAMIN_CURRENT_PROJECT") or None
        if project is None:
            return None
    if isinstance(project, Project):
        if project.id is None:
            msg = f"Save the project before tracking with it: {project!r}."
            raise InvalidArgument(msg)
        return project
    if not isinstance(project, str):
        msg = f"project must be a Project or its name or uid, not {type(project).__name__}."
        raise InvalidArgument(msg)
    found = Project.filter(name=project).first() or Project.filter(uid=project).first()
    if found is None:
        names = [p.name for p in Project.filter().order_by("name")[:10]]
        msg = (
            f"Project {project!r} not found; create it with ln.Project(name={project!r}).save() "
            f"or pass one of: {names}."
        )
        raise InvalidArgument(msg)
    return found  # type: ignore[no-any-return]


def _resolve_initiating_run(run: Run | str | None) -> Run | None:
    """The saved run ``run`` names (a uid); ``$LAMIN_INITIATED_BY_RUN_UID`` if unset."""
    if run is None:
        run = os.environ.get("LAMIN_INITIATED_BY_RUN_UID") or None
        if run is None:
            return None
    if isinstance(run, Run):
        if run.id is None:
            msg = f"initiated_by_run must be saved before tracking: {run!r}."
            raise InvalidArgument(msg)
        return run
    if not isinstance(run, str):
        msg = f"initiated_by_run must be a Run or a run uid, not {type(run).__name__}."
        raise InvalidArgument(msg)
    found = Run.filter(uid=run).one_or_none()
    if found is None:
        msg = f"Run {run!r} not found; pass the uid of a saved run as initiated_by_run."
        raise InvalidArgument(msg)
    return found  # type: ignore[no-any-return]


def _start_run(
    transform: Transform,
    *,
    params: Any,
    initiated_by_run: Run | None,
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
        initiated_by_run=initiated_by_run,
    ).save()


def _restart_run(transform: Transform, *, params: Any) -> Run | None:
    """The latest run of ``transform`` by the current user, restarted; ``None`` if none."""
    user = settings.user
    query = Run.filter(transform=transform)
    if user is not None:
        query = query.filter(created_by_id=user.id)
    run: Run | None = query.order_by("-id").first()
    if run is None:
        return None
    run.started_at = utcnow()
    run.finished_at = None
    run.status = "restarted"
    if params is not None:
        run.params = params
    return run.save()


def _end_run(run: Run, status: str, project: Project | None) -> Run:
    if project is not None:
        _link_project(run, project)
    run.finished_at = utcnow()
    run.status = status
    return run.save()


def _link_project(run: Run, project: Project) -> None:
    """Annotate the records the run created with ``project`` (registries a project links)."""
    from .record import Record
    from .ulabel import ULabel

    for manager, registry in ((project.ulabels, ULabel), (project.records, Record)):
        created = registry.filter(run_id=run.id).to_list()
        if created:
            manager.add(*created)


def track(
    transform: Transform | str | None = None,
    *,
    project: Project | str | None = None,
    params: dict[str, Any] | None = None,
    new_run: bool | None = None,
    initiated_by_run: Run | str | None = None,
    key: str | None = None,
    kind: str | None = None,
) -> Run:
    """Start a run and make it ``ln.context.run`` until :func:`finish`.

    The transform is ``transform`` if a record is given (saved if unsaved); for a uid
    string, the transform with that uid (a 12-character stem uid: the latest version of the
    family, created with that uid if there is none); else the latest transform with
    ``key``, created if there is none. ``key`` defaults to the file name of the running
    script, or ``"interactive"``; ``kind`` (only used when creating) defaults to
    ``"script"`` (``"notebook"`` in a Jupyter kernel). A new transform is tagged with
    ``ln.context.version`` when set.

    The run is current for the whole process, in every thread and task, until
    :func:`finish`; inside a flow or step, that run takes precedence. Calling ``track()``
    again while a tracked run is active finishes that run first.

    Args:
        transform: The transform to run, or its uid.
        project: A project, or its name or uid, that the records created in the run are
            annotated with (ULabels and Records, when the run finishes). Defaults to the
            ``LAMIN_CURRENT_PROJECT`` environment variable.
        params: JSON-serializable parameters of the run.
        new_run: ``False`` restarts the latest run of the transform by the current user
            (status ``"restarted"``) instead of starting a new one; default ``False`` for
            notebooks, else ``True``.
        initiated_by_run: The run (or its uid) that triggered this one; defaults to the run
            current before, else the ``LAMIN_INITIATED_BY_RUN_UID`` environment variable.
        key: Key of the transform to look up or create.
        kind: Kind of a newly created transform.

    Returns:
        The started run (status ``"started"``, or ``"restarted"``).

    Raises:
        InvalidArgument: ``transform`` is neither a ``Transform`` nor a uid, both a
            transform record and ``key`` are given, or ``project`` or
            ``initiated_by_run`` names nothing saved.

    Examples:
        >>> import lamin_pipes as ln
        >>> run = ln.track(key="train.py", params={"lr": 0.1})
        >>> ln.context.run == run, run.transform.key, run.status
        (True, 'train.py', 'started')
        >>> ln.ULabel(name="trained").save().run == run
        True
        >>> ln.finish().status
        'completed'
        >>> again = ln.track(key="train.py", new_run=False)
        >>> again == run, again.status
        (True, 'restarted')
        >>> _ = ln.finish()
    """
    global _tracked
    resolved_project = _resolve_project(project)
    initiating = _resolve_initiating_run(initiated_by_run)
    resolved = _resolve_transform(
        transform, key=key, kind=kind, default_kind=_default_kind(), version=context.version
    )
    if _tracked is not None:
        finish()
    if initiating is None:
        initiating = _context.active_run()
    if new_run is None:
        new_run = resolved.kind != "notebook"
    run = None if new_run else _restart_run(resolved, params=params)
    if run is None:
        run = _start_run(resolved, params=params, initiated_by_run=initiating)
    tokens = (current_run.set(run), global_run.set(run))
    _tracked = _Tracked(run, project=resolved_project, tokens=tokens)
    _context.tracked_run = run  # seen by threads started later, too
    return run


def finish() -> Run:
    """Finish the run started by :func:`track`: status ``"completed"``, ``finished_at`` now.

    The run that was current before :func:`track` becomes current again. After a flow
    with ``global_run="memorize"``, this only clears ``ln.context.run`` (that run has
    finished already).

    Returns:
        The finished run.

    Raises:
        TrackNotCalled: No run was started with ``ln.track()``.

    Examples:
        >>> import lamin_pipes as ln
        >>> run = ln.track(key="finish-example.py")
        >>> ln.finish().finished_at is not None, ln.context.run
        (True, None)
    """
    global _tracked
    tracked = _tracked
    if tracked is None:
        msg = "No run is being tracked: call ln.track() before ln.finish()."
        raise TrackNotCalled(msg)
    _tracked = None
    _context.tracked_run = None
    if tracked.tokens is not None:
        for var, token in zip((current_run, global_run), tracked.tokens, strict=True):
            try:
                var.reset(token)
            except (ValueError, RuntimeError):  # finish() from another context than track()
                if var.get() is tracked.run:
                    var.set(token.old_value if token.old_value is not token.MISSING else None)
    if tracked.finished:
        return tracked.run
    return _end_run(tracked.run, "completed", tracked.project)


def _memorize(run: Run, project: Project | None) -> None:
    """Keep a finished flow's ``run`` as ``ln.context.run`` until :func:`finish`."""
    global _tracked
    _tracked = _Tracked(run, project=project, tokens=None, finished=True)
    _context.tracked_run = run


class Context:
    """The run context of this thread or task, as ``ln.context``.

    Examples:
        >>> import lamin_pipes as ln
        >>> ln.context.run is None
        True
        >>> @ln.flow()
        ... def double(x):
        ...     return 2 * x, ln.context.run.params
        >>> double(21)
        (42, {'x': 21})
    """

    def __init__(self) -> None:
        self._version: str | None = None

    @property
    def run(self) -> Run | None:
        """The run of ``ln.track()`` or of the enclosing ``@ln.flow()``, or ``None``.

        Inside a ``@ln.step()`` this stays the flow's run, as in lamindb; the step's own
        run is :attr:`current_run`.
        """
        run: Run | None = _context.context_run()
        return run

    @property
    def current_run(self) -> Run | None:
        """The run records saved now belong to: the innermost step's or flow's, else
        ``ln.track()``'s, or ``None``."""
        run: Run | None = _context.active_run()
        return run

    @property
    def transform(self) -> Transform | None:
        """The transform of :attr:`run`, or ``None`` outside any run."""
        run = self.run
        return None if run is None else run.transform

    @property
    def project(self) -> Project | None:
        """The project of the current flow or step, else of ``ln.track()``, or ``None``."""
        project = current_project.get()
        if project is None and _tracked is not None and not _tracked.finished:
            project = _tracked.project
        return project

    @property
    def version(self) -> str | None:
        """The version tag that ``ln.track()`` gives a new transform (``None``: a counter).

        Examples:
            >>> import lamin_pipes as ln
            >>> ln.context.version = "1.2"
            >>> run = ln.track(key="versioned-script.py")
            >>> run.transform.version
            '1.2'
            >>> _ = ln.finish()
            >>> ln.context.version = None
        """
        return self._version

    @version.setter
    def version(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            msg = f"ln.context.version must be a string or None, not {type(value).__name__} {value!r}."
            raise InvalidArgument(msg)
        self._version = value


#: The run context, as ``ln.context``.
context = Context()
