"""Placement's domain errors, each carrying its HTTP status and upstream error code."""

from stratus.kit.errors import BadRequest, Conflict, NotFound

DEFAULT = "placement.undefined_code"


class PlacementNotFound(NotFound):
    pass


class ResourceProviderNotFound(NotFound):
    code = "placement.resource_provider.not_found"


class ProviderNotFoundInBody(BadRequest):
    code = "placement.resource_provider.not_found"


class PlacementBadRequest(BadRequest):
    pass


class QueryBadValue(BadRequest):
    code = "placement.query.bad_value"


class QueryDuplicateKey(BadRequest):
    code = "placement.query.duplicate_key"


class QueryMissingValue(BadRequest):
    code = "placement.query.missing_value"


class PlacementConflict(Conflict):
    pass


class ConcurrentUpdate(Conflict):
    code = "placement.concurrent_update"


class DuplicateName(Conflict):
    code = "placement.duplicate_name"


class InventoryInUse(Conflict):
    code = "placement.inventory.inuse"


class ProviderInUse(Conflict):
    code = "placement.resource_provider.inuse"


class CannotDeleteParent(Conflict):
    code = "placement.resource_provider.cannot_delete_parent"
