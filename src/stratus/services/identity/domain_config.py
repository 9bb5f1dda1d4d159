"""Domain-specific configuration (Keystone's ``/v3/domains/{id}/config``): the ``identity``
and ``ldap`` groups, whitelisted options, defaults. Stored only: Stratus keeps every domain's
users in its own database, as Keystone's ``sql`` driver does."""

import copy
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.services.identity import repository as repo
from stratus.services.identity.errors import BadRequest, Forbidden, NotFound
from stratus.services.identity.models import DomainConfig

DEFAULTS: dict[str, dict[str, Any]] = {
    "identity": {"driver": "sql", "list_limit": None},
    "ldap": {
        "url": "ldap://localhost",
        "user": None,
        "suffix": "cn=example,cn=com",
        "query_scope": "one",
        "page_size": 0,
        "user_tree_dn": None,
        "user_filter": None,
        "user_objectclass": "inetOrgPerson",
        "user_id_attribute": "cn",
        "user_name_attribute": "sn",
        "user_mail_attribute": "mail",
        "user_enabled_attribute": "enabled",
        "group_tree_dn": None,
        "group_filter": None,
        "group_objectclass": "groupOfNames",
        "group_id_attribute": "cn",
        "group_name_attribute": "ou",
        "group_member_attribute": "member",
        "use_tls": False,
        "tls_req_cert": "demand",
    },
}
SENSITIVE = {"ldap": {"password"}}


def _check(config: Any, *, group: str | None = None, option: str | None = None) -> None:
    if not isinstance(config, dict) or not config:
        raise BadRequest("Invalid input for field 'config': a non-empty object is required.")
    groups = {group: config} if group else config
    for name, options in groups.items():
        if name not in DEFAULTS:
            raise Forbidden(f"Group {name} is not supported for domain specific configurations.")
        if not isinstance(options, dict):
            raise BadRequest(f"Invalid input for field 'config.{name}'.")
        for opt in options:
            if opt not in DEFAULTS[name] and opt not in SENSITIVE.get(name, set()):
                raise Forbidden(
                    f"Option {opt} in group {name} is not supported for domain "
                    "specific configurations."
                )
    if option is not None and group is not None and option not in config:
        raise BadRequest(f"Invalid input for field 'config': option {option} is required.")


def _public(config: dict[str, Any]) -> dict[str, Any]:
    return {
        g: {k: v for k, v in opts.items() if k not in SENSITIVE.get(g, set())}
        for g, opts in config.items()
    }


class DomainConfigs:
    async def _row(self, s: AsyncSession, domain_id: str) -> DomainConfig:
        row = await repo.get(s, DomainConfig, domain_id)
        if row is None or not row.config:
            raise NotFound(f"Could not find domain config: {domain_id}.")
        return row

    async def create(
        self, s: AsyncSession, domain_id: str, config: Any
    ) -> tuple[dict[str, Any], bool]:
        _check(config)
        row = await repo.get(s, DomainConfig, domain_id)
        created = row is None or not row.config
        if row is None:
            row = DomainConfig(domain_id=domain_id, config=copy.deepcopy(config))
            await repo.add(s, row)
        elif created:
            row.config = copy.deepcopy(config)
        return _public(row.config), created

    async def get(
        self, s: AsyncSession, domain_id: str, group: str | None = None, option: str | None = None
    ) -> dict[str, Any]:
        config = _public((await self._row(s, domain_id)).config)
        if group is None:
            return config
        if group not in config:
            raise NotFound(f"Could not find domain config group {group} for {domain_id}.")
        if option is None:
            return {group: config[group]}
        if option not in config[group]:
            raise NotFound(f"Could not find domain config option {option} for {domain_id}.")
        return {option: config[group][option]}

    async def update(
        self,
        s: AsyncSession,
        domain_id: str,
        config: Any,
        group: str | None = None,
        option: str | None = None,
    ) -> dict[str, Any]:
        row = await self._row(s, domain_id)
        current = copy.deepcopy(row.config)
        if group is None:
            _check(config)
            for name, opts in config.items():
                current.setdefault(name, {}).update(opts)
        elif option is None:
            _check(config)
            if group not in config:
                raise BadRequest(f"Invalid input for field 'config': group {group} expected.")
            if group not in current:
                raise NotFound(f"Could not find domain config group {group} for {domain_id}.")
            current[group].update(config[group])
        else:
            if not isinstance(config, dict) or option not in config:
                raise BadRequest(f"Invalid input for field 'config': option {option} expected.")
            _check({group: {option: config[option]}})
            if option not in current.get(group, {}):
                raise NotFound(f"Could not find domain config option {option} for {domain_id}.")
            current[group][option] = config[option]
        row.config = current
        await s.flush()
        return _public(current)

    async def delete(
        self, s: AsyncSession, domain_id: str, group: str | None = None, option: str | None = None
    ) -> None:
        row = await self._row(s, domain_id)
        current = copy.deepcopy(row.config)
        if group is None:
            await repo.remove(s, row)
            return
        if group not in current:
            raise NotFound(f"Could not find domain config group {group} for {domain_id}.")
        if option is None:
            del current[group]
        else:
            if option not in current[group]:
                raise NotFound(f"Could not find domain config option {option} for {domain_id}.")
            del current[group][option]
        row.config = current
        await s.flush()

    @staticmethod
    def default(group: str | None = None, option: str | None = None) -> dict[str, Any]:
        if group is None:
            return copy.deepcopy(DEFAULTS)
        if group not in DEFAULTS:
            raise NotFound(f"Group {group} has no default domain configuration.")
        if option is None:
            return {group: copy.deepcopy(DEFAULTS[group])}
        if option not in DEFAULTS[group]:
            raise NotFound(f"Option {option} has no default in group {group}.")
        return {option: DEFAULTS[group][option]}
