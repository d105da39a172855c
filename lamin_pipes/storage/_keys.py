"""Validation of storage keys: relative, ``/``-separated paths that stay inside a root.

Examples:
    >>> validate_key("datasets/iris.parquet")
    'datasets/iris.parquet'
    >>> validate_key("../etc/passwd")
    Traceback (most recent call last):
    ...
    lamin_pipes.errors.InvalidArgument: Invalid key '../etc/passwd': segment '..' is not allowed; a key is a relative path like 'folder/name.suffix'
"""

from __future__ import annotations

import re

from lamin_pipes.errors import InvalidArgument

__all__ = ["validate_key"]

_HINT = "a key is a relative path like 'folder/name.suffix'"
#: A Windows drive: "C:" alone or followed by a separator ("a:b.json" is a name).
_DRIVE = re.compile(r"^[A-Za-z]:(?:[/\\]|$)")


def _invalid(key: object, reason: str) -> InvalidArgument:
    return InvalidArgument(f"Invalid key {key!r}: {reason}; {_HINT}")


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a safe relative storage key, else raise.

    A key is a non-empty string of ``/``-separated segments. It must not be absolute
    (no leading ``/``, no drive such as ``C:/``; ``a:b.json`` is a name), contain empty segments (``a//b``, a trailing
    ``/``), ``.`` or ``..`` segments, backslashes or NUL characters.

    Raises:
        InvalidArgument: The key breaks one of these rules; the message says which.
    """
    if not isinstance(key, str):
        raise _invalid(key, f"expected a str, got {type(key).__name__}")
    if not key:
        raise _invalid(key, "it is empty")
    if key.startswith("/") or _DRIVE.match(key):
        raise _invalid(key, "absolute paths are not allowed")
    for char, name in (("\\", "backslash"), ("\0", "NUL character")):
        if char in key:
            raise _invalid(key, f"a {name} is not allowed")
    for segment in key.split("/"):
        if not segment:
            raise _invalid(key, "empty path segments ('a//b', a trailing '/') are not allowed")
        if segment in (".", ".."):
            raise _invalid(key, f"segment {segment!r} is not allowed")
    return key
