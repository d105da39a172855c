"""Layers point one way, and packages hold no long import loops.

The layer contract lives in ``pyproject.toml`` (``[tool.importlinter]``); these tests
run it with import-linter, show that it catches an upward import even inside a
function, and bound the import loops inside each package.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "storage", "orm", "models", "curators", "dagster")
#: A class and its helper module may lean on each other; longer loops may not form.
MAX_LOOP = 4


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
    for package in ("lamin_pipes", "definitions"):  # the contract's root packages
        shutil.copytree(ROOT / package, tmp_path / package)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "lamin_pipes" / module
    wrong = f"\n\ndef _reaches_up():\n    {wrong_import}\n\n    return None\n"
    target.write_text(target.read_text() + wrong)

    result = _lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken" in result.stdout
    importer = "lamin_pipes." + module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout


def _loops(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected groups of ``modules`` larger than one (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def neighbours(module: str) -> Iterable[str]:
        return sorted(graph.find_modules_directly_imported_by(module) & modules)

    def connect(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in neighbours(module):
            if other not in index:
                connect(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(modules):
        if module not in index:
            connect(module)
    return found


def test_no_long_import_loops_inside_a_package() -> None:
    # Imports under `if TYPE_CHECKING:` never run, so they make no loop.
    graph = grimp.build_graph(
        "lamin_pipes", include_external_packages=False, exclude_type_checking_imports=True
    )
    too_long = {}
    for package in PACKAGES:
        name = f"lamin_pipes.{package}"
        if name not in graph.modules:
            continue
        # The package's own __init__ re-exports its modules; it is not part of a loop.
        members = graph.find_descendants(name)
        for loop in _loops(graph, members):
            if len(loop) > MAX_LOOP:
                too_long[name] = loop

    assert not too_long, f"import loops longer than {MAX_LOOP} modules: {too_long}"
