"""The current run, as a context variable (thread- and asyncio-safe)."""

from __future__ import annotations

import contextvars
from typing import Any

#: The run that records created now belong to (``None`` outside any run).
current_run: contextvars.ContextVar[Any] = contextvars.ContextVar("lamin_pipes_run", default=None)
