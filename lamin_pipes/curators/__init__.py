"""Curators: validate datasets against schemas, standardize them, save them annotated.

``ln.curators.DataFrameCurator(df, schema)`` and ``ln.curators.AnnDataCurator(adata,
schema)`` check a dataset against a saved :class:`~lamin_pipes.models.Schema`:
required, unexpected and ordered columns, dtypes (converted with ``coerce``), nulls
and categorical terms (with synonyms to suggest). ``validate()`` raises a
``ValidationError`` that lists every problem; ``curator.report`` holds them as data
(:class:`ValidationReport`). ``standardize()`` replaces synonyms with valid terms,
``cat.add_new_from(key)`` registers new terms on purpose, and ``save_artifact(key=...)``
stores the dataset as an artifact linked to the schema and annotated with its labels.

This package sits above the registries (``lamin_pipes.models``) and imports pandas;
``import lamin_pipes`` loads it on first use of ``ln.curators``.

Examples:
    >>> import lamin_pipes as ln
    >>> import pandas as pd
    >>> tissue = ln.Feature(name="tissue", dtype=ln.ULabel).save()
    >>> lung = ln.ULabel(name="lung", synonyms="pulmo").save()
    >>> schema = ln.Schema([tissue], name="samples").save()
    >>> df = pd.DataFrame({"tissue": ["lung", "pulmo"]})
    >>> curator = ln.curators.DataFrameCurator(df, schema)
    >>> curator.report.ok, curator.report.problems[0].synonyms
    (False, {'pulmo': 'lung'})
    >>> curator.standardize()
    >>> df["tissue"].tolist(), curator.report.ok
    (['lung', 'lung'], True)
"""

from __future__ import annotations

from ._component import CatColumn, ComponentCurator
from ._curators import AnnDataCurator, CatManager, Curator, DataFrameCurator
from ._report import Problem, ValidationReport

__all__ = [
    "AnnDataCurator",
    "CatColumn",
    "CatManager",
    "ComponentCurator",
    "Curator",
    "DataFrameCurator",
    "Problem",
    "ValidationReport",
]
