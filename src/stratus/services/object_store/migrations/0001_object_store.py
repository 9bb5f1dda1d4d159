"""object storage tables

Revision ID: object_store_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "object_store_0001"
down_revision = None
branch_labels = ("object_store",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "objstore_accounts",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("meta", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "objstore_containers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(255), nullable=False, index=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("meta", sa.Text, nullable=False),
        sa.Column("object_count", sa.BigInteger, nullable=False),
        sa.Column("bytes_used", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("account", "name", name="uq_objstore_containers_account"),
    )
    op.create_table(
        "objstore_objects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "container_id",
            sa.Integer,
            sa.ForeignKey("objstore_containers.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(256), nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("meta", sa.Text, nullable=False),
        sa.Column("blob", sa.String(64)),
        sa.Column("slo", sa.Text),
        sa.Column("delete_at", sa.Float, index=True),
        sa.UniqueConstraint("container_id", "name", name="uq_objstore_objects_container_id"),
    )


def downgrade() -> None:
    op.drop_table("objstore_objects")
    op.drop_table("objstore_containers")
    op.drop_table("objstore_accounts")
