"""QoS specs (front-end IOPS / bytes-per-second classes, back-end specs) and their
association with volume types."""

from collections.abc import Mapping
from typing import Any

from stratus.db import Database
from stratus.kit.errors import NotFound
from stratus.kit.ids import uuid_str
from stratus.kit.timeutil import utcnow
from stratus.services.volume import repository as repo
from stratus.services.volume.errors import (
    InvalidQosSpecs,
    QosSpecsExists,
    QosSpecsInUse,
    QosSpecsNotFound,
    VolumeTypeNotFound,
)
from stratus.services.volume.models import QosSpecs, VolumeType

CONSUMERS = ("front-end", "back-end", "both")
# The front-end keys cinder passes to Nova (libvirt iotune).
FRONT_END_KEYS = {
    "total_bytes_sec",
    "read_bytes_sec",
    "write_bytes_sec",
    "total_iops_sec",
    "read_iops_sec",
    "write_iops_sec",
    "total_bytes_sec_max",
    "read_bytes_sec_max",
    "write_bytes_sec_max",
    "total_iops_sec_max",
    "read_iops_sec_max",
    "write_iops_sec_max",
    "size_iops_sec",
    "total_iops_sec_per_gb",
    "read_iops_sec_per_gb",
    "write_iops_sec_per_gb",
    "total_bytes_sec_per_gb",
    "read_bytes_sec_per_gb",
    "write_bytes_sec_per_gb",
}


def _check_values(specs: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in specs.items():
        if not isinstance(key, str) or not key or len(key) > 255:
            raise InvalidQosSpecs(f"Invalid key {key!r}.")
        if isinstance(value, (dict, list)) or value is None:
            raise InvalidQosSpecs(f"Invalid value for {key}.")
        text = str(value)
        if key in FRONT_END_KEYS:
            try:
                number = int(text)
            except ValueError:
                raise InvalidQosSpecs(f"{key} must be an integer.") from None
            if number < 0:
                raise InvalidQosSpecs(f"{key} must be a non-negative integer.")
        out[key] = text
    return out


class QosService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str, consumer: str, specs: Mapping[str, Any]) -> QosSpecs:
        if consumer not in CONSUMERS:
            raise InvalidQosSpecs(
                f"Value {consumer} is not allowed for consumer: valid values are "
                f"{', '.join(CONSUMERS)}."
            )
        clean = _check_values(specs)
        async with self.db.session() as s:
            if await repo.get_qos_by_name(s, name) is not None:
                raise QosSpecsExists(name)
            row = QosSpecs(
                id=uuid_str(), name=name, consumer=consumer, specs=clean, created_at=utcnow()
            )
            await repo.add(s, row)
            return row

    async def list_specs(self) -> list[QosSpecs]:
        async with self.db.reader() as s:
            return await repo.list_qos(s)

    async def get(self, qos_id: str) -> QosSpecs:
        async with self.db.reader() as s:
            row = await repo.get_qos(s, qos_id)
        if row is None:
            raise QosSpecsNotFound(qos_id)
        return row

    async def set_keys(self, qos_id: str, specs: Mapping[str, Any]) -> dict[str, str]:
        consumer = specs.get("consumer")
        if consumer is not None and consumer not in CONSUMERS:
            raise InvalidQosSpecs(f"Value {consumer} is not allowed for consumer.")
        clean = _check_values({k: v for k, v in specs.items() if k != "consumer"})
        async with self.db.session() as s:
            row = await repo.get_qos(s, qos_id)
            if row is None:
                raise QosSpecsNotFound(qos_id)
            row.specs = {**row.specs, **clean}
            if consumer is not None:
                row.consumer = str(consumer)
        out = dict(clean)
        if consumer is not None:
            out["consumer"] = str(consumer)
        return out

    async def delete_keys(self, qos_id: str, keys: list[str]) -> None:
        async with self.db.session() as s:
            row = await repo.get_qos(s, qos_id)
            if row is None:
                raise QosSpecsNotFound(qos_id)
            specs = dict(row.specs)
            for key in keys:
                if key not in specs:
                    raise NotFound(f"QoS spec {qos_id} has no key {key}.")
                del specs[key]
            row.specs = specs

    async def delete(self, qos_id: str, *, force: bool) -> None:
        async with self.db.session() as s:
            row = await repo.get_qos(s, qos_id)
            if row is None:
                raise QosSpecsNotFound(qos_id)
            types = await repo.types_with_qos(s, qos_id)
            if types and not force:
                raise QosSpecsInUse(qos_id)
            for t in types:
                t.qos_specs_id = None
            await repo.remove(s, row)

    async def associations(self, qos_id: str) -> list[VolumeType]:
        async with self.db.reader() as s:
            if await repo.get_qos(s, qos_id) is None:
                raise QosSpecsNotFound(qos_id)
            return await repo.types_with_qos(s, qos_id)

    async def disassociate(self, qos_id: str, type_id: str) -> None:
        async with self.db.session() as s:
            if await repo.get_qos(s, qos_id) is None:
                raise QosSpecsNotFound(qos_id)
            t = await repo.get_type(s, type_id)
            if t is None:
                raise VolumeTypeNotFound(type_id)
            if t.qos_specs_id == qos_id:
                t.qos_specs_id = None

    async def disassociate_all(self, qos_id: str) -> None:
        async with self.db.session() as s:
            if await repo.get_qos(s, qos_id) is None:
                raise QosSpecsNotFound(qos_id)
            for t in await repo.types_with_qos(s, qos_id):
                t.qos_specs_id = None
