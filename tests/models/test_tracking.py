"""The run context: ``ln.track()``/``ln.finish()``, ``ln.context`` and run scopes (``ln.flow``)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lamin_pipes as ln
from lamin_pipes.core._context import current_run, global_run
from lamin_pipes.errors import InvalidArgument, TrackNotCalled
from lamin_pipes.models import _tracking


@pytest.fixture(autouse=True)
def _no_leftover_run() -> Iterator[None]:
    """A failing test must not leave a tracked run behind for the next one."""
    yield
    if _tracking._tracked is not None:
        _tracking._tracked = None
    ln.core._context.tracked_run = None
    current_run.set(None)
    global_run.set(None)
    ln.context.version = None


def test_records_in_a_run_get_run_and_creator(instance):
    with ln.flow(key="step") as run:
        assert ln.context.run == ln.context.current_run == run
        assert ln.context.transform == run.transform
        label = ln.ULabel(name="inside").save()
        record = ln.Record(name="inside").save()
    outside = ln.ULabel(name="outside").save()
    for saved in (label, record):
        loaded = type(saved).get(saved.id)
        assert loaded.run == run
        assert loaded.created_by == ln.settings.user
    assert ln.ULabel.get(outside.id).run is None
    assert ln.context.current_run is None
    assert ln.context.run is None
    assert ln.context.transform is None


def test_run_scope_finishes_run(instance):
    with ln.flow(
        key="scoped", params={"a": [1, 2]}, reference="r-1", reference_type="dagster_run_id"
    ) as run:
        assert run.status == "started"
        assert run.finished_at is None
    loaded = ln.Run.get(run.id)
    assert loaded.status == "completed"
    assert loaded.finished_at is not None
    assert loaded.started_at <= loaded.finished_at
    assert loaded.params == {"a": [1, 2]}
    assert (loaded.reference, loaded.reference_type) == ("r-1", "dagster_run_id")
    assert loaded.transform.kind == "function"
    assert loaded.created_by == ln.settings.user


def test_track_finish_lifecycle(instance):
    run = ln.track(key="pipeline.py", params={"lr": 0.1, "layers": [3, 4]})
    assert run.status == "started"
    assert ln.context.current_run == run
    label = ln.ULabel(name="tracked").save()
    finished = ln.finish()
    assert finished == run
    assert ln.context.current_run is None
    loaded = ln.Run.get(run.id)
    assert loaded.status == "completed"
    assert loaded.finished_at is not None
    assert loaded.params == {"lr": 0.1, "layers": [3, 4]}
    assert loaded.transform.key == "pipeline.py"
    assert loaded.transform.kind == "script"
    assert ln.ULabel.get(label.id).run == run
    assert ln.ULabel(name="after").save().run is None

    second = ln.track(key="pipeline.py")
    ln.finish()
    assert second != run
    assert second.transform == run.transform
    assert ln.Transform.filter(key="pipeline.py").count() == 1


def test_track_default_key_and_given_transform(instance):
    run = ln.track()
    assert run.transform.key  # the running script's file name, or "interactive"
    ln.finish()
    transform = ln.Transform(key="given", kind="pipeline")
    run = ln.track(transform)
    assert transform.id is not None and run.transform == transform
    ln.finish()


def test_track_again_finishes_previous(instance):
    first = ln.track(key="first.py")
    second = ln.track(key="second.py")
    assert ln.Run.get(first.id).status == "completed"
    assert ln.context.current_run == second
    assert second.initiated_by_run is None
    ln.finish()
    assert ln.context.current_run is None


def test_track_inside_a_flow_is_initiated_by_it(instance):
    with ln.flow(key="outer") as outer:
        run = ln.track(key="inner.py")
        assert run.initiated_by_run == outer
        assert ln.context.run == run
        ln.finish()
        assert ln.context.run == ln.context.current_run == outer


def test_finish_without_track_raises(instance):
    with pytest.raises(TrackNotCalled, match=r"call ln\.track\(\) before ln\.finish\(\)"):
        ln.finish()
    assert issubclass(TrackNotCalled, RuntimeError)
    assert issubclass(TrackNotCalled, ln.errors.LaminPipesError)


def test_bad_arguments_raise(instance):
    with pytest.raises(InvalidArgument, match="'not-a-transform' is not a 12-character"):
        ln.track("not-a-transform")
    with pytest.raises(InvalidArgument, match="Transform record or a transform uid"):
        ln.track(42)  # type: ignore[arg-type]
    transform = ln.Transform(key="t").save()
    with pytest.raises(InvalidArgument, match="either transform or key"):
        ln.track(transform, key="t")
    scope = ln.flow(key="once")
    with scope, pytest.raises(InvalidArgument, match="already active"), scope:
        pass


def test_threads_started_after_track_see_the_tracked_run(instance):
    run = ln.track(key="tracked-threads.py")
    saved: list[ln.ULabel] = []
    thread = threading.Thread(target=lambda: saved.append(ln.ULabel(name="in thread").save()))
    thread.start()
    thread.join()
    ln.finish()
    assert saved[0].run_id == run.id
    assert ln.ULabel(name="after finish").save().run_id is None


def _run_script(path: Path, instance: Any) -> None:
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    subprocess.run([sys.executable, str(path)], check=True, env=env, timeout=120)


_SCRIPT = """
import lamin_pipes as ln
ln.connect({db!r}, {storage!r})
ln.track()
ln.ULabel(name="from script").save()
ln.finish()
# {marker}
"""


def test_track_in_a_script_versions_the_transform_by_source(instance: Any, tmp_path: Path) -> None:
    script = tmp_path / "pipeline.py"
    for marker in ("first", "first", "second"):
        script.write_text(_SCRIPT.format(db=instance.db, storage=instance.storage, marker=marker))
        _run_script(script, instance)
    versions = ln.Transform.filter(key="pipeline.py").order_by("uid").to_list()
    assert len(versions) == 2  # unchanged source reuses the transform
    assert [t.is_latest for t in versions] == [False, True]
    assert versions[0].stem_uid == versions[1].stem_uid
    assert "# first" in versions[0].source_code and "# second" in versions[1].source_code
    assert versions[1].runs.count() == 1 and versions[0].runs.count() == 2


_CHILD = """
import lamin_pipes as ln
ln.connect({db!r}, {storage!r})
with ln.flow(key="shared-step"):
    pass
"""


def test_concurrent_first_runs_share_one_transform(instance: Any) -> None:
    import subprocess
    import sys

    code = _CHILD.format(db=instance.db, storage=instance.storage)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    children = [subprocess.Popen([sys.executable, "-c", code], env=env) for _ in range(4)]
    assert [child.wait(timeout=120) for child in children] == [0] * 4
    transforms = ln.Transform.filter(key="shared-step").to_list()
    assert len(transforms) == 1
    assert transforms[0].runs.count() == 4


def _load_step(path: Path, body: str) -> Any:
    import importlib.util

    path.write_text(
        f'import lamin_pipes as ln\n\n\n@ln.flow(key="versioned-step")\ndef step(x):\n    {body}\n'
    )
    spec = importlib.util.spec_from_file_location(f"step_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.step


def test_decorated_function_versions_its_transform_by_source(instance: Any, tmp_path: Path) -> None:
    first = _load_step(tmp_path / "a.py", "return x + 1")
    same = _load_step(tmp_path / "b.py", "return x + 1")
    changed = _load_step(tmp_path / "c.py", "return x + 2")
    assert (first(1), same(1), changed(1)) == (2, 2, 3)
    versions = ln.Transform.filter(key="versioned-step").order_by("uid").to_list()
    assert len(versions) == 2
    assert "x + 1" in versions[0].source_code and "x + 2" in versions[1].source_code
    assert [v.runs.count() for v in versions] == [2, 1]
    assert versions[1].is_latest and versions[0].stem_uid == versions[1].stem_uid


def test_concurrent_runs_of_a_changed_script_make_one_new_version(
    instance: Any, tmp_path: Path
) -> None:
    import subprocess
    import sys

    script = tmp_path / "parallel_pipeline.py"
    script.write_text(_SCRIPT.format(db=instance.db, storage=instance.storage, marker="v1"))
    _run_script(script, instance)
    script.write_text(_SCRIPT.format(db=instance.db, storage=instance.storage, marker="v2"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    children = [subprocess.Popen([sys.executable, str(script)], env=env) for _ in range(4)]
    assert [child.wait(timeout=120) for child in children] == [0] * 4
    versions = ln.Transform.filter(key="parallel_pipeline.py").order_by("uid").to_list()
    assert len(versions) == 2, [v.uid for v in versions]
    assert versions[1].runs.count() == 4


def test_track_params_project_and_initiating_run(instance):
    project = ln.Project(name="tracked-project").save()
    parent = ln.track(key="parent.py")
    ln.finish()
    run = ln.track(
        key="child.py", project="tracked-project", params={"k": [1]}, initiated_by_run=parent.uid
    )
    assert ln.context.project == project
    label = ln.ULabel(name="project-label").save()
    record = ln.Record(name="project-record").save()
    ln.finish()
    assert run.initiated_by_run == parent and run.params == {"k": [1]}
    assert list(label.projects) == [project] and list(record.projects) == [project]
    assert ln.context.project is None
    again = ln.track(key="child.py", project=project, initiated_by_run=parent)
    assert ln.context.project == project and again.initiated_by_run == parent
    ln.finish()


def test_track_refuses_unknown_project_and_run(instance):
    ln.Project(name="known").save()
    with pytest.raises(InvalidArgument, match=r"Project 'nope' not found.*\['known'\]"):
        ln.track(key="x.py", project="nope")
    with pytest.raises(InvalidArgument, match="Run 'missing' not found"):
        ln.track(key="x.py", initiated_by_run="missing")
    with pytest.raises(InvalidArgument, match="Save the project"):
        ln.track(key="x.py", project=ln.Project(name="unsaved"))
    assert ln.context.run is None


def test_track_new_run_false_restarts_the_latest_run(instance):
    first = ln.track(key="restart.py")
    ln.finish()
    again = ln.track(key="restart.py", new_run=False, params={"p": 2})
    assert again == first
    assert again.status == "restarted" and again.finished_at is None
    assert ln.Run.get(first.id).params == {"p": 2}
    ln.finish()
    assert ln.Run.get(first.id).status == "completed"
    fresh = ln.track(key="never-ran.py", new_run=False)  # nothing to restart: a new run
    assert fresh.status == "started"
    ln.finish()
    assert ln.Run.filter(transform__key="restart.py").count() == 1


def test_track_by_transform_uid(instance):
    run = ln.track("abcdefghijk1", key="by-uid.py")
    ln.finish()
    assert run.transform.uid == "abcdefghijk10000"
    assert run.transform.key == "by-uid.py"
    second = ln.track("abcdefghijk1")  # the family's latest version
    ln.finish()
    assert second.transform == run.transform
    exact = ln.track("abcdefghijk10000")
    ln.finish()
    assert exact.transform == run.transform
    new = ln.track("zyxwvutsrqpo0000", key="exact.py")
    ln.finish()
    assert new.transform.uid == "zyxwvutsrqpo0000"


def test_context_version_tags_the_transform(instance):
    ln.context.version = "2.0"
    run = ln.track(key="tagged.py")
    ln.finish()
    assert run.transform.version == "2.0"
    ln.context.version = "3.0"
    with pytest.raises(InvalidArgument, match=r"already tagged with version '2\.0', not '3\.0'"):
        ln.track(key="tagged.py")
    ln.context.version = None
    assert ln.track(key="tagged.py").transform == run.transform
    ln.finish()
    with pytest.raises(InvalidArgument, match="must be a string or None"):
        ln.context.version = 2  # type: ignore[assignment]


def test_errors_aliases():
    assert ln.errors.ObjectDoesNotExist is ln.errors.DoesNotExist
    with pytest.raises(ln.errors.ObjectDoesNotExist):
        raise ln.errors.DoesNotExist("x")
