"""Random base62 uids: one generator for single uids and batches."""

from __future__ import annotations

from collections import Counter

import pytest

from lamin_pipes.core import _uid
from lamin_pipes.core._uid import BASE62_CHARS, UID_LENGTHS, base62, base62_batch


def test_base62_batch_draws_distinct_uids_of_the_requested_length():
    uids = base62_batch(10_000, 12)
    assert len(uids) == 10_000
    assert {len(uid) for uid in uids} == {12}
    assert set("".join(uids)) <= set(BASE62_CHARS)
    assert len(set(uids)) == 10_000
    assert base62_batch(0, 8) == []
    assert base62_batch(3, 0) == ["", "", ""]


def test_base62_batch_is_unbiased():
    counts = Counter("".join(base62_batch(2_000, 62)))
    assert set(counts) == set(BASE62_CHARS)
    assert all(1_500 < n < 2_500 for n in counts.values())  # 2,000 expected, sd ~45


def test_base62_and_base62_batch_map_bytes_alike(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_uid.os, "urandom", lambda n: bytes(b % 256 for b in range(n)))
    expected = "".join(BASE62_CHARS[b % 62] for b in range(248))  # bytes >= 248 dropped
    assert base62(248) == expected
    assert base62_batch(2, 124) == [expected[:124], expected[124:]]


@pytest.mark.parametrize(("factory", "n_char"), list(UID_LENGTHS.items()))
def test_uid_lengths_name_the_length_each_factory_draws(factory, n_char):
    assert len(factory()) == n_char
