"""Alembic environment: runs on the connection lamin_pipes hands over."""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes["connection"]
# Only autogenerate needs the models' metadata; upgrades run the scripts alone.
target_metadata = config.attributes.get("target_metadata")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
