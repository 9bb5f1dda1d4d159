"""Volume transfers: offer a volume with an auth key, accept it in another project (with
or without its snapshots), cancel the offer."""

import hashlib
import hmac
import secrets

from stratus.api.context import RequestContext
from stratus.kit.errors import BadRequest
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.volume import core as st
from stratus.services.volume import policies, quota
from stratus.services.volume import repository as repo
from stratus.services.volume.core import Core
from stratus.services.volume.errors import InvalidInput, InvalidVolume, TransferNotFound
from stratus.services.volume.models import Transfer
from stratus.services.volume.volume import check_text


def _hash(salt: str, key: str) -> str:
    return hashlib.sha256(f"{salt}{key}".encode()).hexdigest()


class TransferService:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.db = core.db

    async def create(
        self,
        ctx: RequestContext,
        volume_id: str,
        name: object,
        *,
        no_snapshots: bool,
        allow_encrypted: bool = False,
    ) -> tuple[Transfer, str]:
        """``allow_encrypted`` (3.70): encrypted volumes (and their snapshots) may be offered;
        Stratus keeps no per-volume keys in a key manager, so there is no key to re-own."""
        clean_name = check_text(name, "name")
        async with self.db.session() as s:
            v = await self.core.volume(s, ctx, volume_id)
            ctx.can(policies.TRANSFER_CREATE, {"project_id": v.project_id})
            if v.status != st.AVAILABLE:
                raise InvalidVolume("status must be available")
            if v.encrypted and not allow_encrypted:
                raise InvalidVolume("Encrypted volumes cannot be transferred.")
            if not no_snapshots:
                for snap in await repo.snapshots_of(s, v.id):
                    if snap.status != "available":
                        raise InvalidVolume("snapshot status must be available")
            key = secrets.token_hex(8)
            salt = secrets.token_hex(8)
            row = Transfer(
                id=uuid_str(),
                volume_id=v.id,
                project_id=v.project_id,
                name=clean_name,
                salt=salt,
                crypt_hash=_hash(salt, key),
                no_snapshots=no_snapshots,
                created_at=utcnow(),
            )
            await repo.add(s, row)
            v.status = st.AWAITING_TRANSFER
            v.updated_at = utcnow()
            return row, key

    async def get(self, ctx: RequestContext, transfer_id: str) -> Transfer:
        async with self.db.reader() as s:
            row = await repo.get_transfer(s, transfer_id)
        if row is None or row.accepted or not (ctx.is_admin or ctx.project_id == row.project_id):
            raise TransferNotFound(transfer_id)
        ctx.can(policies.TRANSFER_GET, {"project_id": row.project_id})
        return row

    async def list_transfers(self, ctx: RequestContext, all_projects: bool) -> list[Transfer]:
        ctx.can(policies.TRANSFER_GET_ALL, {"project_id": ctx.project_id})
        async with self.db.reader() as s:
            return await repo.list_transfers(
                s, None if all_projects and ctx.is_admin else ctx.project_id
            )

    async def delete(self, ctx: RequestContext, transfer_id: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_transfer(s, transfer_id)
            if (
                row is None
                or row.accepted
                or not (ctx.is_admin or ctx.project_id == row.project_id)
            ):
                raise TransferNotFound(transfer_id)
            ctx.can(policies.TRANSFER_DELETE, {"project_id": row.project_id})
            v = await repo.get_volume(s, row.volume_id)
            if v is not None and v.status == st.AWAITING_TRANSFER:
                v.status = st.AVAILABLE
                v.updated_at = utcnow()
            await repo.remove(s, row)

    async def accept(self, ctx: RequestContext, transfer_id: str, auth_key: object) -> Transfer:
        if not isinstance(auth_key, str) or not auth_key:
            raise InvalidInput("Invalid request body: auth_key is required.")
        ctx.can(policies.TRANSFER_ACCEPT, {"project_id": ctx.project_id})
        project_id = ctx.project_id
        if not project_id:
            raise BadRequest("A project-scoped token is required to accept a transfer.")
        async with self.db.session() as s:
            row = await repo.get_transfer(s, transfer_id)
            if row is None or row.accepted:
                raise TransferNotFound(transfer_id)
            if not hmac.compare_digest(_hash(row.salt, auth_key), row.crypt_hash):
                raise BadRequest(
                    f"Invalid auth key: Attempt to transfer {transfer_id} with invalid auth key."
                )
            v = await repo.get_volume(s, row.volume_id)
            if v is None or v.status != st.AWAITING_TRANSFER:
                raise InvalidVolume("status must be awaiting-transfer")
            snaps = [] if row.no_snapshots else await repo.snapshots_of(s, v.id)
            vtype = await repo.get_type(s, v.volume_type_id)
            await quota.claim(
                self.core.quota,
                s,
                project_id,
                volumes=1,
                snapshots=len(snaps),
                gigabytes=v.size + sum(x.size for x in snaps),
                type_name=vtype.name if vtype else None,
            )
            source_project = v.project_id
            v.project_id = project_id
            v.user_id = ctx.user_id
            v.status = st.AVAILABLE
            v.updated_at = utcnow()
            for snap in snaps:
                snap.project_id = project_id
                snap.user_id = ctx.user_id
            row.accepted = True
            row.destination_project_id = project_id
            _ = source_project
            await s.flush()
            return row
