"""Instances under concurrent writers: several processes save into one database."""

from __future__ import annotations

import multiprocessing as mp

import pytest

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


def _connect_and_count(db: str, storage: str, queue: mp.Queue) -> None:
    try:
        ln.connect(db, storage)
        queue.put(("ok", ln.Branch.filter().count()))
    except Exception as error:
        queue.put(("error", f"{type(error).__name__}: {error}"))


def test_parallel_first_connect_migrates_once(db_url, tmp_path):
    """Processes opening a brand-new database at once all succeed (one migrates)."""
    from sqlalchemy import create_engine, text

    from lamin_pipes.core._instance import normalize_url

    url = normalize_url(db_url)
    engine = create_engine(url)
    with engine.begin() as connection:  # start from an empty database
        if url.startswith("sqlite"):
            names = [
                r[0]
                for r in connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                )
            ]
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for name in names:
                connection.exec_driver_sql(f'DROP TABLE "{name}"')
        else:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    context = mp.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_connect_and_count, args=(url, str(tmp_path / "s"), queue))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert results == [("ok", 3)] * 4, results


def test_postgres_test_databases_sort_by_a_language_collation(instance):
    # Real servers sort text by language rules; the tests must meet what users meet.
    if instance.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting; SQLite compares bytes")
    from sqlalchemy import text

    with instance.engine.connect() as connection:
        z_after_a = connection.execute(text("SELECT 'Z' > 'a'")).scalar()
        bytewise = connection.execute(
            text("""SELECT 'Z' COLLATE "C" > 'a' COLLATE "C" """)
        ).scalar()

    assert z_after_a is True
    assert bytewise is False


def test_a_migration_committed_between_read_and_check_is_read_again(db_url):
    # Another process's first connect can commit alembic_version between this process's
    # failed SELECT and its look at the tables; that raised UndefinedTable before.
    from sqlalchemy import create_engine, event, text

    from lamin_pipes.core._instance import Instance, normalize_url
    from lamin_pipes.core._migrate import current_revision

    url = normalize_url(db_url)
    other = create_engine(url)
    with other.begin() as connection:  # an empty database
        if url.startswith("sqlite"):
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for (name,) in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type='table'"
            ).all():
                connection.exec_driver_sql(f'DROP TABLE "{name}"')
        else:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    instance = Instance(db=url, storage="")

    committed: list[bool] = []

    @event.listens_for(instance.engine, "handle_error")
    def _concurrent_migration_commits(context) -> None:
        if committed:
            return
        committed.append(True)
        with other.begin() as connection:
            connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            connection.execute(text("INSERT INTO alembic_version VALUES ('0003')"))

    try:
        assert current_revision(instance) == "0003"
    finally:
        instance.engine.dispose()
        other.dispose()
