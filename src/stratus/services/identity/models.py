"""Identity tables. Domains are projects with ``is_domain`` set, as in Keystone."""

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stratus.db.base import Base, JSONType, UTCDateTime

ROOT_DOMAIN = "<<keystone.domain.root>>"


class Project(Base):
    __tablename__ = "identity_projects"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    domain_id: Mapped[str] = mapped_column(String(64), index=True)
    parent_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    is_domain: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class ProjectTag(Base):
    __tablename__ = "identity_project_tags"

    project_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("identity_projects.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)


class User(Base):
    __tablename__ = "identity_users"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(String(64), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    default_project_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_active_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_auth_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_auth_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Password(Base):
    """Every password a user has had: the newest is current; older ones feed the history rule."""

    __tablename__ = "identity_passwords"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("identity_users.id", ondelete="CASCADE"), index=True
    )
    hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    self_service: Mapped[bool] = mapped_column(Boolean, default=False)


class Group(Base):
    __tablename__ = "identity_groups"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    domain_id: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Membership(Base):
    __tablename__ = "identity_memberships"

    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("identity_users.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("identity_groups.id", ondelete="CASCADE"), primary_key=True
    )


class Role(Base):
    __tablename__ = "identity_roles"
    __table_args__ = (UniqueConstraint("name", "domain_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # ROOT_DOMAIN for global roles (a unique constraint cannot rely on NULL).
    domain_id: Mapped[str] = mapped_column(String(64), default=ROOT_DOMAIN)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class ImpliedRole(Base):
    __tablename__ = "identity_implied_roles"

    prior_role_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True
    )
    implied_role_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True
    )


class Assignment(Base):
    """A role granted to an actor (user or group) on a target (project, domain or system)."""

    __tablename__ = "identity_assignments"
    __table_args__ = (Index("ix_identity_assignments_target", "target_id"),)

    type: Mapped[str] = mapped_column(String(16), primary_key=True)  # UserProject, GroupDomain...
    actor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "system" for system
    role_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    inherited: Mapped[bool] = mapped_column(Boolean, primary_key=True, default=False)


class Region(Base):
    __tablename__ = "identity_regions"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    parent_region_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Service(Base):
    __tablename__ = "identity_services"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # name, description


class Endpoint(Base):
    __tablename__ = "identity_endpoints"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("identity_services.id", ondelete="CASCADE"), index=True
    )
    interface: Mapped[str] = mapped_column(String(8))
    region_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Credential(Base):
    __tablename__ = "identity_credentials"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    type: Mapped[str] = mapped_column(String(255))
    blob: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class ApplicationCredential(Base):
    __tablename__ = "identity_application_credentials"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    secret_hash: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    system: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    unrestricted: Mapped[bool] = mapped_column(Boolean, default=False)
    role_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    access_rule_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)


class AccessRule(Base):
    __tablename__ = "identity_access_rules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    service: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(16))


class Trust(Base):
    __tablename__ = "identity_trusts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    trustor_user_id: Mapped[str] = mapped_column(String(64), index=True)
    trustee_user_id: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    impersonation: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    remaining_uses: Mapped[int | None] = mapped_column(Integer, nullable=True)
    role_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    redelegated_trust_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    redelegation_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class RevocationEvent(Base):
    """Tokens matching every non-null field and issued before ``issued_before`` are revoked."""

    __tablename__ = "identity_revocation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    project_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    domain_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    role_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    trust_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    application_credential_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    audit_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    audit_chain_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    issued_before: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RegisteredLimit(Base):
    __tablename__ = "identity_registered_limits"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resource_name: Mapped[str] = mapped_column(String(255))
    default_limit: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class Limit(Base):
    __tablename__ = "identity_limits"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    domain_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    service_id: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resource_name: Mapped[str] = mapped_column(String(255))
    resource_limit: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class DomainConfig(Base):
    """Domain-specific driver configuration (groups ``identity`` and ``ldap``)."""

    __tablename__ = "identity_domain_configs"

    domain_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class EndpointGroup(Base):
    __tablename__ = "identity_endpoint_groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class ProjectEndpointGroup(Base):
    __tablename__ = "identity_project_endpoint_groups"

    endpoint_group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class ProjectEndpoint(Base):
    __tablename__ = "identity_project_endpoints"

    endpoint_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class Consumer(Base):
    """An OAuth1 consumer (OS-OAUTH1)."""

    __tablename__ = "identity_consumers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # OAuth1 signs with the shared secret itself (HMAC-SHA1 keyed by it), so the server must
    # hold it in the clear, as Keystone does. Consumers created before the token flow existed
    # hold a bcrypt hash here and can no longer sign.
    secret: Mapped[str] = mapped_column(String(255))
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class OAuthRequestToken(Base):
    """A consumer's request for delegated access to one project, until a user authorizes it
    (``authorizing_user_id``, ``role_ids`` and ``verifier`` set) and it is exchanged."""

    __tablename__ = "identity_oauth_request_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret: Mapped[str] = mapped_column(String(255))
    consumer_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("identity_consumers.id", ondelete="CASCADE"), index=True
    )
    requested_project_id: Mapped[str] = mapped_column(String(64))
    authorizing_user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    role_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    verifier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OAuthAccessToken(Base):
    """Delegated access a user granted a consumer: the roles on one project it may use."""

    __tablename__ = "identity_oauth_access_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret: Mapped[str] = mapped_column(String(255))
    consumer_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("identity_consumers.id", ondelete="CASCADE"), index=True
    )
    authorizing_user_id: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[str] = mapped_column(String(64))
    role_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PolicyBlob(Base):
    """A policy blob stored for other services (the ``/v3/policies`` API)."""

    __tablename__ = "identity_policies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(255))
    blob: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class IdentityProvider(Base):
    """OS-FEDERATION identity provider (stored; federated authentication itself is not offered)."""

    __tablename__ = "identity_idps"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    domain_id: Mapped[str] = mapped_column(String(64))
    authorization_ttl: Mapped[int | None] = mapped_column(Integer, nullable=True)
    remote_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)


class FederationProtocol(Base):
    __tablename__ = "identity_federation_protocols"

    idp_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("identity_idps.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mapping_id: Mapped[str] = mapped_column(String(64))
    remote_id_attribute: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Mapping(Base):
    __tablename__ = "identity_mappings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    schema_version: Mapped[str] = mapped_column(String(5), default="1.0")


class ServiceProvider(Base):
    __tablename__ = "identity_service_providers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    auth_url: Mapped[str] = mapped_column(Text)
    sp_url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    relay_state_prefix: Mapped[str] = mapped_column(String(255), default="ss:mem:")
