"""Neutron's policy defaults, under upstream's rule names and (new-default) check strings."""

from stratus.api.policy import Rule, register

ADMIN = "rule:admin_only"
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
NET_OWNER_MEMBER = "role:member and project_id:%(network:project_id)s"
NET_OWNER_READER = "role:reader and project_id:%(network:project_id)s"
PARENT_OWNER_MEMBER = "role:member and project_id:%(ext_parent:project_id)s"
ADVSVC = "rule:context_is_advsvc"


def _or(*parts: str) -> str:
    return " or ".join(f"({p})" if " and " in p else p for p in parts)


ADMIN_OR_MEMBER = _or(ADMIN, PROJECT_MEMBER)
ADMIN_OR_READER = _or(ADMIN, PROJECT_READER)

RULES = [
    Rule("context_is_admin", "role:admin", "Rule for cloud admin access"),
    Rule("owner", "project_id:%(project_id)s", "Rule for resource owner access"),
    Rule("admin_or_owner", "rule:context_is_admin or rule:owner", "Rule for admin or owner access"),
    Rule("context_is_advsvc", "role:advsvc", "Rule for advsvc role access"),
    Rule(
        "admin_or_network_owner",
        "rule:context_is_admin or project_id:%(network:project_id)s",
        "Rule for admin or network owner access",
    ),
    Rule(
        "admin_owner_or_network_owner",
        "rule:owner or rule:admin_or_network_owner",
        "Rule for resource owner, admin or network owner access",
    ),
    Rule("network_owner", "project_id:%(network:project_id)s", "Rule for network owner access"),
    Rule("admin_only", "rule:context_is_admin", "Rule for admin-only access"),
    Rule("regular_user", "", "Rule for regular user access"),
    Rule("shared", "field:networks:shared=True", "Rule of shared network"),
    Rule("external", "field:networks:router:external=True", "Definition of an external network"),
    Rule("default", "rule:admin_or_owner", "Default access rule"),
    Rule(
        "admin_or_ext_parent_owner",
        "rule:context_is_admin or project_id:%(ext_parent:project_id)s",
        "Rule for common parent owner check",
    ),
    Rule(
        "ext_parent_owner",
        "project_id:%(ext_parent:project_id)s",
        "Rule for common parent owner check",
    ),
    # networks
    Rule("create_network", ADMIN_OR_MEMBER, "Create a network"),
    Rule("create_network:shared", ADMIN, "Create a shared network"),
    Rule("create_network:router:external", ADMIN, "Create an external network"),
    Rule("create_network:is_default", ADMIN, "Specify is_default when creating a network"),
    Rule(
        "create_network:port_security_enabled",
        ADMIN_OR_MEMBER,
        "Specify port_security_enabled when creating a network",
    ),
    Rule("create_network:segments", ADMIN, "Specify segments when creating a network"),
    Rule("create_network:provider:network_type", ADMIN, "Specify provider:network_type"),
    Rule("create_network:provider:physical_network", ADMIN, "Specify provider:physical_network"),
    Rule("create_network:provider:segmentation_id", ADMIN, "Specify provider:segmentation_id"),
    Rule(
        "get_network",
        _or(ADMIN, PROJECT_READER, "rule:shared", "rule:external", ADVSVC),
        "Get a network",
    ),
    Rule("get_network:segments", ADMIN, "Get segments of a network"),
    Rule("get_network:provider:network_type", ADMIN, "Get provider:network_type"),
    Rule("get_network:provider:physical_network", ADMIN, "Get provider:physical_network"),
    Rule("get_network:provider:segmentation_id", ADMIN, "Get provider:segmentation_id"),
    Rule("update_network", ADMIN_OR_MEMBER, "Update a network"),
    Rule("update_network:segments", ADMIN, "Update segments"),
    Rule("update_network:shared", ADMIN, "Update shared"),
    Rule("update_network:provider:network_type", ADMIN, "Update provider:network_type"),
    Rule("update_network:provider:physical_network", ADMIN, "Update provider:physical_network"),
    Rule("update_network:provider:segmentation_id", ADMIN, "Update provider:segmentation_id"),
    Rule("update_network:router:external", ADMIN, "Update router:external"),
    Rule("update_network:is_default", ADMIN, "Update is_default"),
    Rule("update_network:port_security_enabled", ADMIN_OR_MEMBER, "Update port_security_enabled"),
    Rule("delete_network", ADMIN_OR_MEMBER, "Delete a network"),
    # segments
    Rule("create_segment", ADMIN, "Create a segment"),
    Rule("get_segment", ADMIN, "Get a segment"),
    Rule("update_segment", ADMIN, "Update a segment"),
    Rule("delete_segment", ADMIN, "Delete a segment"),
    # subnets
    Rule("create_subnet", _or(ADMIN, PROJECT_MEMBER, NET_OWNER_MEMBER), "Create a subnet"),
    Rule("create_subnet:segment_id", ADMIN, "Specify segment_id when creating a subnet"),
    Rule("create_subnet:service_types", ADMIN, "Specify service_types when creating a subnet"),
    Rule("get_subnet", _or(ADMIN, PROJECT_READER, "rule:shared"), "Get a subnet"),
    Rule("get_subnet:segment_id", ADMIN, "Get segment_id of a subnet"),
    Rule("update_subnet", _or(ADMIN, PROJECT_MEMBER, NET_OWNER_MEMBER), "Update a subnet"),
    Rule("update_subnet:segment_id", ADMIN, "Update segment_id of a subnet"),
    Rule("update_subnet:service_types", ADMIN, "Update service_types of a subnet"),
    Rule("delete_subnet", _or(ADMIN, PROJECT_MEMBER, NET_OWNER_MEMBER), "Delete a subnet"),
    # ports
    Rule("create_port", _or(ADMIN, PROJECT_MEMBER, NET_OWNER_MEMBER, ADVSVC), "Create a port"),
    Rule(
        "create_port:device_owner",
        _or(ADVSVC, ADMIN, NET_OWNER_MEMBER),
        "Specify a network:* device_owner",
    ),
    Rule("create_port:mac_address", _or(ADVSVC, ADMIN, NET_OWNER_MEMBER), "Specify mac_address"),
    Rule(
        "create_port:fixed_ips",
        _or(ADVSVC, ADMIN, NET_OWNER_MEMBER, "rule:shared"),
        "Specify fixed_ips",
    ),
    Rule(
        "create_port:fixed_ips:ip_address",
        _or(ADVSVC, ADMIN, NET_OWNER_MEMBER),
        "Specify an IP address",
    ),
    Rule(
        "create_port:fixed_ips:subnet_id",
        _or(ADVSVC, ADMIN, NET_OWNER_MEMBER, "rule:shared"),
        "Specify a subnet",
    ),
    Rule(
        "create_port:port_security_enabled",
        _or(ADVSVC, ADMIN, NET_OWNER_MEMBER),
        "Specify port_security_enabled",
    ),
    Rule("create_port:binding:host_id", ADMIN, "Specify binding:host_id"),
    Rule("create_port:binding:profile", ADMIN, "Specify binding:profile"),
    Rule("create_port:trusted", ADMIN, "Specify trusted"),
    Rule(
        "create_port:binding:vnic_type",
        _or(ADMIN, PROJECT_MEMBER, ADVSVC),
        "Specify binding:vnic_type",
    ),
    Rule(
        "create_port:allowed_address_pairs",
        _or(ADMIN, NET_OWNER_MEMBER),
        "Specify allowed_address_pairs",
    ),
    Rule("get_port", _or(ADVSVC, ADMIN, PROJECT_READER, NET_OWNER_READER), "Get a port"),
    Rule("get_port:binding:vif_type", ADMIN, "Get binding:vif_type"),
    Rule("get_port:binding:vif_details", ADMIN, "Get binding:vif_details"),
    Rule("get_port:binding:host_id", ADMIN, "Get binding:host_id"),
    Rule("get_port:binding:profile", ADMIN, "Get binding:profile"),
    Rule("get_port:trusted", ADMIN, "Get trusted"),
    Rule("get_port:resource_request", ADMIN, "Get resource_request"),
    Rule("update_port", _or(ADMIN, PROJECT_MEMBER, ADVSVC), "Update a port"),
    Rule(
        "update_port:device_owner",
        _or(ADVSVC, ADMIN, NET_OWNER_MEMBER),
        "Update device_owner to network:*",
    ),
    Rule("update_port:mac_address", _or(ADMIN, ADVSVC), "Update mac_address"),
    Rule("update_port:fixed_ips", _or(ADVSVC, ADMIN, NET_OWNER_MEMBER), "Update fixed_ips"),
    Rule(
        "update_port:fixed_ips:ip_address",
        _or(ADVSVC, ADMIN, NET_OWNER_MEMBER),
        "Update an IP address",
    ),
    Rule(
        "update_port:fixed_ips:subnet_id",
        _or(ADVSVC, ADMIN, NET_OWNER_MEMBER, "rule:shared"),
        "Update a subnet",
    ),
    Rule(
        "update_port:port_security_enabled",
        _or(ADVSVC, ADMIN, NET_OWNER_MEMBER),
        "Update port_security_enabled",
    ),
    Rule("update_port:binding:host_id", ADMIN, "Update binding:host_id"),
    Rule("update_port:binding:profile", ADMIN, "Update binding:profile"),
    Rule("update_port:trusted", ADMIN, "Update trusted"),
    Rule(
        "update_port:binding:vnic_type",
        _or(ADMIN, PROJECT_MEMBER, ADVSVC),
        "Update binding:vnic_type",
    ),
    Rule(
        "update_port:allowed_address_pairs",
        _or(ADMIN, NET_OWNER_MEMBER),
        "Update allowed_address_pairs",
    ),
    Rule("delete_port", _or(ADVSVC, ADMIN, PROJECT_MEMBER, NET_OWNER_MEMBER), "Delete a port"),
    # security groups
    Rule("create_security_group", ADMIN_OR_MEMBER, "Create a security group"),
    Rule("get_security_group", ADMIN_OR_READER, "Get a security group"),
    Rule("update_security_group", ADMIN_OR_MEMBER, "Update a security group"),
    Rule("delete_security_group", ADMIN_OR_MEMBER, "Delete a security group"),
    Rule(
        "create_security_group_rule",
        _or(ADMIN, PROJECT_MEMBER, PARENT_OWNER_MEMBER),
        "Create a security group rule",
    ),
    Rule("get_security_group_rule", ADMIN_OR_READER, "Get a security group rule"),
    Rule("create_default_security_group_rule", ADMIN, "Create a default rule template"),
    Rule("get_default_security_group_rule", ADMIN_OR_READER, "Get default rule templates"),
    Rule("delete_default_security_group_rule", ADMIN, "Delete a default rule template"),
    Rule("update_security_group_rule", ADMIN_OR_MEMBER, "Update a security group rule"),
    Rule(
        "delete_security_group_rule",
        _or(ADMIN, PROJECT_MEMBER, PARENT_OWNER_MEMBER),
        "Delete a security group rule",
    ),
    # routers
    Rule("create_router", ADMIN_OR_MEMBER, "Create a router"),
    Rule("create_router:distributed", ADMIN, "Specify distributed"),
    Rule("create_router:ha", ADMIN, "Specify ha"),
    Rule("create_router:external_gateway_info", ADMIN_OR_MEMBER, "Specify external_gateway_info"),
    Rule(
        "create_router:external_gateway_info:network_id",
        ADMIN_OR_MEMBER,
        "Specify the gateway network",
    ),
    Rule("create_router:external_gateway_info:enable_snat", ADMIN, "Specify enable_snat"),
    Rule(
        "create_router:external_gateway_info:external_fixed_ips",
        ADMIN,
        "Specify external_fixed_ips",
    ),
    Rule("get_router", ADMIN_OR_READER, "Get a router"),
    Rule("get_router:distributed", ADMIN, "Get distributed"),
    Rule("get_router:ha", ADMIN, "Get ha"),
    Rule("update_router", ADMIN_OR_MEMBER, "Update a router"),
    Rule("update_router:distributed", ADMIN, "Update distributed"),
    Rule("update_router:ha", ADMIN, "Update ha"),
    Rule("update_router:external_gateway_info", ADMIN_OR_MEMBER, "Update external_gateway_info"),
    Rule(
        "update_router:external_gateway_info:network_id",
        ADMIN_OR_MEMBER,
        "Update the gateway network",
    ),
    Rule("update_router:external_gateway_info:enable_snat", ADMIN, "Update enable_snat"),
    Rule(
        "update_router:external_gateway_info:external_fixed_ips", ADMIN, "Update external_fixed_ips"
    ),
    Rule("delete_router", ADMIN_OR_MEMBER, "Delete a router"),
    Rule("add_router_interface", ADMIN_OR_MEMBER, "Add an interface to a router"),
    Rule("remove_router_interface", ADMIN_OR_MEMBER, "Remove an interface from a router"),
    # floating IPs
    Rule("create_floatingip", ADMIN_OR_MEMBER, "Create a floating IP"),
    Rule(
        "create_floatingip:floating_ip_address", ADMIN, "Create a floating IP with a given address"
    ),
    Rule("get_floatingip", ADMIN_OR_READER, "Get a floating IP"),
    Rule("update_floatingip", ADMIN_OR_MEMBER, "Update a floating IP"),
    Rule("delete_floatingip", ADMIN_OR_MEMBER, "Delete a floating IP"),
    Rule(
        "create_floatingip_port_forwarding",
        _or(ADMIN, PARENT_OWNER_MEMBER),
        "Create a floating IP port forwarding",
    ),
    Rule(
        "get_floatingip_port_forwarding",
        _or(ADMIN, "role:reader and project_id:%(ext_parent:project_id)s"),
        "Get a floating IP port forwarding",
    ),
    Rule(
        "update_floatingip_port_forwarding",
        _or(ADMIN, PARENT_OWNER_MEMBER),
        "Update a floating IP port forwarding",
    ),
    Rule(
        "delete_floatingip_port_forwarding",
        _or(ADMIN, PARENT_OWNER_MEMBER),
        "Delete a floating IP port forwarding",
    ),
    Rule("get_port_binding", ADMIN, "Get port bindings"),
    Rule("create_port_binding", ADMIN, "Create a port binding"),
    Rule("activate", ADMIN, "Activate a port binding"),
    Rule("delete_port_binding", ADMIN, "Delete a port binding"),
    Rule("get_flavor", "role:reader", "Get a flavor"),
    Rule("create_flavor", ADMIN, "Create a flavor"),
    Rule("update_flavor", ADMIN, "Update a flavor"),
    Rule("delete_flavor", ADMIN, "Delete a flavor"),
    Rule("get_service_profile", ADMIN, "Get a service profile"),
    Rule("create_service_profile", ADMIN, "Create a service profile"),
    Rule("update_service_profile", ADMIN, "Update a service profile"),
    Rule("delete_service_profile", ADMIN, "Delete a service profile"),
    Rule("create_flavor_service_profile", ADMIN, "Associate a flavor with a service profile"),
    Rule("delete_flavor_service_profile", ADMIN, "Disassociate a flavor from a service profile"),
    Rule(
        "create_router:external_gateway_info:qos_policy_id",
        ADMIN_OR_MEMBER,
        "Specify the gateway QoS policy",
    ),
    Rule(
        "update_router:external_gateway_info:qos_policy_id",
        ADMIN_OR_MEMBER,
        "Update the gateway QoS policy",
    ),
    # RBAC policies
    Rule("create_rbac_policy", ADMIN_OR_MEMBER, "Create an RBAC policy"),
    Rule(
        "create_rbac_policy:target_tenant", ADMIN, "Create an RBAC policy targeting every project"
    ),
    Rule("update_rbac_policy", ADMIN_OR_MEMBER, "Update an RBAC policy"),
    Rule(
        "update_rbac_policy:target_tenant", ADMIN, "Update an RBAC policy to target every project"
    ),
    Rule("get_rbac_policy", ADMIN_OR_READER, "Get an RBAC policy"),
    Rule("delete_rbac_policy", ADMIN_OR_MEMBER, "Delete an RBAC policy"),
    # trunks
    Rule("create_trunk", ADMIN_OR_MEMBER, "Create a trunk"),
    Rule("get_trunk", ADMIN_OR_READER, "Get a trunk"),
    Rule("update_trunk", ADMIN_OR_MEMBER, "Update a trunk"),
    Rule("delete_trunk", ADMIN_OR_MEMBER, "Delete a trunk"),
    Rule("get_subports", ADMIN_OR_READER, "List subports of a trunk"),
    Rule("add_subports", ADMIN_OR_MEMBER, "Add subports to a trunk"),
    Rule("remove_subports", ADMIN_OR_MEMBER, "Delete subports from a trunk"),
    # QoS
    Rule("get_policy", _or(ADMIN, PROJECT_READER, "rule:shared_qos_policy"), "Get QoS policies"),
    Rule("shared_qos_policy", "field:policies:shared=True", "Rule of shared QoS policy"),
    Rule("create_policy", ADMIN, "Create a QoS policy"),
    Rule("update_policy", ADMIN, "Update a QoS policy"),
    Rule("delete_policy", ADMIN, "Delete a QoS policy"),
    Rule("get_rule_type", ADMIN, "Get available QoS rule types"),
    *[
        Rule(
            f"{action}_policy_{kind}_rule",
            ADMIN if action != "get" else _or(ADMIN, PROJECT_READER),
            f"{action} a QoS {kind} rule",
        )
        for kind in ("bandwidth_limit", "dscp_marking", "minimum_bandwidth", "minimum_packet_rate")
        for action in ("get", "create", "update", "delete")
    ],
    # subnet pools, address scopes, auto-allocated topology
    Rule("create_subnetpool", ADMIN_OR_MEMBER, "Create a subnet pool"),
    Rule("create_subnetpool:shared", ADMIN, "Create a shared subnet pool"),
    Rule("create_subnetpool:is_default", ADMIN, "Specify is_default of a subnet pool"),
    Rule(
        "get_subnetpool", _or(ADMIN, PROJECT_READER, "rule:shared_subnetpools"), "Get a subnet pool"
    ),
    Rule(
        "shared_subnetpools", "field:subnetpools:shared=True", "Definition of a shared subnet pool"
    ),
    Rule("update_subnetpool", ADMIN_OR_MEMBER, "Update a subnet pool"),
    Rule("update_subnetpool:is_default", ADMIN, "Update is_default of a subnet pool"),
    Rule("delete_subnetpool", ADMIN_OR_MEMBER, "Delete a subnet pool"),
    Rule("create_address_scope", ADMIN_OR_MEMBER, "Create an address scope"),
    Rule("create_address_scope:shared", ADMIN, "Create a shared address scope"),
    Rule(
        "get_address_scope",
        _or(ADMIN, PROJECT_READER, "rule:shared_address_scopes"),
        "Get an address scope",
    ),
    Rule(
        "shared_address_scopes",
        "field:address_scopes:shared=True",
        "Definition of a shared address scope",
    ),
    Rule("update_address_scope", ADMIN_OR_MEMBER, "Update an address scope"),
    Rule("update_address_scope:shared", ADMIN, "Update shared of an address scope"),
    Rule("delete_address_scope", ADMIN_OR_MEMBER, "Delete an address scope"),
    Rule("get_auto_allocated_topology", ADMIN_OR_MEMBER, "Get a project's auto-allocated topology"),
    Rule(
        "delete_auto_allocated_topology",
        ADMIN_OR_MEMBER,
        "Delete a project's auto-allocated topology",
    ),
    Rule("create_network_segment_range", ADMIN, "Create a network segment range"),
    Rule("get_network_segment_range", ADMIN, "Get a network segment range"),
    Rule("update_network_segment_range", ADMIN, "Update a network segment range"),
    Rule("delete_network_segment_range", ADMIN, "Delete a network segment range"),
    # quotas, agents, zones, availability
    Rule("get_quota", ADMIN_OR_READER, "Get a resource quota"),
    Rule("update_quota", ADMIN, "Update a resource quota"),
    Rule("delete_quota", ADMIN, "Delete a resource quota"),
    Rule("get_agent", ADMIN, "Get an agent"),
    Rule("update_agent", ADMIN, "Update an agent"),
    Rule("delete_agent", ADMIN, "Delete an agent"),
    Rule("get_availability_zone", "role:reader", "List availability zones"),
    Rule("get_network_ip_availability", ADMIN, "Get network IP availability"),
]


def load() -> None:
    register(RULES)
