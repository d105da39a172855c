"""The public surface: ``lamin_pipes.__all__``, ``lamin_pipes.models.__all__``, errors, import cost."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import lamin_pipes as ln
import lamin_pipes.errors
import lamin_pipes.models
from lamin_pipes.core import _instance as instance_module
from lamin_pipes.core._instance import normalize_url
from lamin_pipes.core._settings import settings
from lamin_pipes.models import Registry

#: The reference classes of ``lamindb.models`` that the registry core implements.
REFERENCE_CLASSES = (
    "BaseSQLRecord",
    "SQLRecord",
    "Registry",
    "HasType",
    "HasParents",
    "CanCurate",
    "TracksRun",
    "TracksUpdates",
    "BasicQuerySet",
    "QuerySet",
    "QueryDB",
    "QueryManager",
    "SQLRecordList",
    "InspectResult",
    "ValidateFields",
    "SchemaOptionals",
)
REGISTRIES = (
    "Record",
    "ULabel",
    "Project",
    "User",
    "Space",
    "Branch",
    "Run",
    "Transform",
    "Schema",
)
#: What ``import lamin_pipes as ln`` offers today (Artifact & co. land in later issues).
TOP_LEVEL = (
    "Record",
    "ULabel",
    "Project",
    "Run",
    "Transform",
    "User",
    "Branch",
    "Space",
    "Q",
    "SQLRecord",
    "Schema",
    "atomic",
    "connect",
    "curators",
    "errors",
    "fields",
    "models",
    "save",
    "settings",
    "setup",
    "view",
)
LAMINDB_ERRORS = (
    "DoesNotExist",
    "MultipleResultsFound",
    "ValidationError",
    "FieldValidationError",
    "InvalidArgument",
    "FieldError",
    "IntegrityError",
    "InstanceNotSetupError",
    "MigrationError",
)
HEAVY_MODULES = (
    "pandas",
    "torch",
    "dagster",
    "anndata",
    "rapidfuzz",
    "rich",
    "pyarrow",
    "numpy",
    "polars",
    "zarr",
    "h5py",
    "s3fs",
    "fsspec",
    "boto3",
    "tqdm",
    "alembic",
    # Dialects load with the first engine; declaring partial indexes would load all.
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.sqlite",
)


def _is_sorted(names: list[str]) -> bool:
    return names in (sorted(names), sorted(names, key=str.lower))


@pytest.mark.parametrize(
    "module", [ln, ln.models, ln.errors], ids=["lamin_pipes", "models", "errors"]
)
def test_all_is_sorted_unique_and_resolves(module: object) -> None:
    names = list(module.__all__)  # type: ignore[attr-defined]

    assert _is_sorted(names), f"{module.__name__}.__all__ is not sorted"  # type: ignore[attr-defined]
    assert len(names) == len(set(names))
    unresolved = [name for name in names if not hasattr(module, name)]
    assert not unresolved


def test_top_level_exports_the_user_api() -> None:
    missing = set(TOP_LEVEL) - set(ln.__all__)
    assert not missing
    assert ln.Record is ln.models.Record
    assert ln.Schema is ln.models.Schema
    assert ln.curators.DataFrameCurator.__module__.startswith("lamin_pipes.curators")
    assert ln.settings is settings
    assert isinstance(ln.__version__, str)


def test_models_exports_the_reference_classes_and_registries() -> None:
    missing = (set(REFERENCE_CLASSES) | set(REGISTRIES)) - set(ln.models.__all__)
    assert not missing, f"missing from lamin_pipes.models.__all__: {sorted(missing)}"
    for name in REGISTRIES:
        registry = getattr(ln.models, name)
        assert isinstance(registry, Registry), name
        assert issubclass(registry, ln.models.BaseSQLRecord), name
    assert issubclass(ln.models.SQLRecord, ln.models.BaseSQLRecord)
    assert issubclass(ln.models.QuerySet, ln.models.BasicQuerySet)


def test_errors_share_one_root() -> None:
    root = ln.errors.LaminPipesError
    for name in LAMINDB_ERRORS:
        assert issubclass(getattr(ln.errors, name), root), name
    for name in ln.errors.__all__:
        assert issubclass(getattr(ln.errors, name), root), name
    assert issubclass(ln.errors.DoesNotExist, LookupError)
    assert issubclass(ln.errors.MultipleResultsFound, LookupError)
    assert issubclass(ln.errors.ValidationError, ValueError)
    assert issubclass(ln.errors.FieldError, AttributeError)


@pytest.mark.parametrize("name", LAMINDB_ERRORS)
def test_errors_are_picklable(name: str) -> None:
    error = getattr(ln.errors, name)("Unknown value 'x'. Valid values: a, b")

    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is type(error)
    assert str(copy) == str(error)


def test_import_does_not_load_heavy_modules() -> None:
    code = (
        "import sys, lamin_pipes\n"
        f"print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "", f"imported at `import lamin_pipes`: {result.stdout}"


def _readme_block(language: str, heading: str | None = None) -> list[str]:
    text = (Path(__file__).parents[1] / "README.md").read_text()
    if heading is not None:
        text = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_readme_quickstart_runs(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (quickstart,) = _readme_block("python", "Quickstart")
    assert len(quickstart.splitlines()) <= 10
    monkeypatch.setenv("LAMIN_PIPES_DB", db_url)
    monkeypatch.setenv("LAMIN_PIPES_STORAGE", str(tmp_path / "storage"))
    previous = (settings._instance, settings._user)
    try:
        namespace: dict[str, object] = {}
        exec(compile(quickstart, "README.md", "exec"), namespace)
        assert ln.Project.get(name="my project").records.count() == 1
    finally:
        settings._instance, settings._user = previous
        for key in [k for k in instance_module._ENGINES if k[1] == normalize_url(db_url)]:
            instance_module._ENGINES.pop(key).dispose()


def test_readme_curation_example_runs(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (example,) = _readme_block("python", "Features, schemas and curation")
    monkeypatch.setenv("LAMIN_PIPES_DB", db_url)
    monkeypatch.setenv("LAMIN_PIPES_STORAGE", str(tmp_path / "storage"))
    previous = (settings._instance, settings._user)
    try:
        namespace: dict[str, object] = {}
        exec(compile(example, "README.md", "exec"), namespace)
        printed = capsys.readouterr().out
        assert "natural killer cell" in printed and "NK cell" in printed
        df: Any = namespace["df"]
        assert df["cell_type"].tolist() == ["T cell", "NK cell", "MAIT cell"]
        artifact: Any = namespace["artifact"]
        assert artifact.schema == namespace["schema"]
        assert artifact.features.get_values()["cell_type"] == {"MAIT cell", "NK cell", "T cell"}
        assert ln.Artifact.filter(cell_type="NK cell").one() == artifact
    finally:
        settings._instance, settings._user = previous
        for key in [k for k in instance_module._ENGINES if k[1] == normalize_url(db_url)]:
            instance_module._ENGINES.pop(key).dispose()


def test_readme_artifact_example_runs(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (example,) = _readme_block("python", "Artifacts, versions and lineage")
    monkeypatch.setenv("LAMIN_PIPES_DB", db_url)
    monkeypatch.setenv("LAMIN_PIPES_STORAGE", str(tmp_path / "storage"))
    previous = (settings._instance, settings._user)
    try:
        exec(compile(example, "README.md", "exec"), {})
        latest = ln.Artifact.get(key="data/raw.parquet")
        assert latest.version == "0001"
        assert latest.run.transform.key == "clean"
        [raw] = latest.run.input_artifacts.to_list()
        assert raw.run.transform.key == "ingest"
        printed = capsys.readouterr().out
        assert "Transform 'ingest'" in printed and "Artifact: data/raw.parquet (0001)" in printed
    finally:
        settings._instance, settings._user = previous
        for key in [k for k in instance_module._ENGINES if k[1] == normalize_url(db_url)]:
            instance_module._ENGINES.pop(key).dispose()


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    (main_job,) = _readme_block("bash", "Run the main job")
    (tests,) = _readme_block("bash", "Run the tests")
    assert len(_readme_block("bash")) == 2
    assert main_job.strip() == (
        "python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 "
        "&& .venv/bin/pip install -e '.[dagster]' && .venv/bin/python -m definitions"
    )
    assert tests.strip() == (
        "python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 "
        "&& .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest -n 2"
    )
    ci_script = (Path(__file__).parents[1] / ".ci" / "run").read_text().splitlines()
    assert tests.strip() in ci_script


@pytest.mark.parametrize("enabled", [True, False])
def test_import_leaves_the_garbage_collector_as_it_was(enabled: bool) -> None:
    # The package pauses the collector while it imports; it must hand it back as found.
    code = (
        "import gc\n"
        f"gc.enable() if {enabled} else gc.disable()\n"
        "import lamin_pipes\n"
        "print(gc.isenabled())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == str(enabled)
