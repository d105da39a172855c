"""``ln.Transform(...)`` returns a saved transform where lamindb does.

lamindb 2.12 (``Transform.__init__``, checked against an instance):

- the latest transform with the key (outside the trash) has no source code: that
  transform comes back ("no source code was yet saved, returning existing transform with
  same key"), whatever ``version``/``kind``/``source_code`` are passed; only a differing
  ``description`` is set on it (with a warning);
- otherwise that latest version is revised: a ``version`` it carries raises ValueError
  ("... '1.0' is already taken"), else ``save()`` makes the next version;
- ``source_code`` whose hash a latest version has (any key) returns that version, with a
  warning when the key differs; ``skip_hash_lookup=True`` makes a new one;
- a ``version`` an older version of the key carries returns that version ("returning
  transform with same key and version"). lamindb 2.12 means to return it but then fails
  with an AttributeError on ``revises``; here the version is returned;
- ``ln.settings.creation.search_names = False`` does not stop the key look-up;
- ``uid`` of the latest version returns it.
"""

from __future__ import annotations

import logging

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import InvalidArgument


def test_a_key_without_source_code_returns_the_transform(instance, caplog):
    saved = ln.Transform(key="draft.py").save()
    caplog.set_level(logging.INFO, logger="lamin_pipes")
    again = ln.Transform(key="draft.py", kind="script", version="2.0", description="new")
    assert again == saved and again.id == saved.id and again.uid == saved.uid
    assert "no source code was yet saved, returning existing transform" in caplog.text
    assert "updated description of Transform from None to 'new'" in caplog.text
    assert (again.kind, again.version_tag) == ("pipeline", None)  # lamindb ignores both
    again.save()
    assert ln.Transform.filter(key="draft.py").count() == 1
    assert ln.Transform.get(key="draft.py").description == "new"
    # also with source code: lamindb returns the transform without setting it
    assert ln.Transform(key="draft.py", source_code="print(1)").source_code is None
    # a returned transform is saved: it can be run at once
    assert ln.Run(ln.Transform(key="draft.py")).save().transform == saved


def test_a_key_with_source_code_makes_the_next_version(instance):
    v1 = ln.Transform(key="clean.py", source_code="print(1)").save()
    new = ln.Transform(key="clean.py", source_code="print(2)")
    assert new.id is None
    v2 = new.save()
    assert v2.stem_uid == v1.stem_uid and v2.version == "0001"
    # without source code too; the next constructions then return that version
    v3 = ln.Transform(key="clean.py").save()
    assert v3.version == "0002" and ln.Transform(key="clean.py") == v3


def test_the_version_of_the_latest_is_refused(instance):
    ln.Transform(key="tagged.py", source_code="print(1)", version="1.0").save()
    with pytest.raises(InvalidArgument, match=r"Version '1\.0' is taken by the revised"):
        ln.Transform(key="tagged.py", version="1.0")


def test_an_older_version_tag_returns_that_version(instance, caplog):
    v1 = ln.Transform(key="old.py", source_code="print(1)", version="1.0").save()
    ln.Transform(key="old.py", source_code="print(2)", version="2.0").save()
    caplog.set_level(logging.INFO, logger="lamin_pipes")
    assert ln.Transform(key="old.py", version="1.0") == v1
    assert "returning transform with same key and version: 'old.py'" in caplog.text


def test_the_same_source_code_returns_the_transform(instance, caplog):
    saved = ln.Transform(key="prep.py", source_code="print('prep')").save()
    assert ln.Transform(key="prep.py", source_code="print('prep')") == saved
    caplog.set_level(logging.WARNING, logger="lamin_pipes")
    elsewhere = ln.Transform(key="copy.py", source_code="print('prep')")
    assert elsewhere == saved and elsewhere.key == "prep.py"
    assert "differs from passed key 'copy.py'" in caplog.text
    fresh = ln.Transform(key="copy.py", source_code="print('prep')", skip_hash_lookup=True)
    assert fresh.id is None
    assert fresh.save().key == "copy.py" and fresh.hash == saved.hash


def test_the_trash_and_the_opt_outs(instance):
    draft = ln.Transform(key="trashed.py").save()
    with_tag = ln.Transform(key="tags.py", source_code="1", version="1.0").save()
    ln.Transform(key="tags.py", source_code="2").save()
    ln.settings.creation.search_names = False
    try:
        assert ln.Transform(key="trashed.py") == draft  # lamindb looks up the key anyway
        assert ln.Transform(key="tags.py", version="1.0").id is None
    finally:
        ln.settings.creation.search_names = True
    assert ln.Transform(key="tags.py", version="1.0") == with_tag
    assert ln.Transform(key="trashed.py", _search_names=False).id is None
    draft.delete()
    assert ln.Transform(key="trashed.py").id is None


def test_the_uid_of_the_latest_version_returns_it(instance):
    saved = ln.Transform(key="by-uid.py", source_code="x").save()
    assert ln.Transform(uid=saved.uid, key="by-uid.py") == saved
