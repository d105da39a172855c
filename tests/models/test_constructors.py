"""Constructors validate their arguments, as lamindb 2.12 does, before any database write.

Checked against lamindb 2.12 (``BaseSQLRecord.__init__``, ``validate_fields``,
``check_key``, ``Run.__init__``, ``Transform.__init__``, ``process_revises``):

- ``Run(transform, name=..., params=...)``: the transform may be positional, nothing
  else; it is required and must be saved.
- ``Transform(kind="invalid")``: FieldValidationError listing function, notebook,
  pipeline, script.
- ``ULabel()``, ``ULabel(name=None)``, ``Project()``: FieldValidationError
  "['name'] are required."; ``Record()`` is fine (its name may be empty).
- ``version=0`` (any non-str): ValueError "`version` parameter must be `None` or `str`";
  ``version=""`` is accepted.
- ``key`` with a ``.`` or ``..`` segment or a backslash: ValueError; ``a/..x/b`` and
  ``/abs/b`` are accepted.
- ``record.pk`` is ``record.id`` (``None`` unsaved); ``filter(pk=...)`` works.
- ``delete()`` of an unsaved SQLRecord does nothing but warn; of an unsaved Branch or
  Space (no trash) it raises ValueError; Storage and Branch refuse ``permanent=False``.
"""

from __future__ import annotations

import logging

import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.errors import FieldValidationError, IntegrityError, InvalidArgument

# --- Run -------------------------------------------------------------------------------


def test_run_takes_its_transform_positionally(instance):
    # lamindb: Run(transform, name=None, description=None, params=None, ...)
    transform = ln.Transform(key="positional.py", kind="script").save()
    run = ln.Run(transform, name="first", params={"lr": 0.1}).save()
    fetched = ln.Run.get(run.id)
    assert fetched.transform == transform
    assert (fetched.name, fetched.params) == ("first", {"lr": 0.1})


def test_run_refuses_more_positional_arguments(instance):
    # lamindb: ValueError "Only one non-keyword arg allowed: transform"
    transform = ln.Transform(key="two-args.py", kind="script").save()
    with pytest.raises(FieldValidationError, match="one positional argument, the transform"):
        ln.Run(transform, "a name")
    with pytest.raises(FieldValidationError, match="one positional argument"):
        ln.Run(transform, transform=transform)


def test_run_needs_a_saved_transform(instance):
    # lamindb: TypeError "Pass transform parameter" (we raise FieldValidationError, a
    # ValueError) and ValueError "Please save transform record before creating a run"
    with pytest.raises(FieldValidationError, match="needs a transform"):
        ln.Run(name="orphan")
    with pytest.raises(InvalidArgument, match="Save the transform"):
        ln.Run(ln.Transform(key="unsaved.py", kind="script"))
    with pytest.raises(FieldValidationError, match="needs a Transform, got str"):
        ln.Run("not-a-transform")
    assert ln.Run.filter().count() == 0


# --- Transform ---------------------------------------------------------------------------


def test_transform_kind_must_be_known(instance):
    # lamindb: FieldValidationError "kind: invalid is not a valid value
    #   → Valid values are: function, notebook, pipeline, script"
    with pytest.raises(FieldValidationError) as info:
        ln.Transform(key="x.py", kind="invalid")
    message = str(info.value)
    assert "'invalid'" in message
    assert "function, notebook, pipeline, script" in message
    # set after construction: refused on save, before the database
    transform = ln.Transform(key="x.py", kind="script")
    transform.kind = "asset"
    with pytest.raises(FieldValidationError, match="'asset' is not a valid value"):
        transform.save()
    assert ln.Transform.filter(key="x.py").count() == 0


def test_transform_kind_none_means_the_default(instance):
    # lamindb: kind=None falls back to "pipeline"
    assert ln.Transform(key="default-kind", kind=None).save().kind == "pipeline"


@pytest.mark.parametrize("version", [0, 1.5, ["1"]])
def test_version_must_be_a_string(instance, version):
    # lamindb: ValueError "`version` parameter must be `None` or `str`, e.g., '0.1', ..."
    with pytest.raises(
        InvalidArgument, match=rf"version must be None or a str.*got {type(version).__name__}"
    ):
        ln.Transform(key="versioned.py", version=version)
    with pytest.raises(InvalidArgument, match="version must be None or a str"):
        ln.Artifact(pd.DataFrame({"a": [1]}), key="versioned.parquet", version=version)
    assert ln.Transform.filter().count() == 0


def test_empty_version_is_accepted(instance):
    # lamindb: version="" passes and is stored as the tag
    transform = ln.Transform(key="empty-version.py", version="").save()
    assert ln.Transform.get(transform.id).version_tag == ""


@pytest.mark.parametrize("key", ["a/../b", "../b", "./b", "a/./b", "a/..", "a\\b"])
def test_keys_with_relative_segments_are_refused(instance, key):
    # lamindb: ValueError "Relative path segment '..' detected in key 'a/../b'."
    # (and "Backslashes are not allowed in key ...")
    with pytest.raises(InvalidArgument) as info:
        ln.Transform(key=key)
    assert repr(key) in str(info.value)
    with pytest.raises(InvalidArgument):
        ln.Artifact(pd.DataFrame({"a": [1]}), key=key)
    assert ln.Transform.filter().count() == 0


@pytest.mark.parametrize("key", ["a/..x/b", "/abs/b", "a.b/c..d", "..hidden"])
def test_keys_with_dots_inside_segments_are_fine(instance, key):
    # lamindb accepts these: only whole '.' or '..' segments are refused
    assert ln.Transform(key=key).save().key == key


# --- required fields ---------------------------------------------------------------------


@pytest.mark.parametrize("model", [ln.ULabel, ln.Project])
def test_name_is_required(instance, model):
    # lamindb: FieldValidationError "['name'] are required." for ULabel() and
    # ULabel(name=None), at construction
    with pytest.raises(FieldValidationError, match=r"\['name'\] are required"):
        model()
    with pytest.raises(FieldValidationError, match=r"\['name'\] are required"):
        model(name=None, description="no name")
    assert model.filter().count() == 0


def test_record_needs_no_name(instance):
    # lamindb: Record() is valid (Record.name is nullable)
    assert ln.Record().save().name is None


def test_unknown_field_is_reported_before_missing_ones(instance):
    # lamindb names the invalid keyword first
    with pytest.raises(FieldValidationError, match="'nam' is not a valid field for ULabel"):
        ln.ULabel(nam="typo")


def test_bulk_construction_still_validates(instance):
    # from_values bypasses the constructor for speed; the values it builds are valid
    labels = ln.ULabel.from_values(["a", "b"], create=True)
    assert [label.name for label in labels] == ["a", "b"]


# --- pk ----------------------------------------------------------------------------------


def test_pk_is_the_id(instance):
    # Django/lamindb: record.pk is record.id; None before the first save
    label = ln.ULabel(name="pk")
    assert label.pk is None
    label.save()
    assert label.pk == label.id is not None
    assert ln.ULabel.get(pk=label.pk) == label
    assert ln.ULabel.filter(pk__in=[label.pk]).one() == label
    assert ln.Branch.get(1).pk == 1


# --- delete ------------------------------------------------------------------------------


def test_deleting_an_unsaved_record_does_nothing(instance, caplog):
    # lamindb: warning "record is not yet saved, delete has no effect", returns None
    caplog.set_level(logging.WARNING, logger="lamin_pipes")
    label = ln.ULabel(name="never saved")
    assert label.delete() is None
    assert label.delete(permanent=True) is None
    ln.Transform(key="never-saved.py").delete()
    assert "not saved yet: delete() has no effect" in caplog.text
    assert label.id is None
    assert ln.ULabel.filter().count() == 0


def test_deleting_an_unsaved_branch_or_space_is_refused(instance):
    # lamindb (Django): ValueError "Branch object can't be deleted because its id
    # attribute is set to None."
    with pytest.raises(InvalidArgument, match="never saved"):
        ln.Branch(name="draft").delete()
    with pytest.raises(InvalidArgument, match="never saved"):
        ln.Space(name="draft").delete()


def test_branch_delete(instance):
    # lamindb: Branch has no trash, permanent=False raises ValueError ("Soft delete is
    # not possible for Branch"); a user branch is deleted. Its foreign keys keep main
    # from going; we refuse all three built-in branches outright.
    branch = ln.Branch(name="feature-x").save()
    with pytest.raises(InvalidArgument, match="Soft delete is not possible for Branch"):
        branch.delete(permanent=False)
    branch.delete()
    assert ln.Branch.filter(name="feature-x").count() == 0
    for branch_id, name in [(1, "main"), (0, "archive"), (-1, "trash")]:
        with pytest.raises(InvalidArgument, match=f"built-in branch '{name}'"):
            ln.Branch.get(branch_id).delete()
        assert ln.Branch.get(branch_id).name == name


def test_storage_delete(instance, tmp_path):
    # lamindb: Storage.delete() never trashes; permanent=False raises ValueError
    # ("Soft delete is not possible for Storage"); a location with artifacts or the
    # current one is refused (AssertionError there, ValueError here); an unused one
    # goes for good.
    ln.Artifact(pd.DataFrame({"a": [1]}), key="kept.parquet").save()
    current = ln.Storage.default()
    with pytest.raises(InvalidArgument, match="Soft delete is not possible for Storage"):
        current.delete(permanent=False)
    with pytest.raises(InvalidArgument, match=r"1 artifact\(s\) of this instance use it"):
        current.delete()
    other = ln.Storage(root=str(tmp_path / "other"), type="local").save()
    other.delete()
    assert ln.Storage.filter(root=other.root).count() == 0
    assert ln.Storage.filter(branch_id=-1).count() == 0  # not in the trash either
    assert ln.Storage.get(current.id) == current


def test_current_storage_cannot_be_deleted(instance):
    # lamindb: "Cannot delete the current storage location, switch to another."
    current = ln.Storage.default()
    with pytest.raises(InvalidArgument, match="current storage"):
        current.delete(permanent=True)


def test_branch_in_use_is_protected(instance):
    # a user branch that records live on: the database refuses (lamindb: ProtectedError)
    branch = ln.Branch(name="busy").save()
    ln.ULabel(name="on busy", branch=branch).save()
    with pytest.raises(IntegrityError):
        branch.delete()
