"""Property: the early-stopping, tree-by-tree candidate walk used under a limit returns
exactly the first N candidates of the full search, for random provider forests."""

from hypothesis import given, settings
from hypothesis import strategies as st

from stratus.services.placement import candidates as cand
from stratus.services.placement.repository import InventoryFacts, ProviderFacts

AGGS = ["a1", "a2", "a3"]


@st.composite
def forests(draw: st.DrawFn) -> dict[int, ProviderFacts]:
    facts: dict[int, ProviderFacts] = {}
    for ident in range(1, draw(st.integers(1, 25)) + 1):
        parent = draw(st.sampled_from([None, *facts])) if facts else None
        root = facts[parent].root_id if parent is not None else ident
        rp = ProviderFacts(ident, f"uuid-{ident}", f"rp{ident}", 0, parent, root)
        for rc in draw(st.sets(st.integers(1, 3), max_size=3)):
            rp.inventories[rc] = InventoryFacts(
                total=draw(st.integers(1, 8)), reserved=0, min_unit=1, max_unit=8,
                step_size=1, allocation_ratio=1.0, used=draw(st.integers(0, 4)),
            )  # fmt: skip
        rp.traits = draw(st.sets(st.integers(10, 12), max_size=2))
        rp.aggregates = draw(st.sets(st.sampled_from(AGGS), max_size=2))
        facts[ident] = rp
    return facts


@settings(max_examples=200, deadline=None)
@given(
    facts=forests(),
    resources=st.dictionaries(st.integers(1, 3), st.integers(1, 4), min_size=1, max_size=3),
    required=st.lists(st.sets(st.integers(10, 12), min_size=1, max_size=2), max_size=2),
    forbidden=st.sets(st.integers(10, 12), max_size=1),
    member_of=st.lists(st.sets(st.sampled_from(AGGS), min_size=1, max_size=2), max_size=2),
    limit=st.integers(1, 6),
)
def test_walk_matches_full_search(
    facts: dict[int, ProviderFacts],
    resources: dict[int, int],
    required: list[set[int]],
    forbidden: set[int],
    member_of: list[set[str]],
    limit: int,
) -> None:
    finder = cand.Finder(facts, shares_trait=None)
    group = cand.RequestGroup(
        suffix="", resources=resources, required=required, forbidden=forbidden,
        member_of=member_of,
    )  # fmt: skip
    full = finder.multiple_providers(group, None)
    walked = finder.multiple_providers(group, None, stop_at=limit)
    assert walked[:limit] == full[:limit]
    for c in full:  # and every candidate really fits
        for rp, rc, amount in c.resources:
            assert facts[rp].inventories[rc].fits(amount)
