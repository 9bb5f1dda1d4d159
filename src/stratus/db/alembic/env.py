"""Alembic environment: runs on the connection handed over by ``stratus.db.migrate``."""

from typing import Any

from alembic import context

from stratus.db.base import Base, JSONType, UTCDateTime


def _render_item(kind: str, obj: Any, autogen_context: Any) -> Any:
    """Render our portable types as their plain SQL types, so migrations import nothing of ours."""
    if kind == "type" and isinstance(obj, JSONType):
        return "sa.Text()"
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through stratus.db.migrate (stratus db upgrade)")

_prefix = context.config.attributes.get("table_prefix")


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """When autogenerating for one component, look only at that component's tables."""
    if _prefix is None or type_ != "table":
        return True
    return bool(name and name.startswith(_prefix))


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    render_item=_render_item,
    include_object=_include_object,
)
with context.begin_transaction():
    context.run_migrations()
