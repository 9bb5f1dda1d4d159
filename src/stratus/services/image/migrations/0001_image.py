"""image tables

Revision ID: image_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "image_0001"
down_revision = None
branch_labels = ("image",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "image_images",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), index=True),
        sa.Column("status", sa.String(30), nullable=False, index=True),
        sa.Column("visibility", sa.String(20), nullable=False, index=True),
        sa.Column("owner", sa.String(255), index=True),
        sa.Column("protected", sa.Boolean, nullable=False),
        sa.Column("os_hidden", sa.Boolean, nullable=False),
        sa.Column("disk_format", sa.String(20)),
        sa.Column("container_format", sa.String(20)),
        sa.Column("min_disk", sa.Integer, nullable=False),
        sa.Column("min_ram", sa.Integer, nullable=False),
        sa.Column("size", sa.BigInteger),
        sa.Column("virtual_size", sa.BigInteger),
        sa.Column("checksum", sa.String(32)),
        sa.Column("os_hash_algo", sa.String(64)),
        sa.Column("os_hash_value", sa.String(128)),
        sa.Column("store", sa.String(64)),
        sa.Column("location", sa.Text),
        sa.Column("staged", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column("updated_at", sa.DateTime, nullable=False, index=True),
    )
    op.create_table(
        "image_properties",
        sa.Column(
            "image_id",
            sa.String(36),
            sa.ForeignKey("image_images.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_index("ix_image_properties_name_value", "image_properties", ["name"])
    op.create_table(
        "image_tags",
        sa.Column(
            "image_id",
            sa.String(36),
            sa.ForeignKey("image_images.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("value", sa.String(255), primary_key=True, index=True),
    )
    op.create_table(
        "image_members",
        sa.Column(
            "image_id",
            sa.String(36),
            sa.ForeignKey("image_images.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("member", sa.String(255), primary_key=True, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("image_members")
    op.drop_table("image_tags")
    op.drop_table("image_properties")
    op.drop_table("image_images")
