"""How a batch is copied out of memory-mapped stores, path by path, against numpy.

Three stores of dense X: one plain, one chunked with its chunks written in reverse (so
file rows and dataset rows differ), one plain again. Every batch shape (sequential,
blocks kept in order, blocks shuffled within the batch, random, repeats) goes through
each way of copying: run by run, store by store, and gathered then ordered (by torch
and by numpy). Three CSR stores (values in small chunks, float64 in one, empty rows)
go through both ways of reading values: slice by slice, and gathered per store.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pytest
from torch.utils.data import DataLoader, default_collate

from lamin_pipes.models._mapped import _copier, _gather
from lamin_pipes.models._mapped._collection import MappedCollection
from lamin_pipes.models._mapped._elements import CsrMatrix, MemmapRows
from lamin_pipes.models._mapped._gather import BatchOrder

WIDTH = 6


def _write_chunked_reversed(path: Path, values: np.ndarray, chunk_rows: int) -> None:
    ad.AnnData(values).write_h5ad(path)
    with h5py.File(path, "r+") as f:
        del f["X"]
        x = f.create_dataset(
            "X", shape=values.shape, dtype=values.dtype, chunks=(chunk_rows, WIDTH)
        )
        x.attrs["encoding-type"], x.attrs["encoding-version"] = "array", "0.2.0"
        for start in reversed(range(0, values.shape[0], chunk_rows)):  # last chunk first
            x[start : start + chunk_rows] = values[start : start + chunk_rows]


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[list[Path], np.ndarray]:
    folder = tmp_path_factory.mktemp("gather")
    rng = np.random.default_rng(11)
    parts = [rng.random((n, WIDTH), dtype=np.float32) for n in (30, 40, 25)]
    paths = [folder / f"s{i}.h5ad" for i in range(3)]
    ad.AnnData(parts[0]).write_h5ad(paths[0])
    _write_chunked_reversed(paths[1], parts[1], chunk_rows=4)
    ad.AnnData(parts[2]).write_h5ad(paths[2])
    return paths, np.concatenate(parts)


def _batches(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2)
    blocks = [np.arange(s, min(s + 8, n)) for s in rng.permutation(np.arange(0, n, 8))[:4]]
    return {
        "sequential across stores": np.arange(20, 80),
        "blocks kept in order": np.concatenate(blocks),
        "blocks shuffled within the batch": rng.permutation(np.concatenate(blocks)),
        "one store, rows reversed": np.arange(69, 29, -1),
        "stores in stretches, rows shuffled": np.r_[rng.permutation(10) + 40, rng.permutation(5)],
        "random": rng.permutation(n)[:40],
        "everything shuffled": rng.permutation(n),
        "repeats": np.array([33, 33, 34, 35, 35, 0, 94, 94]),
        "one row": np.array([50]),
    }


@pytest.mark.parametrize("run_bytes", [1, 1 << 40], ids=["runs", "gathers"])
@pytest.mark.parametrize("way", ["torch", "numpy"])
def test_every_batch_shape_by_every_path_equals_numpy(stores, monkeypatch, run_bytes, way):
    paths, everything = stores
    monkeypatch.setattr(_gather, "RUN_BYTES", run_bytes)  # 1: run by run whenever possible
    monkeypatch.setattr(_copier, "_process_copier", None)
    monkeypatch.setattr(_copier.RowCopier, "way", lambda self: way)
    with MappedCollection(paths) as ds:
        maps = [s.matrix("X").rows for s in ds._stores]
        assert all(isinstance(m, MemmapRows) for m in maps)
        assert maps[1].layout.chunk_starts is not None  # file rows differ from rows
        for name, idx in _batches(len(ds)).items():
            got = default_collate(ds.__getitems__(idx))["X"].numpy()
            np.testing.assert_array_equal(got, everything[idx], err_msg=name)
        loader = DataLoader(ds, batch_size=16, sampler=ds.block_sampler(4, 16, seed=3))
        seen = np.concatenate([b["X"].numpy() for b in loader])
        np.testing.assert_array_equal(seen, everything[list(ds.block_sampler(4, 16, seed=3))])


CHUNKINGS = {
    "chunks of 5 everywhere": (5, 5, 5),
    "chunks of 5, 3 and 7": (5, 3, 7),  # no joined chunk table: mapped store by store
    "one store contiguous": (5, None, 5),
}


@pytest.fixture(scope="module", params=list(CHUNKINGS))
def csr_stores(request, tmp_path_factory) -> tuple[list[Path], np.ndarray]:
    import scipy.sparse as sp

    folder = tmp_path_factory.mktemp("gather-csr")
    rng = np.random.default_rng(12)
    paths, parts = [], []
    sizes = [(30, np.float32), (40, np.float64), (25, np.float32)]
    for i, ((n, dtype), chunk) in enumerate(zip(sizes, CHUNKINGS[request.param], strict=True)):
        dense = sp.random(n, WIDTH, density=0.5, dtype=dtype, rng=rng).toarray()
        dense[::7] = 0  # empty rows
        path = folder / f"c{i}.h5ad"
        ad.AnnData(sp.csr_matrix(dense)).write_h5ad(path)
        with h5py.File(path, "r+") as f:  # values in small chunks: rows cross chunks
            for name in ("data", "indices"):
                values = f[f"X/{name}"][()]
                del f[f"X/{name}"]
                f.create_dataset(f"X/{name}", data=values, chunks=(chunk,) if chunk else None)
        paths.append(path)
        parts.append(dense)
    return paths, np.concatenate(parts)


@pytest.mark.parametrize("slices", [0, 1000], ids=["gathered", "sliced"])
def test_csr_batches_by_both_ways_equal_numpy(csr_stores, monkeypatch, slices):
    paths, everything = csr_stores
    monkeypatch.setattr(_gather, "CSR_SLICES", slices)
    with MappedCollection(paths) as ds:
        readers = [s.matrix("X") for s in ds._stores]
        assert all(isinstance(r, CsrMatrix) and isinstance(r.data, MemmapRows) for r in readers)
        assert ds._fast_sources("X")[0] == "csr"
        assert any(r.data.layout.chunk_starts is not None for r in readers)
        chunk_sizes = {
            r.data.layout.chunk_rows for r in readers if r.data.layout.chunk_starts is not None
        }
        joined = ds._fast_sources("X")[1].layouts["data"]
        assert (joined is None) == (len(chunk_sizes) > 1)  # one chunk table, or per store
        for name, idx in _batches(len(ds)).items():
            got = default_collate(ds.__getitems__(idx))["X"].numpy()
            np.testing.assert_allclose(got, everything[idx], rtol=1e-6, err_msg=name)


def test_runs_are_split_by_store_and_by_file_row():
    # rows 4 and 5 of store 0, 6 of store 1, then row 9 and 10 of store 0 (a new run)
    order = BatchOrder(np.array([0, 1, 0, 0, 0]), np.array([9, 6, 4, 5, 10]))
    runs = order.runs(order.sorted_rows, max_runs=5)
    assert runs is not None
    shapes = [(s, first, n) for s, first, n, _ in runs]
    assert shapes == [(0, 4, 2), (0, 9, 2), (1, 6, 1)]
    places = [w if isinstance(w, slice) else w.tolist() for *_, w in runs]
    assert places == [slice(2, 4), [0, 4], slice(1, 2)]
    assert order.runs(order.sorted_rows, max_runs=2) is None  # three runs: over the limit
    assert BatchOrder(np.array([2, 2]), np.array([3, 4])).order is None  # already in order
