"""lookup(): auto-complete keys, keep, return_field and the NamedTuple-like surface."""

from __future__ import annotations

import logging

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import DoesNotExist, FieldError, InvalidArgument
from lamin_pipes.models._lookup import Lookup, to_key


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("ADGB-DT", "adgb_dt"),
        ("T cell", "t_cell"),
        ("CD4+  T-cell", "cd4_t_cell"),
        ("snake_case", "snake_case"),
        ("100% juice", "ln_100_juice"),
        ("_private", "ln__private"),
        ("class", "class_"),
        ("None", "none"),
        ("dict", "dict_"),
        ("Émile", "ln__mile"),
        ("---", "ln__"),
        ("", ""),
    ],
)
def test_to_key(value, key):
    assert to_key(value) == key


@pytest.fixture
def labels(instance):
    names = ["ADGB-DT", "T cell", "T-cell", "100% juice", "class", "dict", "Apple"]
    return {name: ln.ULabel(name=name).save() for name in names}


def test_attributes_return_the_records(labels):
    lookup = ln.ULabel.lookup()
    assert isinstance(lookup, Lookup)
    assert lookup.adgb_dt == labels["ADGB-DT"]
    assert lookup.adgb_dt.name == "ADGB-DT" and lookup.adgb_dt.id == labels["ADGB-DT"].id
    assert isinstance(lookup.apple, ln.ULabel)
    assert lookup.ln_100_juice.name == "100% juice"
    assert lookup.class_.name == "class"
    assert lookup.dict_.name == "dict"
    assert lookup["apple"] == labels["Apple"]
    assert lookup.apple is lookup.apple  # loaded once


def test_dict_maps_original_values(labels):
    lookup = ln.ULabel.lookup()
    mapping = lookup.dict()
    assert set(mapping) == set(labels)
    assert mapping["T-cell"] == labels["T-cell"] and mapping["100% juice"].name == "100% juice"
    twin = ln.ULabel(name="Apple", _search_names=False).save()
    assert ln.ULabel.lookup().dict()["Apple"] == [labels["Apple"], twin]


def test_keep(labels, caplog):
    caplog.set_level(logging.WARNING, logger="lamin_pipes")
    assert ln.ULabel.lookup().t_cell == labels["T cell"]
    assert "2 records found for 't_cell'. Returning based on keep='first'." in caplog.text
    assert ln.ULabel.lookup(keep="last").t_cell == labels["T-cell"]
    both = ln.ULabel.lookup(keep=False).t_cell
    assert both == [labels["T cell"], labels["T-cell"]]
    assert ln.ULabel.lookup(keep=False).apple == labels["Apple"]
    with pytest.raises(InvalidArgument, match="Valid options: 'first', 'last', False"):
        ln.ULabel.lookup(keep="all")


def test_return_field(labels):
    lookup = ln.ULabel.lookup(return_field="uid")
    assert lookup.adgb_dt == labels["ADGB-DT"].uid
    assert lookup.dict()["Apple"] == labels["Apple"].uid
    assert ln.ULabel.lookup(return_field=ln.ULabel.id, keep=False).t_cell == [
        labels["T cell"].id,
        labels["T-cell"].id,
    ]
    assert ln.ULabel.lookup(return_field="name").apple == "Apple"
    with pytest.raises(FieldError, match="'parents' of ULabel is a relation"):
        ln.ULabel.lookup(return_field="parents")


def test_field_argument(instance):
    ln.ULabel(name="x", reference="GO:0001").save()
    ln.ULabel(name="y").save()
    lookup = ln.ULabel.lookup(field=ln.ULabel.reference, return_field="name")
    assert lookup._fields == ("go_0001",)
    assert lookup.go_0001 == "x"
    assert ln.User.lookup().dict()[ln.settings.user.handle] == ln.settings.user
    with pytest.raises(FieldError, match="Not a string field: 'is_type' of ULabel"):
        ln.ULabel.lookup(field="is_type")


def test_query_set_lookup_and_order(instance):
    first = ln.ULabel(name="dup", is_type=True).save()
    second = ln.ULabel(name="dup", _search_names=False).save()
    ln.ULabel(name="other").save()
    assert ln.ULabel.filter(is_type=False).lookup().dup == second
    assert ln.ULabel.filter().order_by("-id").lookup().dup == second
    assert ln.ULabel.filter().lookup().dup == first
    assert ln.ULabel.filter(name="nothing").lookup()._fields == ()


def test_namedtuple_like_surface(labels):
    lookup = ln.ULabel.lookup(return_field="name")
    keys = ("adgb_dt", "t_cell", "ln_100_juice", "class_", "dict_", "apple")
    assert lookup._fields == keys
    assert len(lookup) == 6
    assert lookup[0] == "ADGB-DT" and lookup[-1] == "Apple"
    assert list(lookup) == ["ADGB-DT", "T cell", "100% juice", "class", "dict", "Apple"]
    assert lookup._asdict()["t_cell"] == "T cell"
    assert "apple" in lookup and "Apple" not in lookup
    assert set(keys) | {"dict"} == set(dir(lookup))
    assert repr(lookup).startswith("Lookup(ULabel.name: adgb_dt, t_cell")


def test_missing_key_and_deleted_record(labels):
    lookup = ln.ULabel.lookup()
    with pytest.raises(AttributeError, match=r"has no key 'appel'\. Did you mean: apple"):
        lookup.appel  # noqa: B018
    labels["Apple"].delete(permanent=True)
    with pytest.raises(DoesNotExist, match="no longer exist"):
        lookup.apple  # noqa: B018
    assert ln.ULabel.lookup(return_field="uid")._fields.count("apple") == 0


def test_registry_and_query_set_entry_points(labels):
    assert ln.ULabel.lookup().apple == ln.ULabel.filter().lookup().apple
    assert ln.models.QuerySet(ln.ULabel).lookup(field="name").apple == labels["Apple"]
