"""What other services (compute) may do with images: read one image visible to a project, and
(with the runtime) store a server snapshot, list and delete a server's snapshots."""

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from stratus.db import Database
from stratus.services.image import repository as repo


@dataclass(frozen=True)
class ImageRef:
    id: str
    name: str | None
    status: str
    disk_format: str | None
    container_format: str | None
    min_disk: int
    min_ram: int
    size: int | None
    properties: dict[str, str] = field(default_factory=dict)


class ImageClient:
    def __init__(self, db: Database, *, runtime: Any = None) -> None:
        self.db = db
        # Writes go through the image service itself (quotas, stores, policies).
        self.runtime = runtime
        self._service: Any = None

    async def get_image(
        self, image_id: str, *, project_id: str | None, is_admin: bool = False
    ) -> ImageRef | None:
        """The image if it exists and ``project_id`` may see it (owner, public, community,
        shared with it; admins see all), else None."""
        async with self.db.reader() as session:
            row = await repo.get(session, image_id, repo.Viewer(project_id, is_admin))
            if row is None:
                return None
            props = (await repo.properties(session, [row.id]))[row.id]
        return ImageRef(
            id=row.id,
            name=row.name,
            status=row.status,
            disk_format=row.disk_format,
            container_format=row.container_format,
            min_disk=row.min_disk,
            min_ram=row.min_ram,
            size=row.size,
            properties=props,
        )

    # -- snapshots (compute's createImage, createBackup, shelve) -----------------------------

    def _images(self) -> Any:
        if self._service is None:
            if self.runtime is None:
                raise RuntimeError("image writes need the runtime")
            from stratus.services.image.api.routes import object_store_client
            from stratus.services.image.service import ImageService
            from stratus.services.image.store import FileStore, SwiftStore

            default = FileStore(self.runtime.settings.data_dir / "images")
            extra = []
            if "object-store" in self.runtime.settings.services:
                extra.append(SwiftStore(object_store_client(self.runtime), default))
            self._service = ImageService(self.runtime, default, extra_stores=extra)
        return self._service

    def _ctx(self, project_id: str, user_id: str | None) -> Any:
        from stratus.api.auth import AuthInfo
        from stratus.api.context import RequestContext

        auth = AuthInfo(
            user_id=user_id or "compute",
            user_name="compute",
            user_domain_id="default",
            user_domain_name="Default",
            roles=("member", "reader"),
            project_id=project_id,
        )
        return RequestContext(request_id="req-internal", auth=auth, policy=self.runtime.policy)

    async def create_snapshot(
        self,
        *,
        project_id: str,
        user_id: str | None,
        name: str,
        properties: Mapping[str, str],
        disk_format: str | None,
        container_format: str | None,
        min_disk: int = 0,
        min_ram: int = 0,
    ) -> str:
        """A queued image owned by ``project_id`` (its data follows with ``upload``)."""
        body: dict[str, Any] = {
            "name": name,
            "disk_format": disk_format or "qcow2",
            "container_format": container_format or "bare",
            "min_disk": min_disk,
            "min_ram": min_ram,
            "visibility": "private",
            **properties,
        }
        data = await self._images().create(self._ctx(project_id, user_id), body)
        return str(data.image.id)

    async def upload(self, *, project_id: str, image_id: str, data: bytes) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield data

        await self._images().upload(
            self._ctx(project_id, None), image_id, chunks(), content_length=len(data)
        )

    async def delete(self, *, project_id: str, image_id: str) -> None:
        await self._images().delete(self._ctx(project_id, None), image_id)

    async def snapshots_of(self, *, project_id: str, properties: Mapping[str, str]) -> list[str]:
        """Ids of the project's images carrying every property given, oldest first."""
        async with self.db.reader() as session:
            rows = await repo.list_images(
                session,
                repo.Viewer(project_id, False),
                repo.ImageFilters(visibility="private", properties=dict(properties)),
                sort=[("created_at", "asc"), ("id", "asc")],
                limit=1000,
                marker=None,
            )
        return [r.id for r in rows]

    # -- volumes (block storage: create from image, upload to image) -----------------------

    async def image_for(self, ctx: Any, image_id: str) -> Any:
        """The image as ``ctx`` may see it (an ``ImageData``: ``.image`` row and
        ``.properties``), or None when it does not exist or is not visible."""
        from stratus.kit.errors import NotFound

        try:
            return await self._images().get(ctx, image_id)
        except NotFound:
            return None

    async def read_data(self, ctx: Any, image_id: str) -> AsyncIterator[bytes]:
        """The image's bytes, checked against ``ctx``'s download permission."""
        data, key = await self._images().download(ctx, image_id)
        if key is None:
            raise LookupError(f"image {image_id} has no data")
        return self._images().read(data.image, 0, None)  # type: ignore[no-any-return]

    async def create_image(self, ctx: Any, body: Mapping[str, Any]) -> str:
        """A queued image created as ``ctx`` (its data follows with ``upload_data``)."""
        data = await self._images().create(ctx, dict(body))
        return str(data.image.id)

    async def upload_data(self, ctx: Any, image_id: str, chunks: AsyncIterator[bytes]) -> None:
        await self._images().upload(ctx, image_id, chunks, content_length=None)

    # -- compute's images proxy (/images, /images/{id}/metadata; nova's, up to 2.35) ---------
    # With the caller's own context: the image service's visibility and policies apply.

    async def list_images_as(
        self,
        ctx: Any,
        *,
        exact: Mapping[str, Any],
        properties: Mapping[str, str],
        changed_since: Any,
        limit: int,
        marker: str | None,
    ) -> list[Any]:
        """``ImageData`` the caller sees, newest first, filtered as nova's v1-style filters
        map onto Glance v2 (name/status exact, ``property-X``, ``changes-since``)."""
        filters = repo.ImageFilters(exact=dict(exact), properties=dict(properties))
        if changed_since is not None:
            filters.times.append(("updated_at", "gte", changed_since))
        found: list[Any] = await self._images().list_images(
            ctx, filters, sort=[("created_at", "desc"), ("id", "desc")], limit=limit, marker=marker
        )
        return found

    async def get_image_as(self, ctx: Any, image_id: str) -> Any:
        """The ``ImageData`` the caller may see (NotFound otherwise)."""
        return await self._images().get(ctx, image_id)

    async def delete_image_as(self, ctx: Any, image_id: str) -> None:
        await self._images().delete(ctx, image_id)

    async def set_properties_as(
        self, ctx: Any, image_id: str, *, changes: Mapping[str, str], remove: list[str]
    ) -> Any:
        """Add or replace ``changes`` and drop ``remove`` among the image's properties."""
        data = await self._images().get(ctx, image_id)
        ops: list[dict[str, Any]] = [{"op": "remove", "path": f"/{k}"} for k in remove]
        for key, value in changes.items():
            op = "replace" if key in data.properties else "add"
            ops.append({"op": op, "path": f"/{key}", "value": value})
        if not ops:
            return data
        return await self._images().update(ctx, image_id, ops)
