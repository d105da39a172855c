"""The registry engine: lamindb's Django-style registry API on SQLAlchemy 2.

This package knows no concrete registry. It turns field specifications into tables
(:mod:`~lamin_pipes.orm.fields`, the ``Registry`` metaclass in ``_registry``), keeps
each registry's ``_meta`` (``_options``), compiles Django-style lookups and ``Q``
objects (``_query_compiler``), and runs queries and writes (``query_set``,
``query_manager``, ``save``, ``_query_writes``, ``_to_dataframe``). The record base
classes ``BaseSQLRecord`` and ``SQLRecord`` live in ``sqlrecord``.

Modules import downward only, roughly in this order from the bottom: ``fields``,
``_catalog``, ``_options``, ``_indexes``, ``_user_tables``, ``_records``, ``_loading``,
``_query_compiler``, ``save``, ``_query_writes``, ``_to_dataframe``, ``query_set``,
``query_manager``, ``_relations``, ``_registry``, ``sqlrecord``, ``query_db``.

Where a query set offers behaviour that the registries implement (search, lookup,
curation), it calls the functions :mod:`lamin_pipes.models` registered in
``_extensions``; it never imports that package.
"""
