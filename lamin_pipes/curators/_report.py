"""A validation report as data: each problem with its slot, column, kind and bad values.

:class:`ValidationReport` is what ``curator.validate()`` found; its text is the message
of the :class:`~lamin_pipes.errors.ValidationError` it raises, and its problems are
there for code that renders them elsewhere (Dagster asset checks, logs, JSON).

Examples:
    >>> report = ValidationReport(
    ...     (Problem(slot=None, column="tissue", kind="non_validated",
    ...              message="1 term not validated in feature 'tissue': 'lugn'",
    ...              values=("lugn",), n_values=1),),
    ...     dataset="DataFrame", schema="samples")
    >>> report.ok, report.kinds
    (False, ['non_validated'])
    >>> print(report)
    DataFrame does not match schema 'samples' (1 problem):
    - column 'tissue': 1 term not validated in feature 'tissue': 'lugn'
    >>> report.to_dict()["problems"][0]["values"]
    ['lugn']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: The kinds of problems, one per failed check.
ProblemKind = Literal[
    "missing_column",
    "unexpected_column",
    "duplicate_column",
    "column_order",
    "dtype",
    "nulls",
    "non_validated",
]
#: Bad values kept per problem (``n_values`` counts them all).
MAX_VALUES = 1000


@dataclass(frozen=True)
class Problem:
    """One failed check.

    Attributes:
        slot: The slot (``"obs"``, ``"var.T"``), ``None`` for a DataFrame's columns.
        column: The column (or ``"columns"`` for the column names themselves), ``None``
            for checks of the whole table (column order).
        kind: What failed (see :data:`ProblemKind`).
        message: The problem in words, with what to do about it.
        values: The bad values (at most :data:`MAX_VALUES`): missing or unexpected
            column names, non-validated terms.
        n_values: How many bad values there are.
        synonyms: Bad values that are synonyms (or other casings) of valid ones,
            mapped to those (``curator.standardize()`` replaces them).
        expected: For dtype problems, the expected dtype.
        got: For dtype problems, what the column has.
    """

    slot: str | None
    column: str | None
    kind: ProblemKind
    message: str
    values: tuple[Any, ...] = ()
    n_values: int = 0
    synonyms: dict[str, str] = field(default_factory=dict)
    expected: str | None = None
    got: str | None = None

    def where(self) -> str:
        """``slot 'obs', column 'cell_type'`` — where the problem is."""
        parts = []
        if self.slot is not None:
            parts.append(f"slot {self.slot!r}")
        if self.column is not None:
            parts.append("column names" if self.column == "columns" else f"column {self.column!r}")
        return ", ".join(parts) or "table"

    def to_dict(self) -> dict[str, Any]:
        """The problem as JSON-ready data."""
        return {
            "slot": self.slot,
            "column": self.column,
            "kind": self.kind,
            "message": self.message,
            "values": [
                v if isinstance(v, (str, int, float, bool)) else str(v) for v in self.values
            ],
            "n_values": self.n_values,
            "synonyms": dict(self.synonyms),
            "expected": self.expected,
            "got": self.got,
        }


@dataclass(frozen=True)
class ValidationReport:
    """The problems a validation found (none: the dataset is valid).

    Attributes:
        problems: The problems, slot by slot, in the order the checks ran.
        dataset: What was validated (``"DataFrame"``, ``"AnnData"``).
        schema: The schema's name (or uid).
    """

    problems: tuple[Problem, ...] = ()
    dataset: str = "DataFrame"
    schema: str = ""

    @property
    def ok(self) -> bool:
        """Whether there is no problem."""
        return not self.problems

    @property
    def kinds(self) -> list[str]:
        """The distinct kinds of problems, in order."""
        return list(dict.fromkeys(p.kind for p in self.problems))

    def for_slot(self, slot: str | None) -> list[Problem]:
        """The problems of one slot (``None``: a DataFrame's)."""
        return [p for p in self.problems if p.slot == slot]

    def for_column(self, column: str, slot: str | None = None) -> list[Problem]:
        """The problems of one column."""
        return [p for p in self.problems if p.column == column and p.slot == slot]

    def to_text(self) -> str:
        """The report in words (the message of the ``ValidationError``)."""
        if self.ok:
            return f"{self.dataset} matches schema {self.schema!r}."
        n = len(self.problems)
        lines = [
            f"{self.dataset} does not match schema {self.schema!r} "
            f"({n} problem{'s' if n > 1 else ''}):"
        ]
        for problem in self.problems:
            first, *rest = problem.message.splitlines()
            lines.append(f"- {problem.where()}: {first}")
            lines.extend(f"  {line}" for line in rest)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "ok": self.ok,
            "dataset": self.dataset,
            "schema": self.schema,
            "problems": [p.to_dict() for p in self.problems],
        }

    def __str__(self) -> str:
        return self.to_text()


__all__ = ["MAX_VALUES", "Problem", "ProblemKind", "ValidationReport"]
