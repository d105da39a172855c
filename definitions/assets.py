"""The assets of the single-cell ingest: raw batches → per-batch QC → one summary.

Every output is stored by :class:`lamin_pipes.dagster.LaminIOManager` as a versioned
artifact under its asset key (``raw_batches/<batch>.h5ad``, ``batch_qc/<batch>.parquet``,
``obs_summary.parquet``); unchanged content makes no new version.
"""

import anndata
import dagster as dg
import numpy as np
import pandas as pd

from lamin_pipes.dagster import LaminResource, output

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
    kinds={"pandas"},
    metadata={"lamin/description": "per-cell QC metrics of one batch"},
)
def batch_qc(
    context: dg.AssetExecutionContext, raw_batches: anndata.AnnData
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    """Per cell: total counts, genes detected and the fraction of zero counts.

    Returned through :func:`lamin_pipes.dagster.output`, so the data version Dagster
    records is the artifact's content hash: downstream staleness follows content.
    """
    counts = raw_batches.X
    n_genes = raw_batches.n_vars
    detected = np.asarray((counts > 0).sum(axis=1)).ravel()
    qc = pd.DataFrame(
        {
            "cell": raw_batches.obs_names.astype(str),
            "batch": context.partition_key,
            **{column: raw_batches.obs[column].astype(str).to_numpy() for column in OBS_COLUMNS},
            "total_counts": np.asarray(counts.sum(axis=1)).ravel().astype("int64"),
            "n_genes": detected.astype("int64"),
            "frac_zeros": 1.0 - detected / n_genes,
        }
    )
    return output(context, qc, description=f"QC of batch {context.partition_key}")


@dg.asset(
    group_name=GROUP,
    code_version="1",
    kinds={"pandas"},
    automation_condition=dg.AutomationCondition.eager(),
    metadata={"lamin/description": "cells and QC medians per batch, donor, tissue, cell type"},
)
def obs_summary(
    context: dg.AssetExecutionContext,
    lamin: LaminResource,
    batch_qc: dict[str, pd.DataFrame],
) -> pd.DataFrame:
    """One table over every batch's QC (the IO manager hands in batch → DataFrame).

    The cell types seen are registered as ``ULabel`` records under the type
    ``CellType`` (tied to this step's registry run), a vocabulary to curate against.
    """
    frame = pd.concat([batch_qc[key] for key in sorted(batch_qc)], ignore_index=True)
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
    ln = lamin.ln
    cell_type = ln.ULabel(name="CellType", is_type=True).save()
    for name in sorted(frame["cell_type"].unique()):
        ln.ULabel(name=name, type=cell_type).save()
    context.log.info(f"{len(batch_qc)} batches, {len(frame)} cells, {len(summary)} groups")
    return summary
