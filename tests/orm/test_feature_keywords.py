"""Unknown ``filter()`` keywords: ``InvalidArgument`` where lamindb filters by features.

lamindb 2.12 (``QuerySet.filter`` → ``filter_with_features`` for ``Artifact``, ``Record``
and ``Run``, checked against an instance): a keyword whose first part is no field is
taken as a feature name; unknown ones raise ``lamindb.errors.InvalidArgument``::

    You can query either by available fields: ablocks, artifacts, branch, …
    Or fix invalid feature names: foo

``Collection``, ``ULabel``, ``Transform`` and the other registries raise Django's
``FieldError`` ("Unknown field 'foo'. Available fields: …"), and so do ``get()``,
``exclude()`` and ``Q`` objects on all registries. (lamindb judges only the first
keyword: ``filter(key="x", foo=1)`` raises ``FieldError`` there; here any unknown
keyword of these registries raises ``InvalidArgument``.)

``Artifact.get(id="abc")``: lamindb raises ``ValueError`` ("Field 'id' expected a number
but got 'abc'."); here ``FieldValidationError``, a ``ValueError``, with the same text.
"""

from __future__ import annotations

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import FieldError, InvalidArgument


@pytest.mark.parametrize("model", [ln.Artifact, ln.Record, ln.Run])
def test_registries_with_features_raise_invalid_argument(instance, model):
    with pytest.raises(InvalidArgument) as info:
        model.filter(foo="bar").count()
    message = str(info.value)
    assert message.startswith("You can query either by available fields: ")
    assert "\nOr fix invalid feature names: foo" in message
    assert "created_at" in message and "_aux" not in message
    with pytest.raises(InvalidArgument, match="feature names: bar, foo"):
        model.filter(foo__name="x", bar=1, created_at__isnull=False)


def test_the_closest_fields_are_suggested(instance):
    with pytest.raises(InvalidArgument, match=r"feature names: nme\nDid you mean 'name'\?"):
        ln.Record.filter(nme="x")
    with pytest.raises(InvalidArgument, match=r"Did you mean 'name' for 'nme', 'type' for 'tpye'"):
        ln.Record.filter(nme="x", tpye="y")


@pytest.mark.parametrize("model", [ln.Collection, ln.ULabel, ln.Transform, ln.Project])
def test_other_registries_keep_field_error(instance, model):
    with pytest.raises(FieldError, match="Unknown field 'foo'"):
        model.filter(foo="bar")


def test_get_exclude_q_and_lookups_keep_field_error(instance):
    with pytest.raises(FieldError, match=r"Unknown field 'nme'.*Did you mean 'name'\?"):
        ln.Record.get(nme="x")
    with pytest.raises(FieldError, match="Unknown field 'foo'"):
        ln.Artifact.filter().get(foo="x")
    with pytest.raises(FieldError, match="Unknown field 'foo'"):
        ln.Artifact.filter().exclude(foo=1)
    with pytest.raises(FieldError, match="Unknown field 'foo'"):
        ln.Run.filter(ln.Q(foo=1))
    with pytest.raises(FieldError, match="Unsupported lookup 'foo' for field 'key'"):
        ln.Artifact.filter(key__foo="x")


def test_aliases_and_foreign_key_ids_are_fields(instance):
    assert ln.Artifact.filter(version="1", pk=1, created_by_id=1).count() == 0
    assert ln.Record.filter(branch=None, type__name="x").count() == 0


def test_a_non_integer_id_raises_value_error(instance):
    with pytest.raises(ValueError, match="Field 'id' expected a number but got 'abc'"):
        ln.Artifact.get(id="abc")
    with pytest.raises(ValueError, match="Field 'id' expected a number but got 'abc'"):
        ln.Artifact.filter(id="abc").first()
    with pytest.raises(ValueError, match="Field 'size' expected a number but got 'big'"):
        ln.Artifact.filter(size__gt="big").count()
