"""分納の合意（履行延期の特約）: which installments the debt is made of on a date.

Until a signed agreement is in force the debt is the loan's installments. From the date of a
signed agreement (agreements[] with signed: true – the latest on or before the day looked at; a
later one supersedes an earlier) its own installments (installments.agreement_schedule) replace
every installment it took in: 地方自治法施行令171条の6 履行延期の特約, the due dates deferred, and
an 承認 (民法152条). What that means, as `Terms` for the allocation (allocation.py):

- It took in what was owed on its date and not time-barred, invoked or discharged (the deed's
  total, documents.agreement). What it did not take in stays as it was (`carried`: the lines as the
  allocation had them that day, still accruing), never paid by a later payment, never demanded.
  The limitation engine works that out: `before` is the record as it stood without the agreement.
- Payments after its date go to its installments; a payment on its date is in the total the deed
  acknowledges "as of" that date. Costs after its date are new costs (paid first, 489条).
- Each of its installments holds, at its front, the costs and then the damages the agreement
  acknowledged (`allocation.Parts`, in the order payments fill them under 489条: the first
  installments pay the costs and damages, the rest the principal). Damages for a late installment
  run only on its principal part (the deed's 「このうち元金に対する」; no damages on damages, 民法405条),
  from the day after its own due date – or after the day the benefit of time was lost – at the
  rate policies/damages.yaml gives for a default beginning the day after the agreement's date
  (`rate_from`; 要確認: see that file).

Not modelled (the loan's schedule is used, and `notes` says so): an agreement the borrower is not
a party to (a guarantor's own plan), and one made after the borrower's death (with the heirs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from saiken.casework import acceleration, allocation, installments

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Taken:
    """What an agreement took in on its date, by nature, and the lines it left out."""

    principal: int
    damages: int
    costs: int
    carried: tuple[allocation.Line, ...] = ()


@dataclass(frozen=True)
class Plan:
    agreement: dict[str, Any] | None = None  # None: the loan's own installments
    taken: Taken | None = None
    notes: tuple[str, ...] = ()

    @property
    def since(self) -> dt.date | None:
        return self.agreement["date"] if self.agreement else None

    def terms(self, record: dict[str, Any], as_of: dt.date, *, with_costs: bool) -> allocation.Terms:
        """What the allocation works on, up to `as_of`."""
        if self.agreement is None or self.taken is None:
            return allocation.loan_terms(record, as_of, with_costs=with_costs)
        made = self.agreement["date"]
        schedule = installments.agreement_schedule(self.agreement)
        paid = [p for p in installments.payments(record, as_of) if p[0] > made]
        costs = [c for c in allocation.costs_of(record, as_of) if c.day > made] if with_costs else []
        return allocation.Terms(schedule, paid, costs, parts(schedule, self.agreement, self.taken), made + ONE_DAY,
                                self.taken.carried)


def _ordered(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The agreements in the order they were made (the record's order within one day)."""
    return sorted(record.get("agreements") or [], key=lambda a: a["date"])


def _not_modelled(record: dict[str, Any], agreement: dict[str, Any]) -> str | None:
    borrower = next((p for p in record.get("parties") or [] if p.get("role") == "borrower"), {})
    made, died = agreement["date"], borrower.get("deceased_on")
    if isinstance(died, dt.date) and died <= made:
        return "借受人の死亡後の合意書（相続人との分納）"
    signed_by = agreement.get("parties")
    if signed_by and borrower.get("id") not in signed_by:
        return "借受人が当事者でない合意書（保証人などとの分納）"
    return None


def in_force(record: dict[str, Any], as_of: dt.date) -> tuple[dict[str, Any] | None, list[str]]:
    """The signed agreement whose plan the debt follows on `as_of`, or None; notes on one not modelled."""
    agreement = acceleration.latest_agreement(record, as_of)
    if agreement is None:
        return None, []
    why = _not_modelled(record, agreement)
    if why is None:
        return agreement, []
    return None, [f"{why}（{agreement['date'].isoformat()}）の分割計画は計算に入れていません。金額は貸付の弁済期で"
                  "計算しています。合意どおりの入金があるかを確かめ、請求するかどうかは弁護士が判断してください。"]


def before(record: dict[str, Any], agreement: dict[str, Any]) -> dict[str, Any]:
    """The record as it stood when `agreement` was made: without it and without any made after it."""
    ordered = _ordered(record)
    earlier = ordered[:next(n for n, a in enumerate(ordered) if a is agreement)]
    return {**record, "agreements": earlier}


def under(agreement: dict[str, Any], taken: Taken) -> Plan:
    """The plan of `agreement`, given what it took in; a note when its total is not what was owed."""
    owed = taken.principal + taken.damages + taken.costs
    notes: tuple[str, ...] = ()
    if int(agreement["total"]) != owed:
        costs, damages = _front(int(agreement["total"]), taken)
        notes = (f"合意書（{agreement['date'].isoformat()}）の総額 金{int(agreement['total']):,}円は、合意日現在の債務"
                 f"（元金 金{taken.principal:,}円、遅延損害金 金{taken.damages:,}円、費用 金{taken.costs:,}円、"
                 f"合計 金{owed:,}円）と一致しません。合意書の総額で計算し、そのうち元金を"
                 f"金{int(agreement['total']) - costs - damages:,}円として遅延損害金を計算しています"
                 "（合意書の内容を確かめてください）。",)
    return Plan(agreement, taken, notes)


def _front(total: int, taken: Taken) -> tuple[int, int]:
    """(costs, damages) of `total`: what the principal leaves of them; anything beyond what was
    owed counts as principal."""
    principal = min(taken.principal, total)
    costs = min(taken.costs, total - principal)
    return costs, min(taken.damages, total - principal - costs)


def parts(schedule: list[installments.Installment], agreement: dict[str, Any],
          taken: Taken) -> dict[installments.Installment, allocation.Parts]:
    """The acknowledged costs and damages at the front of the plan (see the module's text)."""
    costs, damages = _front(int(agreement["total"]), taken)
    out = {}
    for inst in schedule:
        c = min(costs, inst.amount)
        d = min(damages, inst.amount - c)
        costs, damages = costs - c, damages - d
        if c or d:
            out[inst] = allocation.Parts(c, d)
    return out
