"""Placing money figures in columns when the layout does not say which column they are in.

PDF layout text prints only the figures that are there (``10.00 10.00``: 总计 and one of three
funding columns), and OCR drops empty cells. Each row therefore comes with the *candidate
placements* its layout allows, in header order (figures keep their order; a figure can move
right only as far as the number of dropped cells allows). The candidates are then chosen jointly
so the hierarchy adds up: for every parent (合计 or a unit), each funding column must equal the
sum of its children's. Where the sums cannot tell two placements apart, the one closest to the
header order wins and the row is marked ambiguous.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from decimal import Decimal

import attrs

__all__ = [
    "Placement",
    "PlacementChoice",
    "candidate_placements",
    "solve_placements",
]

#: (total, fiscal_appropriation, special_account, other_funds); ``None`` is a blank cell.
Placement = tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]

_SLOTS = 4
_ZERO = Decimal(0)
# Beyond this many joint assignments of a parent's children, search by small changes instead.
_BRUTE_FORCE_LIMIT = 4096


def candidate_placements(
    figures: Sequence[tuple[int, Decimal | None]], dropped: int | None
) -> list[Placement]:
    """Every placement of a row's figures into the four money columns, best guess first.

    ``figures`` are ``(position, value)`` of the money cells as read, in order (blank cells
    have ``None`` and place no figure). ``dropped`` is how many cells the row lost, so a cell
    read at position ``p`` was really in column ``p .. p + dropped``; ``None`` means unknown
    (layout text, where every blank vanished). The first figure read at position 0 is the
    total. Placements come ordered by how far they move figures from where they were read.
    """
    present = [(position, value) for position, value in figures if value is not None]
    if not present:
        return [(None, None, None, None)]
    if dropped == 0 or (dropped is None and len(present) == _SLOTS):
        placed: list[Decimal | None] = [None] * _SLOTS
        for position, value in present:
            if position < _SLOTS:
                placed[position] = value
        return [_as_placement(placed)]

    options: list[tuple[int, Placement]] = []

    def extend(index: int, lowest_slot: int, slots: list[int]) -> None:
        if index == len(present):
            placed: list[Decimal | None] = [None] * _SLOTS
            for slot, (_, value) in zip(slots, present, strict=True):
                placed[slot] = value
            shift = sum(slot - position for slot, (position, _) in zip(slots, present, strict=True))
            options.append((shift, _as_placement(placed)))
            return
        position = present[index][0]
        if index == 0 and position == 0:
            allowed = range(1)  # the first figure of a row is its 总计
        else:
            high = _SLOTS - 1 if dropped is None else min(_SLOTS - 1, position + dropped)
            allowed = range(max(position, lowest_slot), high + 1)
        remaining = len(present) - index - 1
        for slot in allowed:
            if slot + remaining <= _SLOTS - 1:
                extend(index + 1, slot + 1, [*slots, slot])

    extend(0, 0, [])
    if not options:
        # More figures than columns or no room: keep them where they were read.
        placed = [None] * _SLOTS  # reuses the list type declared above
        for position, value in present:
            if position < _SLOTS:
                placed[position] = value
        return [_as_placement(placed)]
    options.sort(key=lambda option: option[0])
    unique: list[Placement] = []
    for _, placement in options:
        if placement not in unique:
            unique.append(placement)
    return unique


def _as_placement(values: Sequence[Decimal | None]) -> Placement:
    return (values[0], values[1], values[2], values[3])


@attrs.frozen
class PlacementChoice:
    """The placement chosen for one row and how sure the choice is."""

    index: int
    candidates: int
    consistent: int
    decided_by_sums: bool
    #: The candidates that fit the sums equally well (the chosen one among them).
    options: tuple[int, ...] = ()
    #: The parent's sums fail and the search for a placement that fits them was bounded (a
    #: large unit): the row's columns are not known, rather than known to disagree.
    undetermined: bool = False


@attrs.define
class _Best:
    cost: int
    deviation: int
    assignment: dict[int, int]
    consistent: dict[int, set[int]]
    undetermined: bool = False


def _funding(placement: Placement) -> tuple[Decimal, Decimal, Decimal]:
    return (placement[1] or _ZERO, placement[2] or _ZERO, placement[3] or _ZERO)


def _failures(parent: Placement, children: Sequence[Placement]) -> int:
    if not children:
        return 0
    wanted = _funding(parent)
    sums = [_ZERO, _ZERO, _ZERO]
    for child in children:
        for column, value in enumerate(_funding(child)):
            sums[column] += value
    return sum(1 for column in range(3) if sums[column] != wanted[column])


def solve_placements(
    candidates: Sequence[Sequence[Placement]],
    children: Sequence[Sequence[int]],
    roots: Sequence[int],
) -> list[PlacementChoice]:
    """Choose one placement per row so that parents' funding columns equal their children's sums.

    ``candidates[i]`` are row ``i``'s placements (best guess first), ``children[i]`` the rows
    whose parent is ``i``, ``roots`` the rows without a parent. Returns one choice per row.
    """
    count = len(candidates)
    # cost[i][c]: fewest failing column sums in i's subtree when i takes candidate c.
    cost: list[list[int]] = [[0] * len(candidates[i]) for i in range(count)]
    plan: list[list[_Best | None]] = [[None] * len(candidates[i]) for i in range(count)]
    for node in _post_order(children, roots):
        kids = children[node]
        if not kids:
            continue
        for choice, placement in enumerate(candidates[node]):
            best = _best_children(placement, kids, candidates, cost)
            cost[node][choice] = best.cost
            plan[node][choice] = best

    chosen: dict[int, int] = {}
    consistent: dict[int, set[int]] = {i: set() for i in range(count)}
    decided: set[int] = set()
    undetermined: set[int] = set()
    for root in roots:
        root_costs = cost[root]
        best_cost = min(root_costs)
        optimal = [c for c, value in enumerate(root_costs) if value == best_cost]
        if len(optimal) < len(root_costs):
            decided.add(root)
        chosen[root] = optimal[0]
        consistent[root].update(optimal)
        # A uniform shift of every figure one column right fits the sums as well; that doubt is
        # the root's (reported there), and the rows below are judged given the root's choice.
        _descend(root, optimal[0], plan, children, consistent, chosen, decided, undetermined)

    return [
        PlacementChoice(
            index=chosen.get(i, 0),
            candidates=len(candidates[i]),
            consistent=max(1, len(consistent[i] or {chosen.get(i, 0)})),
            decided_by_sums=i in decided,
            options=tuple(sorted(consistent[i] or {chosen.get(i, 0)})),
            undetermined=i in undetermined,
        )
        for i in range(count)
    ]


def _descend(
    node: int,
    choice: int,
    plan: Sequence[Sequence[_Best | None]],
    children: Sequence[Sequence[int]],
    consistent: dict[int, set[int]],
    chosen: dict[int, int],
    decided: set[int],
    undetermined: set[int],
) -> None:
    best = plan[node][choice]
    if best is None:
        return
    if best.undetermined:
        undetermined.update(best.consistent)
    for kid in children[node]:
        kid_choice = best.assignment[kid]
        options = best.consistent.get(kid, {kid_choice})
        consistent[kid].update(options)
        if len(options) < len(plan[kid]):
            decided.add(kid)
        chosen[kid] = kid_choice
        _descend(kid, kid_choice, plan, children, consistent, chosen, decided, undetermined)


def _post_order(children: Sequence[Sequence[int]], roots: Sequence[int]) -> list[int]:
    order: list[int] = []
    stack: list[tuple[int, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((kid, False) for kid in reversed(children[node]))
    return order


def _best_children(
    parent: Placement,
    kids: Sequence[int],
    candidates: Sequence[Sequence[Placement]],
    cost: Sequence[Sequence[int]],
) -> _Best:
    """The children's placements that best fit ``parent``: fewest failures, then least moved."""
    free = [kid for kid in kids if len(candidates[kid]) > 1]
    # Start every child at its own best candidate: fewest failures below it, then one that uses
    # only columns its parent uses (money flows down the same columns), then header order.
    used = {column for column in range(1, _SLOTS) if parent[column] is not None}

    def preference(kid: int, choice: int) -> tuple[int, bool, int]:
        columns = {
            column for column in range(1, _SLOTS) if candidates[kid][choice][column] is not None
        }
        return cost[kid][choice], not columns <= used, choice

    start = {
        kid: min(range(len(candidates[kid])), key=functools.partial(preference, kid))
        for kid in kids
    }
    outside = {
        (kid, choice): int(
            not {c for c in range(1, _SLOTS) if candidates[kid][choice][c] is not None} <= used
        )
        for kid in free
        for choice in range(len(candidates[kid]))
    }
    combinations = 1
    for kid in free:
        combinations *= len(candidates[kid])
        if combinations > _BRUTE_FORCE_LIMIT:
            break
    exhaustive = combinations <= _BRUTE_FORCE_LIMIT
    if exhaustive:
        scored = _all_assignments(parent, kids, free, start, candidates, cost)
    else:
        scored = _nearby_assignments(parent, kids, free, start, candidates, cost)

    # Assignments are scored as changes from ``start``, so ranking them costs time in the
    # number of changed children, not in the size of the unit.
    base_outside = sum(outside[kid, start[kid]] for kid in free)

    def rank(item: tuple[tuple[int, int], dict[int, int]]) -> tuple[int, int, int]:
        (failures, moved), changes = item
        # A child putting money in a column its parent leaves blank is a worse explanation.
        extra = sum(
            outside[kid, choice] - outside[kid, start[kid]] for kid, choice in changes.items()
        )
        return failures, base_outside + extra, moved

    ranked = [(rank(item), item[1]) for item in scored]
    (best_cost, best_outside, best_moved), best_changes = min(ranked, key=lambda item: item[0])
    consistent: dict[int, set[int]] = {kid: set() for kid in free}
    optimal = [
        changes
        for (assignment_cost, assignment_outside, _), changes in ranked
        if (assignment_cost, assignment_outside) == (best_cost, best_outside)
    ]
    changed_in: dict[int, int] = {}
    for changes in optimal:
        for kid, choice in changes.items():
            consistent[kid].add(choice)
            changed_in[kid] = changed_in.get(kid, 0) + 1
    for kid in free:
        if changed_in.get(kid, 0) < len(optimal):
            consistent[kid].add(start[kid])  # some optimal assignment leaves it where it starts
    best_assignment = {**start, **best_changes}
    undetermined = (
        not exhaustive
        and best_cost > sum(cost[kid][start[kid]] for kid in kids)
        and parent[0]
        == sum((candidates[kid][best_assignment[kid]][0] or _ZERO for kid in kids), _ZERO)
    )
    if undetermined:
        # 总计, which every placement agrees on, adds up, but the bounded search found no
        # placement of the funding figures that does: one may exist beyond it, so the free
        # children's funding columns are undetermined rather than known to disagree.
        for kid in free:
            consistent[kid] = set(range(len(candidates[kid])))
    return _Best(best_cost, best_moved, best_assignment, consistent, undetermined)


# ((failures, columns moved), the children whose choice differs from the start, and to what).
_Scored = list[tuple[tuple[int, int], dict[int, int]]]
# Pairs of changes that together close a parent's gap: beyond this many, more ties change
# nothing about the choice, and adversarial input could otherwise make the search quadratic.
_PAIR_LIMIT = 10_000


def _all_assignments(
    parent: Placement,
    kids: Sequence[int],
    free: Sequence[int],
    start: dict[int, int],
    candidates: Sequence[Sequence[Placement]],
    cost: Sequence[Sequence[int]],
) -> _Scored:
    """Every combination of the free children's choices (at most ``_BRUTE_FORCE_LIMIT``).

    Each combination is scored from the start assignment's sums and the free children's
    differences, so it costs time in the free children only, not in all of the parent's.
    """
    wanted = _funding(parent)
    sums = [_ZERO, _ZERO, _ZERO]
    for kid in kids:
        for column, value in enumerate(_funding(candidates[kid][start[kid]])):
            sums[column] += value
    below = sum(cost[kid][start[kid]] for kid in kids)
    moved = sum(start[kid] for kid in kids)
    # Per free child and choice: (funding difference, cost difference) against its start.
    deltas = {
        (kid, choice): (
            tuple(
                after - before
                for after, before in zip(
                    _funding(candidates[kid][choice]),
                    _funding(candidates[kid][start[kid]]),
                    strict=True,
                )
            ),
            cost[kid][choice] - cost[kid][start[kid]],
        )
        for kid in free
        for choice in range(len(candidates[kid]))
    }
    scored: _Scored = []
    for picks in itertools.product(*(range(len(candidates[kid])) for kid in free)):
        changes = {
            kid: choice for kid, choice in zip(free, picks, strict=True) if choice != start[kid]
        }
        total = list(sums)
        extra = 0
        shift = moved
        for kid, choice in changes.items():
            difference, cost_difference = deltas[kid, choice]
            for column in range(3):
                total[column] += difference[column]
            extra += cost_difference
            shift += choice - start[kid]
        failures = sum(1 for column in range(3) if total[column] != wanted[column])
        scored.append(((failures + below + extra, shift), changes))
    return scored


def _nearby_assignments(
    parent: Placement,
    kids: Sequence[int],
    free: Sequence[int],
    start: dict[int, int],
    candidates: Sequence[Sequence[Placement]],
    cost: Sequence[Sequence[int]],
) -> _Scored:
    """The start assignment, every single change, and every pair of changes that fixes the sums.

    Works on difference vectors, so a parent with thousands of children costs linear time.
    """
    wanted = _funding(parent)
    sums = [_ZERO, _ZERO, _ZERO]
    for kid in kids:
        for column, value in enumerate(_funding(candidates[kid][start[kid]])):
            sums[column] += value
    gap = tuple(wanted[column] - sums[column] for column in range(3))
    below = sum(cost[kid][start[kid]] for kid in kids)
    moved = sum(start[kid] for kid in kids)

    def failures(remaining: Sequence[Decimal]) -> int:
        return sum(1 for value in remaining if value != _ZERO)

    scored: _Scored = [((failures(gap) + below, moved), {})]
    moves: list[tuple[int, int, tuple[Decimal, ...], int]] = []
    for kid in free:
        before = _funding(candidates[kid][start[kid]])
        for choice in range(len(candidates[kid])):
            if choice == start[kid]:
                continue
            after = _funding(candidates[kid][choice])
            delta = tuple(after[column] - before[column] for column in range(3))
            extra = cost[kid][choice] - cost[kid][start[kid]]
            moves.append((kid, choice, delta, extra))
            remaining = tuple(gap[column] - delta[column] for column in range(3))
            scored.append(
                (
                    (failures(remaining) + below + extra, moved + choice - start[kid]),
                    {kid: choice},
                )
            )
    by_delta: dict[tuple[Decimal, ...], list[int]] = {}
    for position, (_, _, delta, _) in enumerate(moves):
        by_delta.setdefault(delta, []).append(position)
    pairs = 0
    for position, (kid_a, choice_a, delta_a, extra_a) in enumerate(moves):
        needed = tuple(gap[column] - delta_a[column] for column in range(3))
        for other in by_delta.get(needed, ()):
            kid_b, choice_b, _, extra_b = moves[other]
            if other <= position or kid_b == kid_a:
                continue
            shift = moved + choice_a - start[kid_a] + choice_b - start[kid_b]
            scored.append(((below + extra_a + extra_b, shift), {kid_a: choice_a, kid_b: choice_b}))
            pairs += 1
            if pairs >= _PAIR_LIMIT:
                return scored
    return scored
