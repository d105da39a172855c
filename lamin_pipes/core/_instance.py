"""Instances: one database plus one storage root, with engines and sessions.

An :class:`Instance` owns a database URL and a storage directory. Engines are created
lazily, one per process and URL: a forked child (a Dagster step process, a torch
DataLoader worker) never reuses its parent's connections.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm.session import JoinTransactionMode

from ._query_errors import query_error, sqlite_regexp

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

_ENGINES: dict[tuple[int, str, bool], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _forget_engines_after_fork() -> None:
    # The child keeps the parent's connection objects in memory, but must never use them.
    for engine in list(_ENGINES.values()):
        engine.dispose(close=False)
    _ENGINES.clear()


os.register_at_fork(after_in_child=_forget_engines_after_fork)


def normalize_url(url: str) -> str:
    """Return a SQLAlchemy URL, choosing psycopg 3 for PostgreSQL.

    Examples:
        >>> normalize_url("postgresql://postgres@127.0.0.1:5432/test")
        'postgresql+psycopg://postgres@127.0.0.1:5432/test'
        >>> normalize_url("/tmp/x/lamin.db")
        'sqlite:////tmp/x/lamin.db'
    """
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (the pysqlite recipe), so transactions and
    # SAVEPOINTs behave as on PostgreSQL.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # LIKE ignores ASCII case on SQLite by default (and so does Django's `contains` there,
    # lamindb on SQLite included); case-sensitive, it matches what PostgreSQL returns.
    cursor.execute("PRAGMA case_sensitive_like=ON")
    cursor.close()
    # replaces SQLAlchemy's REGEXP: the same search, bounded in time (see _query_errors)
    dbapi_connection.create_function("regexp", 2, sqlite_regexp, deterministic=True)


def _sqlite_on_begin(conn: Any) -> None:
    # Write blocks (atomic) take the write lock up front: a deferred transaction that
    # reads first and writes later fails at once with SQLITE_BUSY under concurrency,
    # while BEGIN IMMEDIATE waits for the busy timeout instead.
    immediate = conn.get_execution_options().get("lamin_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine_for(url: str, *, autocommit: bool = False) -> Engine:
    """Create an engine configured for lamin_pipes (pragmas, pool, driver).

    Args:
        url: The SQLAlchemy URL.
        autocommit: An engine for single read statements: no BEGIN/COMMIT round trips.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        if not autocommit:
            event.listen(engine, "begin", _sqlite_on_begin)
    else:
        # Connections are recycled hourly rather than pinged before each use: a ping
        # is a round trip on every query.
        options: dict[str, Any] = {"pool_recycle": 3600}
        if autocommit:
            options["isolation_level"] = "AUTOCOMMIT"
        engine = create_engine(url, **options)
    return engine


def forget_engine(url: str) -> None:
    """Dispose of and forget this process's engines for ``url``, if any."""
    for autocommit in (False, True):
        engine = _ENGINES.pop((os.getpid(), url, autocommit), None)
        if engine is not None:
            engine.dispose()


def get_engine(url: str, *, autocommit: bool = False) -> Engine:
    """Return this process's engine for ``url``, creating it on first use."""
    key = (os.getpid(), url, autocommit)
    engine = _ENGINES.get(key)
    if engine is None:
        with _ENGINES_LOCK:
            engine = _ENGINES.get(key)
            if engine is None:
                engine = create_engine_for(url, autocommit=autocommit)
                _ENGINES[key] = engine
    return engine


# The open atomic() session per instance URL in this context (thread / task).
_ATOMIC: contextvars.ContextVar[dict[str, Session] | None] = contextvars.ContextVar(
    "lamin_pipes_atomic", default=None
)


def _raise_query_error(error: sa_exc.DBAPIError) -> None:
    """Raise ``error`` as a lamin_pipes error if the query's values caused it, else as is."""
    translated = query_error(error)
    if translated is None:
        raise error
    raise translated from None


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***``: safe to show in messages and reprs.

    Examples:
        >>> redact_url("postgresql://me:secret@db.example.org/lamin")
        'postgresql://me:***@db.example.org/lamin'
    """
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show its scheme only
        scheme = url.split("://", 1)[0] if "://" in url else "?"
        return f"{scheme}://***"


@dataclass(eq=False, repr=False)
class Instance:
    """A lamin_pipes instance: a database URL and a storage root.

    Args:
        db: A SQLAlchemy URL (``sqlite:///...``, ``postgresql://...``) or a file path.
        storage: The storage root directory.
        read_only: Refuse writes (used for other instances queried with ``QueryDB``).
    """

    db: str
    storage: str
    read_only: bool = False
    _ready: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.db = normalize_url(self.db)

    @property
    def engine(self) -> Engine:
        """This process's engine for the instance's database."""
        return get_engine(self.db)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.db.split(":", 1)[0].split("+", 1)[0]

    @property
    def name(self) -> str:
        """A short human-readable name derived from the database URL."""
        url = make_url(self.db)
        if self.dialect == "sqlite":
            folder = Path(url.database or "memory").parent
            if folder.name == ".lamin_pipes":  # the embedded default: name the project
                folder = folder.parent
            return folder.name or "memory"
        return url.database or "default"

    def __repr__(self) -> str:
        flags = ", read_only=True" if self.read_only else ""
        return f"Instance(db={redact_url(self.db)!r}, storage={self.storage!r}{flags})"

    def new_session(self, *, write: bool = False) -> Session:
        """A fresh ORM session bound to this instance's engine.

        Args:
            write: The session is meant for a block of writes; on SQLite its
                transaction takes the write lock when it begins.
        """
        bind = self.engine.execution_options(lamin_immediate=True) if write else self.engine
        return Session(bind, expire_on_commit=False, autoflush=False, info={"instance": self})

    def atomic_session(self) -> Session | None:
        """The session of an enclosing ``ln.atomic()`` block, if any."""
        sessions = _ATOMIC.get()
        if sessions is None:
            return None
        return sessions.get(self.db)

    def _joined_session(self, outer: Session, *, write: bool = False) -> Session:
        """A short-lived session on the connection (and transaction) of ``outer``.

        Records it loads or saves are detached when it closes, as outside ``atomic()``:
        nothing stays attached to the block's session, so its commit writes only what
        was saved, never a record someone edited and did not save. A writing session
        works in a savepoint: a failed write (a unique violation, say) is undone alone
        and leaves the block's transaction usable, on PostgreSQL too.
        """
        mode: JoinTransactionMode = "create_savepoint" if write else "conditional_savepoint"
        return Session(
            outer.connection(),
            expire_on_commit=False,
            autoflush=False,
            info={"instance": self},
            join_transaction_mode=mode,
        )

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one writing operation, closed afterwards (records are detached).

        Inside ``ln.atomic()`` it works in a savepoint of the block's transaction
        (released on success, rolled back on error; the block commits at its end);
        otherwise in a transaction of its own, committed on success. On SQLite that
        transaction takes the write lock when it begins: an operation that reads and
        then writes would otherwise fail at once ("database is locked") when another
        connection wrote in between, instead of waiting its turn.
        """
        outer = self.atomic_session()
        session = (
            self.new_session(write=True)
            if outer is None
            else self._joined_session(outer, write=True)
        )
        try:
            yield session
            session.commit()
        except sa_exc.DBAPIError as error:
            session.rollback()
            _raise_query_error(error)
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for read-only statements.

        Inside ``ln.atomic()`` it reads in the block's transaction (so it sees the
        block's writes); otherwise it runs on the autocommit engine: each SELECT on its
        own, without BEGIN/COMMIT round trips. Loaded records are detached on exit.
        """
        outer = self.atomic_session()

        session = (
            self._joined_session(outer)
            if outer is not None
            else Session(
                get_engine(self.db, autocommit=True),
                expire_on_commit=False,
                autoflush=False,
                info={"instance": self},
            )
        )
        try:
            yield session
        except sa_exc.DBAPIError as error:
            _raise_query_error(error)
        finally:
            session.close()

    @contextlib.contextmanager
    def read_transaction(self) -> Iterator[Session]:
        """A session for a long read, such as streaming: one transaction, never a write lock.

        Unlike :meth:`read_session`, its statements share one transaction, which
        streaming needs (PostgreSQL's server-side cursors live in one). Unlike
        :meth:`session`, it never takes SQLite's write lock, so other connections and
        processes keep writing while it reads.
        """
        outer = self.atomic_session()
        session = self._joined_session(outer) if outer is not None else self.new_session()
        try:
            yield session
        except sa_exc.DBAPIError as error:
            _raise_query_error(error)
        finally:
            session.close()

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Session]:
        """Group writes in one transaction; nested blocks use savepoints."""
        outer = self.atomic_session()
        if outer is not None:
            with outer.begin_nested():
                yield outer
            return
        session = self.new_session(write=True)
        sessions = dict(_ATOMIC.get() or {})
        sessions[self.db] = session
        token = _ATOMIC.set(sessions)
        try:
            with session.begin():
                yield session
        finally:
            _ATOMIC.reset(token)
            session.close()

    def get_by_id(self, model: Any, pk: Any) -> Any:
        """Load the record of ``model`` with primary key ``pk`` (or ``None``)."""
        with self.read_session() as session:
            return session.get(model, pk)
