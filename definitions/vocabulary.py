"""What curated batches are validated against: registered labels, genes and one schema.

- ``ULabel`` types ``CellType``, ``Donor`` and ``Tissue`` with their labels (``"T cell"``
  knows its synonym ``"T-cell"``);
- ``Record`` type ``Gene`` with the gene symbols of the synthetic batches;
- features ``cell_type``, ``donor``, ``tissue`` (``cat[ULabel[<type>]]``);
- the composite AnnData schema :data:`SCHEMA`: slot ``obs`` = those three features,
  slot ``var.T`` = the var index against the ``Gene`` records.

:func:`register` is idempotent (it looks up before it creates), so every curation step
can call it: the first one on a new registry creates the vocabulary.
"""

from __future__ import annotations

from typing import Any

from . import _synthetic

#: The schema curated batches are validated against (its name).
SCHEMA = "single_cell_batch"
OBS_SCHEMA = "single_cell_obs"
GENES_SCHEMA = "gene_symbols"
#: obs column → (ULabel type, its labels).
LABELS = {
    "cell_type": ("CellType", _synthetic.CELL_TYPES),
    "donor": ("Donor", _synthetic.DONORS),
    "tissue": ("Tissue", _synthetic.TISSUES),
}
GENE_TYPE = "Gene"


def _type(ln: Any, registry: Any, name: str) -> Any:
    found = registry.filter(name=name, is_type=True).first()
    return found if found is not None else registry(name=name, is_type=True).save()


def register(ln: Any) -> Any:
    """Register labels, genes, features and the schema (what is missing); the schema."""
    found = ln.Schema.filter(name=SCHEMA).first()
    if found is not None:
        return found
    features = []
    for column, (type_name, names) in LABELS.items():
        label_type = _type(ln, ln.ULabel, type_name)
        have = set(ln.ULabel.filter(type=label_type).to_list("name"))
        missing = [ln.ULabel(name=name, type=label_type) for name in names if name not in have]
        if missing:
            ln.save(missing)
        feature = ln.Feature.filter(name=column).first()
        if feature is None:
            feature = ln.Feature(name=column, dtype=f"cat[ULabel[{type_name}]]").save()
        features.append(feature)
    cell_types = ln.ULabel.filter(type__name="CellType")
    for canonical, synonym in _synthetic.SYNONYMS.items():
        label = cell_types.filter(name=canonical).one()
        if synonym not in (label.synonyms or "").split("|"):
            label.add_synonym(synonym)
    gene_type = _type(ln, ln.Record, GENE_TYPE)
    have = set(ln.Record.filter(type=gene_type).to_list("name"))
    genes = [
        ln.Record(name=symbol, type=gene_type, _search_names=False)
        for symbol in _synthetic.gene_names()
        if symbol not in have
    ]
    if genes:
        ln.save(genes)
    obs = ln.Schema.filter(name=OBS_SCHEMA).first() or ln.Schema(features, name=OBS_SCHEMA).save()
    var = (
        ln.Schema.filter(name=GENES_SCHEMA).first()
        or ln.Schema(itype=gene_type, maximal_set=True, name=GENES_SCHEMA).save()
    )
    return ln.Schema(otype="AnnData", slots={"obs": obs, "var.T": var}, name=SCHEMA).save()
