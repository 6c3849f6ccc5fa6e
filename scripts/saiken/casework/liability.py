"""Who owes what: every liable person's part of each installment, after the payments, and when it
fell due.

The principal debtor is the borrower – or, once the borrower has died, each heir who inherited,
for the share (民法896条・899条: a money debt is divided by law among the heirs). A joint
guarantor answers for every principal debtor's part; the heirs of a deceased guarantor for their
share of it. So the lines of a guarantor come per principal debtor (`principal`), and the
limitation engine pairs each with the principal's own line.

The installments are the loan's, or – while a signed 分納 agreement is in force – the agreement's
own, with what it did not take in carried apart (casework.plan; the limitation engine decides the
plan and passes it in).

Payments (claim.payments, `party` = who paid, absent = the borrower):

- up to the borrower's death, every payment goes to costs, damages and principal in the order of
  民法489条 (allocation.compute, when the damages policy is given; otherwise to the oldest
  installment's principal first);
- after it, what was unpaid at death is split by share (heirs.split), an heir's payment goes to the
  oldest unpaid part of the heir's own share, and a payment by anyone else (a guarantor, or one that
  names no payer) is split by share across the heirs' parts; what exceeds an heir's share goes to the
  others' parts.

An acceleration (期限の利益喪失, acceleration.find) brings every installment not yet due forward
to the day of the loss: `due` is that day and `start`, the day the limitation period counts from,
is acceleration.count_from. Damages (`damages`: what is unpaid of them on as_of) run from the day
after `due`; after the borrower's death they are worked out on the whole debt and split by share –
an approximation the notes say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from saiken.casework import acceleration, allocation, damages, heirs, installments, plan
from saiken.errors import SaikenError

GUARANTOR_ROLES = ("guarantor", "heir")


@dataclass(frozen=True)
class Line:
    party: str
    installment: installments.Installment
    amount: int                 # this party's part of the installment
    unpaid: int
    due: dt.date                # when it fell (falls) due for this party
    start: dt.date              # the day its limitation period counts from
    principal: str              # whose principal debt this is (the party itself for a principal debtor)
    share: Fraction = Fraction(1)
    settled_on: dt.date | None = None
    damages: int = 0            # 遅延損害金 unpaid on as_of for this part (民法419条; 0 without the policy)
    acknowledged: tuple[int, int] = (0, 0)  # of `unpaid`: costs and damages an agreement acknowledged

    def overdue(self, as_of: dt.date) -> bool:
        return self.unpaid > 0 and self.due < as_of


@dataclass
class Liability:
    as_of: dt.date
    borrower: str
    principals: list[str]                      # who owes the principal debt
    lines: dict[str, list[Line]]               # per liable party
    acceleration: acceleration.Acceleration | None
    notes: list[str] = field(default_factory=list)
    allocation: allocation.Position | None = None  # the payments under 民法489条 on the whole debt
    plan: plan.Plan = field(default_factory=plan.Plan)  # whose installments: the loan's or an agreement's
    position: allocation.Position | None = None  # the payments on the whole debt, with or without the policy

    def of(self, party: str) -> list[Line]:
        return self.lines.get(party, [])


def parties_by_id(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(p["id"]): p for p in record.get("parties") or [] if isinstance(p, dict) and p.get("id")}


def borrower_id(record: dict[str, Any]) -> str:
    found = next((pid for pid, p in parties_by_id(record).items() if p.get("role") == "borrower"), None)
    if found is None:
        raise SaikenError("借受人（role: borrower）がいません。", where="parties")
    return found


def payments(record: dict[str, Any], as_of: dt.date | None = None) -> list[tuple[dt.date, int, str | None]]:
    """(date, amount, payer or None for the borrower), oldest first, up to `as_of`."""
    rows = [(p["date"], int(p["amount"]), p.get("party")) for p in (record.get("claim") or {}).get("payments") or []]
    return sorted((r for r in rows if as_of is None or r[0] <= as_of), key=lambda r: (r[0], r[1], r[2] or ""))


def _dates(inst: installments.Installment, acc: acceleration.Acceleration | None) -> tuple[dt.date, dt.date]:
    if acc is not None and acc.applies_to(inst.due):
        return acc.day, acc.count_from
    return inst.due, inst.due


class _Shares:
    """The heirs' parts of each installment and what is left unpaid of each, while payments apply."""

    def __init__(self, standing: list[installments.Standing], successors: list[heirs.Heir],
                 carried: set[installments.Installment]) -> None:
        self.shares = [(h.id, h.share) for h in successors]
        self.payable = [s.installment not in carried for s in standing]  # carried lines take no payment
        self.amount = {h.id: [0] * len(standing) for h in successors}
        self.left = {h.id: [0] * len(standing) for h in successors}
        self.settled: dict[str, list[dt.date | None]] = {h.id: [None] * len(standing) for h in successors}
        for i, s in enumerate(standing):
            for pid, part in heirs.split(s.installment.amount, self.shares).items():
                self.amount[pid][i] = part
            for pid, part in heirs.split(s.unpaid, self.shares).items():
                self.left[pid][i] = part

    def pay(self, pid: str, amount: int, day: dt.date) -> int:
        """Apply to pid's oldest unpaid parts; return what is left over."""
        left = self.left[pid]
        for i, owed in enumerate(left):
            if amount <= 0:
                break
            if not self.payable[i]:
                continue
            take = min(owed, amount)
            left[i] -= take
            amount -= take
            if take and left[i] == 0:
                self.settled[pid][i] = day
        return amount

    def spread(self, amount: int, day: dt.date, first: str | None = None) -> int:
        """Apply to `first`'s parts, then split what is left by share across everyone's parts."""
        if first is not None:
            amount = self.pay(first, amount, day)
        for _ in range(len(self.shares) + 1):  # an overflow passes to the others, a few rounds at most
            if amount <= 0:
                break
            over = 0
            for pid, part in heirs.split(amount, self.shares).items():
                over += self.pay(pid, part, day)
            if over == amount:
                break
            amount = over
        return amount


def _position(record: dict[str, Any], as_of: dt.date, acc: acceleration.Acceleration | None,
              rates: damages.Policy | None, terms: plan.Plan) -> allocation.Position:
    """The payments up to `as_of` on the plan's installments (489条 with the damages policy; without
    it, to principal only)."""
    return allocation.compute(record, rates, as_of, start=lambda i: _dates(i, acc)[0],
                              terms=terms.terms(record, as_of, with_costs=rates is not None))


def _principal_lines(record: dict[str, Any], borrower: dict[str, Any], as_of: dt.date,
                     acc: acceleration.Acceleration | None, notes: list[str],
                     rates: damages.Policy | None, position: allocation.Position,
                     terms: plan.Plan) -> dict[str, list[Line]]:
    paid = payments(record, as_of)
    died = heirs.died_on(borrower, as_of)
    successors = heirs.successors(record, str(borrower["id"])) if died else []
    if not successors:
        pid = str(borrower["id"])
        return {pid: [Line(pid, x.installment, x.installment.amount, x.principal_unpaid, *_dates(x.installment, acc),
                           pid, settled_on=x.settled_on, damages=x.damages_unpaid if rates else 0,
                           acknowledged=_acknowledged(x))
                      for x in position.lines]}
    assert died is not None
    standing = _position(record, died, acc, rates, terms).standings()
    carried = {x.installment for x in terms.taken.carried} if terms.taken else set()
    shares = _Shares(standing, successors, carried)
    mine = {h.id for h in successors}
    for day, amount, payer in (p for p in paid if p[0] > died):
        if payer is None:
            notes.append(f"借受人の死亡（{died.isoformat()}）後の入金 {day.isoformat()} 金{amount:,}円に入金者（party）が"
                         "ありません。相続人の相続分に按分して充当し、承認としては扱っていません。")
        if shares.spread(amount, day, payer if payer in mine else None):
            notes.append(f"{day.isoformat()} の入金が相続人の承継した債務を超えています。")
    if rates is not None:
        notes.append(f"借受人の死亡（{died.isoformat()}）後の遅延損害金は、債務全体で計算して相続分で按分しています"
                     "（相続人ごとの入金の充当は元金だけ。弁護士の確認が必要です）。")
    split_with = [(h.id, h.share) for h in successors]
    whole = {x.installment: x for x in position.lines}
    out: dict[str, list[Line]] = {}
    for h in successors:
        lines = []
        for i, s in enumerate(standing):
            x = whole[s.installment]
            left = shares.left[h.id][i]
            dmg = heirs.split(x.damages_unpaid if rates else 0, split_with)[h.id]
            costs, acknowledged, _ = x.unpaid_parts()
            part = (min(heirs.split(costs, split_with)[h.id], left),
                    min(heirs.split(acknowledged, split_with)[h.id], left))
            lines.append(Line(h.id, s.installment, shares.amount[h.id][i], left, *_dates(s.installment, acc), h.id,
                              h.share, shares.settled[h.id][i] or (s.settled_on if left == 0 else None), dmg,
                              (part[0], min(part[1], left - part[0]))))
        out[h.id] = lines
    return out


def _acknowledged(x: allocation.Line) -> tuple[int, int]:
    costs, damages_part, _ = x.unpaid_parts()
    return costs, damages_part


def _guarantor_lines(pid: str, principal: dict[str, list[Line]], share: Fraction = Fraction(1),
                     split_with: list[tuple[str, Fraction]] | None = None) -> list[Line]:
    out = []
    for lines in principal.values():
        for line in lines:
            amount, unpaid = line.amount, line.unpaid
            if split_with:
                amount = heirs.split(amount, split_with)[pid]
                unpaid = heirs.split(unpaid, split_with)[pid]
            dmg = heirs.split(line.damages, split_with)[pid] if split_with else line.damages
            acknowledged = line.acknowledged
            if split_with:
                costs = min(heirs.split(acknowledged[0], split_with)[pid], unpaid)
                acknowledged = (costs, min(heirs.split(acknowledged[1], split_with)[pid], unpaid - costs))
            out.append(Line(pid, line.installment, amount, unpaid, line.due, line.start, line.principal, share,
                            line.settled_on if unpaid == 0 else None, dmg, acknowledged))
    return out


def assess(record: dict[str, Any], as_of: dt.date, rates: damages.Policy | None = None,
           terms: plan.Plan | None = None) -> Liability:
    """Every liable person's lines on `as_of`; with `rates` (policies/damages.yaml) the payments
    follow 民法489条 and each line carries its damages. `terms`: whose installments (the loan's by
    default; the limitation engine passes the agreement's in force)."""
    terms = terms or plan.Plan()
    parties = parties_by_id(record)
    bid = borrower_id(record)
    acc = acceleration.find(record, as_of)
    notes: list[str] = list(terms.notes)
    position = _position(record, as_of, acc, rates, terms)
    principal = _principal_lines(record, parties[bid], as_of, acc, notes, rates, position, terms)
    lines = dict(principal)
    for pid, p in parties.items():
        if p.get("role") != "guarantor":
            continue
        if heirs.died_on(p, as_of) is None:
            lines[pid] = _guarantor_lines(pid, principal)
            continue
        successors = heirs.successors(record, pid)
        split_with = [(h.id, h.share) for h in successors]
        for h in successors:
            lines[h.id] = _guarantor_lines(h.id, principal, h.share, split_with)
    return Liability(as_of, bid, list(principal), lines, acc, notes, position if rates else None, terms, position)


def owed(record: dict[str, Any], party: str, as_of: dt.date) -> list[Line]:
    """One party's lines (empty for a party who owes nothing: deceased, renounced …)."""
    return assess(record, as_of).of(party)
