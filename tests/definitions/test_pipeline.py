"""The reference pipeline end to end, in subprocesses, on SQLite and PostgreSQL registries.

``python -m definitions`` is README command 1. It runs twice here: the second run makes no
new artifact versions. On PostgreSQL the Dagster instance is ``dagster-postgres``
(``dagster.postgres.example.yaml``); then a new batch runs with the multiprocess executor,
through the ``dagster`` command line: configuration only, the code is the same.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

import lamin_pipes as ln
from definitions import _synthetic

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SMALL = ("--cells", "300", "--genes", "60")
UNPARTITIONED = ("obs_summary", "cell_type_classifier")


def _artifact_rows(out: str) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(asset, partition) → (uid, version, status) from the pipeline's artifact table."""
    table = out.split("\nArtifacts\n", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = line.split()
        if len(cells) == 6:
            asset, partition, uid, _key, version, status = cells
        elif len(cells) == 5 and cells[0] in UNPARTITIONED:
            asset, uid, _key, version, status = cells
            partition = ""
        else:
            continue
        rows[(asset, partition)] = (uid, version, status)
    return rows


def _check_registry(db: str, storage: str, n_batches: int) -> None:
    """One version per asset key; no QC of the invalid batch; the summary's step run read
    exactly the valid batches' QC and the model's exactly the curated batches that passed."""
    ln.connect(db, storage)
    all_names = [f"batch_{i:03d}" for i in range(1, n_batches + 1)]
    batch_names = [name for name in all_names if name not in _synthetic.INVALID_BATCHES]
    for asset, suffix in (("raw_batches", ".h5ad"), ("curated_batches", ".h5ad")):
        for name in all_names:
            key = f"{asset}/{name}{suffix}"
            assert ln.Artifact.filter(key=key).count() == 1, key
    for name in all_names:
        key = f"batch_qc/{name}.parquet"
        assert ln.Artifact.filter(key=key).count() == int(name in batch_names), key
        outcome = ln.Artifact.get(key=f"curated_batches/{name}.h5ad").features.get_values()
        assert outcome["validation"] == ("passed" if name in batch_names else "failed")
    model = ln.Artifact.get(key="cell_type_classifier.pt")
    assert model.kind == "model" and model.versions.count() == 1
    assert sorted(model.run.input_artifacts.to_list("key")) == [
        f"curated_batches/{name}.h5ad" for name in batch_names
    ]
    summary = ln.Artifact.get(key="obs_summary.parquet")
    assert summary.versions.count() == 1
    step = summary.run
    assert step.transform.key == "obs_summary"
    assert step.transform.kind == "function"
    inputs = sorted(step.input_artifacts.to_list("key"))
    assert inputs == [f"batch_qc/{name}.parquet" for name in batch_names]
    pipeline = step.initiated_by_run
    assert pipeline.transform.key == "summarize"
    assert pipeline.transform.kind == "pipeline"
    assert pipeline.reference_type == "dagster_run_id"
    frame = summary.load()
    assert int(frame["n_cells"].sum()) == sum(
        ln.Artifact.get(key=f"batch_qc/{name}.parquet").load().shape[0] for name in batch_names
    )
    assert ln.ULabel.get(name="CellType").is_type
    assert ln.ULabel.get(name="T cell").synonyms == "T-cell"
    # Two executions of `ingest` per batch: one pipeline run each, all recorded.
    ingest_runs = ln.Run.filter(transform__key="ingest", transform__kind="pipeline")
    assert ingest_runs.count() == 2 * n_batches


def _readme_main_job() -> str:
    section = (ROOT / "README.md").read_text().split("## Run the main job\n", 1)[1]
    return section.split("```bash\n", 1)[1].split("```", 1)[0].strip()


def test_readme_main_job_is_the_pipeline() -> None:
    command = _readme_main_job()

    assert len(command.splitlines()) == 1
    steps = [step.strip() for step in command.split("&&")]
    assert steps[0] == "python3 -m venv .venv"
    assert steps[1] == ".venv/bin/pip install torch==2.13.0"  # the CPU pin, before the rest
    assert steps[2] == ".venv/bin/pip install -e '.[dagster]'"
    assert steps[-1] == ".venv/bin/python -m definitions"  # what the next test runs


@pytest.mark.slow
def test_pipeline_runs_end_to_end_twice_on_the_embedded_default(
    sandbox: Any, registry: None
) -> None:
    # README command 1, as is: no LAMIN_PIPES_* and no DAGSTER_HOME, default sizes.
    for name in ("LAMIN_PIPES_DB", "LAMIN_PIPES_STORAGE", "LAMIN_PIPES_INBOX", "DAGSTER_HOME"):
        sandbox.env.pop(name)

    first = sandbox.pipeline()
    second = sandbox.pipeline()

    embedded = sandbox.cwd / ".lamin_pipes"
    assert f"Registry : sqlite:///{embedded / 'lamin.db'}" in first
    assert f"Dagster  : {embedded / 'dagster'}" in first
    assert (embedded / "dagster" / "history" / "runs.db").is_file()
    assert sorted(p.name for p in (embedded / "inbox").iterdir()) == [
        f"{name}.h5ad" for name in _synthetic.DEFAULT_BATCHES
    ]
    rows_first, rows_second = _artifact_rows(first), _artifact_rows(second)
    # 3 raw, 3 curated, 2 QC (batch_002 is blocked), the summary and the model
    assert len(rows_first) == 10
    assert ("batch_qc", "batch_002") not in rows_first
    assert {status for _, _, status in rows_first.values()} == {"new"}
    assert {status for _, _, status in rows_second.values()} == {"unchanged"}
    # The same artifacts, same versions: nothing new the second time.
    assert {k: v[:2] for k, v in rows_first.items()} == {k: v[:2] for k, v in rows_second.items()}
    assert "10 new, 0 unchanged" in first
    assert "0 new, 10 unchanged" in second
    for out in (first, second):
        assert "ingest [batch_002]     blocked" in out
        outcomes = out.split("Validation of curated batches", 1)[1].split("\n\n", 1)[0]
        assert re.search(r"batch_001\s+passed", outcomes)
        assert re.search(r"batch_002\s+failed\s+\S+\s+2\s", outcomes)
        assert re.search(r"batch_003\s+passed", outcomes)
        assert re.search(r"accuracy 0\.\d{3}|accuracy 1\.000", out)
        assert "of 2 validated batches" in out
        lineage = out.split("Lineage of obs_summary", 1)[1]
        assert "Transform 'obs_summary' (function" in lineage
        assert lineage.count("input: Artifact 'batch_qc/") == 2
        assert "Transform 'summarize' (pipeline" in lineage
        summary_uid = rows_first[("obs_summary", "")][0]
        assert f"lamin-pipes describe {summary_uid}" in out
    _check_registry(f"sqlite:///{embedded / 'lamin.db'}", str(embedded / "storage"), 3)


@pytest.mark.slow
def test_pipeline_on_postgres_then_multiprocess_runs_with_dagster_postgres(
    pg_registry_url: str, dagster_pg_url: str, sandbox_with: Any, registry: None
) -> None:
    # The shared deployment, by configuration only: the registry on PostgreSQL
    # (LAMIN_PIPES_DB) and the Dagster instance on dagster-postgres (the example yaml).
    box = sandbox_with(pg_registry_url)
    shutil.copy(ROOT / "dagster.postgres.example.yaml", box.dagster_home / "dagster.yaml")
    box.env["DAGSTER_PG_URL"] = dagster_pg_url

    first = box.pipeline("--batches", "2", *SMALL)
    second = box.pipeline("--batches", "2", *SMALL)

    # 2 raw, 2 curated, 1 QC (batch_002 is invalid), the summary and the model
    assert "7 new, 0 unchanged" in first
    assert "0 new, 7 unchanged" in second
    assert not (box.cwd / ".lamin_pipes").exists()  # everything went where the env said
    _check_registry(box.db, str(box.storage), 2)

    # A third batch arrives; `dagster job execute` runs the jobs as a deployment does,
    # with the multiprocess executor (chosen because the registry is PostgreSQL).
    _synthetic.write_batch(box.inbox, "batch_003", n_cells=300, n_genes=60)
    add = "import dagster as dg; dg.DagsterInstance.get().add_dynamic_partitions('batches', ['batch_003'])"
    box.run(sys.executable, "-c", add)
    dagster = BIN / "dagster"
    tags = '{"dagster/partition": "batch_003"}'
    ingest = box.run(dagster, "job", "execute", "-m", "definitions", "-j", "ingest", "--tags", tags)
    summary = box.run(dagster, "job", "execute", "-m", "definitions", "-j", "summarize")

    for done in (ingest, summary):
        log = done.stdout + done.stderr
        assert "multiprocess executor" in log, log
        assert "RUN_SUCCESS" in log, log
    ln.connect(box.db, str(box.storage))
    qc = ln.Artifact.get(key="batch_qc/batch_003.parquet")
    pipeline = qc.run.initiated_by_run
    assert pipeline.transform.key == "ingest"
    assert pipeline.transform.kind == "pipeline"
    run_id = re.search(r"ingest - ([0-9a-f-]{36}) - ", ingest.stdout + ingest.stderr)
    assert run_id is not None
    assert pipeline.reference == run_id.group(1)
    steps = ln.Run.filter(initiated_by_run=pipeline).to_list()
    # In the multiprocess executor the schema check is a step (and a step run) of its own.
    assert sorted(run.transform.key for run in steps) == [
        "batch_qc",
        "curated_batches",
        "curated_batches_single_cell_batch_schema",
        "raw_batches",
    ]
    latest = ln.Artifact.get(key="obs_summary.parquet")
    assert latest.versions.count() == 2  # one valid batch, then two
    inputs = sorted(latest.run.input_artifacts.to_list("key"))
    assert inputs == [f"batch_qc/batch_00{i}.parquet" for i in (1, 3)]
