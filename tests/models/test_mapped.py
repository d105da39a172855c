"""mapped(): rows, labels, joins and filters checked against anndata itself.

The tests read the same four small shards (dense and CSR X, .h5ad and .zarr, genes
permuted and partly shared): saved as artifacts on SQLite and PostgreSQL where the
registry is involved (``ln.Artifact.filter(...).mapped()``, ``collection.mapped()``,
run inputs), else as plain files given to ``MappedCollection``.
"""

from __future__ import annotations

import importlib.util
import logging
import pickle
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader, default_collate

import lamin_pipes as ln
from lamin_pipes.core._context import current_run
from lamin_pipes.errors import InvalidArgument
from lamin_pipes.models import _tracking
from lamin_pipes.models._mapped._collection import MappedCollection
from lamin_pipes.models._mapped._elements import CsrMatrix, H5Rows, MemmapRows

_spec = importlib.util.spec_from_file_location(
    "_mapped_data", Path(__file__).with_name("_mapped_data.py")
)
assert _spec is not None and _spec.loader is not None
data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(data)


@pytest.fixture(autouse=True)
def _no_leftover_run():
    yield
    if _tracking._tracked is not None:
        _tracking._tracked = None
    current_run.set(None)


@pytest.fixture
def shards(instance) -> list[tuple[Any, ad.AnnData]]:
    """The four shards saved as artifacts, with the AnnData read back from each."""
    saved = []
    for key, adata in data.shards():
        artifact = ln.Artifact(adata, key=key).save()
        saved.append((artifact, artifact.load(is_run_input=False)))
    return saved


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[tuple[Path, ad.AnnData]]:
    """The four shards as plain files (for tests that need no registry), read back."""
    folder = tmp_path_factory.mktemp("mapped-files")
    written = []
    for key, adata in data.shards():
        path = folder / key.split("/")[-1]
        if path.suffix == ".zarr":
            with warnings.catch_warnings():  # anndata's note on the zarr format version
                warnings.simplefilter("ignore", UserWarning)
                adata.write_zarr(path)
            written.append((path, ad.read_zarr(path)))
        else:
            adata.write_h5ad(path)
            written.append((path, ad.read_h5ad(path)))
    return written


def _mapped(**options: Any) -> MappedCollection:
    return ln.Artifact.filter(key__startswith="mapped/").order_by("key").mapped(**options)


def _from_files(files: list[tuple[Path, ad.AnnData]], **options: Any) -> MappedCollection:
    return MappedCollection([path for path, _ in files], **options)


def _locate(shards: list[tuple[Any, ad.AnnData]], i: int) -> tuple[int, int]:
    offsets = np.cumsum([0] + [a.n_obs for _, a in shards])
    store = int(np.searchsorted(offsets, i, side="right") - 1)
    return store, int(i - offsets[store])


@pytest.mark.parametrize("join", ["inner", "outer"])
def test_rows_labels_and_obsm_match_anndata(shards, join):
    ds = _mapped(
        layers_keys=["X", "counts"],
        obs_keys=["cell_type", "cell_id", "n_counts"],
        obsm_keys="emb",
        join=join,
        encode_labels=["cell_type"],
    )
    adatas = [a for _, a in shards]
    if join == "inner":
        expected_genes = adatas[0].var_names
        for a in adatas[1:]:
            expected_genes = expected_genes.intersection(a.var_names)
    else:
        expected_genes = adatas[0].var_names
        for a in adatas[1:]:
            expected_genes = expected_genes.union(a.var_names)
    assert list(ds.var_joint) == list(expected_genes)
    assert ds.shape == (sum(a.n_obs for a in adatas), len(expected_genes))
    assert ds.n_obs_list == [a.n_obs for a in adatas]
    assert ds.original_shapes == [(a.n_obs, a.n_vars) for a in adatas]
    rng = np.random.default_rng(7)
    indices = rng.integers(0, len(ds), 60)
    batch = ds.__getitems__(indices)
    assert len(batch) == 60
    for i, sample in zip(indices.tolist(), batch, strict=True):
        store, row = _locate(shards, i)
        adata = adatas[store]
        np.testing.assert_array_equal(sample["X"], data.joined_row(adata, row, ds.var_joint))
        np.testing.assert_array_equal(
            sample["counts"], data.joined_row(adata, row, ds.var_joint, "counts")
        )
        np.testing.assert_array_equal(sample["obsm_emb"], adata.obsm["emb"][row])
        label = adata.obs["cell_type"].iloc[row]
        assert sample["cell_type"] == (-1 if pd.isna(label) else ds.encoders["cell_type"][label])
        assert sample["cell_id"] == adata.obs["cell_id"].iloc[row]
        assert sample["n_counts"] == adata.obs["n_counts"].iloc[row]
        assert sample["_store_idx"] == store
        single = ds[i]
        assert list(single) == ["_store_idx", "X", "counts", "obsm_emb", *ds.obs_keys]
        np.testing.assert_array_equal(single["X"], sample["X"])
        assert single["cell_id"] == sample["cell_id"]
    ds.close()


def test_fast_readers_are_used_and_compressed_files_still_read(tmp_path):
    dense = data.make_adata(5, 12, data.GENES)
    sparse = data.make_adata(6, 12, data.GENES, sparse=True)
    dense.write_h5ad(tmp_path / "plain.h5ad")
    sparse.write_h5ad(tmp_path / "plain_csr.h5ad")
    dense.write_h5ad(tmp_path / "gzip.h5ad", compression="gzip")
    sparse.write_h5ad(tmp_path / "gzip_csr.h5ad", compression="gzip")
    names = ["plain", "plain_csr", "gzip", "gzip_csr"]
    with MappedCollection([tmp_path / f"{n}.h5ad" for n in names]) as ds:
        readers = [s.matrix("X") for s in ds._stores]
        assert isinstance(readers[0].rows, MemmapRows)
        assert isinstance(readers[1], CsrMatrix) and isinstance(readers[1].data, MemmapRows)
        assert isinstance(readers[2].rows, H5Rows)
        assert isinstance(readers[3].data, H5Rows)
        adatas = [dense, sparse, dense, sparse]
        everything = ds.__getitems__(np.arange(len(ds))[::-1])
        for i, sample in zip(range(len(ds) - 1, -1, -1), everything, strict=True):
            np.testing.assert_array_equal(sample["X"], data.dense_row(adatas[i // 12], i % 12))


@pytest.mark.parametrize("way", ["torch", "numpy"])
def test_dense_batches_across_stores_in_any_order(tmp_path, monkeypatch, way):
    """Memory-mapped stores: batches whose stores fill stretches of the batch (read
    straight into place) and batches that interleave stores (gathered, then ordered),
    copied by torch or by numpy."""
    from lamin_pipes.models._mapped import _copier

    monkeypatch.setattr(_copier, "_process_copier", None)  # a copier of this test's own
    monkeypatch.setattr(_copier.RowCopier, "way", lambda self: way)
    rng = np.random.default_rng(5)
    parts = [rng.random((10, 6), dtype=np.float32) for _ in range(3)]
    for i, part in enumerate(parts):
        ad.AnnData(part).write_h5ad(tmp_path / f"d{i}.h5ad")
    everything = np.concatenate(parts)
    batches = [
        np.arange(5, 25),  # sequential, across two store boundaries
        np.r_[np.arange(20, 30), np.arange(0, 10)],  # whole blocks, stores out of order
        np.r_[np.arange(14, 10, -1), np.arange(0, 3)],  # a stretch read backwards
        np.array([0, 10, 1, 11, 2, 29]),  # stores interleaved
        np.array([0, 10, 1, 11, 2, 12, 3, 13]),  # interleaved in both halves
        np.array([3, 3, 4]),  # a repeated row
    ]
    with MappedCollection([tmp_path / f"d{i}.h5ad" for i in range(3)]) as ds:
        assert all(isinstance(s.matrix("X").rows, MemmapRows) for s in ds._stores)
        for idx in batches:
            got = default_collate(ds.__getitems__(idx))["X"].numpy()
            np.testing.assert_array_equal(got, everything[idx])
        loader = DataLoader(ds, batch_size=8, sampler=ds.block_sampler(4, seed=2))
        seen = torch.cat([b["X"] for b in loader]).numpy()
        order = list(ds.block_sampler(4, seed=2))
        np.testing.assert_array_equal(seen, everything[order])
        copier = _copier.process_copier()
        assert copier.batches > 5 and copier.cost[way] is not None
        other = "numpy" if way == "torch" else "torch"
        assert copier.cost[other] is None  # every batch went the forced way


def test_csr_rows_across_small_chunks_blocks_and_repeats(tmp_path):
    """CSR values stored in chunks of 7: a row's range crosses chunk boundaries,
    consecutive rows are read as one range, repeated and empty rows come back too."""
    import h5py
    import scipy.sparse as sp

    rng = np.random.default_rng(3)
    matrix = sp.random(40, 30, density=0.3, format="csr", dtype=np.float32, rng=rng)
    matrix = sp.csr_matrix(matrix.toarray() * (np.arange(40) % 5 != 0)[:, None])  # empty rows
    path = tmp_path / "chunked.h5ad"
    ad.AnnData(matrix).write_h5ad(path)
    with h5py.File(path, "r+") as f:
        for name in ("data", "indices"):
            values = f[f"X/{name}"][()]
            del f[f"X/{name}"]
            f.create_dataset(f"X/{name}", data=values, chunks=(7,))
    expected = matrix.toarray()
    batches = [
        rng.permutation(40),  # random order
        np.r_[np.arange(8, 24), np.arange(30, 40)],  # two blocks of consecutive rows
        np.array([3, 3, 0, 5, 4, 4, 39, 0]),  # repeats and empty rows
        rng.permutation(np.arange(10, 20)),  # a block, shuffled within the batch
    ]
    with MappedCollection([path]) as ds:
        reader = ds._stores[0].matrix("X")
        assert isinstance(reader, CsrMatrix) and isinstance(reader.data, MemmapRows)
        assert reader.data.layout.chunk_starts is not None
        for idx in batches:
            got = default_collate(ds.__getitems__(idx))["X"].numpy()
            np.testing.assert_array_equal(got, expected[idx])


def test_join_none_and_equal_vars(tmp_path):
    for i in range(2):
        data.make_adata(i, 5, data.GENES).write_h5ad(tmp_path / f"{i}.h5ad")
    paths = [tmp_path / "0.h5ad", tmp_path / "1.h5ad"]
    with MappedCollection(paths, join=None) as ds:
        assert ds.shape == (10, None) and ds.var_joint is None
        assert ds[7]["X"].shape == (20,)
    with MappedCollection(paths, join="outer") as ds:  # equal variables: no join needed
        assert ds.join_vars is None and ds.shape == (10, 20)
        assert ds.check_vars_sorted() and ds.check_vars_non_aligned(data.GENES) == []
        assert ds.check_vars_non_aligned(data.GENES[::-1]) == [0, 1]


def test_encoders_unknown_label_and_plain_labels(files):
    ds = _from_files(files, obs_keys=["cell_type", "donor"], unknown_label={"cell_type": "NK"})
    merged = sorted({c for _, a in files for c in a.obs["cell_type"].cat.categories})
    assert merged == ["B", "DC", "NK", "T", "mono"]
    assert ds.encoders["cell_type"] == {"NK": -1, "B": 0, "DC": 1, "T": 2, "mono": 3}
    assert ds.encoders["donor"] == {"d1": 0, "d2": 1}
    loader = DataLoader(ds, batch_size=len(ds))
    with pytest.raises(KeyError):  # the third shard has no donor: samples differ in keys
        next(iter(loader))
    labels = [ds[i]["cell_type"] for i in range(len(ds))]
    expected = []
    for _, adata in files:
        for label in adata.obs["cell_type"]:
            expected.append(-1 if pd.isna(label) else ds.encoders["cell_type"][label])
    assert labels == expected
    assert "donor" not in ds[30 + 25]  # the first row of the zarr shard without a donor
    plain = _from_files(files, obs_keys="cell_type", encode_labels=False)
    assert plain.encoders == {}
    values = [plain[i]["cell_type"] for i in range(len(plain))]
    truth = [x for _, a in files for x in a.obs["cell_type"].astype(object)]
    assert [v if isinstance(v, str) else "nan" for v in values] == [
        v if isinstance(v, str) else "nan" for v in truth
    ]
    same = _from_files(files, obs_keys=["cell_type"], unknown_label="NK")
    assert same.encoders["cell_type"]["NK"] == -1


def test_obs_filter_selects_exactly_the_expected_rows(files):
    ds = _from_files(
        files,
        obs_keys=["cell_id", "cell_type"],
        obs_filter={"cell_type": ["T", "B"], "donor": "d1"},
        encode_labels=False,
    )
    expected = []
    for _, adata in files:
        obs = adata.obs
        if "donor" not in obs:
            continue  # a store without the column keeps nothing
        keep = obs["cell_type"].isin(["T", "B"]) & (obs["donor"] == "d1")
        expected += list(obs.loc[keep, "cell_id"])
    assert len(ds) == len(expected) > 0
    assert [ds[i]["cell_id"] for i in range(len(ds))] == expected
    assert ds.n_obs_list[2] == 0 and ds.filtered
    got = ds.get_merged_labels("cell_type")
    assert set(got) == {"T", "B"} and len(got) == len(ds)
    with_missing = _from_files(
        files, obs_keys="cell_id", obs_filter={"cell_type": [np.nan]}, encode_labels=False
    )
    assert [with_missing[i]["cell_id"] for i in range(len(with_missing))] == ["s0-c1"]


def test_label_weights(files):
    ds = _from_files(files, obs_keys="cell_type")
    labels = [str(x) for _, a in files for x in a.obs["cell_type"].astype(object)]
    counts = Counter(labels)
    weights = ds.get_label_weights("cell_type")
    np.testing.assert_allclose(weights, [1 / counts[x] for x in labels])
    scaled = ds.get_label_weights(["cell_type"], scaler=10.0)
    np.testing.assert_allclose(scaled, [10 / (counts[x] + 10) for x in labels])
    assert ds.get_label_weights("cell_type", return_categories=True)["T"] == 1 / counts["T"]
    both = ds.get_label_weights(["cell_type", "n_counts"], return_categories=True)
    assert all("__" in key for key in both)
    sampler = torch.utils.data.WeightedRandomSampler(weights, num_samples=8)
    assert len(list(sampler)) == 8


def test_dtype_cache_categories_and_default_collate(files):
    ds = _from_files(
        files, obs_keys=["cell_type", "n_counts", "cell_id"], dtype="float64", join="outer"
    )
    lazy = _from_files(
        files,
        obs_keys=["cell_type", "n_counts", "cell_id"],
        dtype="float64",
        join="outer",
        cache_categories=False,
    )
    assert lazy._columns["cell_type"][0].codes is None
    indices = [3, 70, 0, 41, 89, 55, 55]
    batch = ds.__getitems__(indices)
    assert batch[0]["X"].dtype == np.float64
    fast = default_collate(batch)  # the stacked arrays, without a per-sample copy
    slow = default_collate([dict(s) for s in batch])  # the per-sample path
    assert list(fast) == list(slow)
    for key in fast:
        if isinstance(fast[key], torch.Tensor):
            assert fast[key].dtype == slow[key].dtype, key
            torch.testing.assert_close(fast[key], slow[key])
        else:
            assert fast[key] == slow[key]
    other = default_collate(lazy.__getitems__(indices))
    torch.testing.assert_close(other["X"], fast["X"])
    assert other["cell_type"].tolist() == fast["cell_type"].tolist()
    loader = DataLoader(ds, batch_size=16, shuffle=True, drop_last=False)
    seen = torch.cat([b["_store_idx"] for b in loader])
    assert sorted(seen.tolist()) == sorted(ds.storage_idx.tolist())


def test_collection_mapped_and_run_inputs(shards):
    artifacts = [a for a, _ in shards]
    collection = ln.Collection(artifacts[::-1], key="mapped-collection").save()
    with ln.flow(key="train-mapped"):
        run = ln.context.run
        ds = collection.mapped(obs_keys="cell_id", encode_labels=False)
    assert ds[0]["cell_id"] == "s3-c0"  # the collection's order
    assert [c.id for c in run.input_collections.all()] == [collection.id]
    assert run.input_artifacts.count() == 0
    with ln.flow(key="train-query"):
        run = ln.context.run
        _mapped()
    assert sorted(a.id for a in run.input_artifacts.all()) == sorted(a.id for a in artifacts)
    with ln.flow(key="not-an-input"):
        run = ln.context.run
        _mapped(is_run_input=False)
    assert run.input_artifacts.count() == 0
    unsaved = ln.Collection(artifacts[:2], key="unsaved")
    assert len(unsaved.mapped()) == 55


def test_unordered_query_set_is_in_id_order_and_other_formats_are_skipped(shards, caplog):
    frame = ln.Artifact(pd.DataFrame({"a": [1]}), key="mapped/table.parquet").save()
    with caplog.at_level(logging.WARNING, logger="lamin_pipes"):
        ds = ln.Artifact.filter(key__startswith="mapped/").mapped()
    assert "ignores artifact" in caplog.text and frame.uid in caplog.text
    assert ds.n_obs_list == [a.n_obs for _, a in shards]
    with pytest.raises(InvalidArgument, match=r"none of the 1 artifacts"):
        ln.Artifact.filter(key="mapped/table.parquet").mapped()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"join": "left"}, r"Invalid join 'left'; valid options: 'inner', 'outer', None"),
        ({"obs_keys": "cell_type", "encode_labels": ["donor"]}, r"\['donor'\].*obs_keys"),
        (
            {"obs_keys": "cell_type", "unknown_label": {"donor": "d1"}},
            r"unknown_label has keys \['donor'\]",
        ),
        ({"dtype": "str"}, r"Invalid dtype 'str'"),
        ({"obs_keys": "tissue"}, r"'tissue' is in none of the stores; valid obs columns"),
        ({"layers_keys": "spliced"}, r"'spliced' is in none of the stores.*'counts'"),
        ({"obsm_keys": "X_umap"}, r"'X_umap' is in none of the stores; valid keys: \['emb'\]"),
        ({"obs_filter": ["cell_type"]}, r"obs_filter must be a non-empty dict"),
    ],
)
def test_invalid_arguments_name_the_value_and_the_options(files, options, message):
    with pytest.raises(InvalidArgument, match=message):
        _from_files(files, **options)


def test_csc_and_disjoint_genes_are_refused(tmp_path):
    adata = data.make_adata(9, 6, data.GENES, sparse=True)
    adata.X = adata.X.tocsc()
    adata.write_h5ad(tmp_path / "csc.h5ad")
    with pytest.raises(InvalidArgument, match=r"X in .*csc\.h5ad is a CSC matrix"):
        MappedCollection([tmp_path / "csc.h5ad"])
    data.make_adata(1, 4, ["a", "b"]).write_h5ad(tmp_path / "ab.h5ad")
    data.make_adata(2, 4, ["c", "d"]).write_h5ad(tmp_path / "cd.h5ad")
    with pytest.raises(InvalidArgument, match=r"no variables in common; use join='outer'"):
        MappedCollection([tmp_path / "ab.h5ad", tmp_path / "cd.h5ad"])
    with MappedCollection([tmp_path / "ab.h5ad", tmp_path / "cd.h5ad"], join="outer") as ds:
        assert ds[5]["X"][:2].tolist() == [0.0, 0.0]


def test_close_context_manager_pickle_and_indexing(tmp_path):
    adata = data.make_adata(4, 10, data.GENES)
    adata.write_h5ad(tmp_path / "a.h5ad")
    with MappedCollection([tmp_path / "a.h5ad"], obs_keys="cell_id", encode_labels=False) as ds:
        handle = ds.storages[0]
        assert handle.id.valid
        copy = pickle.loads(pickle.dumps(ds))  # as a spawned DataLoader worker gets it
        np.testing.assert_array_equal(copy[-1]["X"], adata.X[-1])
        assert copy[3]["cell_id"] == "s4-c3"
        with pytest.raises(IndexError, match=r"index 10 is out of range .* 10 observations"):
            ds[10]
        with pytest.raises(IndexError):
            ds.__getitems__([0, -11])
        assert len(list(ds)) == 10  # iteration stops at the IndexError
    assert ds.closed and not handle.id.valid
    with pytest.raises(InvalidArgument, match="closed"):
        ds[0]
    parallel = MappedCollection([tmp_path / "a.h5ad"], parallel=True)
    assert not parallel._stores[0].is_open and parallel.storages == [tmp_path / "a.h5ad"]
    np.testing.assert_array_equal(parallel[2]["X"], adata.X[2])
    parallel.close()


def test_a_batch_is_freed_as_soon_as_it_is_dropped(tmp_path):
    """No reference cycles: a batch's arrays go when the last reference does, not when
    the garbage collector next runs (a cycle per batch kept hundreds of megabytes alive
    and made epochs 2-3x slower)."""
    import gc
    import weakref

    data.make_adata(0, 50, data.GENES).write_h5ad(tmp_path / "a.h5ad")
    with MappedCollection([tmp_path / "a.h5ad"], obs_keys="cell_type") as ds:
        gc.disable()
        try:
            samples = ds.__getitems__([3, 1, 2])
            collated = default_collate(samples)
            batch = weakref.ref(samples[0]._batch)
            x = weakref.ref(batch().arrays["X"])
            assert collated["X"].shape[0] == 3
            del samples
            assert batch() is None  # the batch went with its samples
            assert x() is not None  # its array lives on in the collated tensor
            del collated
            assert x() is None
            items = ds.__getitems__([0, 1]).to_list()  # every sample built
            batch = weakref.ref(items[0]._batch)
            del items
            assert batch() is None
        finally:
            gc.enable()


def test_block_samplers(tmp_path):
    data.make_adata(0, 100, data.GENES).write_h5ad(tmp_path / "a.h5ad")
    ds = MappedCollection([tmp_path / "a.h5ad"])
    sampler = ds.block_sampler(block_size=10, batch_size=20, seed=3)
    order = list(sampler)
    assert sorted(order) == list(range(100)) and order == list(sampler)
    for start in range(0, 100, 20):  # each batch: two whole blocks, shuffled inside
        blocks = {i // 10 for i in order[start : start + 20]}
        assert len(blocks) == 2
    assert sorted(order[:20]) != order[:20]
    sampler.set_epoch(1)
    assert list(sampler) != order
    unseeded = ds.block_sampler(block_size=10)
    torch.manual_seed(0)
    first = list(unseeded)
    torch.manual_seed(0)
    assert list(unseeded) == first
    shards = [ds.block_sampler(10, num_replicas=3, rank=r, seed=1) for r in range(3)]
    seen = [i for s in shards for i in s]
    assert len(seen) == 102 and set(seen) == set(range(100))  # padded to 3 x 34
    dropped = [ds.block_sampler(10, num_replicas=3, rank=r, drop_last=True) for r in range(3)]
    assert [len(s) for s in dropped] == [33, 33, 33]
    assert len(set(i for s in dropped for i in s)) == 99
    with pytest.raises(InvalidArgument, match=r"Invalid rank 3; valid ranks: 0 to 2"):
        ds.block_sampler(10, num_replicas=3, rank=3)
    with pytest.raises(InvalidArgument, match=r"block_size must be a positive integer"):
        ds.block_sampler(0)
    with pytest.raises(InvalidArgument, match=r"initialized torch\.distributed"):
        ds.block_sampler(10, distributed=True)
    loader = DataLoader(ds, batch_size=20, sampler=ds.block_sampler(10, 20))
    assert sum(len(b["X"]) for b in loader) == 100
    ds.close()


def test_import_lamin_pipes_does_not_import_torch():
    code = "import sys, lamin_pipes; assert 'torch' not in sys.modules, 'torch imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_mapped_collection_is_public_and_loads_torch_on_first_use():
    """lamindb offers ``ln.core.MappedCollection``; here it is ``lamin_pipes.models``'."""
    code = (
        "import sys, lamin_pipes.models as m; assert 'torch' not in sys.modules; "
        "from lamin_pipes.models import MappedCollection; assert 'torch' in sys.modules; "
        "print(MappedCollection.__module__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == MappedCollection.__module__
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchThing'"):
        ln.models.NoSuchThing  # noqa: B018


def test_row_copier_follows_the_faster_way():
    """Timed batches decide; the other way is tried again later (a few batches, the
    cheapest counts), less often as it loses, and soon after a switch."""
    from lamin_pipes.models._mapped import _copier

    def run(copier: Any, n: int, torch_cost: float, numpy_cost: float) -> list[str]:
        ways = []
        for _ in range(n):
            way = copier.way()
            ways.append(way)
            cost = torch_cost if way == "torch" else numpy_cost
            copier._record(way, cost, probe=way != copier.best())
        return ways

    threads_before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        copier = _copier.RowCopier()
        assert copier.way() == "torch"  # untimed: torch first, then a try of numpy
        assert run(copier, 4, 1.0, 3.0) == ["torch", "numpy", "numpy", "numpy"]
        assert copier.cost == {"torch": 1.0, "numpy": 3.0}
        ways = run(copier, 200, 1.0, 3.0)  # numpy, having lost, waits 64, then 128
        tries = [i for i, w in enumerate(ways) if w == "numpy"]
        assert tries == [64, 65, 66, 67 + 128, 68 + 128, 69 + 128]
        copier._tries = []
        copier._record("numpy", 9.0, probe=True)  # a slow first batch of a try ...
        copier._record("numpy", 0.5, probe=True)
        copier._record("numpy", 0.6, probe=True)  # ... does not count: 0.5 does
        assert copier.cost["numpy"] == 0.5 and copier.best() == "numpy"
        copier.cost["numpy"] = 3.0  # back to torch
        start = copier.batches
        ways = run(copier, 20, 15.0, 3.0)  # the cores get busy: torch costs 15x more
        assert ways[:3] == ["torch"] * 3 and set(ways[3:]) == {"numpy"}  # 3 dear batches
        ways = run(copier, 40, 1.0, 3.0)  # idle again: torch is tried 32 batches later
        assert start + 20 + ways.index("torch") == start + 3 + 32
        assert set(ways[ways.index("torch") :]) == {"torch"}
        torch.set_num_threads(1)
        assert copier.way() == "numpy"  # one torch thread: numpy, without asking
    finally:
        torch.set_num_threads(threads_before)
