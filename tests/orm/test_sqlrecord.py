"""Records: construction, save, repr, locking, trash, refresh, foreign keys, atomic."""

from __future__ import annotations

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import (
    FieldValidationError,
    IntegrityError,
    InvalidArgument,
    RecordLockedError,
)


def test_unknown_field_names_valid_fields(instance):
    with pytest.raises(FieldValidationError) as info:
        ln.ULabel(nam="typo")
    message = str(info.value)
    assert "'nam' is not a valid field for ULabel" in message
    assert "name" in message and "description" in message


def test_positional_arguments_are_refused(instance):
    with pytest.raises(FieldValidationError, match="keyword arguments only"):
        ln.Record("positional")


def test_many_to_many_in_constructor_is_refused(instance):
    with pytest.raises(FieldValidationError, match=r"\.parents\.add"):
        ln.ULabel(name="x", parents=[])


def test_defaults_are_set_at_construction(instance):
    label = ln.ULabel(name="fresh")
    assert label.id is None
    assert len(label.uid) == 8
    assert label.is_type is False
    assert label.branch_id == 1 and label.space_id == 1
    assert label.created_at is not None


def test_save_persists_and_tracks_creator(instance):
    label = ln.ULabel(name="saved", description="a label").save()
    assert label.id is not None
    assert label.created_by == ln.settings.user
    loaded = ln.ULabel.get(label.id)
    assert loaded.name == "saved"
    assert loaded.description == "a label"
    assert loaded.created_at == label.created_at


def test_save_updates_only_this_record(instance):
    a = ln.ULabel(name="a").save()
    b = ln.ULabel(name="b").save()
    a.name = "a-edited-but-not-saved"
    b.name = "b2"
    b.save()
    assert ln.ULabel.get(a.id).name == "a"
    assert ln.ULabel.get(b.id).name == "b2"


def test_updated_at_moves_on_save(instance):
    label = ln.ULabel(name="t").save()
    first = label.updated_at
    label.description = "changed"
    label.save()
    assert label.updated_at >= first
    assert ln.ULabel.get(label.id).description == "changed"


def test_repr_shows_fields_like_lamindb(instance):
    label = ln.ULabel(name="repr-me").save()
    text = repr(label)
    assert text.startswith(f"ULabel(uid='{label.uid}', name='repr-me'")
    assert "created_by_id=" in text
    assert text.index("created_at=") < text.index("is_locked=")
    assert "description" not in text  # None values are omitted
    assert str(label) == text


def test_unique_violation_raises_integrity_error(instance):
    ln.User(handle="dup-handle").save()
    with pytest.raises(IntegrityError, match="User"):
        ln.User(handle="dup-handle", _search_names=False).save()
    assert ln.User.filter(handle="dup-handle").count() == 1


def test_foreign_key_descriptor(instance):
    parent_type = ln.ULabel(name="Donor", is_type=True).save()
    donor = ln.ULabel(name="donor 1", type=parent_type).save()
    assert donor.type_id == parent_type.id
    fresh = ln.ULabel.get(donor.id)
    assert fresh.type == parent_type
    fresh.type = None
    fresh.save()
    assert ln.ULabel.get(donor.id).type is None
    with pytest.raises(FieldValidationError, match="expected a ULabel"):
        fresh.type = "Donor"


def test_unsaved_foreign_key_target_is_refused(instance):
    label_type = ln.ULabel(name="Unsaved type", is_type=True)
    label = ln.ULabel(name="child", type=label_type)
    with pytest.raises(InvalidArgument, match="Save the ULabel"):
        label.save()
    label_type.save()
    label.save()
    assert ln.ULabel.get(label.id).type_id == label_type.id


def test_locked_record_refuses_edits_and_delete(instance):
    label = ln.ULabel(name="locked").save()
    label.is_locked = True
    label.save()
    label.name = "renamed"
    with pytest.raises(RecordLockedError, match="locked"):
        label.save()
    assert ln.ULabel.get(label.id).name == "locked"
    with pytest.raises(RecordLockedError):
        label.delete()
    with pytest.raises(RecordLockedError):
        ln.ULabel.filter(id=label.id).update(description="x")
    label.refresh_from_db()
    label.is_locked = False
    label.save()
    label.name = "renamed"
    label.save()
    assert ln.ULabel.get(label.id).name == "renamed"


def test_delete_moves_to_trash_then_permanently(instance):
    label = ln.ULabel(name="trash me").save()
    label.delete()
    assert label.branch_id == -1
    assert not ln.ULabel.filter(name="trash me").exists()
    assert ln.ULabel.filter(name="trash me", branch_id=-1).count() == 1
    assert ln.ULabel.get(label.id).branch_id == -1  # id lookups see the trash
    label.restore()
    assert ln.ULabel.filter(name="trash me").count() == 1
    label.delete()
    label.delete()  # already in trash: gone for good
    assert ln.ULabel.objects.filter(name="trash me").count() == 0


def test_delete_permanent(instance):
    label = ln.ULabel(name="gone").save()
    label.delete(permanent=True)
    assert ln.ULabel.objects.filter(id=label.id).count() == 0


def test_delete_protected_target_raises_and_keeps_rows(instance):
    label_type = ln.ULabel(name="T", is_type=True).save()
    child = ln.ULabel(name="c", type=label_type).save()
    with pytest.raises(IntegrityError, match="still reference"):
        ln.ULabel.filter(id=label_type.id).delete(permanent=True)
    assert ln.ULabel.get(child.id).type_id == label_type.id


def test_base_record_soft_delete_is_impossible(instance):
    user = ln.User(handle="temp-user").save()
    with pytest.raises(InvalidArgument, match="Soft delete is not possible"):
        user.delete(permanent=False)
    user.delete()
    assert not ln.User.filter(handle="temp-user").exists()


def test_refresh_from_db(instance):
    label = ln.ULabel(name="old").save()
    ln.ULabel.filter(id=label.id).update(name="new")
    assert label.name == "old"
    label.refresh_from_db()
    assert label.name == "new"
    ln.ULabel.filter(id=label.id).update(description="d")
    label.refresh_from_db(fields=["description"])
    assert label.description == "d"


def test_atomic_rolls_back_everything(instance):
    with pytest.raises(RuntimeError), ln.atomic():
        ln.ULabel(name="atomic-1").save()
        ln.ULabel(name="atomic-2").save()
        raise RuntimeError("boom")
    assert ln.ULabel.filter(name__startswith="atomic-").count() == 0
    with ln.atomic():
        ln.ULabel(name="atomic-1").save()
        # a savepoint: only the inner block is undone
        with pytest.raises(IntegrityError), ln.atomic():
            ln.User(handle=ln.settings.user.handle, _search_names=False).save()
        ln.ULabel(name="atomic-2").save()
    assert ln.ULabel.filter(name__startswith="atomic-").count() == 2


def test_equality_and_hash(instance):
    label = ln.ULabel(name="eq").save()
    again = ln.ULabel.get(label.id)
    assert label == again and hash(label) == hash(again)
    assert label != ln.ULabel(name="eq", _search_names=False)
    assert label == ln.ULabel(name="eq")  # lamindb: constructing by the name returns it
    assert len({label, again}) == 1


def test_type_must_be_a_type(instance):
    not_a_type = ln.Record(name="plain").save()
    with pytest.raises(FieldValidationError, match="is_type=False"):
        ln.Record(name="child", type=not_a_type)


def test_unchanged_save_writes_nothing_and_keeps_updated_at(instance):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    label = ln.ULabel(name="still").save()
    stamp = label.updated_at
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(Engine, "before_cursor_execute", listener)
    try:
        label.save()
        ln.ULabel.get(label.id).save()
    finally:
        event.remove(Engine, "before_cursor_execute", listener)
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert ln.ULabel.get(label.id).updated_at == stamp


def test_trash_and_bulk_update_stamp_updated_at(instance):
    label = ln.ULabel(name="stamp").save()
    first = label.updated_at
    label.delete()
    assert label.updated_at > first
    trashed = ln.ULabel.get(label.id).updated_at
    ln.ULabel.filter(id=label.id, branch_id=-1).update(branch_id=1)
    assert ln.ULabel.get(label.id).updated_at > trashed
    label.refresh_from_db()
    label.description = "bulk"
    ln.ULabel.filter().bulk_update([label], ["description"])
    assert ln.ULabel.get(label.id).updated_at == label.updated_at > trashed
    ln.ULabel.filter(id=label.id).delete()
    assert ln.ULabel.get(label.id).updated_at > label.updated_at


def test_unsaved_edits_inside_atomic_are_not_written(instance):
    label = ln.ULabel(name="original").save()
    with ln.atomic():
        loaded = ln.ULabel.get(label.id)
        loaded.name = "edited but never saved"
        ln.ULabel(name="saved inside").save()
        seen = ln.ULabel.filter(name="saved inside").count()  # reads see the block's writes
    assert seen == 1
    assert ln.ULabel.get(label.id).name == "original"
    assert ln.ULabel.filter(name="saved inside").count() == 1


def test_get_or_create_inside_atomic(instance):
    with ln.atomic():
        first, created = ln.ULabel.filter().get_or_create(name="raced")
        again, created_again = ln.ULabel.filter().get_or_create(name="raced")
    assert created and not created_again and first == again


def test_failed_save_inside_atomic_leaves_the_block_usable(instance):
    with ln.atomic():
        ln.ULabel(name="kept").save()
        with pytest.raises(IntegrityError):
            ln.User(handle=ln.settings.user.handle, _search_names=False).save()  # undone alone
        ln.ULabel(name="kept too").save()
    assert ln.ULabel.filter(name__startswith="kept").count() == 2
