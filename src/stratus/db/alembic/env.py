"""Alembic environment: runs on the connection handed over by ``stratus.db.migrate``."""

from typing import Any

from alembic import context

from stratus.db.base import Base, JSONType, UTCDateTime


def _render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our portable types as their plain SQL types, so migrations import nothing of ours."""
    if kind == "type" and isinstance(obj, JSONType):
        return "sa.Text()"
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through stratus.db.migrate (stratus db upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    render_item=_render_item,
)
with context.begin_transaction():
    context.run_migrations()
