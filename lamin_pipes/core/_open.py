"""Opening another instance by name, read-only: a database URL, a SQLite file or a folder.

``Registry.connect(...)``, ``QuerySet.using(...)`` and ``QueryDB(...)`` read from other
instances through :func:`open_instance`. Such an instance is opened once per process
and database, checked to be a lamin_pipes instance, and marked read-only; naming the
current instance returns it, writable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import InstanceNotSetupError
from ._instance import Instance, normalize_url
from ._migrate import current_revision
from ._settings import _redact as _redacted
from ._settings import settings

#: Read-only instances opened in this process, by database URL.
_OPENED: dict[str, Instance] = {}


def _resolve_location(instance: str | os.PathLike[str]) -> tuple[str, str]:
    """The database URL and storage root of an instance given as a URL or a path."""
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
