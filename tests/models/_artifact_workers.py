"""Child processes for the artifact tests: run as ``python _artifact_workers.py MODE ...``.

Not a test module (pytest collects ``test_*.py`` only). Every mode connects with
``ln.connect(db, storage)`` like a separate pipeline process would.

Modes:

``versions DB STORAGE KEY N WORKER READY_DIR GO_FILE``
    Save ``N`` artifacts with distinct content under ``KEY`` (each a new version of
    the family). Before the first save the worker touches ``READY_DIR/WORKER`` and waits
    for ``GO_FILE`` so that all workers start saving at the same moment.

``same-content DB STORAGE KEY N WORKER READY_DIR GO_FILE``
    Like ``versions``, but every worker saves the same DataFrame under its own key
    ``KEY/WORKER.parquet`` (``N`` is ignored): concurrent dedup.

``crash-after-move DB STORAGE KEY [KIND]``
    Save an artifact (``KIND`` ``frame``, the default: a DataFrame; ``folder``: a
    directory of two files) but exit (``os._exit``) right after its content was moved
    onto its final name, before the transaction commits.

``crash-while-staging DB STORAGE KEY``
    Save an artifact but exit while its content is being written to the staging area.

``shared-crash-before-settle DB STORAGE KEY VALUE``
    Save ``{"value": VALUE}`` as a new version of the family under ``KEY`` that shares
    one stored object (``overwrite_versions=True``), and exit right after the row was
    committed, before its content moved onto the shared object.

``shared-crash-after-move DB STORAGE KEY VALUE``
    Like the previous mode, but exit right after the content moved onto the shared
    object, before the transaction that records it committed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

CRASH_EXIT_CODE = 17


def _wait_for(go_file: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not go_file.exists():
        if time.monotonic() > deadline:
            msg = f"{go_file} did not appear within {timeout}s"
            raise TimeoutError(msg)
        time.sleep(0.005)


def save_versions(
    db: str, storage: str, key: str, n: int, worker: str, ready_dir: str, go_file: str
) -> None:
    import pandas as pd

    import lamin_pipes as ln

    ln.connect(db, storage)
    ln.Storage.default()  # warm up imports and connections before the start signal
    frames = [pd.DataFrame({"worker": [worker], "i": [i]}) for i in range(n)]
    (Path(ready_dir) / worker).touch()
    _wait_for(Path(go_file))
    for frame in frames:
        artifact = ln.Artifact(frame, key=key).save()
        print(artifact.uid, flush=True)


def save_same_content(
    db: str, storage: str, key: str, worker: str, ready_dir: str, go_file: str
) -> None:
    import pandas as pd

    import lamin_pipes as ln

    ln.connect(db, storage)
    ln.Storage.default()
    frame = pd.DataFrame({"shared": [1, 2, 3]})
    (Path(ready_dir) / worker).touch()
    _wait_for(Path(go_file))
    artifact = ln.Artifact(frame, key=f"{key}/{worker}.parquet").save()
    print(artifact.uid, flush=True)


def _sample():
    import pandas as pd

    return pd.DataFrame({"crash": [1, 2, 3], "text": ["a", "b", "c"]})


def _sample_folder() -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="lp_crash_")) / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("crash folder a")
    (folder / "sub" / "b.txt").write_text("crash folder b")
    return folder


def crash_after_move(db: str, storage: str, key: str, kind: str = "frame") -> None:
    import lamin_pipes as ln
    from lamin_pipes.models import _artifact_save

    ln.connect(db, storage)
    real_move = _artifact_save.move

    def move_then_die(store, src, dst, **kwargs):
        real_move(store, src, dst, **kwargs)
        if not src.startswith(".lamindb/_staging"):
            return  # a move back: not the crash point
        print(f"moved {src} -> {dst}", flush=True)
        os._exit(CRASH_EXIT_CODE)

    _artifact_save.move = move_then_die
    # A folder without a shared object (folders share one by default, as in lamindb).
    data = _sample_folder() if kind == "folder" else _sample()
    ln.Artifact(data, key=key, overwrite_versions=False).save()
    print("saved without crashing", flush=True)


def crash_while_staging(db: str, storage: str, key: str) -> None:
    import lamin_pipes as ln
    from lamin_pipes.storage import _serializers

    ln.connect(db, storage)
    real_save = _serializers.save

    def write_half_then_die(obj, path, format=None):
        real_save(obj, path, format)
        target = Path(path)
        data = target.read_bytes()
        target.write_bytes(data[: len(data) // 2])  # a half-written file
        print(f"staged {target}", flush=True)
        os._exit(CRASH_EXIT_CODE)

    _serializers.save = write_half_then_die
    ln.Artifact(_sample(), key=key).save()
    print("saved without crashing", flush=True)


def shared_crash(db: str, storage: str, key: str, value: str, when: str) -> None:
    import lamin_pipes as ln
    from lamin_pipes.models import _artifact_save, _shared_content

    ln.connect(db, storage)
    if when == "before-settle":

        def die(*args, **kwargs):
            print("committed, not settled", flush=True)
            os._exit(CRASH_EXIT_CODE)

        _artifact_save.settle = die
    else:
        real_move = _shared_content.move

        def move_then_die(store, src, dst, **kwargs):
            real_move(store, src, dst, **kwargs)
            print(f"moved {src} -> {dst}", flush=True)
            os._exit(CRASH_EXIT_CODE)

        _shared_content.move = move_then_die
    ln.Artifact({"value": value}, key=key, overwrite_versions=True).save()
    print("saved without crashing", flush=True)


def main(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "versions":
        db, storage, key, n, worker, ready_dir, go_file = args
        save_versions(db, storage, key, int(n), worker, ready_dir, go_file)
    elif mode == "same-content":
        db, storage, key, _, worker, ready_dir, go_file = args
        save_same_content(db, storage, key, worker, ready_dir, go_file)
    elif mode == "crash-after-move":
        crash_after_move(*args)
    elif mode == "crash-while-staging":
        crash_while_staging(*args)
    elif mode in ("shared-crash-before-settle", "shared-crash-after-move"):
        shared_crash(*args, when=mode.removeprefix("shared-crash-"))
    else:
        msg = f"unknown mode {mode!r}"
        raise SystemExit(msg)


if __name__ == "__main__":
    main(sys.argv[1:])
