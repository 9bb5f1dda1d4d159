"""Image domain logic: the status machine, visibility and sharing, JSON-patch updates, data
upload/download through the store, interoperable import and quotas."""

import asyncio
import datetime as dt
import json
import math
import re
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.context import RequestContext
from stratus.api.runtime import Runtime
from stratus.kit.ids import is_uuid_like, uuid_str
from stratus.kit.timeutil import utcnow
from stratus.quota.engine import OverQuota, QuotaResource
from stratus.services.image import formats, import_filter, policies, repository
from stratus.services.image.errors import (
    ImageConflict,
    ImageForbidden,
    ImageGone,
    ImageInvalid,
    ImageInvalidStore,
    ImageMediaType,
    ImageNotFound,
    ImageQuotaExceeded,
    ImageTaskNotFound,
    MemberNotFound,
    TagNotFound,
)
from stratus.services.image.models import Image, ImageMember, ImageTask
from stratus.services.image.repository import MIB, ImageFilters, Viewer
from stratus.services.image.store import (
    FileStore,
    ImageStore,
    Inspector,
    QuotaExceeded,
    SizeMismatch,
)

DISK_FORMATS = (
    "ami",
    "ari",
    "aki",
    "vhd",
    "vhdx",
    "vmdk",
    "raw",
    "qcow2",
    "vdi",
    "iso",
    "ploop",
)
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
VISIBILITIES = ("public", "private", "shared", "community")
STATUSES = (
    "queued",
    "saving",
    "active",
    "killed",
    "deleted",
    "pending_delete",
    "deactivated",
    "uploading",
    "importing",
)
MEMBER_STATUSES = ("pending", "accepted", "rejected")
IMPORT_METHODS = ("glance-direct", "web-download", "copy-image")
WEB_SCHEMES = ("http", "https")

# Attributes the caller can never set; those of the schema Glance marks readOnly.
READ_ONLY = (
    "checksum",
    "created_at",
    "updated_at",
    "size",
    "virtual_size",
    "status",
    "self",
    "file",
    "schema",
    "direct_url",
    "os_hash_algo",
    "os_hash_value",
    "stores",
)
RESERVED = ("location", "deleted", "deleted_at", "locations")
CORE_MUTABLE = (
    "name",
    "visibility",
    "protected",
    "os_hidden",
    "min_ram",
    "min_disk",
    "disk_format",
    "container_format",
    "tags",
    "owner",
)
# Glance's defaults for image_property_quota, image_tag_quota, image_member_quota and
# image_size_cap.
PROPERTY_QUOTA = 128
TAG_QUOTA = 128
MEMBER_QUOTA = 128
SIZE_CAP = 1099511627776

QUOTA_COUNT = "image.image_count_total"
QUOTA_SIZE = "image.image_size_total"
QUOTA_STAGE = "image.image_stage_total"
QUOTA_UPLOADING = "image.image_count_uploading"


@dataclass
class ImageData:
    image: Image
    properties: dict[str, str]
    tags: list[str]


def _schema_error(message: str) -> ImageInvalid:
    return ImageInvalid(f"Provided object does not match schema 'image': {message}")


def _mib(value: int) -> int:
    return math.ceil(value / MIB)


def register_quotas(runtime: Runtime) -> None:
    """Glance's unified-limit resources; unlimited unless a limit is set for the project."""

    async def size_total(session: AsyncSession, project_id: str) -> int:
        return _mib(await repository.bytes_owned(session, project_id))

    async def stage_total(session: AsyncSession, project_id: str) -> int:
        return _mib(await repository.staged_bytes(session, project_id))

    runtime.quota.register(QuotaResource(QUOTA_COUNT, -1, repository.count_owned))
    runtime.quota.register(QuotaResource(QUOTA_SIZE, -1, size_total))
    runtime.quota.register(QuotaResource(QUOTA_STAGE, -1, stage_total))
    runtime.quota.register(QuotaResource(QUOTA_UPLOADING, -1, repository.count_uploading))


def _check_value(key: str, value: Any) -> None:
    """Validate one attribute against Glance's image schema."""
    if key == "name":
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise _schema_error(f"{value!r} is not valid under any of the given schemas")
    elif key == "visibility":
        if value not in VISIBILITIES:
            raise _schema_error(f"{value!r} is not one of {list(VISIBILITIES)}")
    elif key in ("protected", "os_hidden"):
        if not isinstance(value, bool):
            raise _schema_error(f"{value!r} is not of type 'boolean'")
    elif key in ("min_ram", "min_disk"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _schema_error(f"{value!r} is not valid for '{key}': an integer >= 0")
    elif key == "disk_format":
        if value is not None and value not in DISK_FORMATS:
            raise _schema_error(f"{value!r} is not one of {[*DISK_FORMATS, None]}")
    elif key == "container_format":
        if value is not None and value not in CONTAINER_FORMATS:
            raise _schema_error(f"{value!r} is not one of {[*CONTAINER_FORMATS, None]}")
    elif key == "tags":
        if not isinstance(value, list) or any(
            not isinstance(t, str) or len(t) > 255 for t in value
        ):
            raise _schema_error(f"{value!r} is not valid for 'tags': an array of strings")
    elif key == "owner":
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise _schema_error(f"{value!r} is not valid for 'owner'")
    elif key == "id":
        if not isinstance(value, str) or not is_uuid_like(value):
            raise _schema_error(f"{value!r} is not a 'uuid'")
    else:
        if len(key) > 255:
            raise _schema_error(f"property name {key[:40]!r}... is too long")
        if not isinstance(value, str):
            raise _schema_error(f"{value!r} is not of type 'string'")
        if len(value) > 65535:
            raise _schema_error(f"value of {key!r} is too long")


def _check_settable(key: str) -> None:
    if key in READ_ONLY:
        raise ImageForbidden(f"Attribute '{key}' is read-only.")
    if key in RESERVED or key.startswith("os_glance"):
        raise ImageForbidden(f"Attribute '{key}' is reserved.")


class ImageService:
    def __init__(
        self, runtime: Runtime, store: FileStore, *, extra_stores: Sequence[ImageStore] = ()
    ) -> None:
        self.runtime = runtime
        self.db = runtime.db
        # ``store`` is the default store, and also holds staged data.
        self.store = store
        self.stores: dict[str, ImageStore] = {store.id: store}
        for extra in extra_stores:
            self.stores[extra.id] = extra
        # Imports running in the background (kept referenced until they finish).
        self._background: set[asyncio.Task[None]] = set()

    def _store(self, store_id: str | None) -> ImageStore:
        found = self.stores.get(store_id or self.store.id)
        if found is None:
            raise ImageInvalid(f"Store for identifier {store_id} not found")
        return found

    @staticmethod
    def _image_stores(image: Image) -> list[str]:
        return [s for s in (image.store or "").split(",") if s]

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background imports (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def viewer(ctx: RequestContext) -> Viewer:
        return Viewer(project_id=ctx.project_id, is_admin=ctx.is_admin)

    async def _target(
        self, session: AsyncSession, ctx: RequestContext, image: Image
    ) -> dict[str, Any]:
        member_id = None
        if ctx.project_id and image.owner != ctx.project_id:
            entry = await repository.member(session, image.id, ctx.project_id)
            if entry is not None:
                member_id = ctx.project_id
        return {
            "project_id": image.owner,
            "owner": image.owner,
            "visibility": image.visibility,
            "member_id": member_id,
            "id": image.id,
        }

    async def _visible(
        self, session: AsyncSession, ctx: RequestContext, image_id: str, *, lock: bool = False
    ) -> Image:
        image = await repository.get(session, image_id, self.viewer(ctx))
        if image is None:
            raise ImageNotFound(image_id)
        return image

    async def _load(self, session: AsyncSession, images: list[Image]) -> list[ImageData]:
        ids = [i.id for i in images]
        props = await repository.properties(session, ids)
        tags = await repository.tags(session, ids)
        return [ImageData(i, props[i.id], tags[i.id]) for i in images]

    async def _one(self, session: AsyncSession, image: Image) -> ImageData:
        return (await self._load(session, [image]))[0]

    def _check_visibility_change(
        self, ctx: RequestContext, target: dict[str, Any], vis: str
    ) -> None:
        if vis == "public":
            ctx.can(policies.PUBLICIZE_IMAGE, target)
        elif vis == "community":
            ctx.can(policies.COMMUNITIZE_IMAGE, target)

    async def _claim(
        self, session: AsyncSession, project: str | None, deltas: dict[str, int]
    ) -> None:
        if project is None:
            return
        try:
            await self.runtime.quota.claim(session, project, deltas)
        except OverQuota as err:
            raise ImageQuotaExceeded(
                f"Quota exceeded for {err.resource.split('.', 1)[-1]}: limit {err.limit}, "
                f"in use {err.in_use}, requested {err.requested}."
            ) from None

    # -- images --------------------------------------------------------------------------

    async def create(self, ctx: RequestContext, body: Any) -> ImageData:
        if not isinstance(body, dict):
            raise ImageInvalid("Body expected in request.")
        for key in body:
            _check_settable(key)
        for key, value in body.items():
            _check_value(key, value)
        owner = body.get("owner", ctx.project_id)
        visibility = body.get("visibility", "shared")
        target = {"project_id": owner, "owner": owner, "visibility": visibility}
        ctx.can(policies.ADD_IMAGE, target)
        self._check_visibility_change(ctx, target, visibility)
        core_keys = {"id", *CORE_MUTABLE}
        props = {k: v for k, v in body.items() if k not in core_keys}
        tags = list(dict.fromkeys(body.get("tags") or []))
        if len(props) > PROPERTY_QUOTA:
            raise ImageQuotaExceeded("Maximum number of image properties exceeded.")
        if len(tags) > TAG_QUOTA:
            raise ImageQuotaExceeded("Maximum number of image tags exceeded.")
        now = utcnow()
        image = Image(
            id=body.get("id") or uuid_str(),
            name=body.get("name"),
            status="queued",
            visibility=visibility,
            owner=owner,
            protected=body.get("protected", False),
            os_hidden=body.get("os_hidden", False),
            disk_format=body.get("disk_format"),
            container_format=body.get("container_format"),
            min_disk=body.get("min_disk", 0),
            min_ram=body.get("min_ram", 0),
            created_at=now,
            updated_at=now,
        )
        async with self.db.session() as session:
            if await repository.get(session, image.id) is not None:
                raise ImageConflict(f"Image with identifier {image.id} already exists!")
            await self._claim(session, owner, {QUOTA_COUNT: 1})
            await repository.add(session, image)
            await repository.set_properties(session, image.id, props)
            await repository.set_tags(session, image.id, tags)
        return ImageData(image, props, tags)

    async def get(self, ctx: RequestContext, image_id: str) -> ImageData:
        async with self.db.reader() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.GET_IMAGE, await self._target(session, ctx, image))
            return await self._one(session, image)

    async def list_images(
        self,
        ctx: RequestContext,
        filters: ImageFilters,
        *,
        sort: list[tuple[str, str]],
        limit: int,
        marker: str | None,
    ) -> list[ImageData]:
        ctx.can(policies.GET_IMAGES)
        viewer = self.viewer(ctx)
        async with self.db.reader() as session:
            marker_image = None
            if marker is not None:
                marker_image = await repository.get(session, marker, viewer)
                if marker_image is None:
                    raise ImageInvalid(f"Invalid marker. Image {marker} could not be found.")
            images = await repository.list_images(
                session, viewer, filters, sort=sort, limit=limit, marker=marker_image
            )
            return await self._load(session, images)

    async def update(
        self, ctx: RequestContext, image_id: str, changes: Any, *, dialect: str = "2.1"
    ) -> ImageData:
        ops = _parse_patch(changes, dialect)
        async with self.db.session() as session:
            image = await self._visible(session, ctx, image_id)
            target = await self._target(session, ctx, image)
            ctx.can(policies.MODIFY_IMAGE, target)
            data = await self._one(session, image)
            state: dict[str, Any] = {k: getattr(image, k) for k in CORE_MUTABLE if k != "tags"}
            state["tags"] = list(data.tags)
            props = dict(data.properties)
            if dialect == "2.0":
                _add_conflicts(ops, state, props)
            for op, key, value in ops:
                _apply(op, key, value, state, props)
            for key in CORE_MUTABLE:
                if key == "tags":
                    continue
                if state[key] != getattr(image, key):
                    _check_value(key, state[key])
            for key, value in props.items():
                if data.properties.get(key) != value:
                    _check_value(key, value)
            _check_value("tags", state["tags"])
            if len(props) > PROPERTY_QUOTA:
                raise ImageQuotaExceeded("Maximum number of image properties exceeded.")
            if len(set(state["tags"])) > TAG_QUOTA:
                raise ImageQuotaExceeded("Maximum number of image tags exceeded.")
            for key in ("disk_format", "container_format"):
                if state[key] != getattr(image, key) and image.status != "queued":
                    raise ImageForbidden(
                        f"Attribute {key} can be only replaced for a queued image."
                    )
            if state["owner"] != image.owner and not ctx.is_admin:
                raise ImageForbidden("Owner can't be updated by non admin.")
            if state["visibility"] != image.visibility:
                self._check_visibility_change(ctx, target, state["visibility"])
            for key in CORE_MUTABLE:
                if key != "tags":
                    setattr(image, key, state[key])
            image.updated_at = utcnow()
            if props != data.properties:
                await repository.set_properties(session, image.id, props)
            tags = list(dict.fromkeys(state["tags"]))
            if tags != data.tags:
                await repository.set_tags(session, image.id, tags)
            await session.flush()
            return ImageData(image, props, sorted(tags))

    async def delete(self, ctx: RequestContext, image_id: str) -> None:
        async with self.db.session() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.DELETE_IMAGE, await self._target(session, ctx, image))
            if image.protected:
                raise ImageForbidden(f"Image {image_id} is protected and cannot be deleted.")
            location, staged, held = image.location, image.staged, self._image_stores(image)
            await repository.remove(session, image)
        # The row is gone (committed): only now drop the bytes.
        for store_id in held:
            if store_id in self.stores:
                await self.stores[store_id].delete(location)
        if staged:
            await self.store.delete(json.loads(staged)["key"])

    async def deactivate(self, ctx: RequestContext, image_id: str) -> None:
        await self._flip(ctx, image_id, policies.DEACTIVATE, "active", "deactivated")

    async def reactivate(self, ctx: RequestContext, image_id: str) -> None:
        await self._flip(ctx, image_id, policies.REACTIVATE, "deactivated", "active")

    async def _flip(
        self, ctx: RequestContext, image_id: str, rule: str, source: str, dest: str
    ) -> None:
        async with self.db.session() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(rule, await self._target(session, ctx, image))
            if image.status == dest:
                return
            if image.status != source:
                verb = "deactivate" if dest == "deactivated" else "reactivate"
                raise ImageForbidden(f"Not allowed to {verb} image in status '{image.status}'")
            image.status = dest
            image.updated_at = utcnow()

    # -- tags ----------------------------------------------------------------------------

    async def add_tag(self, ctx: RequestContext, image_id: str, tag: str) -> None:
        if len(tag) > 255:
            raise ImageInvalid(
                f"Provided object does not match schema 'image': {tag!r} is too long"
            )
        async with self.db.session() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.MODIFY_IMAGE, await self._target(session, ctx, image))
            tags = (await repository.tags(session, [image.id]))[image.id]
            if tag in tags:
                return
            if len(tags) + 1 > TAG_QUOTA:
                raise ImageQuotaExceeded("Maximum number of image tags exceeded.")
            await repository.set_tags(session, image.id, [*tags, tag])
            image.updated_at = utcnow()

    async def delete_tag(self, ctx: RequestContext, image_id: str, tag: str) -> None:
        async with self.db.session() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.MODIFY_IMAGE, await self._target(session, ctx, image))
            tags = (await repository.tags(session, [image.id]))[image.id]
            if tag not in tags:
                raise TagNotFound(f"Tag {tag} not found")
            await repository.set_tags(session, image.id, [t for t in tags if t != tag])
            image.updated_at = utcnow()

    # -- data ----------------------------------------------------------------------------

    async def upload(
        self,
        ctx: RequestContext,
        image_id: str,
        chunks: AsyncIterator[bytes],
        *,
        content_length: int | None,
        store_id: str | None = None,
    ) -> None:
        """queued → saving → active; on failure back to queued (rejected data) or killed
        (broken stream), and the partial bytes are removed."""
        target = self._store(store_id)
        async with self.db.session() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.UPLOAD_IMAGE, await self._target(session, ctx, image))
            if image.status != "queued":
                raise ImageConflict(
                    f"Image status transition from {image.status} to saving is not allowed"
                )
            if image.disk_format is None or image.container_format is None:
                raise ImageInvalid(
                    "Properties container_format, disk_format must be set prior to saving data."
                )
            remaining = await self._remaining_bytes(session, image.owner, QUOTA_SIZE)
            if content_length is not None and (
                content_length > SIZE_CAP or (remaining is not None and content_length > remaining)
            ):
                raise ImageQuotaExceeded(
                    "Image storage media is full or the image exceeds the allowed size: "
                    f"{content_length} bytes."
                )
            await self._claim(session, image.owner, {QUOTA_UPLOADING: 1})
            image.status = "saving"
            image.updated_at = utcnow()
            inspect = self._inspector(image)
            owner = image.owner
        limit = SIZE_CAP if remaining is None else min(SIZE_CAP, remaining)
        try:
            written = await target.write(chunks, key=image_id, inspect=inspect, max_bytes=limit)
        except QuotaExceeded:
            await self._set_status(image_id, "saving", "queued")
            raise ImageQuotaExceeded(
                "Denying attempt to upload image because it exceeds the quota."
            ) from None
        except SizeMismatch:
            await self._set_status(image_id, "saving", "queued")
            raise ImageInvalid("Image size does not match the data received.") from None
        except formats.FormatRejected as err:
            await self._set_status(image_id, "saving", "queued")
            raise ImageMediaType(str(err)) from None
        except BaseException:
            await self._set_status(image_id, "saving", "killed")
            raise
        try:
            async with self.db.session() as session:
                image_row = await repository.get(session, image_id)
                if image_row is None or image_row.status != "saving":
                    raise ImageGone(
                        f"Image {image_id} could not be found after upload. "
                        "The image may have been deleted during the upload."
                    )
                await self._claim(session, owner, {QUOTA_SIZE: _mib(written.size)})
                self._activate(
                    image_row,
                    written.key,
                    written.size,
                    written.md5,
                    written.sha512,
                    written.virtual_size,
                    stores=[target.id],
                )
        except ImageQuotaExceeded:
            await target.delete(written.key)
            await self._set_status(image_id, "saving", "queued")
            raise
        except BaseException:
            await target.delete(written.key)
            raise

    def _import_rules(self) -> import_filter.Rules:
        return import_filter.Rules.from_settings(
            self.runtime.settings.image.get("import_filtering")
        )

    def _inspector(self, image: Image) -> Inspector:
        """Judges uploaded content against the image's formats (services/image/formats.py)."""
        disk_format, container_format = image.disk_format, image.container_format
        require = bool(self.runtime.settings.image.get("require_image_format_match", True))

        def inspect(head: bytes, size: int) -> int | None:
            return formats.inspect(head, size, disk_format, container_format, require_match=require)

        return inspect

    def _activate(
        self,
        image: Image,
        key: str,
        size: int,
        md5: str,
        sha512: str,
        virtual_size: int | None,
        *,
        stores: Sequence[str] = ("file",),
    ) -> None:
        image.location = key
        image.store = ",".join(stores)
        image.size = size
        image.checksum = md5
        image.os_hash_algo = "sha512"
        image.os_hash_value = sha512
        image.virtual_size = virtual_size
        image.status = "active"
        image.updated_at = utcnow()

    async def _remaining_bytes(
        self, session: AsyncSession, owner: str | None, resource: str
    ) -> int | None:
        if owner is None:
            return None
        limits = await self.runtime.quota.limits(session, owner, resource)
        limit = limits.get(resource, -1)
        if limit < 0:
            return None
        used = await self.runtime.quota.resource(resource).counter(session, owner)
        return max(0, (limit - used) * MIB)

    async def _set_status(self, image_id: str, expected: str, status: str) -> None:
        async with self.db.session() as session:
            image = await repository.get(session, image_id)
            if image is not None and image.status == expected:
                image.status = status
                image.updated_at = utcnow()

    async def download(self, ctx: RequestContext, image_id: str) -> tuple[ImageData, str | None]:
        """The image and the key of its bytes (None when it has no data)."""
        async with self.db.reader() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.DOWNLOAD_IMAGE, await self._target(session, ctx, image))
            if image.status == "deactivated" and not ctx.is_admin:
                raise ImageForbidden(
                    "The requested image has been deactivated. Image data download is forbidden."
                )
            data = await self._one(session, image)
        if image.location is None or image.status not in ("active", "deactivated"):
            return data, None
        return data, image.location

    def read(self, image: Image, start: int, end: int | None) -> AsyncIterator[bytes]:
        """The image's bytes from the first store that holds them."""
        held = [s for s in self._image_stores(image) if s in self.stores] or [self.store.id]
        return self.stores[held[0]].read(image.location or image.id, start, end)

    # -- interoperable import --------------------------------------------------------------

    async def stage(self, ctx: RequestContext, image_id: str, chunks: AsyncIterator[bytes]) -> None:
        async with self.db.session() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.UPLOAD_IMAGE, await self._target(session, ctx, image))
            if image.status != "queued":
                raise ImageConflict(
                    f"Image status transition from {image.status} to uploading is not allowed"
                )
            remaining = await self._remaining_bytes(session, image.owner, QUOTA_STAGE)
            image.status = "uploading"
            image.updated_at = utcnow()
        key = f"staging/{image_id}"
        limit = SIZE_CAP if remaining is None else min(SIZE_CAP, remaining)
        try:
            # Staged data is inspected when it is imported (its formats may change meanwhile).
            written = await self.store.write(chunks, key=key, max_bytes=limit)
        except QuotaExceeded:
            await self._set_status(image_id, "uploading", "queued")
            raise ImageQuotaExceeded(
                "Denying attempt to stage image because it exceeds the quota."
            ) from None
        except BaseException:
            await self._set_status(image_id, "uploading", "queued")
            raise
        try:
            async with self.db.session() as session:
                row = await repository.get(session, image_id)
                if row is None or row.status != "uploading":
                    raise ImageGone(f"Image {image_id} could not be found after upload.")
                row.staged = json.dumps(
                    {
                        "key": written.key,
                        "size": written.size,
                        "md5": written.md5,
                        "sha512": written.sha512,
                        "virtual_size": written.virtual_size,
                    }
                )
                row.updated_at = utcnow()
        except BaseException:
            await self.store.delete(written.key)
            raise

    async def import_(
        self, ctx: RequestContext, image_id: str, body: Any, *, store_header: str | None = None
    ) -> None:
        """Start an import. Every method writes to the stores the request names, as Glance
        resolves them: ``all_stores``, ``stores``, the ``X-Image-Meta-Store`` header, else the
        default store."""
        method = body.get("method") if isinstance(body, dict) else None
        name = method.get("name") if isinstance(method, dict) else None
        if not isinstance(name, str):
            raise ImageInvalid("Import request requires a 'method' field with a 'name'.")
        if name not in IMPORT_METHODS:
            raise ImageInvalid(f"Import method {name} is not valid.")
        targets = self._import_targets(body, store_header)
        if name == "web-download" and isinstance(method, dict):
            await self._start_web_download(ctx, image_id, body, targets)
            return
        if name == "copy-image":
            await self._copy_image(ctx, image_id, targets)
            return
        async with self.db.session() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.MODIFY_IMAGE, await self._target(session, ctx, image))
            if image.status != "uploading" or image.staged is None:
                raise ImageConflict(
                    "Image needs to be staged before 'glance-direct' method can be used"
                )
            if image.container_format is None or image.disk_format is None:
                raise ImageInvalid(
                    "'disk_format' needs to be set before import"
                    if image.disk_format is None
                    else "'container_format' needs to be set before import"
                )
            staged = json.loads(image.staged)
            owner, inspect = image.owner, self._inspector(image)
            await self._claim(session, owner, {QUOTA_SIZE: _mib(int(staged["size"]))})
            image.status = "importing"
            image.updated_at = utcnow()
            await self._mark_import(session, image_id, importing=targets)
            task_id = await self._import_task(session, ctx, image_id, body, targets)
        # The copies happen outside any transaction (another store may need the database).
        copied: list[str] = []
        try:
            staged_path = self.store.path(staged["key"])
            try:
                virtual = await asyncio.to_thread(
                    _inspect_file, inspect, staged_path, int(staged["size"])
                )
            except formats.FormatRejected as err:
                raise ImageMediaType(str(err)) from None
            for store_id in targets:
                if store_id != self.store.id:
                    await self.stores[store_id].put_file(staged_path, image_id)  # type: ignore[attr-defined]
                    copied.append(store_id)
            async with self.db.session() as session:
                row = await repository.get(session, image_id)
                if row is None or row.status != "importing":
                    raise ImageGone(f"Image {image_id} was deleted during the import.")
                await self._claim(session, owner, {QUOTA_SIZE: _mib(int(staged["size"]))})
                if self.store.id in targets:
                    await self.store.rename(staged["key"], image_id)
                row.staged = None
                await self._mark_import(session, image_id, importing=[])
                self._activate(
                    row,
                    image_id,
                    int(staged["size"]),
                    staged["md5"],
                    staged["sha512"],
                    virtual,
                    stores=targets,
                )
        except BaseException as err:
            for store_id in copied:
                await self.stores[store_id].delete(image_id)
            await self._set_status(image_id, "importing", "uploading")
            await self._finish_task(task_id, image_id, f"{type(err).__name__}: {err}")
            raise
        if self.store.id not in targets:
            await self.store.delete(staged["key"])
        await self._finish_task(task_id, image_id, None)

    async def _mark_import(
        self,
        session: AsyncSession,
        image_id: str,
        *,
        importing: Sequence[str],
        failed: Sequence[str] = (),
    ) -> None:
        """Glance's progress properties: stores still being imported to, stores that failed."""
        props = (await repository.properties(session, [image_id]))[image_id]
        props["os_glance_importing_to_stores"] = ",".join(importing)
        props["os_glance_failed_import"] = ",".join(failed)
        await repository.set_properties(session, image_id, props)

    def _import_targets(self, body: dict[str, Any], header: str | None = None) -> list[str]:
        """The stores an import writes to, resolved as Glance does: ``all_stores`` (every
        writable store), else ``stores``, else the ``X-Image-Meta-Store`` header, else the
        default store. A store that does not exist is a conflict (409), as in Glance."""
        if body.get("all_stores") is True:
            if "stores" in body or header is not None:
                raise ImageInvalid(
                    "All_stores parameter can't be used with x-image-meta-store header "
                    "or stores parameter"
                )
            return list(self.stores)
        if "stores" not in body:
            stores: Any = [header or self.store.id]
        elif header is not None:
            raise ImageInvalid(
                "Stores parameter and x-image-meta-store header can't be both specified"
            )
        else:
            stores = body["stores"]
        if (
            not isinstance(stores, list)
            or not stores
            or not all(isinstance(s, str) for s in stores)
        ):
            raise ImageInvalid("'stores' must be a list of store identifiers")
        for store_id in stores:
            if store_id not in self.stores:
                raise ImageConflict(f"Unknown scheme '{store_id}' found in URI")
        return list(dict.fromkeys(stores))

    async def _copy_image(self, ctx: RequestContext, image_id: str, targets: list[str]) -> None:
        """copy-image: put an active image's data into more stores."""
        async with self.db.reader() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.COPY_IMAGE, await self._target(session, ctx, image))
        if image.status != "active" or image.location is None:
            raise ImageConflict(
                f"Image {image_id} is not active: only active images can be copied."
            )
        held = self._image_stores(image)
        missing = [t for t in targets if t not in held]
        if not missing:
            raise ImageConflict(f"Image {image_id} is already present in {', '.join(targets)}")
        source = self.stores[held[0]]
        done: list[str] = []
        async with self.db.session() as session:
            await self._mark_import(session, image_id, importing=missing)
            task_id = await self._import_task(
                session, ctx, image_id, {"method": {"name": "copy-image"}}, missing
            )
        try:
            for store_id in missing:
                written = await self.stores[store_id].write(
                    source.read(image.location), key=image.location
                )
                if written.md5 != image.checksum:
                    await self.stores[store_id].delete(image.location)
                    raise ImageConflict(f"Copy of image {image_id} to {store_id} is corrupt")
                done.append(store_id)
            async with self.db.session() as session:
                row = await repository.get(session, image_id)
                if row is None:
                    raise ImageGone(f"Image {image_id} was deleted during the copy.")
                row.store = ",".join([*self._image_stores(row), *done])
                row.updated_at = utcnow()
                await self._mark_import(session, image_id, importing=[])
        except BaseException as err:
            await self._finish_task(task_id, image_id, f"{type(err).__name__}: {err}")
            for store_id in done:
                await self.stores[store_id].delete(image.location)
            async with self.db.session() as session:
                if await repository.get(session, image_id) is not None:
                    await self._mark_import(
                        session,
                        image_id,
                        importing=[],
                        failed=[t for t in missing if t not in done],
                    )
            raise
        await self._finish_task(task_id, image_id, None)

    async def delete_from_store(self, ctx: RequestContext, store_id: str, image_id: str) -> None:
        """Drop an image's data from one store (never its last one)."""
        store = self.stores.get(store_id)
        if store is None:
            raise ImageInvalidStore(f"Store {store_id} not found")
        async with self.db.session() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.DELETE_IMAGE_LOCATION, await self._target(session, ctx, image))
            held = self._image_stores(image)
            if store_id not in held:
                raise ImageInvalidStore(f"Image {image_id} is not present in store {store_id}")
            if len(held) == 1:
                raise ImageConflict("It's not allowed to remove image data from its only store.")
            image.store = ",".join(s for s in held if s != store_id)
            image.updated_at = utcnow()
            location = image.location
        await store.delete(location)

    async def _start_web_download(
        self, ctx: RequestContext, image_id: str, body: dict[str, Any], targets: list[str]
    ) -> None:
        method = body["method"]
        uri = method.get("uri")
        _check_uri(uri)
        if not await import_filter.permitted(str(uri), self._import_rules()):
            raise ImageInvalid(f"URI for web-download does not pass filtering: {uri}")
        async with self.db.session() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.MODIFY_IMAGE, await self._target(session, ctx, image))
            if image.status != "queued":
                raise ImageConflict(
                    f"Image status transition from {image.status} to importing is not allowed"
                )
            if image.container_format is None or image.disk_format is None:
                raise ImageInvalid("'disk_format' and 'container_format' need to be set first")
            image.status = "importing"
            image.updated_at = utcnow()
            await self._mark_import(session, image_id, importing=targets)
            task_id = await self._import_task(session, ctx, image_id, body, targets)
        # Glance's default: the image goes active only once every store has its copy.
        every = body.get("all_stores_must_succeed") is not False
        self._spawn(self._download_job(image_id, str(uri), task_id, targets, every))

    async def _download_job(
        self, image_id: str, uri: str, task_id: str, targets: list[str], every: bool
    ) -> None:
        error = await self._web_download(image_id, uri, targets, every_store=every)
        await self._finish_task(task_id, image_id, error)

    async def _web_download(
        self,
        image_id: str,
        uri: str,
        targets: Sequence[str] | None = None,
        *,
        every_store: bool = True,
    ) -> str | None:
        """Fetch ``uri`` and put it in ``targets`` (the default store unless told), then
        activate the image. The bytes are fetched once, into the default store (straight
        to their final name when that store is the only target, else to its staging area,
        from which each target is filled in turn, as Glance does). On failure the image goes
        back to queued with the failed stores in ``os_glance_failed_import`` (with
        ``every_store`` false, the image still goes active in the stores that succeeded)
        and the error is returned."""
        targets = list(targets or [self.store.id])
        async with self.db.reader() as session:
            image = await repository.get(session, image_id)
            if image is None:
                return "image vanished"
            remaining = await self._remaining_bytes(session, image.owner, QUOTA_SIZE)
            owner, inspect = image.owner, self._inspector(image)
        limit = SIZE_CAP if remaining is None else min(SIZE_CAP, remaining)
        direct = targets == [self.store.id]
        try:
            written = await self.store.write(
                import_filter.fetch(uri, self._import_rules()),
                key=image_id if direct else f"staging/{image_id}",
                inspect=inspect,
                max_bytes=limit,
            )
        except QuotaExceeded:
            return await self._import_failed(image_id, "the image exceeds the size quota", targets)
        except formats.FormatRejected as err:
            return await self._import_failed(image_id, str(err), targets)
        except Exception as err:
            return await self._import_failed(image_id, f"download of {uri} failed: {err}", targets)
        done: list[str] = [self.store.id] if direct else []
        failed: list[str] = []
        errors: list[str] = []
        try:
            # The default store last: its copy is the staged file itself, renamed.
            for store_id in sorted(targets, key=lambda t: t == self.store.id) if not direct else ():
                try:
                    if store_id == self.store.id:
                        await self.store.rename(written.key, image_id)
                    else:
                        store: Any = self.stores[store_id]
                        await store.put_file(written.path, image_id)
                except Exception as err:
                    failed.append(store_id)
                    errors.append(f"import to store {store_id} failed: {err}")
                    if every_store:
                        break
                else:
                    done.append(store_id)
                await self._progress(image_id, [t for t in targets if t not in done + failed])
        finally:
            if self.store.id not in done:
                await self.store.delete(written.key)
        if (failed and every_store) or not done:
            await self._drop(image_id, done)
            return await self._import_failed(image_id, "; ".join(errors), failed or targets)
        try:
            async with self.db.session() as session:
                row = await repository.get(session, image_id)
                if row is None or row.status != "importing":
                    raise ImageGone(f"Image {image_id} was deleted during the import.")
                await self._claim(session, owner, {QUOTA_SIZE: _mib(written.size)})
                await self._mark_import(session, image_id, importing=[], failed=failed)
                self._activate(
                    row,
                    image_id,
                    written.size,
                    written.md5,
                    written.sha512,
                    written.virtual_size,
                    stores=[t for t in targets if t in done],
                )
        except Exception as err:
            await self._drop(image_id, done)
            return await self._import_failed(image_id, str(err), targets)
        # Stores that failed while others were allowed to: the task still succeeds (Glance).
        return None

    async def _progress(self, image_id: str, importing: Sequence[str]) -> None:
        """The stores an import has still to fill, as they are filled."""
        async with self.db.session() as session:
            if await repository.get(session, image_id) is not None:
                await self._mark_import(session, image_id, importing=importing)

    async def _drop(self, key: str, stores: Sequence[str]) -> None:
        """Remove an unfinished import's copies."""
        for store_id in stores:
            await self.stores[store_id].delete(key)

    async def _import_failed(self, image_id: str, reason: str, failed: Sequence[str]) -> str:
        async with self.db.session() as session:
            image = await repository.get(session, image_id)
            if image is not None and image.status == "importing":
                image.status = "queued"
                image.updated_at = utcnow()
                await self._mark_import(session, image_id, importing=[], failed=failed)
        return reason

    # -- an image's import tasks (GET /v2/images/{id}/tasks, API 2.12) ---------------------

    async def _import_task(
        self,
        session: AsyncSession,
        ctx: RequestContext,
        image_id: str,
        request: dict[str, Any],
        stores: list[str],
    ) -> str:
        """Record an ``api_image_import`` task, in the transaction that starts the import."""
        now = utcnow()
        row = ImageTask(
            id=uuid_str(),
            type="api_image_import",
            status="processing",
            owner=ctx.project_id,
            image_id=image_id,
            request_id=ctx.request_id,
            user_id=ctx.auth.user_id if ctx.auth else None,
            input={"image_id": image_id, "import_req": request, "backend": stores},
            result=None,
            message="",
            created_at=now,
            updated_at=now,
            expires_at=None,
        )
        await repository.add_task(session, row)
        return row.id

    async def _finish_task(self, task_id: str, image_id: str, error: str | None) -> None:
        async with self.db.session() as session:
            row = await repository.task(session, task_id)
            if row is None:
                return
            now = utcnow()
            row.status = "failure" if error else "success"
            row.message = error or ""
            row.result = None if error else {"image_id": image_id}
            row.updated_at = now
            row.expires_at = now + dt.timedelta(hours=48)

    async def image_tasks(self, ctx: RequestContext, image_id: str) -> list[ImageTask]:
        """The import tasks of an image the caller can see (404 otherwise)."""
        async with self.db.reader() as session:
            image = await self._visible(session, ctx, image_id)
            ctx.can(policies.GET_IMAGE, await self._target(session, ctx, image))
            return await repository.image_tasks(session, image_id)

    # -- tasks (the deprecated tasks API's "import") ---------------------------------------

    async def create_task(self, ctx: RequestContext, body: Any) -> ImageTask:
        ctx.can(policies.TASKS_API_ACCESS)
        ctx.can(policies.ADD_TASK)
        if not isinstance(body, dict) or body.get("type") != "import":
            kind = body.get("type") if isinstance(body, dict) else None
            raise ImageInvalid(f"Task type {kind} is not supported: only 'import' is.")
        task_input = body.get("input")
        if not isinstance(task_input, dict):
            raise ImageInvalid("Invalid task input: 'input' must be an object.")
        _check_uri(task_input.get("import_from"))
        source = str(task_input["import_from"])
        if not await import_filter.permitted(source, self._import_rules()):
            raise ImageInvalid(f"URI for legacy import task does not pass filtering: {source}")
        properties = task_input.get("image_properties") or {}
        if not isinstance(properties, dict):
            raise ImageInvalid("Invalid task input: 'image_properties' must be an object.")
        now = utcnow()
        row = ImageTask(
            id=uuid_str(),
            type="import",
            status="pending",
            owner=ctx.project_id,
            input=task_input,
            result=None,
            message="",
            created_at=now,
            updated_at=now,
            expires_at=None,
        )
        async with self.db.session() as session:
            await repository.add_task(session, row)
        self._spawn(self._run_task(ctx, row.id, properties, str(task_input["import_from"])))
        return row

    async def _run_task(
        self, ctx: RequestContext, task_id: str, properties: dict[str, Any], uri: str
    ) -> None:
        await self._task_update(task_id, "processing")
        try:
            data = await self.create(ctx, properties)
        except Exception as err:
            await self._task_update(task_id, "failure", message=str(err))
            return
        image_id = data.image.id
        async with self.db.session() as session:
            image = await repository.get(session, image_id)
            if image is not None:
                image.status = "importing"
        error = await self._web_download(image_id, uri)
        if error is None:
            await self._task_update(task_id, "success", result={"image_id": image_id})
            return
        async with self.db.session() as session:
            image = await repository.get(session, image_id)
            if image is not None:
                await repository.remove(session, image)
        await self._task_update(task_id, "failure", message=error)

    async def _task_update(
        self,
        task_id: str,
        status: str,
        *,
        message: str = "",
        result: dict[str, Any] | None = None,
    ) -> None:
        async with self.db.session() as session:
            row = await repository.task(session, task_id)
            if row is None:
                return
            row.status = status
            row.message = message
            row.result = result
            row.updated_at = utcnow()
            if status in ("success", "failure"):
                row.expires_at = row.updated_at + dt.timedelta(hours=48)

    async def get_task(self, ctx: RequestContext, task_id: str) -> ImageTask:
        ctx.can(policies.TASKS_API_ACCESS)
        ctx.can(policies.GET_TASK)
        async with self.db.reader() as session:
            row = await repository.task(session, task_id)
        if row is None or (not ctx.is_admin and row.owner != ctx.project_id):
            raise ImageTaskNotFound(f"Task with the given id {task_id} not found")
        return row

    async def list_tasks(self, ctx: RequestContext) -> list[ImageTask]:
        ctx.can(policies.TASKS_API_ACCESS)
        ctx.can(policies.GET_TASKS)
        async with self.db.reader() as session:
            return await repository.tasks(session, self.viewer(ctx))

    # -- members -------------------------------------------------------------------------

    async def _member_image(
        self, session: AsyncSession, ctx: RequestContext, image_id: str, rule: str
    ) -> tuple[Image, dict[str, Any]]:
        image = await self._visible(session, ctx, image_id)
        target = await self._target(session, ctx, image)
        ctx.can(rule, target)
        return image, target

    async def add_member(self, ctx: RequestContext, image_id: str, member_id: Any) -> ImageMember:
        if not isinstance(member_id, str) or not member_id or len(member_id) > 255:
            raise ImageInvalid("Member to be added not specified")
        async with self.db.session() as session:
            image, _ = await self._member_image(session, ctx, image_id, policies.ADD_MEMBER)
            if image.owner != ctx.project_id and not ctx.is_admin:
                raise ImageForbidden("Only the image owner may add members.")
            if image.visibility != "shared":
                raise ImageForbidden(
                    f"Image {image_id} could not be shared: only shared images have members."
                )
            if await repository.member(session, image_id, member_id) is not None:
                raise ImageConflict(f"Member {member_id} is duplicated for image {image_id}")
            if await repository.count_members(session, image_id) >= MEMBER_QUOTA:
                raise ImageQuotaExceeded("Maximum number of image members exceeded.")
            now = utcnow()
            entry = ImageMember(
                image_id=image_id,
                member=member_id,
                status="pending",
                created_at=now,
                updated_at=now,
            )
            await repository.add_member(session, entry)
            return entry

    async def list_members(self, ctx: RequestContext, image_id: str) -> list[ImageMember]:
        async with self.db.reader() as session:
            image, _ = await self._member_image(session, ctx, image_id, policies.GET_MEMBERS)
            if image.visibility != "shared":
                raise ImageForbidden("Only shared images have members.")
            entries = await repository.members(session, image_id)
            if ctx.is_admin or image.owner == ctx.project_id:
                return entries
            return [e for e in entries if e.member == ctx.project_id]

    async def get_member(self, ctx: RequestContext, image_id: str, member_id: str) -> ImageMember:
        async with self.db.reader() as session:
            image, _ = await self._member_image(session, ctx, image_id, policies.GET_MEMBER)
            entry = await repository.member(session, image_id, member_id)
            visible = ctx.is_admin or image.owner == ctx.project_id or member_id == ctx.project_id
            if entry is None or not visible:
                raise MemberNotFound(f"Member {member_id} not found for image {image_id}")
            return entry

    async def update_member(
        self, ctx: RequestContext, image_id: str, member_id: str, status: Any
    ) -> ImageMember:
        if status not in MEMBER_STATUSES:
            raise ImageInvalid(f"Invalid status: {status}")
        async with self.db.session() as session:
            image = await self._visible(session, ctx, image_id)
            entry = await repository.member(session, image_id, member_id)
            if entry is None:
                raise MemberNotFound(f"Member {member_id} not found for image {image_id}")
            target = await self._target(session, ctx, image)
            target["member_id"] = member_id
            ctx.can(policies.MODIFY_MEMBER, target)
            if member_id != ctx.project_id and not ctx.is_admin:
                raise ImageForbidden("Only the member may change its membership status.")
            entry.status = status
            entry.updated_at = utcnow()
            await session.flush()
            return entry

    async def delete_member(self, ctx: RequestContext, image_id: str, member_id: str) -> None:
        async with self.db.session() as session:
            image, _ = await self._member_image(session, ctx, image_id, policies.DELETE_MEMBER)
            if image.owner != ctx.project_id and not ctx.is_admin:
                raise ImageForbidden("Only the image owner may remove members.")
            entry = await repository.member(session, image_id, member_id)
            if entry is None:
                raise MemberNotFound(f"Member {member_id} not found for image {image_id}")
            await repository.remove_member(session, entry)


_PATH_RE = re.compile(r"^/([^/]+)$")


def _check_uri(uri: Any) -> None:
    """web-download and task sources: absolute http(s) URLs only."""
    from urllib.parse import urlparse

    parsed = urlparse(uri) if isinstance(uri, str) else None
    if parsed is None or parsed.scheme not in WEB_SCHEMES or not parsed.hostname:
        raise ImageInvalid(f"URI {uri!r} is not valid: an http(s) URL with a host is required.")


def _parse_patch(changes: Any, dialect: str = "2.1") -> list[tuple[str, str, Any]]:
    """JSON-patch → (op, attribute, value) triples. Dialect 2.1 is RFC 6902
    (``{"op": "replace", "path": "/name"}``); 2.0 names the op as the key
    (``{"replace": "/name"}``)."""
    if not isinstance(changes, list):
        raise ImageInvalid("Request body must be a JSON array of operation objects.")
    out: list[tuple[str, str, Any]] = []
    for change in changes:
        if not isinstance(change, dict):
            raise ImageInvalid("Operations must be JSON objects.")
        if dialect == "2.0":
            present = [k for k in ("add", "remove", "replace") if k in change]
            if len(present) != 1:
                raise ImageInvalid(
                    'Operation objects must contain exactly one member named "add", '
                    '"remove", or "replace".'
                )
            op: Any = present[0]
            path: Any = change[op]
        else:
            op = change.get("op")
            if op is None:
                raise ImageInvalid(
                    "Unable to find `op` in JSON Schema change. It must be one of the "
                    "following: add, remove, replace."
                )
            if op not in ("add", "remove", "replace"):
                raise ImageInvalid(
                    f"Invalid operation: `{op}`. It must be one of the following: add, "
                    "remove, replace."
                )
            path = change.get("path")
        if not isinstance(path, str):
            raise ImageInvalid("Unable to find `path` in JSON Schema change.")
        match = _PATH_RE.match(path)
        if not match:
            if path.startswith("/locations"):
                raise ImageForbidden(
                    "It's not allowed to update locations if locations are invisible."
                )
            raise ImageInvalid(f"Invalid JSON pointer for this resource: '{path}'")
        key = match.group(1).replace("~1", "/").replace("~0", "~")
        if op != "remove" and "value" not in change:
            raise ImageInvalid(f'Operation "{op}" requires a member named "value".')
        _check_settable(key)
        out.append((op, key, change.get("value")))
    return out


def _add_conflicts(
    ops: list[tuple[str, str, Any]], state: dict[str, Any], props: dict[str, str]
) -> None:
    """Dialect 2.0: ``add`` of an attribute that is already there is a conflict."""
    for op, key, _ in ops:
        if op == "add" and (key in props or (key in state and key != "tags")):
            raise ImageConflict(f"Property {key} already present.")


def _apply(op: str, key: str, value: Any, state: dict[str, Any], props: dict[str, str]) -> None:
    core = key in state
    if op == "add":
        if core:
            state[key] = value
        else:
            props[key] = value
    elif op == "replace":
        if core:
            state[key] = value
        elif key in props:
            props[key] = value
        else:
            raise ImageConflict(f"Property {key} does not exist.")
    else:
        if core or key == "id":
            raise ImageForbidden(f"Property {key} may not be removed.")
        if key not in props:
            raise ImageConflict(f"Property {key} does not exist.")
        del props[key]


def _inspect_file(inspect: Inspector, path: Path, size: int) -> int | None:
    with open(path, "rb") as fh:
        head = fh.read(formats.INSPECT_BYTES)
    return inspect(head, size)
