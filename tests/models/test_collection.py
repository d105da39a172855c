"""Collections: ordered, versioned sets of artifacts; load, open, cache, dedup, append."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.core._context import current_run
from lamin_pipes.errors import InvalidArgument
from lamin_pipes.models import _tracking
from lamin_pipes.storage import combine_hashes


@pytest.fixture(autouse=True)
def _no_leftover_run():
    yield
    if _tracking._tracked is not None:
        _tracking._tracked = None
    current_run.set(None)


def _shard(i: int, **extra: list[Any]) -> Any:
    frame = pd.DataFrame({"x": [i, i + 10], **extra})
    return ln.Artifact(frame, key=f"shards/{i}.parquet").save()


def _ids(records: Any) -> list[int]:
    return [r.id for r in records]


def _fresh(record: Any) -> Any:
    return type(record).filter(id=record.id, branch_id__in=[1, -1]).one()


def test_create_and_order(instance):
    a, b, c = _shard(0), _shard(1), _shard(2)
    collection = ln.Collection([b, a, c], key="my-shards", description="three shards")
    assert collection.id is None
    assert collection.save() is collection
    assert collection.id is not None
    assert len(collection.uid) == 20 and collection.uid.endswith("0000")
    assert (collection.key, collection.description) == ("my-shards", "three shards")
    assert collection.hash == combine_hashes([a.hash, b.hash, c.hash])
    assert collection.version == "0000" and collection.is_latest is True
    assert collection.created_by == ln.settings.user
    assert _ids(collection.ordered_artifacts) == [b.id, a.id, c.id]
    assert sorted(_ids(collection.artifacts.all())) == sorted([a.id, b.id, c.id])
    assert _ids(a.collections.all()) == [collection.id]
    loaded = ln.Collection.get(collection.id)
    assert _ids(loaded.ordered_artifacts) == [b.id, a.id, c.id]
    assert ln.Collection.get(collection.stem_uid) == collection
    assert collection.data_artifact is None


def test_single_artifact(instance):
    a = _shard(0)
    collection = ln.Collection(a, key="single").save()
    assert _ids(collection.ordered_artifacts) == [a.id]
    assert collection.data_artifact == a


def test_bad_arguments(instance):
    a = _shard(0)
    with pytest.raises(InvalidArgument, match="artifacts"):
        ln.Collection(None, key="k")
    with pytest.raises(InvalidArgument, match="at least one"):
        ln.Collection([], key="k")
    with pytest.raises(InvalidArgument, match="Save the artifact"):
        ln.Collection([a, ln.Artifact({"u": 1})], key="k")
    with pytest.raises(InvalidArgument, match="Artifacts"):
        ln.Collection([a, "not an artifact"], key="k")
    with pytest.raises(InvalidArgument, match="key"):
        ln.Collection([a])
    with pytest.raises(InvalidArgument, match="revises"):
        ln.Collection([a], key="k", revises=a)
    assert ln.Collection.filter().count() == 0


def test_load_open_cache(instance):
    a = _shard(0)
    b = _shard(1, y=["p", "q"])
    c = _shard(2)
    collection = ln.Collection([c, a, b], key="data").save()
    frame = collection.load(join="outer")
    assert frame["x"].tolist() == [2, 12, 0, 10, 1, 11]
    assert set(frame.columns) == {"x", "y"}
    assert frame["y"].isna().sum() == 4
    inner = collection.load(join="inner")
    assert list(inner.columns) == ["x"]
    paths = collection.cache()
    assert paths == [Path(c.path), Path(a.path), Path(b.path)]
    assert all(p.exists() for p in paths)
    same_schema = ln.Collection([c, a], key="same-schema").save()
    dataset = same_schema.open()
    assert sorted(dataset.to_table().column("x").to_pylist()) == [0, 2, 10, 12]
    lazy = same_schema.open(engine="polars")
    assert sorted(lazy.collect()["x"].to_list()) == [0, 2, 10, 12]


def test_load_anndata(instance):
    def adata(prefix: str, genes: list[str]) -> ad.AnnData:
        x = np.ones((2, len(genes)), dtype=np.float32)
        return ad.AnnData(
            X=x,
            obs=pd.DataFrame(index=[f"{prefix}{i}" for i in range(2)]),
            var=pd.DataFrame(index=genes),
        )

    a = ln.Artifact(adata("a", ["g1", "g2"]), key="ad/a.h5ad").save()
    b = ln.Artifact(adata("b", ["g2", "g3"]), key="ad/b.h5ad").save()
    collection = ln.Collection([a, b], key="ad-collection").save()
    outer = collection.load(join="outer")
    assert isinstance(outer, ad.AnnData)
    assert list(outer.obs_names) == ["a0", "a1", "b0", "b1"]
    assert set(outer.var_names) == {"g1", "g2", "g3"}
    assert list(collection.load(join="inner").var_names) == ["g2"]


def test_dedup_of_the_same_members(instance, caplog):
    caplog.set_level(logging.INFO, logger="lamin_pipes")
    a, b = _shard(0), _shard(1)
    first = ln.Collection([a, b], key="dedup").save()
    caplog.clear()
    same = ln.Collection([a, b], key="dedup-again").save()
    assert same.id == first.id and same.uid == first.uid and same.key == "dedup"
    assert any(first.uid in r.getMessage() for r in caplog.records), caplog.text
    reordered = ln.Collection([b, a], key="dedup").save()
    assert reordered.id == first.id
    assert ln.Collection.filter().count() == 1
    with ln.flow(key="rerun") as run:
        ln.Collection([a, b], key="dedup").save()
    assert _ids(_fresh(first).recreating_runs.all()) == [run.id]
    forced = ln.Collection([a, b], key="forced", skip_hash_lookup=True).save()
    assert forced.id != first.id and forced.hash == first.hash
    assert _ids(forced.ordered_artifacts) == [a.id, b.id]
    # another member set is another collection
    c = _shard(2)
    assert ln.Collection([a, b, c], key="dedup-3").save().id != first.id


def test_versioning_by_key(instance):
    a, b, c = _shard(0), _shard(1), _shard(2)
    v1 = ln.Collection([a, b], key="versioned").save()
    v2 = ln.Collection([a, b, c], key="versioned").save()
    assert v2.stem_uid == v1.stem_uid and v2.uid.endswith("0001")
    assert v2.version == "0001" and v2.is_latest is True
    assert _fresh(v1).is_latest is False
    assert [v.uid for v in v1.versions] == [v1.uid, v2.uid]
    assert ln.Collection.get(v1.stem_uid).id == v2.id
    assert _ids(_fresh(v1).ordered_artifacts) == [a.id, b.id]
    v3 = ln.Collection([c], revises=v2).save()
    assert v3.key == "versioned" and v3.uid.endswith("0002")
    tagged = ln.Collection([a], key="versioned", version="t").save()
    assert tagged.version == "t" and tagged.uid.endswith("0003")
    with pytest.raises(InvalidArgument, match="'t'"):
        ln.Collection([b], key="versioned", version="t").save()
    assert ln.Collection.filter(key="versioned", is_latest=True).count() == 1


def test_append(instance):
    a, b, c = _shard(0), _shard(1), _shard(2)
    v1 = ln.Collection([a, b], key="growing", description="grows").save()
    v2 = v1.append(c)
    assert isinstance(v2, ln.Collection)
    assert v2.id is None  # a new, unsaved version
    assert v2.key == "growing" and v2.description == "grows"
    v2.save()
    assert v2.stem_uid == v1.stem_uid and v2.uid.endswith("0001")
    assert _ids(v2.ordered_artifacts) == [a.id, b.id, c.id]
    assert _ids(_fresh(v1).ordered_artifacts) == [a.id, b.id]
    assert _fresh(v1).is_latest is False and v2.is_latest is True
    assert v2.load()["x"].tolist() == [0, 10, 1, 11, 2, 12]
    with pytest.raises(InvalidArgument, match="saved Artifact"):
        v2.append(ln.Artifact({"unsaved": 1}))


def test_runs(instance):
    a, b = _shard(0), _shard(1)
    with ln.flow(key="make-collection") as producer:
        collection = ln.Collection([a, b], key="run-collection").save()
    assert collection.run == producer
    assert _ids(producer.output_collections.all()) == [collection.id]
    with ln.flow(key="use-collection") as consumer:
        collection.load()
    assert _ids(_fresh(collection).input_of_runs.all()) == [consumer.id]
    assert _ids(consumer.input_collections.all()) == [collection.id]
    with ln.flow(key="stream") as streamer:
        collection.open()
    with ln.flow(key="download") as downloader:
        collection.cache()
    runs = {r.id for r in _fresh(collection).input_of_runs.all()}
    assert runs == {consumer.id, streamer.id, downloader.id}
    collection.load()  # outside a run
    assert len(_fresh(collection).input_of_runs.all()) == 3


def test_delete(instance):
    a, b = _shard(0), _shard(1)
    v1 = ln.Collection([a], key="to-delete").save()
    v2 = ln.Collection([a, b], key="to-delete").save()
    v2.delete()
    assert _fresh(v2).branch_id == -1
    assert _fresh(v1).is_latest is True
    assert ln.Collection.get(v1.stem_uid).id == v1.id
    v1.delete(permanent=True)
    assert ln.Collection.filter(id=v1.id, branch_id__in=[1, -1]).count() == 0
    # the members stay
    assert ln.Artifact.filter(id__in=[a.id, b.id]).count() == 2
    assert Path(a.path).exists()


def test_a_failed_collection_save_can_be_retried(instance):
    a = ln.Artifact(pd.DataFrame({"x": [1]}), key="retry-c/a.parquet").save()
    b = ln.Artifact(pd.DataFrame({"x": [2]}), key="retry-c/b.parquet").save()
    ln.Collection([a], key="retry-c", version="1").save()
    collection = ln.Collection([a, b], key="retry-c", version="1")
    with pytest.raises(InvalidArgument, match="already exists"):
        collection.save()
    assert collection.id is None
    collection.version_tag = "2"
    collection.save()
    assert [x.id for x in collection.ordered_artifacts] == [a.id, b.id]


def test_the_constructor_returns_the_collection_of_the_same_artifacts(instance):
    # lamindb: Collection(artifacts) over the artifacts of a saved collection is that
    # collection already, before save(); a trashed one comes back from the trash
    a, b = _shard(0), _shard(1)
    first = ln.Collection([a, b], key="same").save()
    again = ln.Collection([b, a], key="same-members")
    assert again.id == first.id and again.key == "same"
    first.delete()
    restored = ln.Collection([a, b], key="same")
    assert restored.id == first.id and restored.branch_id == 1
    assert ln.Collection.filter(key="same").count() == 1


def test_ordered_artifacts_is_an_ordered_query_set(instance):
    # lamindb: collection.ordered_artifacts is a QuerySet (.to_list(), .filter()) in the
    # order the artifacts were given
    a, b, c = _shard(0), _shard(1), _shard(2)
    collection = ln.Collection([c, a, b], key="ordered").save()
    members = collection.ordered_artifacts
    assert isinstance(members, ln.models.QuerySet)
    assert _ids(members.to_list()) == [c.id, a.id, b.id]
    assert _ids(members.filter(id__in=[a.id, c.id])) == [c.id, a.id]
    assert members.count() == 3 and members[1] == a
    assert (
        ln.Collection([a], key="unsaved-members", skip_hash_lookup=True).ordered_artifacts.count()
        == 0
    )
