"""Small AnnData objects for the mapped() tests (not a test module).

Four stores that differ the ways real shards differ: dense and CSR ``X``, ``.h5ad`` and
``.zarr``, genes in another order or only partly shared, a missing label, an obs column
one store lacks.
"""

from __future__ import annotations

from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

GENES = [f"g{i:02d}" for i in range(20)]
CELL_TYPES = ["B", "NK", "T", "mono"]


def make_adata(
    seed: int,
    n_obs: int,
    genes: list[str],
    *,
    sparse: bool = False,
    cell_types: list[str] = CELL_TYPES,
    with_donor: bool = True,
    missing_label: bool = False,
) -> ad.AnnData:
    """A small AnnData: counts-like ``X``, a ``counts`` layer, ``obsm["emb"]``, obs labels."""
    rng = np.random.default_rng(seed)
    x = rng.poisson(0.7, size=(n_obs, len(genes))).astype(np.float32)
    labels = rng.choice(cell_types, n_obs).astype(object)
    if missing_label:
        labels[1] = np.nan
    obs: dict[str, Any] = {
        "cell_type": pd.Categorical(labels, categories=sorted(cell_types)),
        "n_counts": x.sum(axis=1).astype(np.float64),
        "cell_id": [f"s{seed}-c{i}" for i in range(n_obs)],
    }
    if with_donor:
        obs["donor"] = pd.Categorical(rng.choice(["d1", "d2"], n_obs))
    adata = ad.AnnData(
        sp.csr_matrix(x) if sparse else x,
        obs=pd.DataFrame(obs, index=[f"s{seed}-c{i}" for i in range(n_obs)]),
        var=pd.DataFrame(index=genes),
    )
    adata.layers["counts"] = sp.csr_matrix(x * 2) if sparse else x * 2
    adata.obsm["emb"] = rng.normal(size=(n_obs, 3)).astype(np.float32)
    return adata


def shards() -> list[tuple[str, ad.AnnData]]:
    """``(key, adata)`` of the four test shards."""
    return [
        ("mapped/0.h5ad", make_adata(0, 30, GENES, missing_label=True)),
        ("mapped/1.h5ad", make_adata(1, 25, [*list(reversed(GENES[4:])), "x1", "x2"], sparse=True)),
        ("mapped/2.zarr", make_adata(2, 20, GENES[::-1], with_donor=False)),
        (
            "mapped/3.zarr",
            make_adata(3, 15, [*GENES[2:], "y1"], sparse=True, cell_types=["B", "T", "DC"]),
        ),
    ]


def dense_row(adata: ad.AnnData, row: int, layer: str | None = None) -> np.ndarray:
    """Row ``row`` of ``X`` (or a layer) as a dense 1-D array."""
    x = adata.X if layer is None else adata.layers[layer]
    values = x[row]
    if sp.issparse(values):
        return np.asarray(values.toarray()).ravel()
    return np.asarray(values).ravel()


def joined_row(
    adata: ad.AnnData, row: int, genes: pd.Index, layer: str | None = None
) -> np.ndarray:
    """Row ``row`` reindexed to ``genes`` (0 where a gene is absent): what a join returns."""
    series = pd.Series(dense_row(adata, row, layer), index=adata.var_names)
    return series.reindex(genes, fill_value=0).to_numpy()
