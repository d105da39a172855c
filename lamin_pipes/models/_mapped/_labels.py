"""Obs columns of a mapped collection: labels, their integer encodings, filters and weights.

A column of one store is either categorical (integer codes into categories, ``-1`` for
a missing value) or plain values (numbers, strings, nullable arrays). Categories are
always held in memory; codes are held in memory with ``cache_categories=True`` (one
byte or two per observation) and otherwise read from the store with each batch. Plain
values are read into memory when the collection is built.

Encoders map each label to an integer, in sorted order of the labels of all stores;
``unknown_label`` maps to ``-1``, and so does a missing value.

Examples:
    >>> import numpy as np
    >>> encoder = make_encoder(["b", "a", "unknown"], unknown_label="unknown")
    >>> encoder
    {'unknown': -1, 'a': 0, 'b': 1}
    >>> label_weights([np.array(["a", "a", "b"], dtype=object)], scaler=None).tolist()
    [0.5, 0.5, 1.0]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._stores import AnnDataStore


def _decode(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "S" or (
        values.dtype == object and values.size and isinstance(values.flat[0], bytes)
    ):
        return np.array([v.decode() if isinstance(v, bytes) else v for v in values], dtype=object)
    return values


def _to_numpy(values: Any) -> np.ndarray:
    """A numpy array of a read column; nullable arrays give NaN where values are missing."""
    if isinstance(values, pd.api.extensions.ExtensionArray):
        if values.dtype.kind == "f":
            return values.to_numpy(dtype=float, na_value=np.nan)
        return values.to_numpy(dtype=object, na_value=np.nan)
    return _decode(np.asarray(values))


def _is_missing(values: np.ndarray) -> np.ndarray:
    return np.asarray(pd.isna(values), dtype=bool)


class ObsColumn:
    """One obs column of one store (see the module doc).

    Args:
        store: The store.
        name: The column name.
        cache_codes: Keep a categorical column's codes in memory.
    """

    def __init__(self, store: AnnDataStore, name: str, *, cache_codes: bool):
        self.store, self.name = store, name
        self.is_categorical = store.is_categorical(name)
        self.codes: np.ndarray | None = None
        self.values: np.ndarray | None = None
        self.categories: np.ndarray = np.zeros(0, dtype=object)
        if self.is_categorical:
            elem = store.group()["obs"][name]
            cats = _to_numpy(store.read(f"obs/{name}/categories"))
            self.categories = np.asarray(cats, dtype=object)
            if cache_codes:
                self.codes = np.asarray(elem["codes"][...])
            self.codes_path = f"obs/{name}/codes"
        else:
            self.values = _to_numpy(store.read(f"obs/{name}"))
        # labels by code, the last entry (code -1) stands for a missing value
        self._by_code = np.empty(self.categories.size + 1, dtype=object)
        self._by_code[:-1] = self.categories
        self._by_code[-1] = np.nan
        self._encoded_values: np.ndarray | None = None
        self._code_lut: np.ndarray | None = None

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__.copy()

    # --- reading ---------------------------------------------------------------------

    def codes_for(self, rows: np.ndarray) -> np.ndarray:
        """Category codes of ``rows`` (from memory, or read from the store)."""
        if self.codes is not None:
            return self.codes[rows]
        reader = self.store.flat(self.codes_path)
        return np.asarray(reader.take(rows)).reshape(-1)

    def labels_for(self, rows: np.ndarray) -> np.ndarray:
        """The labels of ``rows``: category names (object) or values; NaN where missing."""
        if self.is_categorical:
            return self._by_code[self.codes_for(rows)]  # type: ignore[no-any-return]
        assert self.values is not None
        return self.values[rows]

    def all_labels(self) -> np.ndarray:
        """The labels of every observation of the store."""
        return self.labels_for(np.arange(self.store.n_obs))

    def distinct(self) -> list[Any]:
        """The categories (categorical) or the distinct non-missing values."""
        if self.is_categorical:
            return list(self.categories)
        assert self.values is not None
        values = self.values[~_is_missing(self.values)]
        return list(pd.unique(values))

    # --- encoding --------------------------------------------------------------------

    def set_encoder(self, encoder: dict[Any, int]) -> None:
        """Prepare integer labels through ``encoder`` (unknown or missing: -1)."""
        if self.is_categorical:
            lut = [encoder.get(c, -1) for c in self.categories]
            self._code_lut = np.array([*lut, -1], dtype=np.int64)
        else:
            assert self.values is not None
            mapped = pd.Series(self.values, dtype=object).map(encoder)
            self._encoded_values = mapped.fillna(-1).to_numpy(dtype=np.int64)

    def encoded_for(self, rows: np.ndarray) -> np.ndarray:
        """Integer labels of ``rows`` (after :meth:`set_encoder`)."""
        if self.is_categorical:
            assert self._code_lut is not None
            return self._code_lut[self.codes_for(rows)]  # type: ignore[no-any-return]
        assert self._encoded_values is not None
        return self._encoded_values[rows]


def make_encoder(categories: Sequence[Any], unknown_label: Any = None) -> dict[Any, int]:
    """Label -> integer in sorted order; ``unknown_label`` (if present) -> -1."""
    cats = sorted_labels(categories)
    encoder: dict[Any, int] = {}
    if unknown_label is not None and unknown_label in cats:
        cats.remove(unknown_label)
        encoder[unknown_label] = -1
    encoder.update({cat: i for i, cat in enumerate(cats)})
    return encoder


def sorted_labels(values: Sequence[Any]) -> list[Any]:
    """Distinct non-missing labels, sorted (by their text where types are mixed)."""
    unique = list(dict.fromkeys(v for v in values if not _scalar_missing(v)))
    try:
        return sorted(unique)
    except TypeError:  # mixed types: sort by text
        return sorted(unique, key=str)


def _scalar_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def filter_mask(labels: np.ndarray, wanted: Any) -> np.ndarray:
    """Which of ``labels`` are among ``wanted`` (a value or a list; NaN selects missing)."""
    values = list(wanted) if isinstance(wanted, list | tuple | set) else [wanted]
    present = [v for v in values if not _scalar_missing(v)]
    mask = (
        np.isin(labels, np.array(present, dtype=object))
        if present
        else np.zeros(labels.shape, dtype=bool)
    )
    if len(present) < len(values):
        mask |= _is_missing(labels)
    return np.asarray(mask, dtype=bool)


def label_weights(labels_list: list[np.ndarray], scaler: float | None) -> np.ndarray:
    """Per observation ``1 / count`` of its label (or ``scaler / (count + scaler)``).

    With several label arrays, an observation's label is their values joined by ``"__"``.
    """
    labels = _joined(labels_list)
    counts = Counter(labels)
    n = np.array([counts[label] for label in labels], dtype=np.float64)
    return 1.0 / n if scaler is None else scaler / (n + scaler)


def label_weights_by_category(
    labels_list: list[np.ndarray], scaler: float | None
) -> dict[str, float]:
    """Weights per (joined) label, as :func:`label_weights` gives them per observation."""
    counts = Counter(_joined(labels_list))
    return {k: 1.0 / v if scaler is None else scaler / (v + scaler) for k, v in counts.items()}


def _joined(labels_list: list[np.ndarray]) -> list[str]:
    as_text = [np.asarray(labels).astype(str).astype(object) for labels in labels_list]
    if len(as_text) == 1:
        return list(as_text[0])
    return ["__".join(parts) for parts in zip(*as_text, strict=True)]
