"""Database errors a query's own values cause, told as such.

Most driver errors are handled where they occur (unique violations by the save code,
for instance). Two come from the values of a query and can arise in any read:

- PostgreSQL refuses a regular expression that Python's ``re`` accepted
  (``(?P<name>...)``, say); SQLSTATE ``2201B``.
- On SQLite, ``__regex`` runs in Python, one value at a time. A pattern with
  catastrophic backtracking (``^(a|aa)+$`` on a long run of ``a``) would hold the process
  forever, so each value gets :data:`REGEX_TIMEOUT_S` seconds (the ``regex`` package's
  timeout, whose syntax is a superset of ``re``'s); a pattern that needs longer on one
  value fails the query with a clear error. PostgreSQL's engine does not backtrack
  this way and answers such patterns at once: the two backends can differ here, by an
  error on SQLite, never by different rows.
"""

from __future__ import annotations

import threading
from typing import Any

from ..errors import InvalidArgument, LaminPipesError

#: Seconds a SQLite ``__regex`` may spend on one value.
REGEX_TIMEOUT_S = 5.0

_INVALID_REGULAR_EXPRESSION = "2201B"
_state = threading.local()
_regex: Any = None


def sqlite_regexp(pattern: str, value: Any) -> bool | None:
    """SQLite's ``REGEXP`` (``value REGEXP pattern``): ``re.search`` with a time limit."""
    global _regex
    if value is None:
        return None
    if _regex is None:
        import regex

        _regex = regex
    try:
        return _regex.search(pattern, value, timeout=REGEX_TIMEOUT_S) is not None
    except TimeoutError:
        _state.timed_out = pattern  # the driver only says "user-defined function raised"
        raise


def query_error(error: Any) -> LaminPipesError | None:
    """The lamin_pipes error for a driver error a query's values caused, else ``None``.

    Args:
        error: A ``sqlalchemy.exc.DBAPIError``.
    """
    original = getattr(error, "orig", None)
    if getattr(original, "sqlstate", None) == _INVALID_REGULAR_EXPRESSION:
        reason = str(original).splitlines()[0]
        return InvalidArgument(f"PostgreSQL cannot use this regular expression: {reason}")
    pattern = getattr(_state, "timed_out", None)
    if pattern is not None and "user-defined function raised exception" in str(original):
        _state.timed_out = None
        msg = (
            f"The regular expression {pattern!r} took longer than {REGEX_TIMEOUT_S:g} s on "
            "one value (catastrophic backtracking, as in '(a|aa)+$'); simplify the pattern."
        )
        return InvalidArgument(msg)
    return None


__all__ = ["REGEX_TIMEOUT_S", "query_error", "sqlite_regexp"]
