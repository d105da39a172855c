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


def active_run() -> Any:
    """The run records belong to now: the context's innermost run, else the tracked one."""
    run = current_run.get()
    return tracked_run if run is None else run


def context_run() -> Any:
    """The run ``ln.context.run`` shows: the context's flow or track run, else the tracked one."""
    run = global_run.get()
    return tracked_run if run is None else run
