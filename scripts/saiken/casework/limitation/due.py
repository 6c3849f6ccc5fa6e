"""What a person owes on a date and what of it may be demanded: the one answer the letters, the
worklist, `case list --overdue` and a new agreement's figures all read.

From the limitation engine's Report: its liability – per person, each installment's part (the
loan's, or a signed 分納 agreement's while it is in force: casework.plan), unpaid principal and
damages after the payments under 民法489条, and `due`, the day it fell due (its due date, or the
day the benefit of time was lost: casework.acceleration) – and, per person, each installment's
`status`. A part is due when it fell due before the date and something of it is unpaid; one whose
limitation has completed for the person is time-barred (`barred`: 完成, the debtor may invoke it,
民法145条; its damages go with it); what an invocation or a discharge closed is `closed`. Neither
is ever demanded: whether to demand a time-barred part anyway, after confirming that the debtor has
not invoked it, is the lawyer's decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from saiken.casework import allocation, installments, liability
from saiken.casework.limitation.outcome import DISCHARGED, EXPIRED, INVOKED, Outcome, Report

CLOSED_BY_LAW = (INVOKED, DISCHARGED)


@dataclass
class Owed:
    """What one person owes on `as_of`, split into what may be demanded and what is time-barred."""

    as_of: dt.date
    party: str
    due: list[liability.Line]         # fell due before as_of, unpaid, not time-barred
    later: list[liability.Line]       # not yet due (弁済期未到来), not time-barred
    barred: list[Outcome]             # time-barred for `party`, with something unpaid
    costs: int
    rates: str = ""                   # the damages rates of `due`, as a letter says them
    notes: list[str] = field(default_factory=list)
    closed: list[liability.Line] = field(default_factory=list)  # invoked or discharged

    @property
    def principal(self) -> int:
        return sum(x.unpaid for x in self.due)

    @property
    def damages(self) -> int:
        return sum(x.damages for x in self.due)

    @property
    def total(self) -> int:
        return self.principal + self.damages + self.costs

    @property
    def principal_balance(self) -> int:
        """元金残高 (under an agreement: what is left of its installments): every part not
        time-barred, due or not."""
        return self.principal + sum(x.unpaid for x in self.later)

    def by_nature(self) -> tuple[int, int, int]:
        """(元金, 遅延損害金, 費用) of everything not time-barred, due or not – the costs and damages an
        agreement acknowledged counted as what they are: what a new agreement takes in."""
        live = [*self.due, *self.later]
        costs = self.costs + sum(x.acknowledged[0] for x in live)
        damages = sum(x.damages + x.acknowledged[1] for x in live)
        return sum(x.unpaid - sum(x.acknowledged) for x in live), damages, costs


def owed(report: Report, party_id: str) -> Owed:
    """What `party_id` owes on report.as_of, from the engine's lines and outcomes."""
    debts, position = report.liability, report.allocation
    assert debts is not None
    lines = {(x.principal, x.installment): x for x in debts.of(party_id)}
    due, later, barred, closed = [], [], [], []
    for o in report.outcomes:
        x = lines.get((o.principal, o.installment)) if o.party == party_id else None
        if x is None or (x.unpaid == 0 and x.damages == 0):
            continue
        if o.status in CLOSED_BY_LAW:
            closed.append(x)
        elif o.status == EXPIRED:
            barred.append(o)
        elif x.due < report.as_of:
            due.append(x)
        else:
            later.append(x)
    share = next(iter(lines.values())).share if lines else 1
    costs = position.costs_left if position else 0
    shown = sorted({x.installment for x in due}, key=_order)
    rates = allocation.rates_text([position.line(i) for i in shown]) if position else ""
    return Owed(report.as_of, party_id, due, later, barred, int(costs * share), rates, closed=closed)


def _order(inst: installments.Installment) -> tuple[int, int]:
    return (0 if inst.agreement is None else 1, inst.number)


def of_principals(report: Report) -> list[Owed]:
    """What each principal debtor owes (the borrower, or each heir of a deceased borrower)."""
    assert report.liability is not None
    return [owed(report, pid) for pid in report.liability.principals]
