"""Plain-text trees and tables, drawn by ``rich``: the one place that draws either.

- :class:`Node` holds a tree (a label and child nodes); :func:`render_tree` draws it
  with rich's tree guides (``├──``, ``└──``, ``│``).
- :func:`render_table` draws columns and rows as a table that fits a width (by default
  the terminal's).
- :func:`format_size` writes a byte count the way lamindb shows sizes.

Both renderers return plain strings: no colours, no trailing spaces, and labels and
cells appear exactly as given; text such as ``[bold]`` is never read as rich markup.
Tree lines are never wrapped or cut, however long a label is.

The module imports only the standard library at import time; rich is imported by the
functions that draw, so ``import lamin_pipes`` does not pay for it.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text

#: The width of one tree level: rich draws each guide (``"├── "``, ``"│   "``) 4 cells wide.
_INDENT = 4
#: Tab stops used when a label or cell holds tabs.
_TAB_SIZE = 8
#: Cells between two table columns.
_GAP = 2
#: The fewest cells a table column keeps before the table is split into blocks.
_MIN_COLUMN = 10


@dataclass
class Node:
    """A node of a text tree: a label and the nodes below it, in display order.

    A label may span several lines; the lines after the first are indented under it.

    Attributes:
        label: The text shown for the node.
        children: The nodes drawn below this one.

    Examples:
        >>> root = Node("animal")
        >>> mammal = root.add("mammal")
        >>> _ = mammal.add("dog")
        >>> _ = root.add("bird")
        >>> print(render_tree(root))
        animal
        ├── mammal
        │   └── dog
        └── bird
    """

    label: str
    children: list[Node] = field(default_factory=list)

    def add(self, label: str) -> Node:
        """Append a child labelled ``label`` and return it (to add grandchildren)."""
        child = Node(label)
        self.children.append(child)
        return child


def format_size(size: int | None) -> str | None:
    """A byte count in decimal units (``"1.6 KB"``), as lamindb shows sizes.

    Examples:
        >>> format_size(1604), format_size(999), format_size(2_500_000), format_size(None)
        ('1.6 KB', '999 B', '2.5 MB', None)
    """
    if size is None:
        return None
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB", "PB"):
        value /= 1000
        if value < 1000 or unit == "PB":
            break
    return f"{value:.1f} {unit}"


def render_tree(root: Node) -> str:
    """Draw ``root`` and everything below it as lines of text.

    The root's label comes first, unindented; each child follows on its own line
    behind a guide. Labels are printed literally and in full.

    Args:
        root: The top of the tree.

    Returns:
        The tree, one line per label line, without a final newline.

    Examples:
        >>> tree = Node("Artifact: [bold]x[/bold]\\nuid: abc")
        >>> general = tree.add("General")
        >>> _ = general.add("key: " + "k" * 200)
        >>> _ = tree.add("Provenance")
        >>> text = render_tree(tree)
        >>> print("\\n".join(text.splitlines()[:3]))
        Artifact: [bold]x[/bold]
        uid: abc
        ├── General
        >>> text.splitlines()[3] == "│   └── key: " + "k" * 200
        True
        >>> text.splitlines()[-1]
        '└── Provenance'
    """
    from rich.tree import Tree

    top = Tree(_text(root.label))
    width = _width(root.label)
    # Depth-first without recursion, so that deep trees cannot exhaust the stack.
    stack: list[tuple[Node, Tree, int]] = [(root, top, 0)]
    while stack:
        node, tree, depth = stack.pop()
        indent = (depth + 1) * _INDENT
        for child in node.children:
            stack.append((child, tree.add(_text(child.label)), depth + 1))
            width = max(width, indent + _width(child.label))
    # A console exactly as wide as the widest line: rich neither wraps nor cuts.
    return _plain(_console(width + 1), top)


def render_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    width: int | None = None,
) -> str:
    """Draw a table with a header line that fits in ``width`` character cells.

    Columns are as wide as their values where the table fits; where it does not, the
    widest columns shrink and their values continue on further lines (nothing is cut
    off). The first column, usually an identifier, is kept whole while it takes at
    most a third of the width. A table with more columns than the width holds at 10
    cells each is split into blocks of columns, one below the other, each repeating
    the first column. ``None`` shows as an empty cell; other values as ``str(value)``.

    Args:
        columns: The column headers.
        rows: The rows, each with one value per column.
        width: The most character cells a line may take; by default the terminal's
            width (``shutil.get_terminal_size``, which honours ``$COLUMNS``).

    Returns:
        The table, without a final newline.

    Raises:
        ValueError: If a row has more or fewer values than there are columns.

    Examples:
        >>> print(render_table(["uid", "key", "size"], [["a1", "[red]x", "1.6 KB"],
        ...                                          ["b2", None, "12 B"]], width=40))
        uid  key     size
        ───────────────────
        a1   [red]x  1.6 KB
        b2           12 B
        >>> print(render_table(["path"], [["s3://bucket/" + "x" * 30]], width=20))
        path
        ────────────────────
        s3://bucket/xxxxxxxx
        xxxxxxxxxxxxxxxxxxxx
        xx
        >>> print(render_table(["id", "alpha", "beta", "gamma"], [[1, "a" * 12, "b" * 12, "c"]],
        ...                    width=30))
        id  alpha         beta
        ──────────────────────────────
        1   aaaaaaaaaaaa  bbbbbbbbbbbb
        <BLANKLINE>
        id  gamma
        ─────────
        1   c
    """
    cells: list[list[str]] = []
    for number, row in enumerate(rows):
        if len(row) != len(columns):
            msg = f"Row {number} has {len(row)} values for {len(columns)} columns: {row!r}"
            raise ValueError(msg)
        cells.append(["" if value is None else str(value) for value in row])
    if width is None:
        width = shutil.get_terminal_size().columns
    width = max(width, 1)
    natural = [
        max(_width(text) for text in [header, *(row[i] for row in cells)])
        for i, header in enumerate(columns)
    ]
    needs = [min(_MIN_COLUMN, cells_wide) for cells_wide in natural]
    keep_first = bool(natural) and natural[0] <= width // 3
    blocks = [
        _table(
            [columns[i] for i in block],
            [[row[i] for i in block] for row in cells],
            width,
            keep_first=keep_first,
        )
        for block in _blocks(needs, width)
    ]
    return "\n\n".join(blocks)


# --- helpers ---------------------------------------------------------------------------


def _text(label: str, *, wrap: bool = False) -> Text:
    """``label`` as a rich ``Text``: taken literally, never parsed as markup."""
    from rich.text import Text

    if wrap:
        return Text(label, end="", tab_size=_TAB_SIZE)
    return Text(label, end="", no_wrap=True, overflow="ignore", tab_size=_TAB_SIZE)


def _blocks(needs: list[int], width: int) -> list[list[int]]:
    """Group column indexes into blocks that fit ``width`` at ``needs`` cells per column.

    Every block starts with column 0 and holds at least one more column (if any).
    """
    if not needs:
        return []
    blocks: list[list[int]] = []
    block, used = [0], needs[0]
    for index in range(1, len(needs)):
        if len(block) > 1 and used + _GAP + needs[index] > width:
            blocks.append(block)
            block, used = [0], needs[0]
        block.append(index)
        used += _GAP + needs[index]
    blocks.append(block)
    return blocks


def _table(columns: list[str], rows: list[list[str]], width: int, *, keep_first: bool) -> str:
    """One rich table: a header, a rule, then the rows; values fold to fit ``width``.

    With ``keep_first``, the first column keeps its full width (rich then narrows the
    other columns only).
    """
    from rich import box
    from rich.table import Table

    # Right padding plus the blank column separator: _GAP cells between columns.
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        highlight=False,
    )
    for index, name in enumerate(columns):
        no_wrap = keep_first and index == 0
        table.add_column(_text(name, wrap=True), overflow="fold", no_wrap=no_wrap)
    for row in rows:
        table.add_row(*(_text(value, wrap=True) for value in row))
    return _plain(_console(width), table)


def _width(label: str) -> int:
    """The character cells the widest line of ``label`` takes."""
    from rich.cells import cell_len

    return max(cell_len(line) for line in label.expandtabs(_TAB_SIZE).split("\n"))


def _console(width: int) -> Console:
    """A console that writes nowhere: no colours, markup, emoji or highlighting."""
    from rich.console import Console

    return Console(
        file=io.StringIO(),
        width=width,
        color_system=None,
        force_terminal=False,
        force_jupyter=False,
        force_interactive=False,
        markup=False,
        emoji=False,
        highlight=False,
        legacy_windows=False,
        tab_size=_TAB_SIZE,
    )


def _plain(console: Console, renderable: RenderableType) -> str:
    """The lines ``console`` renders, as plain text without trailing spaces."""
    lines = console.render_lines(renderable, console.options, pad=False)
    return "\n".join("".join(segment.text for segment in line).rstrip() for line in lines)
