"""The run context: ``ln.track()``/``ln.finish()`` and ``ln.context.run(...)``."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lamin_pipes as ln
from lamin_pipes.core._context import current_run
from lamin_pipes.errors import InvalidArgument
from lamin_pipes.models import _tracking


@pytest.fixture(autouse=True)
def _no_leftover_run() -> Iterator[None]:
    """A failing test must not leave a tracked run behind for the next one."""
    yield
    if _tracking._tracked is not None:
        _tracking._tracked = None
    current_run.set(None)


def test_records_in_a_run_get_run_and_creator(instance):
    with ln.context.run(key="step") as run:
        assert ln.context.current_run == run
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
    assert ln.context.transform is None


def test_run_scope_finishes_run(instance):
    with ln.context.run(
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


def test_track_inside_a_scope_is_initiated_by_it(instance):
    with ln.context.run(key="outer") as outer:
        run = ln.track(key="inner.py")
        assert run.initiated_by_run == outer
        ln.finish()
        assert ln.context.current_run == outer


def test_finish_without_track_raises(instance):
    with pytest.raises(InvalidArgument, match=r"Call ln\.track\(\) first"):
        ln.finish()


def test_bad_arguments_raise(instance):
    with pytest.raises(InvalidArgument, match="Transform record"):
        ln.track("not-a-transform")  # type: ignore[arg-type]
    transform = ln.Transform(key="t").save()
    with pytest.raises(InvalidArgument, match="either transform or key"):
        ln.track(transform, key="t")
    scope = ln.context.run(key="once")
    with scope, pytest.raises(InvalidArgument, match="already active"), scope:
        pass


def test_nested_runs_set_initiated_by_run(instance):
    with ln.context.run(key="outer") as outer:
        with ln.context.run(key="inner") as inner:
            label = ln.ULabel(name="nested").save()
        assert ln.context.current_run == outer
    assert ln.Run.get(inner.id).initiated_by_run == outer
    assert ln.Run.get(outer.id).initiated_by_run is None
    assert ln.ULabel.get(label.id).run == inner
    assert list(ln.Run.filter(initiated_by_run=outer)) == [inner]


def test_exception_marks_run_errored(instance):
    with pytest.raises(ZeroDivisionError), ln.context.run(key="broken") as run:
        _ = 1 / 0
    loaded = ln.Run.get(run.id)
    assert loaded.status == "errored"
    assert loaded.finished_at is not None
    assert ln.context.current_run is None


def test_decorator_on_sync_function(instance):
    @ln.context.run(params={"x": 1})
    def make_label(name):
        return ln.ULabel(name=name).save(), ln.context.current_run

    first, run1 = make_label("one")
    second, run2 = make_label("two")
    assert run1 != run2
    assert ln.ULabel.get(first.id).run == run1
    assert ln.ULabel.get(second.id).run == run2
    assert run1.transform == run2.transform
    assert run1.transform.key.endswith("make_label")
    assert run1.transform.kind == "function"
    assert ln.Run.get(run1.id).status == "completed"
    assert make_label.__name__ == "make_label"


def test_decorator_marks_errored_and_propagates(instance):
    runs: list[ln.Run | None] = []

    @ln.context.run(key="fails")
    def fails():
        runs.append(ln.context.current_run)
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        fails()
    assert runs[0] is not None
    assert ln.Run.get(runs[0].id).status == "errored"


def test_decorator_on_generator_is_refused(instance):
    def numbers():
        yield 1

    with pytest.raises(InvalidArgument, match="generator"):
        ln.context.run(key="gen")(numbers)


def test_decorator_on_async_function(instance):
    @ln.context.run(key="async-step")
    async def make_label(name):
        await asyncio.sleep(0)
        return ln.ULabel(name=name).save(), ln.context.current_run

    label, run = asyncio.run(make_label("async"))
    assert ln.ULabel.get(label.id).run == run
    assert ln.Run.get(run.id).status == "completed"
    assert run.transform.key == "async-step"
    assert ln.context.current_run is None


def test_async_with(instance):
    async def main():
        async with ln.context.run(key="async-with") as run:
            return ln.ULabel(name="in-async-with").save(), run

    label, run = asyncio.run(main())
    assert ln.ULabel.get(label.id).run == run
    assert ln.Run.get(run.id).status == "completed"


def test_threads_each_get_their_own_run(instance):
    ln.Transform(key="threaded", kind="function").save()
    results: dict[int, tuple[int, list[int]]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(index):
        try:
            with ln.context.run(key="threaded") as run:
                barrier.wait(timeout=30)  # both runs are current at the same time
                ids = [ln.ULabel(name=f"t{index}-{i}").save().id for i in range(3)]
                barrier.wait(timeout=30)
            results[index] = (run.id, ids)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    (run_a, ids_a), (run_b, ids_b) = results[0], results[1]
    assert run_a != run_b
    assert {ln.ULabel.get(i).run_id for i in ids_a} == {run_a}
    assert {ln.ULabel.get(i).run_id for i in ids_b} == {run_b}
    assert ln.Transform.filter(key="threaded").count() == 1
    assert ln.context.current_run is None


def test_asyncio_tasks_each_get_their_own_run(instance):
    async def work(index, both_started):
        with ln.context.run(key=f"task-{index}") as run:
            both_started[index].set()
            await asyncio.gather(*(event.wait() for event in both_started))
            ids = []
            for i in range(3):
                ids.append(ln.ULabel(name=f"a{index}-{i}").save().id)
                await asyncio.sleep(0)  # let the other task save in between
        return run.id, ids

    async def main():
        both_started = [asyncio.Event(), asyncio.Event()]
        return await asyncio.gather(work(0, both_started), work(1, both_started))

    (run_a, ids_a), (run_b, ids_b) = asyncio.run(main())
    assert run_a != run_b
    assert {ln.ULabel.get(i).run_id for i in ids_a} == {run_a}
    assert {ln.ULabel.get(i).run_id for i in ids_b} == {run_b}


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
with ln.context.run(key="shared-step"):
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
        "import lamin_pipes as ln\n\n\n"
        '@ln.context.run(key="versioned-step")\n'
        f"def step(x):\n    {body}\n"
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
