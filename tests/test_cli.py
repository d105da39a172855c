"""The ``lamin-pipes`` command line, run in-process through ``main`` and once as a program."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

import lamin_pipes as ln
from lamin_pipes.cli import main
from lamin_pipes.core import _instance as instance_module
from lamin_pipes.core._instance import normalize_url
from lamin_pipes.core._migrate import HEAD_REVISION
from lamin_pipes.core._settings import settings
from lamin_pipes.models._render import format_size

ENV_VARS = ("LAMIN_PIPES_DB", "LAMIN_PIPES_STORAGE", "LAMIN_PIPES_USER")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Run in an empty directory without configuration; restore settings and engines."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    previous = (settings._instance, settings._user)
    engines_before = set(instance_module._ENGINES)
    yield
    settings._instance, settings._user = previous
    for key in set(instance_module._ENGINES) - engines_before:
        engine = instance_module._ENGINES.pop(key, None)
        if engine is not None:
            engine.dispose()


@pytest.fixture
def env_instance(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh instance on each backend, named by LAMIN_PIPES_DB / LAMIN_PIPES_STORAGE."""
    monkeypatch.setenv("LAMIN_PIPES_DB", db_url)
    monkeypatch.setenv("LAMIN_PIPES_STORAGE", str(tmp_path / "storage"))
    monkeypatch.setenv("LAMIN_PIPES_USER", "cli-tester")
    return db_url


def _error_line(captured: pytest.CaptureResult[str], command: str) -> str:
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith(f"lamin-pipes {command}: error: ")
    assert "Traceback" not in captured.err
    return captured.err


def test_init_creates_then_opens_an_instance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "new" / "lamin.db"
    storage = tmp_path / "new" / "storage"

    assert main(["init", "--db", str(db), "--storage", str(storage)]) == 0
    first = capsys.readouterr().out
    assert main(["init", "--db", str(db), "--storage", str(storage)]) == 0
    second = capsys.readouterr().out

    assert first.startswith(f"Created instance 'new' (schema revision {HEAD_REVISION})")
    assert second.startswith("Opened instance 'new'")
    assert f"db='sqlite:///{db}'" in first
    assert f"storage='{storage}'" in first
    assert db.is_file()
    assert storage.is_dir()


def test_init_uses_the_environment(env_instance: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("Opened instance")
    assert "user='cli-tester'" in out
    assert ln.settings.instance.db == normalize_url(env_instance)


def test_init_and_info_show_the_db_url_without_password(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = make_url(normalize_url(db_url))
    if url.get_backend_name() == "postgresql":  # trust auth accepts any password
        url = url.set(password="s3cret-pw")
    db = url.render_as_string(hide_password=False)

    assert main(["init", "--db", db, "--storage", str(tmp_path / "storage")]) == 0
    assert main(["info", "--db", db]) == 0

    out = capsys.readouterr().out
    assert "s3cret-pw" not in out
    assert f"db       : {url.render_as_string(hide_password=True)}\n" in out


def test_info_shows_settings_revision_and_counts(
    env_instance: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ln.connect()
    ln.ULabel(name="one").save()
    ln.ULabel(name="two").save()

    assert main(["info"]) == 0

    out = capsys.readouterr().out
    lines = {line.split(":", 1)[0].strip(): line for line in out.splitlines() if ":" in line}
    assert f"schema   : {HEAD_REVISION} (newest)" in out
    assert "cli-tester" in lines["user"]
    assert "storage" in lines
    counts = dict(line.split() for line in out.split("records  :\n", 1)[1].splitlines())
    assert counts["ULabel"] == "2"
    assert counts["Branch"] == "3"
    assert counts["User"] == "1"
    assert set(counts) >= {"Record", "Project", "Run", "Transform", "Space"}


def test_info_without_an_instance_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info"]) == 1

    err = _error_line(capsys.readouterr(), "info")
    assert "lamin-pipes init" in err
    assert not (Path.cwd() / ".lamin_pipes").exists()


def test_migrate_an_instance_at_head(env_instance: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0

    assert "nothing to do" in capsys.readouterr().out


def test_ls_prints_records(env_instance: str, capsys: pytest.CaptureFixture[str]) -> None:
    ln.connect()
    for name in ("alpha", "beta", "gamma"):
        ln.Record(name=name).save()

    assert main(["ls", "record", "--limit", "2"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("Record: 2 of 3 records")
    assert "gamma" in out
    assert "beta" in out
    assert "alpha" not in out  # newest first, limited to 2


def _lines_fit(out: str, width: int) -> bool:
    from rich.cells import cell_len

    return all(cell_len(line) <= width for line in out.splitlines())


def _rules(out: str) -> int:
    """How many tables (blocks of columns) ``out`` holds: one rule under each header."""
    return sum(1 for line in out.splitlines() if line and set(line) == {"─"})


def test_ls_shows_the_readable_columns_by_default(
    env_instance: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    ln.connect()
    artifact = ln.Artifact({"a": list(range(200))}, key="tables/[bold]a[/bold].json").save()
    record = ln.Record(name="alpha").save()

    assert main(["ls", "artifact"]) == 0
    title, header, rule, row = capsys.readouterr().out.splitlines()
    assert title == "Artifact: 1 of 1 records (newest first)"
    assert header.split() == ["uid", "key", "version", "size", "created"]
    assert set(rule) == {"─"}
    created_at = ln.Artifact.get(artifact.id).created_at
    size = format_size(artifact.size)
    assert size is not None and size.endswith(" KB")
    assert re.split(r"\s{2,}", row) == [
        artifact.uid,
        "tables/[bold]a[/bold].json",
        "0000",
        size,
        created_at.astimezone().strftime("%Y-%m-%d %H:%M"),  # local time, to the minute
    ]

    assert main(["ls", "record"]) == 0
    _, header, _, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["uid", "name", "created"]  # not versioned, no size
    assert row.split()[:2] == [record.uid, "alpha"]

    assert main(["ls", "user"]) == 0
    _, header, _, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["uid", "handle", "created"]  # the registry's name field
    assert row.split()[1] == "cli-tester"


def test_ls_all_shows_every_column(
    env_instance: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")
    ln.connect()
    record = ln.Record(name="alpha", description="first of all").save()

    assert main(["ls", "record", "--all", "--limit", "5"]) == 0
    title, header, rule, row = capsys.readouterr().out.splitlines()
    assert title == "Record: 1 of 1 records (newest first)"
    columns = ["id", *ln.Record.to_dataframe(limit=1).columns]
    assert len(columns) > 10
    assert header.split() == columns
    assert set(rule) == {"─"}
    starts = [match.start() for match in re.finditer(r"\S+", header)]
    cells = [row[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
    values = dict(zip(columns, cells, strict=True))
    assert values["id"] == str(record.id)
    assert values["uid"] == record.uid
    assert values["name"] == "alpha"
    assert values["description"] == "first of all"
    assert values["type_id"] == ""  # None shows as an empty cell
    assert values["is_type"] == "False"
    assert values["created_at"].endswith(" UTC")


def test_ls_fits_the_terminal_width(
    env_instance: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    ln.connect()
    long_key = "very/long/" + "nested/" * 12 + "table.json"
    artifact = ln.Artifact({"a": 1}, key=long_key).save()

    assert main(["ls", "artifact"]) == 0
    short = capsys.readouterr().out
    assert main(["ls", "artifact", "--all"]) == 0
    full = capsys.readouterr().out

    assert _lines_fit(short, 60) and _lines_fit(full, 60)
    assert _rules(short) == 1  # one table, the long key folded inside it
    _, header, _, *rows = short.splitlines()
    start, end = header.index("key"), header.index("version")
    assert max(len(line) for line in rows) > 50  # the width is used
    assert rows[0].split()[0] == artifact.uid  # the first column is kept whole
    assert "".join(line[start:end].strip() for line in rows) == long_key
    assert _rules(full) > 1  # every column: split into blocks of columns
    for column in ("hash", "suffix", "otype", "storage_id", "is_latest"):
        assert column in full
    assert artifact.hash[:8] in full


def test_ls_user_and_empty_registry(env_instance: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", "User"]) == 0
    assert "cli-tester" in capsys.readouterr().out

    assert main(["ls", "project"]) == 0
    assert capsys.readouterr().out == "No Project records.\n"


def test_ls_unknown_registry_lists_the_valid_ones(
    env_instance: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ls", "artefact"]) == 1

    err = _error_line(capsys.readouterr(), "ls")
    assert "'artefact'" in err
    assert "record" in err
    assert "ulabel" in err


def test_search_finds_a_record_despite_a_typo(
    env_instance: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ln.connect()
    for name in ("Label1", "Label2", "Something else"):
        ln.ULabel(name=name).save()

    assert main(["search", "ulabel", "lable2", "--limit", "5"]) == 0

    out = capsys.readouterr().out
    _, header, rule, first_hit, *_ = out.splitlines()
    assert header.split() == ["id", "uid", "name", "score"]
    assert set(rule) == {"─"}
    assert "Label2" in first_hit


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["ls"]) == 2
    assert main(["ls", "record", "--limit", "0"]) == 2
    assert "usage: lamin-pipes" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out


def test_demo_runs_twice_on_the_same_instance(
    env_instance: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    first = capsys.readouterr().out
    counts = {m.__name__: m.objects.count() for m in (ln.Record, ln.ULabel, ln.Project)}

    assert main(["demo"]) == 0
    second = capsys.readouterr().out

    assert counts == {m.__name__: m.objects.count() for m in (ln.Record, ln.ULabel, ln.Project)}
    assert counts["Record"] == 4  # the type and its three records
    assert "(3 created)" in first
    assert "(0 created)" in second
    for out in (first, second):
        assert "sample 2" in out.split("Record.search('sampel 2')", 1)[1].splitlines()[0]
        assert "lung" in out.split("ULabel.search('lnug')", 1)[1].splitlines()[0]
        assert "Done." in out
    project = ln.Project.get(name="Demo project")
    assert sorted(project.records.to_list("name")) == ["sample 1", "sample 2"]
    lung = ln.ULabel.get(name="lung")
    assert sorted(lung.children.to_list("name")) == ["left lung", "right lung"]


def test_demo_defaults_to_the_embedded_instance(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0

    assert (Path.cwd() / ".lamin_pipes" / "lamin.db").is_file()
    assert "Done." in capsys.readouterr().out


def _console_script() -> list[str]:
    script = Path(sys.executable).parent / "lamin-pipes"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lamin_pipes.cli"]


def test_entry_points_run_as_programs(env_instance: str, tmp_path: Path) -> None:
    env = dict(os.environ)

    module = subprocess.run(
        [sys.executable, "-m", "lamin_pipes.cli", "info"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    script = subprocess.run(
        [*_console_script(), "ls", "nonsense"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )

    assert module.returncode == 0, module.stderr
    assert f"schema   : {HEAD_REVISION}" in module.stdout
    assert script.returncode == 1
    assert script.stderr.startswith("lamin-pipes ls: error: Unknown registry 'nonsense'")
    assert "Traceback" not in script.stderr


@pytest.mark.parametrize(
    "command", ["init", "info", "ls", "clean", "migrate", "search", "describe"]
)
def test_no_command_shows_the_password_of_an_unreachable_database(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Port 1 refuses connections: every command fails to open the database.
    db = "postgresql://me:s3cret-pw@127.0.0.1:1/lamin"
    args = {
        "ls": ["ls", "ulabel"],
        "search": ["search", "ulabel", "x"],
        "describe": ["describe", "abc"],
    }.get(command, [command])

    status = main([*args, "--db", db])

    captured = capsys.readouterr()
    assert status == 1
    assert "s3cret-pw" not in captured.out + captured.err
    assert "me:***@127.0.0.1:1/lamin" in captured.err


# --- describe ----------------------------------------------------------------------------


def _two_versions_in_runs() -> tuple[ln.Artifact, ln.Artifact]:
    import pandas as pd

    with ln.flow(key="cli: make"):
        first = ln.Artifact(pd.DataFrame({"x": [1, 2]}), key="cli/table.parquet").save()
    with ln.flow(key="cli: revise"):
        first.load()
        second = ln.Artifact(pd.DataFrame({"x": [3]}), key="cli/table.parquet").save()
    return first, second


def test_describe_an_artifact_by_uid(env_instance: str, capsys: pytest.CaptureFixture[str]) -> None:
    ln.connect()
    first, second = _two_versions_in_runs()

    assert main(["describe", first.uid]) == 0
    plain = capsys.readouterr().out
    assert main(["describe", second.uid, "--lineage"]) == 0
    with_lineage = capsys.readouterr().out

    assert plain.startswith(f"Artifact: cli/table.parquet ({first.version})\nuid: {first.uid}")
    assert "Provenance" in plain
    assert "cli: make" in plain
    assert "Lineage:" not in plain
    assert with_lineage.startswith(f"Artifact: cli/table.parquet ({second.version})")
    lineage = with_lineage.split("Lineage:", 1)[1]
    assert f"uid {second.uid}" in lineage
    assert "cli: revise" in lineage
    assert f"input: Artifact 'cli/table.parquet' (uid {first.uid}" in lineage


def test_describe_a_version_family_stem_shows_the_latest_version(
    env_instance: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ln.connect()
    first, second = _two_versions_in_runs()

    assert main(["describe", first.uid[:16]]) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"Artifact: cli/table.parquet ({second.version})\nuid: {second.uid}")


def test_describe_runs_transforms_records_and_trashed_artifacts(
    env_instance: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ln.connect()
    first, second = _two_versions_in_runs()
    run = second.run
    record = ln.Record(name="described").save()
    first.delete()  # to the trash: still found by its uid

    for uid, title in (
        (run.uid, f"Run: {run.uid}"),
        (run.transform.uid, "Transform: cli: revise"),
        (record.uid, "Record: described"),
        (first.uid, "Artifact: cli/table.parquet"),
    ):
        assert main(["describe", uid]) == 0, uid
        out = capsys.readouterr().out
        assert out.startswith(title), out
    assert main(["describe", run.uid, "--lineage"]) == 0
    assert "no lineage" in capsys.readouterr().out


@pytest.mark.parametrize("uid", ["doesNotExist0000000x", "x", "../etc", ""])
def test_describe_an_unknown_uid_fails_cleanly(
    env_instance: str, uid: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ln.connect()
    _two_versions_in_runs()

    assert main(["describe", uid]) == 1

    err = _error_line(capsys.readouterr(), "describe")
    assert f"No record with uid {uid!r}" in err


def test_describe_runs_as_a_program(env_instance: str) -> None:
    ln.connect()
    _, second = _two_versions_in_runs()

    found = subprocess.run(
        [*_console_script(), "describe", second.uid],
        capture_output=True,
        text=True,
        check=False,
    )
    missing = subprocess.run(
        [*_console_script(), "describe", "nosuchuid"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith("Artifact: cli/table.parquet")
    assert missing.returncode == 1
    assert missing.stderr.startswith("lamin-pipes describe: error: No record with uid 'nosuchuid'")
    assert "Traceback" not in missing.stderr
