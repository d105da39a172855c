"""The current run: context variables (thread- and asyncio-safe), plus the run of
``ln.track()``, which holds for the whole process.

Two runs matter at any moment:

- the *global* run, which ``ln.context.run`` shows: the run of ``ln.track()`` or of the
  enclosing ``@ln.flow()``;
- the *active* run, which records saved now belong to: the innermost run, i.e. a
  ``@ln.step()``'s run inside a flow, else the global run.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

#: The innermost run of this context, the one records created now belong to
#: (``None`` outside any flow or step; then ``tracked_run`` applies).
current_run: contextvars.ContextVar[Any] = contextvars.ContextVar("lamin_pipes_run", default=None)

#: The run ``ln.context.run`` shows in this context: the enclosing flow's or the run of
#: ``ln.track()`` called in this context (``None``: then ``tracked_run`` applies).
global_run: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "lamin_pipes_global_run", default=None
)

#: The run started by ``ln.track()`` (or kept by ``@ln.flow(global_run="memorize")``):
#: current in every thread and task of the process unless a flow or step sets another one
#: in its context.
tracked_run: Any = None


#: Functions naming the runs of an orchestrator's step executing now (the Dagster
#: integration adds one): each returns ``(global run, active run)``, or ``None`` outside
#: such a step. They are asked only where no flow or step of this library is current.
_run_providers: list[Callable[[], tuple[Any, Any] | None]] = []


def add_run_provider(provider: Callable[[], tuple[Any, Any] | None]) -> None:
    """Have ``provider`` consulted for the current run (once, however often it is added).

    Examples:
        >>> def outside_any_step():
        ...     return None
        >>> add_run_provider(outside_any_step)
        >>> active_run() is None
        True
        >>> _run_providers.remove(outside_any_step)
    """
    if provider not in _run_providers:
        _run_providers.append(provider)


def _provided() -> tuple[Any, Any] | None:
    for provider in _run_providers:
        runs = provider()
        if runs is not None:
            return runs
    return None


def active_run() -> Any:
    """The run records belong to now: the context's innermost run, else the tracked one."""
    run = current_run.get()
    if run is None and _run_providers:
        provided = _provided()
        if provided is not None:
            return provided[1]
    return tracked_run if run is None else run


def context_run() -> Any:
    """The run ``ln.context.run`` shows: the context's flow or track run, else the tracked one."""
    run = global_run.get()
    if run is None and _run_providers:
        provided = _provided()
        if provided is not None:
            return provided[0]
    return tracked_run if run is None else run
