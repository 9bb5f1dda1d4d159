"""Placement policy defaults: upstream names and check strings (admin / service / project
reader personas)."""

from stratus.api.policy import Rule, register

ADMIN_OR_SERVICE = "rule:admin_or_service_api"
SERVICE = "rule:service_api"
ADMIN_OR_PROJECT_READER_OR_SERVICE = "rule:admin_or_project_reader_or_service_api"

RP_LIST = "placement:resource_providers:list"
RP_CREATE = "placement:resource_providers:create"
RP_SHOW = "placement:resource_providers:show"
RP_UPDATE = "placement:resource_providers:update"
RP_DELETE = "placement:resource_providers:delete"
INV_LIST = "placement:resource_providers:inventories:list"
INV_CREATE = "placement:resource_providers:inventories:create"
INV_SHOW = "placement:resource_providers:inventories:show"
INV_UPDATE = "placement:resource_providers:inventories:update"
INV_DELETE = "placement:resource_providers:inventories:delete"
AGG_LIST = "placement:resource_providers:aggregates:list"
AGG_UPDATE = "placement:resource_providers:aggregates:update"
RP_USAGES = "placement:resource_providers:usages"
TOTAL_USAGES = "placement:usages"
RP_TRAIT_LIST = "placement:resource_providers:traits:list"
RP_TRAIT_UPDATE = "placement:resource_providers:traits:update"
RP_TRAIT_DELETE = "placement:resource_providers:traits:delete"
TRAITS_LIST = "placement:traits:list"
TRAITS_SHOW = "placement:traits:show"
TRAITS_UPDATE = "placement:traits:update"
TRAITS_DELETE = "placement:traits:delete"
RC_LIST = "placement:resource_classes:list"
RC_CREATE = "placement:resource_classes:create"
RC_SHOW = "placement:resource_classes:show"
RC_UPDATE = "placement:resource_classes:update"
RC_DELETE = "placement:resource_classes:delete"
ALLOC_LIST = "placement:allocations:list"
ALLOC_MANAGE = "placement:allocations:manage"
ALLOC_UPDATE = "placement:allocations:update"
ALLOC_DELETE = "placement:allocations:delete"
RP_ALLOC_LIST = "placement:resource_providers:allocations:list"
CANDIDATES_LIST = "placement:allocation_candidates:list"
RESHAPE = "placement:reshaper:reshape"

_ADMIN_OR_SERVICE_RULES = {
    RP_LIST: "List resource providers.",
    RP_CREATE: "Create resource provider.",
    RP_SHOW: "Show resource provider.",
    RP_UPDATE: "Update resource provider.",
    RP_DELETE: "Delete resource provider.",
    INV_LIST: "List resource provider inventories.",
    INV_CREATE: "Create one resource provider inventory.",
    INV_SHOW: "Show resource provider inventory.",
    INV_UPDATE: "Update resource provider inventory.",
    INV_DELETE: "Delete resource provider inventory.",
    AGG_LIST: "List resource provider aggregates.",
    AGG_UPDATE: "Update resource provider aggregates.",
    RP_USAGES: "List resource provider usages.",
    RP_TRAIT_LIST: "List resource provider traits.",
    RP_TRAIT_UPDATE: "Update resource provider traits.",
    RP_TRAIT_DELETE: "Delete resource provider traits.",
    TRAITS_LIST: "List traits.",
    TRAITS_SHOW: "Show trait.",
    TRAITS_UPDATE: "Update trait.",
    TRAITS_DELETE: "Delete trait.",
    RC_LIST: "List resource classes.",
    RC_CREATE: "Create resource class.",
    RC_SHOW: "Show resource class.",
    RC_UPDATE: "Update resource class.",
    RC_DELETE: "Delete resource class.",
    ALLOC_LIST: "List allocations.",
    ALLOC_MANAGE: "Manage allocations.",
    ALLOC_UPDATE: "Update allocations.",
    ALLOC_DELETE: "Delete allocations.",
    RP_ALLOC_LIST: "List resource provider allocations.",
    CANDIDATES_LIST: "List allocation candidates.",
}

# Defaults as oslo.policy evaluates upstream's rules without enforce_new_defaults: each
# new persona rule OR'd with its deprecated "role:admin". NEW_DEFAULTS holds the strict
# secure-RBAC strings for operators who want them (policy.yaml).
NEW_DEFAULTS = {
    "admin_api": "role:admin",
    "service_api": "role:service",
    "admin_or_service_api": "role:admin or role:service",
    "project_reader_api": "role:reader and project_id:%(project_id)s",
    "admin_or_project_reader_or_service_api": (
        "role:admin or rule:project_reader_api or role:service"
    ),
}

register(
    [
        Rule("admin_api", "role:admin", "Default rule for most placement APIs."),
        Rule(
            "service_api",
            "role:service or role:admin",
            "Default rule for service-to-service APIs.",
        ),
        Rule("admin_or_service_api", "role:admin or role:service", "Admin or service."),
        Rule(
            "project_reader_api",
            "(role:reader and project_id:%(project_id)s) or role:admin",
            "Default rule for project level reader APIs.",
        ),
        Rule(
            "admin_or_project_reader_or_service_api",
            "role:admin or rule:project_reader_api or role:service",
            "Default rule for project level reader APIs.",
        ),
        *(Rule(name, ADMIN_OR_SERVICE, text) for name, text in _ADMIN_OR_SERVICE_RULES.items()),
        Rule(TOTAL_USAGES, ADMIN_OR_PROJECT_READER_OR_SERVICE, "List total resource usages."),
        Rule(RESHAPE, SERVICE, "Reshape Inventory and Allocations."),
    ]
)
