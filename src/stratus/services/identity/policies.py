"""Identity policy defaults, with Keystone's rule names and its admin/member/reader personas
(project-scoped ``admin`` is cloud admin, as with Keystone's legacy-compatible defaults)."""

from stratus.api.policy import Rule, register

ADMIN = "rule:admin_required"
SYS_READER = "(role:reader and system_scope:all)"
ADMIN_OR_SYS_READER = f"{ADMIN} or {SYS_READER}"


def _reader_in(target: str) -> str:
    return f"{ADMIN_OR_SYS_READER} or (role:reader and domain_id:%({target})s)"


def _admin_in(target: str) -> str:
    return f"{ADMIN} or (role:admin and domain_id:%({target})s)"


_RULES: list[tuple[str, str]] = [
    ("admin_required", "role:admin or is_admin:1"),
    ("service_role", "role:service"),
    ("service_or_admin", "rule:admin_required or rule:service_role"),
    ("owner", "user_id:%(user_id)s"),
    ("admin_or_owner", "rule:admin_required or rule:owner"),
    ("token_subject", "user_id:%(target.token.user_id)s"),
    ("admin_or_token_subject", "rule:admin_required or rule:token_subject"),
    ("service_admin_or_token_subject", "rule:service_or_admin or rule:token_subject"),
    # auth
    ("identity:get_auth_catalog", ""),
    ("identity:get_auth_projects", ""),
    ("identity:get_auth_domains", ""),
    ("identity:get_auth_system", ""),
    ("identity:check_token", f"rule:service_admin_or_token_subject or {SYS_READER}"),
    ("identity:validate_token", f"rule:service_admin_or_token_subject or {SYS_READER}"),
    ("identity:revoke_token", "rule:admin_or_token_subject"),
    # domains
    (
        "identity:get_domain",
        f"{ADMIN_OR_SYS_READER} or token.domain.id:%(target.domain.id)s "
        "or token.project.domain.id:%(target.domain.id)s",
    ),
    ("identity:list_domains", ADMIN_OR_SYS_READER),
    ("identity:create_domain", ADMIN),
    ("identity:update_domain", ADMIN),
    ("identity:delete_domain", ADMIN),
    # projects
    (
        "identity:get_project",
        f"{_reader_in('target.project.domain_id')} or project_id:%(target.project.id)s",
    ),
    ("identity:list_projects", _reader_in("target.domain_id")),
    (
        "identity:list_user_projects",
        f"{_reader_in('target.user.domain_id')} or user_id:%(target.user.id)s",
    ),
    ("identity:create_project", _admin_in("target.project.domain_id")),
    ("identity:update_project", _admin_in("target.project.domain_id")),
    ("identity:delete_project", _admin_in("target.project.domain_id")),
    (
        "identity:get_project_tag",
        f"{_reader_in('target.project.domain_id')} or project_id:%(target.project.id)s",
    ),
    (
        "identity:list_project_tags",
        f"{_reader_in('target.project.domain_id')} or project_id:%(target.project.id)s",
    ),
    ("identity:create_project_tag", _admin_in("target.project.domain_id")),
    ("identity:update_project_tags", _admin_in("target.project.domain_id")),
    ("identity:delete_project_tag", _admin_in("target.project.domain_id")),
    ("identity:delete_project_tags", _admin_in("target.project.domain_id")),
    # users
    (
        "identity:get_user",
        f"{ADMIN_OR_SYS_READER} or (role:reader and "
        "token.domain.id:%(target.user.domain_id)s) or "
        "user_id:%(target.user.id)s",
    ),
    ("identity:list_users", _reader_in("target.domain_id")),
    (
        "identity:create_user",
        f"{ADMIN} or (role:admin and token.domain.id:%(target.user.domain_id)s)",
    ),
    (
        "identity:update_user",
        f"{ADMIN} or (role:admin and token.domain.id:%(target.user.domain_id)s)",
    ),
    (
        "identity:delete_user",
        f"{ADMIN} or (role:admin and token.domain.id:%(target.user.domain_id)s)",
    ),
    # groups
    ("identity:get_group", f"{_reader_in('target.group.domain_id')}"),
    ("identity:list_groups", _reader_in("target.group.domain_id")),
    (
        "identity:list_groups_for_user",
        f"{_reader_in('target.user.domain_id')} or user_id:%(user_id)s",
    ),
    ("identity:create_group", _admin_in("target.group.domain_id")),
    ("identity:update_group", _admin_in("target.group.domain_id")),
    ("identity:delete_group", _admin_in("target.group.domain_id")),
    ("identity:list_users_in_group", _reader_in("target.group.domain_id")),
    ("identity:remove_user_from_group", _admin_in("target.group.domain_id")),
    ("identity:check_user_in_group", _reader_in("target.group.domain_id")),
    ("identity:add_user_to_group", _admin_in("target.group.domain_id")),
    # roles
    ("identity:get_role", ADMIN_OR_SYS_READER),
    ("identity:list_roles", ADMIN_OR_SYS_READER),
    ("identity:create_role", ADMIN),
    ("identity:update_role", ADMIN),
    ("identity:delete_role", ADMIN),
    ("identity:get_domain_role", ADMIN_OR_SYS_READER),
    ("identity:list_domain_roles", ADMIN_OR_SYS_READER),
    ("identity:create_domain_role", ADMIN),
    ("identity:update_domain_role", ADMIN),
    ("identity:delete_domain_role", ADMIN),
    ("identity:get_implied_role", ADMIN_OR_SYS_READER),
    ("identity:list_implied_roles", ADMIN_OR_SYS_READER),
    ("identity:create_implied_role", ADMIN),
    ("identity:delete_implied_role", ADMIN),
    ("identity:list_role_inference_rules", ADMIN_OR_SYS_READER),
    ("identity:check_implied_role", ADMIN_OR_SYS_READER),
    # grants and assignments
    ("identity:check_grant", _reader_in("target.domain.id")),
    ("identity:list_grants", _reader_in("target.domain.id")),
    ("identity:create_grant", _admin_in("target.domain.id")),
    ("identity:revoke_grant", _admin_in("target.domain.id")),
    ("identity:list_system_grants_for_user", ADMIN_OR_SYS_READER),
    ("identity:check_system_grant_for_user", ADMIN_OR_SYS_READER),
    ("identity:create_system_grant_for_user", ADMIN),
    ("identity:revoke_system_grant_for_user", ADMIN),
    ("identity:list_system_grants_for_group", ADMIN_OR_SYS_READER),
    ("identity:check_system_grant_for_group", ADMIN_OR_SYS_READER),
    ("identity:create_system_grant_for_group", ADMIN),
    ("identity:revoke_system_grant_for_group", ADMIN),
    ("identity:list_role_assignments", _reader_in("target.domain_id")),
    ("identity:list_role_assignments_for_tree", _reader_in("target.project.domain_id")),
    # catalog
    ("identity:get_region", ""),
    ("identity:list_regions", ""),
    ("identity:create_region", ADMIN),
    ("identity:update_region", ADMIN),
    ("identity:delete_region", ADMIN),
    ("identity:get_service", ADMIN_OR_SYS_READER),
    ("identity:list_services", ADMIN_OR_SYS_READER),
    ("identity:create_service", ADMIN),
    ("identity:update_service", ADMIN),
    ("identity:delete_service", ADMIN),
    ("identity:get_endpoint", ADMIN_OR_SYS_READER),
    ("identity:list_endpoints", ADMIN_OR_SYS_READER),
    ("identity:create_endpoint", ADMIN),
    ("identity:update_endpoint", ADMIN),
    ("identity:delete_endpoint", ADMIN),
    # credentials
    ("identity:get_credential", f"{ADMIN_OR_SYS_READER} or user_id:%(target.credential.user_id)s"),
    (
        "identity:list_credentials",
        f"{ADMIN_OR_SYS_READER} or user_id:%(target.credential.user_id)s",
    ),
    ("identity:create_credential", f"{ADMIN} or user_id:%(target.credential.user_id)s"),
    ("identity:update_credential", f"{ADMIN} or user_id:%(target.credential.user_id)s"),
    ("identity:delete_credential", f"{ADMIN} or user_id:%(target.credential.user_id)s"),
    # application credentials and access rules
    ("identity:get_application_credential", f"{ADMIN_OR_SYS_READER} or rule:owner"),
    ("identity:list_application_credentials", f"{ADMIN_OR_SYS_READER} or rule:owner"),
    ("identity:create_application_credential", "user_id:%(user_id)s"),
    ("identity:delete_application_credential", f"{ADMIN} or rule:owner"),
    ("identity:get_access_rule", f"{ADMIN_OR_SYS_READER} or user_id:%(target.user.id)s"),
    ("identity:list_access_rules", f"{ADMIN_OR_SYS_READER} or user_id:%(target.user.id)s"),
    ("identity:delete_access_rule", f"{ADMIN} or user_id:%(target.user.id)s"),
    # trusts
    ("identity:create_trust", "user_id:%(trust.trustor_user_id)s"),
    ("identity:list_trusts", ADMIN_OR_SYS_READER),
    (
        "identity:list_trusts_for_trustor",
        f"{ADMIN_OR_SYS_READER} or user_id:%(target.trust.trustor_user_id)s",
    ),
    (
        "identity:list_trusts_for_trustee",
        f"{ADMIN_OR_SYS_READER} or user_id:%(target.trust.trustee_user_id)s",
    ),
    (
        "identity:list_roles_for_trust",
        f"{ADMIN_OR_SYS_READER} or "
        "user_id:%(target.trust.trustor_user_id)s or "
        "user_id:%(target.trust.trustee_user_id)s",
    ),
    (
        "identity:get_role_for_trust",
        f"{ADMIN_OR_SYS_READER} or "
        "user_id:%(target.trust.trustor_user_id)s or "
        "user_id:%(target.trust.trustee_user_id)s",
    ),
    ("identity:delete_trust", f"{ADMIN} or user_id:%(target.trust.trustor_user_id)s"),
    (
        "identity:get_trust",
        f"{ADMIN_OR_SYS_READER} or user_id:%(target.trust.trustor_user_id)s "
        "or user_id:%(target.trust.trustee_user_id)s",
    ),
    # unified limits
    ("identity:get_registered_limit", ""),
    ("identity:list_registered_limits", ""),
    ("identity:create_registered_limits", ADMIN),
    ("identity:update_registered_limit", ADMIN),
    ("identity:delete_registered_limit", ADMIN),
    ("identity:get_limit_model", ""),
    (
        "identity:get_limit",
        f"{ADMIN_OR_SYS_READER} or project_id:%(target.limit.project_id)s or "
        "(role:reader and domain_id:%(target.limit.domain_id)s)",
    ),
    ("identity:list_limits", ""),
    ("identity:create_limits", ADMIN),
    ("identity:update_limit", ADMIN),
    ("identity:delete_limit", ADMIN),
]

RULES = [Rule(name, check) for name, check in _RULES]
register(RULES)

_EXTRA_RULES: list[tuple[str, str]] = [
    ("identity:create_domain_config", ADMIN),
    ("identity:get_domain_config", ADMIN_OR_SYS_READER),
    ("identity:get_security_compliance_domain_config", ""),
    ("identity:update_domain_config", ADMIN),
    ("identity:delete_domain_config", ADMIN),
    ("identity:get_domain_config_default", ADMIN_OR_SYS_READER),
    ("identity:create_endpoint_group", ADMIN),
    ("identity:list_endpoint_groups", ADMIN_OR_SYS_READER),
    ("identity:get_endpoint_group", ADMIN_OR_SYS_READER),
    ("identity:update_endpoint_group", ADMIN),
    ("identity:delete_endpoint_group", ADMIN),
    ("identity:list_projects_associated_with_endpoint_group", ADMIN_OR_SYS_READER),
    ("identity:list_endpoints_associated_with_endpoint_group", ADMIN_OR_SYS_READER),
    ("identity:get_endpoint_group_in_project", ADMIN_OR_SYS_READER),
    ("identity:list_endpoint_groups_for_project", ADMIN_OR_SYS_READER),
    ("identity:add_endpoint_group_to_project", ADMIN),
    ("identity:remove_endpoint_group_from_project", ADMIN),
    ("identity:add_endpoint_to_project", ADMIN),
    ("identity:check_endpoint_in_project", ADMIN_OR_SYS_READER),
    ("identity:list_endpoints_for_project", ADMIN_OR_SYS_READER),
    ("identity:list_projects_for_endpoint", ADMIN_OR_SYS_READER),
    ("identity:remove_endpoint_from_project", ADMIN),
    ("identity:create_consumer", ADMIN),
    ("identity:get_consumer", ADMIN_OR_SYS_READER),
    ("identity:list_consumers", ADMIN_OR_SYS_READER),
    ("identity:update_consumer", ADMIN),
    ("identity:delete_consumer", ADMIN),
    ("identity:authorize_request_token", ""),
    ("identity:list_access_tokens", f"{ADMIN_OR_SYS_READER} or rule:owner"),
    ("identity:get_access_token", f"{ADMIN_OR_SYS_READER} or rule:owner"),
    ("identity:revoke_access_token", f"{ADMIN} or rule:owner"),
    ("identity:list_access_token_roles", f"{ADMIN_OR_SYS_READER} or rule:owner"),
    ("identity:get_access_token_role", f"{ADMIN_OR_SYS_READER} or rule:owner"),
    ("identity:create_policy", ADMIN),
    ("identity:get_policy", ADMIN_OR_SYS_READER),
    ("identity:list_policies", ADMIN_OR_SYS_READER),
    ("identity:update_policy", ADMIN),
    ("identity:delete_policy", ADMIN),
    ("identity:ec2_create_credential", f"{ADMIN} or user_id:%(target.credential.user_id)s"),
    (
        "identity:ec2_get_credential",
        f"{ADMIN_OR_SYS_READER} or user_id:%(target.credential.user_id)s",
    ),
    ("identity:ec2_list_credentials", f"{ADMIN_OR_SYS_READER} or rule:owner"),
    ("identity:ec2_delete_credential", f"{ADMIN} or user_id:%(target.credential.user_id)s"),
]
for noun in ("identity_provider", "protocol", "mapping", "service_provider"):
    _EXTRA_RULES += [
        (f"identity:create_{noun}", ADMIN),
        (f"identity:update_{noun}", ADMIN),
        (f"identity:delete_{noun}", ADMIN),
        (f"identity:get_{noun}", ADMIN_OR_SYS_READER),
        (f"identity:list_{noun}s", ADMIN_OR_SYS_READER),
    ]
EXTRA_RULES = [Rule(name, check) for name, check in _EXTRA_RULES]
register(EXTRA_RULES)
