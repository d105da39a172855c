"""Values a column cannot take get one clear answer on SQLite and PostgreSQL alike.

Before, some raised raw driver errors, and some were stored on one backend and refused
on the other (``ULabel(name=["a"])`` was the text ``'{a}'`` on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import FieldValidationError, IntegrityError

BAD = [
    ({"name": ["a"]}, "ULabel.name takes a str, got list"),
    ({"name": 3}, "ULabel.name takes a str, got int"),
    ({"name": "x" * 151}, "ULabel.name takes at most 150 characters, got 151"),
    ({"name": "nul\x00byte"}, "NUL character"),
    ({"name": "lone \ud800 surrogate"}, "lone surrogate"),
    ({"name": "ok", "is_type": "yes"}, "ULabel.is_type takes a bool, got str 'yes'"),
    ({"name": "ok", "description": b"bytes"}, "ULabel.description takes a str, got bytes"),
    ({"name": "ok", "type_id": 10**30}, "ULabel.type takes an int from"),
    ({"name": "ok", "created_at": "2024-01-01"}, "takes a datetime.datetime, got str"),
]


def _max_name_length() -> int:
    return ln.ULabel._meta.fields["name"].spec.max_length


def test_the_name_limit_in_this_test_is_the_field_limit() -> None:
    assert _max_name_length() == 150


@pytest.mark.parametrize(("values", "message"), BAD)
def test_save_refuses_values_a_column_cannot_take(instance, values, message) -> None:
    with pytest.raises(FieldValidationError) as caught:
        ln.ULabel(**values).save()

    assert message in str(caught.value)
    assert ln.ULabel.filter().count() == 0


@pytest.mark.parametrize(("values", "message"), BAD[:6])
def test_bulk_save_refuses_them_and_writes_nothing(instance, values, message) -> None:
    records = [ln.ULabel(name="fine"), ln.ULabel(**values)]

    with pytest.raises(FieldValidationError, match="ULabel"):
        ln.ULabel.objects.bulk_create(records)

    assert ln.ULabel.filter().count() == 0


def test_update_refuses_them_and_changes_nothing(instance) -> None:
    ln.ULabel(name="kept").save()

    with pytest.raises(FieldValidationError, match=r"ULabel\.name takes a str"):
        ln.ULabel.filter(name="kept").update(name=["a"])
    with pytest.raises(IntegrityError, match=r"ULabel\.name is required"):
        ln.ULabel.filter(name="kept").update(name=None)

    assert ln.ULabel.filter(name="kept").count() == 1


def test_required_fields_refuse_none(instance) -> None:
    # lamindb refuses ULabel(name=None) at construction (FieldValidationError, see
    # tests/models/test_constructors.py); a name cleared afterwards reaches save(),
    # where lamindb's database raises an IntegrityError, as we do before writing.
    label = ln.ULabel(name="cleared")
    label.name = None
    with pytest.raises(IntegrityError, match=r"ULabel\.name is required"):
        label.save()


def test_values_that_fit_are_stored_alike(instance) -> None:
    longest = "é" * _max_name_length()  # characters, not bytes
    label = ln.ULabel(name=longest, description="tab\tand emoji 🧬").save()
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    run = ln.Run(transform=ln.Transform(key="bad-values.py").save(), started_at=when).save()

    assert ln.ULabel.get(id=label.id).name == longest
    assert ln.ULabel.get(id=label.id).description == "tab\tand emoji 🧬"
    assert ln.Run.get(id=run.id).started_at == when
