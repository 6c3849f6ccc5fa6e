"""What the history closes: 時効援用 and 免責許可, applied to a limitation Report; and 不納欠損.

- 時効援用 by a person closes every installment whose limitation had completed for that person
  on the day it was invoked (民法145条): status 援用済み, never demanded again. When a principal
  debtor invoked it (the borrower, for the whole; an heir, for the share), the principal debt is
  gone and the guarantees of it go with it (保証債務の附従性); a guarantor's invocation closes only
  the guarantor's own lines. An installment not yet completed on that day stays open, with a note:
  invoking it early has no effect.
- 免責許可 (the discharge became final) marks the discharged person's open lines 免責: no longer
  demanded (破産法253条1項); a guarantor's lines stay open (同条2項), and the engine has already
  stopped a guarantor from leaning on the discharged debt's limitation.

不納欠損 (written off): what the ward can no longer collect because the principal debt was
extinguished by 援用 – the unpaid amount of each principal debtor's closed line, on the day it was
invoked. A guarantor's own 援用 or a discharge extinguishes nothing the ward could write off here
(the borrower still owes, or the guarantor still answers).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from saiken.casework import installments, situations
from saiken.casework.limitation.outcome import DISCHARGED, INVOKED, PAID, Outcome, Report
from saiken.casework.limitation.walk import Step


def _close(o: Outcome, day: dt.date, status: str, source: str, article: str) -> None:
    o.status, o.closed_on = status, day
    o.steps = [*o.steps, Step(day, status, source, article, o.expiry)]


def _discharge(report: Report, day: dt.date, pid: str) -> None:
    for o in report.outcomes:
        if o.party == pid and o.unpaid > 0 and o.status not in (PAID, INVOKED, DISCHARGED):
            _close(o, day, DISCHARGED, "免責許可の決定の確定", "破産法253条1項")


def _targets(report: Report, pid: str) -> list[Outcome]:
    debts = report.liability
    principals = debts.principals if debts else []
    if debts is not None and pid == debts.borrower and pid not in principals:
        # the borrower invoked it before dying: the heirs inherited a debt already extinguished
        return [o for o in report.outcomes if o.party in principals]
    return [o for o in report.outcomes if o.party == pid]


def _invoke(report: Report, day: dt.date, pid: str, where: str) -> None:
    closed, early = [], []
    for o in _targets(report, pid):
        if o.unpaid == 0 or o.status in (PAID, INVOKED):
            continue
        if o.expiry is not None and o.expiry < day:
            _close(o, day, INVOKED, f"{pid}の時効援用", "民法145条")
            closed.append(o)
        elif o.start <= day:
            early.append(o)
    gone = {(o.party, o.installment) for o in closed if o.party == o.principal}
    for g in report.outcomes:
        if g.party != g.principal and (g.principal, g.installment) in gone and g.status not in (PAID, INVOKED):
            _close(g, day, INVOKED, f"主たる債務者{g.principal}の時効援用による主たる債務の消滅", "保証債務の附従性")
    if early:
        shown = "、".join(installments.span(group) for group in installments.by_plan({o.installment for o in early}))
        report.warnings.append(f"{where}: {pid} の時効援用（{day.isoformat()}）の時点で時効が完成していない回があります"
                               f"（{shown}）。その回には援用の効力がありません（弁護士に確認してください）。")


def apply(record: dict[str, Any], report: Report) -> None:
    for day, pid, _ in situations.entries(record, situations.DISCHARGE, report.as_of):
        _discharge(report, day, pid)
    for day, pid, n in situations.entries(record, situations.INVOCATION, report.as_of):
        _invoke(report, day, pid, f"history[{n}]")


def written_off(report: Report) -> list[tuple[dt.date, int]]:
    """(day invoked, amount) extinguished by a principal debtor's 援用 – the 不納欠損 of that day."""
    by_day: dict[dt.date, int] = {}
    for o in report.outcomes:
        if o.status == INVOKED and o.party == o.principal and o.closed_on is not None:
            by_day[o.closed_on] = by_day.get(o.closed_on, 0) + o.unpaid
    return sorted(by_day.items())
