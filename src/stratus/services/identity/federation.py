"""OS-FEDERATION registry: identity providers and their protocols, mapping rules, service
providers. Stored and validated as Keystone does; federated (SAML/OIDC) authentication itself is
not offered by Stratus."""

from typing import Any
from urllib.parse import urlparse

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.services.identity import repository as repo
from stratus.services.identity.errors import BadRequest, conflict, not_found
from stratus.services.identity.models import (
    FederationProtocol,
    IdentityProvider,
    Mapping,
    ServiceProvider,
)
from stratus.services.identity.resource import Resources

DEFAULT_RELAY_STATE_PREFIX = "ss:mem:"


def _url(value: Any, field: str) -> str:
    parsed = urlparse(value) if isinstance(value, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise BadRequest(f"Invalid input for field '{field}': {value!r} is not a valid URL.")
    return str(value)


def _bool(body: dict[str, Any], field: str, default: bool) -> bool:
    value = body.get(field, default)
    if not isinstance(value, bool):
        raise BadRequest(f"Invalid input for field '{field}': {value!r} is not a boolean.")
    return value


def check_rules(rules: Any) -> list[dict[str, Any]]:
    """Keystone's mapping schema: a non-empty list of rules, each with ``local`` (a list) and
    ``remote`` (a list of objects naming a ``type``)."""
    if not isinstance(rules, list) or not rules:
        raise BadRequest("Invalid input for field 'rules': a non-empty list is required.")
    for rule in rules:
        if (
            not isinstance(rule, dict)
            or not isinstance(rule.get("local"), list)
            or not isinstance(rule.get("remote"), list)
            or not rule["local"]
            or not rule["remote"]
        ):
            raise BadRequest(
                "Invalid input for field 'rules': each rule needs 'local' and 'remote' lists."
            )
        for remote in rule["remote"]:
            if not isinstance(remote, dict) or not isinstance(remote.get("type"), str):
                raise BadRequest("Invalid input for field 'rules.remote': each needs a 'type'.")
            if "whitelist" in remote and "blacklist" in remote:
                raise BadRequest(
                    "Invalid input for field 'rules.remote': whitelist and "
                    "blacklist are mutually exclusive."
                )
    return rules


class Federation:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    # -- identity providers ----------------------------------------------------------------

    async def get_idp(self, s: AsyncSession, idp_id: str) -> IdentityProvider:
        row = await repo.get(s, IdentityProvider, idp_id)
        if row is None:
            raise not_found("identity provider", idp_id)
        return row

    async def _check_remote_ids(self, s: AsyncSession, idp_id: str, remote_ids: Any) -> list[str]:
        if not isinstance(remote_ids, list) or not all(isinstance(r, str) for r in remote_ids):
            raise BadRequest("Invalid input for field 'remote_ids': a list of strings is required.")
        for other in await repo.find(s, IdentityProvider):
            if other.id != idp_id and set(other.remote_ids or []) & set(remote_ids):
                raise conflict("identity_provider", "Duplicate remote ID")
        return remote_ids

    async def create_idp(
        self, s: AsyncSession, idp_id: str, body: dict[str, Any]
    ) -> IdentityProvider:
        if await repo.get(s, IdentityProvider, idp_id) is not None:
            raise conflict("identity_provider", f"Duplicate entry: {idp_id}")
        domain_id = body.get("domain_id")
        if domain_id:
            await self.resources.get_domain(s, domain_id)
        else:
            # Keystone makes a domain for an identity provider that names none.
            domain_id = (
                await self.resources.create_domain(
                    s,
                    {
                        "name": idp_id,
                        "description": f"Auto generated federated domain for "
                        f"Identity Provider: {idp_id}",
                    },
                )
            ).id
        row = IdentityProvider(
            id=idp_id,
            enabled=_bool(body, "enabled", False),
            description=body.get("description"),
            domain_id=domain_id,
            authorization_ttl=body.get("authorization_ttl"),
            remote_ids=await self._check_remote_ids(s, idp_id, body.get("remote_ids") or []),
        )
        await repo.add(s, row)
        return row

    async def update_idp(
        self, s: AsyncSession, idp_id: str, body: dict[str, Any]
    ) -> IdentityProvider:
        row = await self.get_idp(s, idp_id)
        if "domain_id" in body and body["domain_id"] != row.domain_id:
            raise BadRequest("Invalid input for field 'domain_id': it cannot be changed.")
        if "enabled" in body:
            row.enabled = _bool(body, "enabled", row.enabled)
        if "description" in body:
            row.description = body["description"]
        if "authorization_ttl" in body:
            row.authorization_ttl = body["authorization_ttl"]
        if "remote_ids" in body:
            row.remote_ids = await self._check_remote_ids(s, idp_id, body["remote_ids"] or [])
        await s.flush()
        return row

    async def delete_idp(self, s: AsyncSession, idp_id: str) -> None:
        await repo.remove(s, await self.get_idp(s, idp_id))

    # -- protocols -------------------------------------------------------------------------

    async def get_protocol(
        self, s: AsyncSession, idp_id: str, protocol_id: str
    ) -> FederationProtocol:
        await self.get_idp(s, idp_id)
        row = await repo.get(s, FederationProtocol, (idp_id, protocol_id))
        if row is None:
            raise not_found("federation protocol", protocol_id)
        return row

    async def _mapping_ref(self, s: AsyncSession, mapping_id: Any) -> str:
        if not isinstance(mapping_id, str) or await repo.get(s, Mapping, mapping_id) is None:
            raise BadRequest(
                f"Invalid input for field 'mapping_id': mapping {mapping_id} does not exist."
            )
        return mapping_id

    async def create_protocol(
        self, s: AsyncSession, idp_id: str, protocol_id: str, body: dict[str, Any]
    ) -> FederationProtocol:
        await self.get_idp(s, idp_id)
        if await repo.get(s, FederationProtocol, (idp_id, protocol_id)) is not None:
            raise conflict("federation_protocol", f"Duplicate entry: {protocol_id}")
        row = FederationProtocol(
            idp_id=idp_id,
            id=protocol_id,
            mapping_id=await self._mapping_ref(s, body.get("mapping_id")),
            remote_id_attribute=body.get("remote_id_attribute"),
        )
        await repo.add(s, row)
        return row

    async def update_protocol(
        self, s: AsyncSession, idp_id: str, protocol_id: str, body: dict[str, Any]
    ) -> FederationProtocol:
        row = await self.get_protocol(s, idp_id, protocol_id)
        if "mapping_id" in body:
            row.mapping_id = await self._mapping_ref(s, body["mapping_id"])
        if "remote_id_attribute" in body:
            row.remote_id_attribute = body["remote_id_attribute"]
        await s.flush()
        return row

    # -- mappings --------------------------------------------------------------------------

    async def get_mapping(self, s: AsyncSession, mapping_id: str) -> Mapping:
        row = await repo.get(s, Mapping, mapping_id)
        if row is None:
            raise not_found("mapping", mapping_id)
        return row

    async def create_mapping(
        self, s: AsyncSession, mapping_id: str, body: dict[str, Any]
    ) -> Mapping:
        if await repo.get(s, Mapping, mapping_id) is not None:
            raise conflict("mapping", f"Duplicate entry: {mapping_id}")
        row = Mapping(
            id=mapping_id,
            rules=check_rules(body.get("rules")),
            schema_version=str(body.get("schema_version", "1.0")),
        )
        await repo.add(s, row)
        return row

    async def update_mapping(
        self, s: AsyncSession, mapping_id: str, body: dict[str, Any]
    ) -> Mapping:
        row = await self.get_mapping(s, mapping_id)
        row.rules = check_rules(body.get("rules"))
        if "schema_version" in body:
            row.schema_version = str(body["schema_version"])
        await s.flush()
        return row

    # -- service providers -----------------------------------------------------------------

    async def get_sp(self, s: AsyncSession, sp_id: str) -> ServiceProvider:
        row = await repo.get(s, ServiceProvider, sp_id)
        if row is None:
            raise not_found("service provider", sp_id)
        return row

    async def create_sp(self, s: AsyncSession, sp_id: str, body: dict[str, Any]) -> ServiceProvider:
        if await repo.get(s, ServiceProvider, sp_id) is not None:
            raise conflict("service_provider", f"Duplicate entry: {sp_id}")
        for field in ("auth_url", "sp_url"):
            if field not in body:
                raise BadRequest(
                    f"Invalid input for field '{field}': '{field}' is a required property."
                )
        prefix = body.get("relay_state_prefix", DEFAULT_RELAY_STATE_PREFIX)
        if not isinstance(prefix, str) or not prefix:
            raise BadRequest("Invalid input for field 'relay_state_prefix'.")
        row = ServiceProvider(
            id=sp_id,
            auth_url=_url(body["auth_url"], "auth_url"),
            sp_url=_url(body["sp_url"], "sp_url"),
            description=body.get("description"),
            enabled=_bool(body, "enabled", False),
            relay_state_prefix=prefix,
        )
        await repo.add(s, row)
        return row

    async def update_sp(self, s: AsyncSession, sp_id: str, body: dict[str, Any]) -> ServiceProvider:
        row = await self.get_sp(s, sp_id)
        for field in ("auth_url", "sp_url"):
            if field in body:
                setattr(row, field, _url(body[field], field))
        if "enabled" in body:
            row.enabled = _bool(body, "enabled", row.enabled)
        if "description" in body:
            row.description = body["description"]
        if "relay_state_prefix" in body:
            if not isinstance(body["relay_state_prefix"], str) or not body["relay_state_prefix"]:
                raise BadRequest("Invalid input for field 'relay_state_prefix'.")
            row.relay_state_prefix = body["relay_state_prefix"]
        await s.flush()
        return row

    async def enabled_sps(self, s: AsyncSession) -> list[ServiceProvider]:
        return await repo.find(s, ServiceProvider, enabled=True)
