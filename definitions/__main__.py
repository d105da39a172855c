"""Run the reference pipeline end to end: ``python -m definitions``.

1. Write the synthetic batches into the inbox (only those missing).
2. Add them as partitions of ``batches`` in the Dagster instance.
3. Run the ``ingest`` job for each batch (raw → curated, checked → QC; the check blocks
   an invalid batch, which is expected: ``batch_002`` of the default set holds invalid
   terms), then ``summarize`` and ``train``, in this process.
4. Print where the registry is, each artifact (uid, key, version, new or unchanged),
   each batch's validation outcome, the classifier's accuracy and the lineage of
   ``obs_summary``.

The registry is the one :func:`lamin_pipes.connect` opens (``LAMIN_PIPES_DB`` /
``LAMIN_PIPES_STORAGE``, else ``./.lamin_pipes/``). The Dagster instance is the one of
``DAGSTER_HOME`` when it is set, else a persistent one in ``./.lamin_pipes/dagster`` (the
storage the repository's ``dagster.yaml`` points ``dagster dev`` at, so the UI shows these
runs). Running it again creates no new artifact versions where content did not change.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: Where the Dagster instance lives when ``DAGSTER_HOME`` is not set.
DEFAULT_DAGSTER_DIR = Path(".lamin_pipes") / "dagster"
#: Run config: Dagster's console log stays quiet (the UI has it all); failures are printed
#: below, and a check that blocks an invalid batch is an expected outcome, not an error.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m definitions",
        description="Generate inbox batches and run the single-cell ingest end to end.",
    )
    parser.add_argument("--batches", type=int, default=3, help="number of batches (default: 3)")
    parser.add_argument("--cells", type=int, default=None, help="cells per batch (default: 3000)")
    parser.add_argument("--genes", type=int, default=None, help="genes per batch (default: 400)")
    return parser.parse_args(argv)


def _dagster_instance() -> Any:
    """The instance of ``DAGSTER_HOME``, else a persistent one in ``./.lamin_pipes/dagster``."""
    import dagster as dg

    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    home = DEFAULT_DAGSTER_DIR.resolve()
    home.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.local_temp(tempdir=str(home))


def _text(metadata: Mapping[str, Any], key: str) -> Any:
    entry = metadata.get(key)
    return None if entry is None else entry.value


def _print_rows(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = [list(header), *([("" if v is None else str(v)) for v in row] for row in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        print(
            "  "
            + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if n == 0:
            print("  " + "  ".join("-" * width for width in widths))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the pipeline; 0 when every run succeeded."""
    args = _parse(argv)
    from sqlalchemy.engine import make_url

    import lamin_pipes as ln

    from . import _synthetic, defs
    from .assets import BATCHES
    from .resources import Inbox

    registry = ln.connect()
    db = make_url(registry.db).render_as_string(hide_password=True)
    print(f"Registry : {db}")
    print(f"Storage  : {registry.storage}")

    inbox = Inbox().directory()
    sizes = {
        key: value
        for key, value in (("n_cells", args.cells), ("n_genes", args.genes))
        if value is not None
    }
    written = _synthetic.write_batches(inbox, _synthetic.batch_names(args.batches), **sizes)
    names = [path.stem for path, _ in written]
    print(f"Inbox    : {inbox.resolve()}")
    for path, new in written:
        print(f"  {path.name}: {'written' if new else 'already there'}")

    ok = True
    records: list[list[Any]] = []
    outcomes: list[list[Any]] = []
    summary_uid = None
    model: dict[str, Any] = {}
    with _dagster_instance() as instance:
        home = os.environ.get("DAGSTER_HOME") or str(DEFAULT_DAGSTER_DIR.resolve())
        print(f"Dagster  : {home}")
        known = set(instance.get_dynamic_partitions(BATCHES))
        added = [name for name in names if name not in known]
        if added:
            instance.add_dynamic_partitions(BATCHES, added)
        print(f"Partitions of {BATCHES!r}: {', '.join(names)} ({len(added)} added)")

        runs = [("ingest", name) for name in names] + [("summarize", None), ("train", None)]
        print("\nRuns")
        for job_name, partition in runs:
            job = defs.resolve_job_def(job_name)
            result = job.execute_in_process(
                run_config=QUIET,
                instance=instance,
                partition_key=partition,
                raise_on_error=False,
            )
            label = job_name + (f" [{partition}]" if partition else "")
            checks = result.get_asset_check_evaluations()
            blocked = not result.success and any(not check.passed for check in checks)
            state = "success" if result.success else ("blocked" if blocked else "FAILED")
            if blocked:
                state += " (invalid data stopped at the check)"
            print(f"  {label:<22} {state}  (Dagster run {result.run_id})")
            ok = ok and (result.success or blocked)
            if not result.success and not blocked:
                for failure in result.get_step_failure_events():
                    error = failure.step_failure_data.error
                    print(f"    {failure.step_key}: {error.message if error else failure.message}")
            for check in checks:
                meta = check.metadata
                outcomes.append(
                    [
                        partition,
                        "passed" if check.passed else "failed",
                        _text(meta, "lamin/uid"),
                        _text(meta, "n_problems"),
                        (check.description or "").splitlines()[0].rstrip(":"),
                    ]
                )
            for event in result.get_asset_materialization_events():
                metadata = event.materialization.metadata
                asset = event.asset_key.to_user_string() if event.asset_key else ""
                is_new = _text(metadata, "lamin/is_new_version")
                uid = _text(metadata, "lamin/uid")
                records.append(
                    [
                        asset,
                        event.partition,
                        uid,
                        _text(metadata, "lamin/key"),
                        _text(metadata, "lamin/version"),
                        "new" if is_new else "unchanged",
                    ]
                )
                if asset == "obs_summary":
                    summary_uid = uid
                if asset == "cell_type_classifier":
                    model = {
                        "uid": uid,
                        "accuracy": _text(metadata, "accuracy"),
                        "loss": _text(metadata, "loss"),
                        "n_train": _text(metadata, "n_train"),
                        "artifacts": _text(metadata, "training_artifacts") or [],
                    }

    print("\nArtifacts")
    _print_rows(["asset", "partition", "uid", "key", "version", "status"], records)
    n_new = sum(row[-1] == "new" for row in records)
    print(f"  {n_new} new, {len(records) - n_new} unchanged")

    print("\nValidation of curated batches (schema check)")
    _print_rows(["batch", "outcome", "artifact", "problems", "summary"], outcomes)

    if model:
        print("\nModel cell_type_classifier")
        print(
            f"  accuracy {model['accuracy']:.3f}, loss {model['loss']:.3f}, trained on "
            f"{model['n_train']} cells of {len(model['artifacts'])} validated batches "
            f"(artifact {model['uid']})"
        )

    if summary_uid is not None:
        artifact = ln.Artifact.get(summary_uid)
        print("\nLineage of obs_summary")
        for line in artifact.view_lineage().splitlines():
            print(f"  {line}")
        print(
            f"\nMore: `lamin-pipes describe {summary_uid}`; the UI: "
            "`dagster dev -w workspace.yaml` (from the repository root)."
        )
    if not ok:
        print("\nSome runs failed; see the errors above and the Dagster UI.", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
