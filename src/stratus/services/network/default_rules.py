"""Default security group rule templates (``security-groups-default-rules``): what every new
``default`` group and every other new group starts with. Admins create and delete them."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.kit.errors import Conflict, NotFound
from stratus.kit.ids import uuid_str
from stratus.services.network import attributes as attrs
from stratus.services.network import models as m
from stratus.services.network import repository as repo
from stratus.services.network.core import Core
from stratus.services.network.query import Query
from stratus.services.network.secgroups import same_rule, validate_rule


class DefaultSecurityGroupRuleNotFound(NotFound):
    def __init__(self, rule_id: str) -> None:
        super().__init__(f"Default Security Group rule {rule_id} does not exist")


class DefaultSecurityGroupRuleExists(Conflict):
    def __init__(self, rule_id: str) -> None:
        super().__init__(f"Default Security group rule already exists. Rule id is {rule_id}.")


def view(row: m.DefaultSecurityGroupRule) -> dict[str, Any]:
    return {
        "id": row.id,
        "description": row.description,
        "direction": row.direction,
        "ethertype": row.ethertype,
        "protocol": row.protocol,
        "port_range_min": row.port_range_min,
        "port_range_max": row.port_range_max,
        "remote_ip_prefix": row.remote_ip_prefix,
        "remote_group_id": row.remote_group_id,
        "remote_address_group_id": row.remote_address_group_id,
        "used_in_default_sg": row.used_in_default_sg,
        "used_in_non_default_sg": row.used_in_non_default_sg,
    }


def _overlaps(row: m.DefaultSecurityGroupRule, data: Mapping[str, Any]) -> bool:
    """A duplicate is the same rule for a kind of group both templates apply to."""
    return (row.used_in_default_sg and data["used_in_default_sg"]) or (
        row.used_in_non_default_sg and data["used_in_non_default_sg"]
    )


class DefaultRuleService(Core):
    async def list_rules(self, ctx: RequestContext, query: Query) -> list[dict[str, Any]]:
        self.enforce(ctx, "get_default_security_group_rule", {"project_id": ctx.project_id})
        async with self.db.reader() as session:
            rows = await self.list_rows(
                session, m.DefaultSecurityGroupRule, attrs.DEFAULT_SG_RULE, query, scope=None
            )
            return [view(r) for r in rows]

    async def get_rule(self, ctx: RequestContext, rule_id: str) -> dict[str, Any]:
        self.enforce(ctx, "get_default_security_group_rule", {"project_id": ctx.project_id})
        async with self.db.reader() as session:
            return view(await self._row(session, rule_id))

    async def _row(self, session: AsyncSession, rule_id: str) -> m.DefaultSecurityGroupRule:
        row = await repo.get(session, m.DefaultSecurityGroupRule, rule_id)
        if row is None:
            raise DefaultSecurityGroupRuleNotFound(rule_id)
        return row

    async def create_rule(self, ctx: RequestContext, body: Mapping[str, Any]) -> dict[str, Any]:
        self.enforce(ctx, "create_default_security_group_rule", {"project_id": ctx.project_id})
        data = attrs.prepare_create(attrs.DEFAULT_SG_RULE, body)
        # The group a rule refers to does not exist yet: only "PARENT" (the new group itself)
        # is meaningful as a remote group, checked like a group rule otherwise.
        validate_rule(data)
        async with self.db.session() as session:
            for other in await repo.default_sg_rules(session):
                if same_rule(other, data) and _overlaps(other, data):
                    raise DefaultSecurityGroupRuleExists(other.id)
            row = m.DefaultSecurityGroupRule(
                id=uuid_str(),
                description=data["description"],
                direction=data["direction"],
                ethertype=data["ethertype"],
                protocol=data["protocol"],
                port_range_min=data["port_range_min"],
                port_range_max=data["port_range_max"],
                remote_ip_prefix=data["remote_ip_prefix"],
                remote_group_id=data["remote_group_id"],
                remote_address_group_id=data["remote_address_group_id"],
                used_in_default_sg=data["used_in_default_sg"],
                used_in_non_default_sg=data["used_in_non_default_sg"],
            )
            session.add(row)
            await session.flush()
            return view(row)

    async def delete_rule(self, ctx: RequestContext, rule_id: str) -> None:
        self.enforce(ctx, "delete_default_security_group_rule", {"project_id": ctx.project_id})
        async with self.db.session() as session:
            await session.delete(await self._row(session, rule_id))
