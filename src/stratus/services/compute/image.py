"""nova's image proxy (``/images`` and ``/images/{id}/metadata``, deprecated at 2.36): images
of the image service in nova's v1-like shape, read and changed with the caller's context
through the image client."""

from collections.abc import Mapping
from typing import Any

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest, Forbidden, NotFound, StratusError
from stratus.kit.timeutil import isotime_z, parse_isotime
from stratus.services.compute.views import Links

# nova's v1-style filter names → what they select in the image service
_STATUS = {
    "active": "ACTIVE",
    "queued": "SAVING",
    "saving": "SAVING",
    "deleted": "DELETED",
    "pending_delete": "DELETED",
    "killed": "ERROR",
}
_PROGRESS = {"queued": 25, "saving": 50, "active": 100}
# nova's [api] max_limit
MAX_LIMIT = 1000


def _time(value: Any) -> str | None:
    return isotime_z(value) if value is not None else None


class ImageViews:
    def __init__(self, links: Links, image_url: str) -> None:
        self.links = links
        # the image service's root (the "alternate" link points there)
        self.image_url = image_url.rstrip("/")

    def _links(self, image_id: str) -> list[dict[str, str]]:
        return [
            *self.links.pair(f"images/{image_id}"),
            {
                "rel": "alternate",
                "type": "application/vnd.openstack.image",
                "href": f"{self.image_url}/images/{image_id}",
            },
        ]

    def basic(self, data: Any) -> dict[str, Any]:
        return {"id": data.image.id, "name": data.image.name, "links": self._links(data.image.id)}

    def detail(self, data: Any) -> dict[str, Any]:
        image = data.image
        props = dict(data.properties)
        view: dict[str, Any] = {
            "id": image.id,
            "name": image.name,
            "minRam": int(image.min_ram or 0),
            "minDisk": int(image.min_disk or 0),
            "metadata": props,
            "created": _time(image.created_at),
            "updated": _time(image.updated_at),
            "status": _STATUS.get(image.status, "UNKNOWN"),
            "progress": _PROGRESS.get(image.status, 0),
            "OS-EXT-IMG-SIZE:size": image.size,
            "links": self._links(image.id),
        }
        server = props.get("instance_uuid")
        if server is not None:
            view["server"] = {"id": server, "links": self.links.pair(f"servers/{server}")}
        auto = props.get("auto_disk_config")
        if auto is not None:
            on = auto.strip().lower() in ("1", "t", "true", "on", "y", "yes")
            view["OS-DCF:diskConfig"] = "AUTO" if on else "MANUAL"
        return view


class ImageProxy:
    def __init__(self, images: Any, *, metadata_limit: int | None) -> None:
        self.images = images
        self.metadata_limit = metadata_limit

    async def list_images(self, ctx: RequestContext, params: Mapping[str, str]) -> list[Any]:
        exact: dict[str, Any] = {}
        properties: dict[str, str] = {}
        if "name" in params:
            exact["name"] = params["name"]
        if "status" in params:
            exact["status"] = params["status"].lower()
        if "server" in params:
            properties["instance_uuid"] = params["server"].rsplit("/", 1)[-1]
        if "type" in params:
            properties["image_type"] = params["type"]
        for key, value in params.items():
            if key.startswith("property-"):
                properties[key[len("property-") :]] = value
        since = None
        if "changes-since" in params:
            try:
                since = parse_isotime(params["changes-since"])
            except (ValueError, StratusError):
                raise BadRequest(
                    f"Invalid input for query parameters changes-since. "
                    f"Value: {params['changes-since']}. "
                    f"'{params['changes-since']}' is not a 'date-time'"
                ) from None
        limit = MAX_LIMIT
        if "limit" in params:
            try:
                limit = int(params["limit"])
                if limit < 0:
                    raise ValueError(limit)
            except ValueError:
                raise BadRequest("limit param must be an integer") from None
            limit = min(limit, MAX_LIMIT)
        try:
            found: list[Any] = await self.images.list_images_as(
                ctx,
                exact=exact,
                properties=properties,
                changed_since=since,
                limit=limit,
                marker=params.get("marker"),
            )
        except StratusError as err:
            if err.status == 400:
                raise BadRequest(err.message) from None
            raise
        mins = {"minRam": "min_ram", "minDisk": "min_disk"}
        for param, attr in mins.items():
            if param in params:
                try:
                    floor = int(params[param])
                except ValueError:
                    raise BadRequest(f"Invalid {param} filter [{params[param]}]") from None
                found = [d for d in found if int(getattr(d.image, attr) or 0) >= floor]
        return found

    async def get(self, ctx: RequestContext, image_id: str) -> Any:
        try:
            return await self.images.get_image_as(ctx, image_id)
        except NotFound:
            raise NotFound("Image not found.") from None

    async def delete(self, ctx: RequestContext, image_id: str) -> None:
        await self.get(ctx, image_id)
        try:
            await self.images.delete_image_as(ctx, image_id)
        except NotFound:
            raise NotFound("Image not found.") from None
        except Forbidden:
            raise Forbidden("You are not allowed to delete the image.") from None

    def _check_quota(self, props: Mapping[str, str]) -> None:
        if self.metadata_limit is not None and 0 <= self.metadata_limit < len(props):
            raise Forbidden("Quota exceeded for metadata_items: Maximum number of metadata items exceeds "
                            f"{self.metadata_limit}")  # fmt: skip

    async def _change(
        self, ctx: RequestContext, image_id: str, changes: Mapping[str, str], remove: list[str]
    ) -> dict[str, str]:
        try:
            data = await self.images.set_properties_as(
                ctx, image_id, changes=changes, remove=remove
            )
        except NotFound:
            raise NotFound("Image not found.") from None
        except StratusError as err:
            if err.status in (400, 409, 413):
                raise BadRequest(err.message) from None
            raise
        return dict(data.properties)

    async def metadata(self, ctx: RequestContext, image_id: str) -> dict[str, str]:
        return dict((await self.get(ctx, image_id)).properties)

    async def merge_metadata(
        self, ctx: RequestContext, image_id: str, metadata: Mapping[str, str]
    ) -> dict[str, str]:
        current = await self.metadata(ctx, image_id)
        self._check_quota({**current, **metadata})
        return await self._change(ctx, image_id, metadata, [])

    async def replace_metadata(
        self, ctx: RequestContext, image_id: str, metadata: Mapping[str, str]
    ) -> dict[str, str]:
        current = await self.metadata(ctx, image_id)
        self._check_quota(metadata)
        gone = [k for k in current if k not in metadata]
        await self._change(ctx, image_id, metadata, gone)
        return dict(metadata)

    async def delete_metadata_item(self, ctx: RequestContext, image_id: str, key: str) -> None:
        current = await self.metadata(ctx, image_id)
        if key not in current:
            raise NotFound("Invalid metadata key")
        await self._change(ctx, image_id, {}, [key])
