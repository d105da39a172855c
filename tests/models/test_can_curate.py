"""Curation: from_values, validate, inspect, standardize and the synonym methods."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes import SQLRecord, fields
from lamin_pipes.errors import FieldError, InvalidArgument, ValidationError
from lamin_pipes.models import CanCurate, InspectResult, SQLRecordList, ValidateFields
from lamin_pipes.models._from_values import new_records


class CurateOrganism(SQLRecord):
    name: str = fields.CharField(max_length=40)


class CurateGene(SQLRecord, CanCurate):
    """A registry with its own name field, an organism and a custom constructor."""

    _name_field = "symbol"

    symbol: str = fields.CharField(max_length=40)
    synonyms: str | None = fields.TextField(null=True)
    note: str | None = fields.CharField(max_length=40, null=True)
    organism: Any = fields.ForeignKey(
        CurateOrganism, fields.PROTECT, null=True, related_name="curate_genes"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("note", "made by __init__")
        super().__init__(*args, **kwargs)


@pytest.fixture
def lamin(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="lamin_pipes")
    return caplog


def names(records: Any) -> list[str]:
    return [r.name for r in records]


# --- from_values ---------------------------------------------------------------------


def test_from_values_without_create_returns_existing_only(instance, lamin):
    assert len(ln.ULabel.from_values(["benchmark", "prediction", "test"])) == 0
    assert "did not create 3 ULabel records for 3 non-validated names" in lamin.text
    assert "'benchmark', 'prediction', 'test'" in lamin.text


def test_from_values_create_builds_unsaved_records_in_input_order(instance):
    labels = ln.ULabel.from_values(["b", "a", "", "b", None, "c"], create=True)
    assert isinstance(labels, SQLRecordList)
    assert names(labels) == ["b", "a", "c"]
    assert all(label.id is None for label in labels)
    assert ln.ULabel.filter().count() == 0
    assert labels.save() is labels
    assert all(isinstance(label.id, int) for label in labels)
    assert sorted(ln.ULabel.filter().to_list("name")) == ["a", "b", "c"]
    saved = ln.ULabel.get(name="a")
    assert saved.created_by_id == ln.settings.user.id
    assert saved.branch_id == 1 and saved.is_type is False
    assert len(saved.uid) == 8
    assert len({label.uid for label in labels}) == 3


def test_from_values_records_match_the_constructor(instance):
    fast = new_records(ln.ULabel, "name", ["x"])[0]
    slow = ln.ULabel(name="x")
    generated = {"uid", "created_at", "updated_at", "_sa_instance_state"}
    fast_state = {k: v for k, v in fast.__dict__.items() if k not in generated}
    slow_state = {k: v for k, v in slow.__dict__.items() if k not in generated}
    assert fast_state == slow_state
    assert set(fast.__dict__) == set(slow.__dict__)
    assert all(
        c in "".join(r.uid for r in new_records(ln.ULabel, "name", ["a"] * 200)) for c in "09azAZ"
    )
    fast.save()  # a single save works as for a constructed record
    assert ln.ULabel.get(name="x").uid == fast.uid


def test_from_values_mixes_existing_and_new_records(instance, lamin):
    existing = ln.ULabel(name="Label1").save()
    labels = ln.ULabel.from_values(["new1", "Label1", "new2"], create=True)
    assert names(labels) == ["new1", "Label1", "new2"]
    assert labels[1] == existing and labels[1].id == existing.id
    assert "loaded 1 ULabel record matching name: 'Label1'" in lamin.text
    assert "created 2 ULabel records (unsaved) for name: 'new1', 'new2'" in lamin.text
    labels.save()
    assert ln.ULabel.filter(name="Label1").count() == 1
    assert ln.ULabel.filter().count() == 3


def test_from_values_matches_casing_and_synonyms(instance, lamin):
    t_cell = ln.ULabel(name="T cell", synonyms="T-cell|T lymphocyte").save()
    b_cell = ln.ULabel(name="B cell").save()
    labels = ln.ULabel.from_values(["t lymphocyte", "b CELL", "T-cell", "NK cell"])
    assert labels.to_list("id") == [t_cell.id, b_cell.id]
    assert "loaded 2 ULabel records matching synonyms: 't lymphocyte', 'T-cell'" in lamin.text
    assert "did not create 1 ULabel record for 1 non-validated name: 'NK cell'" in lamin.text
    created = ln.ULabel.from_values(["T-cell", "NK cell"], create=True, mute=True)
    assert created[0] == t_cell
    assert created[1].id is None and created[1].name == "NK cell"


def test_from_values_returns_every_record_sharing_a_value(instance):
    first = ln.ULabel(name="dup").save()
    second = ln.ULabel(name="dup", _search_names=False).save()  # a deliberate twin
    other = ln.ULabel(name="other").save()
    assert ln.ULabel.from_values(["other", "dup"]).to_list("id") == [
        other.id,
        first.id,
        second.id,
    ]


def test_from_values_reference_example_on_records(instance):
    records = ln.Record.from_values(
        ["Label1", "Label2", "Label3"], field="name", create=True
    ).save()
    assert len(records) == 3
    assert ln.Record.filter(name__startswith="Label").count() == 3
    again = ln.Record.from_values(["Label1", "Label2", "Label3"], field="name", create=True)
    assert again.to_list("id") == records.to_list("id")


@pytest.mark.parametrize(
    "values",
    [
        np.array(["a", "b", "a"]),
        pd.Series(["a", "b", "a"]),
        pd.Index(["a", "b", "a"]),
        pd.Categorical(["a", "b", "a"]),
        ("a", "b", "a"),
        [["a"], ["b", "a"]],
    ],
    ids=["ndarray", "series", "index", "categorical", "tuple", "nested"],
)
def test_from_values_takes_list_likes(instance, values):
    assert names(ln.ULabel.from_values(values, create=True, mute=True)) == ["a", "b"]


def test_from_values_on_other_fields(instance):
    ln.ULabel(name="x", reference="ref-1").save()
    found = ln.ULabel.from_values(
        ["ref-1", "ref-2"], field=ln.ULabel.reference, create=True, mute=True
    )
    assert [(r.name, r.reference) for r in found] == [("x", "ref-1"), (None, "ref-2")]
    handle = ln.settings.user.handle
    assert ln.User.from_values([handle]).to_list("handle") == [handle]


def test_from_values_uses_a_custom_constructor(instance):
    genes = CurateGene.from_values(["BRCA2", "A1CF"], create=True, mute=True).save()
    assert [(g.symbol, g.note) for g in genes] == [
        ("BRCA2", "made by __init__"),
        ("A1CF", "made by __init__"),
    ]
    assert CurateGene.from_values(["a1cf"]).to_list("symbol") == ["A1CF"]


def test_from_values_restricts_by_organism(instance):
    human = CurateOrganism(name="human").save()
    mouse = CurateOrganism(name="mouse").save()
    CurateGene(symbol="Tp53", organism=mouse).save()
    human_gene = CurateGene(symbol="TP53", organism=human).save()
    assert CurateGene.from_values(["TP53"], organism="human").to_list("id") == [human_gene.id]
    assert CurateGene.from_values(["tp53"], organism=mouse).to_list("symbol") == ["Tp53"]
    assert CurateGene.validate(["Tp53"], organism=human, mute=True).tolist() == [False]


def test_from_values_errors(instance):
    with pytest.raises(FieldError) as error:
        ln.ULabel.from_values(["a"], field="is_type")
    message = str(error.value)
    assert "'is_type' of ULabel" in message
    assert (
        "String fields: name, description, reference, reference_type, synonyms, abbr, uid"
        in message
    )
    with pytest.raises(FieldError, match="Unknown field 'nme' of ULabel"):
        ln.ULabel.from_values(["a"], field="nme")
    with pytest.raises(InvalidArgument, match=r"ULabel.name holds strings; got 1 \(int\)"):
        ln.ULabel.from_values(["a", 1])
    with pytest.raises(InvalidArgument, match="got None"):
        ln.ULabel.from_values(None)


# --- validate ------------------------------------------------------------------------


@pytest.fixture
def genes(instance):
    return ln.ULabel.from_values(["A1CF", "A1BG", "BRCA2"], create=True, mute=True).save()


def test_validate_reference_example(genes, lamin):
    result = ln.ULabel.validate(["A1CF", "A1BG", "FANCD1", "FANCD20"], field=ln.ULabel.name)
    assert isinstance(result, np.ndarray) and result.dtype == bool
    assert result.tolist() == [True, True, False, False]
    assert "2 unique terms (50.00%) are validated for name" in lamin.text
    assert "2 unique terms (50.00%) are not validated for name: 'FANCD1', 'FANCD20'" in lamin.text


def test_validate_is_case_sensitive_and_skips_empty_values(genes, lamin):
    result = ln.ULabel.validate(["a1cf", "A1CF", "", None, "A1CF"])
    assert result.tolist() == [False, True, False, False, True]
    assert "received 2 unique terms, 3 empty/duplicated terms are ignored" in lamin.text


def test_validate_single_string_and_mute(genes, lamin):
    assert ln.ULabel.validate("BRCA2", mute=True) is np.True_
    assert not ln.ULabel.validate("brca2", mute=True)
    assert lamin.text == ""


def test_validate_empty_registry_and_empty_input(instance, lamin):
    assert ln.ULabel.validate(["a", "b"]).tolist() == [False, False]
    assert "Your ULabel registry is empty, consider populating it first!" in lamin.text
    assert ln.ULabel.validate([]).tolist() == []
    assert "input has zero length" in lamin.text


def test_validate_on_a_query_set_and_other_fields(genes):
    ln.ULabel(name="type", is_type=True, reference="REF").save()
    assert ln.ULabel.filter(is_type=True).validate(["A1CF", "type"], mute=True).tolist() == [
        False,
        True,
    ]
    assert ln.ULabel.validate(["REF", "ref"], field="reference", mute=True).tolist() == [
        True,
        False,
    ]
    genes[0].delete()  # trashed records do not validate
    assert ln.ULabel.validate(["A1CF"], mute=True).tolist() == [False]


def test_validate_many_values(genes):
    values = [f"missing-{i}" for i in range(2000)] + ["BRCA2"]
    result = ln.ULabel.validate(values, mute=True)
    assert result.sum() == 1 and bool(result[-1])


def test_validate_field_errors(instance):
    with pytest.raises(FieldError, match="Not a string field: 'created_at' of ULabel"):
        ln.ULabel.validate(["a"], field="created_at")
    with pytest.raises(FieldError, match="'type' of ULabel"):
        ln.ULabel.validate(["a"], field=ln.ULabel.type)


# --- inspect -------------------------------------------------------------------------


def test_inspect_reference_example(genes, lamin):
    result = ln.ULabel.inspect(["A1CF", "A1BG", "FANCD1", "FANCD20"], field=ln.ULabel.name)
    assert isinstance(result, InspectResult)
    assert result.validated == ["A1CF", "A1BG"]
    assert result.non_validated == ["FANCD1", "FANCD20"]
    assert result["validated"] == result.validated
    assert result["not_mapped"] == result.non_validated
    assert result.frac_validated == 50.0
    assert (result.n_unique, result.n_empty) == (4, 0)
    assert result.synonyms_mapper == {}
    assert result.df["__validated__"].tolist() == [True, True, False, False]
    assert result.df.index.tolist() == ["A1CF", "A1BG", "FANCD1", "FANCD20"]
    assert "couldn't validate 2 terms: 'FANCD1', 'FANCD20'" in lamin.text
    assert "create new records via ULabel()" in lamin.text
    with pytest.raises(KeyError, match="Valid keys"):
        result["other"]


def test_inspect_detects_casing_and_synonyms(genes, lamin):
    ln.ULabel.get(name="BRCA2").add_synonym("FANCD1")
    result = ln.ULabel.inspect(["a1cf", "FANCD1", "A1BG", "A1BG", "", "nope"])
    assert result.validated == ["A1BG"]
    assert result.non_validated == ["a1cf", "FANCD1", "nope"]
    assert result.synonyms_mapper == {"a1cf": "A1CF", "FANCD1": "BRCA2"}
    assert result.frac_validated == pytest.approx(100 - 75.0)
    assert (result.n_unique, result.n_empty) == (4, 2)
    assert (
        "detected 2 unique terms with inconsistent casing/synonyms: 'a1cf', 'FANCD1'" in lamin.text
    )
    assert "standardize terms via .standardize()" in lamin.text
    assert "couldn't validate 1 term: 'nope'" in lamin.text


def test_inspect_other_fields_do_not_map_synonyms(genes):
    ln.ULabel.filter(name="A1CF").update(reference="ref")
    result = ln.ULabel.inspect(["ref", "REF"], field="reference", mute=True)
    assert result.validated == ["ref"]
    assert result.synonyms_mapper == {}


def test_inspect_result_and_validate_fields_classes(instance):
    df = pd.DataFrame({"__validated__": [True]}, index=["x"])
    result = InspectResult(df, ["x"], [], 100.0, 0, 1)
    assert (result.validated, result.non_validated, result.frac_validated) == (["x"], [], 100.0)
    assert result.df is df and result.n_unique == 1 and result.n_empty == 0
    assert "validated=1" in repr(result)
    assert isinstance(ValidateFields(), ValidateFields)
    empty = ln.ULabel.inspect(["", None], mute=True)
    assert (empty.n_unique, empty.frac_validated, empty.n_empty) == (0, 0.0, 2)


# --- standardize ---------------------------------------------------------------------


@pytest.fixture
def cells(instance):
    return {
        "t": ln.ULabel(name="T cell", synonyms="T-cell|T lymphocyte|lymphocyte").save(),
        "b": ln.ULabel(name="B cell", synonyms="B-cell|lymphocyte").save(),
        "nk": ln.ULabel(name="NK cell").save(),
    }


def test_standardize_reference_example(genes):
    ln.ULabel.get(name="BRCA2").add_synonym("FANCD1")
    standardized = ln.ULabel.standardize(["A1CF", "A1BG", "FANCD1", "FANCD20"], mute=True)
    assert standardized == ["A1CF", "A1BG", "BRCA2", "FANCD20"]


def test_standardize_casing_synonyms_and_logging(cells, lamin):
    values = ["t cell", "B-cell", "T LYMPHOCYTE", "NK cell", "unknown", None]
    assert ln.ULabel.standardize(values) == [
        "T cell",
        "B cell",
        "T cell",
        "NK cell",
        "unknown",
        None,
    ]
    assert "standardized 3/6 terms" in lamin.text


def test_standardize_case_sensitive(cells):
    result = ln.ULabel.standardize(
        ["t cell", "T lymphocyte", "t lymphocyte"], case_sensitive=True, mute=True
    )
    assert result == ["t cell", "T cell", "t lymphocyte"]


def test_standardize_return_mapper(cells):
    mapper = ln.ULabel.standardize(
        ["T-cell", "NK cell", "nk CELL", "x"], return_mapper=True, mute=True
    )
    assert mapper == {"T-cell": "T cell", "nk CELL": "NK cell"}


def test_standardize_keep(cells, lamin):
    assert ln.ULabel.standardize(["lymphocyte"], mute=True) == ["T cell"]
    assert ln.ULabel.standardize("lymphocyte", mute=True) == "T cell"
    assert ln.ULabel.standardize(["lymphocyte", "T-cell"], keep="last", mute=True) == [
        "B cell",
        "T cell",
    ]
    result = ln.ULabel.standardize(["lymphocyte", "T-cell"], keep=False)
    assert result == [["T cell", "B cell"], "T cell"]
    assert "returning list might contain lists when 'keep=False'" in lamin.text
    mapper = ln.ULabel.standardize(["lymphocyte"], keep=False, return_mapper=True, mute=True)
    assert mapper == {"lymphocyte": ["T cell", "B cell"]}
    with pytest.raises(InvalidArgument) as error:
        ln.ULabel.standardize(["x"], keep="middle")
    assert "Invalid keep='middle'. Valid options: 'first', 'last', False" in str(error.value)


def test_standardize_return_field(cells):
    uids = ln.ULabel.standardize(["t-cell", "NK cell", "x"], return_field="uid", mute=True)
    assert uids == [cells["t"].uid, cells["nk"].uid, "x"]
    mapper = ln.ULabel.standardize(
        ["t-cell", "NK cell", "x"], return_field=ln.ULabel.uid, return_mapper=True, mute=True
    )
    assert mapper == {"t-cell": cells["t"].uid, "NK cell": cells["nk"].uid}
    twin = ln.ULabel(name="NK cell", _search_names=False).save()
    last = ln.ULabel.standardize(["NK cell"], return_field="id", keep="last", mute=True)
    assert last == [twin.id]
    both = ln.ULabel.standardize(["NK cell"], return_field="id", keep=False, mute=True)
    assert both == [[cells["nk"].id, twin.id]]


def test_standardize_synonyms_field_and_scalar(cells):
    assert ln.ULabel.standardize("T-cell", mute=True) == "T cell"
    assert ln.ULabel.standardize("T-cell", synonyms_field=None, mute=True) == "T-cell"
    assert ln.ULabel.standardize(pd.Series(["t cell"]), mute=True) == ["T cell"]
    with pytest.raises(FieldError, match="Unknown synonyms_field 'aliases'"):
        ln.ULabel.standardize(["x"], synonyms_field="aliases")
    with pytest.raises(FieldError, match="synonyms_field must be a string field"):
        ln.ULabel.standardize(["x"], synonyms_field="is_type")
    assert ln.Project.standardize(["x"], mute=True) == ["x"]  # no synonyms field


def test_standardize_on_a_query_set(cells):
    qs = ln.ULabel.filter(name__startswith="B")
    assert qs.standardize(["lymphocyte", "t cell"], mute=True) == ["B cell", "t cell"]
    assert qs.validate(["B cell", "T cell"], mute=True).tolist() == [True, False]
    assert qs.inspect(["b cell"], mute=True).synonyms_mapper == {"b cell": "B cell"}


def test_standardize_many_values_matches_the_small_path(cells):
    values = ["t cell", "B-CELL", "lymphocyte", "nope"]
    small = ln.ULabel.standardize(values, mute=True)
    many = ln.ULabel.standardize(values + [f"filler-{i}" for i in range(1000)], mute=True)
    assert many[:4] == small == ["T cell", "B cell", "T cell", "nope"]


def test_standardize_non_ascii_casing(instance):
    ln.ULabel(name="Émile", synonyms="ÉMILIE").save()
    assert ln.ULabel.standardize(["émile", "émilie"], mute=True) == ["Émile", "Émile"]


# --- synonyms and abbreviations ------------------------------------------------------


def test_add_synonym_saves_saved_records(instance):
    record = ln.Record(name="T cell", synonyms="T-cell|T lymphocyte").save()
    record.add_synonym("T cells")
    assert record.synonyms == "T-cell|T lymphocyte|T cells"
    assert ln.Record.get(name="T cell").synonyms == "T-cell|T lymphocyte|T cells"
    record.add_synonym(["T-cell", "CD3+ cell", ""])
    assert ln.Record.get(name="T cell").synonyms == "T-cell|T lymphocyte|T cells|CD3+ cell"


@pytest.mark.parametrize(
    "synonyms",
    [pd.Series(["a", "b"]), np.array(["a", "b"]), ["a", "b", "a"]],
    ids=["series", "ndarray", "list"],
)
def test_add_synonym_takes_list_likes(instance, synonyms):
    label = ln.ULabel(name="x").save()
    label.add_synonym(synonyms)
    assert ln.ULabel.get(name="x").synonyms == "a|b"


def test_add_synonym_save_argument(instance):
    label = ln.ULabel(name="x").save()
    label.add_synonym("y", save=False)
    assert label.synonyms == "y"
    assert ln.ULabel.get(name="x").synonyms is None
    unsaved = ln.ULabel(name="z")
    unsaved.add_synonym("zz")
    assert unsaved.id is None and unsaved.synonyms == "zz"
    unsaved.add_synonym("zzz", save=True)
    assert ln.ULabel.get(name="z").synonyms == "zz|zzz"
    label.add_synonym("")
    label.add_synonym([])
    assert label.synonyms == "y"


def test_add_synonym_refuses_the_separator(instance):
    label = ln.ULabel(name="x").save()
    with pytest.raises(ValidationError, match=r"A synonym can't contain '\|'.*'a\|b'"):
        label.add_synonym(["ok", "a|b"])
    assert ln.ULabel.get(name="x").synonyms is None


def test_add_synonym_refuses_synonyms_of_other_records(instance):
    owner = ln.ULabel(name="T cell", synonyms="T-cell|Tc").save()
    other = ln.ULabel(name="T lymphocyte").save()
    with pytest.raises(ValidationError) as error:
        other.add_synonym(["T-cell", "new"])
    message = str(error.value)
    assert "'T-cell' of ULabel 'T cell'" in message
    assert f"uid '{owner.uid}'" in message
    assert "force=True" in message
    assert ln.ULabel.get(name="T lymphocyte").synonyms is None
    other.add_synonym("t-cell")  # synonyms are case-sensitive
    other.add_synonym("T-cell", force=True)
    assert ln.ULabel.get(name="T lymphocyte").synonyms == "t-cell|T-cell"
    owner.add_synonym("Tc")  # its own synonym: no clash, no duplicate
    assert owner.synonyms == "T-cell|Tc"


def test_remove_synonym(instance):
    record = ln.Record(name="T cell", synonyms="T-cell|T lymphocyte|T-lymphocyte").save()
    record.remove_synonym("T-cell")
    assert ln.Record.get(name="T cell").synonyms == "T lymphocyte|T-lymphocyte"
    record.remove_synonym(["T lymphocyte", "T-lymphocyte", "absent"])
    assert record.synonyms is None
    assert ln.Record.get(name="T cell").synonyms is None


def test_set_abbr(instance):
    record = ln.Record(name="single-cell RNA sequencing", synonyms="scRNA-seq").save()
    assert record.abbr is None
    record.set_abbr("scRNA")
    stored = ln.Record.get(name="single-cell RNA sequencing")
    assert (stored.abbr, stored.synonyms) == ("scRNA", "scRNA-seq|scRNA")
    same = ln.ULabel(name="DNA")
    same.set_abbr("DNA")  # the name itself is not a synonym; unsaved stays unsaved
    assert (same.abbr, same.synonyms, same.id) == ("DNA", None, None)
    project = ln.Project(name="Project X").save()
    project.set_abbr("PX")  # no synonyms field: the abbreviation only
    assert ln.Project.get(name="Project X").abbr == "PX"


def test_synonym_methods_need_the_fields(instance):
    project = ln.Project(name="p").save()
    with pytest.raises(FieldError, match="Project has no 'synonyms' field"):
        project.add_synonym("x")
    with pytest.raises(FieldError, match="Project has no 'synonyms' field"):
        project.remove_synonym("x")
    with pytest.raises(FieldError, match="User has no 'abbr' field"):
        ln.settings.user.set_abbr("x")


def test_can_curate_is_a_mixin_of_the_registries(instance):
    for registry in (ln.ULabel, ln.Record, ln.Project, ln.User):
        assert issubclass(registry, CanCurate)


def test_validate_on_an_integer_field_and_class_only_methods(instance):
    # lamindb: User.validate([1, 2], field=User.id) -> [True, False]; calling a curation
    # method on a record raises TypeError ("... is a class method ...")
    user_id = ln.settings.user.id
    found = ln.User.validate([user_id, user_id + 1000], field=ln.User.id, mute=True)
    assert found.tolist() == [True, False]
    assert ln.User.validate(user_id, field="id", mute=True)
    label = ln.ULabel(name="x")
    for method in ("validate", "inspect", "standardize", "from_values"):
        with pytest.raises(TypeError, match=rf"ULabel.{method}\(\) is a class method"):
            getattr(label, method)(["x"])
    assert ln.ULabel.validate(["x"], mute=True).tolist() == [False]
