"""Policy defaults of nova's proxy and deprecated APIs (security groups, floating IPs,
networks, the instance usage audit log, consoles, extensions): upstream names, and the same
check strings as ``policies.py``."""

from stratus.api.policy import Rule, register
from stratus.services.compute.policies import ADMIN, ANY, MEMBER_OR_ADMIN, READER_OR_ADMIN

SG_GET = "os_compute_api:os-security-groups:get"
SG_SHOW = "os_compute_api:os-security-groups:show"
SG_CREATE = "os_compute_api:os-security-groups:create"
SG_UPDATE = "os_compute_api:os-security-groups:update"
SG_DELETE = "os_compute_api:os-security-groups:delete"
SG_RULE_CREATE = "os_compute_api:os-security-groups:rule:create"
SG_RULE_DELETE = "os_compute_api:os-security-groups:rule:delete"
FIP_LIST = "os_compute_api:os-floating-ips:list"
FIP_SHOW = "os_compute_api:os-floating-ips:show"
FIP_CREATE = "os_compute_api:os-floating-ips:create"
FIP_DELETE = "os_compute_api:os-floating-ips:delete"
FIP_POOLS = "os_compute_api:os-floating-ip-pools"
FIP_ADD = "os_compute_api:os-floating-ips:add"
FIP_REMOVE = "os_compute_api:os-floating-ips:remove"
NETWORKS_LIST = "os_compute_api:os-networks:list"
NETWORKS_VIEW = "os_compute_api:os-networks:view"
TENANT_NETWORKS_LIST = "os_compute_api:os-tenant-networks:list"
TENANT_NETWORKS_SHOW = "os_compute_api:os-tenant-networks:show"
AUDIT_LOG_LIST = "os_compute_api:os-instance-usage-audit-log:list"
AUDIT_LOG_SHOW = "os_compute_api:os-instance-usage-audit-log:show"
EXTENSIONS = "os_compute_api:extensions"
REMOTE_CONSOLES = "os_compute_api:os-remote-consoles"
CONSOLE_AUTH_TOKENS = "os_compute_api:os-console-auth-tokens"
HOSTS_LIST = "os_compute_api:os-hosts:list"
HOSTS_SHOW = "os_compute_api:os-hosts:show"
HOSTS_UPDATE = "os_compute_api:os-hosts:update"
HOSTS_REBOOT = "os_compute_api:os-hosts:reboot"
HOSTS_SHUTDOWN = "os_compute_api:os-hosts:shutdown"
HOSTS_START = "os_compute_api:os-hosts:start"

_RULES = [
    (SG_GET, READER_OR_ADMIN, "List security groups. This API is deprecated."),
    (SG_SHOW, READER_OR_ADMIN, "Show security group. This API is deprecated."),
    (SG_CREATE, MEMBER_OR_ADMIN, "Create security group. This API is deprecated."),
    (SG_UPDATE, MEMBER_OR_ADMIN, "Update security group. This API is deprecated."),
    (SG_DELETE, MEMBER_OR_ADMIN, "Delete security group. This API is deprecated."),
    (SG_RULE_CREATE, MEMBER_OR_ADMIN, "Create security group Rule. This API is deprecated."),
    (SG_RULE_DELETE, MEMBER_OR_ADMIN, "Delete security group Rule. This API is deprecated."),
    (FIP_LIST, READER_OR_ADMIN, "List floating IPs. This API is deprecated."),
    (FIP_SHOW, READER_OR_ADMIN, "Show floating IPs. This API is deprecated."),
    (FIP_CREATE, MEMBER_OR_ADMIN, "Create floating IPs. This API is deprecated."),
    (FIP_DELETE, MEMBER_OR_ADMIN, "Delete floating IPs. This API is deprecated."),
    (FIP_POOLS, ANY, "List floating IP pools. This API is deprecated."),
    (FIP_ADD, MEMBER_OR_ADMIN, "Associate floating IPs to server. This API is deprecated."),
    (FIP_REMOVE, MEMBER_OR_ADMIN, "Disassociate floating IPs from server. Deprecated."),
    (NETWORKS_LIST, READER_OR_ADMIN, "List networks for the project. This API is deprecated."),
    (NETWORKS_VIEW, READER_OR_ADMIN, "Show network details. This API is deprecated."),
    (TENANT_NETWORKS_LIST, READER_OR_ADMIN, "List project networks. This API is deprecated."),
    (TENANT_NETWORKS_SHOW, READER_OR_ADMIN, "Show project network. This API is deprecated."),
    (AUDIT_LOG_LIST, ADMIN, "List all usage audits."),
    (AUDIT_LOG_SHOW, ADMIN, "List all usage audits occurred before a specified time."),
    (EXTENSIONS, ANY, "List available extensions and show information for an extension."),
    (REMOTE_CONSOLES, MEMBER_OR_ADMIN, "Generate a URL to access remove server console."),
    (CONSOLE_AUTH_TOKENS, ADMIN, "Show console connection information for a given token"),
    (HOSTS_LIST, ADMIN, "List physical hosts. This API is deprecated."),
    (HOSTS_SHOW, ADMIN, "Show physical host. This API is deprecated."),
    (HOSTS_UPDATE, ADMIN, "Update physical host. This API is deprecated."),
    (HOSTS_REBOOT, ADMIN, "Reboot physical host. This API is deprecated."),
    (HOSTS_SHUTDOWN, ADMIN, "Shutdown physical host. This API is deprecated."),
    (HOSTS_START, ADMIN, "Start physical host. This API is deprecated."),
]

register(Rule(name, check, description) for name, check, description in _RULES)
