"""Version families of artifacts and transforms, also under concurrent writers."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

import lamin_pipes as ln
from lamin_pipes.errors import InvalidArgument
from lamin_pipes.models._is_versioned import decode_counter, encode_counter
from lamin_pipes.storage import hash_file

WORKERS = Path(__file__).with_name("_artifact_workers.py")
REPO = Path(__file__).resolve().parents[2]


def _df(value: int) -> pd.DataFrame:
    return pd.DataFrame({"v": [value]})


def _counter(record: Any) -> int:
    return decode_counter(record.uid[type(record)._len_stem :])


def _fresh(record: Any) -> Any:
    return type(record).filter(id=record.id, branch_id__in=[1, -1]).one()


# --- families by key and by revises ---------------------------------------------------------


def test_saving_under_a_key_extends_its_family(instance):
    v1 = ln.Artifact(_df(1), key="family/t.parquet").save()
    v2 = ln.Artifact(_df(2), key="family/t.parquet").save()
    v3 = ln.Artifact(_df(3), key="family/t.parquet").save()
    assert v1.uid.endswith("0000") and v2.uid.endswith("0001") and v3.uid.endswith("0002")
    assert v1.stem_uid == v2.stem_uid == v3.stem_uid == v1.uid[:16]
    assert len(v1.stem_uid) == 16
    assert [v.version for v in (v1, v2, v3)] == ["0000", "0001", "0002"]
    assert [_fresh(v).is_latest for v in (v1, v2, v3)] == [False, False, True]
    assert [v.uid for v in v1.versions] == [v1.uid, v2.uid, v3.uid]
    assert [v.uid for v in v3.versions] == [v1.uid, v2.uid, v3.uid]
    assert ln.Artifact.get(v1.stem_uid).id == v3.id
    assert ln.Artifact.get(v1.uid).id == v1.id  # a full uid is that version
    assert ln.Artifact.filter(key="family/t.parquet", is_latest=True).one().id == v3.id
    for version, value in ((v1, 1), (v2, 2), (v3, 3)):
        pd.testing.assert_frame_equal(_fresh(version).load(), _df(value))
    # another key is another family
    other = ln.Artifact(_df(4), key="family/other.parquet").save()
    assert other.stem_uid != v1.stem_uid and other.uid.endswith("0000")
    assert other.is_latest is True and _fresh(v3).is_latest is True


def test_version_counters_do_not_depend_on_the_collation(instance):
    # Counters run 0-9, A-Z, a-z. A language collation (the test databases use ICU
    # en-US, as most servers do) sorts "000a" before "000Z": version 38 used to reuse
    # version 37's uid, and versions came back out of order.
    saved = [ln.Artifact({"n": n}, key="collation/t.json").save() for n in range(45)]
    uids = [a.uid for a in saved]
    assert len(set(uids)) == 45
    assert [_counter(a) for a in saved] == list(range(45))
    assert [v.uid for v in saved[-1].versions] == uids
    assert [v.version for v in saved[0].versions] == [encode_counter(n) for n in range(45)]
    assert ln.Artifact.get(saved[0].stem_uid).id == saved[-1].id
    # the head moves to the newest remaining version, by counter
    saved[-1].delete()
    assert _fresh(saved[-2]).is_latest is True
    # lamindb returns the latest transform while it has no source code: versions differ in it
    transforms = [
        ln.Transform(key="collation.py", kind="script", source_code=f"print({n})").save()
        for n in range(40)
    ]
    assert [_counter(t) for t in transforms] == list(range(40))


def test_revises(instance):
    v1 = ln.Artifact(_df(1), key="rev/t.parquet").save()
    v2 = ln.Artifact(_df(2), revises=v1).save()
    assert v2.key == "rev/t.parquet"
    assert v2.stem_uid == v1.stem_uid and v2.uid.endswith("0001")
    assert _fresh(v1).is_latest is False and v2.is_latest is True
    # families without a key are made by revises alone
    n1 = ln.Artifact(_df(10)).save()
    n2 = ln.Artifact(_df(11), revises=n1).save()
    n3 = ln.Artifact(_df(12), revises=n2).save()
    assert n1.key is None and n3.key is None
    assert n3.stem_uid == n1.stem_uid and [v.version for v in n3.versions] == [
        "0000",
        "0001",
        "0002",
    ]
    assert ln.Artifact.get(n1.stem_uid).id == n3.id
    # unkeyed artifacts without revises are separate families
    lone = ln.Artifact(_df(13)).save()
    assert lone.stem_uid != n1.stem_uid and lone.is_latest is True
    with pytest.raises(InvalidArgument, match="revises"):
        ln.Artifact(_df(14), revises="not an artifact")
    with pytest.raises(InvalidArgument, match=r"[Ss]ave"):
        ln.Artifact(_df(15), revises=ln.Artifact(_df(16))).save()


def test_version_tags(instance):
    v1 = ln.Artifact(_df(1), key="tags/t.parquet", version="1.0").save()
    assert (v1.version_tag, v1.version) == ("1.0", "1.0")
    v2 = ln.Artifact(_df(2), key="tags/t.parquet").save()
    assert v2.version_tag is None and v2.version == "0001"
    with pytest.raises(InvalidArgument, match=r"1\.0"):
        ln.Artifact(_df(3), key="tags/t.parquet", version="1.0").save()
    with pytest.raises(InvalidArgument, match=r"1\.0"):
        ln.Artifact(_df(3), revises=v2, version="1.0").save()
    assert ln.Artifact.filter(key="tags/t.parquet").count() == 2
    assert ln.Artifact.get(v1.stem_uid).id == v2.id
    # the same tag in another family is fine
    other = ln.Artifact(_df(4), key="tags/other.parquet", version="1.0").save()
    assert other.version == "1.0"
    v3 = ln.Artifact(_df(3), key="tags/t.parquet", version_tag="2.0").save()
    assert v3.version == "2.0" and v3.uid.endswith("0002")
    with pytest.raises(InvalidArgument, match="version"):
        ln.Artifact(_df(5), version="a", version_tag="b")


def test_revising_an_old_version_revises_the_head(instance, caplog):
    caplog.set_level(logging.WARNING, logger="lamin_pipes")
    v1 = ln.Artifact(_df(1), key="old/t.parquet").save()
    v2 = ln.Artifact(_df(2), key="old/t.parquet").save()
    caplog.clear()
    v3 = ln.Artifact(_df(3), revises=v1).save()
    assert v3.stem_uid == v1.stem_uid
    assert v3.uid.endswith("0002") and v3.version == "0002"
    assert _fresh(v2).is_latest is False and v3.is_latest is True
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "lamin_pipes" and r.levelno == logging.WARNING
    ]
    assert any(v1.uid in m and "latest" in m for m in warnings), warnings
    assert ln.Artifact.filter(is_latest=True).count() == 1
    # revising the head does not warn
    caplog.clear()
    ln.Artifact(_df(4), revises=v3).save()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_exactly_one_head_is_enforced_by_the_database(instance):
    v1 = ln.Artifact(_df(1), key="db/t.parquet").save()
    ln.Artifact(_df(2), key="db/t.parquet").save()
    table = ln.Artifact.__table__.name
    engine = instance.engine
    with pytest.raises(sa_exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            text(f"UPDATE {table} SET is_latest = :t WHERE id = :id"), {"t": True, "id": v1.id}
        )
    assert ln.Artifact.filter(key="db/t.parquet", is_latest=True).count() == 1


# --- deleting versions -------------------------------------------------------------------


def test_deleting_the_head_promotes_the_newest_remaining(instance):
    v1 = ln.Artifact(_df(1), key="del/t.parquet").save()
    v2 = ln.Artifact(_df(2), key="del/t.parquet").save()
    v3 = ln.Artifact(_df(3), key="del/t.parquet").save()
    v3.delete()  # to the trash
    assert v3.is_latest is False
    assert _fresh(v3).is_latest is False
    assert _fresh(v2).is_latest is True
    assert ln.Artifact.get(v1.stem_uid).id == v2.id
    # a new version continues after the trashed one: uids never repeat
    v4 = ln.Artifact(_df(4), key="del/t.parquet").save()
    assert v4.uid.endswith("0003") and v4.stem_uid == v1.stem_uid
    assert _fresh(v2).is_latest is False
    # restoring a non-head keeps the current head
    v3.restore()
    assert _fresh(v3).is_latest is False and _fresh(v4).is_latest is True
    # permanently deleting the head promotes too
    v4.delete(permanent=True)
    assert _fresh(v3).is_latest is True
    assert ln.Artifact.get(v1.stem_uid).id == v3.id
    # deleting a non-head leaves the head alone
    v1.delete(permanent=True)
    assert _fresh(v3).is_latest is True
    assert ln.Artifact.filter(key="del/t.parquet", is_latest=True).count() == 1


def test_versions_exclude_the_trash(instance):
    """``versions`` is documented as "all versions of this record's family, trash excluded"."""
    v1 = ln.Artifact(_df(1), key="vt/t.parquet").save()
    v2 = ln.Artifact(_df(2), key="vt/t.parquet").save()
    v3 = ln.Artifact(_df(3), key="vt/t.parquet").save()
    v2.delete()
    assert [v.uid for v in v3.versions] == [v1.uid, v3.uid]
    v2.restore()
    assert [v.uid for v in v3.versions] == [v1.uid, v2.uid, v3.uid]


def test_restoring_a_lone_trashed_head_makes_it_latest(instance):
    v1 = ln.Artifact(_df(1), key="restore/t.parquet").save()
    v1.delete()
    assert _fresh(v1).is_latest is False
    v1.restore()
    assert _fresh(v1).is_latest is True
    assert ln.Artifact.get(v1.stem_uid).id == v1.id


def test_restoring_a_head_whose_key_another_family_took_stays_a_non_head(instance):
    old = ln.Artifact(_df(1), key="restore/taken.parquet").save()
    old.delete()  # the family has no head now; the key is free
    new = ln.Artifact(_df(2), key="restore/taken.parquet").save()
    assert new.stem_uid != old.stem_uid

    old.restore()  # the key's one head is taken: a refused UPDATE, recognised as such

    assert _fresh(old).branch_id == 1 and _fresh(old).is_latest is False
    assert _fresh(new).is_latest is True


def test_deleting_every_version_then_saving_the_key_again(instance):
    v1 = ln.Artifact(_df(1), key="again/t.parquet").save()
    v1.delete(permanent=True)
    fresh = ln.Artifact(_df(2), key="again/t.parquet").save()
    assert fresh.is_latest is True and fresh.version == "0000"


# --- transforms ------------------------------------------------------------------------


def test_transform_versions(instance):
    # lamindb: a transform with a key that has a latest version with source code revises
    # it; a version tag that version carries is refused (ValueError "... is taken")
    t1 = ln.Transform(key="pipeline.py", kind="script", source_code="v1").save()
    assert len(t1.uid) == 16 and len(t1.stem_uid) == 12 and t1.uid.endswith("0000")
    t2 = ln.Transform(key="pipeline.py", kind="script", source_code="v2").save()
    assert t2.stem_uid == t1.stem_uid and t2.uid.endswith("0001") and t2.version == "0001"
    assert _fresh(t1).is_latest is False and t2.is_latest is True
    t3 = ln.Transform(revises=t2, kind="script", version="3.0", source_code="v3").save()
    assert t3.key == "pipeline.py" and t3.version == "3.0" and t3.uid.endswith("0002")
    assert [t.uid for t in t1.versions] == [t1.uid, t2.uid, t3.uid]
    assert ln.Transform.get(t1.stem_uid).id == t3.id
    with pytest.raises(InvalidArgument, match=r"3\.0"):
        ln.Transform(key="pipeline.py", version="3.0")
    other = ln.Transform(key="other.py").save()
    assert other.stem_uid != t1.stem_uid and other.is_latest is True
    # tracking a key uses the latest transform of the family
    run = ln.track(key="pipeline.py")
    ln.finish()
    assert run.transform.id == t3.id
    assert ln.Transform.filter(key="pipeline.py").count() == 3


# --- concurrent writers ------------------------------------------------------------------


def _spawn(
    instance: Any, key: str, n: int, n_workers: int, tmp_path: Path, mode: str = "versions"
) -> list[str]:
    ready = tmp_path / "ready"
    ready.mkdir()
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKERS),
                mode,
                instance.db,
                str(instance.storage),
                key,
                str(n),
                f"w{i}",
                str(ready),
                str(go),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(n_workers)
    ]
    try:
        deadline = time.monotonic() + 90
        while len(list(ready.iterdir())) < n_workers:
            failed = [p for p in procs if p.poll() not in (None, 0)]
            if failed or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        go.touch()
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    problems = [
        f"worker {i} exited {p.returncode}:\n{err[-3000:]}"
        for i, (p, (_, err)) in enumerate(zip(procs, outputs, strict=True))
        if p.returncode != 0
    ]
    assert not problems, "\n".join(problems)
    printed = [uid for out, _ in outputs for uid in out.split()]
    if mode == "versions":
        assert len(printed) == n * n_workers
        assert len(set(printed)) == len(printed), "two workers got the same uid"
    return printed


def _check_family(key: str, expected: int) -> None:
    rows = list(ln.Artifact.filter(key=key).order_by("uid"))
    assert len(rows) == expected
    uids = [r.uid for r in rows]
    assert len(set(uids)) == expected
    assert len({r.stem_uid for r in rows}) == 1, "the key split into several families"
    counters = sorted(_counter(r) for r in rows)
    assert counters == list(range(expected)), counters
    heads = [r for r in rows if r.is_latest]
    assert len(heads) == 1, [r.uid for r in heads]
    assert _counter(heads[0]) == expected - 1
    assert ln.Artifact.get(rows[0].stem_uid).id == heads[0].id
    for row in rows:
        path = Path(row.path)
        assert path.exists(), f"{row.uid}: {path} is missing"
        assert hash_file(path).hash == row.hash


def test_parallel_processes_add_versions(instance, tmp_path):
    key = "parallel/t.parquet"
    initial = ln.Artifact(_df(0), key=key).save()
    _spawn(instance, key, n=10, n_workers=4, tmp_path=tmp_path)
    _check_family(key, expected=41)
    assert ln.Artifact.get(initial.id).stem_uid == initial.stem_uid
    assert ln.Artifact.get(initial.id).uid.endswith("0000")
    pd.testing.assert_frame_equal(ln.Artifact.get(initial.id).load(), _df(0))
    written = {
        (f["worker"][0], int(f["i"][0]))
        for f in (r.load() for r in ln.Artifact.filter(key=key))
        if "worker" in f
    }
    assert written == {(f"w{w}", i) for w in range(4) for i in range(10)}, "a version was lost"
    staging = Path(instance.storage) / ".lamindb" / "_staging"
    assert not staging.exists() or list(staging.iterdir()) == []


def test_parallel_processes_create_the_first_version(instance, tmp_path):
    key = "parallel/new.parquet"
    _spawn(instance, key, n=1, n_workers=4, tmp_path=tmp_path)
    _check_family(key, expected=4)
    written = {f["worker"][0] for f in (r.load() for r in ln.Artifact.filter(key=key))}
    assert written == {f"w{w}" for w in range(4)}
    assert ln.Storage.filter().count() == 1


def test_get_by_lookups_returns_the_latest_version(instance):
    first = ln.Artifact({"v": 1}, key="get/latest.json").save()
    second = ln.Artifact({"v": 2}, key="get/latest.json").save()
    assert ln.Artifact.get(key="get/latest.json") == second
    assert ln.Artifact.get(key="get/latest.json", is_latest=False) == first
    second.delete()
    assert ln.Artifact.get(key="get/latest.json") == first
    first.delete()  # no version left on the main branch: the newest match
    with pytest.raises(ln.Artifact.DoesNotExist):
        ln.Artifact.get(key="get/latest.json")


def test_queryset_delete_keeps_heads_and_removes_files(instance):
    versions = [ln.Artifact({"v": i}, key="qs/delete.json").save() for i in range(3)]
    paths = [Path(a.path) for a in versions]
    ln.Artifact.filter(uid=versions[2].uid).delete()
    versions[1].refresh_from_db()
    assert versions[1].is_latest
    ln.Artifact.filter(key="qs/delete.json").delete(permanent=True)
    assert not any(p.exists() for p in paths[:2])
    assert ln.Artifact.objects.filter(key="qs/delete.json").count() == 1  # the trashed one


def test_deleting_the_latest_transform_promotes_the_previous(instance):
    first = ln.Transform(key="t-delete.py", source_code="1").save()
    second = ln.Transform(key="t-delete.py", source_code="2").save()
    second.delete()
    first.refresh_from_db()
    assert first.is_latest and not second.is_latest
    ln.Transform.filter(key="t-delete.py").delete()
    first.refresh_from_db()
    assert not first.is_latest and first.branch_id == -1


def test_parallel_saves_of_the_same_content_return_one_artifact(instance, tmp_path):
    uids = _spawn(instance, "same", n=1, n_workers=4, tmp_path=tmp_path, mode="same-content")
    assert len(uids) == 4
    assert len(set(uids)) == 1, f"concurrent saves of one content made {set(uids)}"
    [artifact] = ln.Artifact.filter(key__startswith="same/").to_list()
    assert artifact.uid == uids[0]
    staging = Path(instance.storage) / ".lamindb" / "_staging"
    assert not staging.exists() or list(staging.iterdir()) == []


def test_threads_save_versions_and_shared_content(instance):
    import threading
    import traceback

    errors: list[str] = []

    def work(worker: int) -> None:
        try:
            for i in range(5):
                frame = pd.DataFrame({"worker": [worker], "i": [i]})
                ln.Artifact(frame, key="threads/v.parquet").save()
            with ln.flow(key=f"thread-{worker}"):
                shared = pd.DataFrame({"same": [1, 2]})
                ln.Artifact(shared, key=f"threads/same-{worker}.parquet").save()
        except Exception:
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [], errors[0]
    _check_family("threads/v.parquet", expected=20)
    [shared] = ln.Artifact.filter(key__startswith="threads/same-").to_list()
    # the first thread's run created it; the others re-created it
    assert shared.recreating_runs.count() == 3


def test_a_refused_row_is_not_retried_unless_it_lost_a_version_race(instance):
    # The old test searched the driver's message for "uid" or "_latest"; PostgreSQL
    # quotes the failing row, so a key holding those words made a NOT NULL refusal
    # look like a lost race, retried 50 times. Real refusals of both kinds, classified:
    from sqlalchemy import exc as sa_exc
    from sqlalchemy import insert

    from lamin_pipes.models._is_versioned import is_version_conflict

    existing = ln.Artifact({"n": 1}, key="uid_latest/a.json").save()
    table = ln.Artifact.__table__
    row = {c.key: getattr(existing, c.key) for c in table.columns if c.key != "id"}

    def refusal(**changes):
        with pytest.raises(sa_exc.IntegrityError) as caught, instance.engine.begin() as conn:
            conn.execute(insert(table).values(**{**row, **changes}))
        return caught.value

    same_uid = refusal(is_latest=False)
    second_head = refusal(uid=existing.stem_uid + "0001")
    no_suffix = refusal(uid=existing.stem_uid + "0002", is_latest=False, suffix=None)
    no_run = refusal(uid=existing.stem_uid + "0003", is_latest=False, run_id=10**9)

    assert is_version_conflict(same_uid, ln.Artifact)
    assert is_version_conflict(second_head, ln.Artifact)
    assert not is_version_conflict(no_suffix, ln.Artifact)
    assert not is_version_conflict(no_run, ln.Artifact)


def test_version_counter_and_the_revised_object_in_memory(instance):
    # lamindb: t.version is "0000", the next "0001"; after Transform(revises=t).save()
    # the passed t says is_latest=False without a reload
    t1 = ln.Transform(key="versions.py").save()
    t2 = ln.Transform(key="versions.py", revises=t1)
    t2.save()
    assert (t1.version, t2.version) == ("0000", "0001")
    assert t1.is_latest is False and t2.is_latest is True
    t3 = ln.Transform(key="versions.py", revises=t2, version="v3").save()
    assert t3.version == "v3" and t2.is_latest is False


def test_transform_from_path(instance, tmp_path):
    # lamindb: Transform.from_path(path) infers key (file name) and kind (script, or
    # notebook for .ipynb/.Rmd/.qmd); the same source returns the saved transform,
    # changed source makes the next version
    script = tmp_path / "prep.py"
    script.write_text("print(1)")
    first = ln.Transform.from_path(script, description="prepare")
    assert (first.key, first.kind, first.description) == ("prep.py", "script", "prepare")
    assert ln.Transform.from_path(script) == first
    script.write_text("print(2)")
    second = ln.Transform.from_path(script)
    assert second.stem_uid == first.stem_uid and second.version == "0001"
    assert second.source_code == "print(2)"
    notebook = tmp_path / "explore.ipynb"
    notebook.write_text("{}")
    assert ln.Transform.from_path(notebook, key="nb/explore.ipynb").kind == "notebook"
    again = ln.Transform.from_path(script, skip_hash_lookup=True)
    assert again.id != second.id and again.stem_uid == first.stem_uid
    with pytest.raises(InvalidArgument, match="path of a file"):
        ln.Transform.from_path(tmp_path)


def test_transform_predecessors_and_successors(instance):
    # lamindb: Transform.predecessors is a many-to-many to other transforms, with the
    # reverse accessor successors; set by hand
    ingest = ln.Transform(key="ingest.py").save()
    clean = ln.Transform(key="clean.py").save()
    train = ln.Transform(key="train.py").save()
    clean.predecessors.add(ingest)
    train.predecessors.add(clean, ingest)
    assert clean.predecessors.to_list() == [ingest]
    assert sorted(t.key for t in ingest.successors.all()) == ["clean.py", "train.py"]
    assert ln.Transform.filter(predecessors__key="clean.py").to_list() == [train]


def test_a_version_tag_the_revised_record_carries_is_refused_at_construction(instance):
    # lamindb (process_revises): ValueError "... '<tag>' is already taken"
    t1 = ln.Transform(key="tagged.py", version="1.0").save()
    with pytest.raises(InvalidArgument, match=r"'1\.0' is taken"):
        ln.Transform(key="tagged.py", revises=t1, version="1.0")
    a1 = ln.Artifact({"v": 1}, key="tagged.json", version="1.0").save()
    with pytest.raises(InvalidArgument, match=r"'1\.0' is taken"):
        ln.Artifact({"v": 2}, revises=a1, version="1.0")
    c1 = ln.Collection([a1], key="tagged", version="1.0").save()
    with pytest.raises(InvalidArgument, match=r"'1\.0' is taken"):
        ln.Collection([a1], revises=c1, version="1.0", skip_hash_lookup=True)
    assert ln.Transform(key="tagged.py", revises=t1, version="2.0").version == "2.0"
