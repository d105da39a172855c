"""Query set methods, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import (
    DoesNotExist,
    FieldError,
    InvalidArgument,
    MultipleResultsFound,
)
from lamin_pipes.models import Avg, Count, Max, Min, QuerySet, Sum


@pytest.fixture
def labels(instance):
    return [ln.ULabel(name=f"label {i}", description=f"d{i % 2}").save() for i in range(5)]


def test_filter_is_lazy_and_chainable(labels):
    qs = ln.ULabel.filter(name__startswith="label")
    assert isinstance(qs, QuerySet)
    narrowed = qs.filter(description="d0")
    assert qs.count() == 5
    assert narrowed.count() == 3
    assert qs.all().count() == 5


def test_first_last_one(labels):
    qs = ln.ULabel.filter(name__startswith="label")
    assert qs.first() == labels[0]
    assert qs.last() == labels[-1]
    assert qs.order_by("-name").first() == labels[-1]
    assert ln.ULabel.filter(name="label 2").one() == labels[2]
    assert ln.ULabel.filter(name="nope").one_or_none() is None
    assert ln.ULabel.filter(name="nope").first() is None
    with pytest.raises(DoesNotExist):
        ln.ULabel.filter(name="nope").one()
    with pytest.raises(MultipleResultsFound):
        qs.one()
    with pytest.raises(MultipleResultsFound):
        qs.one_or_none()


def test_get_by_id_uid_prefix_and_expressions(labels):
    label = labels[1]
    assert ln.ULabel.get(label.id) == label
    assert ln.ULabel.get(label.uid) == label
    assert ln.ULabel.get(label.uid[:5]) == label
    assert ln.ULabel.get(name="label 1") == label
    assert ln.ULabel.filter(description="d1").get(name="label 1") == label
    assert ln.ULabel.get(ln.Q(name="label 1")) == label
    with pytest.raises(DoesNotExist) as info:
        ln.ULabel.get("label 1")
    assert str(info.value) == (
        "No record found with uid 'label 1'. Did you forget a keyword as in "
        "ULabel.get(name='label 1')?"
    )
    with pytest.raises(DoesNotExist, match="ULabel matching query does not exist"):
        ln.ULabel.get(name="missing")
    with pytest.raises(MultipleResultsFound):
        ln.ULabel.get(description="d0")
    assert isinstance(ln.errors.DoesNotExist("x"), LookupError)
    with pytest.raises(ln.ULabel.DoesNotExist):  # Django-style alias on the registry
        ln.ULabel.get(name="missing")


def test_to_list_values_and_values_list(labels):
    qs = ln.ULabel.filter(name__startswith="label").order_by("name")
    assert qs.to_list() == labels
    assert qs.to_list("name") == [f"label {i}" for i in range(5)]
    assert qs.values("name", "description")[0] == {"name": "label 0", "description": "d0"}
    assert qs.values_list("name", flat=True)[:2] == ["label 0", "label 1"]
    assert qs.values_list("id", "name")[0] == (labels[0].id, "label 0")
    row = qs.values_list("name", "created_by__handle", named=True)[0]
    assert row.name == "label 0" and row.created_by_handle == ln.settings.user.handle
    with pytest.raises(InvalidArgument):
        qs.values_list("id", "name", flat=True)


def test_order_by_reverse_distinct_slicing(labels):
    qs = ln.ULabel.filter(name__startswith="label")
    assert qs.order_by("-name").to_list("name")[0] == "label 4"
    assert qs.order_by("description", "-name").to_list("name")[:2] == ["label 4", "label 2"]
    assert qs.order_by("name").reverse().to_list("name")[0] == "label 4"
    assert qs.order_by("created_by__handle", "id").first() == labels[0]
    assert qs.order_by("id")[1:3].to_list("name") == ["label 1", "label 2"]
    assert qs.order_by("id")[2].name == "label 2"
    assert qs.values_list("description", flat=True) is not None
    assert sorted(set(qs.distinct().to_list("description"))) == ["d0", "d1"]
    with pytest.raises(IndexError):
        qs.order_by("id")[10]
    with pytest.raises(FieldError):
        qs.order_by("parents__name").to_list()


def test_count_exists_contains_none(labels):
    qs = ln.ULabel.filter(name__startswith="label")
    assert qs.exists()
    assert not ln.ULabel.filter(name="zzz").exists()
    assert qs.contains(labels[0])
    assert not qs.filter(description="d1").contains(labels[0])
    assert qs.none().count() == 0 and list(qs.none()) == []
    assert len(qs) == 5 and bool(qs)


def test_update_and_bulk_delete(labels):
    qs = ln.ULabel.filter(description="d0")
    assert qs.update(description="zero") == 3
    assert ln.ULabel.filter(description="zero").count() == 3
    ln.ULabel.filter(description="zero").delete()
    assert ln.ULabel.filter(description="zero").count() == 0
    assert ln.ULabel.filter(description="zero", branch_id=-1).count() == 3
    ln.ULabel.filter(description="zero").delete()  # still only trash, never permanent
    assert ln.ULabel.filter(description="zero", branch_id=-1).count() == 3
    ln.ULabel.filter(description="zero", branch_id=-1).delete(permanent=True)
    assert ln.ULabel.objects.filter(description="zero").count() == 0
    with pytest.raises(FieldError, match="many-valued"):
        ln.ULabel.filter().update(parents=None)


def test_in_bulk_get_or_create_update_or_create(labels):
    bulk = ln.ULabel.filter().in_bulk([labels[0].id, labels[1].id])
    assert bulk == {labels[0].id: labels[0], labels[1].id: labels[1]}
    by_name = ln.ULabel.filter().in_bulk(["label 3"], field_name="name")
    assert by_name["label 3"] == labels[3]
    record, created = ln.ULabel.filter().get_or_create(name="label 3")
    assert not created and record == labels[3]
    record, created = ln.ULabel.filter().get_or_create(name="new", defaults={"description": "n"})
    assert created and record.description == "n"
    record, created = ln.ULabel.filter().update_or_create(name="new", defaults={"description": "m"})
    assert not created and ln.ULabel.get(name="new").description == "m"
    record, created = ln.ULabel.filter().update_or_create(
        name="newer", defaults={"description": "a"}, create_defaults={"description": "b"}
    )
    assert created and record.description == "b"


def test_bulk_create_and_bulk_update(instance):
    records = ln.ULabel.filter().bulk_create([ln.ULabel(name=f"bulk {i}") for i in range(50)])
    assert all(r.id is not None for r in records)
    assert ln.ULabel.filter(name__startswith="bulk").count() == 50
    for r in records:
        r.description = f"desc {r.name}"
    assert ln.ULabel.filter().bulk_update(records, ["description"]) == 50
    assert ln.ULabel.get(name="bulk 7").description == "desc bulk 7"
    records[0].name = "renamed after bulk"
    records[0].save()
    assert ln.ULabel.get(records[0].id).name == "renamed after bulk"


def test_iterator_in_chunks(labels):
    names = [r.name for r in ln.ULabel.filter().order_by("id").iterator(chunk_size=2)]
    assert names == [f"label {i}" for i in range(5)]


def test_set_operations(labels):
    a = ln.ULabel.filter(name__in=["label 0", "label 1", "label 2"])
    b = ln.ULabel.filter(name__in=["label 2", "label 3"])
    assert sorted(a.union(b).to_list("name")) == [f"label {i}" for i in range(4)]
    assert a.intersection(b).to_list("name") == ["label 2"]
    assert sorted(a.difference(b).to_list("name")) == ["label 0", "label 1"]


def test_latest_earliest(labels):
    assert ln.ULabel.filter().latest("id") == labels[-1]
    assert ln.ULabel.filter().earliest("id") == labels[0]
    assert ln.ULabel.filter().latest() in labels
    with pytest.raises(DoesNotExist):
        ln.ULabel.filter(name="none").latest()


def test_aggregate_and_annotate(instance):
    samples = ln.Record(name="Samples", is_type=True).save()
    donors = ln.Record(name="Donors", is_type=True).save()
    for i in range(3):
        ln.Record(name=f"s{i}", type=samples).save()
    result = ln.Record.filter(is_type=True).aggregate(Count("id"), n_records=Count("records"))
    assert result == {"id__count": 2, "n_records": 3}
    agg = ln.Record.filter().aggregate(Min("id"), Max("id"), total=Sum("id"), mean=Avg("id"))
    assert agg["id__min"] == samples.id and agg["total"] > 0 and agg["mean"] > 0
    annotated = {r.name: r.n for r in ln.Record.filter(is_type=True).annotate(n=Count("records"))}
    assert annotated == {"Samples": 3, "Donors": 0}
    ordered = ln.Record.filter(is_type=True).annotate(n=Count("records")).order_by("-n")
    assert ordered.first() == samples
    assert donors in ordered


def test_select_related_and_prefetch_related(instance):
    label_type = ln.ULabel(name="T", is_type=True).save()
    parent = ln.ULabel(name="p").save()
    child = ln.ULabel(name="c", type=label_type).save()
    child.parents.add(parent)
    loaded = (
        ln.ULabel.filter(name="c")
        .select_related("type", "created_by")
        .prefetch_related("parents")
        .one()
    )
    assert loaded.__dict__["_lp_fk_type"] == label_type
    assert loaded.parents.to_list("name") == ["p"]
    assert loaded.__dict__["_lp_prefetch_parents"] == [parent]
    with pytest.raises(FieldError):
        ln.ULabel.filter().select_related("parents")


def test_only_defer_explain_dates(labels):
    partial = ln.ULabel.filter().only("name").first()
    assert "description" not in partial.__dict__
    assert partial.name == "label 0"
    assert partial.description == "d0"  # loaded on first access
    deferred = ln.ULabel.filter().defer("description").first()
    assert "description" not in deferred.__dict__ and deferred.description == "d0"
    plan = ln.ULabel.filter(name="label 1").explain()
    assert isinstance(plan, str) and plan
    today = labels[0].created_at.date()
    assert ln.ULabel.filter().dates("created_at", "day") == [today]
    assert ln.ULabel.filter().dates("created_at", "year") == [dt.date(today.year, 1, 1)]
    datetimes = ln.ULabel.filter().datetimes("created_at", "hour")
    assert len(datetimes) >= 1 and datetimes[0].minute == 0
    with pytest.raises(InvalidArgument, match="Valid options"):
        ln.ULabel.filter().dates("created_at", "fortnight")


def test_to_dataframe(instance):
    samples = ln.Record(name="Samples", is_type=True).save()
    s1 = ln.Record(name="s1", type=samples).save()
    s2 = ln.Record(name="s2", type=samples).save()
    s2.parents.add(s1)
    df = ln.Record.filter().to_dataframe(
        include=["created_by__handle", "records__name", "parents__name"]
    )
    assert df.index.name == "id"
    assert list(df.columns[:2]) == ["uid", "name"]
    assert "_aux" not in df.columns
    assert df.loc[samples.id, "records__name"] == ["s1", "s2"]
    assert df.loc[s2.id, "parents__name"] == ["s1"]
    assert df.loc[s1.id, "created_by__handle"] == ln.settings.user.handle
    assert df.index[0] == s2.id  # default order: -id
    assert len(ln.Record.to_dataframe(limit=1)) == 1
    assert "_aux" in ln.Record.to_dataframe(include="privates").columns
    assert list(ln.Record.filter().order_by("id").to_dataframe().index) == [
        samples.id,
        s1.id,
        s2.id,
    ]
    with pytest.raises(FieldError):
        ln.Record.to_dataframe(include="nonexistent__name")


def test_to_dataframe_queries_once_per_include(instance):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    for i in range(20):
        ln.ULabel(name=f"n{i}").save()
    statements = []
    engine = Engine  # every engine: reads use the instance's autocommit engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        ln.ULabel.filter().to_dataframe(include=["created_by__handle", "parents__name"])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3


def test_using_another_instance_is_read_only(instance, tmp_path):
    qs = ln.ULabel.filter().using(instance.db)
    assert qs.count() == ln.ULabel.filter().count()


def test_async_twins(labels):
    async def run():
        return (
            await ln.ULabel.filter().acount(),
            (await ln.ULabel.filter().order_by("id").afirst()).name,
            await ln.ULabel.filter(name="label 1").aexists(),
            (await ln.ULabel.filter().aget(name="label 2")).name,
            [r.name async for r in ln.ULabel.filter().order_by("id").aiterator(chunk_size=2)],
        )

    count, first, exists, got, names = asyncio.run(run())
    assert (count, first, exists, got) == (5, "label 0", True, "label 2")
    assert names == [f"label {i}" for i in range(5)]


def test_repr(labels):
    text = repr(ln.ULabel.filter(name="label 0"))
    assert text.startswith("<QuerySet [ULabel(uid=")


def test_filter_after_slice_is_refused(labels):
    with pytest.raises(InvalidArgument, match="sliced"):
        ln.ULabel.filter()[:2].filter(name="x")


def test_bulk_create_round_trips_every_column_type(instance):
    start = dt.date(2024, 1, 2)
    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    projects = [ln.Project(name=f"p{i}", start_date=start, abbr=None) for i in range(3)]
    records = [ln.Record(name=f"r{i}", extra_data={"i": i, "tags": ["a", "b"]}) for i in range(3)]
    records[0].is_type = True
    runs_transform = ln.Transform(key="t").save()
    runs = [ln.Run(transform=runs_transform, started_at=when, params={"lr": 0.1}) for _ in range(2)]
    ln.models.SQLRecordList([*projects, *records, *runs]).save()
    assert ln.Project.get(projects[1].id).start_date == start
    loaded = ln.Record.get(records[2].id)
    assert loaded.extra_data == {"i": 2, "tags": ["a", "b"]}
    assert ln.Record.get(records[0].id).is_type is True
    run = ln.Run.get(runs[0].id)
    assert run.started_at == when and run.started_at.tzinfo is not None
    assert run.params == {"lr": 0.1}
    assert run.created_by == ln.settings.user
    # ids come from the table's sequence: later single saves do not collide
    assert ln.Record(name="after").save().id > max(r.id for r in records)


def test_an_open_iterator_lets_other_processes_connect_and_write(instance):
    # On SQLite the iterator's transaction took the write lock (BEGIN IMMEDIATE) for as
    # long as it streamed: another process could not even connect for 30 s.
    import subprocess
    import sys

    ln.ULabel.from_values([f"it-{i}" for i in range(5)], create=True).save()
    iterator = ln.ULabel.filter(name__startswith="it-").iterator(chunk_size=2)
    first = next(iterator)
    code = (
        "import sys, lamin_pipes as ln; ln.connect(sys.argv[1], sys.argv[2]); "
        "ln.ULabel(name='written meanwhile').save()"
    )
    try:
        subprocess.run(
            [sys.executable, "-c", code, instance.db, instance.storage],
            check=True,
            timeout=20,
            capture_output=True,
        )
        rest = list(iterator)
    finally:
        iterator.close()

    assert len([first, *rest]) == 5
    assert ln.ULabel.filter(name="written meanwhile").count() == 1
    assert "lamindb_ulabel" in ln.ULabel.filter(name="x").explain()  # a read, no lock either


def test_dates_and_datetimes_are_truncated_by_the_database_alike(instance):
    import zoneinfo

    utc = dt.UTC
    moments = [
        dt.datetime(2024, 5, 12, 23, 59, 59, 999999, tzinfo=utc),  # a Sunday
        dt.datetime(2024, 5, 13, 0, 0, 1, tzinfo=utc),  # the Monday after
        dt.datetime(2024, 5, 13, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))),  # 22:30 UTC
        dt.datetime(2023, 12, 31, 23, 0, tzinfo=utc),
        dt.datetime(2023, 12, 31, 23, 0, tzinfo=utc),  # a duplicate
    ]
    transform = ln.Transform(key="dates.py").save()
    for moment in moments:
        ln.Run(transform=transform, started_at=moment).save()
    runs = ln.Run.filter(transform=transform)
    in_utc = [m.astimezone(utc) for m in moments]

    assert runs.dates("started_at", "week") == [
        dt.date(2023, 12, 25),
        dt.date(2024, 5, 6),
        dt.date(2024, 5, 13),
    ]
    assert runs.dates("started_at", "day", order="DESC") == [
        dt.date(2024, 5, 13),
        dt.date(2024, 5, 12),
        dt.date(2023, 12, 31),
    ]
    assert runs.dates("started_at", "year") == [dt.date(2023, 1, 1), dt.date(2024, 1, 1)]
    hours = runs.datetimes("started_at", "hour")
    assert hours == sorted({m.replace(minute=0, second=0, microsecond=0) for m in in_utc})
    assert all(h.tzinfo is not None for h in hours)
    assert runs.datetimes("started_at", "month") == [
        dt.datetime(2023, 12, 1, tzinfo=utc),
        dt.datetime(2024, 5, 1, tzinfo=utc),
    ]
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")  # 2023-12-31 23:00 UTC is 2024 there
    assert runs.datetimes("started_at", "year", tzinfo=berlin) == [
        dt.datetime(2024, 1, 1, tzinfo=berlin)
    ]
    with pytest.raises(FieldError, match="not a date or datetime"):
        runs.dates("status", "day")
