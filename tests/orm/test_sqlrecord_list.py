"""SQLRecordList: list behaviour, to_dataframe, to_list, one, bulk save."""

from __future__ import annotations

import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.errors import DoesNotExist, IntegrityError, MultipleResultsFound
from lamin_pipes.models import SQLRecordList


def test_is_a_list(instance):
    a, b, c = (ln.ULabel(name=n) for n in "abc")
    records = SQLRecordList([a, b])
    records.append(c)
    assert records.to_list("name") == ["a", "b", "c"]
    records.insert(0, c)
    assert records.to_list("name") == ["c", "a", "b", "c"]
    assert records.count(c) == 2 and records.index(a) == 1
    assert records.pop() is c
    records.remove(c)
    assert records.to_list("name") == ["a", "b"]
    records.reverse()
    assert records.to_list("name") == ["b", "a"]
    copy = records.copy()
    assert isinstance(copy, SQLRecordList) and copy is not records and copy == records
    assert isinstance(records[:1], SQLRecordList) and records[:1].to_list("name") == ["b"]
    assert records[0] is b and len(records) == 2 and a in records
    records.clear()
    assert len(records) == 0 and not records


def test_wraps_a_list_without_copying(instance):
    data = [ln.ULabel(name="x")]
    records = SQLRecordList(data)
    records.append(ln.ULabel(name="y"))
    assert len(data) == 2
    from_tuple = SQLRecordList(tuple(data))
    from_tuple.append(ln.ULabel(name="z"))
    assert len(data) == 2


def test_to_dataframe(instance):
    saved = ln.Record(name="saved", description="d").save()
    unsaved = ln.Record(name="unsaved")
    df = SQLRecordList([saved, unsaved]).to_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert df["name"].tolist() == ["saved", "unsaved"]
    assert df["description"].tolist()[0] == "d"
    assert df["id"].tolist()[0] == saved.id and pd.isna(df["id"].tolist()[1])
    assert {"uid", "type_id", "created_by_id", "branch_id", "is_type"} <= set(df.columns)
    assert SQLRecordList([]).to_dataframe().empty
    assert SQLRecordList([saved]).df().equals(SQLRecordList([saved]).to_dataframe())


def test_to_dataframe_of_mixed_registries(instance):
    df = SQLRecordList(
        [ln.ULabel(name="label"), ln.Project(name="project", url="u")]
    ).to_dataframe()
    assert df["name"].tolist() == ["label", "project"]
    assert pd.isna(df["url"].tolist()[0]) and df["url"].tolist()[1] == "u"


def test_to_list(instance):
    a_type = ln.ULabel(name="T", is_type=True).save()
    records = SQLRecordList([ln.ULabel(name="a", type=a_type), ln.ULabel(name="b")])
    assert records.to_list("name") == ["a", "b"]
    assert records.to_list(ln.ULabel.name) == ["a", "b"]
    assert records.to_list("type") == [a_type, None]
    assert records.to_list() == list(records) and isinstance(records.to_list(), list)
    with pytest.raises(AttributeError):
        records.to_list("nme")


def test_one(instance):
    label = ln.ULabel(name="one")
    assert SQLRecordList([label]).one() is label
    with pytest.raises(DoesNotExist, match="empty"):
        SQLRecordList([]).one()
    with pytest.raises(MultipleResultsFound, match="2 records"):
        SQLRecordList([label, ln.ULabel(name="two")]).one()


@pytest.mark.parametrize("n", [1, 3, 1200])
def test_save_new_records_in_bulk(instance, n):
    records = SQLRecordList([ln.ULabel(name=f"bulk-{i}") for i in range(n)])
    assert records.save() is records
    ids = records.to_list("id")
    assert all(i is not None for i in ids) and len(set(ids)) == n
    assert ln.ULabel.filter(name__startswith="bulk-").count() == n
    first = ln.ULabel.get(ids[0])
    assert first.name == "bulk-0" and first.created_by == ln.settings.user


def test_save_mixed_new_and_existing(instance):
    existing = ln.Record(name="existing").save()
    existing.description = "edited"
    new = ln.Record(name="new")
    SQLRecordList([existing, new]).save()
    assert new.id is not None
    assert ln.Record.get(existing.id).description == "edited"
    assert ln.Record.get(new.id).name == "new"
    assert ln.Record.filter().count() == 2
    # saving again changes nothing and duplicates nothing
    SQLRecordList([existing, new]).save()
    assert ln.Record.filter().count() == 2


def test_save_is_all_or_nothing(instance):
    first = ln.ULabel(name="first", uid="dupdupd1")
    second = ln.ULabel(name="second", uid="dupdupd1")
    with pytest.raises(IntegrityError):
        SQLRecordList([first, second]).save()
    assert ln.ULabel.filter().count() == 0
    assert first.id is None and second.id is None
    # after fixing the conflict, the same records save
    second.uid = "dupdupd2"
    SQLRecordList([first, second]).save()
    assert ln.ULabel.filter().count() == 2


def test_failed_update_undoes_the_inserts(instance):
    existing = ln.ULabel(name="existing").save()
    other = ln.ULabel(name="other").save()
    existing.uid = other.uid
    new = ln.ULabel(name="new")
    with pytest.raises(IntegrityError):
        SQLRecordList([new, existing]).save()
    assert ln.ULabel.filter(name="new").count() == 0
    assert ln.ULabel.get(existing.id).uid != other.uid


def test_save_to_query_types_round_trip(instance):
    top = ln.Record(name="top", is_type=True).save()
    middle = ln.Record(name="middle", is_type=True, type=top).save()
    leaf = ln.Record(name="leaf", type=middle).save()
    types = leaf.query_types()
    assert types.to_list("name") == ["middle", "top"]
    assert types.to_dataframe()["name"].tolist() == ["middle", "top"]


def test_records_of_a_failed_save_stay_unsaved(instance):
    existing = ln.ULabel(name="existing").save()
    other = ln.ULabel(name="other").save()
    existing.uid = other.uid
    new = ln.ULabel(name="new")
    with pytest.raises(IntegrityError):
        SQLRecordList([new, existing]).save()
    assert new.id is None
    new.save()
    assert ln.ULabel.get(name="new") == new
