"""Image domain errors, with Glance's statuses and messages."""

from stratus.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)


class ImageNotFound(NotFound):
    def __init__(self, image_id: str) -> None:
        super().__init__(f"No image found with ID {image_id}")


class ImageInvalid(BadRequest):
    pass


class ImageForbidden(Forbidden):
    pass


class ImageConflict(Conflict):
    pass


class ImageGone(Gone):
    pass


class ImageQuotaExceeded(PayloadTooLarge):
    pass


class ImageMediaType(UnsupportedMediaType):
    pass


class ImageInvalidStore(NotFound):
    pass


class ImageTaskNotFound(NotFound):
    pass


class MemberNotFound(NotFound):
    pass


class TagNotFound(NotFound):
    pass


class RangeNotSatisfiable(BadRequest):
    status = 416  # type: ignore[misc]
    title = "Requested Range Not Satisfiable"  # type: ignore[misc]
