"""Shared fixtures: every registry test runs on SQLite and on PostgreSQL.

Each test gets a fresh, migrated instance: a copy of a migrated SQLite template file,
or a PostgreSQL database cloned from a migrated template database. The PostgreSQL leg
is skipped (with the reason shown) only when the server cannot be reached.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

collect_ignore = ["lamin_pipes/core/migrations", "lamin_pipes/cli.py"]

PG_ADMIN_URL = os.environ.get(
    "LAMIN_PIPES_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
_PG_TEMPLATE = f"lp_template_{os.getpid()}"
# Real servers sort text by a language collation (managed services, Debian's default
# en_US.UTF-8), where "Z" sorts after "a"; the test databases do too, never only "C".
_PG_COLLATION = "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"


def _pg_reachable() -> str | None:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure to reach the server
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {error.__class__.__name__}: {error}"
    return None


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


def _admin_execute(*statements: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lamin_pipes.core._instance import Instance
    from lamin_pipes.core._migrate import ensure_schema

    path = tmp_path_factory.mktemp("template") / "lamin.db"
    instance = Instance(db=str(path), storage="")
    ensure_schema(instance)
    instance.engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    reason = _pg_reachable()
    if reason is not None:
        pytest.skip(reason)
    from lamin_pipes.core._instance import Instance
    from lamin_pipes.core._migrate import ensure_schema

    _admin_execute(
        f'DROP DATABASE IF EXISTS "{_PG_TEMPLATE}" WITH (FORCE)',
        f'CREATE DATABASE "{_PG_TEMPLATE}" {_PG_COLLATION}',
    )
    instance = Instance(db=_pg_url(_PG_TEMPLATE), storage="")
    ensure_schema(instance)
    instance.engine.dispose()
    yield _PG_TEMPLATE
    _admin_execute(f'DROP DATABASE IF EXISTS "{_PG_TEMPLATE}" WITH (FORCE)')


def _new_db_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "instance" / "lamin.db"
        target.parent.mkdir()
        shutil.copy(template, target)
        yield f"sqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"lp_test_{uuid.uuid4().hex[:12]}"
    _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield _pg_url(name)
    finally:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database URL on each backend."""
    yield from _new_db_url(request, request.param, tmp_path)


@pytest.fixture
def instance(db_url: str, tmp_path: Path) -> Iterator[object]:
    """A fresh current instance (database + storage) on each backend."""
    import lamin_pipes as ln
    from lamin_pipes.core import _instance as instance_module
    from lamin_pipes.core._settings import settings

    previous = (settings._instance, settings._user)
    storage = tmp_path / "storage"
    inst = ln.connect(db_url, str(storage))
    yield inst
    settings._instance, settings._user = previous
    for key in [k for k in instance_module._ENGINES if k[1] == inst.db]:
        instance_module._ENGINES.pop(key).dispose()


@pytest.fixture(autouse=True)
def _doctest_instance(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Docstring examples run against a fresh SQLite instance of their own."""
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    import lamin_pipes as ln
    from lamin_pipes.core._settings import settings

    previous = (settings._instance, settings._user)
    template: Path = request.getfixturevalue("sqlite_template")
    target = tmp_path / "doctest" / "lamin.db"
    target.parent.mkdir()
    shutil.copy(template, target)
    ln.connect(f"sqlite:///{target}", str(tmp_path / "doctest" / "storage"))
    yield
    settings._instance, settings._user = previous


_S3_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_S3_CLEARED_ENV = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "LAMIN_PIPES_S3_ENDPOINT_URL",
)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A real S3-protocol server (moto) of this test process; yields its endpoint URL.

    Each process (each pytest-xdist worker) starts its own server on a free port of
    127.0.0.1. While it runs, the environment points AWS clients at it with dummy
    credentials (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID`` ...); the previous values are
    restored afterwards.
    """
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {**_S3_TEST_ENV, "AWS_ENDPOINT_URL": endpoint}
    saved = {name: os.environ.get(name) for name in (*env, *_S3_CLEARED_ENV)}
    os.environ.update(env)
    for name in _S3_CLEARED_ENV:
        os.environ.pop(name, None)
    try:
        yield endpoint
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


@pytest.fixture
def s3_root(s3_server: str) -> Iterator[str]:
    """A fresh, empty bucket on :func:`s3_server`; yields ``s3://<bucket>/prefix``."""
    import boto3

    bucket = f"lp-test-{uuid.uuid4().hex[:16]}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    yield f"s3://{bucket}/prefix"
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture
def s3_instance(
    db_url: str, s3_root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    """A fresh current instance whose storage is ``s3_root``; the cache is in tmp_path."""
    import lamin_pipes as ln
    from lamin_pipes.core import _instance as instance_module
    from lamin_pipes.core._settings import settings

    monkeypatch.setenv("LAMIN_PIPES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(settings, "_cache_dir", None)
    previous = (settings._instance, settings._user)
    inst = ln.connect(db_url, s3_root)
    yield inst
    settings._instance, settings._user = previous
    for key in [k for k in instance_module._ENGINES if k[1] == inst.db]:
        instance_module._ENGINES.pop(key).dispose()
