"""``ln.Artifact.get(path=...)``: the artifact whose content is stored at a path.

lamindb 2.12 (``QuerySet.get`` with ``artifacts_from_path``): ``path`` may be a str,
``Path`` or ``UPath`` "including the storage root". A managed path
``{root}/.lamindb/{uid}{suffix}`` names that version (20 characters) or, for a family
sharing one object, its latest version (the 16-character stem); another path names the
artifacts registered in place there, by ``key`` (non-virtual) or ``_real_key``. The
latest version is preferred, else the newest; no match raises ``DoesNotExist``; only
artifacts can be queried by path.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.errors import DoesNotExist, InvalidArgument


def test_managed_paths_name_their_version(instance, tmp_path):
    v1 = ln.Artifact({"v": 1}, key="g/p.json").save()
    v2 = ln.Artifact({"v": 2}, key="g/p.json").save()
    assert ln.Artifact.get(path=v1.path) == v1  # the version the path names, not latest
    assert ln.Artifact.get(path=str(v2.path)) == v2
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    shared_v1 = ln.Artifact(folder, key="g/folder").save()
    (folder / "a.txt").write_text("b")
    shared_v2 = ln.Artifact(folder, key="g/folder").save()
    assert Path(shared_v2.path).name == shared_v2.stem_uid
    assert ln.Artifact.get(path=shared_v2.path) == shared_v2  # the stem: the latest one
    assert shared_v1.path == shared_v2.path


def test_in_place_paths_and_query_sets(instance):
    root = Path(ln.Storage.default().root)
    path = root / "data" / "t.csv"
    path.parent.mkdir(parents=True)
    pd.DataFrame({"a": [1]}).to_csv(path, index=False)
    artifact = ln.Artifact(path).save()
    assert ln.Artifact.get(path=path) == artifact
    assert ln.Artifact.filter(suffix=".csv").get(path=path) == artifact
    with pytest.raises(DoesNotExist):
        ln.Artifact.filter(suffix=".parquet").get(path=path)
    relative = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    assert ln.Artifact.get(path=str(relative)) == artifact


def test_unknown_paths_and_bad_arguments(instance, tmp_path):
    with pytest.raises(DoesNotExist):
        ln.Artifact.get(path=tmp_path / "nowhere.csv")
    with pytest.raises(DoesNotExist):
        ln.Artifact.get(path=Path(ln.Storage.default().root) / ".lamindb" / ("A" * 20 + ".csv"))
    with pytest.raises(InvalidArgument, match="path must be"):
        ln.Artifact.get(path=42)
