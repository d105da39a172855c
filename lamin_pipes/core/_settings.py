"""Process-wide settings: the current instance and user."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InstanceNotSetupError
from ._instance import redact_url as _redact

if TYPE_CHECKING:
    from upath import UPath

    from ._instance import Instance

DEFAULT_DIR = ".lamin_pipes"


def default_db() -> str:
    """``LAMIN_PIPES_DB``, else the embedded SQLite file in ``./.lamin_pipes/``."""
    env = os.environ.get("LAMIN_PIPES_DB")
    if env:
        return env
    return f"sqlite:///{Path(DEFAULT_DIR, 'lamin.db').resolve()}"


def default_storage() -> str:
    """``LAMIN_PIPES_STORAGE``, else ``./.lamin_pipes/storage``."""
    env = os.environ.get("LAMIN_PIPES_STORAGE")
    if env:
        return env
    return str(Path(DEFAULT_DIR, "storage").resolve())


def default_user_handle() -> str:
    """``LAMIN_PIPES_USER``, else the operating-system user name."""
    handle = os.environ.get("LAMIN_PIPES_USER")
    if handle:
        return handle
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "anonymous"


class CreationSettings:
    """How records are created (``ln.settings.creation``), as in lamindb.

    Attributes:
        search_names: Whether constructing a record of a curatable registry by name
            (``ln.ULabel(name="T cell")``) first looks for a record with that name and
            returns it instead of a duplicate. Pass ``_search_names=False`` to a
            constructor to skip the look-up once.

    Examples:
        >>> import lamin_pipes as ln
        >>> ln.settings.creation.search_names
        True
    """

    def __init__(self) -> None:
        self.search_names = True

    def __repr__(self) -> str:
        return f"CreationSettings(search_names={self.search_names})"


#: Finds (or registers) the Storage record of an instance's root; the registry lives in
#: a layer above this one, which hands the function down when it is imported.
_storage_record_loader: Callable[[Instance], Any] | None = None


def set_storage_record_loader(loader: Callable[[Instance], Any] | None) -> None:
    """Name the function that gives ``ln.settings.storage.record`` for an instance."""
    global _storage_record_loader
    _storage_record_loader = loader


def storage_type(root: str) -> str:
    """The protocol of a storage root: ``"local"`` for paths and ``file://`` URLs.

    Examples:
        >>> storage_type("s3://bucket/prefix"), storage_type("/data"), storage_type("gs://b")
        ('s3', 'local', 'gs')
    """
    protocol, sep, _ = root.partition("://")
    if not sep or protocol in ("", "file", "local"):
        return "local"
    return protocol.lower()


class StorageSettings:
    """The storage root of the current instance (``ln.settings.storage``), as in lamindb.

    Attributes:
        root_as_str: The root as a string: an absolute directory or ``s3://bucket/prefix``.

    Examples:
        >>> import lamin_pipes as ln
        >>> storage = ln.settings.storage
        >>> str(storage.root) == storage.root_as_str, storage.type
        (True, 'local')
        >>> storage.record.root == storage.root_as_str
        True
    """

    def __init__(self, instance: Instance) -> None:
        self._instance = instance
        self.root_as_str: str = instance.storage

    @property
    def root(self) -> UPath:
        """The root as a ``UPath`` (a ``pathlib.Path`` for local roots, else fsspec's)."""
        from upath import UPath  # universal_pathlib pulls in fsspec: imported on use

        return UPath(self.root_as_str)

    @property
    def record(self) -> Any:
        """The :class:`~lamin_pipes.Storage` record of the root (registered on first use)."""
        if _storage_record_loader is None:  # pragma: no cover - the registries set it
            msg = "The Storage registry is not imported; import lamin_pipes first."
            raise InstanceNotSetupError(msg)
        return _storage_record_loader(self._instance)

    @property
    def type(self) -> str:
        """``"local"``, ``"s3"`` or another fsspec protocol."""
        return storage_type(self.root_as_str)

    @property
    def type_is_cloud(self) -> bool:
        """Whether the root is not a local directory."""
        return self.type != "local"

    @property
    def cache_dir(self) -> Path:
        """Where copies of remote objects are kept (``ln.settings.cache_dir``)."""
        return settings.cache_dir

    def __repr__(self) -> str:
        return f"StorageSettings(root={self.root_as_str!r}, type={self.type!r})"


class Settings:
    """The current instance, user and storage (``ln.settings``).

    Examples:
        >>> import lamin_pipes as ln
        >>> isinstance(ln.settings.user_handle, str)
        True
    """

    def __init__(self) -> None:
        self._instance: Instance | None = None
        self._user: Any = None
        self._auto_connecting = False
        self._cache_dir: Path | None = None
        self.creation = CreationSettings()

    @property
    def instance(self) -> Instance:
        """The current instance; connects to the default one on first use."""
        if self._instance is None:
            if self._auto_connecting:
                msg = "No lamin_pipes instance is connected; call ln.connect() first."
                raise InstanceNotSetupError(msg)
            self._auto_connecting = True
            try:
                from ._connect import connect

                connect()
            finally:
                self._auto_connecting = False
        assert self._instance is not None
        return self._instance

    @property
    def user(self) -> Any:
        """The current :class:`~lamin_pipes.User` record."""
        _ = self.instance
        return self._user

    @property
    def user_handle(self) -> str:
        return default_user_handle() if self._user is None else self._user.handle

    @property
    def storage(self) -> StorageSettings:
        """The storage root of the current instance: ``.root`` (a UPath) and ``.record``.

        As in lamindb this is an object, not a string: use ``.root_as_str`` or
        ``str(ln.settings.storage.root)`` for the root as text.
        """
        return StorageSettings(self.instance)

    @property
    def cache_dir(self) -> Path:
        """Where copies of remote objects are kept.

        The value set here, else ``LAMIN_PIPES_CACHE_DIR``, else ``~/.cache/lamin_pipes``.
        Set it to a str or path; ``None`` restores the default.
        """
        if self._cache_dir is not None:
            return self._cache_dir
        env = os.environ.get("LAMIN_PIPES_CACHE_DIR")
        return Path(env or "~/.cache/lamin_pipes").expanduser().absolute()

    @cache_dir.setter
    def cache_dir(self, value: str | os.PathLike[str] | None) -> None:
        self._cache_dir = None if value is None else Path(value).expanduser().absolute()

    def __repr__(self) -> str:
        if self._instance is None:
            return "Settings(not connected)"
        inst = self._instance
        user = self._user.handle if self._user is not None else None
        return (
            "Settings(\n"
            f"  instance={inst.name!r},\n"
            f"  db={_redact(inst.db)!r},\n"
            f"  storage={inst.storage!r},\n"
            f"  user={user!r},\n"
            ")"
        )


settings = Settings()
