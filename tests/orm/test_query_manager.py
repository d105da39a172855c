"""Many-to-many and reverse-relation managers."""

from __future__ import annotations

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import FieldValidationError, InvalidArgument
from lamin_pipes.models import QueryManager


def test_many_to_many_add_remove_set_clear(instance):
    project = ln.Project(name="P").save()
    records = [ln.Record(name=f"r{i}").save() for i in range(4)]
    manager = project.records
    assert isinstance(manager, QueryManager)
    manager.add(records[0], records[1])
    manager.add(records[1])  # already linked: skipped
    assert sorted(manager.to_list("name")) == ["r0", "r1"]
    assert manager.count() == 2
    manager.remove(records[0])
    assert manager.to_list("name") == ["r1"]
    manager.set([records[2], records[3]])
    assert sorted(manager.to_list("name")) == ["r2", "r3"]
    manager.set(ln.Record.filter(name="r0"))
    assert manager.to_list("name") == ["r0"]
    manager.clear()
    assert manager.count() == 0 and not manager.exists()
    assert records[0].projects.count() == 0


def test_reverse_many_to_many(instance):
    project = ln.Project(name="P").save()
    record = ln.Record(name="r").save()
    record.projects.add(project)
    assert project.records.to_list() == [record]
    assert record.projects.filter(name="P").one() == project


def test_manager_queries(instance):
    label = ln.ULabel(name="child").save()
    parents = [ln.ULabel(name=f"parent {i}").save() for i in range(3)]
    label.parents.add(*parents)
    assert label.parents.filter(name__endswith="1").one() == parents[1]
    assert label.parents.all().count() == 3
    assert label.parents.first() == parents[0]
    assert label.parents.get(name="parent 2") == parents[2]
    assert list(label.parents) == parents
    assert len(label.parents) == 3
    df = label.parents.to_dataframe()
    assert sorted(df["name"]) == ["parent 0", "parent 1", "parent 2"]
    assert sorted(label.parents.lookup().dict()) == ["parent 0", "parent 1", "parent 2"]
    assert label.parents.search("parent 1").first() == parents[1]
    assert parents[0].children.to_list() == [label]


def test_trashed_related_records_are_hidden(instance):
    label = ln.ULabel(name="child").save()
    parent = ln.ULabel(name="parent").save()
    label.parents.add(parent)
    parent.delete()
    assert label.parents.count() == 0
    parent.restore()
    assert label.parents.count() == 1


def test_reverse_foreign_key_manager(instance):
    samples = ln.Record(name="Samples", is_type=True).save()
    s1 = ln.Record(name="s1", type=samples).save()
    s2 = ln.Record(name="s2").save()
    assert samples.records.to_list() == [s1]
    samples.records.add(s2)
    assert ln.Record.get(s2.id).type_id == samples.id
    assert s2.type_id == samples.id
    samples.records.remove(s1)
    assert ln.Record.get(s1.id).type_id is None
    created = samples.records.create(name="s3")
    assert created.type == samples
    samples.records.clear()
    assert samples.records.count() == 0


def test_manager_errors(instance):
    unsaved = ln.Project(name="unsaved")
    with pytest.raises(InvalidArgument, match="Save the Project"):
        unsaved.records.add(ln.Record(name="x").save())
    project = ln.Project(name="P").save()
    with pytest.raises(FieldValidationError, match="takes Record records"):
        project.records.add(ln.ULabel(name="wrong").save())
    with pytest.raises(InvalidArgument, match="Save"):
        project.records.add(ln.Record(name="not saved"))
    with pytest.raises(FieldValidationError, match="Direct assignment"):
        project.records = []


def test_prefetched_manager_uses_cache(instance):
    label = ln.ULabel(name="c").save()
    label.parents.add(ln.ULabel(name="p").save())
    loaded = ln.ULabel.filter(name="c").prefetch_related("parents").one()
    assert loaded.parents.to_list("name") == ["p"]
    assert loaded.parents.count() == 1
