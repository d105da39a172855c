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

import difflib
from typing import TYPE_CHECKING, Any

from ..core._open import open_instance
from ..errors import FieldError
from ._catalog import MODELS
from .query_set import QuerySet

if TYPE_CHECKING:
    from ..core._instance import Instance
    from .query_set import QuerySet


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
        registries: dict[str, Any] = {}
        for name, model in sorted(MODELS.items()):
            registries[_plural(name)] = model
            registries[name] = model
        return registries

    def __getattr__(self, name: str) -> QuerySet[Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        registries = self._registries()
        model = registries.get(name)
        if model is None:
            plurals = sorted(k for k in registries if k.islower())
            close = difflib.get_close_matches(name.lower(), plurals, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            msg = f"Unknown registry '{name}' in {self!r}. Available: {', '.join(plurals)}.{hint}"
            raise FieldError(msg)

        return QuerySet(model, instance=self._instance)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._registries()))

    def __repr__(self) -> str:
        return f"QueryDB({self._instance.name!r})"
