"""Glance's policy defaults, under their upstream names and check strings (2023.x
secure-RBAC defaults: admin, project member/reader, shared-image members)."""

from stratus.api.policy import Rule, register

ADMIN = "role:admin"
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
ADMIN_OR_PROJECT_MEMBER = f"{ADMIN} or ({PROJECT_MEMBER})"
ADMIN_OR_PROJECT_READER = f"{ADMIN} or ({PROJECT_READER})"
ADMIN_OR_PROJECT_READER_GET_IMAGE = (
    f"{ADMIN} or (role:reader and (project_id:%(project_id)s or "
    "project_id:%(member_id)s or 'community':%(visibility)s or "
    "'public':%(visibility)s or 'shared':%(visibility)s))"
)
ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE = (
    f"{ADMIN} or (role:member and (project_id:%(project_id)s or "
    "project_id:%(member_id)s or 'community':%(visibility)s or "
    "'public':%(visibility)s or 'shared':%(visibility)s))"
)
ADMIN_OR_SHARED_MEMBER = f"{ADMIN} or (role:member and project_id:%(member_id)s)"
ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER = (
    f"{ADMIN} or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s))"
)

CONTEXT_IS_ADMIN = "context_is_admin"
ADD_IMAGE = "add_image"
GET_IMAGE = "get_image"
GET_IMAGES = "get_images"
MODIFY_IMAGE = "modify_image"
PUBLICIZE_IMAGE = "publicize_image"
COMMUNITIZE_IMAGE = "communitize_image"
DELETE_IMAGE = "delete_image"
DOWNLOAD_IMAGE = "download_image"
UPLOAD_IMAGE = "upload_image"
DEACTIVATE = "deactivate"
REACTIVATE = "reactivate"
COPY_IMAGE = "copy_image"
GET_IMAGE_LOCATION = "get_image_location"
SET_IMAGE_LOCATION = "set_image_location"
DELETE_IMAGE_LOCATION = "delete_image_location"
ADD_MEMBER = "add_member"
DELETE_MEMBER = "delete_member"
GET_MEMBER = "get_member"
GET_MEMBERS = "get_members"
MODIFY_MEMBER = "modify_member"
GET_TASK = "get_task"
GET_TASKS = "get_tasks"
ADD_TASK = "add_task"
MODIFY_TASK = "modify_task"
TASKS_API_ACCESS = "tasks_api_access"
STAGE_IMAGE = "stage_image"
GET_STORES_INFO = "stores_info_detail"

METADEF_DEFAULT = "metadef_default"
METADEF_ADMIN = "metadef_admin"
GET_METADEF_NAMESPACES = "get_metadef_namespaces"
GET_METADEF_NAMESPACE = "get_metadef_namespace"
ADD_METADEF_NAMESPACE = "add_metadef_namespace"
MODIFY_METADEF_NAMESPACE = "modify_metadef_namespace"
DELETE_METADEF_NAMESPACE = "delete_metadef_namespace"
GET_METADEF_OBJECTS = "get_metadef_objects"
ADD_METADEF_OBJECT = "add_metadef_object"
DELETE_METADEF_OBJECT = "delete_metadef_object"
GET_METADEF_PROPERTIES = "get_metadef_properties"
ADD_METADEF_PROPERTY = "add_metadef_property"
REMOVE_METADEF_PROPERTY = "remove_metadef_property"
GET_METADEF_TAGS = "get_metadef_tags"
ADD_METADEF_TAG = "add_metadef_tag"
ADD_METADEF_TAGS = "add_metadef_tags"
DELETE_METADEF_TAG = "delete_metadef_tag"
LIST_METADEF_RESOURCE_TYPES = "list_metadef_resource_types"
GET_METADEF_RESOURCE_TYPE = "get_metadef_resource_type"
ADD_METADEF_RESOURCE_TYPE_ASSOCIATION = "add_metadef_resource_type_association"
REMOVE_METADEF_RESOURCE_TYPE_ASSOCIATION = "remove_metadef_resource_type_association"

_METADEF_READS = (
    GET_METADEF_NAMESPACES,
    GET_METADEF_NAMESPACE,
    GET_METADEF_OBJECTS,
    GET_METADEF_PROPERTIES,
    GET_METADEF_TAGS,
    LIST_METADEF_RESOURCE_TYPES,
    GET_METADEF_RESOURCE_TYPE,
)
_METADEF_WRITES = (
    ADD_METADEF_NAMESPACE,
    MODIFY_METADEF_NAMESPACE,
    DELETE_METADEF_NAMESPACE,
    ADD_METADEF_OBJECT,
    DELETE_METADEF_OBJECT,
    ADD_METADEF_PROPERTY,
    REMOVE_METADEF_PROPERTY,
    ADD_METADEF_TAG,
    ADD_METADEF_TAGS,
    DELETE_METADEF_TAG,
    ADD_METADEF_RESOURCE_TYPE_ASSOCIATION,
    REMOVE_METADEF_RESOURCE_TYPE_ASSOCIATION,
)

RULES = [
    Rule(CONTEXT_IS_ADMIN, "role:admin", "Defines the rule for the is_admin:True check."),
    Rule(
        ADD_IMAGE,
        "role:admin or (role:member and project_id:%(project_id)s and project_id:%(owner)s)",
        "Create new image",
        (("POST", "/v2/images"),),
    ),
    Rule(
        DELETE_IMAGE,
        ADMIN_OR_PROJECT_MEMBER,
        "Deletes the image",
        (("DELETE", "/v2/images/{image_id}"),),
    ),
    Rule(
        GET_IMAGE,
        ADMIN_OR_PROJECT_READER_GET_IMAGE,
        "Get specified image",
        (("GET", "/v2/images/{image_id}"),),
    ),
    Rule(GET_IMAGES, ADMIN_OR_PROJECT_READER, "Get all available images", (("GET", "/v2/images"),)),
    Rule(
        MODIFY_IMAGE,
        ADMIN_OR_PROJECT_MEMBER,
        "Updates given image",
        (("PATCH", "/v2/images/{image_id}"),),
    ),
    Rule(
        PUBLICIZE_IMAGE,
        "role:admin",
        "Publicize given image",
        (("POST", "/v2/images"), ("PATCH", "/v2/images/{image_id}")),
    ),
    Rule(
        COMMUNITIZE_IMAGE,
        ADMIN_OR_PROJECT_MEMBER,
        "Communitize given image",
        (("POST", "/v2/images"), ("PATCH", "/v2/images/{image_id}")),
    ),
    Rule(
        DOWNLOAD_IMAGE,
        ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE,
        "Downloads given image",
        (("GET", "/v2/images/{image_id}/file"),),
    ),
    Rule(
        UPLOAD_IMAGE,
        ADMIN_OR_PROJECT_MEMBER,
        "Uploads data to specified image",
        (("PUT", "/v2/images/{image_id}/file"),),
    ),
    Rule(
        STAGE_IMAGE,
        ADMIN_OR_PROJECT_MEMBER,
        "Stage image data for import",
        (("PUT", "/v2/images/{image_id}/stage"),),
    ),
    Rule(
        DEACTIVATE,
        ADMIN_OR_PROJECT_MEMBER,
        "Deactivate image",
        (("POST", "/v2/images/{image_id}/actions/deactivate"),),
    ),
    Rule(
        REACTIVATE,
        ADMIN_OR_PROJECT_MEMBER,
        "Reactivate image",
        (("POST", "/v2/images/{image_id}/actions/reactivate"),),
    ),
    Rule(
        COPY_IMAGE,
        "role:admin",
        "Copy existing image to other stores",
        (("POST", "/v2/images/{image_id}/import"),),
    ),
    Rule(GET_IMAGE_LOCATION, ADMIN_OR_PROJECT_READER, "Get locations of an image"),
    Rule(SET_IMAGE_LOCATION, ADMIN_OR_PROJECT_MEMBER, "Set the locations of an image"),
    Rule(DELETE_IMAGE_LOCATION, ADMIN, "Deletes the location of given image"),
    Rule(
        ADD_MEMBER,
        ADMIN_OR_PROJECT_MEMBER,
        "Create image member",
        (("POST", "/v2/images/{image_id}/members"),),
    ),
    Rule(
        DELETE_MEMBER,
        ADMIN_OR_PROJECT_MEMBER,
        "Delete image member",
        (("DELETE", "/v2/images/{image_id}/members/{member_id}"),),
    ),
    Rule(
        GET_MEMBER,
        ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
        "Show image member details",
        (("GET", "/v2/images/{image_id}/members/{member_id}"),),
    ),
    Rule(
        GET_MEMBERS,
        ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
        "List image members",
        (("GET", "/v2/images/{image_id}/members"),),
    ),
    Rule(
        MODIFY_MEMBER,
        ADMIN_OR_SHARED_MEMBER,
        "Update image member",
        (("PUT", "/v2/images/{image_id}/members/{member_id}"),),
    ),
    Rule(GET_TASK, ADMIN, "Get an image task"),
    Rule(GET_TASKS, ADMIN, "List tasks for all images"),
    Rule(ADD_TASK, ADMIN, "List tasks for all images"),
    Rule(MODIFY_TASK, ADMIN, "This policy is not used."),
    Rule(TASKS_API_ACCESS, ADMIN, "Controls access to the tasks API"),
    Rule(
        GET_STORES_INFO,
        ADMIN,
        "Expose store specific information",
        (("GET", "/v2/info/stores/detail"),),
    ),
]

RULES += [
    Rule(METADEF_DEFAULT, "", "Default rule for metadata definition reads."),
    Rule(METADEF_ADMIN, "role:admin", "Default rule for metadata definition writes."),
    *[
        Rule(name, f"rule:{METADEF_DEFAULT}", "Read metadata definitions")
        for name in _METADEF_READS
    ],
    *[
        Rule(name, f"rule:{METADEF_ADMIN}", "Change metadata definitions")
        for name in _METADEF_WRITES
    ],
]

register(RULES)
