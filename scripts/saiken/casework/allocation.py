"""入金の充当: each payment applied as 民法489条 orders it, and the position after it.

A payment that does not clear everything goes first to 費用 (claim.costs incurred by then), then
to 遅延損害金, then to 元金 (489条1項); within each, the oldest first (489条2項 → 488条4項3号:
the installment that fell due first). Damages accrue per installment on its unpaid principal from
the day after it became claimable (its due date, or the day it fell due by acceleration – given by
the caller, the limitation engine, as `start`) to the day of payment, both days included; their
rate and counting are damages.py's. Principal beyond what is due pays the next installments early
(期限前弁済, 136条2項); anything beyond the whole debt is a surplus.

What is allocated is given as `Terms`: the loan's installments, payments and costs (`loan_terms`),
or a 分納 agreement's (casework.plan builds them): its installments, the payments and costs after
its date, what each installment holds of the costs and damages the agreement acknowledged
(`Parts`, paid before its principal part, which alone bears damages – 405条), the one rate for its
installments, and the lines from before it that it did not take in (time-barred: carried as they
were, accruing, never paid by a later payment).

Not modelled: a debtor's designation among installments (488条1項), an agreement on another order
(490条).
"""

from __future__ import annotations

import datetime as dt
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

from saiken.casework import damages, installments

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Parts:
    """What an agreement's installment holds of the costs and damages the agreement acknowledged, at
    its front: a payment fills costs, then damages, then the principal part (489条)."""

    costs: int = 0
    damages: int = 0


@dataclass
class Line:
    """One installment under 489条: its principal and damages, paid and unpaid. `principal_*` is the
    installment's own amount (for an agreement's installment: with the acknowledged parts in it)."""

    installment: installments.Installment
    start: dt.date       # claimable from (due date, or the acceleration date)
    rate: damages.Rate | None  # the rate in force on start + 1 day (None: not in default by as_of)
    principal_paid: int = 0
    settled_on: dt.date | None = None
    damages_paid: int = 0
    accrued: int = 0     # damages × rate.denominator, exact
    through: dt.date | None = None  # accrued up to and including this day
    parts: Parts = Parts()

    @property
    def principal_unpaid(self) -> int:
        return self.installment.amount - self.principal_paid

    def unpaid_parts(self) -> tuple[int, int, int]:
        """(costs, damages, principal) of what is unpaid of the installment's amount."""
        paid = self.principal_paid
        costs = max(self.parts.costs - paid, 0)
        paid = max(paid - self.parts.costs, 0)
        acknowledged = max(self.parts.damages - paid, 0)
        return costs, acknowledged, self.principal_unpaid - costs - acknowledged

    @property
    def bearing_unpaid(self) -> int:
        """The unpaid principal that bears damages (no damages on damages or costs, 民法405条)."""
        return self.unpaid_parts()[2]

    @property
    def damages_accrued(self) -> int:
        """Whole yen, rounded down (1円未満切捨て) per installment."""
        return self.accrued // self.rate.denominator if self.rate else 0

    @property
    def damages_unpaid(self) -> int:
        return self.damages_accrued - self.damages_paid

    def accrue_to(self, day: dt.date) -> None:
        """Damages on the unpaid principal for the days after `through` (or after start) up to `day`."""
        since = self.through or self.start
        bearing = self.bearing_unpaid
        if day > since and bearing > 0 and self.rate:
            self.accrued += self.rate.accrue(bearing, (day - since).days)
        self.through = max(day, since)


@dataclass
class Cost:
    day: dt.date
    amount: int
    note: str
    paid: int = 0

    @property
    def unpaid(self) -> int:
        return self.amount - self.paid


@dataclass(frozen=True)
class Row:
    """One payment: where it went, and what is left after it (as of its day)."""

    day: dt.date
    amount: int
    costs: int
    damages: int
    principal: int
    surplus: int
    costs_left: int
    damages_left: int
    principal_left: int


@dataclass
class Position:
    as_of: dt.date
    lines: list[Line]
    costs: list[Cost]
    rows: list[Row] = field(default_factory=list)
    surplus: int = 0
    index: dict[installments.Installment, Line] = field(default_factory=dict, repr=False)

    @property
    def principal_left(self) -> int:
        return sum(x.principal_unpaid for x in self.lines)

    @property
    def damages_left(self) -> int:
        return sum(x.damages_unpaid for x in self.lines)

    @property
    def costs_left(self) -> int:
        return sum(c.unpaid for c in self.costs)

    @property
    def total_left(self) -> int:
        return self.principal_left + self.damages_left + self.costs_left

    def standings(self) -> list[installments.Standing]:
        """What the limitation engine and the worklist read: principal paid per installment."""
        return [installments.Standing(x.installment, x.principal_paid, x.settled_on) for x in self.lines]

    def line(self, which: installments.Installment | int) -> Line:
        """The line of an installment, or by number (of the plan's own installments, not those carried)."""
        if isinstance(which, int):
            return next(x for x in reversed(self.lines) if x.installment.number == which)
        if len(self.index) != len(self.lines):
            self.index = {x.installment: x for x in self.lines}
        return self.index[which]


@dataclass(frozen=True)
class Terms:
    """What is allocated (see the module's text)."""

    schedule: list[installments.Installment]
    payments: list[tuple[dt.date, int]]
    costs: list[Cost]
    parts: dict[installments.Installment, Parts] = field(default_factory=dict)
    rate_from: dt.date | None = None   # one rate for every installment: a default beginning this day
    carried: tuple[Line, ...] = ()     # from before an agreement, outside it


def loan_terms(record: dict[str, Any], as_of: dt.date, *, with_costs: bool = True) -> Terms:
    """The loan's installments, with every payment and cost up to `as_of`."""
    return Terms(installments.schedule(record), installments.payments(record, as_of),
                 costs_of(record, as_of) if with_costs else [])


def costs_of(record: dict[str, Any], as_of: dt.date) -> list[Cost]:
    """claim.costs (費用 the debtor bears) incurred up to `as_of`, oldest first."""
    rows = [Cost(c["date"], int(c["amount"]), str(c.get("note") or ""))
            for c in (record.get("claim") or {}).get("costs") or []]
    return sorted((c for c in rows if c.day <= as_of), key=lambda c: c.day)


def _take(owed: int, left: int) -> int:
    return min(owed, left) if owed > 0 else 0


class _Allocator:
    def __init__(self, lines: list[Line], costs: list[Cost]) -> None:
        self.lines, self.costs = lines, costs
        self.first = 0  # installments before this one have no principal left (paid oldest first)
        self.principal_left = sum(x.installment.amount for x in lines)

    def in_default(self, day: dt.date) -> list[Line]:
        """Installments with principal left that are in default on `day` (the list is in start order)."""
        out = []
        for x in self.lines[self.first:]:
            if x.start >= day:
                break
            out.append(x)
        return out

    def accrue(self, day: dt.date) -> None:
        for x in self.in_default(day):
            x.accrue_to(day)

    def pay(self, day: dt.date, amount: int) -> Row:
        late = self.in_default(day)
        for x in late:
            x.accrue_to(day)
        left = amount
        to_costs = 0
        for c in self.costs:
            if c.day <= day:
                take = _take(c.unpaid, left)
                c.paid, left, to_costs = c.paid + take, left - take, to_costs + take
        to_damages = 0
        for x in late:  # those before self.first paid their damages with their principal
            take = _take(x.damages_unpaid, left)
            x.damages_paid, left, to_damages = x.damages_paid + take, left - take, to_damages + take
        to_principal = 0
        while left > 0 and self.first < len(self.lines):
            x = self.lines[self.first]
            take = _take(x.principal_unpaid, left)
            x.principal_paid, left, to_principal = x.principal_paid + take, left - take, to_principal + take
            if x.principal_unpaid == 0:
                x.settled_on = day
                self.first += 1
        self.principal_left -= to_principal
        return Row(day, amount, to_costs, to_damages, to_principal, left,
                   sum(c.unpaid for c in self.costs if c.day <= day),
                   sum(x.damages_unpaid for x in late), self.principal_left)


def compute(record: dict[str, Any], policy: damages.Policy | None, as_of: dt.date,
            start: Callable[[installments.Installment], dt.date] | None = None,
            terms: Terms | None = None) -> Position:
    """Every payment up to `as_of` applied under 489条; damages accrued up to `as_of` (included).
    `terms` default to the loan's; without a damages policy, payments go to principal only."""
    terms = terms or loan_terms(record, as_of, with_costs=policy is not None)
    lines = []
    for i in terms.schedule:
        begins = start(i) if start else i.due
        rate = None
        if policy is not None and begins < as_of:
            rate = policy.rate_for(terms.rate_from or begins + ONE_DAY)
        lines.append(Line(i, begins, rate, parts=terms.parts.get(i, Parts())))
    lines.sort(key=lambda x: (x.start, x.installment.number))
    allocator = _Allocator(lines, [dataclasses.replace(c) for c in terms.costs])
    carried = [dataclasses.replace(x) for x in terms.carried]
    position = Position(as_of, lines, allocator.costs)
    for day, amount in (p for p in terms.payments if p[0] <= as_of):
        row = allocator.pay(day, amount)
        position.rows.append(row)
        position.surplus += row.surplus
    allocator.accrue(as_of)
    for x in carried:
        x.accrue_to(as_of)
    lines.sort(key=lambda x: x.installment.number)
    position.lines = [*carried, *lines]
    return position


def rate_groups(lines: list[Line]) -> list[tuple[int, int, damages.Rate]]:
    """Consecutive installments (of `lines`, in number order) at one rate: (first, last, rate).
    Installments not in default (no rate yet) are left out."""
    out: list[tuple[int, int, damages.Rate]] = []
    last: installments.Installment | None = None
    for x in lines:
        if x.rate is None:
            continue
        n = x.installment.number
        # one group per rate as a letter states it: the statutory 3% of 2020-04 and of 2023-04 are
        # two periods of law but one figure (第4〜10回は年3パーセント, not three groups of 年3パーセント)
        if out and last and out[-1][2].percent == x.rate.percent and \
                (last.agreement, last.number) == (x.installment.agreement, n - 1):
            out[-1] = (out[-1][0], n, x.rate)
        else:
            out.append((n, n, x.rate))
        last = x.installment
    return out


def rates_text(lines: list[Line]) -> str:
    """第2〜48回は年5パーセント、第49〜62回は年3パーセント (one rate: 年3パーセント)."""
    groups = rate_groups(lines)
    if len({g[2].percent for g in groups}) <= 1:
        return groups[0][2].text if groups else ""
    return "、".join((f"第{a}回" if a == b else f"第{a}〜{b}回") + f"は{r.text}" for a, b, r in groups)
