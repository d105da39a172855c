"""Django-style lookups, Q objects and relation traversal."""

from __future__ import annotations

import datetime as dt

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import FieldError, InvalidArgument


@pytest.fixture
def labels(instance):
    names = ["Apple", "apple pie", "Banana", "cherry", "Cherry_tart", "100% juice"]
    return [ln.ULabel(name=n).save() for n in names]


def names(qs) -> list[str]:
    return sorted(qs.to_list("name"))


#: Results that differ under a language collation, where "Cherry_tart" > "c" and
#: "apple pie" lies between "A" and "B".
_LANGUAGE_ORDER = {
    ("name__gt", "c"): ["cherry", "Cherry_tart"],
    ("name__gte", "cherry"): ["cherry", "Cherry_tart"],
    ("name__range", "('A', 'B')"): ["Apple", "apple pie"],
}


@pytest.mark.parametrize(
    ("lookup", "value", "expected"),
    [
        ("name", "Apple", ["Apple"]),
        ("name__exact", "apple", []),
        ("name__iexact", "apple", ["Apple"]),
        ("name__contains", "pp", ["Apple", "apple pie"]),
        ("name__contains", "PP", []),
        ("name__icontains", "PP", ["Apple", "apple pie"]),
        ("name__startswith", "C", ["Cherry_tart"]),
        ("name__istartswith", "c", ["Cherry_tart", "cherry"]),
        ("name__endswith", "e", ["Apple", "apple pie", "100% juice"]),
        ("name__iendswith", "RY", ["cherry"]),
        ("name__in", ["Apple", "Banana", "nope"], ["Apple", "Banana"]),
        # Text compares by the database's collation, as in lamindb: bytes on SQLite,
        # language rules on the PostgreSQL test databases (ICU en-US; see
        # _LANGUAGE_ORDER below for what differs there).
        ("name__gt", "c", ["cherry"]),
        ("name__gte", "cherry", ["cherry"]),
        ("name__lt", "Apple", ["100% juice"]),
        ("name__lte", "Apple", ["100% juice", "Apple"]),
        ("name__range", ("A", "B"), ["Apple"]),
        ("name__regex", r"^[A-Z]", ["Apple", "Banana", "Cherry_tart"]),
        ("name__iregex", r"^c", ["Cherry_tart", "cherry"]),
        ("description__isnull", True, None),
        ("name__contains", "%", ["100% juice"]),
        ("name__contains", "_", ["Cherry_tart"]),
    ],
)
def test_column_lookups(labels, lookup, value, expected):
    result = names(ln.ULabel.filter(**{lookup: value}))
    if ln.settings.instance.engine.dialect.name == "postgresql":
        expected = _LANGUAGE_ORDER.get((lookup, str(value)), expected)
    if expected is None:
        expected = sorted(label.name for label in labels)
    assert result == sorted(expected)


def test_date_transforms(instance):
    label = ln.ULabel(name="dated").save()
    now = label.created_at
    assert ln.ULabel.filter(created_at__year=now.year, name="dated").count() == 1
    assert ln.ULabel.filter(created_at__month=now.month, name="dated").count() == 1
    assert ln.ULabel.filter(created_at__day=now.day, name="dated").count() == 1
    assert ln.ULabel.filter(created_at__year__gt=now.year).count() == 0
    assert (
        ln.ULabel.filter(created_at__gte=now - dt.timedelta(seconds=1), name="dated").count() == 1
    )


def test_q_objects_combine(labels):
    q = ln.Q(name="Apple") | ln.Q(name="Banana")
    assert names(ln.ULabel.filter(q)) == ["Apple", "Banana"]
    assert names(ln.ULabel.filter(q & ln.Q(name__startswith="B"))) == ["Banana"]
    assert "Apple" not in names(ln.ULabel.filter(~ln.Q(name="Apple")))
    assert names(ln.ULabel.filter(ln.Q(name__startswith="A"), name__contains="pp")) == ["Apple"]
    assert names(ln.ULabel.filter().exclude(name__icontains="a")) == ["100% juice", "cherry"]


def test_unknown_field_lists_available_fields(instance):
    with pytest.raises(FieldError) as info:
        ln.ULabel.filter(nme="x")
    message = str(info.value)
    assert message.startswith("Unknown field 'nme'. Available fields: ")
    assert "name" in message and "Did you mean 'name'" in message


def test_unknown_operator(instance):
    with pytest.raises(FieldError, match="Unsupported lookup 'startwith' for field 'name'"):
        ln.ULabel.filter(name__startwith="x")


def test_relation_compared_to_string_suggests_name(instance):
    with pytest.raises(
        FieldError, match=r"Invalid lookup 'x' for records\. Did you mean records__name\?"
    ):
        ln.Record.filter(records="x")
    with pytest.raises(FieldError, match=r"Did you mean created_by__handle\?"):
        ln.ULabel.filter(created_by="someone")


def test_foreign_key_traversal(instance):
    user = ln.settings.user
    ln.ULabel(name="mine").save()
    assert ln.ULabel.filter(created_by__handle=user.handle).count() == 1
    assert ln.ULabel.filter(created_by=user).count() == 1
    assert ln.ULabel.filter(created_by_id=user.id).count() == 1
    assert ln.ULabel.filter(created_by__in=[user]).count() == 1
    assert ln.ULabel.filter(created_by__handle__startswith="zzz-nobody").count() == 0
    assert ln.ULabel.filter(created_by__isnull=False).count() == 1
    assert ln.ULabel.filter().exclude(created_by__handle=user.handle).count() == 0


def test_reverse_foreign_key_without_duplicates(instance):
    samples = ln.Record(name="Samples", is_type=True).save()
    donors = ln.Record(name="Donors", is_type=True).save()
    for i in range(3):
        ln.Record(name=f"sample {i}", type=samples).save()
    ln.Record(name="donor 1", type=donors).save()
    result = ln.Record.filter(records__name__startswith="sample")
    assert result.to_list("name") == ["Samples"]  # three matches, one row
    assert names(ln.Record.filter(records__isnull=False)) == ["Donors", "Samples"]
    assert ln.Record.filter(is_type=True, records__isnull=True).count() == 0
    assert names(ln.Record.filter(type__name="Donors")) == ["donor 1"]


def test_many_to_many_traversal_without_duplicates(instance):
    root = ln.ULabel(name="root").save()
    other = ln.ULabel(name="other").save()
    child = ln.ULabel(name="child").save()
    child.parents.add(root, other)
    assert ln.ULabel.filter(parents__name__in=["root", "other"]).to_list("name") == ["child"]
    assert ln.ULabel.filter(parents=root).to_list("name") == ["child"]
    assert ln.ULabel.filter(parents__in=[root, other]).count() == 1
    assert names(ln.ULabel.filter(children__name="child")) == ["other", "root"]
    assert names(ln.ULabel.filter(parents__isnull=True)) == ["other", "root"]
    assert names(ln.ULabel.filter().exclude(parents__name="root")) == ["other", "root"]


def test_cross_registry_many_to_many(instance):
    project = ln.Project(name="P1").save()
    r1 = ln.Record(name="r1").save()
    ln.Record(name="r2").save()
    project.records.add(r1)
    assert ln.Record.filter(projects__name="P1").to_list("name") == ["r1"]
    assert ln.Project.filter(records__name__in=["r1", "r2"]).to_list("name") == ["P1"]
    assert ln.Project.filter(records__created_by__handle=ln.settings.user.handle).count() == 1


def test_in_with_queryset(labels):
    apples = ln.ULabel.filter(name__icontains="apple")
    assert names(ln.ULabel.filter(id__in=apples.values_list("id", flat=True))) == [
        "Apple",
        "apple pie",
    ]
    assert names(ln.ULabel.filter(id__in=apples)) == ["Apple", "apple pie"]


def test_trash_hidden_unless_branch_given(labels):
    labels[0].delete()
    assert "Apple" not in names(ln.ULabel.filter())
    assert names(ln.ULabel.filter(branch_id=-1)) == ["Apple"]
    assert names(ln.ULabel.filter(branch__name="trash")) == ["Apple"]
    assert "Apple" in names(ln.ULabel.filter(ln.Q(branch_id=-1) | ln.Q(branch_id=1)))
    assert ln.ULabel.get(labels[0].uid).name == "Apple"


def test_integer_lookups_take_numbers_alike_on_both_backends(labels):
    first = labels[0]
    # "abc" matched nothing on SQLite and was a raw ProgrammingError on PostgreSQL
    with pytest.raises(ln.errors.FieldValidationError, match="expected a number but got 'abc'"):
        ln.ULabel.filter(id="abc").count()
    with pytest.raises(ln.errors.FieldValidationError, match="expected a number"):
        ln.ULabel.filter(id__in=[first.id, "x"]).count()
    with pytest.raises(ln.errors.FieldValidationError, match="takes numbers from"):
        ln.ULabel.filter(id=10**30).count()
    # numbers written as text compare as numbers, as in Django
    assert ln.ULabel.filter(id=str(first.id)).one() == first
    assert ln.ULabel.filter(id__range=(str(first.id), first.id)).one() == first


def test_in_lookups_take_more_values_than_a_statement_has_parameters(labels):
    # PostgreSQL caps a statement at 65,535 parameters, SQLite at 32,766.
    names = [f"missing {i}" for i in range(70_000)] + ["Apple", "Banana"]
    ids = [label.id for label in labels] + list(range(10**9, 10**9 + 70_000))

    assert names_of(ln.ULabel.filter(name__in=names)) == ["Apple", "Banana"]
    assert ln.ULabel.filter(name__in=names).exclude(name="Apple").count() == 1
    assert ln.ULabel.filter().exclude(name__in=names).count() == len(labels) - 2
    assert sorted(ln.ULabel.objects.in_bulk(ids)) == sorted(label.id for label in labels)
    assert ln.Record.filter(created_by_id__in=[*range(2, 70_002), 1]).count() == 0


def names_of(qs) -> list[str]:
    return sorted(qs.to_list("name"))


def test_regex_lookups_answer_alike_on_both_backends(labels):
    # An invalid pattern was a raw OperationalError (SQLite) or DataError (PostgreSQL);
    # "(?i)" given to iregex worked on SQLite only.
    with pytest.raises(InvalidArgument, match=r"Invalid regular expression '\(unclosed'"):
        ln.ULabel.filter(name__regex="(unclosed").count()
    with pytest.raises(InvalidArgument, match="pattern string"):
        ln.ULabel.filter(name__iregex=3).count()
    assert names_of(ln.ULabel.filter(name__iregex="(?i)^c")) == ["Cherry_tart", "cherry"]
    assert names_of(ln.ULabel.filter(name__iregex="^C")) == ["Cherry_tart", "cherry"]


def test_a_pattern_postgresql_refuses_is_a_clear_error(labels, instance):
    # Python's re knows named groups, PostgreSQL's engine does not: it raised a raw
    # DataError there.
    query = ln.ULabel.filter(name__regex=r"^(?P<first>C)")
    if instance.dialect == "postgresql":
        with pytest.raises(InvalidArgument, match="PostgreSQL cannot use this regular expression"):
            query.count()
        with pytest.raises(InvalidArgument):
            list(query)
        with pytest.raises(InvalidArgument):
            next(query.iterator())
        assert ln.ULabel.filter(name="Apple").count() == 1  # the connection still works
    else:
        assert names_of(query) == ["Cherry_tart"]


def test_catastrophic_backtracking_is_bounded_on_sqlite(instance, monkeypatch):
    from lamin_pipes.core import _query_errors

    monkeypatch.setattr(_query_errors, "REGEX_TIMEOUT_S", 0.2)
    ln.ULabel(name="a" * 40 + "!").save()
    query = ln.ULabel.filter(name__regex=r"^(a|aa)+$")  # exponential in Python's re
    if instance.dialect == "postgresql":
        assert query.count() == 0  # no backtracking blow-up in PostgreSQL's engine
        return
    with pytest.raises(InvalidArgument, match=r"took longer than 0.2 s"):
        query.count()
    assert ln.ULabel.filter(name__regex=r"^a+!$").count() == 1  # and regexes still work
