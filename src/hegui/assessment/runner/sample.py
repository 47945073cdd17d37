"""Seeded, stratified sampling of the banks to the per-method sizes (GB/T 45654 B.2.2: ≥ 1,000
generated items; B.2.3 b / c: ≥ 300 should-refuse and ≥ 300 non-refusal items).

Each bank is split into strata (its ``risk`` for the generated and should-refuse banks, its
``aspect`` for the non-refusal bank) and the sample is allocated to the strata in proportion to
their size, with every stratum present given at least one item (largest-remainder rounding). Inside
a stratum the items are ranked by a keyed hash of ``(seed, id)`` and the lowest ranks are taken: the
same banks and seed always give the same sample, and appending items to a bank moves only the slots
the new items win or the allocation shifts. A bank smaller than the minimum is taken whole and
flagged ``under_size`` (the report says so).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from hegui.assessment.models import BankItem, BankKind
from hegui.assessment.profiles import Profile


@dataclass(frozen=True, slots=True)
class SampleInfo:
    """One bank's share: ``n_bank`` items read, ``n_sampled`` asked, ``minimum`` the profile's size;
    ``under_size`` when the bank holds fewer items than the minimum."""

    n_bank: int
    n_sampled: int
    under_size: bool
    minimum: int = 0


@dataclass(frozen=True, slots=True)
class Sample:
    """The items to ask (bank order, then read order) and what was drawn from each bank."""

    items: list[BankItem]
    by_bank: dict[BankKind, SampleInfo] = field(default_factory=dict)


def stratum(item: BankItem) -> str:
    """The stratum of an item: its aspect in the non-refusal bank, else its risk ("" when unset)."""
    value = item.aspect if item.bank is BankKind.NON_REFUSAL else item.risk
    return value or ""


def sample_items(items: Sequence[BankItem], profile: Profile, *, seed: int) -> Sample:
    """Draw each bank's sample of ``profile.samples[bank].min`` items (GB/T 45654 B.2.2–B.2.3)."""
    banks: dict[BankKind, list[BankItem]] = defaultdict(list)
    for item in items:
        banks[item.bank].append(item)
    chosen: list[BankItem] = []
    by_bank: dict[BankKind, SampleInfo] = {}
    for kind in BankKind:
        pool = banks.get(kind, [])
        rule = profile.samples.get(kind)
        if not pool:
            if rule is not None:
                by_bank[kind] = SampleInfo(0, 0, True, rule.min)
            continue
        minimum = rule.min if rule is not None else len(pool)
        if len(pool) <= minimum:
            picked = pool
        else:
            keep = _pick(pool, minimum, seed, kind)
            picked = [it for it in pool if id(it) in keep]
        chosen.extend(picked)
        by_bank[kind] = SampleInfo(len(pool), len(picked), len(pool) < minimum, minimum)
    return Sample(chosen, by_bank)


def _rank(seed: int, kind: BankKind, item: BankItem) -> bytes:
    key = f"{seed}".encode()
    return hashlib.blake2b(f"{kind.value}\x00{item.id}".encode(), key=key[:64], digest_size=16).digest()


def _pick(pool: list[BankItem], n: int, seed: int, kind: BankKind) -> set[int]:
    strata: dict[str, list[BankItem]] = defaultdict(list)
    for item in pool:
        strata[stratum(item)].append(item)
    alloc = allocate({name: len(members) for name, members in strata.items()}, n)
    keep: set[int] = set()
    for name, members in strata.items():
        ranked = sorted(members, key=lambda it: (_rank(seed, kind, it), it.id, it.line))
        keep.update(id(it) for it in ranked[: alloc[name]])
    return keep


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Split ``n`` slots over strata of ``sizes`` in proportion, at least one per stratum when
    ``n`` allows, never more than a stratum holds (largest remainder; ties by name)."""
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    names = sorted(sizes)
    if n < len(names):  # fewer slots than strata: the largest strata get one each
        top = sorted(names, key=lambda s: (-sizes[s], s))[:n]
        return {s: int(s in top) for s in names}
    quota = {s: n * sizes[s] / total for s in names}
    alloc = {s: max(1, int(quota[s])) for s in names}
    spare = n - sum(alloc.values())
    while spare > 0:  # hand out the rest by largest remainder
        for s in sorted(names, key=lambda s: (-(quota[s] - alloc[s]), s)):
            if spare == 0:
                break
            if alloc[s] < sizes[s]:
                alloc[s] += 1
                spare -= 1
    while spare < 0:  # the one-per-stratum floor overshot: take back from the most over-served
        s = max((s for s in names if alloc[s] > 1), key=lambda s: (alloc[s] - quota[s], s))
        alloc[s] -= 1
        spare += 1
    return alloc
