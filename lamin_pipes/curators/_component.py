"""Validating one table against one schema: a DataFrame, an AnnData's ``obs`` or ``var.T``.

:class:`ComponentCurator` resolves the schema's features once (a few queries), then
checks the table: columns present, absent, unexpected and in order; each feature
column's dtype (converted where ``coerce`` asks), its nulls, and for categorical
features its distinct terms against their registries. Where the columns are not
features but identifiers of another registry (``var.T`` with ``itype=...``), the
column names themselves are the terms. Every check reads a column once, vectorized
(see :mod:`lamin_pipes.curators._values`); registries see distinct values only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import InvalidArgument, ValidationError
from ..models._dtypes import Dtype, parse_dtype
from ..models._schema_itype import Itype, itype_records, parse_itype
from ..models.feature import Feature
from ..models.schema import Schema
from ._report import MAX_VALUES, Problem
from ._terms import TermMatch, TermTarget, match_terms
from ._values import check_dtype, distinct

logger = logging.getLogger("lamin_pipes")

#: Columns lamindb keeps for itself; a ``maximal_set`` allows them.
_INTERNAL_PREFIX = "__lamindb_"
#: Terms shown in a message (the report keeps more).
_SHOWN = 20


def _quoted(values: list[Any], n: int = _SHOWN) -> str:
    shown = ", ".join(repr(v) for v in values[:n])
    return shown + (f", ... ({len(values) - n} more)" if len(values) > n else "")


def _expected(words: str, dtype: str | None) -> str:
    return words if words == dtype else f"{words} ({dtype})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass
class CatColumn:
    """A vector of terms to validate: a categorical column, or the column names.

    Attributes:
        key: The column name, or ``"columns"`` for the column names.
        targets: Where valid terms live.
        feature: The categorical feature (``None`` for column names).
        match: How the distinct terms matched, once validated.
        terms: The distinct terms, once validated.
    """

    key: str
    targets: list[TermTarget]
    feature: Feature | None = None
    match: TermMatch | None = None
    terms: list[str] = field(default_factory=list)

    @property
    def non_validated(self) -> list[str]:
        """Terms found in no registry (empty before validation)."""
        return list(self.match.missing) if self.match is not None else []

    def records_by_registry(self) -> dict[str, list[int]]:
        """The ids of the records the terms name, by registry."""
        out: dict[str, list[int]] = {}
        if self.match is not None:
            for registry, record_id in self.match.found.values():
                out.setdefault(registry, []).append(record_id)
        return out


def _targets(dtype: Dtype) -> list[TermTarget]:
    return [TermTarget(t.registry, t.field, t.type_ref) for t in dtype.targets]


class ComponentCurator:
    """Validate one table (or a set of column names) against a schema without slots.

    Args:
        frame: The table; ``None`` when only column names are validated (``var.T``).
        schema: A saved schema of features or of an identifier type (``itype``).
        slot: The slot, for messages and reports (``None`` for a DataFrame).
        columns: Gives the column names to validate when ``frame`` is ``None``.
        set_columns: Writes standardized column names back (``var.T``).
        copy_on_write: Whether to copy the frame before storing coerced columns, so
            that the caller's frame is left as it was (DataFrames; ``obs`` of an
            AnnData is changed in place).
    """

    def __init__(
        self,
        frame: pd.DataFrame | None,
        schema: Schema,
        *,
        slot: str | None = None,
        columns: Callable[[], Any] | None = None,
        set_columns: Callable[[list[str]], None] | None = None,
        copy_on_write: bool = True,
    ) -> None:
        if schema.itype is None and not schema.is_type:  # a composite: no query needed
            msg = f"{schema._label()} has slots; validate tables against its slot schemas."
            raise InvalidArgument(msg)
        if schema.is_type:
            msg = f"{schema._label()} is a schema type (is_type=True), not a schema."
            raise InvalidArgument(msg)
        self._frame = frame
        self._schema = schema
        self._slot = slot
        self._columns = columns
        self._set_columns = set_columns
        self._copy_on_write = copy_on_write
        self._copied = False
        self._itype: Itype = parse_itype(schema.itype or "Feature")
        members = list(schema.members) if schema.n_members else []
        optional = set(schema.optionals.get_uids()) if schema.minimal_set else set()
        self._members: list[Feature] = members
        self._required = [f for f in members if f.uid not in optional] if schema.minimal_set else []
        self._features: list[Feature] = list(members)
        self._cat_columns: dict[str, CatColumn] = {}
        if self._itype.registry == "Feature":
            if schema.flexible:
                self._features += self._registered_features(self.columns, members)
        else:
            target = TermTarget(self._itype.registry, self._itype.field, self._itype.type_uid)
            self._cat_columns["columns"] = CatColumn("columns", [target])
        present = set(self.columns)
        for feature in self._features:
            dtype = parse_dtype(feature._dtype_str) if feature._dtype_str else None
            if dtype is not None and dtype.is_cat and feature.name in present:
                self._cat_columns[feature.name] = CatColumn(
                    feature.name, _targets(dtype), feature=feature
                )
        self.problems: list[Problem] | None = None

    # --- the table --------------------------------------------------------------------

    @property
    def columns(self) -> list[str]:
        """The table's column names."""
        if self._frame is not None:
            return [str(c) for c in self._frame.columns]
        return [str(c) for c in (self._columns() if self._columns is not None else [])]

    @property
    def dataset(self) -> pd.DataFrame | None:
        """The table, with coerced and standardized values."""
        return self._frame

    @property
    def slot(self) -> str | None:
        """The slot of this table (``None`` for a DataFrame)."""
        return self._slot

    @property
    def schema(self) -> Schema:
        """The schema this table is validated against."""
        return self._schema

    @property
    def cat_columns(self) -> dict[str, CatColumn]:
        """The vectors of terms: categorical columns and, for an itype, ``"columns"``."""
        return self._cat_columns

    @property
    def features(self) -> list[Feature]:
        """The features the table's columns are validated as (members and, where the
        schema is flexible, other registered features)."""
        return list(self._features)

    def _registered_features(self, columns: list[str], members: list[Feature]) -> list[Feature]:
        names = {f.name for f in members}
        wanted = [c for c in dict.fromkeys(columns) if c not in names]
        if not wanted:
            return []
        found: dict[str, Feature] = {}
        records = itype_records(self._itype).filter(name__in=wanted).order_by("id")
        for feature in records:
            current = found.get(feature.name)
            if current is None or (
                current.__dict__.get("type_id") is not None
                and feature.__dict__.get("type_id") is None
            ):
                found[feature.name] = feature
        return [found[c] for c in wanted if c in found]

    def _store_column(self, name: str, values: pd.Series) -> None:
        frame = self._frame
        assert frame is not None
        if self._copy_on_write and not self._copied:
            frame = frame.copy(deep=False)
            self._frame = frame
            self._copied = True
        frame[name] = values

    # --- validation -------------------------------------------------------------------

    def validate(self) -> list[Problem]:
        """Run every check; returns the problems (empty: the table is valid)."""
        problems: list[Problem] = []
        columns = self.columns
        problems += self._check_columns(columns)
        if self._frame is not None:
            present = set(columns)
            for feature in self._features:
                if feature.name in present and columns.count(feature.name) == 1:
                    problems += self._check_feature(feature)
        names = self._cat_columns.get("columns")
        if names is not None:
            problems += self._check_identifiers(names, columns)
        self.problems = problems
        return problems

    def _problem(self, column: str | None, kind: Any, message: str, **kw: Any) -> Problem:
        return Problem(slot=self._slot, column=column, kind=kind, message=message, **kw)

    def _check_columns(self, columns: list[str]) -> list[Problem]:
        problems = []
        seen: dict[str, int] = {}
        for column in columns:
            seen[column] = seen.get(column, 0) + 1
        for column, count in seen.items():
            if count > 1:
                problems.append(
                    self._problem(
                        column,
                        "duplicate_column",
                        f"column {column!r} appears {count} times; column names must be unique",
                        values=(column,),
                        n_values=count,
                    )
                )
        if self._itype.registry != "Feature":
            return problems
        present = set(columns)
        for feature in self._required:
            if feature.name not in present:
                shown = _quoted(columns, 10) or "none"
                problems.append(
                    self._problem(
                        feature.name,
                        "missing_column",
                        f"required column {feature.name!r} ({feature.dtype}) is missing; "
                        f"columns: {shown}",
                        values=(feature.name,),
                        n_values=1,
                        expected=feature.dtype,
                    )
                )
        if self._schema.maximal_set:
            known = {f.name for f in self._features}
            allowed = _quoted([f.name for f in self._members], 10) or "none"
            for column in dict.fromkeys(columns):
                if column not in known and not column.startswith(_INTERNAL_PREFIX):
                    problems.append(
                        self._problem(
                            column,
                            "unexpected_column",
                            f"column {column!r} is not in the schema, which allows no other "
                            f"columns (maximal_set=True); schema columns: {allowed}",
                            values=(column,),
                            n_values=1,
                        )
                    )
        if self._schema.ordered_set:
            order = [f.name for f in self._members]
            found = [c for c in columns if c in set(order)]
            expected = [name for name in order if name in present]
            if found != expected:
                problems.append(
                    self._problem(
                        None,
                        "column_order",
                        f"columns are out of order (ordered_set=True): expected "
                        f"{_quoted(expected)}, got {_quoted(found)}",
                        values=tuple(found),
                        n_values=len(found),
                        expected=", ".join(expected),
                        got=", ".join(found),
                    )
                )
        return problems

    def _coerces(self, feature: Feature) -> bool:
        return bool(self._schema.coerce) or bool(feature.coerce)

    def _check_feature(self, feature: Feature) -> list[Problem]:
        frame = self._frame
        assert frame is not None
        name = feature.name
        dtype = parse_dtype(feature._dtype_str) if feature._dtype_str else None
        if dtype is None:
            return []
        series = frame[name]
        checked = check_dtype(
            series, dtype.base, is_list=dtype.is_list, coerce=self._coerces(feature)
        )
        problems = []
        if not checked.ok:
            hint = (
                ""
                if self._coerces(feature)
                else "; set coerce=True on the schema or the "
                "feature to convert values where that loses nothing"
            )
            problems.append(
                self._problem(
                    name,
                    "dtype",
                    f"expected {_expected(checked.expected, feature.dtype)}, got {checked.got}{hint}",
                    expected=checked.expected,
                    got=checked.got,
                )
            )
            return problems
        if checked.coerced is not None:
            self._store_column(name, checked.coerced)
            series = checked.coerced
            logger.info("coerced column %r to %s", name, feature.dtype)
        found = checked.distinct
        if found is None and dtype.is_cat:
            found = distinct(series)
        n = 0
        if feature.nullable is False:
            # The distinct values tell, else one vectorized pass (n_null -1: some, uncounted).
            known = found is not None and found.n_null >= 0
            n = found.n_null if known and found is not None else int(series.isna().sum())
        if n > 0:
            problems.append(
                self._problem(
                    name,
                    "nulls",
                    f"{_plural(n, 'null value')} in column {name!r}, whose feature is not "
                    "nullable (nullable=False)",
                    n_values=n,
                )
            )
        cat = self._cat_columns.get(name)
        if cat is not None and found is not None:
            terms = [v for v in found.values if isinstance(v, str) and v != ""]
            problems += self._check_terms(cat, terms)
        return problems

    def _check_terms(
        self, cat: CatColumn, terms: list[str], *, required: bool = True
    ) -> list[Problem]:
        cat.terms = terms
        cat.match = match_terms(cat.targets, terms)
        missing = cat.match.missing
        if not missing or not required:
            return []
        where = " | ".join(t.label() for t in cat.targets)
        what = "column names" if cat.key == "columns" else f"feature {cat.key!r}"
        in_slot = f" in slot {self._slot!r}" if self._slot else ""
        lines = [
            f"{_plural(len(missing), 'term')} not validated in {where} for {what}: {_quoted(missing)}"
        ]
        prefix = f"curator.slots[{self._slot!r}].cat" if self._slot else "curator.cat"
        synonyms = cat.match.synonyms
        if synonyms:
            shown = ", ".join(f"{k!r} → {v!r}" for k, v in list(synonyms.items())[:_SHOWN])
            lines.append(
                f"{_plural(len(synonyms), 'synonym')} found: {shown}; replace them with "
                f"{prefix}.standardize({cat.key!r}) or curator.standardize()"
            )
        rest = [m for m in missing if m not in synonyms]
        for term, close in cat.match.close.items():
            lines.append(f"{term!r}: did you mean {_quoted(close, 3)}?")
        if rest:
            lines.append(
                f"fix typos, remove values that should not be there, or register "
                f"{_plural(len(rest), 'new term')}{in_slot} on purpose: "
                f"{prefix}.add_new_from({cat.key!r})"
            )
        return [
            self._problem(
                cat.key,
                "non_validated",
                "\n".join(lines),
                values=tuple(missing[:MAX_VALUES]),
                n_values=len(missing),
                synonyms=dict(synonyms),
            )
        ]

    def _check_identifiers(self, cat: CatColumn, columns: list[str]) -> list[Problem]:
        terms = [c for c in dict.fromkeys(columns) if c != ""]
        # As in lamindb, identifiers that no record has fail only a maximal_set; the
        # others are validated (and annotated) all the same.
        return self._check_terms(cat, terms, required=bool(self._schema.maximal_set))

    # --- standardize and register -----------------------------------------------------

    def standardize(self, key: str | None = None) -> dict[str, dict[str, str]]:
        """Replace synonyms (and other casings) of valid terms with the valid terms.

        Args:
            key: One column (or ``"columns"``); ``None`` for every one.

        Returns:
            The replacements made, by column.
        """
        keys = [key] if key is not None else list(self._cat_columns)
        done: dict[str, dict[str, str]] = {}
        for name in keys:
            cat = self._cat_column(name)
            if cat.match is None:
                self._validate_one(cat)
            assert cat.match is not None
            mapping = dict(cat.match.synonyms)
            if not mapping:
                continue
            if name == "columns":
                renamed = [mapping.get(c, c) for c in self.columns]
                if self._set_columns is not None:
                    self._set_columns(renamed)
                elif self._frame is not None:
                    self._frame.columns = pd.Index(renamed)
            else:
                self._replace_terms(name, mapping)
            self._validate_one(cat)  # the canonical terms' records, for annotation
            done[name] = mapping
            logger.info(
                "standardized %s in %r: %s",
                _plural(len(mapping), "synonym"),
                name,
                ", ".join(f"{k!r} → {v!r}" for k, v in mapping.items()),
            )
        if done:
            self.problems = None
        return done

    def _replace_terms(self, name: str, mapping: dict[str, str]) -> None:
        frame = self._frame
        assert frame is not None
        series = frame[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            categories = list(series.cat.categories)
            renamed = [mapping.get(c, c) for c in categories]
            if len(set(renamed)) == len(renamed):
                frame[name] = series.cat.rename_categories(renamed)
                return
            frame[name] = series.astype(object).replace(mapping).astype("category")
            return
        if series.dtype == object and len(series) and isinstance(series.iloc[0], list):
            frame[name] = series.map(
                lambda v: [mapping.get(x, x) for x in v] if isinstance(v, list) else v
            )
            return
        frame[name] = series.replace(mapping)

    def _cat_column(self, key: str) -> CatColumn:
        cat = self._cat_columns.get(key)
        if cat is None:
            keys = ", ".join(map(repr, self._cat_columns)) or "none"
            msg = f"{key!r} is no categorical column of this table; categorical columns: {keys}"
            raise InvalidArgument(msg)
        return cat

    def _validate_one(self, cat: CatColumn) -> None:
        if cat.key == "columns":
            self._check_identifiers(cat, self.columns)
            return
        frame = self._frame
        assert frame is not None and cat.feature is not None
        dtype = parse_dtype(cat.feature._dtype_str)
        checked = check_dtype(frame[cat.key], dtype.base, is_list=dtype.is_list, coerce=False)
        found = checked.distinct or distinct(frame[cat.key])
        self._check_terms(cat, [v for v in found.values if isinstance(v, str) and v != ""])

    def add_new_from(self, key: str, **create_kwargs: Any) -> list[Any]:
        """Register the terms of one column that no registry has, on purpose.

        New records go to the first registry of the feature's dtype (below its type,
        if it names one).

        Raises:
            ValidationError: If some terms are synonyms of valid terms (standardize
                first), or the column names are features (create those explicitly).
        """
        from ..models._bulk_save import save

        cat = self._cat_column(key)
        if cat.match is None:
            self._validate_one(cat)
        assert cat.match is not None
        if cat.match.synonyms:
            msg = (
                f"Column {key!r} has synonyms of valid terms "
                f"({_quoted(list(cat.match.synonyms))}): run .standardize({key!r}) before "
                "adding new terms."
            )
            raise ValidationError(msg)
        new = list(cat.match.missing)
        if not new:
            return []
        target = cat.targets[0]
        model = target.model
        type_record = target.type_record()
        records = []
        for term in new:
            values: dict[str, Any] = {target.field: term, **create_kwargs}
            if type_record is not None:
                values["type"] = type_record
            records.append(model(**values, _search_names=False))
        save(records)
        for term, record in zip(new, records, strict=True):
            cat.match.found[term] = (target.registry, record.id)
        cat.match.missing = []
        self.problems = None
        logger.info(
            "added %s to %s for %r: %s",
            _plural(len(new), "record"),
            target.label(),
            key,
            _quoted(new),
        )
        return records

    @property
    def non_validated(self) -> dict[str, list[str]]:
        """Terms no registry has, by column (after validation)."""
        return {k: c.non_validated for k, c in self._cat_columns.items() if c.non_validated}

    # --- what validation found, for annotation ----------------------------------------

    def validated_features(self) -> list[Feature]:
        """The features of the table's columns, in column order."""
        by_name = {f.name: f for f in self._features}
        return [by_name[c] for c in dict.fromkeys(self.columns) if c in by_name]

    def validated_identifiers(self) -> int:
        """How many column names an itype registry validated (``var.T``)."""
        cat = self._cat_columns.get("columns")
        return len(cat.match.found) if cat is not None and cat.match is not None else 0

    def label_links(self) -> list[tuple[Feature, str, int]]:
        """(feature, registry, record id) of every validated term of every feature."""
        links: list[tuple[Feature, str, int]] = []
        for key, cat in self._cat_columns.items():
            if key == "columns" or cat.feature is None or cat.match is None:
                continue
            for registry, ids in cat.records_by_registry().items():
                links.extend((cat.feature, registry, record_id) for record_id in ids)
        return links


__all__ = ["CatColumn", "ComponentCurator"]
