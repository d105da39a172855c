"""``closable``: opened objects work in ``with`` and keep their type (and pickle as it).

lamindb 2.12 returns a polars LazyFrame only inside a context manager and a pyarrow
dataset or zarr ``BackedAccessor`` that ``with`` refuses (TypeError); here every object
``open()`` returns is itself and a context manager.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import anndata as ad
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from lamin_pipes.storage._closing import closable


def _parquet(tmp_path: Path) -> str:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), path)
    return str(path)


def test_a_dataset_is_rebuilt_as_a_closing_dataset(tmp_path):
    dataset = closable(ds.dataset(_parquet(tmp_path)))
    assert isinstance(dataset, ds.FileSystemDataset)
    with dataset as inner:
        assert inner is dataset and inner.count_rows() == 3
    assert pl.scan_pyarrow_dataset(dataset).collect().shape == (3, 1)
    assert pickle.loads(pickle.dumps(dataset)).count_rows() == 3


def test_close_runs_once_and_pickling_drops_the_closer(tmp_path):
    calls: list[int] = []
    frame = closable(pl.scan_parquet(_parquet(tmp_path)), close=lambda: calls.append(1))
    assert type(frame).__name__ == "LazyFrame" and isinstance(frame, pl.LazyFrame)
    restored = pickle.loads(pickle.dumps(frame))
    assert type(restored) is pl.LazyFrame and restored.collect().shape == (3, 1)
    with frame:
        pass
    frame.close()
    assert calls == [1]
    adata = closable(ad.AnnData(np.ones((2, 2))), close=lambda: calls.append(2))
    assert type(pickle.loads(pickle.dumps(adata))) is ad.AnnData
    with adata as inner:
        assert inner.shape == (2, 2)
    assert calls == [1, 2]


def test_objects_whose_class_cannot_change_get_a_proxy():
    calls: list[str] = []
    proxy = closable(frozenset({1, 2}), close=lambda: calls.append("closed"))
    assert proxy.union({3}) == {1, 2, 3}  # attributes reach the object
    with proxy as inner:
        assert inner == frozenset({1, 2})
    assert calls == ["closed"] and "1" in repr(proxy)
