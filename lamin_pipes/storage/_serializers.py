"""Serializers by object type: how an in-memory object becomes a file and back.

Each :class:`Serializer` names an ``otype`` (the value stored in ``Artifact.otype``), the
file suffix it writes by default, a test that recognizes its objects, save/load functions
and optional alternative :class:`Format` s. The built-in ones:

========== ====================== =============================================
otype      default                alternatives (``format=``)
========== ====================== =============================================
DataFrame  ``.parquet`` (pyarrow) ``.csv``, ``.tsv``
ndarray    ``.npy``
dict       ``.json``
AnnData    ``.h5ad``              ``.zarr`` (a directory)
========== ====================== =============================================

pandas, numpy and anndata are imported only when an object of theirs is saved or
loaded. :func:`load` picks the reader from the path's suffix; :func:`load_path` loads a
file whose ``otype`` is unknown, by suffix alone.

CSV and TSV do not record the index: a frame with a non-default index is written with
the index as its first column(s) and reads back with it as ordinary column(s).

Extension point: a new type is one :func:`register_serializer` call with its own
``Serializer``; nothing else here changes. Serializers write to a plain path; atomicity
is the store's job (serialize to a temporary file, then ``put_file``).

Examples:
    >>> import tempfile
    >>> from pathlib import Path
    >>> otype_of({"a": 1}), suffix_for({"a": 1})
    ('dict', '.json')
    >>> path = Path(tempfile.mkdtemp()) / "params.json"
    >>> save({"a": 1}, path)
    >>> load(path, "dict")
    {'a': 1}
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamin_pipes.errors import InvalidArgument

__all__ = [
    "Format",
    "Serializer",
    "formats_of",
    "load",
    "load_path",
    "loadable_suffixes",
    "n_observations_of",
    "otype_of",
    "otype_of_or_none",
    "register_serializer",
    "save",
    "suffix_for",
    "supported_otypes",
]


@dataclass(frozen=True)
class Format:
    """An alternative file format of one object type, chosen with ``format=``."""

    suffix: str
    """File suffix including the dot, e.g. ``".csv"``."""
    save: Callable[..., None]
    """Write the object to the path: ``save(obj, path, **writer_options)``."""
    load: Callable[[Path], Any]
    """Read the object back from the path."""


@dataclass(frozen=True)
class Serializer:
    """How one object type is written to and read from a file.

    ``suffix``/``save``/``load`` describe the default format; ``formats`` adds
    alternatives that :func:`save` writes when asked for their suffix.
    """

    otype: str
    """Name recorded as the artifact's ``otype``, e.g. ``"DataFrame"``."""
    suffix: str
    """File suffix including the dot, e.g. ``".parquet"``."""
    matches: Callable[[object], bool]
    """Whether an object is handled by this serializer (must not import heavy modules)."""
    save: Callable[..., None]
    """Write the object to the path: ``save(obj, path, **writer_options)``."""
    load: Callable[[Path], Any]
    """Read the object back from the path."""
    formats: tuple[Format, ...] = field(default=())
    """Alternative formats, tried by suffix after the default one."""

    def all_formats(self) -> dict[str, Format]:
        """Every format of this type by suffix, the default first."""
        found = {self.suffix: Format(self.suffix, self.save, self.load)}
        for alternative in self.formats:
            found.setdefault(alternative.suffix, alternative)
        return found


_REGISTRY: dict[str, Serializer] = {}


def register_serializer(serializer: Serializer) -> None:
    """Add a serializer (or replace the one with the same ``otype``).

    Serializers are tried in registration order; a replaced one keeps its place.
    """
    _REGISTRY[serializer.otype] = serializer


def supported_otypes() -> list[str]:
    """The registered ``otype`` names, in the order they are tried.

    Examples:
        >>> supported_otypes()
        ['DataFrame', 'ndarray', 'dict', 'AnnData']
    """
    return list(_REGISTRY)


def loadable_suffixes() -> list[str]:
    """The suffixes :func:`load_path` reads, in registry order.

    Examples:
        >>> loadable_suffixes()[:7]
        ['.parquet', '.csv', '.tsv', '.npy', '.json', '.h5ad', '.zarr']
        >>> ".txt" in loadable_suffixes()
        True
    """
    return [*_suffix_index(), *_PLAIN_LOADERS]


def _suffix_index() -> dict[str, tuple[str, Format]]:
    index: dict[str, tuple[str, Format]] = {}
    for serializer in _REGISTRY.values():
        for suffix, fmt in serializer.all_formats().items():
            index.setdefault(suffix, (serializer.otype, fmt))
    return index


def _normalize_suffix(value: str) -> str:
    value = value.strip().lower()
    return value if value.startswith(".") else f".{value}"


def _suffix_of(path: Path) -> str:
    return path.suffix.lower()


def _format_list(suffixes: list[str]) -> str:
    return ", ".join(repr(s) for s in suffixes)


def _is_instance_of(module: str, name: str) -> Callable[[object], bool]:
    """A type test for ``module.name`` that never imports or even looks up ``module``.

    It reads the names of the object's classes (``pandas.core.frame.DataFrame`` is
    defined in a submodule of ``pandas``), so subclasses match too. Looking the class
    up in ``sys.modules`` instead fails while another thread is still importing the
    module: it is there, partially initialized, without the class yet.

    Examples:
        >>> import collections
        >>> is_ordered_dict = _is_instance_of("collections", "OrderedDict")
        >>> is_ordered_dict(collections.OrderedDict()), is_ordered_dict({})
        (True, False)
    """
    prefix = module + "."

    def matches(obj: object) -> bool:
        return any(
            cls.__name__ == name and (cls.__module__ == module or cls.__module__.startswith(prefix))
            for cls in type(obj).__mro__
        )

    return matches


def _supported() -> str:
    return ", ".join(f"{s.otype} ({', '.join(s.all_formats())})" for s in _REGISTRY.values())


def _serializer_for(obj: object) -> Serializer:
    for serializer in _REGISTRY.values():
        if serializer.matches(obj):
            return serializer
    cls = type(obj)
    msg = f"No serializer for objects of type '{cls.__module__}.{cls.__qualname__}'. Supported types: {_supported()}"
    raise InvalidArgument(msg)


def otype_of_or_none(obj: object) -> str | None:
    """The ``otype`` name of ``obj``, ``None`` if no serializer handles it.

    Examples:
        >>> otype_of_or_none({"a": 1}), otype_of_or_none(object())
        ('dict', None)
    """
    for serializer in _REGISTRY.values():
        if serializer.matches(obj):
            return serializer.otype
    return None


def formats_of(otype: str) -> list[str]:
    """The suffixes objects of ``otype`` can be saved as, the default first.

    Examples:
        >>> formats_of("AnnData")
        ['.h5ad', '.zarr']
    """
    serializer = _REGISTRY.get(otype)
    return [] if serializer is None else list(serializer.all_formats())


def otype_of(obj: object) -> str:
    """The ``otype`` name of ``obj``.

    Raises:
        InvalidArgument: No serializer handles the object's type.
    """
    return _serializer_for(obj).otype


def _pick_format(serializer: Serializer, format: str) -> Format:
    formats = serializer.all_formats()
    suffix = _normalize_suffix(format)
    if suffix not in formats:
        msg = (
            f"Invalid format {format!r} for {serializer.otype}. "
            f"Valid formats: {_format_list(list(formats))}"
        )
        raise InvalidArgument(msg)
    return formats[suffix]


def suffix_for(obj: object, format: str | None = None) -> str:
    """The file suffix ``obj`` is saved with.

    Args:
        obj: The object.
        format: A format of the object's type other than the default, as a suffix with or
            without its dot (``".zarr"``, ``"csv"``); ``None`` for the default.

    Raises:
        InvalidArgument: No serializer handles the object's type, or ``format`` is not
            one of its formats.

    Examples:
        >>> suffix_for({"a": 1})
        '.json'
        >>> suffix_for({"a": 1}, format="yaml")
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: Invalid format 'yaml' for dict. Valid formats: '.json'
    """
    serializer = _serializer_for(obj)
    if format is None:
        return serializer.suffix
    return _pick_format(serializer, format).suffix


def save(obj: object, path: str | Path, format: str | None = None, **options: Any) -> None:
    """Write ``obj`` to ``path``.

    Args:
        obj: The object.
        path: The target; its suffix must be one of the formats of the object's type
            (``.zarr`` targets are directories).
        format: The format to write (a suffix, with or without its dot); it must agree
            with the path's suffix. ``None`` picks the format from the path's suffix.
        **options: Passed to the writer: ``DataFrame.to_parquet`` / ``to_csv``,
            ``AnnData.write_h5ad`` / ``write_zarr``, ``numpy.save`` or ``json.dumps``
            (e.g. ``compression="gzip"``).

    Raises:
        InvalidArgument: No serializer handles the object's type, the suffix is not one
            of its formats, ``format`` and the path's suffix differ, or the writer
            refuses an option.

    Examples:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "params.json"
        >>> save({"a": 1}, path, sort_keys=True)
        >>> save({"a": 1}, path, colour="red")
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: The writer of dict ('.json') refuses the options {'colour': 'red'}: ...
    """
    serializer = _serializer_for(obj)
    target = Path(path)
    suffix = _suffix_of(target)
    if format is not None:
        chosen = _pick_format(serializer, format)
        if suffix != chosen.suffix:
            msg = (
                f"format {format!r} writes {chosen.suffix!r}, but the path {str(target)!r} "
                f"has suffix {target.suffix!r}"
            )
            raise InvalidArgument(msg)
    else:
        formats = serializer.all_formats()
        if suffix not in formats:
            msg = (
                f"{serializer.otype} objects are saved as {_format_list(list(formats))}, but the path "
                f"{str(target)!r} has suffix {target.suffix!r}"
            )
            raise InvalidArgument(msg)
        chosen = formats[suffix]
    if not options:
        chosen.save(obj, target)
        return
    try:
        chosen.save(obj, target, **options)
    except TypeError as error:
        msg = (
            f"The writer of {serializer.otype} ({chosen.suffix!r}) refuses the options "
            f"{options!r}: {error}"
        )
        raise InvalidArgument(msg) from None


def load(path: str | Path, otype: str) -> Any:
    """Read the object of type ``otype`` stored at ``path``.

    The reader is the ``otype``'s format with the path's suffix; a path with another
    suffix is read with the default format.

    Raises:
        InvalidArgument: ``otype`` is not a registered type.
    """
    serializer = _REGISTRY.get(otype)
    if serializer is None:
        msg = f"Unknown otype {otype!r}. Supported types: {_supported()}"
        raise InvalidArgument(msg)
    source = Path(path)
    fmt = serializer.all_formats().get(_suffix_of(source))
    return fmt.load(source) if fmt is not None else serializer.load(source)


def load_path(path: str | Path, suffix: str | None = None) -> Any:
    """Load a file whose ``otype`` is not known, by its suffix.

    ``.parquet``, ``.csv`` and ``.tsv`` give a pandas DataFrame, ``.h5ad`` and ``.zarr``
    an AnnData, ``.npy`` a numpy array and ``.json`` what the JSON holds.

    Args:
        path: The local file (or ``.zarr`` directory).
        suffix: The suffix to load by, with or without its dot; ``None`` uses the
            path's suffix.

    Raises:
        InvalidArgument: The suffix is not one that can be loaded.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> path = Path(tempfile.mkdtemp()) / "config.json"
        >>> _ = path.write_text('{"lr": 0.1}')
        >>> load_path(path)
        {'lr': 0.1}
        >>> load_path(path.with_suffix(".xyz"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: load() does not support suffix '.xyz' ...
    """
    source = Path(path)
    wanted = _suffix_of(source) if suffix is None else _normalize_suffix(suffix)
    entry = _suffix_index().get(wanted)
    if entry is None and wanted in _PLAIN_LOADERS:
        return _PLAIN_LOADERS[wanted](source)
    if entry is None:
        shown = wanted or "(none)"
        msg = (
            f"load() does not support suffix {shown!r} (path {str(source)!r}). "
            f"Supported suffixes: {_format_list(loadable_suffixes())}. "
            "Use .cache() to get the local path and read it yourself."
        )
        raise InvalidArgument(msg)
    return entry[1].load(source)


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _read_compressed_table(sep: str) -> Callable[[Path], Any]:
    def read(path: Path) -> Any:
        import pandas as pd

        return pd.read_csv(path, sep=sep)

    return read


def _read_yaml(path: Path) -> Any:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError as error:  # pragma: no cover - depends on the environment
        msg = f"Loading {str(path)!r} needs PyYAML: pip install pyyaml"
        raise InvalidArgument(msg) from error
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


#: Plain files ``load_path`` reads by suffix (as lamindb's loaders do): text as ``str``.
_PLAIN_LOADERS: dict[str, Callable[[Path], Any]] = {
    ".txt": _read_text,
    ".md": _read_text,
    ".fasta": _read_text,
    ".html": _read_text,
    ".yaml": _read_yaml,
    ".yml": _read_yaml,
    ".csv.gz": _read_compressed_table(","),
    ".tsv.gz": _read_compressed_table("\t"),
}


def n_observations_of(obj: object) -> int | None:
    """The number of observations (rows) of ``obj``, or ``None`` if it has no such notion.

    The length of a DataFrame, ``n_obs`` of an AnnData, ``shape[0]`` of an array with at
    least one dimension.

    Examples:
        >>> n_observations_of({"a": 1}) is None
        True
    """
    if _is_instance_of("pandas", "DataFrame")(obj):
        return len(obj)  # type: ignore[arg-type]
    if _is_instance_of("anndata", "AnnData")(obj):
        return int(obj.n_obs)  # type: ignore[attr-defined]
    if _is_instance_of("numpy", "ndarray")(obj):
        shape = obj.shape  # type: ignore[attr-defined]
        return int(shape[0]) if len(shape) > 0 else None
    return None


def _save_dataframe(df: Any, path: Path, **options: Any) -> None:
    df.to_parquet(path, **{"engine": "pyarrow", **options})


def _load_dataframe(path: Path) -> Any:
    import pandas as pd

    return pd.read_parquet(path, engine="pyarrow")


def _has_default_index(df: Any) -> bool:
    import pandas as pd

    index = df.index
    return (
        isinstance(index, pd.RangeIndex)
        and index.name is None
        and index.start == 0
        and index.step == 1
    )


def _delimited_saver(sep: str) -> Callable[[Any, Path], None]:
    def save_delimited(df: Any, path: Path, **options: Any) -> None:
        frame = df if _has_default_index(df) else df.reset_index()
        frame.to_csv(path, **{"sep": sep, "index": False, **options})

    return save_delimited


def _delimited_loader(sep: str) -> Callable[[Path], Any]:
    def load_delimited(path: Path) -> Any:
        import pandas as pd

        return pd.read_csv(path, sep=sep)

    return load_delimited


def _save_ndarray(array: Any, path: Path, **options: Any) -> None:
    import numpy as np

    np.save(path, array, **{"allow_pickle": False, **options})


def _load_ndarray(path: Path) -> Any:
    import numpy as np

    return np.load(path, allow_pickle=False)


def _save_dict(data: dict[str, Any], path: Path, **options: Any) -> None:
    try:
        text = json.dumps(data, **{"ensure_ascii": False, "indent": 2, **options})
    except TypeError as e:
        if options and "unexpected keyword" in str(e):
            raise
        msg = f"The dict cannot be saved as JSON: {e}"
        raise InvalidArgument(msg) from e
    except ValueError as e:
        msg = f"The dict cannot be saved as JSON: {e}"
        raise InvalidArgument(msg) from e
    path.write_text(text, encoding="utf-8")


def _load_dict(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _save_h5ad(adata: Any, path: Path, **options: Any) -> None:
    adata.write_h5ad(path, **options)


def _load_h5ad(path: Path) -> Any:
    import anndata

    return anndata.read_h5ad(path)


def _save_anndata_zarr(adata: Any, path: Path, **options: Any) -> None:
    with warnings.catch_warnings():
        # anndata announces its future zarr v3 default; the format written is its choice.
        warnings.filterwarnings("ignore", message="Writing zarr v2 data", category=UserWarning)
        adata.write_zarr(path, **options)


def _load_anndata_zarr(path: Path) -> Any:
    import anndata

    return anndata.read_zarr(path)


register_serializer(
    Serializer(
        "DataFrame",
        ".parquet",
        _is_instance_of("pandas", "DataFrame"),
        _save_dataframe,
        _load_dataframe,
        formats=(
            Format(".csv", _delimited_saver(","), _delimited_loader(",")),
            Format(".tsv", _delimited_saver("\t"), _delimited_loader("\t")),
        ),
    )
)
register_serializer(
    Serializer("ndarray", ".npy", _is_instance_of("numpy", "ndarray"), _save_ndarray, _load_ndarray)
)
register_serializer(
    Serializer("dict", ".json", lambda obj: isinstance(obj, dict), _save_dict, _load_dict)
)
register_serializer(
    Serializer(
        "AnnData",
        ".h5ad",
        _is_instance_of("anndata", "AnnData"),
        _save_h5ad,
        _load_h5ad,
        formats=(Format(".zarr", _save_anndata_zarr, _load_anndata_zarr),),
    )
)
