"""Placing money figures in columns from header order and the hierarchy's sums."""

from __future__ import annotations

from decimal import Decimal

from budgetqa.ingest.placement import candidate_placements, solve_placements

D = Decimal


def test_complete_row_has_one_placement():
    figures = [(0, D("10")), (1, D("6")), (2, None), (3, D("4"))]
    assert candidate_placements(figures, 0) == [(D("10"), D("6"), None, D("4"))]


def test_layout_text_figure_may_be_any_funding_column_header_order_first():
    assert candidate_placements([(0, D("10")), (1, D("10"))], None) == [
        (D("10"), D("10"), None, None),
        (D("10"), None, D("10"), None),
        (D("10"), None, None, D("10")),
    ]


def test_dropped_cell_lets_a_figure_move_one_column_right_only():
    # "26.79 | (blank) | 26.79" with one cell lost: the second figure is 专户 or 其他.
    placements = candidate_placements([(0, D("26.79")), (1, None), (2, D("26.79"))], 1)
    assert placements == [
        (D("26.79"), None, D("26.79"), None),
        (D("26.79"), None, None, D("26.79")),
    ]


def test_row_without_figures():
    assert candidate_placements([(0, None), (1, None)], 1) == [(None, None, None, None)]


def test_sums_choose_the_column_of_a_child():
    parent = [(D("42"), D("27"), None, D("15"))]
    first = candidate_placements([(0, D("27")), (1, D("27"))], None)
    second = candidate_placements([(0, D("15")), (1, D("15"))], None)
    choices = solve_placements([parent, first, second], [[1, 2], [], []], [0])
    assert second[choices[2].index] == (D("15"), None, None, D("15"))
    assert first[choices[1].index] == (D("27"), D("27"), None, None)
    assert choices[2].consistent == 1
    assert choices[2].decided_by_sums


def test_uniform_shift_is_reported_ambiguous_on_the_root():
    total = candidate_placements([(0, D("5")), (1, D("5"))], None)
    unit = candidate_placements([(0, D("5")), (1, D("5"))], None)
    choices = solve_placements([total, unit], [[1], []], [0])
    assert choices[0].consistent == 3
    assert not choices[0].decided_by_sums
    assert total[choices[0].index] == (D("5"), D("5"), None, None)
    assert choices[1].consistent == 1


def test_a_duplicate_is_not_explained_away_by_moving_it_to_an_empty_column():
    unit = [(D("125.39"), D("125.39"), None, None)]
    twelve = candidate_placements([(0, D("12")), (1, D("12"))], None)
    other = candidate_placements([(0, D("113.39")), (1, D("113.39"))], None)
    choices = solve_placements([unit, twelve, twelve, other], [[1, 2, 3], [], [], []], [0])
    assert [choices[i].index for i in (1, 2, 3)] == [0, 0, 0]
    assert all(choices[i].consistent == 1 for i in (1, 2, 3))


def test_large_group_uses_incremental_search():
    # 40 children of 1.00 each, one of which belongs in 其他资金: found without brute force.
    parent = [(D("40"), D("39"), None, D("1"))]
    child = candidate_placements([(0, D("1")), (1, D("1"))], None)
    candidates = [parent] + [child] * 40
    choices = solve_placements(candidates, [list(range(1, 41))] + [[]] * 40, [0])
    placed = [child[choices[i].index] for i in range(1, 41)]
    assert sum(1 for p in placed if p[3] is not None) == 1
    assert sum(1 for p in placed if p[1] is not None) == 39
