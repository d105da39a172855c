"""Names that lamindb code uses: ln.save, ln.view, settings.storage, describe(), version=,
branch_id=None, query_ulabels/query_projects and Storage type inference.

Each test states what lamindb 2.12 does (checked in a throw-away lamindb instance).
"""

from __future__ import annotations

import pytest
from upath import UPath

import lamin_pipes as ln
from lamin_pipes.errors import IntegrityError, InvalidArgument


def test_save_inserts_many_records_and_sets_their_ids(instance):
    """lamindb: ``ln.save([u1, u2])`` returns None; the records get their ids."""
    labels = [ln.ULabel(name=f"label {i}") for i in range(3)]
    assert ln.save(labels) is None
    assert all(label.id is not None for label in labels)
    assert ln.ULabel.filter(name__startswith="label ").count() == 3


def test_save_updates_saved_records_and_saves_new_ones_together(instance):
    """lamindb: saved records in the list are updated (bulk_update), new ones created."""
    old = ln.Project(name="old").save()
    old.description = "changed"
    new = ln.Project(name="new")
    ln.save([old, new])
    assert ln.Project.get(name="old").description == "changed"
    assert new.id is not None


def test_save_refuses_a_single_record(instance):
    """lamindb: ValueError 'Please use record.save() if saving a single record.'"""
    label = ln.ULabel(name="single")
    with pytest.raises(InvalidArgument, match=r"\.save\(\)"):
        ln.save(label)
    with pytest.raises(ValueError):  # InvalidArgument is a ValueError, as in lamindb
        ln.save(label)


def test_save_ignore_conflicts_skips_rows_that_violate_unique_constraints(instance):
    """lamindb: ignore_conflicts=True does not raise; ids of new records are not set."""
    first = ln.ULabel(name="first").save()
    clash = ln.ULabel(name="clash", uid=first.uid)
    with pytest.raises(IntegrityError):
        ln.save([ln.ULabel(name="clash", uid=first.uid)])
    ln.save([clash, ln.ULabel(name="other")], ignore_conflicts=True)
    assert ln.ULabel.filter(name="clash").count() == 0
    assert ln.ULabel.filter(name="other").count() == 1


def test_view_prints_latest_records_of_registries_with_records(instance, capsys):
    """lamindb: ``ln.view()`` prints each SQLRecord registry holding rows (sorted by
    name, newest first, ``limit`` rows), skips User/Branch/Space, and returns None."""
    for i in range(3):
        ln.ULabel(name=f"viewed {i}").save()
    ln.Project(name="viewed project").save()
    assert ln.view(limit=2) is None
    out = capsys.readouterr().out
    assert "ULabel" in out and "Project" in out
    assert out.index("Project") < out.index("ULabel")
    assert "viewed 2" in out and "viewed 1" in out and "viewed 0" not in out
    assert "\nUser\n" not in out and "Record\n" not in out  # no rows, or not a SQLRecord
    ln.view(registries=["Project"])
    out = capsys.readouterr().out
    assert "Project" in out and "ULabel" not in out


def test_settings_storage_is_an_object_with_root_and_record(instance):
    """lamindb: ``ln.settings.storage`` is a StorageSettings with ``.root`` (a UPath),
    ``.root_as_str`` and ``.record`` (the Storage record); ``.type`` is 'local'."""
    storage = ln.settings.storage
    assert isinstance(storage.root, UPath)
    assert str(storage.root) == storage.root_as_str == instance.storage
    assert storage.type == "local" and not storage.type_is_cloud
    record = storage.record
    assert isinstance(record, ln.Storage)
    assert record.root == storage.root_as_str
    assert record == ln.Storage.default()
    assert "StorageSettings(" in repr(storage)


def test_describe_on_registry_classes_lists_fields(instance, capsys):
    """lamindb: ``ln.ULabel.describe()`` prints the registry name, 'Simple fields' with
    Django field classes, then 'Relational fields' with related registries."""
    text = ln.ULabel.describe(return_str=True)
    assert text.startswith("ULabel\n  Simple fields\n    .uid: CharField\n")
    assert "    .is_type: BooleanField" in text
    assert "  Relational fields" in text and "    .type: ULabel" in text
    assert "._aux" not in text and ".id:" not in text
    assert ln.User.describe() is None
    assert capsys.readouterr().out.startswith("User\n  Simple fields\n    .uid: CharField")
    # registries with their own record description keep it, and describe as a class too
    assert ln.Artifact.describe(return_str=True).startswith("Artifact\n  Simple fields")


def test_describe_on_any_record(instance, capsys):
    """lamindb: ``record.describe()`` prints '<Registry>: <name>' for every record,
    User included; our tree adds the field values below it."""
    label = ln.ULabel(name="described", description="a label").save()
    text = label.describe(return_str=True)
    assert text.splitlines()[0] == "ULabel: described"
    assert "description: a label" in text
    assert f"uid:         {label.uid}" in text
    user = ln.settings.user
    assert user.describe() is None
    assert capsys.readouterr().out.startswith(f"User: {user.handle}")


def test_version_is_a_lookup_for_version_tag(instance):
    """lamindb maps ``version`` to ``version_tag`` in filter/get of versioned registries."""
    transform = ln.Transform(key="pipeline.py", version="1.0").save()
    assert ln.Transform.get(version="1.0") == transform
    assert ln.Transform.filter(version__startswith="1.").count() == 1
    assert ln.Transform.filter(version="2.0").count() == 0


def test_branch_id_none_means_all_branches(instance):
    """lamindb: ``filter(branch_id=None)`` drops the default main-branch filter."""
    kept = ln.ULabel(name="kept").save()
    trashed = ln.ULabel(name="trashed").save()
    trashed.delete()
    assert ln.ULabel.filter().to_list("name") == ["kept"]
    assert sorted(ln.ULabel.filter(branch_id=None).to_list("name")) == ["kept", "trashed"]
    assert ln.ULabel.filter(branch=None, name="trashed").count() == 1
    assert kept.id is not None


def test_query_ulabels_and_query_projects_walk_below_a_type(instance):
    """lamindb: ``T.query_ulabels()`` returns sub-types and records below them, to any
    depth; ``depth=1`` gives only the direct ones. Each registry has its own name."""
    top = ln.ULabel(name="Top", is_type=True).save()
    sub = ln.ULabel(name="Sub", is_type=True, type=top).save()
    ln.ULabel(name="leaf", type=sub).save()
    assert sorted(top.query_ulabels().to_list("name")) == ["Sub", "leaf"]
    assert top.query_ulabels(depth=1).to_list("name") == ["Sub"]
    programs = ln.Project(name="Programs", is_type=True).save()
    ln.Project(name="Program A", type=programs).save()
    assert programs.query_projects().to_list("name") == ["Program A"]
    assert not hasattr(top, "query_projects")
    assert not hasattr(ln.Record, "query_ulabels")


def test_storage_infers_its_type_from_the_root(instance, tmp_path):
    """lamindb: ``ln.Storage(root="s3://bucket/prefix")`` gets type 's3' (the fsspec
    protocol), a path gets 'local'; the root may be positional; an existing root
    returns the saved record."""
    s3 = ln.Storage(root="s3://bucket/prefix/").save()
    assert (s3.type, s3.root) == ("s3", "s3://bucket/prefix")
    assert ln.Storage("gs://bucket").type == "gs"
    local = ln.Storage(tmp_path / "other")
    assert (local.type, local.root) == ("local", str((tmp_path / "other").resolve()))
    assert ln.Storage("s3://bucket/prefix") == s3
    with pytest.raises(InvalidArgument):
        ln.Storage("a", "b")
