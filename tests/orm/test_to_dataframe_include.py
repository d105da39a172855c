"""``to_dataframe(include=...)`` frames have lamindb's columns.

lamindb 2.12 (``get_basic_field_names`` and ``process_cols_from_include`` in
``query_set.py``, checked against an instance): with ``include``, the frame keeps only
``uid``, the ``id`` index and the first field after them (``name``, ``key``, ``root``,
``handle``), followed by the included paths:
``ln.Record.to_dataframe(include=["type__name"])`` has the columns
``['uid', 'name', 'type__name']``, ``ln.ULabel.to_dataframe(include=["created_by__handle",
"description"])`` ``['uid', 'name', 'created_by__handle', 'description']``. Without
``include`` (or with only ``"privates"``) every field is a column.
"""

from __future__ import annotations

import lamin_pipes as ln


def test_included_columns_follow_uid_and_name(instance):
    samples = ln.Record(name="Samples", is_type=True).save()
    s1 = ln.Record(name="s1", type=samples, description="first").save()
    df = ln.Record.to_dataframe(include=["type__name"])
    assert list(df.columns) == ["uid", "name", "type__name"] and df.index.name == "id"
    assert df.loc[s1.id, "type__name"] == "Samples"
    df = ln.Record.filter().to_dataframe(include=["description", "created_by__handle"])
    assert list(df.columns) == ["uid", "name", "description", "created_by__handle"]
    assert df.loc[s1.id, "description"] == "first"
    df = ln.ULabel.to_dataframe(include=["created_by__handle", "description"])
    assert list(df.columns) == ["uid", "name", "created_by__handle", "description"]


def test_the_first_field_is_the_registrys_own(instance):
    ln.Transform(key="frame.py").save()
    assert list(ln.Transform.to_dataframe(include="created_by__handle").columns) == [
        "uid",
        "key",
        "created_by__handle",
    ]
    assert list(ln.User.to_dataframe(include="name").columns) == ["uid", "handle", "name"]
    assert list(ln.Storage.to_dataframe(include=["type"]).columns) == ["uid", "root", "type"]


def test_without_include_every_field_is_a_column(instance):
    ln.Record(name="plain").save()
    columns = list(ln.Record.to_dataframe().columns)
    assert columns[:2] == ["uid", "name"] and "description" in columns
    assert "_aux" in ln.Record.to_dataframe(include="privates").columns
    # an included field that is a column already is not repeated
    assert list(ln.Record.to_dataframe(include=["name", "uid"]).columns) == ["uid", "name"]
