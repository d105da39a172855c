"""``Artifact.view_lineage`` / ``Collection.view_lineage``: upstream runs and records."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.errors import InvalidArgument
from lamin_pipes.models._lineage import build_lineage, view_lineage


@pytest.fixture
def chain(instance) -> Iterator[dict]:
    """raw.parquet (run of 'ingest') → run of 'clean' → clean.parquet."""
    df = pd.DataFrame({"x": [1, 2, 3]})
    with ln.flow(key="ingest") as ingest:
        raw = ln.Artifact(df, key="raw.parquet").save()
    with ln.flow(key="clean") as clean:
        raw.load()
        out = ln.Artifact(df.head(2), key="clean.parquet").save()
    yield {"raw": raw, "out": out, "ingest": ingest, "clean": clean}


def _edges(dot: str) -> set[tuple[str, str]]:
    return set(re.findall(r"^\s*(\w+) -> (\w+)", dot, flags=re.MULTILINE))


def test_text_shows_transforms_and_inputs(chain):
    text = chain["out"].view_lineage()
    lines = text.splitlines()
    assert lines[0] == f"Artifact 'clean.parquet' (uid {chain['out'].uid}, v0000)"
    assert lines[1] == (
        f"└── created by: Run {chain['clean'].uid} of Transform 'clean' (function, completed)"
    )
    assert lines[2] == f"    └── input: Artifact 'raw.parquet' (uid {chain['raw'].uid}, v0000)"
    assert lines[3] == (
        f"        └── created by: Run {chain['ingest'].uid} of Transform 'ingest' "
        "(function, completed)"
    )
    assert len(lines) == 4


def test_dot_is_a_digraph_with_input_run_output_edges(chain):
    dot = chain["out"].view_lineage(return_format="dot")
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
    raw, out = chain["raw"], chain["out"]
    ingest, clean = chain["ingest"], chain["clean"]
    assert _edges(dot) == {
        (f"r{ingest.id}", f"a{raw.id}"),
        (f"a{raw.id}", f"r{clean.id}"),
        (f"r{clean.id}", f"a{out.id}"),
    }
    assert "Transform 'ingest'" in dot and "Transform 'clean'" in dot
    assert dot.count("[label=") == 4  # two artifacts, two runs
    # the root is highlighted
    root_line = next(line for line in dot.splitlines() if line.strip().startswith(f"a{out.id} "))
    assert "penwidth=2" in root_line


def test_upstream_record_has_shorter_lineage(chain):
    text = chain["raw"].view_lineage()
    assert "Transform 'ingest'" in text
    assert "clean" not in text


def test_artifact_without_run_is_one_node(instance):
    artifact = ln.Artifact({"a": 1}, key="orphan.json").save()
    text = artifact.view_lineage()
    assert text == (
        f"Artifact 'orphan.json' (uid {artifact.uid}, v0000): not created in a tracked run"
    )
    dot = artifact.view_lineage("dot")
    assert "->" not in dot
    assert dot.count("[label=") == 1
    assert "not created in a tracked run" in dot


def test_invalid_format_names_the_options(instance):
    artifact = ln.Artifact({"a": 1}, key="fmt.json").save()
    with pytest.raises(InvalidArgument, match=r"'text' or 'dot'.*'svg'"):
        artifact.view_lineage(return_format="svg")


def test_unsaved_record_and_wrong_type_are_refused(instance):
    with pytest.raises(InvalidArgument, match="Save the artifact"):
        view_lineage(ln.Artifact({"a": 1}, key="unsaved.json"))
    label = ln.ULabel(name="not-data").save()
    with pytest.raises(InvalidArgument, match="artifacts and collections"):
        view_lineage(label)


def test_initiating_run_is_shown(instance):
    with ln.flow(key="outer") as outer, ln.step(key="inner") as inner:
        artifact = ln.Artifact({"a": 1}, key="nested.json").save()
    assert inner.initiated_by_run == outer
    text = artifact.view_lineage()
    assert f"created by: Run {inner.uid} of Transform 'inner'" in text
    assert f"initiated by: Run {outer.uid} of Transform 'outer'" in text
    dot = artifact.view_lineage("dot")
    assert (f"r{outer.id}", f"r{inner.id}") in _edges(dot)


def test_cycle_terminates_and_is_drawn_once(instance):
    with ln.flow(key="make-a") as run_a:
        a = ln.Artifact({"a": 1}, key="a.json").save()
    with ln.flow(key="make-b") as run_b:
        a.load()
        b = ln.Artifact({"b": 1}, key="b.json").save()
    # Close the loop: the run that made a also used b.
    b.input_of_runs.add(run_a)
    text = b.view_lineage()
    # b → run_b → a → run_a → b again: marked "(see above)" instead of drawn again
    assert text.count(f"Artifact 'b.json' (uid {b.uid}, v0000)") == 2
    assert text.endswith("(see above)")
    assert text.count(f"Run {run_a.uid}") == 1
    assert text.count(f"Run {run_b.uid}") == 1
    lineage = build_lineage(b)
    assert lineage.truncated == set()
    assert len(lineage.labels) == 4
    assert (f"a{b.id}", f"r{run_a.id}") in _edges(lineage.dot())


def test_depth_bound_marks_truncation(instance):
    previous = ln.Artifact({"step": 0}, key="step0.json").save()
    first = previous
    for step in range(1, 4):
        with ln.flow(key=f"step{step}"):
            previous.load()
            previous = ln.Artifact({"step": step}, key=f"step{step}.json").save()
    full = previous.view_lineage()
    assert "step0.json" in full and "…" not in full
    short = view_lineage(previous, depth=2)
    assert "step2.json" in short and "step1.json" not in short
    assert short.splitlines()[-2].endswith(" …")
    assert short.splitlines()[-1] == "(… more upstream beyond depth 2)"
    dot = view_lineage(previous, "dot", depth=2)
    assert "… more upstream" in dot
    assert build_lineage(first, depth=0).truncated == set()  # no run: nothing beyond
    with pytest.raises(InvalidArgument, match="depth"):
        view_lineage(previous, depth=-1)


def test_default_depth_bounds_a_long_chain(instance):
    previous = ln.Artifact({"step": 0}, key="long0.json").save()
    for step in range(1, 28):  # 27 runs: 54 links upstream
        with ln.flow(key="long-step"):
            previous.load()
            previous = ln.Artifact({"step": step}, key=f"long{step}.json").save()
    lineage = build_lineage(previous)
    assert lineage.depth == 50
    assert len(lineage.truncated) == 1
    assert sum(1 for node in lineage.labels if node[0] == "artifact") == 26
    assert "(… more upstream beyond depth 50)" in previous.view_lineage()


def test_queries_per_level_do_not_grow_with_width(instance):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def build(width: int, prefix: str) -> ln.Artifact:
        inputs = []
        for i in range(width):
            with ln.flow(key=f"{prefix}-source"):
                inputs.append(ln.Artifact({prefix: i}, key=f"{prefix}/in{i}.json").save())
        with ln.flow(key=f"{prefix}-merge"):
            for artifact in inputs:
                artifact.load()
            return ln.Artifact({"merged": width}, key=f"{prefix}/merged.json").save()

    def count(artifact: ln.Artifact) -> tuple[int, str]:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(Engine, "before_cursor_execute", listener)
        try:
            text = artifact.view_lineage()
        finally:
            event.remove(Engine, "before_cursor_execute", listener)
        return len(statements), text

    narrow, _ = count(build(1, "narrow"))
    wide, text = count(build(8, "wide"))
    assert text.count("input: Artifact") == 8
    assert text.count("Transform 'wide-source'") == 8
    assert wide == narrow


def test_trashed_inputs_are_followed_and_marked(chain):
    chain["raw"].delete()
    text = chain["out"].view_lineage()
    assert "Artifact 'raw.parquet'" in text and "[trash]" in text
    assert "Transform 'ingest'" in text


def test_collection_lineage_lists_members_in_order(chain):
    raw, out = chain["raw"], chain["out"]
    with ln.flow(key="bundle") as bundle:
        collection = ln.Collection([out, raw], key="both").save()
    text = collection.view_lineage()
    lines = text.splitlines()
    assert lines[0] == f"Collection 'both' (uid {collection.uid}, v0000)"
    assert lines[1].startswith(f"├── created by: Run {bundle.uid} of Transform 'bundle'")
    members = [line for line in lines if "member: " in line]
    assert [("clean.parquet" in m, "raw.parquet" in m) for m in members] == [
        (True, False),
        (False, True),
    ]
    # raw.parquet is reached twice: as a member and as the input of 'clean'
    assert "(see above)" in text or text.count("Transform 'ingest'") == 1
    dot = collection.view_lineage("dot")
    assert (f"a{raw.id}", f"c{collection.id}") in _edges(dot)
    assert (f"r{bundle.id}", f"c{collection.id}") in _edges(dot)
    assert "shape=box3d" in dot


def test_collection_input_of_a_run(instance):
    a = ln.Artifact({"a": 1}, key="shard0.json").save()
    collection = ln.Collection([a], key="shards").save()
    with ln.flow(key="consume") as run:
        collection.cache()
        result = ln.Artifact({"r": 1}, key="result.json").save()
    text = result.view_lineage()
    assert f"created by: Run {run.uid} of Transform 'consume'" in text
    assert f"input: Collection 'shards' (uid {collection.uid}, v0000)" in text
    assert "member: Artifact 'shard0.json'" in text
    assert (f"c{collection.id}", f"r{run.id}") in _edges(result.view_lineage("dot"))


def test_text_prints_keys_literally_and_in_full(instance):
    raw_key = "[bold]raw[/bold]/" + "/".join(f"level{i}" for i in range(60)) + ".json"
    with ln.flow(key="[red]ingest[/red]") as ingest:
        raw = ln.Artifact({"n": 1}, key=raw_key).save()
    with ln.flow(key="clean :smile:") as clean:
        raw.load()
        out = ln.Artifact({"n": 2}, key="[link=x]out.json").save()
    lines = out.view_lineage().splitlines()
    assert lines == [
        f"Artifact '[link=x]out.json' (uid {out.uid}, v0000)",
        f"└── created by: Run {clean.uid} of Transform 'clean :smile:' (function, completed)",
        f"    └── input: Artifact '{raw_key}' (uid {raw.uid}, v0000)",
        f"        └── created by: Run {ingest.uid} of Transform '[red]ingest[/red]' "
        "(function, completed)",
    ]
