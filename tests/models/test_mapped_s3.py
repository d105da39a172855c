"""mapped() over artifacts in S3 (a moto server): cached first, or streamed with stream=True."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from torch.utils.data import DataLoader

import lamin_pipes as ln
from lamin_pipes.models._mapped._elements import RemoteRows, ZarrRows

_spec = importlib.util.spec_from_file_location(
    "_mapped_data", Path(__file__).with_name("_mapped_data.py")
)
assert _spec is not None and _spec.loader is not None
data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(data)


def _cache_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "cache"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def s3_shards(s3_instance):
    adatas = [
        data.make_adata(0, 12, data.GENES),
        data.make_adata(1, 10, data.GENES[::-1], sparse=True),
        data.make_adata(2, 8, data.GENES[3:], sparse=True),
    ]
    keys = ["s3m/0.h5ad", "s3m/1.h5ad", "s3m/2.zarr"]
    for key, adata in zip(keys, adatas, strict=True):
        ln.Artifact(adata, key=key).save()
    return adatas


def _expected(adatas, genes):
    return [data.joined_row(a, r, genes) for a in adatas for r in range(a.n_obs)]


def test_stream_reads_in_place_and_the_default_caches(s3_shards, tmp_path):
    ds = (
        ln.Artifact.filter(key__startswith="s3m/")
        .order_by("key")
        .mapped(stream=True, obs_keys="cell_id", encode_labels=False, join="outer")
    )
    assert _cache_files(tmp_path) == []
    assert isinstance(ds._stores[0].matrix("X").rows, RemoteRows)  # byte ranges, no h5py
    assert isinstance(ds._stores[1].matrix("X").data, RemoteRows)
    assert isinstance(ds._stores[2].matrix("X").data, ZarrRows)
    expected = _expected(s3_shards, ds.var_joint)
    order = np.random.default_rng(0).permutation(len(ds))
    batch = ds.__getitems__(order)
    for i, sample in zip(order.tolist(), batch, strict=True):
        np.testing.assert_array_equal(sample["X"], expected[i])
    assert [s["cell_id"] for s in batch][:2] == [
        [c for a in s3_shards for c in a.obs["cell_id"]][i] for i in order[:2]
    ]
    loader = DataLoader(ds, batch_size=8, shuffle=True, num_workers=2)
    assert sum(len(b["X"]) for b in loader) == 30  # forked workers open their own clients
    assert _cache_files(tmp_path) == []
    ds.close()
    # without stream=True the artifacts are cached first, as lamindb does
    ds = ln.Artifact.filter(key__startswith="s3m/").order_by("key").mapped(join="outer")
    assert len(_cache_files(tmp_path)) >= 3
    expected = _expected(s3_shards, ds.var_joint)
    for i in (0, 13, 29):
        np.testing.assert_array_equal(ds[i]["X"], expected[i])
    ds.close()
