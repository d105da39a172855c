"""Instances under concurrent writers: several processes save into one database."""

from __future__ import annotations

import multiprocessing as mp

import lamin_pipes as ln


def _writer(db: str, storage: str, worker: int, n: int, queue: mp.Queue) -> None:
    try:
        ln.connect(db, storage)
        hub = ln.ULabel.filter(name="hub").one()
        for _ in range(n):
            with ln.atomic():  # reads first, then writes, inside one transaction
                done = ln.ULabel.filter(name__startswith=f"w{worker}-").count()
                label = ln.ULabel(name=f"w{worker}-{done}").save()
                label.parents.add(hub)
        queue.put(("ok", worker))
    except Exception as error:  # report to the parent instead of dying silently
        queue.put(("error", f"{type(error).__name__}: {error}"))


def test_parallel_writers_lose_nothing(instance):
    ln.ULabel(name="hub").save()
    context = mp.get_context("fork")
    queue = context.Queue()
    workers = [
        context.Process(target=_writer, args=(instance.db, instance.storage, w, 25, queue))
        for w in range(4)
    ]
    for process in workers:
        process.start()
    results = [queue.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(timeout=120)
    assert all(status == "ok" for status, _ in results), results
    assert ln.ULabel.filter(name__startswith="w").count() == 100
    assert ln.ULabel.get(name="hub").children.count() == 100


def test_atomic_sessions_are_per_thread(instance):
    import threading

    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                with ln.atomic():
                    ln.ULabel(name=f"t{n}-{i}").save()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ln.ULabel.filter(name__startswith="t").count() == 30
