"""The current run: a context variable (thread- and asyncio-safe), plus the run of
``ln.track()``, which holds for the whole process."""

from __future__ import annotations

import contextvars
from typing import Any

#: The run that records created now belong to (``None`` outside any run).
current_run: contextvars.ContextVar[Any] = contextvars.ContextVar("lamin_pipes_run", default=None)

#: The run started by ``ln.track()``: current in every thread of the process unless a
#: ``ln.context.run(...)`` block sets another one in its context.
tracked_run: Any = None


def active_run() -> Any:
    """The run records belong to now: the context's run, else the tracked one."""
    run = current_run.get()
    return tracked_run if run is None else run
