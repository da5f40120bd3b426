"""Alembic environment: runs on the connection store.migrate hands it."""

from alembic import context

from store.postgres import is_event_partition
from store.search_index import is_search_table
from store.tables import metadata


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """The search index (FTS5, made by hand in 0002) and the events' monthly partitions
    (PostgreSQL, 0009) are not in the metadata: leave them be."""
    return not (type_ == "table" and name and (is_search_table(name)
                                               or is_event_partition(name)))


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through store.migrate, which supplies a connection")

# store.migrate passes a callback to hear of each revision as it is applied (progress)
on_version_apply = context.config.attributes.get("on_version_apply")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
    include_name=include_name,
    **({"on_version_apply": on_version_apply} if on_version_apply is not None else {}),
)
with context.begin_transaction():
    context.run_migrations()
