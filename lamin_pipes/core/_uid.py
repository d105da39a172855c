"""Random base62 identifiers, as lamindb uses for ``uid`` columns."""

from __future__ import annotations

import os
import string

BASE62_CHARS = string.digits + string.ascii_letters
_CHAR_OF_BYTE = [BASE62_CHARS[b % 62] for b in range(248)]


def base62(n_char: int) -> str:
    """Return a random base62 string of ``n_char`` characters.

    Examples:
        >>> len(base62(12))
        12
    """
    # Unbiased: only bytes below 248 (= 4 * 62) are used, each mapped to b % 62.
    chars: list[str] = []
    while len(chars) < n_char:
        chars.extend(_CHAR_OF_BYTE[b] for b in os.urandom(n_char + 4) if b < 248)
    return "".join(chars[:n_char])


def base62_8() -> str:
    return base62(8)


def base62_12() -> str:
    return base62(12)


def base62_16() -> str:
    return base62(16)


def base62_20() -> str:
    return base62(20)


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
