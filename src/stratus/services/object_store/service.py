"""Object storage domain logic: accounts auto-created on first use, containers with counters
and metadata, objects written through the blob store then committed with one transaction,
quotas, copies, large-object manifests, expiry and bulk delete."""

import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.api.runtime import Runtime
from stratus.services.object_store import repository
from stratus.services.object_store.errors import SwiftError, conflict, not_found
from stratus.services.object_store.models import Account, Container, StoredObject
from stratus.services.object_store.store import BlobStore, EtagMismatch, ShortBody, TooLarge

# Swift's constraints (swift.conf defaults), published at /info.
MAX_FILE_SIZE = 5368709122
MAX_META_NAME_LENGTH = 128
MAX_META_VALUE_LENGTH = 256
MAX_META_COUNT = 90
MAX_META_OVERALL_SIZE = 4096
MAX_HEADER_SIZE = 8192
MAX_OBJECT_NAME_LENGTH = 1024
MAX_CONTAINER_NAME_LENGTH = 256
MAX_ACCOUNT_NAME_LENGTH = 256
CONTAINER_LISTING_LIMIT = 10000
ACCOUNT_LISTING_LIMIT = 10000
MAX_MANIFEST_SEGMENTS = 1000
MAX_MANIFEST_SIZE = 8388608
MAX_DELETES_PER_REQUEST = 10000


@dataclass
class Listing:
    prefix: str | None = None
    delimiter: str | None = None
    marker: str | None = None
    end_marker: str | None = None
    reverse: bool = False
    limit: int = CONTAINER_LISTING_LIMIT


@dataclass
class NewObject:
    """What a PUT says about the object besides its bytes."""

    content_type: str
    meta: dict[str, str]
    etag: str | None = None
    content_length: int | None = None
    if_none_match: bool = False
    delete_at: float | None = None
    slo: list[dict[str, Any]] | None = None


@dataclass
class Segment:
    blob: str
    size: int
    start: int = 0  # first byte of the segment used
    end: int | None = None  # last byte used (inclusive)

    @property
    def length(self) -> int:
        last = self.size - 1 if self.end is None else self.end
        return last - self.start + 1


@dataclass
class Content:
    """The bytes an object GET answers with: one blob, or the segments of a manifest."""

    size: int
    etag: str
    segments: list[Segment] = field(default_factory=list)
    is_manifest: bool = False


def now() -> float:
    return round(time.time(), 5)


def meta_bytes(meta: dict[str, Any], prefix: str) -> tuple[int, int]:
    """(count, overall size) of the user metadata with ``prefix``."""
    count = 0
    size = 0
    for key, value in meta.items():
        if key.startswith(prefix):
            count += 1
            size += len(key) - len(prefix) + len(str(value))
    return count, size


def check_meta(meta: dict[str, Any], prefix: str) -> None:
    for key, value in meta.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        if not name:
            raise SwiftError(400, "Metadata name cannot be empty")
        if len(name) > MAX_META_NAME_LENGTH:
            raise SwiftError(400, f"Metadata name too long: {key}")
        if len(str(value)) > MAX_META_VALUE_LENGTH:
            raise SwiftError(400, f"Metadata value longer than {MAX_META_VALUE_LENGTH}: {key}")
    count, size = meta_bytes(meta, prefix)
    if count > MAX_META_COUNT:
        raise SwiftError(400, f"Too many metadata items; max {MAX_META_COUNT}")
    if size > MAX_META_OVERALL_SIZE:
        raise SwiftError(400, f"Total metadata too large; max {MAX_META_OVERALL_SIZE}")


def apply_updates(
    meta: dict[str, Any], updates: dict[str, str], removes: Sequence[str]
) -> dict[str, Any]:
    out = dict(meta)
    for key, value in updates.items():
        if value == "":
            out.pop(key, None)
        else:
            out[key] = value
    for key in removes:
        out.pop(key, None)
    return out


def _int_meta(meta: dict[str, Any], key: str) -> int | None:
    raw = meta.get(key)
    if raw is None:
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


class ObjectStoreService:
    def __init__(self, runtime: Runtime, store: BlobStore) -> None:
        self.db = runtime.db
        self.store = store

    # -- accounts ------------------------------------------------------------------------

    async def account(self, name: str) -> tuple[Account | None, tuple[int, int, int]]:
        async with self.db.reader() as session:
            row = await repository.account(session, name)
            return row, await repository.account_totals(session, name)

    async def update_account(
        self, name: str, updates: dict[str, str], removes: Sequence[str]
    ) -> None:
        async with self.db.session() as session:
            row = await repository.ensure_account(session, name, now())
            meta = apply_updates(row.meta, updates, removes)
            check_meta(meta, "x-account-meta-")
            row.meta = meta
            row.updated_at = now()

    async def list_containers(self, name: str, listing: Listing) -> list[Container | str]:
        async with self.db.reader() as session:

            async def fetch(marker: str | None, limit: int) -> list[Any]:
                return await repository.list_containers(
                    session,
                    name,
                    prefix=listing.prefix,
                    marker=marker,
                    end_marker=listing.end_marker,
                    reverse=listing.reverse,
                    limit=limit,
                )

            return await _collapse(fetch, listing)

    # -- containers ----------------------------------------------------------------------

    async def container(self, account: str, name: str) -> Container:
        async with self.db.reader() as session:
            row = await repository.container(session, account, name)
            if row is None:
                raise not_found()
            return row

    async def put_container(
        self, account: str, name: str, updates: dict[str, str], removes: Sequence[str]
    ) -> bool:
        async with self.db.session() as session:
            await repository.ensure_account(session, account, now())
            row = await repository.container(session, account, name)
            created = row is None
            if row is None:
                stamp = now()
                row = Container(
                    account=account,
                    name=name,
                    meta={},
                    object_count=0,
                    bytes_used=0,
                    created_at=stamp,
                    updated_at=stamp,
                )
                await repository.add(session, row)
            meta = apply_updates(row.meta, updates, removes)
            check_meta(meta, "x-container-meta-")
            row.meta = meta
            row.updated_at = now()
            return created

    async def update_container(
        self, account: str, name: str, updates: dict[str, str], removes: Sequence[str]
    ) -> None:
        async with self.db.session() as session:
            row = await repository.container(session, account, name)
            if row is None:
                raise not_found()
            meta = apply_updates(row.meta, updates, removes)
            check_meta(meta, "x-container-meta-")
            row.meta = meta
            row.updated_at = now()

    async def delete_container(self, account: str, name: str) -> None:
        blobs = await self._purge_expired(account, name)
        await self.store.delete(blobs)
        async with self.db.session() as session:
            row = await repository.container(session, account, name)
            if row is None:
                raise not_found()
            if row.object_count > 0:
                raise conflict()
            await repository.delete_row(session, row)

    async def _purge_expired(self, account: str, name: str) -> list[str | None]:
        """Objects past their X-Delete-At go away (the object expirer's work, done lazily)."""
        async with self.db.reader() as session:
            row = await repository.container(session, account, name)
            if row is None:
                return []
            stale = await repository.expired(session, row.id, time.time())
        if not stale:
            return []
        async with self.db.session() as session:
            stale = await repository.expired(session, row.id, time.time())
            await repository.remove_objects(session, [o.id for o in stale])
            await repository.count_bump(session, row.id, -len(stale), -sum(o.size for o in stale))
            return [o.blob for o in stale]

    async def list_objects(
        self, account: str, name: str, listing: Listing
    ) -> tuple[Container, list[StoredObject | str]]:
        await self.store.delete(await self._purge_expired(account, name))
        async with self.db.reader() as session:
            row = await repository.container(session, account, name)
            if row is None:
                raise not_found()
            container_id = row.id

            async def fetch(marker: str | None, limit: int) -> list[Any]:
                return await repository.list_objects(
                    session,
                    container_id,
                    prefix=listing.prefix,
                    marker=marker,
                    end_marker=listing.end_marker,
                    reverse=listing.reverse,
                    limit=limit,
                )

            return row, await _collapse(fetch, listing)

    # -- objects -------------------------------------------------------------------------

    async def get_object(
        self, account: str, container: str, name: str
    ) -> tuple[Container, StoredObject]:
        async with self.db.reader() as session:
            crow = await repository.container(session, account, container)
            if crow is None:
                raise not_found()
            obj = await repository.get_object(session, crow.id, name)
            if obj is None or (obj.delete_at is not None and obj.delete_at <= time.time()):
                raise not_found()
            return crow, obj

    async def _quota_room(
        self, session: AsyncSession, account: str, crow: Container, replacing: int, adding: int
    ) -> None:
        """413 when ``adding`` bytes (replacing ``replacing``) break a container or account
        quota."""
        quota_bytes = _int_meta(crow.meta, "x-container-meta-quota-bytes")
        if quota_bytes is not None and crow.bytes_used - replacing + adding > quota_bytes:
            raise SwiftError(413, "Upload exceeds quota.")
        quota_count = _int_meta(crow.meta, "x-container-meta-quota-count")
        if quota_count is not None and replacing == 0 and crow.object_count + 1 > quota_count:
            raise SwiftError(413, "Upload exceeds quota.")
        arow = await repository.account(session, account)
        meta = arow.meta if arow else {}
        byte_limits = [
            _int_meta(meta, key)
            for key in (
                "x-account-meta-quota-bytes",
                "x-account-quota-bytes",
                "x-account-quota-bytes-policy-policy-0",
            )
        ]
        count_limit = _int_meta(meta, "x-account-quota-count")
        if any(v is not None for v in byte_limits) or count_limit is not None:
            _, objects, used = await repository.account_totals(session, account)
            for limit in byte_limits:
                if limit is not None and used - replacing + adding > limit:
                    raise SwiftError(413, "Upload exceeds quota.")
            if count_limit is not None and replacing == 0 and objects + 1 > count_limit:
                raise SwiftError(413, "Upload exceeds quota.")

    async def put_object(
        self,
        account: str,
        container: str,
        name: str,
        chunks: AsyncIterator[bytes] | None,
        new: NewObject,
        *,
        blob: str | None = None,
        size: int = 0,
        etag: str | None = None,
    ) -> StoredObject:
        """Store an object from a stream (or an existing blob/manifest) and commit it."""
        async with self.db.reader() as session:
            crow = await repository.container(session, account, container)
            if crow is None:
                raise not_found()
            existing = await repository.get_object(session, crow.id, name)
            if new.if_none_match and existing is not None and not _expired(existing):
                raise SwiftError(412)
            if new.content_length is not None:
                await self._quota_room(
                    session, account, crow, existing.size if existing else 0, new.content_length
                )
        written_key = blob
        if chunks is not None:
            limit = MAX_FILE_SIZE if new.content_length is None else new.content_length
            try:
                written = await self.store.write(
                    chunks,
                    max_bytes=limit,
                    expected_size=new.content_length,
                    expected_md5=None if new.etag is None else new.etag.strip('"').lower(),
                )
            except TooLarge:
                raise SwiftError(413, "Your request is too large.") from None
            except ShortBody:
                raise SwiftError(499) from None
            except EtagMismatch:
                raise SwiftError(422) from None
            written_key, size, etag = written.key, written.size, written.md5
        assert etag is not None
        old_blob: str | None = None
        try:
            async with self.db.session() as session:
                crow2 = await repository.container(session, account, container)
                if crow2 is None:
                    raise not_found()
                existing = await repository.get_object(session, crow2.id, name)
                if new.if_none_match and existing is not None and not _expired(existing):
                    raise SwiftError(412)
                replacing = existing.size if existing else 0
                await self._quota_room(session, account, crow2, replacing, size)
                stamp = now()
                if existing is None:
                    obj = StoredObject(container_id=crow2.id, name=name)
                else:
                    obj = existing
                    old_blob = existing.blob
                obj.size = size
                obj.etag = etag
                obj.content_type = new.content_type
                obj.timestamp = stamp
                obj.meta = dict(new.meta)
                obj.blob = written_key
                obj.slo = new.slo
                obj.delete_at = new.delete_at
                if existing is None:
                    session.add(obj)
                    await session.flush()
                    await repository.count_bump(session, crow2.id, 1, size)
                else:
                    await session.flush()
                    await repository.count_bump(session, crow2.id, 0, size - replacing)
        except BaseException:
            if written_key is not None:
                await self.store.delete([written_key])
            raise
        await self.store.delete([old_blob])
        return obj

    async def post_object(
        self,
        account: str,
        container: str,
        name: str,
        meta: dict[str, str],
        *,
        content_type: str | None,
        delete_at: float | None,
        change_expiry: bool,
    ) -> None:
        """Fast-POST: replace the user metadata (and optionally type and expiry)."""
        async with self.db.session() as session:
            crow = await repository.container(session, account, container)
            if crow is None:
                raise not_found()
            obj = await repository.get_object(session, crow.id, name)
            if obj is None or _expired(obj):
                raise not_found()
            kept = {
                k: v
                for k, v in obj.meta.items()
                if k == "x-object-manifest" or k.startswith("x-object-sysmeta-")
            }
            kept.update(meta)
            obj.meta = kept
            if content_type:
                obj.content_type = content_type
            if change_expiry:
                obj.delete_at = delete_at
            obj.timestamp = now()

    async def delete_object(self, account: str, container: str, name: str) -> StoredObject:
        async with self.db.session() as session:
            crow = await repository.container(session, account, container)
            if crow is None:
                raise not_found()
            obj = await repository.get_object(session, crow.id, name)
            if obj is None:
                raise not_found()
            expired = _expired(obj)
            await repository.delete_row(session, obj)
            await repository.count_bump(session, crow.id, -1, -obj.size)
        await self.store.delete([obj.blob])
        if expired:
            raise not_found()
        return obj

    # -- versioned writes ----------------------------------------------------------------

    @staticmethod
    def versions_of(crow: Container) -> tuple[str, str] | None:
        """(archive container, mode) when the container keeps old versions."""
        if crow.meta.get("x-versions-location"):
            return str(crow.meta["x-versions-location"]), "stack"
        if crow.meta.get("x-history-location"):
            return str(crow.meta["x-history-location"]), "history"
        return None

    async def archive(self, account: str, container: str, name: str) -> None:
        """Before an overwrite or delete: copy the current object into the archive container
        as ``<len(name) as 3 hex digits><name>/<timestamp>`` (Swift's versioned writes)."""
        crow, obj = await self._current(account, container, name)
        versions = self.versions_of(crow) if crow else None
        if versions is None or obj is None:
            return
        archive, _ = versions
        blob = await self.store.link(obj.blob) if obj.blob else None
        new = NewObject(
            content_type=obj.content_type,
            meta=dict(obj.meta),
            delete_at=obj.delete_at,
            slo=obj.slo,
        )
        try:
            await self.put_object(
                account,
                archive,
                version_prefix(name) + f"{obj.timestamp:016.5f}",
                None,
                new,
                blob=blob,
                size=obj.size,
                etag=obj.etag,
            )
        except SwiftError as err:
            if err.http_status == 404:
                raise SwiftError(412, f"Versions container {archive} does not exist.") from None
            raise

    async def _current(
        self, account: str, container: str, name: str
    ) -> tuple[Container | None, StoredObject | None]:
        async with self.db.reader() as session:
            crow = await repository.container(session, account, container)
            if crow is None:
                return None, None
            obj = await repository.get_object(session, crow.id, name)
            return crow, (None if obj is None or _expired(obj) else obj)

    async def versioned_delete(self, account: str, container: str, name: str) -> None:
        """DELETE in a versioned container. Stack mode: the newest archived version comes
        back. History mode: the current object is archived, then removed."""
        crow, current = await self._current(account, container, name)
        if crow is None:
            raise not_found()
        versions = self.versions_of(crow)
        assert versions is not None
        archive, mode = versions
        if mode == "history":
            if current is None:
                raise not_found()
            await self.archive(account, container, name)
            await self.delete_object(account, container, name)
            return
        async with self.db.reader() as session:
            arow = await repository.container(session, account, archive)
            latest = (
                await repository.list_objects(
                    session,
                    arow.id,
                    prefix=version_prefix(name),
                    marker=None,
                    end_marker=None,
                    reverse=True,
                    limit=1,
                )
                if arow
                else []
            )
        if not latest:
            await self.delete_object(account, container, name)
            return
        previous = latest[0]
        blob = await self.store.link(previous.blob) if previous.blob else None
        new = NewObject(
            content_type=previous.content_type,
            meta=dict(previous.meta),
            delete_at=previous.delete_at,
            slo=previous.slo,
        )
        await self.put_object(
            account,
            container,
            name,
            None,
            new,
            blob=blob,
            size=previous.size,
            etag=previous.etag,
        )
        await self.delete_object(account, archive, previous.name)

    # -- content -------------------------------------------------------------------------

    async def content(self, account: str, crow: Container, obj: StoredObject) -> Content:
        """Resolve what a GET streams: the blob, or a manifest's current segments."""
        if obj.slo is not None:
            segments: list[Segment] = []
            async with self.db.reader() as session:
                for entry in obj.slo:
                    seg_container, _, seg_name = entry["name"].lstrip("/").partition("/")
                    srow = await repository.container(session, account, seg_container)
                    seg = await repository.get_object(session, srow.id, seg_name) if srow else None
                    if seg is None or seg.blob is None or seg.etag != entry["hash"]:
                        raise SwiftError(
                            409, f"Segment {entry['name']} of the manifest is missing or changed."
                        )
                    segments.append(Segment(seg.blob, seg.size))
            return Content(obj.size, f'"{obj.etag}"', segments, True)
        manifest = obj.meta.get("x-object-manifest")
        if manifest:
            seg_container, _, prefix = manifest.partition("/")
            segments = []
            digest = hashlib.md5(usedforsecurity=False)
            async with self.db.reader() as session:
                srow = await repository.container(session, account, seg_container)
                marker: str | None = None
                while srow is not None:
                    rows = await repository.list_objects(
                        session,
                        srow.id,
                        prefix=prefix,
                        marker=marker,
                        end_marker=None,
                        reverse=False,
                        limit=1000,
                    )
                    for row in rows:
                        if row.blob is not None and not _expired(row):
                            segments.append(Segment(row.blob, row.size))
                            digest.update(row.etag.encode())
                    if len(rows) < 1000:
                        break
                    marker = rows[-1].name
            total = sum(s.size for s in segments)
            return Content(total, f'"{digest.hexdigest()}"', segments, True)
        segments = [Segment(obj.blob, obj.size)] if obj.blob else []
        return Content(obj.size, obj.etag, segments, False)

    async def stream(self, segments: list[Segment]) -> AsyncIterator[bytes]:
        for seg in segments:
            if seg.length <= 0:
                continue
            async for chunk in self.store.read(seg.blob, seg.start, seg.end):
                yield chunk

    @staticmethod
    def slice(content: Content, start: int, end: int) -> list[Segment]:
        """The segments covering bytes ``start`` .. ``end`` of the content."""
        out: list[Segment] = []
        offset = 0
        for seg in content.segments:
            seg_first, seg_last = offset, offset + seg.size - 1
            offset += seg.size
            if seg_last < start or seg_first > end:
                continue
            out.append(
                Segment(
                    seg.blob,
                    seg.size,
                    max(start, seg_first) - seg_first,
                    min(end, seg_last) - seg_first,
                )
            )
        return out

    # -- manifests -----------------------------------------------------------------------

    async def check_slo(self, account: str, manifest: Any) -> tuple[list[dict[str, Any]], int, str]:
        """Validate an SLO manifest against the segments stored now."""
        if not isinstance(manifest, list) or not manifest:
            raise SwiftError(400, "Manifest must be valid JSON.\n")
        if len(manifest) > MAX_MANIFEST_SEGMENTS:
            raise SwiftError(400, f"Too many segments: the maximum is {MAX_MANIFEST_SEGMENTS}.\n")
        problems: list[str] = []
        entries: list[dict[str, Any]] = []
        digest = hashlib.md5(usedforsecurity=False)
        total = 0
        async with self.db.reader() as session:
            for index, item in enumerate(manifest):
                if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                    raise SwiftError(400, f"Index {index}: path does not refer to an object.\n")
                path = item["path"]
                seg_container, _, seg_name = path.lstrip("/").partition("/")
                if not seg_name:
                    problems.append(f"{path}, Index {index}: path does not refer to an object")
                    continue
                srow = await repository.container(session, account, seg_container)
                seg = await repository.get_object(session, srow.id, seg_name) if srow else None
                if seg is None or _expired(seg):
                    problems.append(f"{path}, 404 Not Found")
                    continue
                if seg.blob is None:
                    problems.append(f"{path}, Nested manifests are not supported")
                    continue
                etag = item.get("etag")
                if etag is not None and str(etag).strip('"') != seg.etag:
                    problems.append(f"{path}, Etag Mismatch")
                size = item.get("size_bytes")
                if size is not None and int(size) != seg.size:
                    problems.append(f"{path}, Size Mismatch")
                digest.update(seg.etag.encode())
                total += seg.size
                entries.append(
                    {
                        "name": "/" + seg_container + "/" + seg_name,
                        "hash": seg.etag,
                        "bytes": seg.size,
                        "content_type": seg.content_type,
                        "last_modified": seg.timestamp,
                    }
                )
        if problems:
            raise SwiftError(400, "Errors:\n" + "\n".join(problems) + "\n")
        return entries, total, digest.hexdigest()

    async def delete_slo(
        self, account: str, container: str, name: str
    ) -> tuple[int, int, list[list[str]]]:
        """Delete a manifest and its segments: (deleted, not found, errors)."""
        _, obj = await self.get_object(account, container, name)
        paths = [e["name"] for e in obj.slo or []] + [f"/{container}/{name}"]
        return await self.bulk_delete(account, paths)

    async def extract_archive(
        self, account: str, base: str, chunks: AsyncIterator[bytes], compression: str
    ) -> tuple[int, list[list[str]]]:
        """Bulk upload: each file of a tar archive becomes an object under ``base``
        ("" at the account: the first path part names the container, created if missing)."""
        import asyncio
        import mimetypes

        spooled = await self.store.write(chunks, max_bytes=MAX_FILE_SIZE)
        try:
            found, errors = await asyncio.to_thread(
                _unpack, self.store, str(self.store.path(spooled.key)), compression, base
            )
        finally:
            await self.store.delete([spooled.key])
        created = 0
        known: set[str] = set()
        for index, item in enumerate(found):
            try:
                if item.container not in known:
                    await self.put_container(account, item.container, {}, [])
                    known.add(item.container)
                guessed, _ = mimetypes.guess_type(item.name)
                new = NewObject(content_type=guessed or "application/octet-stream", meta={})
                await self.put_object(
                    account,
                    item.container,
                    item.name,
                    None,
                    new,
                    blob=item.blob,
                    size=item.size,
                    etag=item.md5,
                )
                created += 1
            except SwiftError as err:
                errors.append(
                    [f"/{item.container}/{item.name}", f"{err.http_status} {err.message}"]
                )
            except BaseException:
                await self.store.delete([i.blob for i in found[index:]])
                raise
        return created, errors

    async def bulk_delete(
        self, account: str, paths: Sequence[str]
    ) -> tuple[int, int, list[list[str]]]:
        deleted = 0
        missing = 0
        errors: list[list[str]] = []
        for raw in paths:
            path = raw.strip().lstrip("/")
            if not path:
                continue
            container, _, name = path.partition("/")
            try:
                if name:
                    await self.delete_object(account, container, name)
                else:
                    await self.delete_container(account, container)
                deleted += 1
            except SwiftError as err:
                if err.http_status == 404:
                    missing += 1
                elif err.http_status == 409:
                    errors.append([f"/{path}", "409 Conflict"])
                else:
                    errors.append([f"/{path}", f"{err.http_status} {err.message}"])
        return deleted, missing, errors


@dataclass
class Extracted:
    container: str
    name: str
    blob: str
    size: int
    md5: str


def _unpack(
    store: BlobStore, path: str, compression: str, base: str
) -> tuple[list[Extracted], list[list[str]]]:
    """Every regular file of a tar archive as a new blob (runs in a thread)."""
    import mimetypes  # noqa: F401 - warm the table off the event loop
    import tarfile

    done: list[Extracted] = []
    errors: list[list[str]] = []
    # "r|*" reads the stream once and detects the compression itself.
    try:
        archive = tarfile.open(path, "r|*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError):
        raise SwiftError(400, "Invalid Tar File: not a valid archive\n") from None
    with archive:
        try:
            for member in archive:
                if not member.isfile():
                    continue
                full = "/".join(p for p in (base, member.name.lstrip("./")) if p)
                container, _, name = full.partition("/")
                if not container or not name:
                    errors.append([f"/{full}", "400 Bad Request: Invalid path"])
                    continue
                if len(name.encode()) > MAX_OBJECT_NAME_LENGTH or member.size > MAX_FILE_SIZE:
                    errors.append([f"/{full}", "400 Bad Request"])
                    continue
                source = archive.extractfile(member)
                if source is None:
                    continue
                blob = store.write_sync(source)
                done.append(Extracted(container, name, blob.key, blob.size, blob.md5))
        except tarfile.TarError:
            raise SwiftError(400, "Invalid Tar File: truncated or corrupt archive\n") from None
    return done, errors


def version_prefix(name: str) -> str:
    return f"{len(name.encode()):03x}{name}/"


def _expired(obj: StoredObject) -> bool:
    return obj.delete_at is not None and obj.delete_at <= time.time()


Fetch = Callable[[str | None, int], Awaitable[list[Any]]]


async def _collapse(fetch: Fetch, listing: Listing) -> list[Any]:
    """A listing page: rows in name order, with names sharing a prefix up to the delimiter
    folded into one ``subdir`` string (as Swift's container server does)."""
    out: list[Any] = []
    marker = listing.marker
    prefix = listing.prefix or ""
    delimiter = listing.delimiter
    while len(out) < listing.limit:
        want = listing.limit - len(out)
        rows = await fetch(marker, want)
        if not rows:
            break
        jumped = False
        for row in rows:
            name: str = row.name
            if delimiter:
                cut = name.find(delimiter, len(prefix))
                if cut >= 0:
                    subdir = name[: cut + len(delimiter)]
                    if subdir != listing.marker:
                        out.append(subdir)
                    marker = subdir if listing.reverse else subdir + "\U0010ffff"
                    jumped = True
                    break
            out.append(row)
            marker = name
            if len(out) >= listing.limit:
                break
        if not jumped and len(rows) < want:
            break
    return out
