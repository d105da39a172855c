"""Arguments that were silently ignored or crashed in the driver are refused clearly."""

from __future__ import annotations

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import FieldError, InvalidArgument


@pytest.mark.parametrize("chunk_size", [-1, 0, "10", 2.5, True])
def test_iterator_takes_a_positive_chunk_size(instance, chunk_size) -> None:
    with pytest.raises(InvalidArgument, match="positive chunk_size"):
        list(ln.ULabel.filter().iterator(chunk_size=chunk_size))


@pytest.mark.parametrize("limit", ["x", -1, 2.5, True])
def test_to_dataframe_takes_a_count_as_limit(instance, limit) -> None:
    with pytest.raises(InvalidArgument, match="limit=None or a non-negative int"):
        ln.ULabel.filter().to_dataframe(limit=limit)


def test_order_by_takes_one_sign_at_most(instance) -> None:
    for bad in ("--name", "-+name", "+-name"):
        with pytest.raises(FieldError, match="one '-'"):
            ln.ULabel.filter().order_by(bad)
    ln.ULabel.from_values(["b", "a"], create=True).save()
    assert ln.ULabel.filter().order_by("-name").to_list("name") == ["b", "a"]
    assert ln.ULabel.filter().order_by("+name").to_list("name") == ["a", "b"]


def test_ignored_arguments_are_refused(instance) -> None:
    with pytest.raises(InvalidArgument, match="DISTINCT ON"):
        ln.ULabel.filter().distinct("name")
    with pytest.raises(InvalidArgument, match="field names only"):
        ln.ULabel.filter().values("name", n=ln.models.Count("id"))
    with pytest.raises(InvalidArgument, match="does not update on conflicts"):
        ln.ULabel.objects.bulk_create([ln.ULabel(name="x")], update_conflicts=True)
    assert ln.ULabel.filter().count() == 0


def test_an_over_long_suffix_is_refused_before_anything_is_written(instance, tmp_path) -> None:
    # It ended in a raw error of the database (the column holds 30 characters) or, for
    # longer ones, ENAMETOOLONG from the file system while staging.
    path = tmp_path / ("data." + "x" * 60)
    path.write_text("content")
    with pytest.raises(InvalidArgument, match="longer than 30 characters"):
        ln.Artifact(path, key="long/suffix")
    assert ln.Artifact.filter().count() == 0
