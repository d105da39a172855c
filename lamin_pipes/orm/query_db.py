"""``QueryDB`` and ``Registry.connect``: read-only queries against another instance.

Another instance is named by its database URL (``postgresql://…``, ``sqlite:///…``),
by the path of its SQLite file, or by its instance directory (the folder holding
``lamin.db``, such as ``./.lamin_pipes``). Query sets over it read from its database;
records loaded through them remember it, so following their relations reads from it,
too. Every write through them (``save``, ``delete``, ``update``, link changes) raises
:class:`~lamin_pipes.errors.ReadOnlyInstanceError`: write to an instance by
connecting to it with ``ln.connect``.

Naming the current instance gives ordinary, writable query sets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FieldError, InstanceNotSetupError

if TYPE_CHECKING:
    from ..core._instance import Instance
    from .query_set import QuerySet

#: Read-only instances opened in this process, by database URL.
_OPENED: dict[str, Instance] = {}


def _resolve_location(instance: str | os.PathLike[str]) -> tuple[str, str]:
    """The database URL and storage root of an instance given as a URL or a path."""
    from ..core._instance import normalize_url

    text = os.fspath(instance)
    if "://" in text:
        url = normalize_url(text)
        storage = ""
        if url.startswith("sqlite:///"):
            path = Path(url[len("sqlite:///") :])
            if not path.is_file():
                msg = f"No lamin_pipes instance at {text!r}: the file {path} does not exist."
                raise InstanceNotSetupError(msg)
        return url, storage
    path = Path(text).expanduser()
    storage_dir = None
    if path.is_dir():
        storage_dir = path / "storage"
        path = path / "lamin.db"
    if not path.is_file():
        msg = (
            f"No lamin_pipes instance at {text!r}: {path} does not exist. Pass a database "
            "URL, a SQLite file or an instance directory holding lamin.db."
        )
        raise InstanceNotSetupError(msg)
    storage = str(storage_dir.resolve()) if storage_dir is not None and storage_dir.is_dir() else ""
    return normalize_url(str(path)), storage


def _check_schema(instance: Instance) -> None:
    """Refuse a database that is unreachable or that is not a lamin_pipes instance."""
    from ..core._migrate import current_revision
    from ..core._settings import _redact as _redacted

    try:
        revision = current_revision(instance)
    except Exception as error:
        detail = getattr(error, "orig", None) or error
        msg = f"Cannot open the instance {instance.name!r} ({_redacted(instance.db)}): {detail}"
        raise InstanceNotSetupError(msg) from None
    if revision is None:
        msg = (
            f"The database {_redacted(instance.db)} is not a lamin_pipes instance (it has "
            "no schema revision)."
        )
        raise InstanceNotSetupError(msg)


def open_instance(instance: Any) -> Instance:
    """An :class:`~lamin_pipes.core._instance.Instance` to query ``instance`` with.

    Args:
        instance: A database URL, a SQLite file, an instance directory, an
            ``Instance``, or ``None`` / ``"default"`` for the current instance.

    Returns:
        The current instance (writable) if ``instance`` names it; otherwise a
        read-only instance, opened once per process and database.

    Raises:
        InstanceNotSetupError: If ``instance`` does not name a reachable lamin_pipes
            instance.

    Examples:
        >>> import lamin_pipes as ln
        >>> open_instance(ln.settings.instance.db) is ln.settings.instance
        True
        >>> open_instance(None) is ln.settings.instance
        True
    """
    from ..core._instance import Instance
    from ..core._settings import settings

    if instance is None or instance == "default":
        return settings.instance
    if isinstance(instance, Instance):
        url, storage = instance.db, instance.storage
    elif isinstance(instance, (str, os.PathLike)):
        url, storage = _resolve_location(instance)
    else:
        msg = f"Expected a database URL, a path to an instance or an Instance, got {instance!r}"
        raise InstanceNotSetupError(msg)
    current = settings._instance
    if current is not None and current.db == url:
        return current
    opened = _OPENED.get(url)
    if opened is None:
        opened = Instance(db=url, storage=storage, read_only=True)
        _check_schema(opened)
        _OPENED[url] = opened
    return opened


def _plural(name: str) -> str:
    """The lower-case plural of a registry name: ``records``, ``branches``, …"""
    lower = name.lower()
    if lower.endswith("y") and lower[-2:-1] not in tuple("aeiou"):
        return lower[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return lower + "es"
    return lower + "s"


class QueryDB:
    """Read-only query sets for every registry of another instance.

    Registries are attributes by their lower-case plural (``records``, ``ulabels``,
    ``projects``, ``branches``, …) and by their class name (``Record``).

    Args:
        instance: A database URL, a path to a SQLite file or an instance directory,
            or an ``Instance``.

    Raises:
        InstanceNotSetupError: If ``instance`` does not name a reachable lamin_pipes
            instance.

    Examples:
        >>> import lamin_pipes as ln
        >>> db = ln.models.QueryDB(ln.settings.instance.db)
        >>> _ = ln.Record(name="cell 1").save()
        >>> db.records.filter(name__startswith="cell").to_list("name")
        ['cell 1']
        >>> db.Record.count() == db.records.count()
        True
    """

    def __init__(self, instance: Any) -> None:
        self._instance = open_instance(instance)

    @property
    def instance(self) -> Instance:
        """The instance this object queries."""
        return self._instance

    @staticmethod
    def _registries() -> dict[str, Any]:
        from ._registry import _MODELS

        registries: dict[str, Any] = {}
        for name, model in sorted(_MODELS.items()):
            registries[_plural(name)] = model
            registries[name] = model
        return registries

    def __getattr__(self, name: str) -> QuerySet[Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        registries = self._registries()
        model = registries.get(name)
        if model is None:
            import difflib

            plurals = sorted(k for k in registries if k.islower())
            close = difflib.get_close_matches(name.lower(), plurals, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            msg = f"Unknown registry '{name}' in {self!r}. Available: {', '.join(plurals)}.{hint}"
            raise FieldError(msg)
        from .query_set import QuerySet

        return QuerySet(model, instance=self._instance)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._registries()))

    def __repr__(self) -> str:
        return f"QueryDB({self._instance.name!r})"
