"""Deterministic synthetic single-cell batches for the reference pipeline's inbox.

Each batch is an ``.h5ad`` file of integer counts (cells x genes, sparse) with obs
columns ``cell_type``, ``donor`` and ``tissue``. Its content follows from its name
alone: the same name gives the same cells, counts and bytes on every machine, so
writing the inbox twice changes nothing and the registry deduplicates re-ingests.

Cell types share expression profiles across batches (seeded once), each batch draws
its own tissue, donors, cell-type mix and library sizes (seeded by its name).

The data is not clean, as real inboxes are not: in every batch about a quarter of the
T cells are written ``"T-cell"`` (a synonym the curator standardizes), and the batches of
:data:`INVALID_BATCHES` (``batch_002`` of the default set) also hold terms no registry
knows (cell type ``"mast-like cell"``, donor ``"D99"``), so curation flags them.

Examples:
    >>> adata = make_batch("batch_001", n_cells=50, n_genes=20)
    >>> adata.shape, sorted(adata.obs.columns)
    ((50, 20), ['cell_type', 'donor', 'tissue'])
    >>> (make_batch("batch_001", n_cells=50, n_genes=20).X != adata.X).nnz
    0
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import anndata

#: The batches ``python -m definitions`` writes by default.
DEFAULT_BATCHES = ("batch_001", "batch_002", "batch_003")
#: Cells and genes per batch.
N_CELLS = 3000
N_GENES = 400
#: The suffix of inbox files; anything else in the inbox is ignored.
SUFFIX = ".h5ad"

CELL_TYPES = ("T cell", "B cell", "NK cell", "monocyte", "dendritic cell")
TISSUES = ("blood", "lung", "spleen", "bone marrow")
DONORS = tuple(f"D{i:02d}" for i in range(1, 9))
#: Synonyms written instead of the canonical term (canonical → synonym).
SYNONYMS = {"T cell": "T-cell"}
#: Batches that hold invalid terms, and the terms (obs column → unknown term).
INVALID_BATCHES = ("batch_002",)
INVALID_TERMS = {"cell_type": "mast-like cell", "donor": "D99"}
_PROFILE_SEED = 20_260_101


def _seed(name: str) -> int:
    """A 64-bit seed derived from ``name`` (stable across processes and machines)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


def gene_names(n_genes: int = N_GENES) -> list[str]:
    """The var names every batch shares: ``GENE0001``, ``GENE0002``, …"""
    return [f"GENE{i:04d}" for i in range(1, n_genes + 1)]


def make_batch(name: str, n_cells: int = N_CELLS, n_genes: int = N_GENES) -> anndata.AnnData:
    """The batch called ``name``: ``n_cells`` cells x ``n_genes`` genes of integer counts.

    Args:
        name: The batch name (the inbox file's stem); it seeds the batch.
        n_cells: Number of cells (obs).
        n_genes: Number of genes (var).

    Returns:
        An AnnData with a sparse ``int32`` count matrix and categorical obs columns
        ``cell_type``, ``donor`` and ``tissue``.
    """
    import anndata as ad
    import numpy as np
    import pandas as pd
    from scipy import sparse

    profiles_rng = np.random.default_rng(_PROFILE_SEED)
    # Per cell type: a sparse-ish expression profile (most genes low, a few markers high).
    profiles = profiles_rng.gamma(0.3, 1.0, size=(len(CELL_TYPES), n_genes))
    profiles /= profiles.sum(axis=1, keepdims=True)

    rng = np.random.default_rng(_seed(name))
    tissue = TISSUES[int(rng.integers(len(TISSUES)))]
    donors = rng.choice(DONORS, size=2, replace=False)
    mix = rng.dirichlet(np.full(len(CELL_TYPES), 2.0))
    types = rng.choice(len(CELL_TYPES), size=n_cells, p=mix)
    library = rng.lognormal(mean=7.0, sigma=0.5, size=n_cells)
    counts = rng.poisson(profiles[types] * library[:, None]).astype(np.int32)
    cell_types = np.asarray(CELL_TYPES, dtype=object)[types]
    donor_of = rng.choice(donors, size=n_cells).astype(object)
    # Synonyms: a quarter of the cells of each synonymized type carry the synonym.
    spelled = rng.random(n_cells) < 0.25
    for canonical, synonym in SYNONYMS.items():
        cell_types[(cell_types == canonical) & spelled] = synonym
    if name in INVALID_BATCHES:  # a few cells with terms no registry knows
        bad = rng.choice(n_cells, size=max(1, n_cells // 100), replace=False)
        cell_types[bad] = INVALID_TERMS["cell_type"]
        donor_of[bad[: max(1, len(bad) // 2)]] = INVALID_TERMS["donor"]

    obs = pd.DataFrame(
        {
            "cell_type": pd.Categorical(cell_types, categories=sorted(set(cell_types))),
            "donor": pd.Categorical(donor_of, categories=sorted(set(donor_of))),
            "tissue": pd.Categorical([tissue] * n_cells, categories=TISSUES),
        },
        index=pd.Index([f"{name}-{i:05d}" for i in range(n_cells)], name="cell"),
    )
    var = pd.DataFrame(index=pd.Index(gene_names(n_genes), name="gene"))
    return ad.AnnData(X=sparse.csr_matrix(counts), obs=obs, var=var)


def write_batch(
    inbox: Path, name: str, n_cells: int = N_CELLS, n_genes: int = N_GENES
) -> tuple[Path, bool]:
    """Write batch ``name`` into ``inbox`` unless it is there already.

    The file is written under a hidden temporary name and renamed into place, so a
    sensor never sees half a file. An existing file is left alone (its modification
    time too, so the inbox sensor's run key for it stays the same).

    Args:
        inbox: The inbox folder (created if missing).
        name: The batch name; the file is ``<inbox>/<name>.h5ad``.
        n_cells: Number of cells.
        n_genes: Number of genes.

    Returns:
        The file's path and whether it was written now.
    """
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / f"{name}{SUFFIX}"
    if path.exists():
        return path, False
    partial = inbox / f".{name}{SUFFIX}.{os.getpid()}.partial"
    try:
        make_batch(name, n_cells, n_genes).write_h5ad(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path, True


def write_batches(
    inbox: Path,
    names: Iterable[str] = DEFAULT_BATCHES,
    n_cells: int = N_CELLS,
    n_genes: int = N_GENES,
) -> list[tuple[Path, bool]]:
    """Write every batch of ``names`` that ``inbox`` lacks (see :func:`write_batch`)."""
    return [write_batch(inbox, name, n_cells, n_genes) for name in names]


def batch_names(count: int) -> Sequence[str]:
    """The first ``count`` default batch names: ``batch_001``, ``batch_002``, …"""
    return [f"batch_{i:03d}" for i in range(1, count + 1)]
