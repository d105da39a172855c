"""``Artifact.describe`` / ``Collection.describe``: readable trees."""

from __future__ import annotations

import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.models import _describe
from lamin_pipes.models._describe import (
    Section,
    describe_artifact,
    describe_collection,
    format_size,
)


def _rows(text: str) -> dict[str, str]:
    """``name: value`` lines of a description, by name."""
    rows = {}
    for line in text.splitlines():
        body = line.lstrip("│├└─ ")
        if ": " in body:
            name, value = body.split(": ", 1)
            rows.setdefault(name, value.strip())
    return rows


def test_describe_artifact_general_and_provenance(instance):
    df = pd.DataFrame({"a": range(100)})
    with ln.flow(key="make-table") as run:
        artifact = ln.Artifact(df, key="tables/t.parquet", description="a table").save()
    text = artifact.describe(return_str=True)
    assert text == describe_artifact(artifact)
    lines = text.splitlines()
    assert lines[0] == "Artifact: tables/t.parquet (0000)"
    assert lines[1] == f"uid: {artifact.uid}"
    assert lines[2] == "├── General"
    assert "└── Provenance" in lines
    rows = _rows(text)
    assert rows["key"] == "tables/t.parquet"
    assert rows["description"] == "a table"
    assert rows["uid"] == artifact.uid
    assert rows["otype"] == "DataFrame"
    assert rows["suffix"] == ".parquet"
    assert rows["size"] == format_size(artifact.size)
    assert rows["size"].endswith(("B", "KB"))
    assert rows["hash"] == artifact.hash
    assert rows["n_observations"] == "100"
    assert rows["storage"] == artifact.storage.root
    assert rows["path"] == str(artifact.path)
    assert rows["created_by"] == ln.settings.user.handle
    assert rows["version"] == "0000"
    assert rows["is_latest"] == "True"
    assert rows["versions"] == "1"
    assert rows["branch"] == "main"
    assert rows["run"] == run.uid
    assert rows["transform"] == "make-table (function)"
    assert rows["status"] == "completed"
    assert "started_at" in rows and "finished_at" in rows
    assert rows["input_of_runs"] == "0"
    assert "n_files" not in rows  # None values are left out


def test_describe_prints_by_default(instance, capsys):
    artifact = ln.Artifact({"a": 1}, key="printed.json").save()
    assert artifact.describe() is None
    printed = capsys.readouterr().out
    assert printed.startswith("Artifact: printed.json (0000)")


def test_describe_artifact_without_run_versions_and_trash(instance):
    v1 = ln.Artifact({"v": 1}, key="family.json").save()
    v2 = ln.Artifact({"v": 2}, key="family.json").save()
    with ln.flow(key="reader"):
        v1.load()
    text = describe_artifact(ln.Artifact.get(v1.id))
    assert "not created in a tracked run" in text
    rows = _rows(text)
    assert rows["version"] == "0000"
    assert rows["is_latest"] == "False"
    assert rows["versions"] == "2"
    assert rows["input_of_runs"] == "1"
    v2.delete()
    assert _rows(describe_artifact(v2))["branch"] == "trash"


def test_header_falls_back_to_description_then_uid(instance):
    described = ln.Artifact({"d": 1}, description="just a description").save()
    assert describe_artifact(described).splitlines()[0] == "Artifact: just a description (0000)"
    bare = ln.Artifact({"d": 2}).save()
    assert describe_artifact(bare).splitlines()[0] == f"Artifact: {bare.uid} (0000)"


def test_section_builders_are_an_extension_point(instance, monkeypatch):
    artifact = ln.Artifact({"e": 1}, key="extended.json").save()
    extra = [
        *_describe.ARTIFACT_SECTIONS,
        lambda record: Section("Features", [("n", "0"), "nothing yet"]),
        lambda record: None,  # a builder may leave its section out
    ]
    monkeypatch.setattr(_describe, "ARTIFACT_SECTIONS", extra)
    text = describe_artifact(artifact)
    lines = text.splitlines()
    assert "├── Provenance" in lines
    assert lines[-3:] == ["└── Features", "    ├── n: 0", "    └── nothing yet"]


def test_describe_collection_lists_members_in_order(instance):
    with ln.flow(key="shards"):
        first = ln.Artifact(pd.DataFrame({"x": [1]}), key="shards/b.parquet").save()
        second = ln.Artifact(pd.DataFrame({"x": [2, 3]}), key="shards/a.parquet").save()
    with ln.flow(key="bundle") as run:
        collection = ln.Collection(
            [first, second], key="all-shards", description="two shards"
        ).save()
    text = collection.describe(return_str=True)
    assert text == describe_collection(collection)
    lines = text.splitlines()
    assert lines[0] == "Collection: all-shards (0000)"
    assert lines[1] == f"uid: {collection.uid}"
    rows = _rows(text)
    assert rows["key"] == "all-shards"
    assert rows["description"] == "two shards"
    assert rows["run"] == run.uid
    assert rows["transform"] == "bundle (function)"
    total = format_size(first.size + second.size)
    assert f"└── Artifacts (2, {total})" in lines
    members = lines[lines.index(f"└── Artifacts (2, {total})") + 1 :]
    assert members == [
        f"    ├── 1. shards/b.parquet  {first.uid}  {format_size(first.size)}",
        f"    └── 2. shards/a.parquet  {second.uid}  {format_size(second.size)}",
    ]


@pytest.mark.parametrize(
    ("size", "expected"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 KB"), (1_604, "1.6 KB"), (3 * 10**12, "3.0 TB")],
)
def test_format_size(size, expected):
    assert format_size(size) == expected


def test_describe_prints_markup_long_and_multi_line_values_as_they_are(instance):
    key = "[bold]raw[/bold]/" + "/".join(f"level{i}" for i in range(40)) + "/t.json"
    artifact = ln.Artifact(
        {"m": 1}, key=key, description="first line\nsecond [red]line[/red]"
    ).save()
    text = describe_artifact(artifact)
    lines = text.splitlines()
    assert lines[0] == f"Artifact: {key} (0000)"
    assert _rows(text)["key"] == key  # long values are neither wrapped nor cut
    assert _rows(text)["path"] == str(artifact.path)
    for line in lines:
        assert line == line.rstrip()
        assert "\x1b" not in line
    # a value over several lines stays inside its section
    at = next(i for i, line in enumerate(lines) if "description:" in line)
    assert lines[at].startswith("│   ├── description: ")
    assert lines[at].endswith(" first line")
    assert lines[at + 1] == "│   │   second [red]line[/red]"
    assert all(line[0] in "├│└ " for line in lines[2:])
