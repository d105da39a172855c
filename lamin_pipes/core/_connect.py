"""Open (creating and migrating if new) an instance and make it current."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ..errors import InstanceNotSetupError, InvalidArgument
from ._instance import Instance, forget_engine, normalize_url, redact_url
from ._migrate import ensure_schema
from ._settings import default_db, default_storage, settings

#: Finds or creates the current user's record; set by the registry layer.
_user_loader: Callable[[Instance], Any] | None = None


def _prepare_location(url: str, storage: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
    if storage and "://" not in storage:
        Path(storage).mkdir(parents=True, exist_ok=True)


def connect(db: str | None = None, storage: str | os.PathLike[str] | Any = None) -> Instance:
    """Open an instance, creating and migrating it if it is new, and make it current.

    Args:
        db: A SQLAlchemy URL or SQLite file path; defaults to ``LAMIN_PIPES_DB``, else
            the embedded ``./.lamin_pipes/lamin.db``.
        storage: The storage root; defaults to ``LAMIN_PIPES_STORAGE``, else
            ``./.lamin_pipes/storage``.

    Returns:
        The current :class:`~lamin_pipes.core.Instance`.

    Examples:
        >>> import lamin_pipes as ln
        >>> instance = ln.connect(ln.settings.instance.db, ln.settings.storage)
        >>> instance is ln.settings.instance
        True
    """
    url = normalize_url(db or default_db())
    if storage is not None and not isinstance(storage, str):
        # a path, or ln.settings.storage (lamindb's StorageSettings) of an instance
        root = getattr(storage, "root_as_str", None)
        storage = root if isinstance(root, str) else os.fspath(storage)
    storage = (
        str(Path(storage).expanduser().resolve())
        if storage and "://" not in storage
        else (storage or default_storage())
    )
    _prepare_location(url, storage)
    instance = Instance(db=url, storage=storage)
    try:
        ensure_schema(instance)
    except Exception as error:
        forget_engine(url)
        if isinstance(error, OperationalError):
            msg = f"Cannot open the database {instance.name!r} ({redact_url(url)}): {error.orig}"
            raise InstanceNotSetupError(msg) from None
        raise
    user = _user_loader(instance) if _user_loader is not None else None
    settings._instance = instance
    settings._user = user
    return instance


def set_user_loader(loader: Callable[[Instance], Any] | None) -> None:
    """Name the function that finds (or creates) the current user on connect.

    The user is a record of a registry, a layer above this one: that layer hands its
    loader down here when it is imported. :func:`connect` calls it with the new
    instance and keeps the result as ``settings.user``.
    """
    global _user_loader
    _user_loader = loader


def init(
    *, storage: str | os.PathLike[str] | Any = None, db: str | None = None, **kwargs: Any
) -> Instance:
    """Create an instance (or open it if it exists); an alias of :func:`connect`.

    Examples:
        >>> import lamin_pipes as ln
        >>> ln.setup.init(storage=ln.settings.storage, db=ln.settings.instance.db).db.startswith(("sqlite", "postgresql"))
        True
    """
    if kwargs:
        valid = "storage, db"
        msg = f"Unknown arguments {sorted(kwargs)} for init(). Valid arguments: {valid}"
        raise InvalidArgument(msg)
    return connect(db=db, storage=storage)
