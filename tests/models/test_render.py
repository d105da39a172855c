"""``lamin_pipes.models._render``: the trees and tables everything else prints."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from lamin_pipes.models import _describe, _render
from lamin_pipes.models._render import Node, format_size, render_table, render_tree

MARKUP = ["[bold]x[/bold]", "[red]", "[link=https://example.com]y", ":smile:", "[/]"]


def _assert_clean(text: str) -> None:
    """No colour codes, no trailing spaces, no final newline."""
    assert "\x1b" not in text
    assert not text.endswith("\n")
    for line in text.splitlines():
        assert line == line.rstrip(), repr(line)


# --- trees -----------------------------------------------------------------------------


def test_tree_draws_guides_like_the_hand_drawn_trees() -> None:
    root = Node("root")
    first = root.add("first")
    first.add("first.a")
    first.add("first.b").add("first.b.1")
    root.add("second").add("second.a")
    root.add("third")

    assert render_tree(root).splitlines() == [
        "root",
        "├── first",
        "│   ├── first.a",
        "│   └── first.b",
        "│       └── first.b.1",
        "├── second",
        "│   └── second.a",
        "└── third",
    ]


def test_a_lone_root_is_its_label() -> None:
    assert render_tree(Node("just me")) == "just me"


@pytest.mark.parametrize("label", MARKUP)
def test_tree_labels_are_printed_literally(label: str) -> None:
    root = Node(label)
    root.add(f"child {label}").add(label)

    assert render_tree(root).splitlines() == [label, f"└── child {label}", f"    └── {label}"]


def test_tree_has_no_trailing_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # must not turn colours on
    monkeypatch.setenv("TERM", "xterm-256color")
    root = Node("root\n")
    section = root.add("")
    section.add("value   ")
    section.add("two\n\nlines")
    root.add("last")

    text = render_tree(root)

    _assert_clean(text)
    assert text.splitlines() == [
        "root",  # a final newline in a label adds no line
        "├──",
        "│   ├── value",
        "│   └── two",
        "│",
        "│       lines",
        "└── last",
    ]


def test_multi_line_labels_continue_inside_the_tree() -> None:
    root = Node("Artifact: a\nuid: 123")
    root.add("description: first\nsecond")
    root.add("last: one\ntwo")

    assert render_tree(root).splitlines() == [
        "Artifact: a",
        "uid: 123",
        "├── description: first",
        "│   second",
        "└── last: one",
        "    two",
    ]


def test_long_labels_are_neither_wrapped_nor_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")  # the terminal width plays no part
    long = "s3://bucket/" + "/".join(f"part{i}" for i in range(100))
    root = node = Node(long)
    for _ in range(30):
        node = node.add(long)

    lines = render_tree(root).splitlines()

    assert len(lines) == 31
    assert lines[0] == long
    assert lines[1] == "└── " + long
    assert lines[30] == " " * (4 * 29) + "└── " + long


def test_wide_characters_and_tabs_are_not_cut() -> None:
    root = Node("名前")
    root.add("日本語のラベル" * 20)
    root.add("a\tb")

    lines = render_tree(root).splitlines()

    assert lines == ["名前", "├── " + "日本語のラベル" * 20, "└── a       b"]


def test_deep_trees_do_not_recurse() -> None:
    root = node = Node("0")
    for depth in range(1, 400):
        node = node.add(str(depth))

    lines = render_tree(root).splitlines()

    assert len(lines) == 400
    assert lines[-1] == " " * (4 * 398) + "└── 399"


# --- tables ----------------------------------------------------------------------------


def test_table_header_rule_and_rows() -> None:
    text = render_table(
        ["uid", "key", "size"], [["abc", "a.parquet", "1.6 KB"], ["de", None, "12 B"]], width=80
    )

    _assert_clean(text)
    assert text.splitlines() == [
        "uid  key        size",
        "─" * 22,
        "abc  a.parquet  1.6 KB",
        "de              12 B",
    ]


@pytest.mark.parametrize("value", MARKUP)
def test_table_cells_and_headers_are_printed_literally(value: str) -> None:
    lines = render_table([value, "b"], [[value, 1]], width=80).splitlines()

    assert lines[0].split() == [value, "b"]
    assert lines[2].split() == [value, "1"]


def test_table_fits_a_narrow_width_and_keeps_every_character() -> None:
    letters = "abcdefghijklmnopqrstuvwxyz"
    columns = [f"C{i}" for i in range(12)]
    rows = [[letters[(r * 12 + c) % 26] * (5 + 3 * c) for c in range(12)] for r in range(3)]

    text = render_table(columns, rows, width=60)

    _assert_clean(text)
    assert max(cell_len(line) for line in text.splitlines()) <= 60
    blocks = text.count("\n\n") + 1
    for letter in letters:  # every value is there in full; the first column once per block
        in_cells = sum(value.count(letter) for row in rows for value in row[1:])
        in_first = sum(row[0].count(letter) for row in rows)
        assert text.count(letter) == in_cells + in_first * blocks


def test_a_long_value_folds_instead_of_being_cut() -> None:
    value = "s3://bucket/" + "x" * 100 + "/end"

    lines = render_table(["id", "path"], [[1, value]], width=30).splitlines()

    assert max(cell_len(line) for line in lines) <= 30
    assert "".join(line[4:] for line in lines[2:]) == value


def test_wide_tables_split_into_blocks_that_repeat_the_first_column() -> None:
    columns = ["id", *(f"c{i}" for i in range(30))]
    text = render_table(columns, [[7, *range(30)]], width=40)

    blocks = text.split("\n\n")
    assert len(blocks) > 1
    for block in blocks:
        header, rule, row = block.splitlines()
        assert header.split()[0] == "id" and row.split()[0] == "7"
        assert set(rule) == {"─"}
        assert max(cell_len(line) for line in block.splitlines()) <= 40
    headers = [name for block in blocks for name in block.splitlines()[0].split()[1:]]
    assert headers == columns[1:]


def test_table_width_defaults_to_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [["x" * 50, "y" * 50]]
    monkeypatch.setenv("COLUMNS", "44")
    narrow = render_table(["a", "b"], rows)
    monkeypatch.setenv("COLUMNS", "200")
    wide = render_table(["a", "b"], rows)

    assert max(cell_len(line) for line in narrow.splitlines()) <= 44
    assert len(narrow.splitlines()) > 3
    assert wide.splitlines()[2] == "x" * 50 + "  " + "y" * 50


def test_table_rows_must_match_the_columns() -> None:
    with pytest.raises(ValueError, match="Row 1 has 1 values for 2 columns"):
        render_table(["a", "b"], [[1, 2], [3]])


def test_empty_tables() -> None:
    assert render_table([], []) == ""
    assert render_table(["only", "header"], [], width=80).splitlines() == [
        "only  header",
        "─" * 12,
    ]


# --- sizes and module boundaries ------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [(None, None), (0, "0 B"), (999, "999 B"), (1_604, "1.6 KB"), (5 * 10**18, "5000.0 PB")],
)
def test_format_size(size: int | None, expected: str | None) -> None:
    assert format_size(size) == expected


def test_describe_still_offers_format_size() -> None:
    assert _describe.format_size is format_size


def test_render_is_a_leaf_that_imports_only_the_standard_library_and_rich() -> None:
    tree = ast.parse(Path(_render.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import of {node.module}"
            imported.add((node.module or "").split(".")[0])
    assert "rich" in imported
    assert imported - {"rich"} <= set(sys.stdlib_module_names)


def test_importing_the_package_and_cli_does_not_load_rich() -> None:
    code = (
        "import sys, lamin_pipes, lamin_pipes.cli, lamin_pipes.models._render, "
        "lamin_pipes.models._describe, lamin_pipes.models._graph\n"
        "print('rich' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"
