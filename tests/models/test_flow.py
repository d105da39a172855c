"""``@ln.flow()`` and ``@ln.step()``: runs of calls and blocks, params, status, concurrency."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

import lamin_pipes as ln
from lamin_pipes.core._context import current_run, global_run
from lamin_pipes.errors import InvalidArgument, RunInProgress, TrackNotCalled
from lamin_pipes.models import _tracking


@pytest.fixture(autouse=True)
def _no_leftover_run() -> Iterator[None]:
    """A failing test must not leave a run behind for the next one."""
    yield
    _tracking._tracked = None
    ln.core._context.tracked_run = None
    current_run.set(None)
    global_run.set(None)


def test_flow_records_params_status_and_times(instance):
    labels = [ln.ULabel(name="p1").save(), ln.ULabel(name="p2").save()]
    runs: list[ln.Run] = []

    @ln.flow()
    def train(label, labels, lr: float = 0.1, note=None, empty=(), conf={"a": [1]}):  # noqa: B006
        runs.append(ln.context.run)
        return ln.ULabel(name="made").save()

    made = train(labels[0], labels, empty=[])
    run = ln.Run.get(runs[0].id)
    assert made.run == run
    assert run.params == {
        "label": f"ULabel[{labels[0].uid}]",
        "labels": [f"ULabel[{labels[0].uid}]", f"ULabel[{labels[1].uid}]"],
        "lr": 0.1,
        "conf": {"a": [1]},
    }
    assert run.status == "completed"
    assert run.started_at <= run.finished_at
    assert run.transform.key.endswith("train") and run.transform.kind == "function"
    assert "def train" in run.transform.source_code
    assert ln.context.run is None
    assert train.__name__ == "train"


def test_params_skip_unserializable_and_redact_secrets(instance, caplog):
    @ln.flow()
    def connect(api_key: str, db_url: str, payload: object, n: int):
        return ln.context.run

    run = connect("s3cr3t", "postgresql://me:pw@host/db", object(), 3)
    assert run.params == {"api_key": "***REDACTED***", "db_url": "***REDACTED***", "n": 3}
    assert "skipping param payload" in caplog.text


def test_step_inside_flow_is_initiated_by_it(instance):
    @ln.step()
    def clean(x):
        label = ln.ULabel(name=f"clean-{x}").save()
        return label, ln.context.run, ln.context.current_run

    @ln.flow()
    def pipeline():
        return clean(1), ln.context.run

    (label, seen_global, step_run), flow_run = pipeline()
    assert seen_global == flow_run  # as in lamindb: ln.context.run stays the flow's run
    assert step_run != flow_run and step_run.initiated_by_run == flow_run
    assert label.run == step_run
    assert step_run.params == {"x": 1} and step_run.status == "completed"
    assert list(ln.Run.filter(initiated_by_run=flow_run)) == [step_run]


def test_step_needs_a_run(instance):
    @ln.step()
    def orphan():
        return 1

    with pytest.raises(TrackNotCalled, match=r"inside @ln\.flow\(\) or after ln\.track\(\)"):
        orphan()
    run = ln.track(key="script-with-step.py")
    assert orphan() == 1
    step_run = ln.Run.filter(initiated_by_run=run).one()
    ln.finish()
    assert step_run.status == "completed"


def test_flow_refuses_to_start_inside_another_run(instance):
    @ln.flow()
    def inner():
        return 1

    with ln.flow(key="outer") as outer:
        pattern = rf"{outer.uid}.*'outer'.*@ln\.step\(\)"
        with pytest.raises(RunInProgress, match=pattern):
            inner()
    ln.track(key="tracked.py")
    with pytest.raises(RunInProgress):
        inner()
    ln.finish()
    assert inner() == 1


def test_exception_marks_run_errored_and_propagates(instance):
    runs: list[ln.Run] = []

    @ln.flow()
    def fails():
        runs.append(ln.context.run)
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        fails()
    loaded = ln.Run.get(runs[0].id)
    assert loaded.status == "errored" and loaded.finished_at is not None
    assert ln.context.run is None
    with pytest.raises(KeyboardInterrupt), ln.flow(key="interrupted") as run:
        raise KeyboardInterrupt
    assert ln.Run.get(run.id).status == "aborted"


def test_global_run_options(instance):
    @ln.flow(global_run="none")
    def quiet():
        return ln.context.run, ln.context.current_run, ln.ULabel(name="quiet").save()

    seen, current, label = quiet()
    assert seen is None and label.run == current and current.status == "completed"

    @ln.flow(global_run="memorize")
    def remembered():
        return ln.context.run

    run = remembered()
    assert ln.context.run == run and run.status == "completed"
    assert ln.ULabel(name="after-memorize").save().run == run
    assert ln.finish() == run
    assert ln.context.run is None and ln.Run.get(run.id).status == "completed"
    with pytest.raises(InvalidArgument, match=r"\['clear', 'memorize', 'none'\], not 'bogus'"):
        ln.flow(global_run="bogus")  # type: ignore[arg-type]


def test_flow_arg_aliases_and_project(instance):
    project = ln.Project(name="flow-project").save()
    parent = ln.track(key="parent.py")
    ln.finish()

    @ln.step()
    def inner():
        return ln.ULabel(name="in-step").save(), ln.context.project

    @ln.flow()
    def work(project: str, initiated_by_run: str):
        return ln.context.run, inner()

    run, (label, step_project) = work("flow-project", parent.uid)
    assert run.initiated_by_run == parent
    assert run.params == {"project": "flow-project", "initiated_by_run": parent.uid}
    assert step_project == project
    assert list(label.projects) == [project]
    with pytest.raises(InvalidArgument, match="Project 'nope' not found"):
        work("nope", parent.uid)


def test_flow_by_uid_and_errors(instance):
    @ln.flow("flowuid00001")
    def by_uid():
        return ln.context.run

    assert by_uid().transform.uid == "flowuid000010000"
    assert by_uid().transform.uid == "flowuid000010000"
    with pytest.raises(InvalidArgument, match="either uid or transform"):
        ln.flow("flowuid00001", transform=ln.Transform(key="t"))
    with pytest.raises(InvalidArgument, match="generator"):
        ln.flow(key="gen")(lambda: (yield 1))
    with pytest.raises(InvalidArgument, match="decorates functions"):
        ln.flow()(42)  # type: ignore[arg-type]
    scope = ln.flow(key="once")
    with scope, pytest.raises(InvalidArgument, match="already active"), scope:
        pass


def test_block_form_with_reference_and_nested_steps(instance):
    with ln.flow(key="dagster-job", reference="r-1", reference_type="dagster_run_id") as run:
        with ln.step(key="asset-a") as step_a, ln.step(key="asset-a-part") as part:
            ln.ULabel(name="part").save()
        assert ln.context.current_run == run
    assert (run.reference, run.reference_type) == ("r-1", "dagster_run_id")
    assert step_a.initiated_by_run == run and part.initiated_by_run == step_a
    assert step_a.transform.key == "asset-a" and step_a.transform.kind == "function"


def test_async_flow_and_async_with(instance):
    @ln.step()
    async def save(name):
        await asyncio.sleep(0)
        return ln.ULabel(name=name).save()

    @ln.flow()
    async def main(name):
        return await save(name), ln.context.run

    label, run = asyncio.run(main("async"))
    assert label.run.initiated_by_run == run
    assert ln.Run.get(run.id).params == {"name": "async"}

    async def block():
        async with ln.flow(key="async-with") as run:
            return ln.ULabel(name="in-async-with").save(), run

    label, run = asyncio.run(block())
    assert label.run == run and ln.Run.get(run.id).status == "completed"
    assert ln.context.run is None


def test_threads_each_get_their_own_flow_run(instance):
    results: dict[int, tuple[int, int | None, list[int]]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    @ln.flow()
    def work(index):
        barrier.wait(timeout=30)  # all runs are current at the same time
        ids = [ln.ULabel(name=f"t{index}-{i}").save().id for i in range(3)]
        seen = ln.context.run
        barrier.wait(timeout=30)
        return seen.id, ids

    def target(index):
        try:
            run_id, ids = work(index)
            results[index] = (run_id, ln.Run.get(run_id).params["index"], ids)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({run_id for run_id, _, _ in results.values()}) == 3
    for index, (run_id, param, ids) in results.items():
        assert param == index
        assert {ln.ULabel.get(i).run_id for i in ids} == {run_id}
    assert ln.context.run is None


def test_asyncio_tasks_each_get_their_own_flow_run(instance):
    @ln.flow()
    async def work(index, both_started):
        both_started[index].set()
        await asyncio.gather(*(event.wait() for event in both_started))
        ids = []
        for i in range(3):
            ids.append(ln.ULabel(name=f"a{index}-{i}").save().id)
            await asyncio.sleep(0)  # let the other task save in between
        return ln.context.run.id, ids

    async def main():
        both_started = [asyncio.Event(), asyncio.Event()]
        return await asyncio.gather(work(0, both_started), work(1, both_started))

    (run_a, ids_a), (run_b, ids_b) = asyncio.run(main())
    assert run_a != run_b
    assert {ln.ULabel.get(i).run_id for i in ids_a} == {run_a}
    assert {ln.ULabel.get(i).run_id for i in ids_b} == {run_b}
