"""Allocation candidates, computed over a snapshot of provider facts: which providers (in
one tree, plus sharing providers reached through aggregates) can satisfy every request
group, honouring traits, aggregates, in_tree, group_policy, same_subtree and root_required.
Pure functions: the service loads the facts, this module decides."""

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stratus.services.placement.repository import ProviderFacts


@dataclass
class RequestGroup:
    suffix: str
    resources: dict[int, int] = field(default_factory=dict)
    required: list[set[int]] = field(default_factory=list)
    forbidden: set[int] = field(default_factory=set)
    member_of: list[set[str]] = field(default_factory=list)
    forbidden_aggs: set[str] = field(default_factory=set)
    in_tree: str | None = None

    @property
    def use_same_provider(self) -> bool:
        return self.suffix != ""


@dataclass(frozen=True)
class Candidate:
    """One way to satisfy one group (or, merged, the whole request)."""

    anchor: int
    resources: tuple[tuple[int, int, int], ...]  # (rp id, rc id, amount)
    mappings: tuple[tuple[str, frozenset[int]], ...]
    use_same_provider: bool = False

    def providers(self) -> set[int]:
        return {rp for rp, _, _ in self.resources}


@dataclass
class Result:
    candidates: list[Candidate]
    summary_ids: list[int]


class Finder:
    def __init__(
        self,
        facts: Mapping[int, ProviderFacts],
        *,
        shares_trait: int | None,
    ) -> None:
        self.facts = facts
        self.trees: dict[int, list[int]] = defaultdict(list)
        self.by_agg: dict[str, set[int]] = defaultdict(set)
        # providers with inventory of each class, in id order
        self.by_rc: dict[int, list[ProviderFacts]] = defaultdict(list)
        self.by_trait: dict[int, set[int]] = defaultdict(set)
        for rp in sorted(facts.values(), key=lambda f: f.id):
            self.trees[rp.root_id].append(rp.id)
            for agg in rp.aggregates:
                self.by_agg[agg].add(rp.id)
            for rc in rp.inventories:
                self.by_rc[rc].append(rp)
            for trait in rp.traits:
                self.by_trait[trait].add(rp.id)
        self.sharing = (
            {rp.id for rp in facts.values() if shares_trait in rp.traits}
            if shares_trait is not None
            else set()
        )
        self.roots = sorted(self.trees)
        self._anchors: dict[int, set[int]] = {}
        # Provider summaries and allocation requests as the service shapes them, memoised
        # for this snapshot (the service drops a provider's summary when its usage changes
        # and both when names change; see find_candidates).
        self.summaries: dict[int, dict[str, Any]] = {}
        self.requests: dict[Candidate, tuple[dict[str, dict[str, int]], dict[str, list[str]]]]
        self.requests = {}
        self.names: object = None
        # (provider, wanted, suffix) -> the candidate a lone provider makes: one object per
        # request shape, so the memo above finds it by identity.
        self._lone_made: dict[tuple[Any, ...], Candidate] = {}
        self.by_uuid = {rp.uuid: rp.id for rp in facts.values()}

    def anchors(self, rp_id: int) -> set[int]:
        """Roots of every tree a sharing provider shares with (its own included)."""
        if rp_id not in self._anchors:
            rp = self.facts[rp_id]
            roots = {rp.root_id}
            for agg in rp.aggregates:
                for other in self.by_agg[agg]:
                    roots.add(self.facts[other].root_id)
            self._anchors[rp_id] = roots
        return self._anchors[rp_id]

    def _in_aggs(self, rp_id: int, clauses: Sequence[set[str]]) -> bool:
        aggs = self.facts[rp_id].aggregates
        return all(aggs & clause for clause in clauses)

    def _tree_root(self, group: RequestGroup) -> int | bool | None:
        if group.in_tree is None:
            return None
        rp_id = self.by_uuid.get(group.in_tree)
        if rp_id is None:
            return False
        return self.facts[rp_id].root_id

    def _fits(self, rp: ProviderFacts, rc: int, amount: int) -> bool:
        inv = rp.inventories.get(rc)
        return inv is not None and inv.fits(amount)

    def single_provider(
        self, group: RequestGroup, allowed_anchors: set[int] | None
    ) -> list[Candidate]:
        root = self._tree_root(group)
        if root is False:
            return []
        out: list[Candidate] = []
        pool: Iterable[ProviderFacts] = self.facts.values()
        if group.resources:
            pool = self.by_rc.get(min(group.resources), [])
        for rp in pool:
            if root is not None and rp.root_id != root:
                continue
            if any(not (need & rp.traits) for need in group.required):
                continue
            if group.forbidden & rp.traits:
                continue
            if group.member_of and not self._in_aggs(rp.id, group.member_of):
                continue
            if group.forbidden_aggs & rp.aggregates:
                continue
            if not all(self._fits(rp, rc, amt) for rc, amt in group.resources.items()):
                continue
            res = tuple((rp.id, rc, amt) for rc, amt in sorted(group.resources.items()))
            mappings = ((group.suffix, frozenset([rp.id])),)
            anchors = {rp.root_id}
            if rp.id in self.sharing and group.resources:
                anchors |= self.anchors(rp.id)
            for anchor in sorted(anchors):
                if allowed_anchors is not None and anchor not in allowed_anchors:
                    continue
                out.append(Candidate(anchor, res, mappings, True))
        return out

    def multiple_providers(
        self,
        group: RequestGroup,
        allowed_anchors: set[int] | None,
        stop_at: int | None = None,
    ) -> list[Candidate]:
        root = self._tree_root(group)
        if root is False:
            return []
        in_aggs: set[int] | None = None
        if group.member_of:
            in_aggs = self._members(group.member_of)
            if not in_aggs:
                return []
        bad_aggs: set[int] = set()
        for agg in group.forbidden_aggs:
            bad_aggs |= self.by_agg.get(agg, set())
        if stop_at is not None and not self.sharing:
            return self._walk_trees(group, root, allowed_anchors, in_aggs, bad_aggs, stop_at)
        per_rc: list[dict[int, list[int]]] = []  # rc -> anchor -> [rp]
        for rc, amount in sorted(group.resources.items()):
            entries: dict[int, list[int]] = defaultdict(list)
            for rp in self.by_rc.get(rc, []):
                if not rp.inventories[rc].fits(amount):
                    continue
                pairs = [rp.root_id]
                # A sharing provider lends to the trees it shares an aggregate with,
                # unless member_of is asked and the sharing provider itself is outside.
                if rp.id in self.sharing and root is None and (in_aggs is None or rp.id in in_aggs):
                    pairs = sorted(self.anchors(rp.id))
                for anchor in pairs:
                    if root is not None and anchor != root:
                        continue
                    if allowed_anchors is not None and anchor not in allowed_anchors:
                        continue
                    if in_aggs is not None and rp.id not in in_aggs and anchor not in in_aggs:
                        continue
                    if rp.id in bad_aggs or anchor in bad_aggs:
                        continue
                    entries[anchor].append(rp.id)
            if not entries:
                return []
            per_rc.append(entries)
        if not per_rc:
            return []
        common = set(per_rc[0])
        for entries in per_rc[1:]:
            common &= set(entries)
        rcs = [rc for rc, _ in sorted(group.resources.items())]
        out: list[Candidate] = []
        for anchor in sorted(common):
            choices = [entries[anchor] for entries in per_rc]
            for combo in itertools.product(*choices):
                if not self._traits_ok(set(combo), group):
                    continue
                res = tuple(
                    (rp, rc, group.resources[rc]) for rp, rc in zip(combo, rcs, strict=True)
                )
                mappings = ((group.suffix, frozenset(combo)),)
                out.append(Candidate(anchor, res, mappings, False))
            if stop_at is not None and len(out) >= stop_at:
                break
        return out

    def _members(self, clauses: Sequence[set[str]]) -> set[int]:
        """Providers in at least one aggregate of every clause."""
        found: set[int] | None = None
        for clause in clauses:
            union: set[int] = set()
            for agg in clause:
                union |= self.by_agg.get(agg, set())
            found = union if found is None else found & union
        return found or set()

    def _walk_trees(
        self,
        group: RequestGroup,
        root: int | None,
        allowed_anchors: set[int] | None,
        in_aggs: set[int] | None,
        bad_aggs: set[int],
        stop_at: int,
    ) -> list[Candidate]:
        """The same candidates, in the same order, as the full search when no provider
        shares: tree by tree, stopping once ``stop_at`` are found."""
        wanted = tuple(sorted(group.resources.items()))
        rcs = [rc for rc, _ in wanted]
        out: list[Candidate] = []
        anchors = [root] if root is not None else self.roots
        # Only trees holding a provider in the aggregates (or rooted in them) and a
        # provider with one of the first required traits can answer: skip the rest.
        if in_aggs is not None:
            reach = {self.facts[p].root_id for p in in_aggs}
            anchors = [a for a in anchors if a in reach]
        if group.required:
            holders: set[int] = set()
            for trait in group.required[0]:
                holders |= self.by_trait.get(trait, set())
            reach = {self.facts[p].root_id for p in holders}
            anchors = [a for a in anchors if a in reach]
        for anchor in anchors:
            if allowed_anchors is not None and anchor not in allowed_anchors:
                continue
            if anchor in bad_aggs:
                continue
            anchor_in = in_aggs is None or anchor in in_aggs
            members = self.trees[anchor]
            if len(members) == 1:
                # A lone provider (most compute nodes): it holds every class or nothing.
                found = self._lone(members[0], group, wanted, anchor_in, in_aggs, bad_aggs)
                if found is not None:
                    out.append(found)
                    if len(out) >= stop_at:
                        break
                continue
            choices: list[list[int]] = []
            for rc, amount in wanted:
                fitting = []
                for rid in self.trees[anchor]:
                    inv = self.facts[rid].inventories.get(rc)
                    if inv is None or not inv.fits(amount) or rid in bad_aggs:
                        continue
                    if not anchor_in and rid not in (in_aggs or ()):
                        continue
                    fitting.append(rid)
                if not fitting:
                    break
                choices.append(fitting)
            else:
                for combo in itertools.product(*choices):
                    if not self._traits_ok(set(combo), group):
                        continue
                    res = tuple(
                        (rp, rc, group.resources[rc]) for rp, rc in zip(combo, rcs, strict=True)
                    )
                    out.append(Candidate(anchor, res, ((group.suffix, frozenset(combo)),)))
                if len(out) >= stop_at:
                    break
        return out

    def _lone(
        self,
        rid: int,
        group: RequestGroup,
        wanted: tuple[tuple[int, int], ...],
        anchor_in: bool,
        in_aggs: set[int] | None,
        bad_aggs: set[int],
    ) -> Candidate | None:
        """_walk_trees' answer for a tree of one provider."""
        if rid in bad_aggs or not (anchor_in or rid in (in_aggs or ())):
            return None
        rp = self.facts[rid]
        invs = rp.inventories
        for rc, amount in wanted:
            inv = invs.get(rc)
            if inv is None or not inv.fits(amount):
                return None
        if not self._traits_ok((rid,), group):
            return None
        key = (rid, wanted, group.suffix)
        made = self._lone_made.get(key)
        if made is None:
            if len(self._lone_made) > 100_000:
                self._lone_made.clear()
            res = tuple((rid, rc, amount) for rc, amount in wanted)
            made = Candidate(rp.root_id, res, ((group.suffix, frozenset((rid,))),))
            self._lone_made[key] = made
        return made

    def _traits_ok(self, rps: Iterable[int], group: RequestGroup) -> bool:
        if not group.required and not group.forbidden:
            return True
        seen: set[int] = set()
        for rp in rps:
            traits = self.facts[rp].traits
            if traits & group.forbidden:
                return False
            seen |= traits
        return all(need & seen for need in group.required)

    def resourceless(
        self, group: RequestGroup, allowed_anchors: set[int] | None
    ) -> list[Candidate]:
        return self.single_provider(group, allowed_anchors)

    def parent_chain(self, rp_id: int) -> set[int]:
        out = {rp_id}
        current = self.facts[rp_id].parent_id
        while current is not None:
            out.add(current)
            current = self.facts[current].parent_id
        return out


def find(
    finder: Finder,
    groups: Sequence[RequestGroup],
    *,
    group_policy: str | None,
    same_subtrees: Sequence[set[str]],
    root_required: set[int],
    root_forbidden: set[int],
    nested_aware: bool,
    limit: int | None,
) -> Result:
    facts = finder.facts
    allowed: set[int] | None = None
    if root_required or root_forbidden:
        allowed = {
            root
            for root in finder.trees
            if root_required <= facts[root].traits and not (root_forbidden & facts[root].traits)
        }
    by_suffix: dict[str, list[Candidate]] = {}
    for group in groups:
        if group.use_same_provider:
            found = finder.single_provider(group, allowed)
        else:
            # Alone, the group's candidates are the answer: stop at the limit. (Copies of
            # one request through several anchors fold later, so allow for them.)
            alone = len(groups) == 1 and nested_aware and limit is not None
            found = finder.multiple_providers(
                group, allowed, stop_at=limit if alone and not finder.sharing else None
            )
        if not found:
            return Result([], [])
        by_suffix[group.suffix] = found
    suffixes = sorted(by_suffix)
    numbered = [s for s in suffixes if s != ""]
    stop_at = limit if nested_aware else None
    if len(suffixes) == 1 and not same_subtrees:
        # One group: its candidates are already whole and within capacity; only the
        # copies of one request reached through several anchors need folding.
        only: dict[tuple[object, ...], Candidate] = {}
        for cand in by_suffix[suffixes[0]]:
            only.setdefault((cand.resources, cand.mappings), cand)
            if stop_at is not None and len(only) >= stop_at:
                break
        return _finish(finder, list(only.values()), nested_aware=nested_aware, limit=limit)
    by_anchor: dict[int, dict[str, list[Candidate]]] = {}
    for suffix, cands in by_suffix.items():
        for cand in cands:
            by_anchor.setdefault(cand.anchor, {}).setdefault(suffix, []).append(cand)
    results: dict[tuple[object, ...], Candidate] = {}
    # Candidates come out in a fixed order, so with a limit the search can stop early
    # (before 1.29 results are filtered afterwards, so it cannot).
    for anchor in sorted(by_anchor):
        per = by_anchor[anchor]
        if any(s not in per for s in suffixes):
            continue
        for combo in itertools.product(*(per[s] for s in suffixes)):
            if group_policy == "isolate" and numbered:
                isolated: set[int] = set()
                for cand in combo:
                    if cand.use_same_provider:
                        for _s, rps in cand.mappings:
                            isolated |= rps
                if len(isolated) != len(numbered):
                    continue
            mappings: dict[str, set[int]] = defaultdict(set)
            for cand in combo:
                for suffix, rps in cand.mappings:
                    mappings[suffix] |= rps
            if not _same_subtree_ok(finder, mappings, same_subtrees):
                continue
            totals: dict[tuple[int, int], int] = defaultdict(int)
            for cand in combo:
                for rp, rc, amt in cand.resources:
                    totals[(rp, rc)] += amt
            if any(not _room(facts[rp], rc, amt) for (rp, rc), amt in totals.items()):
                continue
            merged = Candidate(
                anchor,
                tuple((rp, rc, amt) for (rp, rc), amt in sorted(totals.items())),
                tuple((s, frozenset(rps)) for s, rps in sorted(mappings.items())),
            )
            key = (merged.resources, merged.mappings)
            results.setdefault(key, merged)
            if stop_at is not None and len(results) >= stop_at:
                break
        if stop_at is not None and len(results) >= stop_at:
            break
    return _finish(finder, list(results.values()), nested_aware=nested_aware, limit=limit)


def _finish(
    finder: Finder, chosen: list[Candidate], *, nested_aware: bool, limit: int | None
) -> Result:
    facts = finder.facts
    if not nested_aware and any(rp.parent_id is not None for rp in facts.values()):
        # Before 1.29 a candidate may not use two providers of one tree; summaries then
        # cover only the providers the remaining candidates use.
        kept = [
            c
            for c in chosen
            if len(c.providers()) == len({facts[p].root_id for p in c.providers()})
        ]
        chosen = kept[:limit] if limit is not None else kept
        used: set[int] = set()
        for cand in chosen:
            used |= cand.providers()
        return Result(chosen, sorted(used))
    if limit is not None:
        chosen = chosen[:limit]
    roots: set[int] = set()
    for cand in chosen:
        for rp, _rc, _amt in cand.resources:
            roots.add(facts[rp].root_id)
    summary: list[int] = []
    for root in sorted(roots):
        summary.extend(sorted(finder.trees[root]))
    return Result(chosen, summary)


def _room(rp: ProviderFacts, rc: int, amount: int) -> bool:
    inv = rp.inventories.get(rc)
    return inv is not None and amount <= inv.max_unit and inv.used + amount <= inv.capacity


def _same_subtree_ok(
    finder: Finder, mappings: Mapping[str, set[int]], same_subtrees: Sequence[set[str]]
) -> bool:
    for group in same_subtrees:
        rps: set[int] = set()
        for suffix in group:
            rps |= mappings.get(suffix, set())
        if len(rps) <= 1:
            continue
        common = set.intersection(*(finder.parent_chain(rp) for rp in rps))
        if not (common & rps):
            return False
    return True
