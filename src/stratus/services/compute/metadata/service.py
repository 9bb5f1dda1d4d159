"""The metadata service's logic: which instance a request is for (proxy-signed instance id or
source address), the facts its trees are built from, passwords posted by guests, and config
drives written to the data dir."""

import asyncio
import base64
import binascii
import contextlib
import dataclasses
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.db import Database
from stratus.kit.timeutil import utcnow
from stratus.quota import QuotaEngine
from stratus.services.compute.metadata import config_drive, personality
from stratus.services.compute.metadata import repository as repo
from stratus.services.compute.metadata.config import MetadataConfig
from stratus.services.compute.metadata.tree import InstanceFacts, InstanceMetadata, KeyPairFacts
from stratus.services.compute.models import Instance

log = logging.getLogger(__name__)

# nova keeps a posted password in 4 chunks of 255 characters
MAX_PASSWORD_SIZE = 4 * 255


class MetadataRequestError(Exception):
    """A request the metadata service refuses; answered as plain text with ``status``."""

    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadMetadataRequest(MetadataRequestError):
    status = 400


class BadSignature(MetadataRequestError):
    status = 403


class InstanceUnknown(MetadataRequestError):
    status = 404


class PasswordAlreadySet(MetadataRequestError):
    status = 409


def sign(secret: str, instance_id: str) -> str:
    """What a metadata proxy sends as X-Instance-ID-Signature."""
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


class MetadataService:
    def __init__(
        self,
        db: Database,
        cfg: MetadataConfig,
        *,
        secret: str,
        data_dir: Path,
        network: Any = None,
        quota: QuotaEngine | None = None,
    ) -> None:
        self.db = db
        self.cfg = cfg
        self.secret = secret
        self.data_dir = data_dir
        self.network = network
        self.quota = quota
        # The scheduler's record of an instance's NUMA placement (its pinned vCPUs), if any.
        self.topology: Callable[[str], Awaitable[dict[str, Any] | None]] | None = None

    # -- which instance ----------------------------------------------------------------------

    async def for_proxied_request(
        self,
        instance_id: str | None,
        tenant_id: str | None,
        signature: str | None,
        *,
        address: str | None,
    ) -> InstanceMetadata:
        """nova's X-Instance-ID path: all three headers, a valid HMAC, and the tenant must own
        the instance (a mismatch answers 404, as nova)."""
        if instance_id is None:
            raise BadMetadataRequest("X-Instance-ID header is missing from request.")
        if signature is None:
            raise BadMetadataRequest("X-Instance-ID-Signature header is missing from request.")
        if tenant_id is None:
            raise BadMetadataRequest("X-Tenant-ID header is missing from request.")
        if not hmac.compare_digest(sign(self.secret, instance_id), signature):
            log.warning("X-Instance-ID-Signature does not match for %s", instance_id)
            raise BadSignature("Invalid proxy request signature.")
        async with self.db.reader() as s:
            inst = await repo.get_instance(s, instance_id)
        if inst is None or inst.project_id != tenant_id:
            raise InstanceUnknown("The resource could not be found.")
        return await self.metadata(inst, address=address)

    async def for_address(self, address: str | None, tenant_id: str | None) -> InstanceMetadata:
        """The instance holding ``address`` as a fixed IP (in ``tenant_id`` when given)."""
        if not address or self.network is None:
            raise InstanceUnknown("The resource could not be found.")
        devices = await self.network.devices_with_fixed_ip(address)
        uuids = sorted({d for d, _project in devices})
        async with self.db.reader() as s:
            found = await repo.live_instances(s, uuids, project_id=tenant_id)
        if len(found) != 1:
            # none, or an address that overlapping networks of several projects share
            raise InstanceUnknown("The resource could not be found.")
        return await self.metadata(found[0], address=address)

    # -- the facts -------------------------------------------------------------------------

    async def metadata(
        self,
        inst: Instance,
        *,
        address: str | None = None,
        network_info: list[dict[str, Any]] | None = None,
    ) -> InstanceMetadata:
        return InstanceMetadata(await self.facts(inst, network_info), address=address)

    async def facts(
        self,
        inst: Instance,
        network_info: list[dict[str, Any]] | None = None,
        *,
        files: Sequence[tuple[str, bytes]] = (),
    ) -> InstanceFacts:
        async with self.db.reader() as s:
            password = await repo.get_password(s, inst.uuid)
            keypair = (
                await repo.get_keypair(s, inst.user_id, inst.key_name) if inst.key_name else None
            )
        vifs = [dict(v) for v in (network_info if network_info is not None else inst.network_info)]
        _tag_interfaces(vifs, inst.requested_networks)
        return InstanceFacts(
            uuid=inst.uuid,
            name=inst.display_name,
            hostname=inst.hostname,
            project_id=inst.project_id,
            launch_index=inst.launch_index,
            reservation_id=inst.reservation_id,
            availability_zone=inst.availability_zone,
            image_ref=inst.image_ref,
            flavor=dict(inst.flavor),
            key_name=inst.key_name,
            key_data=inst.key_data,
            keypair=KeyPairFacts(keypair.name, keypair.type, keypair.public_key)
            if keypair is not None
            else (
                KeyPairFacts(inst.key_name, "ssh", inst.key_data)
                if inst.key_name and inst.key_data
                else None
            ),
            user_data=_decode(inst.user_data),
            meta=dict(inst.meta),
            security_groups=list(inst.security_groups),
            network_info=vifs,
            password=password,
            dedicated_cpus=await self._dedicated_cpus(inst.uuid),
            vendor_data=dict(self.cfg.vendor_data),
            dhcp_domain=self.cfg.dhcp_domain,
            files=list(files),
        )

    async def _dedicated_cpus(self, uuid: str) -> list[int]:
        """The guest CPUs pinned to dedicated host CPUs (nova's ``pcpuset`` of each guest
        cell), as the scheduler placed them."""
        placed = await self.topology(uuid) if self.topology is not None else None
        if not placed:
            return []
        return sorted(
            {int(v) for cell in placed.get("cells", []) for v in cell.get("cpu_pinning", {})}
        )

    # -- passwords -------------------------------------------------------------------------

    async def post_password(self, uuid: str, body: bytes) -> None:
        """A guest sets its (encrypted) password once; later posts conflict, as in nova."""
        if len(body) > MAX_PASSWORD_SIZE:
            raise BadMetadataRequest("Request is too large.")
        text = body.decode("utf-8", errors="replace")
        async with self.db.session() as s:
            if await repo.get_instance(s, uuid) is None:
                raise BadMetadataRequest(f"Instance {uuid} could not be found.")
            if await repo.get_password(s, uuid):
                raise PasswordAlreadySet(
                    "There was a conflict when trying to complete your request."
                )
            await repo.delete_password(s, uuid)
            await repo.add_password(s, uuid, text, utcnow())

    async def password(self, uuid: str) -> str:
        async with self.db.reader() as s:
            return await repo.get_password(s, uuid) or ""

    async def clear_password(self, uuid: str) -> None:
        async with self.db.session() as s:
            await repo.delete_password(s, uuid)

    # -- config drives ---------------------------------------------------------------------

    def config_drive_path(self, uuid: str) -> Path:
        """Where a driver finds an instance's config drive (nova's instances/<uuid>/disk.config)."""
        return self.data_dir / "instances" / uuid / "disk.config"

    async def build_config_drive(self, uuid: str) -> Path | None:
        """Write the config drive of ``uuid`` when it asked for one; its network data comes
        from the ports bound so far (the info cache is filled only once the guest runs)."""
        async with self.db.reader() as s:
            inst = await repo.get_instance(s, uuid)
        if inst is None or not inst.config_drive:
            return None
        network_info: list[dict[str, Any]] | None = None
        if self.network is not None:
            network_info = [dataclasses.asdict(v) for v in await self.network.network_info(uuid)]
        # injected files reach the guest only on its config drive (as in nova)
        async with self.db.reader() as s:
            injected = await repo.get_files(s, uuid)
        md = InstanceMetadata(await self.facts(inst, network_info, files=injected))
        files = list(md.config_drive_files())
        image = await asyncio.to_thread(config_drive.build_iso, files)
        path = self.config_drive_path(uuid)
        await asyncio.to_thread(config_drive.write_image, path, image)
        return path

    async def check_files(self, project_id: str, files: list[tuple[str, bytes]]) -> None:
        """403 when a rebuild's files break the project's injected file quotas."""
        if self.quota is None:
            return
        async with self.db.reader() as s:
            await personality.check_quota(self.quota, s, project_id, files)

    async def rebuilt(self, uuid: str, files: list[tuple[str, bytes]]) -> None:
        """A rebuild with ``personality``: its files replace the old ones, and the config drive
        (when the server has one) is written again."""
        async with self.db.session() as s:
            await personality.replace(s, uuid, files)
        await self.build_config_drive(uuid)

    async def forget(self, uuid: str) -> None:
        """Drop what was kept for a deleted instance: its config drive and password."""
        async with self.db.session() as s:
            await self.forget_rows(s, uuid)
        await self.forget_files(uuid)

    async def kept(self, session: AsyncSession, uuid: str) -> bool:
        """Whether a password or injected files are kept for ``uuid``."""
        return await repo.has_kept(session, uuid)

    async def forget_rows(self, session: AsyncSession, uuid: str) -> None:
        """The password and injected files of a deleted instance, in the caller's
        transaction (the server's delete)."""
        await repo.delete_password(session, uuid)
        await repo.delete_files(session, uuid)

    async def forget_files(self, uuid: str) -> None:
        """The config drive of a deleted instance, if it had one."""
        path = self.config_drive_path(uuid)
        if not path.parent.is_dir():  # most instances have none: no trip to a thread
            return

        def _remove() -> None:
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()

        await asyncio.to_thread(_remove)


def _decode(user_data: str | None) -> bytes | None:
    if user_data is None:
        return None
    try:
        return base64.b64decode(user_data)
    except (binascii.Error, ValueError):
        return user_data.encode()


def _tag_interfaces(vifs: list[dict[str, Any]], requested: list[dict[str, Any]]) -> None:
    """Carry the ``tag`` a boot request gave a port or network onto its interface."""
    pending = [r for r in requested if r.get("tag")]
    for vif in vifs:
        match = next((r for r in pending if r.get("port_id") == vif.get("port_id")), None)
        if match is None:
            match = next(
                (
                    r
                    for r in pending
                    if not r.get("port_id") and r.get("network_id") == vif.get("network_id")
                ),
                None,
            )
        if match is not None:
            pending.remove(match)
            vif["tag"] = match["tag"]
