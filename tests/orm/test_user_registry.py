"""User-defined registries: sub-classing SQLRecord creates a table on first use.

The registries are defined once, at module level: a registry name can be defined only
once per process.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import inspect

import lamin_pipes as ln
from lamin_pipes import SQLRecord, fields
from lamin_pipes.errors import (
    DoesNotExist,
    FieldError,
    FieldValidationError,
    IntegrityError,
    MultipleResultsFound,
)


class Experiment(SQLRecord):
    name: str = fields.CharField()


class URSample(SQLRecord):
    """A sample: every kind of column, two foreign keys and a many-to-many relation."""

    name: str = fields.CharField(max_length=100, unique=True, doc="Unique name.")
    code: str | None = fields.CharField(max_length=20, null=True, db_index=True)
    replicates: int = fields.IntegerField(default=3)
    reads: int = fields.BigIntegerField(default=2**40)
    weight: float | None = fields.FloatField(null=True)
    quality: float = fields.FloatField(default=0.5)
    is_control: bool = fields.BooleanField(default=False)
    collected_at: dt.datetime | None = fields.DateTimeField(null=True)
    registered_at: dt.datetime = fields.DateTimeField(auto_now_add=True)
    collected_on: dt.date | None = fields.DateField(null=True)
    meta: Any = fields.JSONField(default=dict)
    notes: str | None = fields.TextField(null=True)
    label: Any = fields.ForeignKey(ln.ULabel, fields.PROTECT, null=True, related_name="ur_samples")
    experiment: Any = fields.ForeignKey(
        Experiment, fields.CASCADE, null=True, related_name="ur_samples"
    )
    tags: Any = fields.ManyToManyField(ln.ULabel, related_name="ur_tagged_samples")


class URBatch(SQLRecord):
    name: str = fields.CharField(max_length=50)


class URStep(SQLRecord):
    """A registry whose table needs another user registry's table (URBatch) first."""

    name: str = fields.CharField(max_length=50)
    batch: Any = fields.ForeignKey(URBatch, fields.CASCADE, related_name="steps")


@pytest.fixture
def registries(instance):
    """The current instance; user tables appear there on first use of a registry."""
    return instance


def test_reference_example_end_to_end(instance):
    experiment = Experiment(name="my experiment")
    experiment.save()
    df = Experiment.filter(name__startswith="my ").to_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert df["name"].tolist() == ["my experiment"]
    assert df.index.tolist() == [experiment.id]
    assert isinstance(Experiment, ln.models.Registry)
    assert Experiment.get(name="my experiment") == experiment
    assert experiment.branch_id == 1 and experiment.space_id == 1 and experiment.is_locked is False


def test_user_tables_are_created_on_first_use(registries):
    engine = ln.settings.instance.engine
    URSample(name="first").save()
    tables = set(inspect(engine).get_table_names())
    assert {"ursample", "ursample_tags"} <= tables
    columns = {c["name"]: c for c in inspect(engine).get_columns("ursample")}
    assert {"name", "code", "replicates", "meta", "label_id", "experiment_id", "branch_id"} <= set(
        columns
    )
    assert columns["code"]["nullable"] and not columns["name"]["nullable"]


def test_defaults_and_round_trip_of_every_column_type(registries):
    sample = URSample(name="defaults")
    assert sample.replicates == 3 and sample.reads == 2**40 and sample.quality == 0.5
    assert sample.is_control is False and sample.meta == {} and sample.weight is None
    assert isinstance(sample.registered_at, dt.datetime)
    assert sample.meta is not URSample(name="other").meta  # a callable default, not shared
    sample.save()
    collected = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    full = URSample(
        name="full",
        code="S-1",
        replicates=7,
        weight=1.25,
        is_control=True,
        collected_at=collected,
        collected_on=dt.date(2024, 5, 6),
        meta={"a": [1, 2], "b": {"c": None}},
        notes="long text " * 50,
    ).save()
    loaded = URSample.get(full.id)
    assert loaded.code == "S-1" and loaded.replicates == 7 and loaded.weight == 1.25
    assert loaded.is_control is True
    assert loaded.collected_at == collected and loaded.collected_at.tzinfo is not None
    assert loaded.collected_on == dt.date(2024, 5, 6)
    assert loaded.meta == {"a": [1, 2], "b": {"c": None}}
    assert loaded.notes == "long text " * 50
    defaults = URSample.get(name="defaults")
    assert defaults.reads == 2**40 and defaults.quality == 0.5 and defaults.meta == {}
    assert defaults.code is None and defaults.collected_on is None


def test_unknown_fields_are_refused(registries):
    with pytest.raises(FieldValidationError, match="'nmae' is not a valid field for URSample"):
        URSample(nmae="x")
    with pytest.raises(FieldError, match="Unknown field 'nmae'"):
        URSample.filter(nmae="x")


def test_unique_violation_raises_and_writes_nothing(registries):
    URSample(name="taken").save()
    duplicate = URSample(name="taken", code="dup")
    with pytest.raises(IntegrityError, match="URSample"):
        duplicate.save()
    assert duplicate.id is None
    assert URSample.filter(name="taken").count() == 1
    duplicate.name = "free"
    duplicate.save()
    assert URSample.get(name="free").code == "dup"
    with pytest.raises(IntegrityError), ln.atomic():
        label = ln.ULabel(name="written in the block").save()
        URSample(name="in block").save()
        URSample(name="in block").save()
    assert ln.ULabel.filter(name="written in the block").count() == 0
    assert label.name == "written in the block"
    assert URSample.filter(name="in block").count() == 0
    with pytest.raises(IntegrityError):
        ln.models.SQLRecordList([URSample(name="bulk"), URSample(name="bulk")]).save()
    assert URSample.filter(name="bulk").count() == 0


def test_null_is_refused_where_not_allowed(registries):
    # lamindb: a required field missing at construction is a FieldValidationError
    # ("['name'] are required."); cleared afterwards, the save is an IntegrityError
    with pytest.raises(FieldValidationError, match=r"\['name'\] are required"):
        URSample(name=None)
    sample = URSample(name="cleared")
    sample.name = None
    with pytest.raises(IntegrityError):
        sample.save()
    assert URSample.filter().count() == 0


def test_unique_and_db_index_make_database_indexes(registries):
    URSample(name="indexed").save()
    inspector = inspect(ln.settings.instance.engine)
    indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes("ursample")}
    unique = {tuple(uq["column_names"]) for uq in inspector.get_unique_constraints("ursample")}
    unique |= {
        tuple(ix["column_names"]) for ix in inspector.get_indexes("ursample") if ix.get("unique")
    }
    assert ("code",) in indexed
    assert ("name",) in unique
    assert ("label_id",) in indexed and ("experiment_id",) in indexed
    assert ("replicates",) not in indexed


def test_foreign_keys_and_reverse_accessors(registries):
    tissue = ln.ULabel(name="tissue").save()
    experiment = Experiment(name="exp").save()
    s1 = URSample(name="s1", label=tissue, experiment=experiment).save()
    s2 = URSample(name="s2", label_id=tissue.id).save()
    URSample(name="s3").save()
    assert URSample.get(name="s2").label == tissue
    assert sorted(tissue.ur_samples.to_list("name")) == ["s1", "s2"]
    assert experiment.ur_samples.to_list("name") == ["s1"]
    assert sorted(URSample.filter(label__name="tissue").to_list("name")) == ["s1", "s2"]
    assert ln.ULabel.filter(ur_samples__name="s1").to_list("name") == ["tissue"]
    assert Experiment.filter(ur_samples__label__name="tissue").one() == experiment
    df = URSample.filter().to_dataframe(include=["label__name", "experiment__name"])
    assert df.loc[s1.id, "label__name"] == "tissue" and df.loc[s1.id, "experiment__name"] == "exp"
    assert pd.isna(df.loc[s2.id, "experiment__name"])
    with pytest.raises(FieldValidationError, match="expected a ULabel"):
        s1.label = experiment


def test_on_delete_protect_and_cascade(registries):
    tissue = ln.ULabel(name="tissue").save()
    experiment = Experiment(name="exp").save()
    URSample(name="s1", label=tissue, experiment=experiment).save()
    with pytest.raises(IntegrityError, match="reference"):
        tissue.delete(permanent=True)
    assert ln.ULabel.filter(name="tissue").count() == 1
    experiment.delete(permanent=True)
    assert URSample.filter().count() == 0


def test_many_to_many_and_reverse(registries):
    a, b, c = (ln.ULabel(name=n).save() for n in ("tag a", "tag b", "tag c"))
    s1 = URSample(name="s1").save()
    s2 = URSample(name="s2").save()
    s1.tags.add(a, b)
    s2.tags.set([b, c])
    assert sorted(s1.tags.to_list("name")) == ["tag a", "tag b"]
    assert sorted(b.ur_tagged_samples.to_list("name")) == ["s1", "s2"]
    assert sorted(URSample.filter(tags__name="tag b").to_list("name")) == ["s1", "s2"]
    assert URSample.filter(tags__name="tag a").one() == s1
    assert ln.ULabel.filter(ur_tagged_samples__name="s2").count() == 2
    s1.tags.remove(a)
    assert s1.tags.to_list("name") == ["tag b"]
    df = URSample.filter().to_dataframe(include="tags__name")
    assert df.loc[s2.id, "tags__name"] == ["tag b", "tag c"]
    s2.delete(permanent=True)  # its links go with it
    assert b.ur_tagged_samples.to_list("name") == ["s1"]
    with pytest.raises(FieldValidationError, match=r"tags\.add"):
        URSample(name="s4", tags=[a])


def test_class_api(registries):
    for i in range(5):
        URSample(name=f"sample {i}", replicates=i, is_control=i % 2 == 0).save()
    assert URSample.filter(replicates__gte=3).count() == 2
    assert URSample.filter(is_control=True).order_by("-replicates").first().name == "sample 4"
    assert URSample.get(name="sample 2").replicates == 2
    with pytest.raises(DoesNotExist):
        URSample.get(name="nope")
    with pytest.raises(MultipleResultsFound):
        URSample.get(is_control=True)
    with pytest.raises(DoesNotExist):
        URSample.get("no-uid-here")  # URSample has no uid field
    df = URSample.to_dataframe(limit=2)
    assert len(df) == 2 and df["name"].tolist() == ["sample 4", "sample 3"]
    assert URSample.filter(ln.Q(name="sample 0") | ln.Q(replicates=4)).count() == 2
    sample = URSample.get(name="sample 1")
    sample.delete()
    assert URSample.filter().count() == 4
    assert URSample.objects.count() == 5
    sample.restore()
    assert URSample.filter().count() == 5
    assert "URSample(" in repr(sample) and "name='sample 1'" in repr(sample)


def test_registry_referencing_an_unused_registry(instance):
    batch_free_step = URStep(name="no batch yet")
    with pytest.raises(IntegrityError):
        batch_free_step.save()  # batch is required
    batch = URBatch(name="batch 1").save()
    step = URStep(name="step 1", batch=batch).save()
    assert batch.steps.to_list("name") == ["step 1"]
    assert step.batch == batch


def test_user_registry_through_query_db(registries):
    URSample(name="here").save()
    db = ln.models.QueryDB(registries.db)
    assert db.ursamples.to_list("name") == ["here"]
    assert db.URSample.count() == 1
    assert db.experiments.count() == 0


def test_search_and_lookup(registries):
    for name in ("Alpha sample", "Beta sample", "Gamma control"):
        URSample(name=name, code=name[:3].upper()).save()
    hits = URSample.search("beta")
    assert hits.first().name == "Beta sample"
    assert sorted(s.name for s in URSample.search("sample", field="name")) == [
        "Alpha sample",
        "Beta sample",
    ]
    assert URSample.search("Gama control").first().name == "Gamma control"  # a typo
    assert URSample.search("GAM", field=URSample.code).one().name == "Gamma control"
    lookup = URSample.lookup()
    assert lookup.alpha_sample.name == "Alpha sample"
    assert lookup.dict()["Gamma control"] == URSample.get(name="Gamma control")
    assert URSample.lookup(field="code", return_field="name").bet == "Beta sample"
    experiment = Experiment(name="my experiment").save()
    assert Experiment.search("experiment").one() == experiment
    assert Experiment.lookup().my_experiment == experiment
