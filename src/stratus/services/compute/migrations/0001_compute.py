"""compute tables: flavors, access, keypairs, services, nodes, instances, actions

Revision ID: compute_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "compute_0001"
down_revision = None
branch_labels = ("compute",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compute_flavors",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("flavorid", sa.String(255), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("memory_mb", sa.Integer, nullable=False),
        sa.Column("vcpus", sa.Integer, nullable=False),
        sa.Column("root_gb", sa.Integer, nullable=False),
        sa.Column("ephemeral_gb", sa.Integer, nullable=False),
        sa.Column("swap", sa.Integer, nullable=False),
        sa.Column("rxtx_factor", sa.Float, nullable=False),
        sa.Column("is_public", sa.Boolean, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("extra_specs", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "compute_instance_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("instance_uuid", sa.String(36), nullable=False, index=True),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("request_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("project_id", sa.String(255), nullable=True),
        sa.Column("message", sa.String(255), nullable=True),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("start_time", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "compute_instances",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("display_name", sa.String(255), nullable=False, index=True),
        sa.Column("display_description", sa.Text, nullable=True),
        sa.Column("project_id", sa.String(255), nullable=False, index=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("host", sa.String(255), nullable=True, index=True),
        sa.Column("node", sa.String(255), nullable=True),
        sa.Column("vm_state", sa.String(32), nullable=False),
        sa.Column("task_state", sa.String(32), nullable=True),
        sa.Column("power_state", sa.Integer, nullable=False),
        sa.Column("flavor", sa.Text, nullable=False),
        sa.Column("vcpus", sa.Integer, nullable=False),
        sa.Column("memory_mb", sa.Integer, nullable=False),
        sa.Column("image_ref", sa.String(255), nullable=False),
        sa.Column("key_name", sa.String(255), nullable=True),
        sa.Column("key_data", sa.Text, nullable=True),
        sa.Column("user_data", sa.Text, nullable=True),
        sa.Column("meta", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("security_groups", sa.Text, nullable=False),
        sa.Column("requested_networks", sa.Text, nullable=False),
        sa.Column("network_info", sa.Text, nullable=False),
        sa.Column("availability_zone", sa.String(255), nullable=True),
        sa.Column("requested_host", sa.String(255), nullable=True),
        sa.Column("scheduler_hints", sa.Text, nullable=False),
        sa.Column("config_drive", sa.String(255), nullable=False),
        sa.Column("reservation_id", sa.String(255), nullable=False, index=True),
        sa.Column("launch_index", sa.Integer, nullable=False),
        sa.Column("access_ip_v4", sa.String(64), nullable=True),
        sa.Column("access_ip_v6", sa.String(64), nullable=True),
        sa.Column("disk_config", sa.String(16), nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("locked_by", sa.String(16), nullable=True),
        sa.Column("locked_reason", sa.String(255), nullable=True),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("fault", sa.Text, nullable=True),
        sa.Column("launched_at", sa.DateTime, nullable=True),
        sa.Column("terminated_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False, index=True),
        sa.Column("deleted", sa.Boolean, nullable=False, index=True),
        sa.Column("deleted_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "compute_key_pairs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False, index=True),
        sa.Column("project_id", sa.String(255), nullable=True),
        sa.Column("fingerprint", sa.String(255), nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("type", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("user_id", "name"),
    )
    op.create_table(
        "compute_nodes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("host", sa.String(255), nullable=False, index=True),
        sa.Column("hypervisor_hostname", sa.String(255), nullable=False, unique=True),
        sa.Column("hypervisor_type", sa.String(255), nullable=False),
        sa.Column("hypervisor_version", sa.Integer, nullable=False),
        sa.Column("host_ip", sa.String(64), nullable=False),
        sa.Column("vcpus", sa.Integer, nullable=False),
        sa.Column("memory_mb", sa.Integer, nullable=False),
        sa.Column("local_gb", sa.Integer, nullable=False),
        sa.Column("cpu_info", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "compute_services",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("binary", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(255), nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("disabled_reason", sa.String(255), nullable=True),
        sa.Column("forced_down", sa.Boolean, nullable=False),
        sa.Column("last_seen_up", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("host", "binary"),
    )
    op.create_table(
        "compute_flavor_projects",
        sa.Column(
            "flavor_id",
            sa.Integer,
            sa.ForeignKey("compute_flavors.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("project_id", sa.String(255), primary_key=True),
    )


def downgrade() -> None:
    for table in (
        "compute_instance_actions",
        "compute_instances",
        "compute_nodes",
        "compute_services",
        "compute_key_pairs",
        "compute_flavor_projects",
        "compute_flavors",
    ):
        op.drop_table(table)
