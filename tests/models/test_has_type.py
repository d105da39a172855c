"""HasType: types, sub-types, walks up and down, deleting and restoring types."""

from __future__ import annotations

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import (
    FieldValidationError,
    InvalidArgument,
    RecordLockedError,
)
from lamin_pipes.models.has_type import delete_type_tree

MODELS = [ln.Record, ln.ULabel, ln.Project]
MODEL_IDS = [m.__name__ for m in MODELS]


def _hierarchy(model):
    """Type1 > Type2 > Type3 > record; Type1 > direct; Type2 > sibling."""
    type1 = model(name="Type1", is_type=True).save()
    type2 = model(name="Type2", is_type=True, type=type1).save()
    type3 = model(name="Type3", is_type=True, type=type2).save()
    record = model(name=f"{model.__name__}3", type=type3).save()
    direct = model(name="direct", type=type1).save()
    sibling = model(name="sibling", type=type2).save()
    return type1, type2, type3, record, direct, sibling


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_query_types_from_nearest_to_farthest(instance, model):
    type1, type2, type3, record, _, _ = _hierarchy(model)
    super_types = record.query_types()
    assert super_types[0] == type3
    assert super_types[1] == type2
    assert super_types[2] == type1
    assert len(super_types) == 3
    assert isinstance(super_types, ln.models.SQLRecordList)
    assert [t.name for t in type2.query_types()] == ["Type1"]
    assert len(type1.query_types()) == 0


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_query_types_stops_at_a_trashed_type(instance, model):
    _, type2, type3, record, _, _ = _hierarchy(model)
    type2.delete()
    # type2 and everything below it went to the trash; restore the record and type3
    type3.restore()
    record.restore()
    assert [t.name for t in record.query_types()] == ["Type3"]


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_query_records_walks_all_depths(instance, model):
    type1, type2, type3, record, _, _ = _hierarchy(model)
    model(name="unrelated").save()
    below_type1 = set(type1.query_records().to_list("name"))
    assert below_type1 == {"Type2", "Type3", record.name, "direct", "sibling"}
    assert set(type2.query_records().to_list("name")) == {"Type3", record.name, "sibling"}
    assert type3.query_records().to_list("name") == [record.name]
    assert record.query_records().count() == 0
    assert isinstance(type1.query_records(), ln.models.QuerySet)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_query_records_depth(instance, model):
    type1, *_ = _hierarchy(model)
    assert set(type1.query_records(depth=1).to_list("name")) == {"Type2", "direct"}
    assert set(type1.query_records(depth=2).to_list("name")) == {
        "Type2",
        "direct",
        "Type3",
        "sibling",
    }
    assert type1.query_records(depth=0).count() == 0
    assert type1.query_records(depth=None).count() == 5
    with pytest.raises(InvalidArgument, match="depth"):
        type1.query_records(depth=-1)


def test_query_records_is_a_query_set_that_chains(instance):
    type1, type2, _, record, _, _ = _hierarchy(ln.Record)
    qs = type1.query_records()
    assert qs.filter(is_type=True).order_by("name").to_list("name") == ["Type2", "Type3"]
    assert qs.exclude(is_type=True).count() == 3
    # two walks meet in one statement
    union = type2.query_records().union(type1.query_records(depth=1))
    assert set(union.to_list("name")) == {"Type3", record.name, "sibling", "Type2", "direct"}
    df = qs.to_dataframe()
    assert sorted(df["name"]) == sorted(["Type2", "Type3", record.name, "direct", "sibling"])


def test_query_records_needs_a_saved_record(instance):
    with pytest.raises(InvalidArgument, match="Save"):
        ln.Record(name="unsaved", is_type=True).query_records()


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_type_must_have_is_type(instance, model):
    not_a_type = model(name="plain").save()
    with pytest.raises(FieldValidationError, match="is_type=False") as info:
        model(name="x", type=not_a_type)
    assert "plain" in str(info.value)
    record = model(name="y").save()
    with pytest.raises(FieldValidationError, match="is_type=False"):
        record.type = not_a_type
    assert record.type_id is None


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_type_given_by_id_is_checked_on_save(instance, model):
    not_a_type = model(name="plain").save()
    record = model(name="by id", type_id=not_a_type.id)
    with pytest.raises(FieldValidationError, match="is_type=False"):
        record.save()
    assert record.id is None
    assert model.filter(name="by id").count() == 0
    with pytest.raises(FieldValidationError, match=r"no .* with id"):
        model(name="dangling", type_id=10_000_000).save()
    a_type = model(name="a type", is_type=True).save()
    saved = model(name="ok", type_id=a_type.id).save()
    assert model.get(saved.id).type == a_type


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_cycles_of_types_are_refused(instance, model):
    type1, type2, type3, *_ = _hierarchy(model)
    with pytest.raises(InvalidArgument, match="loop of types"):
        type1.type = type3
    with pytest.raises(InvalidArgument, match="loop of types"):
        type1.type = type1
    assert type1.type_id is None
    # by id, the check runs on save and nothing is written
    type1.type_id = type2.id
    with pytest.raises(InvalidArgument, match="loop of types"):
        type1.save()
    assert model.get(type1.id).type_id is None
    # moving a type sideways is fine
    other = model(name="Other", is_type=True).save()
    type3.type = other
    type3.save()
    assert [t.name for t in type3.query_types()] == ["Other"]


def test_unsaved_records_can_take_types(instance):
    a_type = ln.ULabel(name="unsaved type", is_type=True)
    label = ln.ULabel(name="child", type=a_type)
    with pytest.raises(InvalidArgument, match="Save the ULabel"):
        label.save()
    a_type.save()
    label.save()
    assert label.type_id == a_type.id
    assert a_type.ulabels.to_list("name") == ["child"]


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_deleting_a_type_trashes_descendants_and_restore_does_not(instance, model):
    type1, type2, _, record, _, _ = _hierarchy(model)
    outside = model(name="outside").save()
    type2.delete()
    assert type2.branch_id == -1
    trashed = set(model.filter(branch_id=-1).to_list("name"))
    assert trashed == {"Type2", "Type3", record.name, "sibling"}
    assert set(model.filter().to_list("name")) == {"Type1", "direct", "outside"}
    assert set(type1.query_records().to_list("name")) == {"direct"}
    type2.restore()
    assert type2.branch_id == 1
    assert model.get(type2.id).branch_id == 1
    assert set(model.filter(branch_id=-1).to_list("name")) == {"Type3", record.name, "sibling"}
    assert outside.branch_id == 1


def test_deleting_a_non_type_leaves_others_alone(instance):
    *_, record, _, _ = _hierarchy(ln.ULabel)
    record.delete()
    assert set(ln.ULabel.filter(branch_id=-1).to_list("name")) == {record.name}


def test_deleting_a_type_refuses_locked_descendants(instance):
    type1, _, _, record, _, _ = _hierarchy(ln.Record)
    record.is_locked = True
    record.save()
    with pytest.raises(RecordLockedError):
        type1.delete()
    assert ln.Record.filter(branch_id=-1).count() == 0


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_delete_type_tree_removes_all_levels(instance, model):
    type1, *_, sibling = _hierarchy(model)
    outside = model(name="outside").save()
    sibling.delete()  # trashed records below the type go, too
    assert delete_type_tree(type1) == 5
    assert set(model.objects.to_list("name")) == {"Type1", "outside"}
    assert delete_type_tree(type1) == 0
    assert outside.branch_id == 1


def test_delete_type_tree_is_all_or_nothing(instance):
    type1, _, _, record, direct, _ = _hierarchy(ln.Record)
    record.is_locked = True
    record.save()
    with pytest.raises(RecordLockedError, match="locked"):
        delete_type_tree(type1)
    assert ln.Record.objects.count() == 6
    record.is_locked = False
    record.save()
    project = ln.Project(name="p").save()
    project.records.add(direct)  # a link row cascades; the project stays
    assert delete_type_tree(type1) == 5
    assert project.records.count() == 0


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_permanently_deleting_a_trashed_type_deletes_descendants(instance, model):
    type1, *_ = _hierarchy(model)
    type1.delete()
    type1.delete()  # already in the trash: permanent
    assert model.objects.count() == 0
