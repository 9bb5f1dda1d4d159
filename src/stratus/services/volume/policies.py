"""Cinder's policy defaults under their upstream names (admin, or the owning project)."""

from stratus.api.policy import Rule, register

ADMIN = "role:admin"
OWNER = "role:admin or project_id:%(project_id)s"
ANY = ""

VOLUME_CREATE = "volume:create"
VOLUME_CREATE_FROM_IMAGE = "volume:create_from_image"
VOLUME_GET = "volume:get"
VOLUME_GET_ALL = "volume:get_all"
VOLUME_UPDATE = "volume:update"
VOLUME_DELETE = "volume:delete"
VOLUME_FORCE_DELETE = "volume:force_delete"
VOLUME_EXTEND = "volume:extend"
VOLUME_EXTEND_ATTACHED = "volume:extend_attached_volume"
VOLUME_EXTEND_COMPLETE = "volume_extension:volume_admin_actions:extend_volume_completion"
VOLUME_REIMAGE = "volume:reimage"
VOLUME_REIMAGE_RESERVED = "volume:reimage_reserved"
VOLUME_RETYPE = "volume:retype"
VOLUME_REVERT = "volume:revert_to_snapshot"
VOLUME_MULTIATTACH = "volume:multiattach"
VOLUME_METADATA = "volume:update_volume_metadata"
VOLUME_GET_METADATA = "volume:get_volume_metadata"
VOLUME_DELETE_METADATA = "volume:delete_volume_metadata"
VOLUME_ADMIN_METADATA = "volume:update_volume_admin_metadata"
VOLUME_BOOTABLE = "volume_extension:volume_actions:set_bootable"
VOLUME_READONLY = "volume:update_readonly_flag"
VOLUME_RESET_STATUS = "volume_extension:volume_admin_actions:reset_status"
VOLUME_FORCE_DETACH = "volume_extension:volume_admin_actions:force_detach"
VOLUME_MIGRATE = "volume_extension:volume_admin_actions:migrate_volume"
VOLUME_UPLOAD_IMAGE = "volume_extension:volume_actions:upload_image"
VOLUME_UPLOAD_PUBLIC = "volume_extension:volume_actions:upload_public"
VOLUME_ATTACH = "volume_extension:volume_actions:attach"
VOLUME_DETACH = "volume_extension:volume_actions:detach"
VOLUME_RESERVE = "volume_extension:volume_actions:reserve"
VOLUME_UNRESERVE = "volume_extension:volume_actions:unreserve"
VOLUME_BEGIN_DETACHING = "volume_extension:volume_actions:begin_detaching"
VOLUME_ROLL_DETACHING = "volume_extension:volume_actions:roll_detaching"
VOLUME_INIT_CONNECTION = "volume_extension:volume_actions:initialize_connection"
VOLUME_TERM_CONNECTION = "volume_extension:volume_actions:terminate_connection"
IMAGE_METADATA_GET = "volume_extension:volume_image_metadata:show"
IMAGE_METADATA_SET = "volume_extension:volume_image_metadata:set"
IMAGE_METADATA_REMOVE = "volume_extension:volume_image_metadata:remove"
HOST_ATTRIBUTE = "volume_extension:volume_host_attribute"
TENANT_ATTRIBUTE = "volume_extension:volume_tenant_attribute"
MIG_STATUS_ATTRIBUTE = "volume_extension:volume_mig_status_attribute"
MANAGE = "volume_extension:volume_manage"
UNMANAGE = "volume_extension:volume_unmanage"
LIST_MANAGEABLE = "volume_extension:list_manageable"
SNAPSHOT_MANAGE = "snapshot_extension:snapshot_manage"
SNAPSHOT_UNMANAGE = "snapshot_extension:snapshot_unmanage"
SNAPSHOT_LIST_MANAGEABLE = "snapshot_extension:list_manageable"

SNAPSHOT_CREATE = "volume:create_snapshot"
SNAPSHOT_GET = "volume:get_snapshot"
SNAPSHOT_GET_ALL = "volume:get_all_snapshots"
SNAPSHOT_UPDATE = "volume:update_snapshot"
SNAPSHOT_DELETE = "volume:delete_snapshot"
SNAPSHOT_RESET_STATUS = "volume_extension:snapshot_admin_actions:reset_status"
SNAPSHOT_FORCE_DELETE = "volume_extension:snapshot_admin_actions:force_delete"
SNAPSHOT_METADATA = "volume:update_snapshot_metadata"
SNAPSHOT_PROJECT_ATTRIBUTE = "volume_extension:extended_snapshot_attributes"

BACKUP_CREATE = "backup:create"
BACKUP_GET = "backup:get"
BACKUP_GET_ALL = "backup:get_all"
BACKUP_UPDATE = "backup:update"
BACKUP_DELETE = "backup:delete"
BACKUP_RESTORE = "backup:restore"
BACKUP_EXPORT = "backup:export-import"
BACKUP_IMPORT = "backup:backup-import"
BACKUP_RESET_STATUS = "volume_extension:backup_admin_actions:reset_status"
BACKUP_FORCE_DELETE = "volume_extension:backup_admin_actions:force_delete"
BACKUP_PROJECT_ATTRIBUTE = "backup:backup_project_attribute"

TRANSFER_CREATE = "volume:create_transfer"
TRANSFER_ACCEPT = "volume:accept_transfer"
TRANSFER_DELETE = "volume:delete_transfer"
TRANSFER_GET = "volume:get_transfer"
TRANSFER_GET_ALL = "volume:get_all_transfers"

ATTACHMENT_CREATE = "volume:attachment_create"
ATTACHMENT_UPDATE = "volume:attachment_update"
ATTACHMENT_DELETE = "volume:attachment_delete"
ATTACHMENT_COMPLETE = "volume:attachment_complete"
ATTACHMENT_MULTIATTACH_BOOTABLE = "volume:multiattach_bootable_volume"

TYPE_MANAGE_CREATE = "volume_extension:type_create"
TYPE_MANAGE_UPDATE = "volume_extension:type_update"
TYPE_MANAGE_DELETE = "volume_extension:type_delete"
TYPE_GET = "volume_extension:type_get"
TYPE_GET_ALL = "volume_extension:type_get_all"
TYPE_ACCESS = "volume_extension:volume_type_access"
TYPE_ACCESS_ADD = "volume_extension:volume_type_access:addProjectAccess"
TYPE_ACCESS_REMOVE = "volume_extension:volume_type_access:removeProjectAccess"
TYPE_EXTRA_SPECS_READ = "volume_extension:types_extra_specs:index"
TYPE_EXTRA_SPECS_WRITE = "volume_extension:types_extra_specs:create"
TYPE_ENCRYPTION = "volume_extension:volume_type_encryption"
QOS_GET = "volume_extension:qos_specs_manage:get"
QOS_GET_ALL = "volume_extension:qos_specs_manage:get_all"
QOS_CREATE = "volume_extension:qos_specs_manage:create"
QOS_UPDATE = "volume_extension:qos_specs_manage:update"
QOS_DELETE = "volume_extension:qos_specs_manage:delete"
DEFAULT_TYPE_SET = "volume_extension:default_set_or_update"
DEFAULT_TYPE_GET = "volume_extension:default_get"
DEFAULT_TYPE_GET_ALL = "volume_extension:default_get_all"
DEFAULT_TYPE_UNSET = "volume_extension:default_unset"

QUOTA_SHOW = "volume_extension:quotas:show"
QUOTA_UPDATE = "volume_extension:quotas:update"
QUOTA_DELETE = "volume_extension:quotas:delete"
QUOTA_CLASS = "volume_extension:quota_classes"
LIMITS = "limits_extension:used_limits"
SERVICES = "volume_extension:services:index"
POOLS = "scheduler_extension:scheduler_stats:get_pools"
CAPABILITIES = "volume_extension:capabilities"
AZ_LIST = "volume_extension:availability_zone_list"
EXTENSIONS = "volume_extension:extensions"

GROUP_CREATE = "group:create"
GROUP_GET = "group:get"
GROUP_GET_ALL = "group:get_all"
GROUP_UPDATE = "group:update"
GROUP_DELETE = "group:delete"
GROUP_RESET_STATUS = "group:reset_status"
GROUP_ATTRIBUTES = "group:group_project_attribute"
GROUP_TYPE_CREATE = "group:group_types:create"
GROUP_TYPE_UPDATE = "group:group_types:update"
GROUP_TYPE_DELETE = "group:group_types:delete"
GROUP_TYPE_SHOW_SPECS = "group:access_group_types_specs"
GROUP_SPECS_GET = "group:group_types_specs:get"
GROUP_SPECS_GET_ALL = "group:group_types_specs:get_all"
GROUP_SPECS_CREATE = "group:group_types_specs:create"
GROUP_SPECS_UPDATE = "group:group_types_specs:update"
GROUP_SPECS_DELETE = "group:group_types_specs:delete"
GROUP_SNAPSHOT_CREATE = "group:create_group_snapshot"
GROUP_SNAPSHOT_GET = "group:get_group_snapshot"
GROUP_SNAPSHOT_GET_ALL = "group:get_all_group_snapshots"
GROUP_SNAPSHOT_DELETE = "group:delete_group_snapshot"
GROUP_SNAPSHOT_RESET_STATUS = "group:reset_group_snapshot_status"
GROUP_SNAPSHOT_ATTRIBUTES = "group:group_snapshot_project_attribute"
MESSAGE_GET = "message:get"
MESSAGE_GET_ALL = "message:get_all"
MESSAGE_DELETE = "message:delete"

_ADMIN_ONLY = (
    VOLUME_EXTEND_COMPLETE,
    GROUP_RESET_STATUS,
    GROUP_ATTRIBUTES,
    GROUP_TYPE_CREATE,
    GROUP_TYPE_UPDATE,
    GROUP_TYPE_DELETE,
    GROUP_TYPE_SHOW_SPECS,
    GROUP_SPECS_GET,
    GROUP_SPECS_GET_ALL,
    GROUP_SPECS_CREATE,
    GROUP_SPECS_UPDATE,
    GROUP_SPECS_DELETE,
    GROUP_SNAPSHOT_RESET_STATUS,
    GROUP_SNAPSHOT_ATTRIBUTES,
    VOLUME_FORCE_DELETE,
    VOLUME_RESET_STATUS,
    VOLUME_FORCE_DETACH,
    VOLUME_MIGRATE,
    VOLUME_UPLOAD_PUBLIC,
    VOLUME_ADMIN_METADATA,
    HOST_ATTRIBUTE,
    MIG_STATUS_ATTRIBUTE,
    MANAGE,
    UNMANAGE,
    LIST_MANAGEABLE,
    SNAPSHOT_MANAGE,
    SNAPSHOT_UNMANAGE,
    SNAPSHOT_LIST_MANAGEABLE,
    SNAPSHOT_RESET_STATUS,
    SNAPSHOT_FORCE_DELETE,
    BACKUP_EXPORT,
    BACKUP_IMPORT,
    BACKUP_RESET_STATUS,
    BACKUP_FORCE_DELETE,
    BACKUP_PROJECT_ATTRIBUTE,
    TYPE_MANAGE_CREATE,
    TYPE_MANAGE_UPDATE,
    TYPE_MANAGE_DELETE,
    TYPE_ACCESS_ADD,
    TYPE_ACCESS_REMOVE,
    TYPE_EXTRA_SPECS_WRITE,
    TYPE_ENCRYPTION,
    QOS_GET,
    QOS_GET_ALL,
    QOS_CREATE,
    QOS_UPDATE,
    QOS_DELETE,
    DEFAULT_TYPE_SET,
    DEFAULT_TYPE_GET,
    DEFAULT_TYPE_GET_ALL,
    DEFAULT_TYPE_UNSET,
    QUOTA_UPDATE,
    QUOTA_DELETE,
    QUOTA_CLASS,
    SERVICES,
    POOLS,
    CAPABILITIES,
)

_OWNER = (
    GROUP_CREATE,
    GROUP_GET,
    GROUP_GET_ALL,
    GROUP_UPDATE,
    GROUP_DELETE,
    GROUP_SNAPSHOT_CREATE,
    GROUP_SNAPSHOT_GET,
    GROUP_SNAPSHOT_GET_ALL,
    GROUP_SNAPSHOT_DELETE,
    MESSAGE_GET,
    MESSAGE_GET_ALL,
    MESSAGE_DELETE,
    VOLUME_CREATE,
    VOLUME_CREATE_FROM_IMAGE,
    VOLUME_GET,
    VOLUME_GET_ALL,
    VOLUME_UPDATE,
    VOLUME_DELETE,
    VOLUME_EXTEND,
    VOLUME_EXTEND_ATTACHED,
    VOLUME_REIMAGE,
    VOLUME_REIMAGE_RESERVED,
    VOLUME_RETYPE,
    VOLUME_REVERT,
    VOLUME_MULTIATTACH,
    VOLUME_METADATA,
    VOLUME_GET_METADATA,
    VOLUME_DELETE_METADATA,
    VOLUME_BOOTABLE,
    VOLUME_READONLY,
    VOLUME_UPLOAD_IMAGE,
    VOLUME_ATTACH,
    VOLUME_DETACH,
    VOLUME_RESERVE,
    VOLUME_UNRESERVE,
    VOLUME_BEGIN_DETACHING,
    VOLUME_ROLL_DETACHING,
    VOLUME_INIT_CONNECTION,
    VOLUME_TERM_CONNECTION,
    IMAGE_METADATA_GET,
    IMAGE_METADATA_SET,
    IMAGE_METADATA_REMOVE,
    TENANT_ATTRIBUTE,
    SNAPSHOT_CREATE,
    SNAPSHOT_GET,
    SNAPSHOT_GET_ALL,
    SNAPSHOT_UPDATE,
    SNAPSHOT_DELETE,
    SNAPSHOT_METADATA,
    SNAPSHOT_PROJECT_ATTRIBUTE,
    BACKUP_CREATE,
    BACKUP_GET,
    BACKUP_GET_ALL,
    BACKUP_UPDATE,
    BACKUP_DELETE,
    BACKUP_RESTORE,
    TRANSFER_CREATE,
    TRANSFER_DELETE,
    TRANSFER_GET,
    TRANSFER_GET_ALL,
    ATTACHMENT_CREATE,
    ATTACHMENT_UPDATE,
    ATTACHMENT_DELETE,
    ATTACHMENT_COMPLETE,
    ATTACHMENT_MULTIATTACH_BOOTABLE,
    QUOTA_SHOW,
    LIMITS,
)

_ANYONE = (
    TRANSFER_ACCEPT,
    TYPE_GET,
    TYPE_GET_ALL,
    TYPE_ACCESS,
    TYPE_EXTRA_SPECS_READ,
    AZ_LIST,
    EXTENSIONS,
)

RULES = (
    [Rule(name, ADMIN, "Cinder: admin only") for name in _ADMIN_ONLY]
    + [Rule(name, OWNER, "Cinder: admin or the owning project") for name in _OWNER]
    + [Rule(name, ANY, "Cinder: any authenticated user") for name in _ANYONE]
)

register(RULES)
