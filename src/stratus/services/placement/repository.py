"""All of placement's SQL. Functions take the session explicitly and speak internal ids."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stratus.services.placement.models import (
    Allocation,
    Consumer,
    ConsumerType,
    Inventory,
    PlacementEpoch,
    ProviderAggregate,
    ProviderTrait,
    ResourceClass,
    ResourceProvider,
    Trait,
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# The statements every claim and release runs, built once on the tables: an ORM statement
# built per call costs ~120-240 us of CPU to construct, key and execute, these ~40 us.
# Bind parameters of UPDATEs are named b_* (SQLAlchemy keeps column names for SET).
_ALLOCATIONS = cast(Table, Allocation.__table__)
_CONSUMERS = cast(Table, Consumer.__table__)
_PROVIDERS = cast(Table, ResourceProvider.__table__)
_EPOCHS = cast(Table, PlacementEpoch.__table__)
_BUMP_EPOCH = (
    update(_EPOCHS)
    .where(_EPOCHS.c.name == bindparam("b_name"))
    .values(seq=_EPOCHS.c.seq + 1)
    .returning(_EPOCHS.c.seq)
)
_MARK_USAGE = (
    update(_PROVIDERS)
    .where(_PROVIDERS.c.id.in_(bindparam("b_ids", expanding=True)))
    .values(usage_seq=bindparam("b_seq"))
)
_BUMP_GENERATION = (
    update(_PROVIDERS)
    .where(_PROVIDERS.c.id == bindparam("b_id"), _PROVIDERS.c.generation == bindparam("b_old"))
    .values(generation=bindparam("b_new"), updated_at=bindparam("b_now"))
)
_USAGES = (
    select(
        _ALLOCATIONS.c.resource_provider_id,
        _ALLOCATIONS.c.resource_class_id,
        func.sum(_ALLOCATIONS.c.used),
    )
    .where(_ALLOCATIONS.c.resource_provider_id.in_(bindparam("ids", expanding=True)))
    .group_by(_ALLOCATIONS.c.resource_provider_id, _ALLOCATIONS.c.resource_class_id)
)
_EPOCH_VALUES = select(_EPOCHS.c.name, _EPOCHS.c.seq)
_USAGE_CHANGES = select(_PROVIDERS.c.id, _PROVIDERS.c.generation).where(
    _PROVIDERS.c.usage_seq > bindparam("since")
)
_PROVIDERS_OF_CONSUMERS = select(_ALLOCATIONS.c.resource_provider_id).where(
    _ALLOCATIONS.c.consumer_id.in_(bindparam("consumers", expanding=True))
)
_DELETE_CONSUMER_ALLOCATIONS = delete(_ALLOCATIONS).where(
    _ALLOCATIONS.c.consumer_id == bindparam("consumer")
)
_DELETE_CONSUMER = delete(_CONSUMERS).where(_CONSUMERS.c.id == bindparam("id"))


# --- resource classes and traits -------------------------------------------------------


async def name_ids(
    session: AsyncSession, model: type[ResourceClass] | type[Trait]
) -> dict[str, int]:
    rows = await session.execute(select(model.name, model.id))
    return {name: ident for name, ident in rows.all()}


async def list_named(
    session: AsyncSession, model: type[ResourceClass] | type[Trait]
) -> list[ResourceClass] | list[Trait]:
    rows = await session.execute(select(model).order_by(model.name))
    return list(rows.scalars().all())  # type: ignore[return-value]


async def get_named(
    session: AsyncSession, model: type[ResourceClass] | type[Trait], name: str
) -> ResourceClass | Trait | None:
    found = (await session.execute(select(model).where(model.name == name))).scalar_one_or_none()
    return found  # type: ignore[return-value]


async def add_names(
    session: AsyncSession, model: type[ResourceClass] | type[Trait], names: Iterable[str]
) -> None:
    now = utcnow()
    rows = [{"name": n, "created_at": now} for n in names]
    if rows:
        await session.execute(insert(model), rows)


async def rename_class(session: AsyncSession, ident: int, name: str) -> None:
    await session.execute(
        update(ResourceClass)
        .where(ResourceClass.id == ident)
        .values(name=name, updated_at=utcnow())
    )


async def delete_named(
    session: AsyncSession, model: type[ResourceClass] | type[Trait], ident: int
) -> None:
    await session.execute(delete(model).where(model.id == ident))


async def class_in_use(session: AsyncSession, rc_id: int) -> bool:
    inv = await session.execute(
        select(Inventory.id).where(Inventory.resource_class_id == rc_id).limit(1)
    )
    if inv.first() is not None:
        return True
    alloc = await session.execute(
        select(Allocation.id).where(Allocation.resource_class_id == rc_id).limit(1)
    )
    return alloc.first() is not None


async def trait_in_use(session: AsyncSession, trait_id: int) -> bool:
    row = await session.execute(
        select(ProviderTrait.trait_id).where(ProviderTrait.trait_id == trait_id).limit(1)
    )
    return row.first() is not None


async def traits_filtered(
    session: AsyncSession,
    *,
    names: Sequence[str] | None,
    prefix: str | None,
    associated: bool | None,
) -> list[str]:
    query = select(Trait.name)
    if names is not None:
        query = query.where(Trait.name.in_(names))
    if prefix is not None:
        query = query.where(Trait.name.startswith(prefix, autoescape=True))
    if associated is not None:
        used = select(ProviderTrait.trait_id).distinct()
        query = query.where(Trait.id.in_(used) if associated else Trait.id.not_in(used))
    rows = await session.execute(query.order_by(Trait.name))
    return [r[0] for r in rows.all()]


# --- providers -------------------------------------------------------------------------


async def provider_by_uuid(session: AsyncSession, uuid: str) -> ResourceProvider | None:
    row = await session.execute(
        select(ResourceProvider)
        .where(ResourceProvider.uuid == uuid)
        .execution_options(populate_existing=True)
    )
    return row.scalar_one_or_none()


async def provider_by_uuid_for_update(session: AsyncSession, uuid: str) -> ResourceProvider | None:
    row = await session.execute(
        select(ResourceProvider).where(ResourceProvider.uuid == uuid).with_for_update()
    )
    return row.scalar_one_or_none()


async def provider_by_name(session: AsyncSession, name: str) -> ResourceProvider | None:
    row = await session.execute(select(ResourceProvider).where(ResourceProvider.name == name))
    return row.scalar_one_or_none()


async def providers_by_ids(
    session: AsyncSession, ids: Iterable[int]
) -> dict[int, ResourceProvider]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    out: dict[int, ResourceProvider] = {}
    for start in range(0, len(wanted), 500):
        rows = await session.execute(
            select(ResourceProvider)
            .where(ResourceProvider.id.in_(wanted[start : start + 500]))
            .execution_options(populate_existing=True)
        )
        for rp in rows.scalars():
            out[rp.id] = rp
    return out


async def providers_by_uuids(
    session: AsyncSession, uuids: Iterable[str]
) -> dict[str, ResourceProvider]:
    wanted = list(set(uuids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(ResourceProvider)
        .where(ResourceProvider.uuid.in_(wanted))
        .execution_options(populate_existing=True)
    )
    return {rp.uuid: rp for rp in rows.scalars()}


def row_locks(session: AsyncSession) -> bool:
    """Whether the database has row locks (SQLite has none: its writers are serialised)."""
    return session.get_bind().dialect.name != "sqlite"


async def lock_providers(session: AsyncSession, ids: Iterable[int]) -> None:
    """Row-lock providers (in id order, so writers never deadlock) for the rest of the
    transaction: concurrent claims on one provider then queue instead of racing.
    SQLite has no row locks; its writers are serialised already."""
    wanted = sorted(set(ids))
    if wanted and row_locks(session):
        await session.execute(
            select(ResourceProvider.id)
            .where(ResourceProvider.id.in_(wanted))
            .order_by(ResourceProvider.id)
            .with_for_update()
        )


async def providers_locked(
    session: AsyncSession, uuids: Iterable[str], also: Iterable[int]
) -> dict[str, ResourceProvider]:
    """The providers with these uuids as they are once row-locked, together with the
    providers ``also`` names (in id order, as lock_providers), in one statement."""
    wanted, extra = list(set(uuids)), sorted(set(also))
    if not row_locks(session):
        return await providers_by_uuids(session, wanted)
    if not wanted and not extra:
        return {}
    rows = await session.execute(
        select(ResourceProvider)
        .where(or_(ResourceProvider.uuid.in_(wanted), ResourceProvider.id.in_(extra)))
        .order_by(ResourceProvider.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = {rp.uuid: rp for rp in rows.scalars()}
    return {u: found[u] for u in wanted if u in found}


async def provider_ids_for_consumers(session: AsyncSession, consumers: Iterable[str]) -> set[int]:
    wanted = list(set(consumers))
    if not wanted:
        return set()
    rows = await session.execute(_PROVIDERS_OF_CONSUMERS, {"consumers": wanted})
    return {r[0] for r in rows.all()}


async def all_providers(session: AsyncSession) -> list[ResourceProvider]:
    rows = await session.execute(select(ResourceProvider).order_by(ResourceProvider.id))
    return list(rows.scalars().all())


async def create_provider(
    session: AsyncSession,
    *,
    uuid: str,
    name: str,
    parent_id: int | None,
    root_id: int | None,
) -> ResourceProvider:
    rp = ResourceProvider(
        uuid=uuid,
        name=name,
        generation=0,
        parent_provider_id=parent_id,
        root_provider_id=root_id,
        created_at=utcnow(),
    )
    session.add(rp)
    await session.flush()
    if root_id is None:
        rp.root_provider_id = rp.id
        await session.flush()
    return rp


async def bump_generation(session: AsyncSession, rp_id: int, expected: int) -> bool:
    """Compare-and-swap the provider generation; False when somebody else got there first."""
    result = await session.execute(
        _BUMP_GENERATION,
        {"b_id": rp_id, "b_old": expected, "b_new": expected + 1, "b_now": utcnow()},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add_providers(session: AsyncSession, rows: Sequence[tuple[str, str]]) -> None:
    """Root providers (uuid, name), in one statement; each is its own root."""
    if not rows:
        return
    now = utcnow()
    await session.execute(
        insert(ResourceProvider),
        [{"uuid": u, "name": n, "generation": 0, "created_at": now} for u, n in rows],
    )
    uuids = [u for u, _ in rows]
    for start in range(0, len(uuids), 500):
        await session.execute(
            update(ResourceProvider)
            .where(
                ResourceProvider.uuid.in_(uuids[start : start + 500]),
                ResourceProvider.root_provider_id.is_(None),
            )
            .values(root_provider_id=ResourceProvider.id)
            .execution_options(synchronize_session=False)
        )


async def providers_by_names(session: AsyncSession, names: Iterable[str]) -> dict[str, str]:
    """name -> uuid of the providers with these names."""
    wanted = list(set(names))
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        rows = await session.execute(
            select(ResourceProvider.name, ResourceProvider.uuid).where(
                ResourceProvider.name.in_(wanted[start : start + 500])
            )
        )
        out.update({n: u for n, u in rows.all()})
    return out


async def bump_generations(session: AsyncSession, rp_ids: Iterable[int]) -> None:
    """One more generation for each provider (whose rows the caller has locked)."""
    ids = sorted(set(rp_ids))
    now = utcnow()
    for start in range(0, len(ids), 500):
        await session.execute(
            update(ResourceProvider)
            .where(ResourceProvider.id.in_(ids[start : start + 500]))
            .values(generation=ResourceProvider.generation + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )


async def child_ids(session: AsyncSession, rp_id: int) -> list[int]:
    rows = await session.execute(
        select(ResourceProvider.id).where(ResourceProvider.parent_provider_id == rp_id)
    )
    return [r[0] for r in rows.all()]


async def set_root_for_subtree(session: AsyncSession, rp_ids: Sequence[int], root_id: int) -> None:
    if rp_ids:
        await session.execute(
            update(ResourceProvider)
            .where(ResourceProvider.id.in_(list(rp_ids)))
            .values(root_provider_id=root_id)
            .execution_options(synchronize_session=False)
        )


async def tree_ids(session: AsyncSession, root_ids: Iterable[int]) -> list[int]:
    roots = list(set(root_ids))
    if not roots:
        return []
    rows = await session.execute(
        select(ResourceProvider.id).where(ResourceProvider.root_provider_id.in_(roots))
    )
    return [r[0] for r in rows.all()]


async def delete_provider(session: AsyncSession, rp_id: int) -> None:
    await session.execute(delete(Inventory).where(Inventory.resource_provider_id == rp_id))
    await session.execute(delete(ProviderTrait).where(ProviderTrait.resource_provider_id == rp_id))
    await session.execute(
        delete(ProviderAggregate).where(ProviderAggregate.resource_provider_id == rp_id)
    )
    await session.execute(delete(ResourceProvider).where(ResourceProvider.id == rp_id))


async def provider_has_allocations(session: AsyncSession, rp_id: int) -> bool:
    row = await session.execute(
        select(Allocation.id).where(Allocation.resource_provider_id == rp_id).limit(1)
    )
    return row.first() is not None


# --- inventories -----------------------------------------------------------------------


async def inventories(session: AsyncSession, rp_id: int) -> list[Inventory]:
    rows = await session.execute(
        select(Inventory).where(Inventory.resource_provider_id == rp_id).order_by(Inventory.id)
    )
    return list(rows.scalars().all())


async def inventories_of(session: AsyncSession, rp_ids: Sequence[int]) -> list[Inventory]:
    ids = list(set(rp_ids))
    out: list[Inventory] = []
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(Inventory).where(Inventory.resource_provider_id.in_(ids[start : start + 500]))
        )
        out.extend(rows.scalars().all())
    return out


async def add_inventories(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    if rows:
        await session.execute(insert(Inventory), rows)


async def delete_inventories(session: AsyncSession, inv_ids: Sequence[int]) -> None:
    if inv_ids:
        await session.execute(delete(Inventory).where(Inventory.id.in_(list(inv_ids))))


async def usage_by_class(session: AsyncSession, rp_id: int) -> dict[int, int]:
    rows = await session.execute(
        select(Allocation.resource_class_id, func.sum(Allocation.used))
        .where(Allocation.resource_provider_id == rp_id)
        .group_by(Allocation.resource_class_id)
    )
    return {rc: int(used or 0) for rc, used in rows.all()}


async def usages_for_providers(
    session: AsyncSession, rp_ids: Sequence[int]
) -> dict[tuple[int, int], int]:
    out: dict[tuple[int, int], int] = {}
    ids = list(set(rp_ids))
    for start in range(0, len(ids), 500):
        rows = await session.execute(_USAGES, {"ids": ids[start : start + 500]})
        for rp, rc, used in rows.all():
            out[(rp, rc)] = int(used or 0)
    return out


# --- traits and aggregates of providers -------------------------------------------------


async def provider_trait_ids(session: AsyncSession, rp_id: int) -> set[int]:
    rows = await session.execute(
        select(ProviderTrait.trait_id).where(ProviderTrait.resource_provider_id == rp_id)
    )
    return {r[0] for r in rows.all()}


async def trait_ids_of(session: AsyncSession, rp_ids: Sequence[int]) -> dict[int, set[int]]:
    ids = list(set(rp_ids))
    out: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(ProviderTrait.resource_provider_id, ProviderTrait.trait_id).where(
                ProviderTrait.resource_provider_id.in_(ids[start : start + 500])
            )
        )
        for rp, trait in rows.all():
            out[rp].add(trait)
    return out


async def set_traits_of(session: AsyncSession, traits: dict[int, set[int]]) -> None:
    """Replace the traits of every provider listed, in a few statements."""
    ids = sorted(traits)
    for start in range(0, len(ids), 500):
        await session.execute(
            delete(ProviderTrait).where(
                ProviderTrait.resource_provider_id.in_(ids[start : start + 500])
            )
        )
    rows = [{"resource_provider_id": rp, "trait_id": t} for rp in ids for t in traits[rp]]
    if rows:
        await session.execute(insert(ProviderTrait), rows)


async def replace_provider_traits(
    session: AsyncSession, rp_id: int, trait_ids: Iterable[int]
) -> None:
    await session.execute(delete(ProviderTrait).where(ProviderTrait.resource_provider_id == rp_id))
    rows = [{"resource_provider_id": rp_id, "trait_id": t} for t in set(trait_ids)]
    if rows:
        await session.execute(insert(ProviderTrait), rows)


async def provider_aggregates(session: AsyncSession, rp_id: int) -> list[str]:
    rows = await session.execute(
        select(ProviderAggregate.aggregate_uuid)
        .where(ProviderAggregate.resource_provider_id == rp_id)
        .order_by(ProviderAggregate.ordinal, ProviderAggregate.aggregate_uuid)
    )
    return [r[0] for r in rows.all()]


async def replace_provider_aggregates(
    session: AsyncSession, rp_id: int, aggregates: Iterable[str]
) -> None:
    await session.execute(
        delete(ProviderAggregate).where(ProviderAggregate.resource_provider_id == rp_id)
    )
    rows = [
        {"resource_provider_id": rp_id, "aggregate_uuid": a, "ordinal": i}
        for i, a in enumerate(dict.fromkeys(aggregates))
    ]
    if rows:
        await session.execute(insert(ProviderAggregate), rows)


# --- consumers and allocations ----------------------------------------------------------


async def consumer_by_uuid(session: AsyncSession, uuid: str) -> Consumer | None:
    row = await session.execute(select(Consumer).where(Consumer.uuid == uuid))
    return row.scalar_one_or_none()


async def consumer_type_id(session: AsyncSession, name: str, *, create: bool) -> int | None:
    row = await session.execute(select(ConsumerType.id).where(ConsumerType.name == name))
    found = row.scalar_one_or_none()
    if found is not None or not create:
        return found
    ctype = ConsumerType(name=name, created_at=utcnow())
    session.add(ctype)
    await session.flush()
    return ctype.id


async def consumer_type_names(session: AsyncSession) -> dict[int, str]:
    rows = await session.execute(select(ConsumerType.id, ConsumerType.name))
    return {i: n for i, n in rows.all()}


async def allocations_for_consumer(session: AsyncSession, consumer_uuid: str) -> list[Allocation]:
    rows = await session.execute(
        select(Allocation).where(Allocation.consumer_id == consumer_uuid).order_by(Allocation.id)
    )
    return list(rows.scalars().all())


async def allocations_for_provider(session: AsyncSession, rp_id: int) -> list[Allocation]:
    rows = await session.execute(
        select(Allocation).where(Allocation.resource_provider_id == rp_id).order_by(Allocation.id)
    )
    return list(rows.scalars().all())


async def consumers_by_uuids(session: AsyncSession, uuids: Iterable[str]) -> dict[str, Consumer]:
    wanted = list(set(uuids))
    out: dict[str, Consumer] = {}
    for start in range(0, len(wanted), 500):
        rows = await session.execute(
            select(Consumer).where(Consumer.uuid.in_(wanted[start : start + 500]))
        )
        for c in rows.scalars():
            out[c.uuid] = c
    return out


async def delete_allocations_for_consumer(session: AsyncSession, consumer_uuid: str) -> None:
    await session.execute(_DELETE_CONSUMER_ALLOCATIONS, {"consumer": consumer_uuid})


async def add_allocations(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    if rows:
        await session.execute(insert(Allocation), rows)


async def delete_consumer(session: AsyncSession, consumer_id: int) -> None:
    """Delete the row (a Consumer object the session holds is the caller's to drop)."""
    await session.execute(_DELETE_CONSUMER, {"id": consumer_id})


async def total_usages(
    session: AsyncSession, *, project_id: str, user_id: str | None
) -> list[tuple[int, int | None, int, str]]:
    """(rc_id, consumer_type_id, used, consumer uuid) rows for a project (and user)."""
    query = (
        select(
            Allocation.resource_class_id,
            Consumer.consumer_type_id,
            Allocation.used,
            Consumer.uuid,
        )
        .join(Consumer, Consumer.uuid == Allocation.consumer_id)
        .where(Consumer.project_id == project_id)
    )
    if user_id is not None:
        query = query.where(Consumer.user_id == user_id)
    rows = await session.execute(query)
    return [(a, b, int(c), d) for a, b, c, d in rows.all()]


# --- the data an allocation-candidates query reads ---------------------------------------


@dataclass
class InventoryFacts:
    total: int
    reserved: int
    min_unit: int
    max_unit: int
    step_size: int
    allocation_ratio: float
    used: int = 0
    # Fixed for the snapshot (only ``used`` is refreshed in place): computed once.
    capacity: int = field(init=False)

    def __post_init__(self) -> None:
        self.capacity = int((self.total - self.reserved) * self.allocation_ratio)

    def fits(self, amount: int) -> bool:
        return (
            self.min_unit <= amount <= self.max_unit
            and amount % self.step_size == 0
            and self.used + amount <= self.capacity
        )


@dataclass
class ProviderFacts:
    id: int
    uuid: str
    name: str
    generation: int
    parent_id: int | None
    root_id: int
    inventories: dict[int, InventoryFacts] = field(default_factory=dict)
    traits: set[int] = field(default_factory=set)
    aggregates: set[str] = field(default_factory=set)


async def load_facts(session: AsyncSession) -> dict[int, ProviderFacts]:
    """Every provider with its inventories, usage, traits and aggregates, in five queries.
    Read the epochs before this: what it reads is at least as new as they say."""
    facts: dict[int, ProviderFacts] = {}
    rp_rows = await session.execute(
        select(
            ResourceProvider.id,
            ResourceProvider.uuid,
            ResourceProvider.name,
            ResourceProvider.generation,
            ResourceProvider.parent_provider_id,
            ResourceProvider.root_provider_id,
        )
    )
    for rid, uuid, name, gen, parent, root in rp_rows.all():
        facts[rid] = ProviderFacts(rid, uuid, name, gen, parent, root or rid)
    inv_rows = await session.execute(
        select(
            Inventory.resource_provider_id,
            Inventory.resource_class_id,
            Inventory.total,
            Inventory.reserved,
            Inventory.min_unit,
            Inventory.max_unit,
            Inventory.step_size,
            Inventory.allocation_ratio,
        )
    )
    for rp, rc, total, reserved, min_unit, max_unit, step, ratio in inv_rows.all():
        if rp in facts:
            facts[rp].inventories[rc] = InventoryFacts(
                total, reserved, min_unit, max_unit, step, ratio
            )
    use_rows = await session.execute(
        select(
            Allocation.resource_provider_id,
            Allocation.resource_class_id,
            func.sum(Allocation.used),
        ).group_by(Allocation.resource_provider_id, Allocation.resource_class_id)
    )
    for rp, rc, used in use_rows.all():
        inv = facts[rp].inventories.get(rc) if rp in facts else None
        if inv is not None:
            inv.used = int(used or 0)
    trait_rows = await session.execute(
        select(ProviderTrait.resource_provider_id, ProviderTrait.trait_id)
    )
    for rp, trait in trait_rows.all():
        if rp in facts:
            facts[rp].traits.add(trait)
    agg_rows = await session.execute(
        select(ProviderAggregate.resource_provider_id, ProviderAggregate.aggregate_uuid)
    )
    for rp, agg in agg_rows.all():
        if rp in facts:
            facts[rp].aggregates.add(agg)
    return facts


STRUCTURE = "structure"
USAGE = "usage"


async def epochs(session: AsyncSession) -> dict[str, int]:
    """The change counters (see PlacementEpoch): one two-row read per search."""
    rows = await session.execute(_EPOCH_VALUES)
    return {name: int(seq) for name, seq in rows.all()}


async def bump_epoch(session: AsyncSession, name: str) -> int:
    """Take the next number of one counter. Call it last in the transaction (after every
    provider row it locks) and take "structure" before "usage" when both: the row lock,
    held until commit, makes the numbers follow commit order."""
    result = await session.execute(_BUMP_EPOCH, {"b_name": name})
    seq = result.scalar_one_or_none()
    if seq is None:
        session.add(PlacementEpoch(name=name, seq=1))
        await session.flush()
        return 1
    return int(seq)


async def mark_usage(session: AsyncSession, rp_ids: Iterable[int]) -> None:
    """Record that these providers' allocations changed (in this transaction)."""
    ids = sorted(set(rp_ids))
    if not ids:
        return
    seq = await bump_epoch(session, USAGE)
    for start in range(0, len(ids), 500):
        await session.execute(_MARK_USAGE, {"b_ids": ids[start : start + 500], "b_seq": seq})


async def usage_changes(session: AsyncSession, since: int) -> dict[int, int]:
    """Provider id -> generation, for the providers whose allocations changed after the
    usage epoch ``since``."""
    rows = await session.execute(_USAGE_CHANGES, {"since": since})
    return {rid: gen for rid, gen in rows.all()}


def group_by_root(facts: dict[int, ProviderFacts]) -> dict[int, list[int]]:
    trees: dict[int, list[int]] = defaultdict(list)
    for rp in facts.values():
        trees[rp.root_id].append(rp.id)
    return trees
