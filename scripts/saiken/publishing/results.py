"""Published results (実績): aggregates from ledger/aggregates.yaml with small-count suppression.

A handler computes the aggregates from the records (`saiken report aggregates --write`,
saiken.ledger.aggregates) and commits them to ledger/ (no personal data);
the site and the council export only read them, so neither ever needs an identity. Any figure that
comes from fewer cases than policies/publication.yaml's `min_cases` (default 5) is suppressed: with
3–4 debtors a year, an amount or a status count would point at a person.

Complementary (secondary) suppression, as statistical offices do it: a year's status counts add up
to its published 件数, so hiding only the small counts (primary suppression) can let a reader work
them out – 件数 16, 督促中 8 and two hidden counts below 5 must both be 4. `suppression` hides more
counts, smallest first, until no hidden count is pinned down by the published figures, even for a
reader who knows which hidden counts are the small ones (1〜min_cases-1) and which are the others
(min_cases or more): see `protected`. When no choice of counts protects them (every count at the
least it could be), the year's 件数 is hidden instead. Zero counts are shown: a zero points at no one.

ledger/aggregates.yaml:

    fiscal_years:
      - fiscal_year: 2021        # 年度（始まる年）
        cases: 12                # 対象件数
        by_status: {督促中: 5, 分納中: 5, 完済: 2}
        assessed: 3600000        # 調定額（円）
        collected: 420000        # 収入済額
        written_off: 0           # 不納欠損額
        as_of: 2022-03-31        # 集計した日（処理状況はこの日のもの）
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saiken import wareki
from saiken.core import policy
from saiken.errors import SaikenError
from saiken.ledger.aggregates import load_years

PUBLICATION_FILE = "policies/publication.yaml"
SUPPRESSED = "（秘匿）"
DEFAULTS = {"min_cases": 5, "baseline_recovery_rate": 0.08}


@dataclass
class Table:
    rows: list[list[str]]          # header first
    note: str


def settings(root: Path) -> dict[str, Any]:
    data = policy.load_yaml(root, PUBLICATION_FILE, {}) or {}
    merged = {**DEFAULTS, **{k: v for k, v in data.items() if k in DEFAULTS}}
    if isinstance(merged["min_cases"], bool) or not isinstance(merged["min_cases"], int) or merged["min_cases"] < 1:
        raise SaikenError(f"min_cases は 1 以上の整数です（{merged['min_cases']}）。", where=PUBLICATION_FILE)
    rate = merged["baseline_recovery_rate"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise SaikenError(f"baseline_recovery_rate は 0 から 1 までの小数です（8 % なら 0.08。今は {rate}）。",
                          where=PUBLICATION_FILE)
    return merged


def rate(year: dict[str, Any]) -> float | None:
    assessed = year.get("assessed") or 0
    return (year.get("collected") or 0) / assessed if assessed else None


def shown(year: dict[str, Any], minimum: int) -> bool:
    return year["cases"] >= minimum


def protected(small: list[int], others: list[int], minimum: int) -> bool:
    """Whether hidden counts whose sum a reader knows (the total less the shown counts) leave each of
    them more than one possible value, when the reader also knows which are small (1..minimum-1) and
    which are not (minimum or more). A hidden count is pinned exactly when every hidden count is at
    its least (all small ones 1, all others `minimum`), or – with only small ones hidden – at its most
    (all minimum-1), or when it is hidden alone. (With minimum 2 a small count is 1 whatever is hidden.)"""
    hidden = sum(small) + sum(others)
    least = len(small) + minimum * len(others)
    if others:
        return hidden > least
    return len(small) >= 2 and least < hidden < len(small) * (minimum - 1)


def suppression(counts: dict[str, int], minimum: int) -> tuple[set[str], bool]:
    """The counts to hide in a year whose total is published, and whether the total must be hidden
    too: the small counts (primary), then the smallest others (secondary) until `protected`; if even
    hiding every non-zero count leaves one pinned, only the small ones are hidden, with the total."""
    small = {k for k, v in counts.items() if 0 < v < minimum}
    if not small:
        return set(), False
    candidates = sorted((v, k) for k, v in counts.items() if k not in small and v > 0)
    others: set[str] = set()
    while not protected([counts[k] for k in small], [counts[k] for k in others], minimum):
        if not candidates:
            return small, True
        others.add(candidates.pop(0)[1])
    return small | others, False


def status_counts(counts: dict[str, int], minimum: int) -> dict[str, str]:
    """Counts as text, with `suppression` applied."""
    hidden, _ = suppression(counts, minimum)
    return {k: (SUPPRESSED if k in hidden else f"{v}件") for k, v in counts.items()}


def _counts(year: dict[str, Any], statuses: list[str] | None = None) -> dict[str, int]:
    by_status = year.get("by_status") or {}
    return {k: int(by_status.get(k, 0)) for k in (sorted(by_status) if statuses is None else statuses)}


def total_shown(year: dict[str, Any], minimum: int) -> bool:
    """The year's 件数 is published: enough cases, and its status counts can be protected with it."""
    return shown(year, minimum) and not suppression(_counts(year), minimum)[1]


def _money(year: dict[str, Any], key: str, ok: bool) -> str:
    if not ok:
        return SUPPRESSED
    return f"{int(year.get(key) or 0):,}円"


def table(root: Path) -> Table | None:
    years = load_years(root)
    if years is None:
        return None
    s = settings(root)
    minimum, baseline = s["min_cases"], s["baseline_recovery_rate"]
    rows = [["年度", "件数", "調定額", "収入済額", "収入未済額", "不納欠損額", "収入率"]]
    for y in years:
        ok = shown(y, minimum)
        outstanding = (y.get("assessed") or 0) - (y.get("collected") or 0) - (y.get("written_off") or 0)
        r = rate(y)
        count = (f"{y['cases']}件" if total_shown(y, minimum) else SUPPRESSED) if ok else f"{minimum}件未満"
        rows.append([wareki.fiscal_year_label(y["fiscal_year"]), count,
                     _money(y, "assessed", ok), _money(y, "collected", ok),
                     f"{outstanding:,}円" if ok else SUPPRESSED, _money(y, "written_off", ok),
                     (f"{r:.1%}" if r is not None else "－") if ok else SUPPRESSED])
    note = (f"{minimum}件未満の集計から出る数字は、個人が特定されないよう{SUPPRESSED}としています"
            f"（状況別の件数を逆算されないよう、件数だけを{SUPPRESSED}とする年度もあります）。"
            f"比較の基準: 委託前の滞納繰越債権の年間平均回収率 {baseline:.0%}程度。")
    return Table(rows, note)


def status_table(root: Path) -> Table | None:
    years = load_years(root)
    if years is None:
        return None
    minimum = settings(root)["min_cases"]
    statuses = sorted({k for y in years for k in (y.get("by_status") or {})})
    rows = [["年度", *statuses]]
    for y in years:
        text = status_counts(_counts(y, statuses), minimum) if shown(y, minimum) else {k: SUPPRESSED for k in statuses}
        rows.append([wareki.fiscal_year_label(y["fiscal_year"]), *(text[k] for k in statuses)])
    dated = [f"{wareki.fiscal_year_label(y['fiscal_year'])}は{wareki.wareki(y['as_of'])}" for y in years
             if isinstance(y.get("as_of"), dt.date)]
    when = f"処理状況は集計した日のものです（{'、'.join(dated)}）。" if dated else ""
    return Table(rows, f"1〜{minimum - 1}件の区分は{SUPPRESSED}とし、年度の件数から逆算されないよう、ほかの区分も"
                       f"{SUPPRESSED}とすることがあります。{when}")


def chart_svg(root: Path) -> str | None:
    """Recovery rate per fiscal year against the baseline, as a small self-contained SVG."""
    years = load_years(root)
    if years is None:
        return None
    s = settings(root)
    points = [(wareki.fiscal_year_label(y["fiscal_year"]), rate(y)) for y in years if shown(y, s["min_cases"])]
    points = [(label, r) for label, r in points if r is not None]
    top = max([s["baseline_recovery_rate"] * 2, *(r for _, r in points)], default=0.2)
    width, height, left, bottom = 120 * max(len(points), 1) + 80, 260, 60, 220

    def y_of(v: float) -> float:
        return bottom - v / top * 180

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="年度別の収入率">', f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" '
             f'y2="{bottom}" stroke="#333"/>']
    for i, (label, r) in enumerate(points):
        x = left + 20 + i * 120
        parts.append(f'<rect x="{x}" y="{y_of(r):.1f}" width="60" height="{bottom - y_of(r):.1f}" fill="#3f6ec6"/>')
        parts.append(f'<text x="{x + 30}" y="{y_of(r) - 6:.1f}" font-size="13" text-anchor="middle">{r:.1%}</text>')
        parts.append(f'<text x="{x + 30}" y="{bottom + 18}" font-size="13" text-anchor="middle">{label}</text>')
    base = y_of(s["baseline_recovery_rate"])
    parts.append(f'<line x1="{left}" y1="{base:.1f}" x2="{width - 10}" y2="{base:.1f}" stroke="#c0392b" '
                 f'stroke-dasharray="6 4"/>')
    parts.append(f'<text x="{left - 4}" y="{base + 4:.1f}" font-size="12" text-anchor="end" fill="#c0392b">'
                 f'{s["baseline_recovery_rate"]:.0%}</text>')
    if not points:
        parts.append(f'<text x="{left + 10}" y="{bottom - 90}" font-size="13">表示できる年度がありません'
                     f'（{s["min_cases"]}件未満）</text>')
    return "\n".join(parts + ["</svg>"]) + "\n"
