"""Constructing a record by the name of a saved one returns that record, as in lamindb.

lamindb 2.12 (``SQLRecord.__init__``): for curatable registries an exact match of the
name field, outside the trash, is returned ("returning ulabel with same name: 'x'");
arguments that differ from the stored values are set on it (with a warning) and written
by ``save()``; ``type`` scopes the match when given (``None``: records without type).
"""

from __future__ import annotations

import logging

import pytest

import lamin_pipes as ln


@pytest.mark.parametrize("model", [ln.ULabel, ln.Record, ln.Project])
def test_the_saved_record_comes_back(instance, model, caplog):
    saved = model(name="T cell").save()
    caplog.set_level(logging.INFO, logger="lamin_pipes")
    again = model(name="T cell")
    assert again == saved and again.id == saved.id and again.uid == saved.uid
    assert f"returning {model.__name__.lower()} with same name: 'T cell'" in caplog.text
    again.save()
    assert model.filter(name="T cell").count() == 1


def test_arguments_that_differ_are_written_on_save(instance, caplog):
    saved = ln.ULabel(name="B cell", description="old").save()
    caplog.set_level(logging.WARNING, logger="lamin_pipes")
    again = ln.ULabel(name="B cell", description="new", reference=None)
    assert again.id == saved.id and again.description == "new"
    assert "updated description of ULabel from 'old' to 'new'" in caplog.text
    assert ln.ULabel.get(name="B cell").description == "old"  # not before save()
    again.save()
    assert ln.ULabel.get(name="B cell").description == "new"


def test_the_type_scopes_the_match(instance):
    cell_type = ln.Record(name="CellType", is_type=True).save()
    tissue = ln.Record(name="Tissue", is_type=True).save()
    typed = ln.Record(name="liver", type=cell_type).save()
    assert ln.Record(name="liver", type=cell_type) == typed
    other = ln.Record(name="liver", type=tissue)
    assert other.id is None  # another type: a new record
    assert ln.Record(name="liver", type=None).id is None  # root level only
    assert ln.Record(name="liver") == typed  # no type given: any type, as lamindb
    unsaved_type = ln.Record(name="Organ", is_type=True)
    assert ln.Record(name="liver", type=unsaved_type).id is None


def test_the_trash_the_settings_and_a_given_uid_create_new_records(instance):
    trashed = ln.ULabel(name="gone").save()
    trashed.delete()
    assert ln.ULabel(name="gone").id is None
    kept = ln.ULabel(name="kept").save()
    assert ln.ULabel(name="kept", _search_names=False).id is None
    ln.settings.creation.search_names = False
    try:
        assert ln.ULabel(name="kept").id is None
    finally:
        ln.settings.creation.search_names = True
    assert ln.ULabel(name="kept", uid="abcdefgh").id is None
    assert ln.ULabel(name="kept") == kept


def test_from_values_is_unaffected(instance):
    ln.ULabel(name="a").save()
    records = ln.ULabel.from_values(["a", "b"], create=True, mute=True)
    assert [r.id is None for r in records] == [False, True]
    records.save()
    assert ln.ULabel.filter().count() == 2


def test_users_by_handle(instance):
    assert ln.User(handle=ln.settings.user.handle) == ln.settings.user
