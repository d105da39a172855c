"""Random base62 identifiers, as lamindb uses for ``uid`` columns.

One generator draws every uid: :func:`base62_batch` maps random bytes to base62
characters with a single ``bytes.translate`` (so drawing ten thousand uids costs about
as much as drawing one), and :func:`base62` is a batch of one. :data:`UID_LENGTHS` tells
code that builds many records at once which column defaults are uid factories, so it can
draw their uids in one batch.
"""

from __future__ import annotations

import os
import string
from collections.abc import Callable

BASE62_CHARS = string.digits + string.ascii_letters

# Unbiased: only bytes below 248 (= 4 * 62) are used, each mapped to ``b % 62``; the
# others are deleted by ``bytes.translate``.
_ACCEPTED = 248
_BYTE_TO_CHAR = bytes(ord(BASE62_CHARS[b % 62]) for b in range(_ACCEPTED)) + bytes(256 - _ACCEPTED)
_REJECTED = bytes(range(_ACCEPTED, 256))


def _random_chars(n: int) -> str:
    """``n`` random base62 characters, uniformly distributed."""
    parts: list[bytes] = []
    have = 0
    while have < n:
        # 1/32 of the bytes are rejected; draw a little more so one round nearly always does.
        missing = n - have
        accepted = os.urandom(missing + missing // 30 + 16).translate(_BYTE_TO_CHAR, _REJECTED)
        parts.append(accepted)
        have += len(accepted)
    return b"".join(parts)[:n].decode("ascii")


def base62_batch(count: int, n_char: int) -> list[str]:
    """Return ``count`` random base62 strings of ``n_char`` characters each.

    Examples:
        >>> uids = base62_batch(3, 8)
        >>> len(uids), {len(uid) for uid in uids}
        (3, {8})
        >>> base62_batch(0, 8)
        []
    """
    if count <= 0:
        return []
    if n_char <= 0:
        return [""] * count
    text = _random_chars(count * n_char)
    return [text[i : i + n_char] for i in range(0, count * n_char, n_char)]


def base62(n_char: int) -> str:
    """Return a random base62 string of ``n_char`` characters.

    Examples:
        >>> len(base62(12))
        12
    """
    return _random_chars(n_char)


def base62_8() -> str:
    """Return a random 8-character base62 uid."""
    return base62(8)


def base62_12() -> str:
    """Return a random 12-character base62 uid."""
    return base62(12)


def base62_16() -> str:
    """Return a random 16-character base62 uid."""
    return base62(16)


def base62_20() -> str:
    """Return a random 20-character base62 uid."""
    return base62(20)


#: Default factory of a ``uid`` column → the length of the uids it draws.
UID_LENGTHS: dict[Callable[[], str], int] = {
    base62_8: 8,
    base62_12: 12,
    base62_16: 16,
    base62_20: 20,
}


def encode_base62(number: int, width: int = 4) -> str:
    """Encode a non-negative integer as base62, left-padded with zeros to ``width``.

    Examples:
        >>> encode_base62(0)
        '0000'
        >>> encode_base62(62)
        '0010'
    """
    if number < 0:
        raise ValueError(f"Cannot encode negative number {number} as base62.")
    digits = []
    while True:
        number, rest = divmod(number, 62)
        digits.append(BASE62_CHARS[rest])
        if number == 0:
            break
    return "".join(reversed(digits)).rjust(width, "0")


def decode_base62(text: str) -> int:
    """Decode a base62 string.

    Examples:
        >>> decode_base62("0010")
        62
    """
    value = 0
    for char in text:
        value = value * 62 + BASE62_CHARS.index(char)
    return value
