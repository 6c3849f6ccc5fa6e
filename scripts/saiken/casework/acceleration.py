"""期限の利益喪失 (acceleration): the day the whole balance falls due.

Two ways, both data in the record:

- 当然喪失 – the latest signed agreement (agreements[]) carries its clause as data,
  `acceleration: {missed: 2}` for 「分割金の支払を2回以上怠ったときは、通知催告がなくても当然に
  期限の利益を失い」 (`consecutive: true` for 「引き続き2回以上」). An installment of the agreement
  is missed when the payments from the agreement's date up to its due date do not cover it
  (payments go to the oldest installment of the plan first, whoever paid). When the N-th miss
  happens – the end of that installment's due date D – the benefit of time is lost without notice:
  the whole remainder can be claimed from D+1. That moment is midnight, so the limitation period
  counts that day in (民法140条ただし書) and ends N years after D, as an installment due on D
  would: `count_from` is D.
- 請求喪失 – `claim.demanded_on`, the day the demand for the whole balance reached the debtor
  (the loan's terms, or an agreement whose clause says `on_demand: true`). The period counts from
  the next day (140条本文): `count_from` is the demand day itself.

A later signed agreement gives the time back (it reschedules what is owed), so a demand or a
loss under an earlier agreement before it no longer counts; the earliest loss that still counts
wins. An on_demand clause whose misses are reached is not a loss yet – `demandable` says from when
the ward may demand it, for the worklist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from saiken import wareki
from saiken.casework import installments

AUTOMATIC, ON_DEMAND = "当然喪失", "請求喪失"


@dataclass(frozen=True)
class Acceleration:
    day: dt.date         # the first day the whole remaining balance can be claimed
    count_from: dt.date  # the day the limitation period is counted from (see the module's text)
    kind: str            # 当然喪失 / 請求喪失
    basis: str           # what happened, for people
    article: str
    where: str           # the record field it comes from
    agreement: dict[str, Any] | None = None  # the agreement it operates under, if any
    missed: tuple[int, ...] = ()             # the agreement's installments missed, up to the loss

    def applies_to(self, due: dt.date) -> bool:
        """Whether an installment due on `due` was brought forward by this acceleration."""
        return due > self.count_from


def signed_agreements(record: dict[str, Any], as_of: dt.date) -> list[dict[str, Any]]:
    out = [a for a in record.get("agreements") or [] if a.get("signed") is True and a["date"] <= as_of]
    return sorted(out, key=lambda a: a["date"])


def latest_agreement(record: dict[str, Any], as_of: dt.date) -> dict[str, Any] | None:
    signed = signed_agreements(record, as_of)
    return signed[-1] if signed else None


def missed(agreement: dict[str, Any], paid: list[tuple[dt.date, int]], as_of: dt.date) -> list[installments.Installment]:
    """The agreement's installments not fully paid by the end of their due date (due before as_of)."""
    plan = installments.agreement_schedule(agreement)
    mine = [p for p in paid if p[0] > agreement["date"]]
    out = []
    for inst in plan:
        if inst.due >= as_of:
            break
        standing, _ = installments.allocate(plan[:inst.number], [p for p in mine if p[0] <= inst.due])
        if standing[-1].unpaid > 0:
            out.append(inst)
    return out


def _threshold(agreement: dict[str, Any], late: list[installments.Installment]) -> installments.Installment | None:
    """The miss that meets the clause (the N-th, or the N-th in a row), if any."""
    clause = agreement.get("acceleration") or {}
    need = int(clause.get("missed") or 0)
    if need < 1 or len(late) < need:
        return None
    if not clause.get("consecutive"):
        return late[need - 1]
    run = 1
    for prev, inst in zip(late, late[1:]):
        run = run + 1 if inst.number == prev.number + 1 else 1
        if run >= need:
            return inst
    return late[0] if need == 1 else None


def _under_agreement(agreement: dict[str, Any], paid: list[tuple[dt.date, int]],
                     as_of: dt.date) -> tuple[installments.Installment, list[installments.Installment]] | None:
    late = missed(agreement, paid, as_of)
    hit = _threshold(agreement, late)
    return (hit, late[:late.index(hit) + 1]) if hit else None


def _basis(agreement: dict[str, Any], late: list[installments.Installment]) -> str:
    clause = agreement.get("acceleration") or {}
    times = f"{'引き続き' if clause.get('consecutive') else ''}{clause.get('missed')}回以上"
    shown = "・".join(f"第{i.number}回（{i.due.isoformat()}）" for i in late[-3:])
    return f"合意書（{agreement['date'].isoformat()}）の分割金の支払を{times}怠った（{shown}）"


def find(record: dict[str, Any], as_of: dt.date) -> Acceleration | None:
    """The acceleration in force on `as_of`, if any."""
    agreement = latest_agreement(record, as_of)
    found: list[Acceleration] = []
    paid = installments.payments(record, as_of)
    if agreement is not None and not (agreement.get("acceleration") or {}).get("on_demand"):
        hit = _under_agreement(agreement, paid, as_of)
        if hit is not None:
            due = hit[0].due
            found.append(Acceleration(due + dt.timedelta(days=1), due, AUTOMATIC, _basis(agreement, hit[1]),
                                      "合意書の期限の利益喪失条項（当然喪失）", "agreements", agreement,
                                      tuple(i.number for i in hit[1])))
    demanded = (record.get("claim") or {}).get("demanded_on")
    if isinstance(demanded, dt.date) and demanded <= as_of and (agreement is None or agreement["date"] <= demanded):
        found.append(Acceleration(demanded, demanded, ON_DEMAND, "残額一括の請求（期限の利益喪失の請求）",
                                  "期限の利益喪失の請求", "claim.demanded_on", agreement))
    return min(found, key=lambda a: a.day) if found else None


def demandable(record: dict[str, Any], as_of: dt.date) -> tuple[dt.date, str] | None:
    """(from when, why) the ward may demand the whole balance under an on_demand clause not yet used."""
    agreement = latest_agreement(record, as_of)
    if agreement is None or not (agreement.get("acceleration") or {}).get("on_demand") or find(record, as_of):
        return None
    hit = _under_agreement(agreement, installments.payments(record, as_of), as_of)
    if hit is None:
        return None
    return hit[0].due + dt.timedelta(days=1), _basis(agreement, hit[1])


def remaining(record: dict[str, Any], acc: Acceleration, on: dt.date) -> int:
    """What is due in one sum on `on`: the agreement's total less what was paid since it, or the
    loan's balance."""
    paid = installments.payments(record, on)
    if acc.agreement is not None:
        since = sum(a for d, a in paid if d > acc.agreement["date"])
        return max(int(acc.agreement["total"]) - since, 0)
    return max(int((record.get("claim") or {}).get("principal") or 0) - sum(a for _, a in paid), 0)


def describe(acc: Acceleration) -> str:
    """One line for people: 令和8年7月28日 当然喪失（…）."""
    return f"{wareki.wareki(acc.day)}（{acc.day.isoformat()}）期限の利益喪失（{acc.kind}）: {acc.basis}"
