"""Schemas: content hash, optionals, itypes, composites and artifact links (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.errors import (
    FieldValidationError,
    IntegrityError,
    InvalidArgument,
    ValidationError,
)
from lamin_pipes.models import SchemaOptionals

pytestmark = pytest.mark.usefixtures("instance")


@pytest.fixture
def features() -> dict[str, ln.Feature]:
    return {
        "cell_type": ln.Feature(name="cell_type", dtype=ln.ULabel).save(),
        "n_counts": ln.Feature(name="n_counts", dtype=float).save(),
        "donor": ln.Feature(name="donor", dtype=str).save(),
    }


# --- the content hash -----------------------------------------------------------------


def test_an_identical_schema_is_the_saved_one(
    features: dict[str, ln.Feature], caplog: pytest.LogCaptureFixture
) -> None:
    """lamindb: "returning schema with same hash"; a new name updates the saved one."""
    ct, nc, donor = features.values()
    saved = ln.Schema([ct, nc, donor.with_config(optional=True)], name="s1").save()

    with caplog.at_level(logging.INFO, logger="lamin_pipes"):
        again = ln.Schema([nc, donor.with_config(optional=True), ct], name="s2")

    assert again == saved and again.id == saved.id
    assert "returning schema with same hash" in caplog.text
    assert "updated name of Schema from 's1' to 's2'" in caplog.text
    again.save()
    assert ln.Schema.get(saved.id).name == "s2"
    assert ln.Schema.filter().count() == 1


def test_the_hash_covers_definition_not_description(features: dict[str, ln.Feature]) -> None:
    """lamindb hashes members, optionals, constraints, itype and dtype; not name or otype."""
    ct, nc, donor = features.values()
    base = ln.Schema([ct, nc]).hash
    assert ln.Schema([nc, ct], name="x", description="d", otype="DataFrame").hash == base
    different = [
        ln.Schema([ct, nc, donor]),
        ln.Schema([ct, nc.with_config(optional=True)]),
        ln.Schema([ct, nc], maximal_set=True),
        ln.Schema([ct, nc], minimal_set=False),
        ln.Schema([ct, nc], ordered_set=True),
        ln.Schema([ct, nc], coerce=True),
        ln.Schema([ct, nc], flexible=True),
    ]
    hashes = {s.hash for s in different}
    assert base not in hashes and len(hashes) == len(different)
    assert ln.Schema([ct, nc], ordered_set=True).hash != ln.Schema([nc, ct], ordered_set=True).hash


def test_itype_only_schemas_hash_as_lamindb(features: dict[str, ln.Feature]) -> None:
    """lamindb 2.12 gives ln.Schema(itype="Record") the hash 'dBQeDSu8LCoUiItj-dTQlw'."""
    assert ln.Schema(itype=ln.Record).hash == "dBQeDSu8LCoUiItj-dTQlw"
    assert ln.Schema(itype="Record").hash == ln.Schema(itype=ln.Record.name).hash


def test_a_concurrent_duplicate_becomes_the_saved_schema(features: dict[str, ln.Feature]) -> None:
    """Two writers that both miss the lookup: a partial unique index keeps one row per hash."""
    first = ln.Schema([features["donor"]], _search_names=False)
    second = ln.Schema([features["donor"]], _search_names=False)
    first.save()

    second.save()

    assert second.id == first.id
    assert ln.Schema.filter().count() == 1


def test_changing_a_saved_schema_into_another_is_refused(features: dict[str, ln.Feature]) -> None:
    """lamindb: "Another schema already has this hash" when a save would duplicate one."""
    ct, nc, donor = features.values()
    optional = ln.Schema([ct, nc, donor.with_config(optional=True)], name="optional").save()
    required = ln.Schema([ct, nc, donor], name="required").save()
    required.optionals.add(donor)

    with pytest.raises(ValidationError, match=r"'optional'.*exists already"):
        required.save()
    assert optional.hash != ln.Schema.get(required.id).hash


def test_a_trashed_schema_is_not_returned(features: dict[str, ln.Feature]) -> None:
    """lamindb looks up saved schemas by hash outside the trash."""
    saved = ln.Schema([features["donor"]]).save()
    saved.delete()

    fresh = ln.Schema([features["donor"]]).save()

    assert fresh.id != saved.id


# --- optionals ------------------------------------------------------------------------


def test_optionals_get_set_add_remove(features: dict[str, ln.Feature]) -> None:
    """lamindb's SchemaOptionals: uids in _aux without a query, changes saved with the schema."""
    ct, nc, donor = features.values()
    schema = ln.Schema([ct, nc, donor], optionals=[donor]).save()
    assert isinstance(schema.optionals, SchemaOptionals)
    assert schema.optionals.get_uids() == [donor.uid]
    assert schema.optionals.get().to_list("name") == ["donor"]
    first_hash = schema.hash

    schema.optionals.add(nc)
    schema.optionals.remove(donor)
    schema.save()

    reloaded = ln.Schema.get(schema.id)
    assert reloaded.optionals.get().to_list("name") == ["n_counts"]
    assert reloaded.hash != first_hash
    schema.optionals.set([])
    schema.save()
    assert ln.Schema.get(schema.id).optionals.get_uids() == []


def test_optionals_refuse_other_arguments(features: dict[str, ln.Feature]) -> None:
    """lamindb: set() takes a list of Feature records (TypeError); add() takes members only."""
    ct, nc, donor = features.values()
    schema = ln.Schema([ct, nc]).save()

    with pytest.raises(TypeError, match="list of Feature records"):
        schema.optionals.set(ct)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of Feature records"):
        schema.optionals.set(["cell_type"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="Feature or a list"):
        schema.optionals.add("cell_type")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Feature or a list"):
        schema.optionals.remove(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"\['donor'\] are not part of the schema"):
        schema.optionals.add(donor)
    relaxed = ln.Schema([ct, nc], minimal_set=False).save()
    relaxed.optionals.add(ct)  # every feature is optional already: nothing changes
    assert relaxed.optionals.get_uids() == []


def test_schema_add_and_remove_features(features: dict[str, ln.Feature]) -> None:
    """lamindb's Schema.add() adds optional features; remove() drops them; both save."""
    ct, nc, donor = features.values()
    schema = ln.Schema([ct, nc], name="growing").save()

    schema.add(donor)

    reloaded = ln.Schema.get(schema.id)
    assert reloaded.members.to_list("name") == ["cell_type", "n_counts", "donor"]
    assert reloaded.optionals.get().to_list("name") == ["donor"]
    assert reloaded.n_members == 3
    with pytest.raises(NotImplementedError):
        schema.add(donor, optional=False)
    reloaded.remove(donor)
    assert ln.Schema.get(schema.id).members.to_list("name") == ["cell_type", "n_counts"]


# --- construction ---------------------------------------------------------------------


def test_members_keep_their_order(features: dict[str, ln.Feature]) -> None:
    """lamindb orders members by their link rows: the order they were given in."""
    ct, nc, donor = features.values()
    schema = ln.Schema([donor, ct, nc]).save()

    assert ln.Schema.get(schema.id).members.to_list("name") == ["donor", "cell_type", "n_counts"]
    assert sorted(schema.features.to_list("name")) == ["cell_type", "donor", "n_counts"]
    assert ct.schemas.to_list() == [schema]


def test_defaults_as_lamindb(features: dict[str, ln.Feature]) -> None:
    """lamindb: itype Feature and flexible=False with features; flexible=True without."""
    schema = ln.Schema([features["donor"]])
    assert (schema.itype, schema.flexible, schema.n_members, schema.dtype) == (
        "Feature",
        False,
        1,
        None,
    )
    assert (schema.minimal_set, schema.maximal_set, schema.ordered_set) == (True, False, False)
    assert schema.coerce is None
    flexible = ln.Schema(itype=ln.Feature)
    assert (flexible.itype, flexible.flexible, flexible.n_members) == ("Feature", True, None)
    genes = ln.Schema(itype=ln.Record.name)
    assert (genes.itype, genes.dtype) == ("Record", "num")


def test_itype_forms(features: dict[str, ln.Feature]) -> None:
    """lamindb stores a registry field as its itype ('Record', 'ULabel.uid') and a type as
    'Record[<uid>]'; we store a type given by name by uid, as feature dtypes do."""
    gene = ln.Record(name="Gene", is_type=True).save()
    cell_types = ln.Feature(name="CellTypes", is_type=True).save()

    assert ln.Schema(itype=ln.ULabel.uid).itype == "ULabel.uid"
    assert ln.Schema(itype=gene).itype == f"Record[{gene.uid}]"
    assert ln.Schema(itype="Record[Gene]").itype == f"Record[{gene.uid}]"
    assert ln.Schema(itype=cell_types).itype == f"Feature[{cell_types.uid}]"
    with pytest.raises(InvalidArgument, match="Invalid itype 'Nothing'"):
        ln.Schema(itype="Nothing")
    with pytest.raises(InvalidArgument, match="no string field 'id'"):
        ln.Schema(itype="Record.id")
    with pytest.raises(InvalidArgument, match="is no type"):
        ln.Schema(itype=ln.Record(name="plain").save())
    with pytest.raises(ValidationError, match="no Record type 'Protein'"):
        ln.Schema(itype="Record[Protein]")


def test_constructor_errors(features: dict[str, ln.Feature]) -> None:
    """lamindb refuses schemas with nothing to define them, unsaved members, and more."""
    ct = features["cell_type"]
    with pytest.raises(InvalidArgument, match="Please pass features, slots or itype"):
        ln.Schema()
    with pytest.raises(InvalidArgument, match="takes a list of Feature records"):
        ln.Schema(ct)
    with pytest.raises(InvalidArgument, match="Save feature 'unsaved'"):
        ln.Schema([ln.Feature(name="unsaved", dtype=int)])
    with pytest.raises(InvalidArgument, match="Schema members are Feature records"):
        ln.Schema([ln.ULabel(name="a label").save()])
    with pytest.raises(InvalidArgument, match="repeated: 'cell_type'"):
        ln.Schema([ct, ct])
    with pytest.raises(InvalidArgument, match="otype"):
        ln.Schema(slots={"obs": ln.Schema([ct]).save()})
    with pytest.raises(InvalidArgument, match="Save the schema of slot 'obs'"):
        ln.Schema(otype="AnnData", slots={"obs": ln.Schema([features["donor"]])})
    with pytest.raises(FieldValidationError, match="'index' is not a valid argument"):
        ln.Schema([ct], index=ct)
    with pytest.raises(InvalidArgument, match="optionals"):
        ln.Schema([ct], optionals=[features["donor"]])
    with pytest.raises(InvalidArgument, match="simple dtype"):
        ln.Schema(itype=ln.Record, dtype="cat[ULabel]")


def test_composite_schema(features: dict[str, ln.Feature]) -> None:
    """lamindb: a composite has otype, slots, no itype; its hash is a hash of slot hashes."""
    obs = ln.Schema([features["cell_type"]], name="obs").save()
    var = ln.Schema(itype=ln.Record, name="var").save()

    composite = ln.Schema(otype="AnnData", slots={"obs": obs, "var.T": var}, name="ad").save()

    reloaded = ln.Schema.get(composite.id)
    assert reloaded.slots == {"obs": obs, "var.T": var}
    assert (reloaded.itype, reloaded.n_members, reloaded.otype) == (None, None, "AnnData")
    assert ln.Schema(otype="AnnData", slots={"var.T": var, "obs": obs}) == composite
    assert ln.Schema(otype="AnnData", slots={"obs": obs}).hash != composite.hash
    text = composite.describe(return_str=True)
    assert text is not None
    assert "obs: obs" in text and "var.T: var" in text and "cell_type  cat[ULabel]" in text


def test_schema_types(features: dict[str, ln.Feature]) -> None:
    """lamindb groups schemas under types (is_type=True), which have no hash."""
    panel = ln.Schema(name="ProteinPanel", is_type=True).save()
    schema = ln.Schema([features["donor"]], type=panel).save()

    assert panel.hash is None
    assert panel.query_schemas().to_list() == [schema]
    assert ln.Schema(name="ProteinPanel", is_type=True) == panel


# --- artifacts ------------------------------------------------------------------------


def test_artifact_constructor_refuses_a_schema(features: dict[str, ln.Feature]) -> None:
    """lamindb: a content schema "cannot be validated by Artifact()": use from_dataframe()."""
    schema = ln.Schema([features["donor"]]).save()

    with pytest.raises(InvalidArgument, match="from_dataframe"):
        ln.Artifact(pd.DataFrame({"donor": ["d1"]}), key="x.parquet", schema=schema)


def test_a_schema_that_validated_artifacts_is_protected(features: dict[str, ln.Feature]) -> None:
    """lamindb protects a schema referenced by Artifact.schema from deletion."""
    schema = ln.Schema([features["donor"]]).save()
    artifact = ln.Artifact.from_dataframe(
        pd.DataFrame({"donor": ["d1"]}), key="protected.parquet", schema=schema
    ).save()
    assert artifact.schema == schema
    assert schema.validated_artifacts.to_list() == [artifact]

    with pytest.raises(IntegrityError):
        schema.delete(permanent=True)


def test_add_values_with_a_schema(features: dict[str, ln.Feature]) -> None:
    """lamindb validates add_values(values, schema=...) against the schema's features."""
    _, nc, donor = features.values()
    schema = ln.Schema([nc, donor], maximal_set=True, name="meta").save()
    run = ln.Run(ln.Transform(key="schema values").save()).save()

    run.features.add_values({"n_counts": 3.0, "donor": "d1"}, schema=schema)

    assert run.features.get_values() == {"donor": "d1", "n_counts": 3.0}
    with pytest.raises(ValidationError, match="missing required features: 'donor'"):
        run.features.add_values({"n_counts": 3.0}, schema=schema)
    with pytest.raises(ValidationError, match="features not in the schema: 'cell_type'"):
        run.features.add_values({"n_counts": 3.0, "donor": "d", "cell_type": "T"}, schema=schema)
    composite = ln.Schema(otype="AnnData", slots={"obs": schema}).save()
    with pytest.raises(InvalidArgument, match="composite"):
        run.features.add_values({"donor": "d1"}, schema=composite)
