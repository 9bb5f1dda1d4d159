"""Compute policy defaults: upstream nova rule names. Check strings are written out in full
(nova's base rules ``admin_api``/``project_member_api`` names are shared with other services in
the one registry) and evaluate as oslo.policy does upstream without ``enforce_new_defaults``:
the new persona rule OR'd with its deprecated owner rule."""

from stratus.api.policy import Rule, register

ADMIN = "role:admin"
# project_member_or_admin / project_reader_or_admin, OR'd with the deprecated admin_or_owner.
MEMBER_OR_ADMIN = "role:admin or project_id:%(project_id)s"
READER_OR_ADMIN = "role:admin or project_id:%(project_id)s"
ANY = "@"
# os_compute_api:os-keypairs:* target the key pair's user.
OWNER_USER_OR_ADMIN = "role:admin or user_id:%(user_id)s"

SERVERS_INDEX = "os_compute_api:servers:index"
SERVERS_INDEX_ALL = "os_compute_api:servers:index:get_all_tenants"
SERVERS_DETAIL = "os_compute_api:servers:detail"
SERVERS_DETAIL_ALL = "os_compute_api:servers:detail:get_all_tenants"
SERVERS_ALLOW_ALL_FILTERS = "os_compute_api:servers:allow_all_filters"
SERVERS_SHOW = "os_compute_api:servers:show"
SERVERS_SHOW_HOST_STATUS = "os_compute_api:servers:show:host_status"
SERVERS_CREATE = "os_compute_api:servers:create"
SERVERS_CREATE_FORCED_HOST = "os_compute_api:servers:create:forced_host"
SERVERS_CREATE_REQUESTED_DESTINATION = "compute:servers:create:requested_destination"
SERVERS_CREATE_ATTACH_NETWORK = "os_compute_api:servers:create:attach_network"
SERVERS_UPDATE = "os_compute_api:servers:update"
SERVERS_DELETE = "os_compute_api:servers:delete"
EXT_SRV_ATTR = "os_compute_api:os-extended-server-attributes"
SERVER_METADATA_INDEX = "os_compute_api:server-metadata:index"
SERVER_METADATA_SHOW = "os_compute_api:server-metadata:show"
SERVER_METADATA_CREATE = "os_compute_api:server-metadata:create"
SERVER_METADATA_UPDATE_ALL = "os_compute_api:server-metadata:update_all"
SERVER_METADATA_UPDATE = "os_compute_api:server-metadata:update"
SERVER_METADATA_DELETE = "os_compute_api:server-metadata:delete"
SERVER_TAGS_INDEX = "os_compute_api:os-server-tags:index"
SERVER_TAGS_SHOW = "os_compute_api:os-server-tags:show"
SERVER_TAGS_UPDATE = "os_compute_api:os-server-tags:update"
SERVER_TAGS_UPDATE_ALL = "os_compute_api:os-server-tags:update_all"
SERVER_TAGS_DELETE = "os_compute_api:os-server-tags:delete"
SERVER_TAGS_DELETE_ALL = "os_compute_api:os-server-tags:delete_all"
ACTIONS_LIST = "os_compute_api:os-instance-actions:list"
ACTIONS_SHOW = "os_compute_api:os-instance-actions:show"
ACTIONS_EVENTS = "os_compute_api:os-instance-actions:events"
ACTIONS_EVENTS_DETAILS = "os_compute_api:os-instance-actions:events:details"
INTERFACES_LIST = "os_compute_api:os-attach-interfaces:list"
INTERFACES_SHOW = "os_compute_api:os-attach-interfaces:show"
IPS_INDEX = "os_compute_api:ips:index"
IPS_SHOW = "os_compute_api:ips:show"

FLAVOR_MANAGE_CREATE = "os_compute_api:os-flavor-manage:create"
FLAVOR_MANAGE_UPDATE = "os_compute_api:os-flavor-manage:update"
FLAVOR_MANAGE_DELETE = "os_compute_api:os-flavor-manage:delete"
FLAVOR_ACCESS = "os_compute_api:os-flavor-access"
FLAVOR_ACCESS_ADD = "os_compute_api:os-flavor-access:add_tenant_access"
FLAVOR_ACCESS_REMOVE = "os_compute_api:os-flavor-access:remove_tenant_access"
EXTRA_SPECS_INDEX = "os_compute_api:os-flavor-extra-specs:index"
EXTRA_SPECS_SHOW = "os_compute_api:os-flavor-extra-specs:show"
EXTRA_SPECS_CREATE = "os_compute_api:os-flavor-extra-specs:create"
EXTRA_SPECS_UPDATE = "os_compute_api:os-flavor-extra-specs:update"
EXTRA_SPECS_DELETE = "os_compute_api:os-flavor-extra-specs:delete"

KEYPAIRS_INDEX = "os_compute_api:os-keypairs:index"
KEYPAIRS_CREATE = "os_compute_api:os-keypairs:create"
KEYPAIRS_SHOW = "os_compute_api:os-keypairs:show"
KEYPAIRS_DELETE = "os_compute_api:os-keypairs:delete"

AZ_LIST = "os_compute_api:os-availability-zone:list"
AZ_DETAIL = "os_compute_api:os-availability-zone:detail"
LIMITS = "os_compute_api:limits"
LIMITS_OTHER_PROJECT = "os_compute_api:limits:other_project"
QUOTA_SHOW = "os_compute_api:os-quota-sets:show"
QUOTA_UPDATE = "os_compute_api:os-quota-sets:update"
QUOTA_DEFAULTS = "os_compute_api:os-quota-sets:defaults"
QUOTA_DELETE = "os_compute_api:os-quota-sets:delete"
QUOTA_DETAIL = "os_compute_api:os-quota-sets:detail"
HYPERVISORS_LIST = "os_compute_api:os-hypervisors:list"
HYPERVISORS_LIST_DETAIL = "os_compute_api:os-hypervisors:list-detail"
HYPERVISORS_SHOW = "os_compute_api:os-hypervisors:show"
HYPERVISORS_STATISTICS = "os_compute_api:os-hypervisors:statistics"
HYPERVISORS_UPTIME = "os_compute_api:os-hypervisors:uptime"
HYPERVISORS_SEARCH = "os_compute_api:os-hypervisors:search"
HYPERVISORS_SERVERS = "os_compute_api:os-hypervisors:servers"
SERVICES_LIST = "os_compute_api:os-services:list"
SERVICES_UPDATE = "os_compute_api:os-services:update"
SERVICES_DELETE = "os_compute_api:os-services:delete"

GROUPS_CREATE = "os_compute_api:os-server-groups:create"
GROUPS_DELETE = "os_compute_api:os-server-groups:delete"
GROUPS_INDEX = "os_compute_api:os-server-groups:index"
GROUPS_INDEX_ALL = "os_compute_api:os-server-groups:index:all_projects"
GROUPS_SHOW = "os_compute_api:os-server-groups:show"

AGGREGATES_INDEX = "os_compute_api:os-aggregates:index"
AGGREGATES_CREATE = "os_compute_api:os-aggregates:create"
AGGREGATES_SHOW = "os_compute_api:os-aggregates:show"
AGGREGATES_UPDATE = "os_compute_api:os-aggregates:update"
AGGREGATES_DELETE = "os_compute_api:os-aggregates:delete"
AGGREGATES_ADD_HOST = "os_compute_api:os-aggregates:add_host"
AGGREGATES_REMOVE_HOST = "os_compute_api:os-aggregates:remove_host"
AGGREGATES_SET_METADATA = "os_compute_api:os-aggregates:set_metadata"

SERVERS_STOP = "os_compute_api:servers:stop"
SERVERS_START = "os_compute_api:servers:start"
SERVERS_REBOOT = "os_compute_api:servers:reboot"
PAUSE = "os_compute_api:os-pause-server:pause"
UNPAUSE = "os_compute_api:os-pause-server:unpause"
SUSPEND = "os_compute_api:os-suspend-server:suspend"
RESUME = "os_compute_api:os-suspend-server:resume"
LOCK = "os_compute_api:os-lock-server:lock"
UNLOCK = "os_compute_api:os-lock-server:unlock"
UNLOCK_OVERRIDE = "os_compute_api:os-lock-server:unlock:unlock_override"
CONSOLE_OUTPUT = "os_compute_api:os-console-output"

USAGE_LIST = "os_compute_api:os-simple-tenant-usage:list"
USAGE_SHOW = "os_compute_api:os-simple-tenant-usage:show"
MIGRATIONS_INDEX = "os_compute_api:os-migrations:index"

RESET_STATE = "os_compute_api:os-admin-actions:reset_state"

INJECT_NETWORK_INFO = "os_compute_api:os-admin-actions:inject_network_info"
RESTORE = "os_compute_api:os-deferred-delete:restore"
PASSWORD_SHOW = "os_compute_api:os-server-password:show"
PASSWORD_CLEAR = "os_compute_api:os-server-password:clear"

SERVERS_REBUILD = "os_compute_api:servers:rebuild"

QUOTA_CLASS_SHOW = "os_compute_api:os-quota-class-sets:show"
QUOTA_CLASS_UPDATE = "os_compute_api:os-quota-class-sets:update"

_RULES: list[tuple[str, str, str]] = [
    (QUOTA_CLASS_SHOW, ADMIN, "List quotas for specific quota classs"),
    (QUOTA_CLASS_UPDATE, ADMIN, "Update quotas for specific quota class"),
    (SERVERS_REBUILD, MEMBER_OR_ADMIN, "Rebuild a server"),
    (INJECT_NETWORK_INFO, ADMIN, "Inject network information into the server"),
    (RESTORE, MEMBER_OR_ADMIN, "Restore a soft deleted server"),
    (PASSWORD_SHOW, READER_OR_ADMIN, "Show the encrypted administrative password of a server"),
    (PASSWORD_CLEAR, MEMBER_OR_ADMIN, "Clear the encrypted administrative password of a server"),
    (RESET_STATE, ADMIN, "Reset the state of a given server"),
    (USAGE_LIST, ADMIN, "List per tenant usage statistics for all tenants"),
    (USAGE_SHOW, READER_OR_ADMIN, "Show usage statistics for a specific tenant"),
    (MIGRATIONS_INDEX, ADMIN, "List migrations"),
    (SERVERS_STOP, MEMBER_OR_ADMIN, "Stop a server"),
    (SERVERS_START, MEMBER_OR_ADMIN, "Start a server"),
    (SERVERS_REBOOT, MEMBER_OR_ADMIN, "Reboot a server"),
    (PAUSE, MEMBER_OR_ADMIN, "Pause a server"),
    (UNPAUSE, MEMBER_OR_ADMIN, "Unpause a paused server"),
    (SUSPEND, MEMBER_OR_ADMIN, "Suspend server"),
    (RESUME, MEMBER_OR_ADMIN, "Resume suspended server"),
    (LOCK, MEMBER_OR_ADMIN, "Lock a server"),
    (UNLOCK, MEMBER_OR_ADMIN, "Unlock a server"),
    (UNLOCK_OVERRIDE, ADMIN, "Unlock a server, regardless who locked the server."),
    (CONSOLE_OUTPUT, MEMBER_OR_ADMIN, "Show console output for a server"),
    (AGGREGATES_INDEX, ADMIN, "List all aggregates"),
    (AGGREGATES_CREATE, ADMIN, "Create an aggregate"),
    (AGGREGATES_SHOW, ADMIN, "Show details for an aggregate"),
    (AGGREGATES_UPDATE, ADMIN, "Update name and/or availability zone for an aggregate"),
    (AGGREGATES_DELETE, ADMIN, "Delete an aggregate"),
    (AGGREGATES_ADD_HOST, ADMIN, "Add a host to an aggregate"),
    (AGGREGATES_REMOVE_HOST, ADMIN, "Remove a host from an aggregate"),
    (AGGREGATES_SET_METADATA, ADMIN, "Create or replace metadata for an aggregate"),
    (GROUPS_CREATE, MEMBER_OR_ADMIN, "Create a new server group"),
    (GROUPS_DELETE, MEMBER_OR_ADMIN, "Delete a server group"),
    (GROUPS_INDEX, READER_OR_ADMIN, "List all server groups"),
    (GROUPS_INDEX_ALL, ADMIN, "List all server groups for all projects"),
    (GROUPS_SHOW, READER_OR_ADMIN, "Show details of a server group"),
    (SERVERS_INDEX, MEMBER_OR_ADMIN, "List all servers"),
    (SERVERS_DETAIL, MEMBER_OR_ADMIN, "List all servers with detailed information"),
    (SERVERS_INDEX_ALL, ADMIN, "List all servers for all projects"),
    (SERVERS_DETAIL_ALL, ADMIN, "List all servers with details for all projects"),
    (SERVERS_ALLOW_ALL_FILTERS, ADMIN, "Allow all filters when listing servers"),
    (SERVERS_SHOW, READER_OR_ADMIN, "Show a server"),
    (SERVERS_SHOW_HOST_STATUS, ADMIN, "Show a server with host status information"),
    (SERVERS_CREATE, MEMBER_OR_ADMIN, "Create a server"),
    (SERVERS_CREATE_FORCED_HOST, ADMIN, "Create a server on the specified host and/or node"),
    (SERVERS_CREATE_REQUESTED_DESTINATION, ADMIN, "Create a server on the requested host"),
    (SERVERS_CREATE_ATTACH_NETWORK, MEMBER_OR_ADMIN, "Create a server with requested networks"),
    (SERVERS_UPDATE, MEMBER_OR_ADMIN, "Update a server"),
    (SERVERS_DELETE, MEMBER_OR_ADMIN, "Delete a server"),
    (EXT_SRV_ATTR, ADMIN, "Return extended attributes for server"),
    (SERVER_METADATA_INDEX, READER_OR_ADMIN, "List all metadata of a server"),
    (SERVER_METADATA_SHOW, READER_OR_ADMIN, "Show metadata for a server"),
    (SERVER_METADATA_CREATE, MEMBER_OR_ADMIN, "Create metadata for a server"),
    (SERVER_METADATA_UPDATE_ALL, MEMBER_OR_ADMIN, "Replace metadata for a server"),
    (SERVER_METADATA_UPDATE, MEMBER_OR_ADMIN, "Update metadata from a server"),
    (SERVER_METADATA_DELETE, MEMBER_OR_ADMIN, "Delete metadata from a server"),
    (SERVER_TAGS_INDEX, READER_OR_ADMIN, "List all tags for given server"),
    (SERVER_TAGS_SHOW, READER_OR_ADMIN, "Check tag existence on the server."),
    (SERVER_TAGS_UPDATE, MEMBER_OR_ADMIN, "Add a single tag to the server"),
    (SERVER_TAGS_UPDATE_ALL, MEMBER_OR_ADMIN, "Replace all tags on specified server"),
    (SERVER_TAGS_DELETE, MEMBER_OR_ADMIN, "Delete a single tag from the specified server"),
    (SERVER_TAGS_DELETE_ALL, MEMBER_OR_ADMIN, "Delete all the server tags"),
    (ACTIONS_LIST, READER_OR_ADMIN, "List actions for a server."),
    (ACTIONS_SHOW, READER_OR_ADMIN, "Show action details for a server."),
    (ACTIONS_EVENTS, ADMIN, "Add events details in action details for a server."),
    (ACTIONS_EVENTS_DETAILS, ADMIN, "Add 'details' in action events for a server."),
    (INTERFACES_LIST, READER_OR_ADMIN, "List port interfaces attached to a server"),
    (INTERFACES_SHOW, READER_OR_ADMIN, "Show details of a port interface attached to a server"),
    (IPS_INDEX, READER_OR_ADMIN, "List IP addresses that are assigned to a server"),
    (IPS_SHOW, READER_OR_ADMIN, "Show IP addresses details for a network label of a  server"),
    (FLAVOR_MANAGE_CREATE, ADMIN, "Create a flavor"),
    (FLAVOR_MANAGE_UPDATE, ADMIN, "Update a flavor"),
    (FLAVOR_MANAGE_DELETE, ADMIN, "Delete a flavor"),
    (FLAVOR_ACCESS, ADMIN, "List flavor access information"),
    (FLAVOR_ACCESS_ADD, ADMIN, "Add flavor access to a tenant"),
    (FLAVOR_ACCESS_REMOVE, ADMIN, "Remove flavor access from a tenant"),
    (EXTRA_SPECS_INDEX, ANY, "List extra specs for a flavor."),
    (EXTRA_SPECS_SHOW, ANY, "Show an extra spec for a flavor"),
    (EXTRA_SPECS_CREATE, ADMIN, "Create extra specs for a flavor"),
    (EXTRA_SPECS_UPDATE, ADMIN, "Update an extra spec for a flavor"),
    (EXTRA_SPECS_DELETE, ADMIN, "Delete an extra spec for a flavor"),
    (KEYPAIRS_INDEX, OWNER_USER_OR_ADMIN, "List all keypairs"),
    (KEYPAIRS_CREATE, OWNER_USER_OR_ADMIN, "Create a keypair"),
    (KEYPAIRS_SHOW, OWNER_USER_OR_ADMIN, "Show details of a keypair"),
    (KEYPAIRS_DELETE, OWNER_USER_OR_ADMIN, "Delete a keypair"),
    (AZ_LIST, ANY, "List availability zone information without host information"),
    (AZ_DETAIL, ADMIN, "List detailed availability zone information with host information"),
    (LIMITS, ANY, "Show rate and absolute limits for the current user project"),
    (LIMITS_OTHER_PROJECT, ADMIN, "Show rate and absolute limits of other project"),
    (QUOTA_SHOW, READER_OR_ADMIN, "Show a quota"),
    (QUOTA_UPDATE, ADMIN, "Update the quotas"),
    (QUOTA_DEFAULTS, ANY, "List default quotas"),
    (QUOTA_DELETE, ADMIN, "Revert quotas to defaults"),
    (QUOTA_DETAIL, READER_OR_ADMIN, "Show the detail of quota"),
    (HYPERVISORS_LIST, ADMIN, "List all hypervisors."),
    (HYPERVISORS_LIST_DETAIL, ADMIN, "List all hypervisors with details"),
    (HYPERVISORS_SHOW, ADMIN, "Show details for a hypervisor."),
    (HYPERVISORS_STATISTICS, ADMIN, "Show summary statistics for all hypervisors"),
    (HYPERVISORS_UPTIME, ADMIN, "Show the uptime of a hypervisor."),
    (HYPERVISORS_SEARCH, ADMIN, "Search hypervisor by hypervisor_hostname pattern."),
    (HYPERVISORS_SERVERS, ADMIN, "List all servers on hypervisors"),
    (SERVICES_LIST, ADMIN, "List all running Compute services in a region."),
    (SERVICES_UPDATE, ADMIN, "Update a Compute service."),
    (SERVICES_DELETE, ADMIN, "Delete a Compute service."),
]

register(Rule(name, check, description) for name, check, description in _RULES)

# -- server actions, moves and maintenance (upstream defaults) ----------------------------

RESIZE = "os_compute_api:servers:resize"
CONFIRM_RESIZE = "os_compute_api:servers:confirm_resize"
REVERT_RESIZE = "os_compute_api:servers:revert_resize"
MIGRATE = "os_compute_api:os-migrate-server:migrate"
MIGRATE_HOST = "os_compute_api:os-migrate-server:migrate:host"
MIGRATE_LIVE = "os_compute_api:os-migrate-server:migrate_live"
EVACUATE = "os_compute_api:os-evacuate"
SERVER_MIGRATIONS_INDEX = "os_compute_api:servers:migrations:index"
SERVER_MIGRATIONS_SHOW = "os_compute_api:servers:migrations:show"
SERVER_MIGRATIONS_FORCE_COMPLETE = "os_compute_api:servers:migrations:force_complete"
SERVER_MIGRATIONS_DELETE = "os_compute_api:servers:migrations:delete"
SHELVE = "os_compute_api:os-shelve:shelve"
SHELVE_OFFLOAD = "os_compute_api:os-shelve:shelve_offload"
UNSHELVE = "os_compute_api:os-shelve:unshelve"
UNSHELVE_TO_HOST = "os_compute_api:os-shelve:unshelve_to_host"
RESCUE = "os_compute_api:os-rescue"
UNRESCUE = "os_compute_api:os-unrescue"
CREATE_IMAGE = "os_compute_api:servers:create_image"
CREATE_BACKUP = "os_compute_api:os-create-backup"
CRASH_DUMP = "os_compute_api:servers:trigger_crash_dump"
CHANGE_PASSWORD = "os_compute_api:os-admin-password"
SECURITY_GROUPS_ADD = "os_compute_api:os-security-groups:add"
SECURITY_GROUPS_REMOVE = "os_compute_api:os-security-groups:remove"
SECURITY_GROUPS_LIST = "os_compute_api:os-security-groups:list"
INTERFACES_CREATE = "os_compute_api:os-attach-interfaces:create"
INTERFACES_DELETE = "os_compute_api:os-attach-interfaces:delete"
EXTERNAL_EVENTS = "os_compute_api:os-server-external-events:create"
ASSISTED_SNAPSHOTS_CREATE = "os_compute_api:os-assisted-volume-snapshots:create"
ASSISTED_SNAPSHOTS_DELETE = "os_compute_api:os-assisted-volume-snapshots:delete"
# nova's service role, OR'd with its deprecated admin_api (block storage calls these).
SERVICE_OR_ADMIN = "role:service or role:admin"

register(
    Rule(name, check, description)
    for name, check, description in [
        (RESIZE, MEMBER_OR_ADMIN, "Resize a server"),
        (CONFIRM_RESIZE, MEMBER_OR_ADMIN, "Confirm a server resize"),
        (REVERT_RESIZE, MEMBER_OR_ADMIN, "Revert a server resize"),
        (MIGRATE, ADMIN, "Cold migrate a server to a host"),
        (MIGRATE_HOST, ADMIN, "Cold migrate a server to a specified host"),
        (MIGRATE_LIVE, ADMIN, "Live migrate a server to a new host without a reboot"),
        (EVACUATE, ADMIN, "Evacuate a server from a failed host to a new host"),
        (SERVER_MIGRATIONS_INDEX, ADMIN, "Lists in-progress live migrations for a given server"),
        (SERVER_MIGRATIONS_SHOW, ADMIN, "Show details for an in-progress live migration"),
        (
            SERVER_MIGRATIONS_FORCE_COMPLETE,
            ADMIN,
            "Force an in-progress live migration to complete",
        ),
        (SERVER_MIGRATIONS_DELETE, ADMIN, "Delete(Abort) an in-progress live migration"),
        (SHELVE, MEMBER_OR_ADMIN, "Shelve server"),
        (SHELVE_OFFLOAD, ADMIN, "Shelf-offload (remove) server"),
        (UNSHELVE, MEMBER_OR_ADMIN, "Unshelve (restore) shelved server"),
        (UNSHELVE_TO_HOST, ADMIN, "Unshelve (restore) shelve offloaded server to a host"),
        (RESCUE, MEMBER_OR_ADMIN, "Rescue a server"),
        (UNRESCUE, MEMBER_OR_ADMIN, "Unrescue a server"),
        (CREATE_IMAGE, MEMBER_OR_ADMIN, "Create an image from a server"),
        (CREATE_BACKUP, MEMBER_OR_ADMIN, "Create a back up of a server"),
        (CRASH_DUMP, MEMBER_OR_ADMIN, "Trigger crash dump in a server"),
        (CHANGE_PASSWORD, MEMBER_OR_ADMIN, "Change the administrative password for a server"),
        (SECURITY_GROUPS_ADD, MEMBER_OR_ADMIN, "Add security groups to server"),
        (SECURITY_GROUPS_REMOVE, MEMBER_OR_ADMIN, "Remove security groups from server"),
        (SECURITY_GROUPS_LIST, READER_OR_ADMIN, "List security groups of server"),
        (INTERFACES_CREATE, MEMBER_OR_ADMIN, "Attach an interface to a server"),
        (INTERFACES_DELETE, MEMBER_OR_ADMIN, "Detach an interface from a server"),
        (EXTERNAL_EVENTS, ADMIN, "Create one or more external events"),
        (ASSISTED_SNAPSHOTS_CREATE, SERVICE_OR_ADMIN, "Create an assisted volume snapshot"),
        (ASSISTED_SNAPSHOTS_DELETE, SERVICE_OR_ADMIN, "Delete an assisted volume snapshot"),
    ]
)
