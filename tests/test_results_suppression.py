"""Small-count suppression on the results page: a reader who tries to solve the published tables cannot
work out any hidden count.

Each published year is taken as a reader sees it (the rows of the 収入の状況 and 状況別の件数 tables,
which the site page and the council export print): shown counts are numbers, a hidden count is an
unknown, and the year's counts add up to its 件数 (shown, hidden, or "5件未満"). For every unknown, an
integer program (scipy's milp) finds the least and the most it can be; each must have more than one
possible value. Two readers: one who knows only the published rule (a hidden count in a year with
shown zeros is at least 1; a hidden 件数 of a shown year is at least min_cases), and an insider who
also knows which hidden counts are the small ones (1..min_cases-1), which are not, and which are 0.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from saiken import wareki
from saiken.publishing import council, results
from saiken.publishing.site import pages

HIDDEN = results.SUPPRESSED
INF = np.inf


@dataclass
class Unknown:
    name: str
    low: float
    high: float


@dataclass
class Year:
    """One published row: the 件数 and the status counts, each a number or an Unknown."""
    label: str
    total: int | Unknown
    cells: dict[str, int | Unknown]


def solve(year: Year) -> dict[str, tuple[float, float]]:
    """The least and the most each unknown of the year can be, given sum(cells) == total."""
    unknowns = [v for v in (year.total, *year.cells.values()) if isinstance(v, Unknown)]
    if not unknowns:
        return {}
    index = {id(u): i for i, u in enumerate(unknowns)}
    row = np.zeros(len(unknowns))
    known = 0
    for value in year.cells.values():
        if isinstance(value, Unknown):
            row[index[id(value)]] += 1
        else:
            known += value
    if isinstance(year.total, Unknown):
        row[index[id(year.total)]] -= 1
        target = -known
    else:
        target = year.total - known
    constraint = LinearConstraint(row.reshape(1, -1), target, target)
    bounds = Bounds([u.low for u in unknowns], [u.high for u in unknowns])
    integers = np.ones(len(unknowns))
    feasible = milp(np.zeros(len(unknowns)), constraints=constraint, integrality=integers, bounds=bounds)
    assert feasible.status == 0, f"{year.label}: the published figures admit no table ({feasible.message})"
    ranges: dict[str, tuple[float, float]] = {}
    for i, u in enumerate(unknowns):
        ends = []
        for sign in (1, -1):
            objective = np.zeros(len(unknowns))
            objective[i] = sign
            res = milp(objective, constraints=constraint, integrality=integers, bounds=bounds)
            # every lower bound is finite, so the least always exists; no most means no upper end
            ends.append(round(res.x[i]) if res.status == 0 else INF)
        ranges[u.name] = (ends[0], ends[1])
    return ranges


def _count(text: str) -> int:
    assert text.endswith("件") and text[:-1].isdigit(), text
    return int(text[:-1])


def read_published(root: Path, truth: dict[str, dict[str, int]], minimum: int, insider: bool) -> list[Year]:
    """The published tables as a reader sees them; `truth` (label -> counts) gives the insider's classes."""
    money, status = results.table(root), results.status_table(root)
    assert money is not None and status is not None
    statuses = status.rows[0][1:]
    years = []
    for money_row, status_row in zip(money.rows[1:], status.rows[1:], strict=True):
        label, total_text = money_row[0], money_row[1]
        assert status_row[0] == label
        whole = total_text == f"{minimum}件未満"
        if whole:
            total: int | Unknown = Unknown(f"{label} 件数", 0, minimum - 1)
        elif total_text == HIDDEN:
            total = Unknown(f"{label} 件数", minimum, INF)
        else:
            total = _count(total_text)
        cells: dict[str, int | Unknown] = {}
        for name, text in zip(statuses, status_row[1:], strict=True):
            if text != HIDDEN:
                cells[name] = _count(text)
                continue
            low, high = (0 if whole else 1), INF
            if insider:
                value = truth[label].get(name, 0)
                low, high = (0, 0) if value == 0 else (1, minimum - 1) if value < minimum else (minimum, INF)
            cells[name] = Unknown(f"{label} {name}", low, high)
        years.append(Year(label, total, cells))
    return years


def pinned(year: Year) -> list[str]:
    """The unknowns of the year with a single possible value (but 0: the insider knows a zero, and a zero
    is no one; the one value left is always the true one)."""
    return [f"{name} = {low}" for name, (low, high) in solve(year).items() if low == high != 0]


def write_aggregates(root: Path, tables: list[dict[str, int]], minimum: int) -> dict[str, dict[str, int]]:
    (root / "ledger").mkdir(parents=True, exist_ok=True)
    (root / "policies").mkdir(exist_ok=True)
    (root / results.PUBLICATION_FILE).write_text(f"min_cases: {minimum}\n", encoding="utf-8")
    lines, truth = ["fiscal_years:"], {}
    for n, counts in enumerate(tables):
        year = 2021 + n
        by_status = ", ".join(f"{k}: {v}" for k, v in counts.items())
        lines.append(f"  - {{fiscal_year: {year}, cases: {sum(counts.values())}, by_status: {{{by_status}}}, "
                     f"assessed: 1000000, collected: 100000, written_off: 0}}")
        truth[wareki.fiscal_year_label(year)] = counts
    (root / "ledger" / "aggregates.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return truth


def assert_nothing_derivable(root: Path, tables: list[dict[str, int]], minimum: int) -> None:
    truth = write_aggregates(root, tables, minimum)
    for insider in (False, True):
        for year in read_published(root, truth, minimum, insider):
            assert not pinned(year), (year, "insider" if insider else "reader")


STATUSES = ("督促中", "交渉中", "分納中", "完済", "休止")

ADVERSARIAL = [
    {"督促中": 8, "交渉中": 4, "分納中": 4},           # the issue's example: 件数 16, 督促中 8, two hidden that were both 4
    {"督促中": 6, "分納中": 4, "完済": 2},
    {"督促中": 1, "分納中": 5, "完済": 5},             # every count at the least it can be: the 件数 goes
    {"督促中": 1, "分納中": 1, "完済": 5},
    {"督促中": 4, "分納中": 4},                        # every small count at the most it can be
    {"督促中": 4, "分納中": 4, "完済": 4, "休止": 0},
    {"督促中": 1, "分納中": 1, "完済": 1, "交渉中": 1, "休止": 1},
    {"督促中": 1, "分納中": 9},
    {"督促中": 2, "分納中": 5, "完済": 0},
    {"督促中": 3, "分納中": 1, "完済": 0, "交渉中": 12},
    {"督促中": 4, "分納中": 1},                        # 件数 5, both small
    {"督促中": 2, "分納中": 2},                        # 件数 4: the whole year is hidden
    {"督促中": 0, "分納中": 0},
]


def test_the_issues_example_is_solved_by_the_reader_of_the_old_page() -> None:
    """The solver does what the issue did: with 督促中 8 shown, 件数 16 and two hidden counts below 5, both are 4."""
    old = Year("令和3年度", 16, {"督促中": 8, "交渉中": Unknown("交渉中", 1, 4), "分納中": Unknown("分納中", 1, 4)})
    assert solve(old) == {"交渉中": (4, 4), "分納中": (4, 4)}


def test_the_issues_example_is_hidden_further_now() -> None:
    assert results.status_counts({"督促中": 8, "交渉中": 4, "分納中": 4}, 5) == {
        "督促中": HIDDEN, "交渉中": HIDDEN, "分納中": HIDDEN}
    assert results.suppression({"督促中": 1, "分納中": 5, "完済": 5}, 5) == ({"督促中"}, True)


@pytest.mark.parametrize("minimum", [3, 5])
def test_adversarial_tables(tmp_path: Path, minimum: int) -> None:
    scaled = [{k: v if v < 5 else v - 5 + minimum for k, v in t.items()} for t in ADVERSARIAL]  # same shapes
    assert_nothing_derivable(tmp_path, scaled, minimum)


@pytest.mark.parametrize("seed", range(6))
def test_random_tables(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    minimum = rng.choice([3, 4, 5, 6])
    tables = []
    for _ in range(8):
        statuses = rng.sample(STATUSES, rng.randint(2, len(STATUSES)))
        tables.append({s: rng.choice([0, *range(1, minimum), *range(1, minimum), *range(minimum, 3 * minimum)])
                       for s in statuses})
    assert_nothing_derivable(tmp_path, tables, minimum)


@pytest.mark.parametrize("minimum,values", [(3, range(0, 7)), (5, (0, 1, 2, 3, 4, 5, 6, 9))])
def test_every_row_of_three_counts(minimum: int, values: range | tuple[int, ...]) -> None:
    """Every row of three counts from `values`, as a year with its 件数 (no file: suppression alone)."""
    for combo in itertools.product(values, repeat=3):
        counts = dict(zip(("a", "b", "c"), combo))
        total = sum(combo)
        if total < minimum:
            continue  # the whole year is hidden
        hidden, total_hidden = results.suppression(counts, minimum)
        for insider in (False, True):
            cells: dict[str, int | Unknown] = {}
            for k, v in counts.items():
                if k not in hidden:
                    cells[k] = v
                elif insider:
                    cells[k] = Unknown(k, *((1, minimum - 1) if v < minimum else (minimum, INF)))
                else:
                    cells[k] = Unknown(k, 1, INF)
            year = Year("row", Unknown("件数", minimum, INF) if total_hidden else total, cells)
            assert not [n for n, (lo, hi) in solve(year).items() if lo == hi], (counts, hidden, total_hidden, insider)


def test_the_site_page_and_the_council_export_print_the_same_cells(tmp_path: Path) -> None:
    write_aggregates(tmp_path, [{"督促中": 8, "交渉中": 4, "分納中": 4}, {"督促中": 1, "分納中": 5, "完済": 5}], 5)
    page = pages.results_page(tmp_path)
    assert "| 令和3年度 | 16件 |" in page and "| 令和3年度 | （秘匿） | （秘匿） | 0件 | （秘匿） |" in page
    assert "| 令和4年度 | （秘匿） | 1,000,000円 |" in page           # the 件数 of 1 + 5 + 5 goes instead
    assert not [cell for cell in ("| 8件 |", "| 4件 |", "| 1件 |", "| 11件 |") if cell in page]
    assert "ほかの区分も（秘匿）" in page and "件数だけを（秘匿）" in page
    text = council.to_markdown(council.results_blocks(tmp_path))
    assert "件数: 16件" in text and "件数: （秘匿）" in text and "11件" not in text
