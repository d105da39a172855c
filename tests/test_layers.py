"""Layers point one way.

The layer contract lives in ``pyproject.toml`` (``[tool.importlinter]``); these tests
run it with import-linter and show that it catches an upward import even inside a
function.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_layer_contract_is_kept() -> None:
    result = _lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import"),
    [
        ("core/_uid.py", "from ..models.record import Record"),
        ("storage/_keys.py", "from ..orm.query_set import QuerySet"),
        ("orm/_dates.py", "from ..models import _search"),
    ],
)
def test_layer_contract_catches_an_upward_import_inside_a_function(
    tmp_path: Path, module: str, wrong_import: str
) -> None:
    shutil.copytree(ROOT / "lamin_pipes", tmp_path / "lamin_pipes")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "lamin_pipes" / module
    wrong = f"\n\ndef _reaches_up():\n    {wrong_import}\n\n    return None\n"
    target.write_text(target.read_text() + wrong)

    result = _lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken" in result.stdout
    importer = "lamin_pipes." + module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout
