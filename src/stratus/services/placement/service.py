"""Placement's domain logic: providers and their trees, inventories, classes, traits,
aggregates, consumers and allocations. Stateless apart from name<->id caches; every
method takes or opens its own transaction and never sees HTTP."""

import asyncio
import datetime as dt
import uuid as uuidlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import os_resource_classes
import os_traits
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.db import Database
from stratus.services.placement import repository as repo
from stratus.services.placement.errors import (
    CannotDeleteParent,
    ConcurrentUpdate,
    DuplicateName,
    InventoryInUse,
    PlacementBadRequest,
    PlacementConflict,
    PlacementNotFound,
    ProviderInUse,
    ProviderNotFoundInBody,
    ResourceProviderNotFound,
)
from stratus.services.placement.models import (
    Allocation,
    Consumer,
    Inventory,
    ResourceClass,
    ResourceProvider,
    Trait,
)

MAX_INT = 2147483647
SHARES = "MISC_SHARES_VIA_AGGREGATE"


@dataclass
class ProviderView:
    """A provider as the API shows it."""

    uuid: str
    name: str
    generation: int
    parent_provider_uuid: str | None
    root_provider_uuid: str
    updated_at: dt.datetime


@dataclass
class InventoryRecord:
    resource_class: str
    total: int
    reserved: int = 0
    min_unit: int = 1
    max_unit: int = MAX_INT
    step_size: int = 1
    allocation_ratio: float = 1.0

    @classmethod
    def from_body(cls, rc: str, data: Mapping[str, Any]) -> "InventoryRecord":
        return cls(
            resource_class=rc,
            total=data["total"],
            reserved=data.get("reserved", 0),
            min_unit=data.get("min_unit", 1),
            max_unit=data.get("max_unit", MAX_INT),
            step_size=data.get("step_size", 1),
            allocation_ratio=float(data.get("allocation_ratio", 1.0)),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "reserved": self.reserved,
            "min_unit": self.min_unit,
            "max_unit": self.max_unit,
            "step_size": self.step_size,
            "allocation_ratio": self.allocation_ratio,
        }


@dataclass
class ProviderReport:
    """One compute node's provider as its host reports it (see report_providers)."""

    uuid: str
    name: str
    inventories: list[InventoryRecord]
    traits: list[str]


_REPORT_CHUNK = 500
# Most allocation requests one provider snapshot keeps shaped (see find_candidates).
_SHAPED_MAX = 10_000


@dataclass
class ConsumerAllocations:
    """What one consumer should hold after a write: {rp uuid: {rc: amount}} (empty to drop)."""

    consumer_uuid: str
    allocations: dict[str, dict[str, int]]
    project_id: str | None = None
    user_id: str | None = None
    consumer_generation: int | None = None
    check_generation: bool = False
    consumer_type: str | None = None


@dataclass
class ConsumerView:
    allocations: dict[str, dict[str, Any]]
    project_id: str | None = None
    user_id: str | None = None
    generation: int | None = None
    consumer_type: str | None = None
    last_modified: dt.datetime | None = None


@dataclass
class UsageTotals:
    usages: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, dict[str, int]] = field(default_factory=dict)


# Upstream defaults for consumers written before 1.8 (no project/user in the body).
INCOMPLETE_PROJECT = "00000000-0000-0000-0000-000000000000"
INCOMPLETE_USER = "00000000-0000-0000-0000-000000000000"


@dataclass
class _FactsCache:
    """Provider facts and the epochs they are at (see PlacementService.facts)."""

    structure: int
    usage: int
    facts: dict[int, repo.ProviderFacts]


def normalize_uuid(value: str) -> str:
    return str(uuidlib.UUID(value))


class PlacementService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._rc_ids: dict[str, int] = {}
        self._rc_names: dict[int, str] = {}
        self._trait_ids: dict[str, int] = {}
        self._trait_names: dict[int, str] = {}
        self._facts: _FactsCache | None = None
        self._facts_lock = asyncio.Lock()
        self._consumer_types: dict[str, int] = {}
        self._finder: tuple[dict[int, repo.ProviderFacts], Any] | None = None

    # --- bootstrapping and name caches ----------------------------------------------

    async def sync_standard_names(self) -> None:
        """Insert the standard resource classes and traits that are missing."""
        async with self.db.session() as s:
            have = await repo.name_ids(s, ResourceClass)
            await repo.add_names(
                s, ResourceClass, [n for n in os_resource_classes.STANDARDS if n not in have]
            )
            have = await repo.name_ids(s, Trait)
            await repo.add_names(s, Trait, [n for n in os_traits.get_traits() if n not in have])
        await self._reload_names()

    async def _reload_names(self, session: AsyncSession | None = None) -> None:
        if session is None:
            async with self.db.reader() as s:
                rcs = await repo.name_ids(s, ResourceClass)
                traits = await repo.name_ids(s, Trait)
        else:
            rcs = await repo.name_ids(session, ResourceClass)
            traits = await repo.name_ids(session, Trait)
        self._rc_ids, self._rc_names = rcs, {v: k for k, v in rcs.items()}
        self._trait_ids, self._trait_names = traits, {v: k for k, v in traits.items()}

    async def rc_id(self, s: AsyncSession, name: str) -> int | None:
        if name not in self._rc_ids:
            await self._reload_names(s)
        return self._rc_ids.get(name)

    async def rc_name(self, s: AsyncSession, ident: int) -> str:
        if ident not in self._rc_names:
            await self._reload_names(s)
        return self._rc_names[ident]

    async def trait_ids(self, s: AsyncSession, names: Sequence[str]) -> dict[str, int]:
        if any(n not in self._trait_ids for n in names):
            await self._reload_names(s)
        missing = sorted({n for n in names if n not in self._trait_ids})
        if missing:
            raise PlacementBadRequest(f"No such trait(s): {', '.join(missing)}.")
        return {n: self._trait_ids[n] for n in names}

    async def trait_name(self, s: AsyncSession, ident: int) -> str:
        if ident not in self._trait_names:
            await self._reload_names(s)
        return self._trait_names[ident]

    async def facts(self, s: AsyncSession) -> dict[int, repo.ProviderFacts]:
        """Provider facts for searches, as fresh as the database at this read, in any
        process: the epochs are read each time. A structure change (provider, inventory,
        trait, aggregate) reloads everything; an allocation change reloads the usage and
        generation of only the providers it touched. One search refreshes at a time (the
        others then find the work done); epochs only move forwards."""
        async with self._facts_lock:
            marks = await repo.epochs(s)
            structure, usage = marks.get(repo.STRUCTURE, 0), marks.get(repo.USAGE, 0)
            cached = self._facts
            if cached is None or structure > cached.structure:
                facts = await repo.load_facts(s)
                self._facts = _FactsCache(structure, usage, facts)
                return facts
            if structure == cached.structure and usage > cached.usage:
                changed = await repo.usage_changes(s, cached.usage)
                known = [rid for rid in changed if rid in cached.facts]
                used = await repo.usages_for_providers(s, known)
                memo = self._finder[1].summaries if self._finder is not None else {}
                for rid in known:
                    rp = cached.facts[rid]
                    rp.generation = changed[rid]
                    for rc, inv in rp.inventories.items():
                        inv.used = used.get((rid, rc), 0)
                    memo.pop(rid, None)
                # A provider created since the last full load carries a newer structure
                # epoch, so the next search reloads it whole.
                cached.usage = usage
            # (Epochs behind the cache's: this transaction began before its last refresh,
            # which is newer than anything it could read.)
            return cached.facts

    def known_trait_names(self) -> dict[int, str]:
        return self._trait_names

    def known_rc_names(self) -> dict[int, str]:
        return self._rc_names

    # --- providers -----------------------------------------------------------------------

    async def _view(self, s: AsyncSession, rp: ResourceProvider) -> ProviderView:
        ids = {i for i in (rp.parent_provider_id, rp.root_provider_id) if i is not None}
        related = await repo.providers_by_ids(s, ids)
        parent = related.get(rp.parent_provider_id) if rp.parent_provider_id else None
        root = related.get(rp.root_provider_id or rp.id)
        return ProviderView(
            uuid=rp.uuid,
            name=rp.name,
            generation=rp.generation,
            parent_provider_uuid=parent.uuid if parent else None,
            root_provider_uuid=root.uuid if root else rp.uuid,
            updated_at=rp.updated_at or rp.created_at,
        )

    async def _get_rp(self, s: AsyncSession, uuid: str) -> ResourceProvider:
        rp = await repo.provider_by_uuid(s, uuid)
        if rp is None:
            raise ResourceProviderNotFound(f"No resource provider with uuid {uuid} found")
        return rp

    async def get_provider(self, uuid: str) -> ProviderView:
        async with self.db.reader() as s:
            return await self._view(s, await self._get_rp(s, uuid))

    async def create_provider(
        self, *, name: str, uuid: str | None, parent_uuid: str | None
    ) -> ProviderView:
        rp_uuid = normalize_uuid(uuid) if uuid else str(uuidlib.uuid4())
        async with self.db.session() as s:
            dupes = []
            if await repo.provider_by_uuid(s, rp_uuid) is not None:
                dupes.append(f"uuid: {rp_uuid}")
            if await repo.provider_by_name(s, name) is not None:
                dupes.append(f"name: {name}")
            if dupes:
                raise DuplicateName(
                    f"Conflicting resource provider {', '.join(dupes)} already exists."
                )
            parent_id = root_id = None
            if parent_uuid is not None:
                if parent_uuid == rp_uuid:
                    raise PlacementBadRequest(
                        f'Unable to create resource provider "{name}", {rp_uuid}: parent '
                        "provider UUID cannot be same as UUID. Please set parent provider "
                        "UUID to None if there is no parent."
                    )
                parent = await repo.provider_by_uuid(s, parent_uuid)
                if parent is None:
                    raise PlacementBadRequest(
                        f'Unable to create resource provider "{name}", {rp_uuid}: parent '
                        "provider UUID does not exist."
                    )
                parent_id, root_id = parent.id, parent.root_provider_id
            try:
                rp = await repo.create_provider(
                    s, uuid=rp_uuid, name=name, parent_id=parent_id, root_id=root_id
                )
            except IntegrityError:
                raise DuplicateName(
                    f"Conflicting resource provider name: {name} already exists."
                ) from None
            await repo.bump_epoch(s, repo.STRUCTURE)
            return await self._view(s, rp)

    async def update_provider(
        self,
        uuid: str,
        *,
        name: str | None,
        parent_uuid: str | None,
        parent_given: bool,
        allow_reparenting: bool,
    ) -> ProviderView:
        async with self.db.session() as s:
            rp = await self._get_rp(s, uuid)
            if name is not None and name != rp.name:
                other = await repo.provider_by_name(s, name)
                if other is not None:
                    raise DuplicateName(f"Conflicting resource provider {name} already exists.")
                rp.name = name
            if parent_given:
                await self._reparent(s, rp, parent_uuid, allow_reparenting)
            rp.updated_at = repo.utcnow()
            try:
                await s.flush()
            except IntegrityError:
                raise DuplicateName(
                    f"Conflicting resource provider {name} already exists."
                ) from None
            await repo.bump_epoch(s, repo.STRUCTURE)
            return await self._view(s, rp)

    async def _reparent(
        self,
        s: AsyncSession,
        rp: ResourceProvider,
        parent_uuid: str | None,
        allow: bool,
    ) -> None:
        def fail(reason: str) -> PlacementBadRequest:
            return PlacementBadRequest(f"Unable to save resource provider {rp.uuid}: {reason}")

        current = rp.parent_provider_id
        if parent_uuid is None:
            if current is None:
                return
            if not allow:
                raise fail("un-parenting a provider is not currently allowed.")
            rp.parent_provider_id = None
            await self._set_subtree_root(s, rp, rp.id)
            return
        parent = await repo.provider_by_uuid(s, parent_uuid)
        if parent is None:
            raise fail("parent provider UUID does not exist.")
        if parent.id == current:
            return
        if current is not None and not allow:
            raise fail("re-parenting a provider is not currently allowed.")
        if parent.id == rp.id or parent.id in await self._descendants(s, rp.id):
            raise fail("creating loop in the provider tree is not allowed.")
        rp.parent_provider_id = parent.id
        await self._set_subtree_root(s, rp, parent.root_provider_id or parent.id)

    async def _descendants(self, s: AsyncSession, rp_id: int) -> list[int]:
        out: list[int] = []
        frontier = [rp_id]
        while frontier:
            nxt: list[int] = []
            for ident in frontier:
                nxt.extend(await repo.child_ids(s, ident))
            out.extend(nxt)
            frontier = nxt
        return out

    async def _set_subtree_root(self, s: AsyncSession, rp: ResourceProvider, root: int) -> None:
        rp.root_provider_id = root
        await s.flush()
        await repo.set_root_for_subtree(s, await self._descendants(s, rp.id), root)

    async def delete_provider(self, uuid: str) -> None:
        async with self.db.session() as s:
            rp = await repo.provider_by_uuid(s, uuid)
            if rp is None:
                raise ResourceProviderNotFound(
                    f"No resource provider with uuid {uuid} found for delete"
                )
            if await repo.provider_has_allocations(s, rp.id):
                raise ProviderInUse(
                    f"Unable to delete resource provider {uuid}: Resource provider has allocations."
                )
            if await repo.child_ids(s, rp.id):
                raise CannotDeleteParent(
                    f"Unable to delete parent resource provider {uuid}: It has child "
                    "resource providers."
                )
            await repo.delete_provider(s, rp.id)
            await repo.bump_epoch(s, repo.STRUCTURE)

    async def list_providers(
        self,
        *,
        name: str | None = None,
        uuid: str | None = None,
        in_tree: str | None = None,
        member_of: Sequence[tuple[bool, set[str]]] = (),
        resources: Mapping[str, int] | None = None,
        required: Sequence[set[str]] = (),
        forbidden: set[str] | None = None,
    ) -> list[ProviderView]:
        """member_of: (negated, aggregates) clauses ANDed; required: any-of sets ANDed."""
        async with self.db.reader() as s:
            rc_ids: dict[str, int] = {}
            for rc in resources or {}:
                ident = await self.rc_id(s, rc)
                if ident is None:
                    raise PlacementBadRequest(
                        f"Invalid resource class in resources parameter: No such resource "
                        f"class {rc}."
                    )
                rc_ids[rc] = ident
            all_names = sorted({t for group in required for t in group} | (forbidden or set()))
            try:
                tids = await self.trait_ids(s, all_names)
            except PlacementBadRequest as err:
                raise PlacementBadRequest(
                    f'Invalid trait(s) in "required" parameter: {err.message}'
                ) from None
            facts = await self.facts(s)
            tree_root: int | None = None
            if in_tree is not None:
                anchor = next((f for f in facts.values() if f.uuid == in_tree), None)
                if anchor is None:
                    return []
                tree_root = anchor.root_id
            by_uuid_views: list[ProviderView] = []
            required_ids = [{tids[t] for t in group} for group in required]
            forbidden_ids = {tids[t] for t in forbidden or set()}
            for rp in sorted(facts.values(), key=lambda f: f.id):
                if name is not None and rp.name != name:
                    continue
                if uuid is not None and rp.uuid != uuid:
                    continue
                if tree_root is not None and rp.root_id != tree_root:
                    continue
                if not _member_of_ok(rp.aggregates, member_of):
                    continue
                if any(not (group & rp.traits) for group in required_ids):
                    continue
                if forbidden_ids & rp.traits:
                    continue
                if resources:
                    ok = True
                    for rc, amount in resources.items():
                        inv = rp.inventories.get(rc_ids[rc])
                        if inv is None or inv.capacity < inv.used + amount:
                            ok = False
                            break
                        if amount > inv.max_unit or amount < inv.min_unit:
                            ok = False
                            break
                        if amount % inv.step_size:
                            ok = False
                            break
                    if not ok:
                        continue
                parent = facts.get(rp.parent_id) if rp.parent_id else None
                root = facts.get(rp.root_id)
                by_uuid_views.append(
                    ProviderView(
                        uuid=rp.uuid,
                        name=rp.name,
                        generation=rp.generation,
                        parent_provider_uuid=parent.uuid if parent else None,
                        root_provider_uuid=root.uuid if root else rp.uuid,
                        updated_at=repo.utcnow(),
                    )
                )
            return by_uuid_views

    # --- inventories ---------------------------------------------------------------------

    async def get_inventories(self, uuid: str) -> tuple[int, list[InventoryRecord]]:
        async with self.db.reader() as s:
            rp = await self._get_rp(s, uuid)
            invs = await repo.inventories(s, rp.id)
            return rp.generation, [await self._inv_record(s, i) for i in invs]

    async def _inv_record(self, s: AsyncSession, inv: Inventory) -> InventoryRecord:
        return InventoryRecord(
            resource_class=await self.rc_name(s, inv.resource_class_id),
            total=inv.total,
            reserved=inv.reserved,
            min_unit=inv.min_unit,
            max_unit=inv.max_unit,
            step_size=inv.step_size,
            allocation_ratio=inv.allocation_ratio,
        )

    async def set_inventories(
        self,
        uuid: str,
        *,
        generation: int | None,
        records: Sequence[InventoryRecord],
        replace: bool,
        reserved_can_be_total: bool,
        session: AsyncSession | None = None,
    ) -> tuple[int, list[InventoryRecord]]:
        """Write inventories under a generation check. ``replace`` drops classes not listed;
        otherwise the records are added/updated one by one. None generation skips the check
        (only for POST of one inventory, which upstream checks through its own read)."""
        if session is None:
            async with self.db.session() as s:
                return await self.set_inventories(
                    uuid,
                    generation=generation,
                    records=records,
                    replace=replace,
                    reserved_can_be_total=reserved_can_be_total,
                    session=s,
                )
        done = await self._set_inventories(
            session, uuid, generation, records, replace, reserved_can_be_total
        )
        await repo.bump_epoch(session, repo.STRUCTURE)
        return done

    async def _set_inventories(
        self,
        s: AsyncSession,
        uuid: str,
        generation: int | None,
        records: Sequence[InventoryRecord],
        replace: bool,
        reserved_can_be_total: bool,
    ) -> tuple[int, list[InventoryRecord]]:
        rp = await self._get_rp(s, uuid)
        expected = rp.generation if generation is None else generation
        if expected != rp.generation:
            raise ConcurrentUpdate(
                "resource provider generation conflict",
            )
        wanted: dict[int, InventoryRecord] = {}
        for rec in records:
            ident = await self.rc_id(s, rec.resource_class)
            if ident is None:
                raise PlacementBadRequest(
                    f"Unknown resource class in inventory for resource provider {uuid}: "
                    f"No such resource class {rec.resource_class}."
                )
            check_record(rec, uuid, reserved_can_be_total)
            wanted[ident] = rec
        current = {i.resource_class_id: i for i in await repo.inventories(s, rp.id)}
        usage = await repo.usage_by_class(s, rp.id)
        if replace:
            gone = [rc for rc in current if rc not in wanted]
            in_use = sorted(rc for rc in gone if usage.get(rc, 0) > 0)
            if in_use:
                names = ", ".join([await self.rc_name(s, rc) for rc in in_use])
                raise InventoryInUse(
                    f"update conflict: Inventory for '{names}' on resource provider "
                    f"'{uuid}' in use."
                )
            await repo.delete_inventories(s, [current[rc].id for rc in gone])
        now = repo.utcnow()
        for ident, rec in wanted.items():
            inv = current.get(ident)
            if inv is None:
                inv = Inventory(resource_provider_id=rp.id, resource_class_id=ident, created_at=now)
                s.add(inv)
            else:
                inv.updated_at = now
            inv.total, inv.reserved = rec.total, rec.reserved
            inv.min_unit, inv.max_unit = rec.min_unit, rec.max_unit
            inv.step_size, inv.allocation_ratio = rec.step_size, rec.allocation_ratio
        await s.flush()
        if not await repo.bump_generation(s, rp.id, rp.generation):
            raise ConcurrentUpdate("resource provider generation conflict")
        await s.refresh(rp)
        invs = await repo.inventories(s, rp.id)
        return rp.generation, [await self._inv_record(s, i) for i in invs]

    async def report_providers(self, reports: Sequence[ProviderReport]) -> None:
        """What compute nodes report, many at once: each provider is created when missing
        and its inventory and traits made exactly those given, in a few statements per
        chunk of providers instead of six transactions per provider. As nova's report
        client, only what differs is written: an unchanged provider keeps its generation.
        Missing custom traits are created first."""
        for rep in reports:
            for rec in rep.inventories:
                check_record(rec, rep.uuid, True)
        custom = sorted({t for r in reports for t in r.traits if t.startswith("CUSTOM_")})
        if any(t not in self._trait_ids for t in custom):
            await self._reload_names()
            missing = [t for t in custom if t not in self._trait_ids]
            if missing:
                async with self.db.session() as s:
                    have = await repo.name_ids(s, Trait)
                    await repo.add_names(s, Trait, [t for t in missing if t not in have])
                await self._reload_names()
        for start in range(0, len(reports), _REPORT_CHUNK):
            chunk = reports[start : start + _REPORT_CHUNK]
            for attempt in range(3):
                try:
                    async with self.db.session() as s:
                        await self._report_chunk(s, chunk)
                    break
                except IntegrityError:
                    # Another process created some of these providers at the same moment:
                    # read again (they exist now) and write what still differs.
                    if attempt == 2:
                        raise

    async def _report_chunk(self, s: AsyncSession, reports: Sequence[ProviderReport]) -> None:
        by_uuid = {normalize_uuid(r.uuid): r for r in reports}
        rps = await repo.providers_by_uuids(s, by_uuid)
        new = [(u, r.name) for u, r in by_uuid.items() if u not in rps]
        if new:
            taken = await repo.providers_by_names(s, [n for _, n in new])
            clash = sorted(n for u, n in new if n in taken and taken[n] != u)
            if clash or len({n for _, n in new}) != len(new):
                raise DuplicateName(
                    f"Conflicting resource provider name: {(clash or [new[0][1]])[0]} "
                    "already exists."
                )
            await repo.add_providers(s, new)
        existing = [rp.id for rp in rps.values()]
        await repo.lock_providers(s, existing)
        rps = await repo.providers_by_uuids(s, by_uuid)
        ids = [rp.id for rp in rps.values()]
        current: dict[int, dict[int, Inventory]] = defaultdict(dict)
        for inv in await repo.inventories_of(s, ids):
            current[inv.resource_provider_id][inv.resource_class_id] = inv
        traits = await repo.trait_ids_of(s, ids)
        usage = await repo.usages_for_providers(s, existing)
        changed: set[int] = set()
        new_traits: dict[int, set[int]] = {}
        added: list[dict[str, object]] = []
        gone: list[int] = []
        now = repo.utcnow()
        for rp_uuid, rep in by_uuid.items():
            rp = rps[rp_uuid]
            wanted: dict[int, InventoryRecord] = {}
            for rec in rep.inventories:
                ident = await self.rc_id(s, rec.resource_class)
                if ident is None:
                    raise PlacementBadRequest(
                        f"Unknown resource class in inventory for resource provider "
                        f"{rp_uuid}: No such resource class {rec.resource_class}."
                    )
                wanted[ident] = rec
            have = current.get(rp.id, {})
            removed = [rc for rc in have if rc not in wanted]
            in_use = sorted(rc for rc in removed if usage.get((rp.id, rc), 0) > 0)
            if in_use:
                names = ", ".join([await self.rc_name(s, rc) for rc in in_use])
                raise InventoryInUse(
                    f"update conflict: Inventory for '{names}' on resource provider "
                    f"'{rp_uuid}' in use."
                )
            if removed:
                gone.extend(have[rc].id for rc in removed)
                changed.add(rp.id)
            for ident, rec in wanted.items():
                held = have.get(ident)
                fields = rec.as_dict()
                if held is None:
                    added.append(
                        {
                            "resource_provider_id": rp.id,
                            "resource_class_id": ident,
                            "created_at": now,
                            **fields,
                        }
                    )
                    changed.add(rp.id)
                elif any(getattr(held, k) != v for k, v in fields.items()):
                    for k, v in fields.items():
                        setattr(held, k, v)
                    held.updated_at = now
                    changed.add(rp.id)
            want_traits = set((await self.trait_ids(s, list(rep.traits))).values())
            if want_traits != traits.get(rp.id, set()):
                new_traits[rp.id] = want_traits
                changed.add(rp.id)
        await repo.delete_inventories(s, gone)
        await repo.add_inventories(s, added)
        await repo.set_traits_of(s, new_traits)
        await s.flush()
        await repo.bump_generations(s, changed)
        if changed or new:
            await repo.bump_epoch(s, repo.STRUCTURE)

    async def delete_inventory(self, uuid: str, rc: str, *, generation: int | None = None) -> None:
        async with self.db.session() as s:
            rp = await self._get_rp(s, uuid)
            ident = await self.rc_id(s, rc)
            current = {i.resource_class_id: i for i in await repo.inventories(s, rp.id)}
            if ident is None or ident not in current:
                raise PlacementNotFound(f"No inventory of class {rc} found for delete")
            if (await repo.usage_by_class(s, rp.id)).get(ident, 0) > 0:
                raise InventoryInUse(f"Inventory for '{rc}' on resource provider '{uuid}' in use.")
            await repo.delete_inventories(s, [current[ident].id])
            if not await repo.bump_generation(s, rp.id, rp.generation):
                raise ConcurrentUpdate(
                    f"Unable to delete inventory of class {rc}: resource provider generation "
                    "conflict"
                )
            await repo.bump_epoch(s, repo.STRUCTURE)

    async def delete_all_inventories(self, uuid: str) -> None:
        async with self.db.session() as s:
            rp = await self._get_rp(s, uuid)
            current = await repo.inventories(s, rp.id)
            usage = await repo.usage_by_class(s, rp.id)
            in_use = sorted(
                i.resource_class_id for i in current if usage.get(i.resource_class_id, 0)
            )
            if in_use:
                names = ", ".join([await self.rc_name(s, rc) for rc in in_use])
                raise InventoryInUse(
                    f"Inventory for '{names}' on resource provider '{uuid}' in use."
                )
            await repo.delete_inventories(s, [i.id for i in current])
            if not await repo.bump_generation(s, rp.id, rp.generation):
                raise ConcurrentUpdate("resource provider generation conflict")
            await repo.bump_epoch(s, repo.STRUCTURE)

    async def usages_for_provider(self, uuid: str) -> tuple[int, dict[str, int]]:
        async with self.db.reader() as s:
            rp = await self._get_rp(s, uuid)
            usage = await repo.usage_by_class(s, rp.id)
            out = {}
            for inv in await repo.inventories(s, rp.id):
                out[await self.rc_name(s, inv.resource_class_id)] = usage.get(
                    inv.resource_class_id, 0
                )
            return rp.generation, out

    # --- resource classes ----------------------------------------------------------------

    async def list_resource_classes(self) -> list[str]:
        async with self.db.reader() as s:
            rows = await repo.list_named(s, ResourceClass)
            return [r.name for r in rows]

    async def get_resource_class(self, name: str) -> ResourceClass:
        async with self.db.reader() as s:
            rc = await repo.get_named(s, ResourceClass, name)
            if rc is None:
                raise PlacementNotFound(f"No such resource class {name}.")
            assert isinstance(rc, ResourceClass)
            return rc

    async def create_resource_class(self, name: str) -> None:
        async with self.db.session() as s:
            if await repo.get_named(s, ResourceClass, name) is not None:
                raise PlacementConflict(f"Conflicting resource class already exists: {name}")
            await repo.add_names(s, ResourceClass, [name])
        await self._reload_names()

    async def ensure_resource_class(self, name: str) -> bool:
        """Create if missing (1.7 PUT); True when it was created."""
        async with self.db.session() as s:
            if await repo.get_named(s, ResourceClass, name) is not None:
                return False
            await repo.add_names(s, ResourceClass, [name])
        await self._reload_names()
        return True

    async def rename_resource_class(self, name: str, new_name: str) -> None:
        if name in os_resource_classes.STANDARDS:
            raise PlacementBadRequest(f"Cannot update standard resource class {name}")
        async with self.db.session() as s:
            rc = await repo.get_named(s, ResourceClass, name)
            if rc is None:
                raise PlacementNotFound(f"No such resource class {name}.")
            if await repo.get_named(s, ResourceClass, new_name) is not None:
                raise PlacementConflict(f"Resource class already exists: {new_name}")
            await repo.rename_class(s, rc.id, new_name)
        await self._reload_names()

    async def delete_resource_class(self, name: str) -> None:
        if name in os_resource_classes.STANDARDS:
            raise PlacementBadRequest(
                f"Error in delete resource class: Cannot delete standard resource class {name}."
            )
        async with self.db.session() as s:
            rc = await repo.get_named(s, ResourceClass, name)
            if rc is None:
                raise PlacementNotFound(f"No such resource class {name}.")
            if await repo.class_in_use(s, rc.id):
                raise PlacementConflict(
                    f"Error in delete resource class: Cannot delete resource class {name}. "
                    "Class is in use in inventory."
                )
            await repo.delete_named(s, ResourceClass, rc.id)
        await self._reload_names()

    # --- traits --------------------------------------------------------------------------

    async def list_traits(
        self, *, names: Sequence[str] | None, prefix: str | None, associated: bool | None
    ) -> list[str]:
        async with self.db.reader() as s:
            return await repo.traits_filtered(s, names=names, prefix=prefix, associated=associated)

    async def get_trait(self, name: str) -> Trait:
        async with self.db.reader() as s:
            trait = await repo.get_named(s, Trait, name)
            if trait is None:
                raise PlacementNotFound(f"No such trait(s): {name}.")
            assert isinstance(trait, Trait)
            return trait

    async def ensure_trait(self, name: str) -> bool:
        async with self.db.session() as s:
            if await repo.get_named(s, Trait, name) is not None:
                return False
            await repo.add_names(s, Trait, [name])
        await self._reload_names()
        return True

    async def delete_trait(self, name: str) -> None:
        if name in set(os_traits.get_traits()):
            raise PlacementBadRequest(f"Cannot delete standard trait {name}.")
        async with self.db.session() as s:
            trait = await repo.get_named(s, Trait, name)
            if trait is None:
                raise PlacementNotFound(f"No such trait(s): {name}.")
            if await repo.trait_in_use(s, trait.id):
                raise PlacementConflict(f"The trait {name} is in use by a resource provider.")
            await repo.delete_named(s, Trait, trait.id)
        await self._reload_names()

    async def provider_traits(self, uuid: str) -> tuple[int, list[str]]:
        async with self.db.reader() as s:
            rp = await self._get_rp(s, uuid)
            ids = await repo.provider_trait_ids(s, rp.id)
            return rp.generation, sorted([await self.trait_name(s, i) for i in ids])

    async def set_provider_traits(
        self, uuid: str, *, generation: int, traits: Sequence[str]
    ) -> tuple[int, list[str]]:
        async with self.db.session() as s:
            rp = await self._get_rp(s, uuid)
            if rp.generation != generation:
                raise ConcurrentUpdate(
                    "Resource provider's generation already changed. Please update the "
                    "generation and try again."
                )
            ids = await self.trait_ids(s, list(traits))
            await repo.replace_provider_traits(s, rp.id, ids.values())
            if not await repo.bump_generation(s, rp.id, generation):
                raise ConcurrentUpdate("Resource provider's generation already changed.")
            await repo.bump_epoch(s, repo.STRUCTURE)
            return generation + 1, sorted(set(traits))

    async def clear_provider_traits(self, uuid: str) -> None:
        async with self.db.session() as s:
            rp = await self._get_rp(s, uuid)
            await repo.replace_provider_traits(s, rp.id, [])
            if not await repo.bump_generation(s, rp.id, rp.generation):
                raise ConcurrentUpdate(
                    "Resource provider's generation already changed. Please update the "
                    "generation and try again."
                )
            await repo.bump_epoch(s, repo.STRUCTURE)

    # --- aggregates ----------------------------------------------------------------------

    async def provider_aggregates(self, uuid: str) -> tuple[int, list[str]]:
        async with self.db.reader() as s:
            rp = await self._get_rp(s, uuid)
            return rp.generation, await repo.provider_aggregates(s, rp.id)

    async def set_provider_aggregates(
        self, uuid: str, *, generation: int | None, aggregates: Sequence[str]
    ) -> tuple[int, list[str]]:
        async with self.db.session() as s:
            rp = await self._get_rp(s, uuid)
            if generation is not None and rp.generation != generation:
                raise ConcurrentUpdate(
                    "Resource provider's generation already changed. Please update the "
                    "generation and try again."
                )
            await repo.replace_provider_aggregates(s, rp.id, aggregates)
            if not await repo.bump_generation(s, rp.id, rp.generation):
                raise ConcurrentUpdate("Resource provider's generation already changed.")
            await repo.bump_epoch(s, repo.STRUCTURE)
            return rp.generation + 1, await repo.provider_aggregates(s, rp.id)

    # --- allocations ---------------------------------------------------------------------

    async def consumer_allocations(self, consumer_uuid: str) -> ConsumerView:
        async with self.db.reader() as s:
            allocs = await repo.allocations_for_consumer(s, consumer_uuid)
            if not allocs:
                return ConsumerView(allocations={})
            rps = await repo.providers_by_ids(s, [a.resource_provider_id for a in allocs])
            out: dict[str, dict[str, Any]] = {}
            last: dt.datetime | None = None
            for a in allocs:
                rp = rps[a.resource_provider_id]
                entry = out.setdefault(rp.uuid, {"generation": rp.generation, "resources": {}})
                entry["resources"][await self.rc_name(s, a.resource_class_id)] = a.used
                stamp = a.updated_at or a.created_at
                last = stamp if last is None or stamp > last else last
            consumer = await repo.consumer_by_uuid(s, consumer_uuid)
            view = ConsumerView(allocations=out, last_modified=last)
            if consumer is not None:
                view.project_id, view.user_id = consumer.project_id, consumer.user_id
                view.generation = consumer.generation
                if consumer.consumer_type_id is not None:
                    types = await repo.consumer_type_names(s)
                    view.consumer_type = types.get(consumer.consumer_type_id, "unknown")
                else:
                    view.consumer_type = "unknown"
            return view

    async def provider_allocations(
        self, uuid: str
    ) -> tuple[int, dict[str, dict[str, Any]], dt.datetime | None]:
        async with self.db.reader() as s:
            rp = await self._get_rp(s, uuid)
            allocs = await repo.allocations_for_provider(s, rp.id)
            consumers = await repo.consumers_by_uuids(s, [a.consumer_id for a in allocs])
            out: dict[str, dict[str, Any]] = {}
            last: dt.datetime | None = None
            for a in allocs:
                entry = out.setdefault(a.consumer_id, {"resources": {}})
                entry["resources"][await self.rc_name(s, a.resource_class_id)] = a.used
                c = consumers.get(a.consumer_id)
                entry["consumer_generation"] = c.generation if c else None
                stamp = a.updated_at or a.created_at
                last = stamp if last is None or stamp > last else last
            return rp.generation, out, last

    async def write_allocations(
        self, requests: Sequence[ConsumerAllocations], *, session: AsyncSession | None = None
    ) -> None:
        """Replace the allocations of every consumer listed, atomically, checking consumer
        generations and capacity (the upstream 'replace_all')."""
        if session is not None:
            await repo.mark_usage(session, await self._write_allocations(session, requests))
            return
        try:
            async with self.db.session() as s:
                await repo.mark_usage(s, await self._write_allocations(s, requests))
        except IntegrityError:
            # two writers created the same new consumer at once: the loser retries
            raise ConcurrentUpdate(
                "consumer generation conflict - the consumer was created concurrently"
            ) from None

    async def _write_allocations(
        self, s: AsyncSession, requests: Sequence[ConsumerAllocations]
    ) -> set[int]:
        """Returns the ids of the providers whose allocations changed (the caller marks
        them with repo.mark_usage as the transaction's last write)."""
        now = repo.utcnow()
        rp_uuids = {u for r in requests for u in r.allocations}
        old_ids = await repo.provider_ids_for_consumers(s, [r.consumer_uuid for r in requests])
        # Read as locked (what a concurrent writer changed first is seen).
        rps = await repo.providers_locked(s, rp_uuids, old_ids)
        # New consumers that held nothing have no allocations to replace, unless an
        # earlier request of this call wrote some.
        written: set[str] = set()
        consumers = await repo.consumers_by_uuids(s, [r.consumer_uuid for r in requests])
        for u in sorted(rp_uuids):
            if u not in rps:
                raise PlacementBadRequest(
                    f"Allocation for resource provider '{u}' that does not exist."
                )
        touched: dict[int, ResourceProvider] = {}
        # usage before the write, per (rp, rc), to allow writes that reduce an overage
        prev_usage = await repo.usages_for_providers(s, [rp.id for rp in rps.values()])
        for req in requests:
            consumer = consumers.get(req.consumer_uuid)
            if req.check_generation:
                if consumer is None and req.consumer_generation is not None:
                    raise ConcurrentUpdate(
                        "consumer generation conflict - expected null but got "
                        f"{req.consumer_generation}"
                    )
                if consumer is not None and consumer.generation != req.consumer_generation:
                    raise ConcurrentUpdate(
                        f"consumer generation conflict - expected {consumer.generation} but "
                        f"got {req.consumer_generation}"
                    )
            type_id = None
            if req.consumer_type is not None:
                type_id = self._consumer_types.get(req.consumer_type)
                if type_id is None:
                    type_id = await repo.consumer_type_id(s, req.consumer_type, create=False)
                    if type_id is not None:  # committed by someone: never removed
                        self._consumer_types[req.consumer_type] = type_id
                    else:
                        type_id = await repo.consumer_type_id(s, req.consumer_type, create=True)
            project = req.project_id or INCOMPLETE_PROJECT
            user = req.user_id or INCOMPLETE_USER
            if old_ids or consumer is not None or req.consumer_uuid in written:
                old = await repo.allocations_for_consumer(s, req.consumer_uuid)
                for a in old:
                    if a.resource_provider_id not in touched:
                        rp_old = (await repo.providers_by_ids(s, [a.resource_provider_id]))[
                            a.resource_provider_id
                        ]
                        touched[rp_old.id] = rp_old
                await repo.delete_allocations_for_consumer(s, req.consumer_uuid)
            written.add(req.consumer_uuid)
            if not req.allocations:
                if consumer is not None:
                    await repo.delete_consumer(s, consumer.id)
                    consumers.pop(req.consumer_uuid, None)
                continue
            if consumer is None:
                consumer = Consumer(
                    uuid=req.consumer_uuid,
                    project_id=project,
                    user_id=user,
                    generation=0,
                    consumer_type_id=type_id,
                    created_at=now,
                )
                s.add(consumer)
                consumers[req.consumer_uuid] = consumer
            else:
                if req.project_id is not None:
                    consumer.project_id, consumer.user_id = project, user
                if type_id is not None:
                    consumer.consumer_type_id = type_id
            consumer.generation = (consumer.generation or 0) + 1
            consumer.updated_at = now
            rows: list[dict[str, object]] = []
            for rp_uuid, resources in req.allocations.items():
                rp = rps[rp_uuid]
                touched[rp.id] = rp
                for rc, amount in resources.items():
                    ident = await self.rc_id(s, rc)
                    if ident is None:
                        raise PlacementBadRequest(
                            f"Unable to allocate inventory for consumer {req.consumer_uuid}: "
                            f"No such resource class {rc}."
                        )
                    rows.append(
                        {
                            "resource_provider_id": rp.id,
                            "consumer_id": req.consumer_uuid,
                            "resource_class_id": ident,
                            "used": amount,
                            "created_at": now,
                        }
                    )
            await repo.add_allocations(s, rows)
        await s.flush()
        await self._check_capacity(s, requests, rps, prev_usage)
        for rp in touched.values():
            if not await repo.bump_generation(s, rp.id, rp.generation):
                raise ConcurrentUpdate(
                    "Inventory and/or allocations changed while attempting to allocate: "
                    "Another thread concurrently updated the data. Please retry your update"
                )
        return set(touched)

    async def _check_capacity(
        self,
        s: AsyncSession,
        requests: Sequence[ConsumerAllocations],
        rps: Mapping[str, ResourceProvider],
        prev_usage: Mapping[tuple[int, int], int],
    ) -> None:
        needed: dict[tuple[str, str], int] = defaultdict(int)
        for req in requests:
            for rp_uuid, resources in req.allocations.items():
                for rc, amount in resources.items():
                    needed[(rp_uuid, rc)] += amount
        if not needed:
            return
        ids = [rps[u].id for u, _ in needed]
        usage_after = await repo.usages_for_providers(s, ids)
        invs: dict[int, dict[int, Inventory]] = {rp_id: {} for rp_id in ids}
        for row in await repo.inventories_of(s, ids):
            invs[row.resource_provider_id][row.resource_class_id] = row
        for (rp_uuid, rc), _amount in needed.items():
            rp = rps[rp_uuid]
            rc_id = self._rc_ids[rc]
            inv = invs[rp.id].get(rc_id)
            if inv is None:
                raise PlacementConflict(
                    f"Unable to allocate inventory: Inventory for '{rc}' on resource "
                    f"provider '{rp_uuid}' invalid."
                )
        for req in requests:
            for rp_uuid, resources in req.allocations.items():
                rp = rps[rp_uuid]
                for rc, amount in resources.items():
                    inv = invs[rp.id][self._rc_ids[rc]]
                    if (
                        amount < inv.min_unit
                        or amount > inv.max_unit
                        or amount % inv.step_size != 0
                    ):
                        raise PlacementConflict(
                            f"Unable to allocate inventory: Unable to create allocation for "
                            f"'{rc}' on resource provider '{rp_uuid}'. The requested amount "
                            "would violate inventory constraints."
                        )
        for (rp_uuid, rc), _amount in needed.items():
            rp = rps[rp_uuid]
            rc_id = self._rc_ids[rc]
            inv = invs[rp.id][rc_id]
            capacity = (inv.total - inv.reserved) * inv.allocation_ratio
            used = usage_after.get((rp.id, rc_id), 0)
            if used > capacity and used > prev_usage.get((rp.id, rc_id), 0):
                raise PlacementConflict(
                    f"Unable to allocate inventory: Unable to create allocation for '{rc}' on "
                    f"resource provider '{rp_uuid}'. The requested amount would exceed the "
                    "capacity."
                )

    async def delete_consumer_allocations(self, consumer_uuid: str) -> None:
        async with self.db.session() as s:
            allocs = await repo.allocations_for_consumer(s, consumer_uuid)
            if not allocs:
                raise PlacementNotFound(f"No allocations for consumer '{consumer_uuid}'")
            # Provider locks first, in id order, as every allocation writer takes them
            # (the usage mark below writes these rows after taking the usage epoch).
            touched = {a.resource_provider_id for a in allocs}
            if repo.row_locks(s):
                await repo.lock_providers(s, touched)
                # A concurrent writer may have moved the consumer before the locks were ours.
                moved = await repo.provider_ids_for_consumers(s, [consumer_uuid]) - touched
                await repo.lock_providers(s, moved)
                touched |= moved
            # As upstream, releasing allocations leaves provider generations alone.
            await repo.delete_allocations_for_consumer(s, consumer_uuid)
            consumer = await repo.consumer_by_uuid(s, consumer_uuid)
            if consumer is not None:
                await repo.delete_consumer(s, consumer.id)
            await repo.mark_usage(s, touched)

    # --- usages --------------------------------------------------------------------------

    async def total_usages(
        self, *, project_id: str, user_id: str | None, consumer_type: str | None
    ) -> UsageTotals:
        async with self.db.reader() as s:
            rows = await repo.total_usages(s, project_id=project_id, user_id=user_id)
            types = await repo.consumer_type_names(s)
            totals = UsageTotals()
            consumers_by_type: dict[str, set[str]] = defaultdict(set)
            for rc_id, type_id, used, consumer in rows:
                tname = types.get(type_id, "unknown") if type_id is not None else "unknown"
                if consumer_type not in (None, "all") and tname != consumer_type:
                    continue
                rc = await self.rc_name(s, rc_id)
                totals.usages[rc] = totals.usages.get(rc, 0) + used
                bucket = totals.by_type.setdefault(tname, {})
                bucket[rc] = bucket.get(rc, 0) + used
                consumers_by_type[tname].add(consumer)
            for tname, members in consumers_by_type.items():
                totals.by_type[tname]["consumer_count"] = len(members)
            if consumer_type == "all":
                everyone = set().union(*consumers_by_type.values()) if consumers_by_type else set()
                merged = dict(totals.usages)
                merged["consumer_count"] = len(everyone)
                totals.by_type = {"all": merged}
            return totals

    # --- reshaper ------------------------------------------------------------------------

    async def reshape(
        self,
        inventories: Mapping[str, tuple[int, list[InventoryRecord]]],
        allocations: Sequence[ConsumerAllocations],
    ) -> None:
        """Move inventory and allocations at once, as upstream: an interim inventory (old
        plus new classes), then the allocations, then the final inventory."""
        async with self.db.session() as s:
            for rp_uuid, (generation, _records) in inventories.items():
                rp = await repo.provider_by_uuid(s, rp_uuid)
                if rp is None:
                    raise ProviderNotFoundInBody(
                        f"Resource provider {rp_uuid} in inventories not found: No resource "
                        f"provider with uuid {rp_uuid} found"
                    )
                if rp.generation != generation:
                    raise ConcurrentUpdate(
                        f"resource provider generation conflict for provider {rp_uuid}: "
                        f"actual: {rp.generation}, given: {generation}"
                    )
            for rp_uuid, (_generation, records) in inventories.items():
                if not records:
                    continue
                current = await self._records(s, rp_uuid)
                merged = {r.resource_class: r for r in current}
                merged.update({r.resource_class: r for r in records})
                await self._set_inventories(
                    s,
                    rp_uuid,
                    None,
                    list(merged.values()),
                    replace=True,
                    reserved_can_be_total=True,
                )
            touched = await self._write_allocations(s, allocations)
            for rp_uuid, (_generation, records) in inventories.items():
                await self._set_inventories(
                    s, rp_uuid, None, records, replace=True, reserved_can_be_total=True
                )
            await repo.bump_epoch(s, repo.STRUCTURE)
            await repo.mark_usage(s, touched)

    async def _records(self, s: AsyncSession, uuid: str) -> list[InventoryRecord]:
        rp = await self._get_rp(s, uuid)
        return [await self._inv_record(s, i) for i in await repo.inventories(s, rp.id)]


def _member_of_ok(aggs: set[str], member_of: Sequence[tuple[bool, set[str]]]) -> bool:
    for negated, wanted in member_of:
        hit = bool(aggs & wanted)
        if negated == hit:
            return False
    return True


def check_record(
    rec: InventoryRecord, uuid: str, reserved_can_be_total: bool, action: str = "update"
) -> None:
    if rec.reserved > rec.total or (rec.reserved == rec.total and not reserved_can_be_total):
        detail = (
            "The reserved value is greater than total."
            if reserved_can_be_total
            else "The reserved value is greater than or equal to total."
        )
        raise PlacementBadRequest(
            f"Unable to {action} inventory for resource provider {uuid}: Invalid inventory "
            f"for '{rec.resource_class}' on resource provider '{uuid}'. {detail}"
        )
    if rec.min_unit > rec.max_unit:
        raise PlacementBadRequest(
            f"Unable to {action} inventory for resource provider {uuid}: Invalid inventory "
            f"for '{rec.resource_class}': min_unit {rec.min_unit} is greater than max_unit "
            f"{rec.max_unit}."
        )


__all__ = [
    "Allocation",
    "ConsumerAllocations",
    "ConsumerView",
    "InventoryRecord",
    "PlacementService",
    "ProviderReport",
    "ProviderView",
    "UsageTotals",
]


@dataclass
class GroupSpec:
    """One request group as the API parsed it (names, not ids)."""

    suffix: str
    resources: dict[str, int] = field(default_factory=dict)
    required: list[set[str]] = field(default_factory=list)
    forbidden: set[str] = field(default_factory=set)
    member_of: list[set[str]] = field(default_factory=list)
    forbidden_aggs: set[str] = field(default_factory=set)
    in_tree: str | None = None


@dataclass
class CandidateSet:
    """Allocation requests and the summaries of the providers they touch, in names."""

    requests: list[tuple[dict[str, dict[str, int]], dict[str, list[str]]]]
    summaries: dict[str, dict[str, Any]]


async def find_candidates(
    svc: PlacementService,
    groups: Sequence[GroupSpec],
    *,
    group_policy: str | None,
    same_subtrees: Sequence[set[str]],
    root_required: set[str],
    root_forbidden: set[str],
    nested_aware: bool,
    limit: int | None,
) -> CandidateSet:
    from stratus.services.placement import candidates as cand

    async with svc.db.reader() as s:
        rc_ids: dict[str, int] = {}
        for group in groups:
            for rc in group.resources:
                ident = await svc.rc_id(s, rc)
                if ident is None:
                    raise PlacementBadRequest(
                        f"Invalid resource class in resources parameter: No such resource "
                        f"class {rc}."
                    )
                rc_ids[rc] = ident
        names = sorted(
            {t for g in groups for any_of in g.required for t in any_of}
            | {t for g in groups for t in g.forbidden}
            | root_required
            | root_forbidden
        )
        tids = await svc.trait_ids(s, names)
        shares = (await svc.trait_ids(s, [SHARES]))[SHARES]
        facts = await svc.facts(s)
    cached = svc._finder
    if cached is not None and cached[0] is facts:
        finder = cached[1]
    else:
        finder = cand.Finder(facts, shares_trait=shares)
        svc._finder = (facts, finder)
    request_groups = [
        cand.RequestGroup(
            suffix=g.suffix,
            resources={rc_ids[rc]: amt for rc, amt in g.resources.items()},
            required=[{tids[t] for t in any_of} for any_of in g.required],
            forbidden={tids[t] for t in g.forbidden},
            member_of=g.member_of,
            forbidden_aggs=g.forbidden_aggs,
            in_tree=g.in_tree,
        )
        for g in groups
    ]
    result = cand.find(
        finder,
        request_groups,
        group_policy=group_policy,
        same_subtrees=same_subtrees,
        root_required={tids[t] for t in root_required},
        root_forbidden={tids[t] for t in root_forbidden},
        nested_aware=nested_aware,
        limit=limit,
    )
    rc_names = svc.known_rc_names()
    trait_names = svc.known_trait_names()
    seen = finder.names
    if not (isinstance(seen, tuple) and seen[0] is rc_names and seen[1] is trait_names):
        # A class or trait was added, renamed or removed: what was shaped is stale.
        finder.summaries.clear()
        finder.requests.clear()
        finder.names = (rc_names, trait_names)
    # Shaped requests are shared between answers (read-only); a new request shape adds
    # new ones, so keep the memo bounded.
    shaped = finder.requests
    if len(shaped) > _SHAPED_MAX:
        shaped.clear()
    requests = []
    for c in result.candidates:
        done = shaped.get(c)
        if done is None:
            allocs: dict[str, dict[str, int]] = {}
            for rp, rc_ident, amount in c.resources:
                allocs.setdefault(facts[rp].uuid, {})[rc_names[rc_ident]] = amount
            mappings = {suffix: sorted(facts[rp].uuid for rp in rps) for suffix, rps in c.mappings}
            done = shaped[c] = (allocs, mappings)
        requests.append(done)
    summaries: dict[str, dict[str, Any]] = {}
    memo: dict[int, dict[str, Any]] = finder.summaries
    for rp_id in result.summary_ids:
        known = memo.get(rp_id)
        if known is not None:
            summaries[known["uuid"]] = known
            continue
        fact = facts[rp_id]
        parent = facts.get(fact.parent_id) if fact.parent_id else None
        summaries[fact.uuid] = {
            "resources": {
                rc_names[rc]: {"capacity": inv.capacity, "used": inv.used}
                for rc, inv in fact.inventories.items()
            },
            "traits": [trait_names[t] for t in sorted(fact.traits) if t in trait_names],
            "parent_provider_uuid": parent.uuid if parent else None,
            "root_provider_uuid": facts[fact.root_id].uuid,
            "uuid": fact.uuid,
        }
        memo[rp_id] = summaries[fact.uuid]
    return CandidateSet(requests, summaries)
