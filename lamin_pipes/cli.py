"""The ``lamin-pipes`` command line.

Subcommands::

    lamin-pipes init    [--db URL] [--storage DIR]   create or open an instance
    lamin-pipes info    [--db URL] [--storage DIR]   settings, schema revision, record counts
    lamin-pipes migrate [--db URL]                   upgrade an instance to the newest schema
    lamin-pipes ls      REGISTRY [--limit N] [--all] show the newest records of a registry
    lamin-pipes search  REGISTRY QUERY [--limit N]   search a registry, best matches first
    lamin-pipes describe UID [--lineage]             describe the record with this uid
    lamin-pipes demo    [--db URL] [--storage DIR]   save, query and search example records
    lamin-pipes clean   [--min-age S] [--dry-run]    remove leftovers of interrupted saves

``--db`` and ``--storage`` default to ``LAMIN_PIPES_DB`` and ``LAMIN_PIPES_STORAGE``,
else to the embedded instance in ``./.lamin_pipes/``. Errors of
:mod:`lamin_pipes.errors` print one line to stderr and exit with status 1.

Running the command imports :mod:`lamin_pipes` (and with it SQLAlchemy); pandas is
imported only by the subcommands that build DataFrames.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import lamin_pipes as ln

from . import Q, __version__, models
from .core._connect import connect, init
from .core._instance import Instance, normalize_url
from .core._migrate import HEAD_REVISION, current_revision, ensure_schema
from .core._settings import _redact, default_db, settings
from .errors import DoesNotExist, InstanceNotSetupError, InvalidArgument, LaminPipesError
from .models import IsVersioned
from .models._render import format_size, render_table
from .models.storage import Storage
from .orm._records import format_field_value
from .orm._registry import Registry

PROG = "lamin-pipes"


# --- helpers ---------------------------------------------------------------------------


def _resolve_url(db: str | None) -> str:
    """The SQLAlchemy URL of ``--db``, else of the environment or embedded default."""
    return normalize_url(db or default_db())


def _sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (``None`` for other backends and ``:memory:``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)  # type: ignore[arg-type]


def _require_existing(url: str) -> None:
    """Refuse to create an embedded instance as a side effect of a read-only command."""
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        msg = (
            f"No lamin_pipes instance at {path}. Create one with `{PROG} init` "
            "(or point LAMIN_PIPES_DB / --db at an existing one)."
        )
        raise InstanceNotSetupError(msg)


def _is_new(url: str) -> bool:
    """Whether ``url`` names a database without a lamin_pipes schema yet."""
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        return True
    try:
        return current_revision(Instance(db=url, storage="")) is None
    except Exception:  # unreachable: connect() reports it as InstanceNotSetupError
        return False


def _connect_existing(db: str | None, storage: str | None) -> Instance:
    url = _resolve_url(db)
    _require_existing(url)
    return connect(url, storage)


def _registries() -> dict[str, Any]:
    """The built-in registries by lower-case class name (``record``, ``ulabel``, …)."""
    found = {}
    for name in models.__all__:
        obj = getattr(models, name)
        if isinstance(obj, Registry) and hasattr(obj, "__table__"):
            found[name.lower()] = obj
    return dict(sorted(found.items()))


def _registry(name: str) -> Any:
    """The built-in registry called ``name`` (case-insensitive)."""
    registries = _registries()
    key = name.lower().removeprefix("lamindb_").removeprefix("ln.")
    model = registries.get(key)
    if model is None:
        msg = f"Unknown registry {name!r}. Valid registries: {', '.join(registries)}"
        raise InvalidArgument(msg)
    return model


def _cell(value: Any) -> Any:
    """A value as a table shows it: times to the second, everything else unchanged."""
    if isinstance(value, dt.datetime):
        return format_field_value(value)
    return value


def _print_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows as a table fitted to the terminal width."""
    print(render_table(columns, [[_cell(value) for value in row] for row in rows]))


def _print_frame(df: Any, *, index: bool = True) -> None:
    """Print every column of a DataFrame (and its index) as a table fitted to the terminal."""
    frame = df.reset_index() if index else df
    # Missing values (NaN, NaT, None) become None, which shows as an empty cell.
    frame = frame.astype(object).where(frame.notna(), None)
    _print_table([str(column) for column in frame.columns], frame.values.tolist())


def _positive_int(text: str) -> int:
    """Parse a ``--limit``: a positive integer."""
    value = int(text)
    if value < 1:
        msg = f"must be a positive integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


# --- subcommands -----------------------------------------------------------------------


def _cmd_init(args: argparse.Namespace) -> int:
    """Create or open the instance and print its settings."""
    url = _resolve_url(args.db)
    new = _is_new(url)
    instance = init(db=url, storage=args.storage)
    verb = "Created" if new else "Opened"
    print(f"{verb} instance {instance.name!r} (schema revision {current_revision(instance)}).")
    print(settings)
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    """Print the instance's settings, schema revision and record counts."""
    instance = _connect_existing(args.db, args.storage)
    revision = current_revision(instance)
    state = "newest" if revision == HEAD_REVISION else f"newest is {HEAD_REVISION}"
    user = settings._user.handle if settings._user is not None else None
    print(f"lamin_pipes {__version__}")
    print(f"instance : {instance.name}")
    print(f"db       : {_redact(instance.db)}")
    print(f"storage  : {instance.storage}")
    print(f"user     : {user}")
    print(f"schema   : {revision} ({state})")
    print("records  :")
    registries = _registries()
    width = max(len(model.__name__) for model in registries.values())
    with instance.engine.connect() as connection:
        for model in registries.values():
            table = model.__table__
            count = connection.execute(select(func.count()).select_from(table)).scalar_one()
            print(f"  {model.__name__:<{width}}  {count}")
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    """Upgrade an existing database to the newest schema; print from → to."""
    url = _resolve_url(args.db)
    _require_existing(url)
    instance = Instance(db=url, storage="")
    try:
        before = current_revision(instance)
    except OperationalError as error:
        msg = f"Cannot open the database {instance.name!r} ({_redact(url)}): {error.orig}"
        raise InstanceNotSetupError(msg) from None
    ensure_schema(instance)
    after = current_revision(instance)
    if before == after:
        print(
            f"Instance {instance.name!r} is at the newest schema revision {after}; nothing to do."
        )
    else:
        print(f"Migrated instance {instance.name!r} from {before or '<empty>'} to {after}.")
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    """Run :meth:`Storage.clean` on the instance's storage and list what it removed."""
    instance = _connect_existing(args.db, args.storage)
    report = Storage.default(instance).clean(min_age=args.min_age, dry_run=args.dry_run)
    for key in report.removed:
        print(f"  {key}")
    print(f"{instance.storage}: {report}")
    return 0


def _short_columns(model: Any) -> list[tuple[str, Callable[[Any], Any]]]:
    """The columns ``ls`` shows by default: uid, name field, version, size, created.

    Each comes as ``(header, how to read the value from a record)``; a registry shows
    only those of them it has. Sizes read ``1.6 KB``; creation times are local, to
    the minute.
    """
    fields = model.__table__.c
    name_field = model._meta.name_field
    columns: list[tuple[str, Callable[[Any], Any]]] = []
    if "uid" in fields:
        columns.append(("uid", lambda record: record.uid))
    if name_field in fields and name_field != "uid":
        columns.append((name_field, lambda record: getattr(record, name_field)))
    if issubclass(model, IsVersioned):
        columns.append(("version", lambda record: record.version))
    if "size" in fields:
        columns.append(("size", lambda record: format_size(record.size)))
    if "created_at" in fields:
        columns.append(("created", lambda record: _local_minute(record.created_at)))
    return columns


def _local_minute(value: Any) -> str | None:
    """A time in the local time zone, to the minute (``2025-01-31 14:05``), as ``ls -l`` does.

    Times without a time zone are taken as UTC, the time zone the registry stores.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _cmd_ls(args: argparse.Namespace) -> int:
    """Print the newest records of a registry as a table (``--all``: every column)."""
    model = _registry(args.registry)
    _connect_existing(args.db, args.storage)
    total = model.filter().count()
    if total == 0:
        print(f"No {model.__name__} records.")
        return 0
    if args.all:
        df = model.to_dataframe(limit=args.limit)
        print(f"{model.__name__}: {len(df)} of {total} records (newest first)")
        _print_frame(df)
        return 0
    records = list(model.filter().order_by("-id")[: args.limit])
    columns = _short_columns(model)
    print(f"{model.__name__}: {len(records)} of {total} records (newest first)")
    _print_table(
        [header for header, _ in columns],
        [[read(record) for _, read in columns] for record in records],
    )
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    """Print the best matches of a search in a registry."""
    model = _registry(args.registry)
    _connect_existing(args.db, args.storage)
    hits = list(model.search(args.query, limit=args.limit))
    if not hits:
        print(f"No {model.__name__} records match {args.query!r}.")
        return 0
    name_field = model._meta.name_field
    scores = [getattr(hit, "score", None) for hit in hits]
    columns = ["id", "uid", name_field]
    rows = [[hit.id, getattr(hit, "uid", None), getattr(hit, name_field, None)] for hit in hits]
    if any(score is not None for score in scores):
        columns.append("score")
        for row, score in zip(rows, scores, strict=True):
            row.append(None if score is None else f"{score:.1f}")
    print(f"{model.__name__} records matching {args.query!r}, best first:")
    _print_table(columns, rows)
    return 0


#: Registries whose uid is a version-family stem plus a 4-character counter.
_STEM_REGISTRIES = ("artifact", "collection", "transform")


def find_by_uid(uid: str) -> list[Any]:
    """The records of every built-in registry whose uid is ``uid`` (trash included).

    A uid names one record: registries draw their uids at random and most differ in
    length. A version family's stem (an artifact's first 16 characters, a transform's
    first 12) names its latest version when no record has that uid.

    Args:
        uid: A full uid, or the stem of a version family.

    Returns:
        The matching records (usually one; none when nothing matches).
    """
    found = []
    for model in _registries().values():
        column = model.__table__.c.get("uid")
        if column is None or len(uid) > (column.type.length or len(uid)):
            continue
        record = model.filter(uid=uid, branch=None).first()
        if record is not None:
            found.append(record)
    if found:
        return found
    for name in _STEM_REGISTRIES:
        model = _registry(name)
        if len(uid) != model.__table__.c.uid.type.length - 4:
            continue
        family = model.filter(uid__startswith=uid, branch=None)
        record = family.filter(is_latest=True).first() or family.order_by("-id").first()
        if record is not None:
            found.append(record)
    return found


def _cmd_describe(args: argparse.Namespace) -> int:
    """Print ``describe()`` of the record with the given uid (and, asked, its lineage)."""
    instance = _connect_existing(args.db, args.storage)
    uid = args.uid.strip()
    records = find_by_uid(uid) if uid.isalnum() else []
    if not records:
        msg = (
            f"No record with uid {args.uid!r} in instance {instance.name!r} "
            f"({_redact(instance.db)}); `{PROG} ls artifact` lists artifacts."
        )
        raise DoesNotExist(msg)
    for n, record in enumerate(records):
        if n:
            print()
        print(record.describe(return_str=True))
        if args.lineage:
            lineage = getattr(record, "view_lineage", None)
            if lineage is None:
                print(f"\n(no lineage: a {type(record).__name__} is not an artifact or collection)")
            else:
                print("\nLineage:")
                print(lineage())
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    """Run :func:`run_demo` on the chosen (or default) instance."""
    run_demo(db=args.db, storage=args.storage)
    return 0


# --- the demo --------------------------------------------------------------------------

DEMO_SAMPLES = ("sample 1", "sample 2", "sample 3")
DEMO_ORGANS = ("lung", "left lung", "right lung", "heart")
DEMO_PROJECT = "Demo project"


def _get_or_create(model: Any, **fields: Any) -> tuple[Any, bool]:
    """The first record matching ``fields`` (trash excluded), else a new, saved one."""
    record = model.filter(**fields).first()
    if record is not None:
        return record, False
    return model(**fields).save(), True


def _show(label: str, value: Any) -> None:
    """Print one demo step: what was run, and what came back."""
    print(f"  {label:<66} -> {value}")


def run_demo(*, db: str | None = None, storage: str | None = None) -> None:
    """Save, query and search example records; running it again changes nothing.

    It opens (creating if needed) the instance given by ``db``/``storage``, else by
    ``LAMIN_PIPES_DB``/``LAMIN_PIPES_STORAGE``, else the embedded one in
    ``./.lamin_pipes/``.

    Args:
        db: A SQLAlchemy URL or SQLite file.
        storage: The storage root.
    """
    instance = ln.connect(db, storage)
    print("lamin_pipes demo")
    print(f"  instance {instance.name!r}: db {_redact(instance.db)}, storage {instance.storage}")
    print(f"  user {ln.settings.user.handle!r}")

    print("\n1. Save records (existing ones are reused)")
    sample_type, created = _get_or_create(ln.Record, name="Sample", is_type=True)
    _show("Record type 'Sample'", "created" if created else "exists")
    samples = []
    n_created = 0
    for name in DEMO_SAMPLES:
        sample, created = _get_or_create(ln.Record, name=name, type=sample_type)
        samples.append(sample)
        n_created += created
    _show("Records of type 'Sample'", f"{', '.join(DEMO_SAMPLES)} ({n_created} created)")
    organs = ln.ULabel.from_values(list(DEMO_ORGANS), create=True).save()
    by_name = {label.name: label for label in organs}
    _show("ULabel.from_values([...], create=True)", ", ".join(by_name))
    lung = by_name["lung"]
    for side in ("left lung", "right lung"):
        by_name[side].parents.add(lung)  # linking twice is a no-op
    _show("'left lung', 'right lung' get parent 'lung'", "linked")
    project, created = _get_or_create(ln.Project, name=DEMO_PROJECT)
    project.records.add(*samples[:2])
    project.ulabels.add(lung)
    _show(
        f"Project {DEMO_PROJECT!r}",
        f"{'created' if created else 'exists'}, "
        f"{project.records.count()} records, {project.ulabels.count()} ulabel",
    )

    print("\n2. Query with Django-style lookups and Q objects")
    _show(
        "Record.filter(type=sample_type)",
        ln.Record.filter(type=sample_type).order_by("name").to_list("name"),
    )
    _show(
        'Record.filter(type__name="Sample", name__endswith="2")',
        ln.Record.filter(type__name="Sample", name__endswith="2").to_list("name"),
    )
    _show(
        'Record.filter(Q(name="sample 1") | Q(name="sample 3"))',
        ln.Record.filter(Q(name="sample 1") | Q(name="sample 3")).order_by("name").to_list("name"),
    )
    _show(
        f'Record.filter(~Q(name="sample 2"), projects__name={DEMO_PROJECT!r})',
        ln.Record.filter(~Q(name="sample 2"), projects__name=DEMO_PROJECT)
        .order_by("name")
        .to_list("name"),
    )
    _show(
        'ULabel.filter(parents__name="lung")',
        ln.ULabel.filter(parents__name="lung").order_by("name").to_list("name"),
    )
    _show(
        'ULabel.filter(name__in=[...], name__contains="lung").count()',
        ln.ULabel.filter(name__in=list(DEMO_ORGANS), name__contains="lung").count(),
    )
    _show("lung.query_children()", sorted(lung.query_children().to_list("name")))
    _show(
        "Record.filter(created_by__handle=<you>).exists()",
        ln.Record.filter(created_by__handle=ln.settings.user.handle).exists(),
    )

    print("\n3. Search tolerates typos")
    for model, query in ((ln.Record, "sampel 2"), (ln.ULabel, "lnug")):
        hits = list(model.search(query, limit=3))
        found = [
            f"{hit.name} ({hit.score:.0f})" if getattr(hit, "score", None) is not None else hit.name
            for hit in hits
        ]
        _show(f"{model.__name__}.search({query!r})", ", ".join(found) or "no match")

    print("\n4. The samples as a DataFrame")
    df = ln.Record.filter(type=sample_type).to_dataframe(
        include=["type__name", "projects__name"], order_by="name"
    )
    _print_frame(df[["uid", "name", "type__name", "projects__name"]])

    print("\n5. Artifacts: versions, dedup, a collection and lineage")
    import pandas as pd

    raw_df = pd.DataFrame({"sample": list(DEMO_SAMPLES), "organ": ["lung", "heart", "lung"]})
    with ln.flow(key="demo: ingest"):
        raw = ln.Artifact(raw_df, key="demo/raw.parquet", description="demo samples").save()
    _show("Artifact(df, key='demo/raw.parquet').save()", f"{raw.uid} (v{raw.version})")
    with ln.flow(key="demo: clean"):
        cleaned = raw.load().assign(is_lung=lambda d: d["organ"].eq("lung"))
        clean_v1 = ln.Artifact(cleaned, key="demo/clean.parquet").save()
        clean_v2 = ln.Artifact(
            cleaned[cleaned["is_lung"]].reset_index(drop=True), key="demo/clean.parquet"
        ).save()
    _show(
        "two saves under key 'demo/clean.parquet'",
        f"versions {clean_v1.version}, {clean_v2.version}; latest {clean_v2.uid}",
    )
    again = ln.Artifact(raw_df, key="demo/raw.parquet").save()
    _show("saving the same content again", f"dedup -> {again.uid == raw.uid}")
    collection = ln.Collection([raw, clean_v2], key="demo/collection").save()
    _show("Collection([raw, clean], key='demo/collection')", collection.uid)
    _show(
        "Artifact.filter(key__startswith='demo/').count()",
        ln.Artifact.filter(key__startswith="demo/").count(),
    )
    print("\n  clean_v2.view_lineage():")
    for line in clean_v2.view_lineage().splitlines():
        print(f"    {line}")
    print("\n  clean_v2.describe():")
    for line in (clean_v2.describe(return_str=True) or "").splitlines():
        print(f"    {line}")
    print(
        "\nDone. Explore further with `lamin-pipes ls artifact` or "
        "`lamin-pipes search ulabel lung`."
    )


# --- parser ----------------------------------------------------------------------------


def _add_instance_options(parser: argparse.ArgumentParser, *, storage: bool = True) -> None:
    """Add ``--db`` (and ``--storage``) to a sub-command."""
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="SQLAlchemy URL or SQLite file (default: $LAMIN_PIPES_DB, else "
        "./.lamin_pipes/lamin.db)",
    )
    if storage:
        parser.add_argument(
            "--storage",
            metavar="DIR",
            default=None,
            help="storage root (default: $LAMIN_PIPES_STORAGE, else ./.lamin_pipes/storage)",
        )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lamin-pipes`` (one sub-parser per command)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="lamindb's registry API on SQLAlchemy 2: manage and query an instance.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        name: str, handler: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    sub = command("init", _cmd_init, "Create an instance (or open it) and print its settings.")
    _add_instance_options(sub)
    sub = command(
        "info", _cmd_info, "Show the instance: database, storage, user, schema revision, counts."
    )
    _add_instance_options(sub)
    sub = command(
        "migrate", _cmd_migrate, "Upgrade an existing instance to the newest schema revision."
    )
    _add_instance_options(sub, storage=False)
    sub = command("ls", _cmd_ls, "Show the newest records of a registry as a table.")
    sub.add_argument("registry", help="registry name: record, ulabel, project, user, …")
    sub.add_argument(
        "--limit", type=_positive_int, default=50, help="number of records (default: 50)"
    )
    sub.add_argument(
        "--all",
        action="store_true",
        help="show every column (default: uid, key or name, version, size, created)",
    )
    _add_instance_options(sub)
    sub = command("search", _cmd_search, "Search a registry; best matches first.")
    sub.add_argument("registry", help="registry name: record, ulabel, project, user, …")
    sub.add_argument("query", help="the search string (typos are tolerated)")
    sub.add_argument(
        "--limit", type=_positive_int, default=20, help="number of matches (default: 20)"
    )
    _add_instance_options(sub)
    sub = command(
        "describe",
        _cmd_describe,
        "Describe the record with this uid: an artifact, collection, run, transform, record, …",
    )
    sub.add_argument(
        "uid", help="the record's uid (an artifact's or transform's stem: its latest version)"
    )
    sub.add_argument(
        "--lineage", action="store_true", help="also show an artifact's or collection's lineage"
    )
    _add_instance_options(sub)
    sub = command("demo", _cmd_demo, "Save, query and search example records (safe to re-run).")
    _add_instance_options(sub)
    sub = command(
        "clean",
        _cmd_clean,
        "Remove what interrupted saves left in the storage (objects no artifact references).",
    )
    sub.add_argument(
        "--min-age",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="only remove objects unchanged this long (default: 3600)",
    )
    sub.add_argument("--dry-run", action="store_true", help="list, remove nothing")
    _add_instance_options(sub)
    return parser


def _version() -> str:
    """The installed version of the lamin-pipes distribution."""
    try:
        return version("lamin-pipes")
    except PackageNotFoundError:
        return "unknown"


def _one_line(error: BaseException) -> str:
    """The error's message on one line."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text or error.__class__.__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lamin-pipes`` with ``argv`` (default: ``sys.argv[1:]``).

    Args:
        argv: The arguments after the program name.

    Returns:
        The exit status: 0 on success, 1 for lamin_pipes errors, 2 for usage errors.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)

    try:
        return int(args.handler(args))
    except LaminPipesError as error:
        print(f"{PROG} {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
