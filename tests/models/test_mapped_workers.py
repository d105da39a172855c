"""mapped() beyond one process: DataLoader workers (fork and spawn) and torch.distributed.

Workers must return the same multiset of rows over an epoch as the main process;
two ``gloo`` ranks must see every row exactly once. No registry is involved (the
dataset holds paths, never a database connection), so these run once, not per backend.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from torch.utils.data import DataLoader

from lamin_pipes.models._mapped._collection import MappedCollection

_spec = importlib.util.spec_from_file_location(
    "_mapped_data", Path(__file__).with_name("_mapped_data.py")
)
assert _spec is not None and _spec.loader is not None
data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(data)

RANKS = Path(__file__).with_name("_mapped_ranks.py")


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("mapped-workers")
    written = []
    for key, adata in data.shards():
        path = folder / key.split("/")[-1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            adata.write_zarr(path) if path.suffix == ".zarr" else adata.write_h5ad(path)
        written.append(str(path))
    return written


def _epoch(dataset: MappedCollection, **loader: Any) -> Counter[tuple[str, int, float]]:
    rows: Counter[tuple[str, int, float]] = Counter()
    for batch in DataLoader(dataset, batch_size=7, shuffle=True, **loader):
        sums = batch["X"].sum(dim=1).tolist()
        for cell, label, total in zip(
            batch["cell_id"], batch["cell_type"].tolist(), sums, strict=True
        ):
            rows[(cell, label, round(total, 4))] += 1
    return rows


@pytest.mark.parametrize(
    ("context", "parallel", "init"),
    [("fork", False, False), ("fork", True, True), ("spawn", True, True)],
)
def test_workers_return_the_same_rows_as_the_main_process(paths, context, parallel, init):
    dataset = MappedCollection(
        paths,
        obs_keys=["cell_id", "cell_type"],
        encode_labels=["cell_type"],
        join="outer",
        parallel=parallel,
    )
    expected = _epoch(dataset)
    assert sum(expected.values()) == len(dataset) == 90
    options: dict[str, Any] = {"num_workers": 2, "multiprocessing_context": context}
    if init:
        options["worker_init_fn"] = MappedCollection.torch_worker_init_fn
    if context == "spawn":
        options["persistent_workers"] = True
    assert _epoch(dataset, **options) == expected
    block = DataLoader(dataset, batch_size=8, sampler=dataset.block_sampler(4, 8), num_workers=2)
    assert sorted(c for b in block for c in b["cell_id"]) == sorted(c for c, _, _ in expected)
    dataset.close()


def test_two_gloo_ranks_see_every_row_once(paths, tmp_path):
    out = tmp_path / "seen.json"
    init = tmp_path / "init"
    ranks = [
        subprocess.Popen(
            [sys.executable, str(RANKS), str(rank), "2", str(init), str(out), *paths],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for rank in range(2)
    ]
    logs = [rank.communicate(timeout=300)[0] for rank in ranks]
    assert [rank.returncode for rank in ranks] == [0, 0], "\n".join(logs)
    with MappedCollection(paths, obs_keys="cell_id", encode_labels=False, join="outer") as ds:
        truth = {ds[i]["cell_id"]: round(float(ds[i]["X"].sum()), 4) for i in range(len(ds))}
    results = json.loads(out.read_text())
    assert set(results) == {"torch", "block"}
    for seen in results.values():  # DistributedSampler, then the block-shuffling variant
        assert len(seen) == 2 and all(len(shard) == 45 for shard in seen)  # 90 rows, 2 ranks
        cells = [cell for shard in seen for cell, _ in shard]
        assert len(cells) == len(set(cells)) == 90
        assert {c: round(total, 4) for shard in seen for c, total in shard} == truth
