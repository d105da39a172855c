"""The assets of the single-cell pipeline: raw → curated (checked) → QC → summary, and a model.

Every output is stored by :class:`lamin_pipes.dagster.LaminIOManager` as a versioned
artifact under its asset key (``raw_batches/<batch>.h5ad``,
``curated_batches/<batch>.h5ad``, ``batch_qc/<batch>.parquet``, ``obs_summary.parquet``,
``cell_type_classifier.pt``); unchanged content makes no new version.

``curated_batches`` is standardized and validated against the schema of
:mod:`definitions.vocabulary` by the IO manager (``lamin/schema``); invalid batches are
stored too, marked ``validation="failed"`` (``lamin/on_invalid``), and the blocking check
``curated_check`` keeps them from ``batch_qc``. ``cell_type_classifier`` trains on the
latest curated batches that passed.
"""

import anndata
import dagster as dg
import numpy as np
import pandas as pd

from lamin_pipes.dagster import (
    LaminResource,
    build_schema_asset_check,
    build_training_asset,
    output,
)

from . import vocabulary
from .resources import Inbox

#: The dynamic partitions: one per inbox file (the inbox sensor adds them).
BATCHES = "batches"
batches = dg.DynamicPartitionsDefinition(name=BATCHES)

GROUP = "single_cell"
OBS_COLUMNS = ("donor", "tissue", "cell_type")


@dg.asset(
    partitions_def=batches,
    group_name=GROUP,
    code_version="1",
    kinds={"anndata"},
    metadata={
        "lamin/description": "raw counts of one inbox batch",
        "lamin/kind": "dataset",
    },
)
def raw_batches(context: dg.AssetExecutionContext, inbox: Inbox) -> anndata.AnnData:
    """The counts of one batch (cells x genes), read from ``<inbox>/<batch>.h5ad``."""
    path = inbox.batch_path(context.partition_key)
    adata = anndata.read_h5ad(path)
    context.log.info(f"read {path}: {adata.n_obs} cells x {adata.n_vars} genes")
    return adata


@dg.asset(
    partitions_def=batches,
    group_name=GROUP,
    code_version="1",
    kinds={"anndata"},
    metadata={
        "lamin/description": "one batch, standardized and validated against the schema",
        "lamin/kind": "dataset",
        "lamin/schema": vocabulary.SCHEMA,
        "lamin/on_invalid": "save",
    },
)
def curated_batches(
    context: dg.AssetExecutionContext, lamin: LaminResource, raw_batches: anndata.AnnData
) -> anndata.AnnData:
    """The batch as the curator saves it: synonyms replaced, labels annotated.

    The vocabulary is registered first (once per registry); the IO manager curates.
    """
    vocabulary.register(lamin.ln)
    return raw_batches


#: Blocking: a batch that fails validation never reaches batch_qc. Partitioned like
#: curated_batches, so the UI shows each batch's outcome (Dagster warns: preview feature).
curated_check = build_schema_asset_check(
    curated_batches, vocabulary.SCHEMA, blocking=True, partitioned=True
)


@dg.asset(
    partitions_def=batches,
    group_name=GROUP,
    code_version="1",
    kinds={"pandas"},
    metadata={"lamin/description": "per-cell QC metrics of one curated batch"},
)
def batch_qc(
    context: dg.AssetExecutionContext, curated_batches: anndata.AnnData
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    """Per cell: total counts, genes detected and the fraction of zero counts.

    Returned through :func:`lamin_pipes.dagster.output`, so the data version Dagster
    records is the artifact's content hash: downstream staleness follows content.
    """
    counts = curated_batches.X
    n_genes = curated_batches.n_vars
    detected = np.asarray((counts > 0).sum(axis=1)).ravel()
    qc = pd.DataFrame(
        {
            "cell": curated_batches.obs_names.astype(str),
            "batch": context.partition_key,
            **{
                column: curated_batches.obs[column].astype(str).to_numpy() for column in OBS_COLUMNS
            },
            "total_counts": np.asarray(counts.sum(axis=1)).ravel().astype("int64"),
            "n_genes": detected.astype("int64"),
            "frac_zeros": 1.0 - detected / n_genes,
        }
    )
    return output(context, qc, description=f"QC of batch {context.partition_key}")


@dg.asset(
    group_name=GROUP,
    code_version="2",
    kinds={"pandas"},
    deps=[batch_qc],
    metadata={"lamin/description": "cells and QC medians per batch, donor, tissue, cell type"},
)
def obs_summary(context: dg.AssetExecutionContext, lamin: LaminResource) -> pd.DataFrame:
    """One table over the QC of every batch that passed curation.

    Batches blocked by the check have no QC, so the QC tables are read from the
    registry (latest version of each ``batch_qc/`` key; recorded as this step run's
    inputs) rather than from every partition of ``batch_qc``.
    """
    ln = lamin.ln
    tables = ln.Artifact.filter(key__startswith="batch_qc/", is_latest=True).order_by("key")
    frame = tables.load()
    summary = (
        frame.groupby(["batch", *OBS_COLUMNS], observed=True, sort=True)
        .agg(
            n_cells=("cell", "size"),
            median_total_counts=("total_counts", "median"),
            median_genes=("n_genes", "median"),
            mean_frac_zeros=("frac_zeros", "mean"),
        )
        .reset_index()
    )
    context.log.info(f"{tables.count()} batches, {len(frame)} cells, {len(summary)} groups")
    return summary


#: The validated latest curated batches the classifier trains on.
TRAINING_ARTIFACTS = {
    "key__startswith": "curated_batches/",
    "validation": "passed",
    "is_latest": True,
}

cell_type_classifier = build_training_asset(
    name="cell_type_classifier",
    artifacts=TRAINING_ARTIFACTS,
    label_key="cell_type",
    deps=[curated_batches],
    description="An MLP that predicts cell_type from counts, trained on validated batches",
    epochs=3,
    seed=0,
)
