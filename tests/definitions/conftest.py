"""Fixtures of the reference pipeline's tests: isolated folders and environments.

Nothing writes into the repository: every registry, storage, inbox and Dagster
instance lives in the test's temporary directory, and subprocesses run there with the
repository on ``PYTHONPATH`` (so ``definitions`` imports).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
if str(ROOT) not in sys.path:  # `definitions` is not an installed package
    sys.path.insert(0, str(ROOT))

#: Variables that would point a subprocess at a registry or instance outside the test.
_CLEARED = (
    "LAMIN_PIPES_DB",
    "LAMIN_PIPES_STORAGE",
    "LAMIN_PIPES_INBOX",
    "LAMIN_PIPES_EXECUTOR",
    "LAMIN_PIPES_CACHE_DIR",
    "DAGSTER_HOME",
    "DAGSTER_PG_URL",
)


@dataclass
class Sandbox:
    """A working directory, its registry, inbox and Dagster home, and their environment."""

    cwd: Path
    db: str
    storage: Path
    inbox: Path
    dagster_home: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(
        self, *args: str | Path, timeout: float = 300, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the sandbox; with ``check``, fail the test on a non-zero exit."""
        done = subprocess.run(
            [str(arg) for arg in args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check:
            assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
        return done

    def pipeline(self, *args: str, timeout: float = 300) -> str:
        """``python -m definitions ARGS`` in the sandbox; its standard output."""
        return self.run(sys.executable, "-m", "definitions", *args, timeout=timeout).stdout


def make_sandbox(tmp_path: Path, db: str | None = None) -> Sandbox:
    """A sandbox in ``tmp_path``; the registry is ``db`` or an SQLite file there."""
    cwd = tmp_path / "work"
    home = tmp_path / "dagster_home"
    for folder in (cwd, home):
        folder.mkdir(parents=True, exist_ok=True)
    box = Sandbox(
        cwd=cwd,
        db=db or f"sqlite:///{tmp_path / 'registry' / 'lamin.db'}",
        storage=tmp_path / "registry" / "storage",
        inbox=tmp_path / "inbox",
        dagster_home=home,
    )
    (tmp_path / "registry").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])]),
        LAMIN_PIPES_DB=box.db,
        LAMIN_PIPES_STORAGE=str(box.storage),
        LAMIN_PIPES_INBOX=str(box.inbox),
        LAMIN_PIPES_CACHE_DIR=str(tmp_path / "cache"),
        DAGSTER_HOME=str(home),
        PYTHONUNBUFFERED="1",
    )
    box.env = env
    return box


@pytest.fixture
def sandbox_with(tmp_path: Path) -> Callable[[str | None], Sandbox]:
    """Makes the test's sandbox with a given registry URL (``None``: an SQLite file)."""
    return lambda db: make_sandbox(tmp_path, db)


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    """A sandbox whose registry is an SQLite file."""
    return make_sandbox(tmp_path)


@pytest.fixture
def registry() -> Iterator[None]:
    """Lets a test connect to a sandbox's registry; restores settings and engines after."""
    from lamin_pipes.core import _instance as instance_module
    from lamin_pipes.core._settings import settings

    previous = (settings._instance, settings._user)
    engines = set(instance_module._ENGINES)
    yield
    settings._instance, settings._user = previous
    for key in set(instance_module._ENGINES) - engines:
        engine = instance_module._ENGINES.pop(key, None)
        if engine is not None:
            engine.dispose()


_PG_ADMIN = os.environ.get(
    "LAMIN_PIPES_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextlib.contextmanager
def _pg_database(template: str | None = None) -> Iterator[URL]:
    """A throw-away database on the test server (a copy of ``template``); dropped after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"lp_defs_{uuid.uuid4().hex[:12]}"
    engine = create_engine(_PG_ADMIN, isolation_level="AUTOCOMMIT")
    clause = f' TEMPLATE "{template}"' if template else ""
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    try:
        yield make_url(_PG_ADMIN).set(database=name)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture
def pg_registry_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated PostgreSQL registry (skipped, as every PostgreSQL leg, without a server)."""
    template: str = request.getfixturevalue("pg_template")
    with _pg_database(template) as url:
        yield url.render_as_string(hide_password=False)


@pytest.fixture
def dagster_pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty PostgreSQL database for a Dagster instance (dagster-postgres: psycopg2)."""
    request.getfixturevalue("pg_template")  # skips when no server can be reached
    with _pg_database() as url:
        yield url.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)
