"""Opening instances: explicit arguments, environment, embedded default, users, forks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

import lamin_pipes as ln
from lamin_pipes.core import _instance as instance_module
from lamin_pipes.core._instance import Instance, get_engine, normalize_url
from lamin_pipes.core._settings import settings
from lamin_pipes.errors import InstanceNotSetupError

ENV_VARS = ("LAMIN_PIPES_DB", "LAMIN_PIPES_STORAGE", "LAMIN_PIPES_USER")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Clear the configuration variables; restore settings and close new engines."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    previous = (settings._instance, settings._user)
    engines_before = set(instance_module._ENGINES)
    yield
    settings._instance, settings._user = previous
    for key in set(instance_module._ENGINES) - engines_before:
        engine = instance_module._ENGINES.pop(key, None)
        if engine is not None:
            engine.dispose()


def test_connect_with_explicit_db_and_storage(db_url: str, tmp_path: Path) -> None:
    storage = tmp_path / "explicit-storage"

    instance = ln.connect(db_url, str(storage))

    assert instance is settings.instance
    assert instance.db == normalize_url(db_url)
    assert instance.storage == str(storage.resolve())
    assert storage.is_dir()
    assert ln.settings.storage.root_as_str == str(storage.resolve())
    assert ln.Branch.get(-1).name == "trash"  # queries go to this instance


def test_connect_reads_the_environment(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = tmp_path / "env-storage"
    monkeypatch.setenv("LAMIN_PIPES_DB", db_url)
    monkeypatch.setenv("LAMIN_PIPES_STORAGE", str(storage))

    instance = ln.connect()

    assert instance.db == normalize_url(db_url)
    assert Path(instance.storage) == storage
    assert storage.is_dir()
    label = ln.ULabel(name="from-env").save()
    assert ln.ULabel.get(name="from-env") == label


def test_connect_defaults_to_the_embedded_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    instance = ln.connect()

    db_file = tmp_path / ".lamin_pipes" / "lamin.db"
    assert instance.db == f"sqlite:///{db_file.resolve()}"
    assert db_file.is_file()
    assert Path(instance.storage) == (tmp_path / ".lamin_pipes" / "storage").resolve()
    assert Path(instance.storage).is_dir()
    assert ln.Space.get(1).name == "all"


def test_settings_connect_to_the_embedded_instance_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings._instance, settings._user = None, None

    instance = ln.settings.instance

    assert instance.db == f"sqlite:///{(tmp_path / '.lamin_pipes' / 'lamin.db').resolve()}"
    assert ln.settings.user is not None


def test_current_user_is_created_once(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMIN_PIPES_USER", "alice")

    ln.connect(db_url, str(tmp_path / "storage"))
    first = ln.settings.user
    ln.connect(db_url, str(tmp_path / "storage"))

    assert ln.settings.user.handle == "alice"
    assert ln.settings.user == first
    assert ln.User.filter(handle="alice").count() == 1
    assert ln.ULabel(name="mine").save().created_by == first


def test_settings_repr_shows_the_instance_and_hides_passwords(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMIN_PIPES_USER", "bob")
    url = make_url(normalize_url(db_url))
    if url.get_backend_name() == "postgresql":  # trust auth accepts any password
        url = url.set(password="s3cret-pw")
    db = url.render_as_string(hide_password=False)

    instance = ln.connect(db, str(tmp_path / "storage"))
    shown = repr(ln.settings)

    assert "s3cret-pw" not in shown
    assert f"instance={instance.name!r}" in shown
    assert f"storage={instance.storage!r}" in shown
    assert "user='bob'" in shown
    assert url.render_as_string(hide_password=True) in shown


def test_settings_repr_hides_the_password_of_any_url() -> None:
    settings._instance = Instance(
        db="postgresql://lamin:hunter2@db.example.org:5432/registry", storage="/data/store"
    )
    settings._user = None

    shown = repr(ln.settings)

    assert "hunter2" not in shown
    assert "lamin:***@db.example.org:5432/registry" in shown
    assert "storage='/data/store'" in shown


def test_settings_repr_when_not_connected() -> None:
    settings._instance, settings._user = None, None

    assert repr(ln.settings) == "Settings(not connected)"


def test_setup_init_is_an_alias_of_connect(db_url: str, tmp_path: Path) -> None:
    storage = tmp_path / "init-storage"

    instance = ln.setup.init(storage=str(storage), db=db_url)

    assert instance is ln.settings.instance
    assert instance.db == normalize_url(db_url)
    assert instance.storage == str(storage.resolve())
    assert ln.setup.connect is ln.connect


def test_setup_init_rejects_unknown_arguments(tmp_path: Path) -> None:
    with pytest.raises(ln.errors.LaminPipesError, match="Valid arguments: storage, db"):
        ln.setup.init(storage=str(tmp_path), schema="bionty")


def test_unreachable_postgres_raises_instance_not_setup(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:1/nowhere"
    before = settings._instance

    with pytest.raises(InstanceNotSetupError) as info:
        ln.connect(url, str(tmp_path / "storage"))

    assert "nowhere" in str(info.value)
    assert info.value.__cause__ is None  # a readable message, not a driver traceback
    assert settings._instance is before


def test_forked_child_gets_its_own_engine(db_url: str, tmp_path: Path) -> None:
    instance = ln.connect(db_url, str(tmp_path / "storage"))
    parent_engine = get_engine(instance.db)
    ln.Record(name="made by parent").save()  # the pool now holds a live connection

    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        status = 1
        try:
            child_engine = get_engine(instance.db)
            if child_engine is parent_engine:
                status = 2
            elif ln.Record.filter(name="made by parent").count() != 1:
                status = 3
            else:
                ln.Record(name="made by child").save()
                status = 0
        finally:
            os._exit(status)

    _, wait_status = os.waitpid(pid, 0)
    assert os.WIFEXITED(wait_status)
    assert os.WEXITSTATUS(wait_status) == 0, "exit 2: engine shared; 3: query failed"
    assert get_engine(instance.db) is parent_engine
    names = set(ln.Record.filter(name__startswith="made by").to_list("name"))
    assert names == {"made by parent", "made by child"}


def test_instance_repr_and_query_set_db_hide_the_password(db_url: str) -> None:
    from sqlalchemy.engine import make_url

    from lamin_pipes.core._instance import Instance
    from lamin_pipes.orm.query_set import QuerySet

    url = make_url(db_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("SQLite URLs hold no password")
    url = url.set(password="s3cret-pw")  # trust auth accepts any password
    instance = Instance(db=url.render_as_string(hide_password=False), storage="")

    assert "s3cret-pw" not in repr(instance)
    assert "***" in repr(instance)
    assert "s3cret-pw" not in QuerySet(ln.ULabel, instance=instance).db
    assert "s3cret-pw" in instance.db  # the engine still gets the real URL
