"""AnnDataCurator: obs and var.T validation, slots reported together, annotation, from_anndata."""

from __future__ import annotations

from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes import SQLRecord, fields
from lamin_pipes.curators import AnnDataCurator
from lamin_pipes.errors import InvalidArgument, ValidationError

pytestmark = pytest.mark.usefixtures("instance")


class CurGene(SQLRecord):
    """A user registry of genes, validated by its ``symbol`` field."""

    symbol: str = fields.CharField(max_length=30, db_index=True)
    ensembl_gene_id: str | None = fields.CharField(max_length=30, null=True)


@pytest.fixture
def gene_type() -> ln.Record:
    gene = ln.Record(name="Gene", is_type=True).save()
    for symbol in ("CD4", "CD8A", "MS4A1"):
        ln.Record(name=symbol, type=gene).save()
    ln.Record(name="CD14", type=gene, synonyms="cd-14").save()
    return gene


@pytest.fixture
def obs_schema() -> ln.Schema:
    cell_type = ln.Feature(name="cell_type", dtype=ln.ULabel).save()
    donor = ln.Feature(name="donor", dtype=str, nullable=False).save()
    ln.ULabel.from_values(["T cell", "B cell"], create=True).save()
    return ln.Schema([cell_type, donor], name="obs").save()


def _adata(var: list[str], cell_types: list[str] | None = None, donors: Any = None) -> ad.AnnData:
    n = 3
    obs = pd.DataFrame(
        {
            "cell_type": cell_types or ["T cell", "B cell", "T cell"],
            "donor": donors if donors is not None else ["d1", "d1", "d2"],
        },
        index=[f"c{i}" for i in range(n)],
    )
    return ad.AnnData(np.ones((n, len(var)), dtype="float32"), obs=obs, var=pd.DataFrame(index=var))


def _composite(obs: ln.Schema, var: ln.Schema) -> ln.Schema:
    return ln.Schema(otype="AnnData", slots={"obs": obs, "var.T": var}, name="anndata").save()


def test_a_matching_anndata_validates(obs_schema: ln.Schema, gene_type: ln.Record) -> None:
    """lamindb validates each slot: obs columns as features, the var index against the itype."""
    var = ln.Schema(itype=gene_type, maximal_set=True, name="genes").save()
    curator = AnnDataCurator(_adata(["CD4", "CD8A"]), _composite(obs_schema, var))

    curator.validate()

    assert curator.report.ok
    assert sorted(curator.slots) == ["obs", "var.T"]


def test_unknown_var_identifiers_fail_a_maximal_set_only(
    obs_schema: ln.Schema, gene_type: ln.Record
) -> None:
    """lamindb: "1 term not validated in columns in slot 'var.T': 'XYZ'" with maximal_set;
    without it unknown identifiers pass (and are not annotated)."""
    lenient = ln.Schema(itype=gene_type, name="genes").save()
    AnnDataCurator(_adata(["CD4", "XYZ"]), _composite(obs_schema, lenient)).validate()
    strict = ln.Schema(itype=gene_type, maximal_set=True, name="strict genes").save()
    curator = AnnDataCurator(_adata(["CD4", "XYZ"]), _composite(obs_schema, strict))

    with pytest.raises(ValidationError) as info:
        curator.validate()

    (problem,) = info.value.report.problems  # type: ignore[attr-defined]
    assert (problem.slot, problem.column, problem.kind, problem.values) == (
        "var.T",
        "columns",
        "non_validated",
        ("XYZ",),
    )
    assert "not validated in Record[Gene].name for column names: 'XYZ'" in problem.message
    assert "curator.slots['var.T'].cat.add_new_from('columns')" in problem.message
    assert "- slot 'var.T', column names:" in str(info.value)


def test_every_slot_is_reported(obs_schema: ln.Schema, gene_type: ln.Record) -> None:
    """lamindb raises for the first failing slot; we report all slots at once."""
    var = ln.Schema(itype=gene_type, maximal_set=True).save()
    adata = _adata(
        ["CD4", "XYZ"], cell_types=["T cell", "Bcell", "T cell"], donors=["d1", None, "d2"]
    )

    report = AnnDataCurator(adata, _composite(obs_schema, var)).report

    assert [(p.slot, p.column, p.kind) for p in report.problems] == [
        ("obs", "cell_type", "non_validated"),
        ("obs", "donor", "nulls"),
        ("var.T", "columns", "non_validated"),
    ]
    assert "in slot 'obs'" in report.problems[0].message


def test_standardize_and_add_new_var_identifiers(
    obs_schema: ln.Schema, gene_type: ln.Record
) -> None:
    """lamindb standardizes synonyms of the var index and registers new identifiers (of the
    itype's type) with add_new_from("columns")."""
    var = ln.Schema(itype=gene_type, maximal_set=True).save()
    adata = _adata(["cd-14", "CD4", "NEW1"])
    curator = AnnDataCurator(adata, _composite(obs_schema, var))
    assert curator.report.problems[0].synonyms == {"cd-14": "CD14"}

    curator.standardize()
    curator.cat.add_new_from("columns")

    assert list(adata.var_names) == ["CD14", "CD4", "NEW1"]
    curator.validate()
    assert ln.Record.get(name="NEW1").type == gene_type


def test_obs_coercion_and_standardize_change_the_anndata(gene_type: ln.Record) -> None:
    """Coerced and standardized obs columns are written into the AnnData's obs."""
    ln.ULabel(name="NK cell", synonyms="natural killer cell").save()
    cell_type = ln.Feature(name="cell_type", dtype=ln.ULabel).save()
    count = ln.Feature(name="count", dtype=int).save()
    obs = ln.Schema([cell_type, count], coerce=True).save()
    var = ln.Schema(itype=gene_type).save()
    adata = ad.AnnData(
        np.ones((2, 1), dtype="float32"),
        obs=pd.DataFrame(
            {"cell_type": ["natural killer cell", "NK cell"], "count": ["1", "2"]},
            index=["a", "b"],
        ),
        var=pd.DataFrame(index=["CD4"]),
    )
    curator = AnnDataCurator(adata, _composite(obs, var))

    curator.standardize()
    curator.validate()

    assert adata.obs["cell_type"].tolist() == ["NK cell", "NK cell"]
    assert str(adata.obs["count"].dtype) == "int64"


def test_var_columns_as_features(obs_schema: ln.Schema) -> None:
    """lamindb: a 'var' slot with a Feature itype validates var's columns as features."""
    biotype = ln.Feature(name="biotype", dtype=str).save()
    var = ln.Schema([biotype], name="var columns").save()
    adata = _adata(["g1", "g2"])
    adata.var["biotype"] = ["protein_coding", "lncRNA"]
    schema = ln.Schema(otype="AnnData", slots={"obs": obs_schema, "var": var}).save()

    AnnDataCurator(adata, schema).validate()

    adata.var["biotype"] = [1, 2]
    (problem,) = AnnDataCurator(adata, schema).report.problems
    assert (problem.slot, problem.column, problem.kind) == ("var", "biotype", "dtype")


def test_a_user_registry_field_as_itype(obs_schema: ln.Schema) -> None:
    """lamindb validates var.T against e.g. bt.Gene.symbol; here a user registry's field."""
    CurGene(symbol="CD4").save()
    CurGene(symbol="CD8A").save()
    var = ln.Schema(itype=CurGene.symbol, maximal_set=True, name="symbols").save()
    assert var.itype == "CurGene.symbol"
    schema = _composite(obs_schema, var)

    AnnDataCurator(_adata(["CD4", "CD8A"]), schema).validate()
    (problem,) = AnnDataCurator(_adata(["CD4", "CD9"]), schema).report.problems
    assert problem.values == ("CD9",) and "CurGene.symbol" in problem.message


def test_save_artifact_links_slots_and_labels(obs_schema: ln.Schema, gene_type: ln.Record) -> None:
    """lamindb: the artifact gets the composite schema, a schema per slot and the obs labels.
    (lamindb 2.12 fails saving the var.T slot of a Record itype; we store an itype schema
    with the number of validated identifiers, as lamindb does for large feature sets.)"""
    var = ln.Schema(itype=gene_type, name="genes").save()
    schema = _composite(obs_schema, var)

    artifact = AnnDataCurator(_adata(["CD4", "CD8A", "XYZ"]), schema).save_artifact(
        key="cells.h5ad"
    )

    assert artifact.schema == schema and artifact.otype == "AnnData"
    slots = artifact.features.slots
    assert sorted(slots) == ["obs", "var.T"]
    assert slots["obs"] == obs_schema  # all of obs's features: the same hash
    assert (slots["var.T"].itype, slots["var.T"].n_members) == (f"Record[{gene_type.uid}]", 2)
    assert artifact.features.get_values() == {"cell_type": {"B cell", "T cell"}}
    text = artifact.describe(return_str=True)
    assert text is not None and "├── Schema" in text
    assert "obs:    obs: cell_type (cat[ULabel]), donor (str)" in text
    assert ": 2 identifiers of Record[Gene].name" in text


def test_from_anndata_curates_on_the_way_in(obs_schema: ln.Schema, gene_type: ln.Record) -> None:
    """lamindb: Artifact.from_anndata(adata, schema=...) validates, then annotates on save()."""
    schema = _composite(obs_schema, ln.Schema(itype=gene_type, maximal_set=True).save())
    with pytest.raises(ValidationError, match="'XYZ'"):
        ln.Artifact.from_anndata(_adata(["XYZ"]), key="bad.h5ad", schema=schema)

    artifact = ln.Artifact.from_anndata(_adata(["CD4"]), key="good.h5ad", schema=schema).save()

    assert artifact.schema == schema
    assert sorted(artifact.features.slots) == ["obs", "var.T"]
    assert ln.Artifact.filter(cell_type="B cell").to_list() == [artifact]


def test_wrong_arguments(obs_schema: ln.Schema, gene_type: ln.Record) -> None:
    """lamindb: "dataset must be AnnData-like", "Schema otype must be 'AnnData'", and
    AnnDataCurator "currently only supports the slots 'var', 'var.T', 'obs', and 'uns'"."""
    var = ln.Schema(itype=gene_type).save()
    with pytest.raises(InvalidArgument, match="takes an AnnData"):
        AnnDataCurator(pd.DataFrame(), _composite(obs_schema, var))
    with pytest.raises(InvalidArgument, match="otype must be 'AnnData'"):
        AnnDataCurator(_adata(["CD4"]), obs_schema)
    odd = ln.Schema(otype="AnnData", slots={"obsm": obs_schema}).save()
    with pytest.raises(InvalidArgument, match="not 'obsm'"):
        AnnDataCurator(_adata(["CD4"]), odd)
    with pytest.raises(InvalidArgument, match="in-memory AnnData, not a path"):
        ln.Artifact.from_anndata("x.h5ad", schema=odd)
