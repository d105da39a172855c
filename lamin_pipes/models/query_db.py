"""``QueryDB``: read-only query sets for every registry of another instance."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FieldError, InstanceNotSetupError

if TYPE_CHECKING:
    from ..core._instance import Instance
    from .query_set import QuerySet

_OPENED: dict[str, Instance] = {}


def open_instance(instance: Any) -> Instance:
    """An :class:`Instance` for ``instance``: a URL, a SQLite file or instance directory.

    The current instance is returned writable; any other one read-only.
    """
    from ..core._instance import Instance, normalize_url
    from ..core._settings import settings

    if isinstance(instance, Instance):
        return instance
    if not isinstance(instance, (str, os.PathLike)):
        msg = f"Expected a database URL or path to an instance, got {instance!r}"
        raise InstanceNotSetupError(msg)
    text = str(instance)
    if "://" not in text:
        path = Path(text).expanduser()
        if path.is_dir():
            path = path / "lamin.db"
        if not path.exists():
            msg = f"No lamin_pipes instance at {text!r}: {path} does not exist."
            raise InstanceNotSetupError(msg)
        text = str(path)
    url = normalize_url(text)
    current = settings._instance
    if current is not None and current.db == url:
        return current
    if url not in _OPENED:
        _OPENED[url] = Instance(db=url, storage="", read_only=True)
    return _OPENED[url]


def _plural(name: str) -> str:
    lower = name.lower()
    return lower[:-1] + "ies" if lower.endswith("y") else lower + "s"


class QueryDB:
    """Read-only query sets for every registry of another instance.

    Attributes are the registries' lower-case plural names (``records``, ``ulabels``,
    ``projects``, ``users``, …).

    Examples:
        >>> import lamin_pipes as ln
        >>> db = ln.models.QueryDB(ln.settings.instance.db)
        >>> db.records.count() >= 0
        True
    """

    def __init__(self, instance: Any) -> None:
        self._instance = open_instance(instance)

    def _registries(self) -> dict[str, Any]:
        from .sqlrecord import _MODELS

        return {_plural(name): model for name, model in _MODELS.items()}

    def __getattr__(self, name: str) -> QuerySet[Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        registries = self._registries()
        model = registries.get(name)
        if model is None:
            msg = f"Unknown registry '{name}'. Available: {', '.join(sorted(registries))}"
            raise FieldError(msg)
        from .query_set import QuerySet

        return QuerySet(model, instance=self._instance)

    def __dir__(self) -> list[str]:
        return sorted(self._registries())

    def __repr__(self) -> str:
        return f"QueryDB({self._instance.name!r})"
