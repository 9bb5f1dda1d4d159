"""image metadata definitions (metadefs)

Revision ID: image_0002
Revises: image_0001
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "image_0002"
down_revision = "image_0001"
branch_labels = None
depends_on = None

# The resource types Glance ships with its metadefs.
RESOURCE_TYPES = (
    "OS::Glance::Image",
    "OS::Cinder::Volume",
    "OS::Nova::Flavor",
    "OS::Nova::Aggregate",
    "OS::Nova::Server",
    "OS::Trove::Instance",
    "OS::Glance::Metadef",
)


def upgrade() -> None:
    op.create_table(
        "image_metadef_namespaces",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("namespace", sa.String(80), nullable=False, unique=True),
        sa.Column("display_name", sa.String(80)),
        sa.Column("description", sa.Text),
        sa.Column("visibility", sa.String(32), nullable=False),
        sa.Column("protected", sa.Boolean, nullable=False),
        sa.Column("owner", sa.String(255)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "image_metadef_items",
        sa.Column(
            "namespace_id",
            sa.Integer,
            sa.ForeignKey("image_metadef_namespaces.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    types = op.create_table(
        "image_metadef_resource_types",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("protected", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    op.bulk_insert(
        types,
        [
            {"name": name, "protected": True, "created_at": now, "updated_at": now}
            for name in RESOURCE_TYPES
        ],
    )


def downgrade() -> None:
    op.drop_table("image_metadef_resource_types")
    op.drop_table("image_metadef_items")
    op.drop_table("image_metadef_namespaces")
