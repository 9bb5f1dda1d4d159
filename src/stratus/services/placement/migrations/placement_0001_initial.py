"""placement tables

Revision ID: placement_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "placement_0001"
down_revision = None
branch_labels = ("placement",)
depends_on = None


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "placement_resource_providers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("root_provider_id", sa.Integer, nullable=True),
        sa.Column(
            "parent_provider_id",
            sa.Integer,
            sa.ForeignKey(
                "placement_resource_providers.id",
                name="fk_placement_resource_providers_parent_provider_id",
            ),
            nullable=True,
        ),
        *_stamps(),
        sa.UniqueConstraint("uuid", name="uq_placement_resource_providers_uuid"),
        sa.UniqueConstraint("name", name="uq_placement_resource_providers_name"),
    )
    op.create_index(
        "ix_placement_resource_providers_root_provider_id",
        "placement_resource_providers",
        ["root_provider_id"],
    )
    op.create_index(
        "ix_placement_resource_providers_parent_provider_id",
        "placement_resource_providers",
        ["parent_provider_id"],
    )
    for table in ("placement_resource_classes", "placement_traits"):
        op.create_table(
            table,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("name", sa.String(255), nullable=False),
            *_stamps(),
            sa.UniqueConstraint("name", name=f"uq_{table}_name"),
        )
    op.create_table(
        "placement_inventories",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "resource_provider_id",
            sa.Integer,
            sa.ForeignKey("placement_resource_providers.id"),
            nullable=False,
        ),
        sa.Column(
            "resource_class_id",
            sa.Integer,
            sa.ForeignKey("placement_resource_classes.id"),
            nullable=False,
        ),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("reserved", sa.BigInteger, nullable=False),
        sa.Column("min_unit", sa.BigInteger, nullable=False),
        sa.Column("max_unit", sa.BigInteger, nullable=False),
        sa.Column("step_size", sa.BigInteger, nullable=False),
        sa.Column("allocation_ratio", sa.Float, nullable=False),
        *_stamps(),
        sa.UniqueConstraint(
            "resource_provider_id",
            "resource_class_id",
            name="uq_placement_inventories_resource_provider_id_resource_class_id",
        ),
    )
    op.create_index(
        "ix_placement_inventories_resource_class_id",
        "placement_inventories",
        ["resource_class_id"],
    )
    op.create_table(
        "placement_consumer_types",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", name="uq_placement_consumer_types_name"),
    )
    op.create_table(
        "placement_consumers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column(
            "consumer_type_id",
            sa.Integer,
            sa.ForeignKey("placement_consumer_types.id"),
            nullable=True,
        ),
        *_stamps(),
        sa.UniqueConstraint("uuid", name="uq_placement_consumers_uuid"),
    )
    op.create_index("ix_placement_consumers_project_id", "placement_consumers", ["project_id"])
    op.create_table(
        "placement_allocations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "resource_provider_id",
            sa.Integer,
            sa.ForeignKey("placement_resource_providers.id"),
            nullable=False,
        ),
        sa.Column("consumer_id", sa.String(36), nullable=False),
        sa.Column(
            "resource_class_id",
            sa.Integer,
            sa.ForeignKey("placement_resource_classes.id"),
            nullable=False,
        ),
        sa.Column("used", sa.BigInteger, nullable=False),
        *_stamps(),
    )
    op.create_index(
        "ix_placement_allocations_consumer_id", "placement_allocations", ["consumer_id"]
    )
    op.create_index(
        "ix_placement_allocations_rp_rc",
        "placement_allocations",
        ["resource_provider_id", "resource_class_id"],
    )
    op.create_table(
        "placement_provider_traits",
        sa.Column(
            "resource_provider_id",
            sa.Integer,
            sa.ForeignKey("placement_resource_providers.id"),
            primary_key=True,
        ),
        sa.Column("trait_id", sa.Integer, sa.ForeignKey("placement_traits.id"), primary_key=True),
    )
    op.create_index(
        "ix_placement_provider_traits_trait_id", "placement_provider_traits", ["trait_id"]
    )
    op.create_table(
        "placement_provider_aggregates",
        sa.Column(
            "resource_provider_id",
            sa.Integer,
            sa.ForeignKey("placement_resource_providers.id"),
            primary_key=True,
        ),
        sa.Column("aggregate_uuid", sa.String(36), primary_key=True),
        sa.Column("ordinal", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index(
        "ix_placement_provider_aggregates_aggregate_uuid",
        "placement_provider_aggregates",
        ["aggregate_uuid"],
    )


def downgrade() -> None:
    for table in (
        "placement_provider_aggregates",
        "placement_provider_traits",
        "placement_allocations",
        "placement_consumers",
        "placement_consumer_types",
        "placement_inventories",
        "placement_traits",
        "placement_resource_classes",
        "placement_resource_providers",
    ):
        op.drop_table(table)
