"""What a letter may demand, as of its date: 元金 and 遅延損害金 from the 489条 allocation, only for
installments that are claimable and not time-barred for the addressee.

The figures come from the limitation engine's public result (limitation.assess): its Report carries
the liability – per person, each installment's part, unpaid principal and damages after the
payments under 民法489条, and `due`, the day it fell due (its due date, or the day the benefit of
time was lost: casework.acceleration) – and, per person, each installment's `status`. A letter
demands a part when it fell due before the letter's date and something of it is unpaid, and leaves
out – with a warning for the lawyer, never in the letter – every part whose limitation has
completed for the addressee (完成: the debtor may invoke it, 民法145条; its damages go with it), as
well as what an invocation or a discharge closed. Whether to demand time-barred parts anyway, after
confirming that the debtor has not invoked it, is the lawyer's decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from saiken.casework import allocation, liability, limitation, statement
from saiken.core.policy import Policy
from saiken.errors import SaikenError
from saiken.wareki import wareki, yen

CLOSED_BY_LAW = (limitation.INVOKED, limitation.DISCHARGED)


@dataclass
class Owed:
    """What one person owes on `as_of`, split into what may be demanded and what is time-barred."""

    as_of: dt.date
    party: str
    due: list[liability.Line]         # fell due before as_of, unpaid, not time-barred
    later: list[liability.Line]       # not yet due (弁済期未到来), not time-barred
    barred: list[limitation.Outcome]  # time-barred for `party`, with something unpaid
    costs: int
    rates: str = ""                   # the damages rates of `due`, as a letter says them
    notes: list[str] = field(default_factory=list)

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
        """元金残高: every part not time-barred, due or not."""
        return self.principal + sum(x.unpaid for x in self.later)


def owed_on(record: dict[str, Any], policy: Policy, on: dt.date, party_id: str, what: str) -> Owed:
    """owed() as of `on`, with the notes for the lawyer: rates still 要確認, time-barred installments
    left out of `what` (the document), a signed agreement's plan not applied."""
    report, rates = statement.assess(record, policy, on)
    o = owed(report, party_id)
    o.notes = [*rates.notes(), *barred_warning(o, f"当事者 {party_id}", what), *agreement_warning(record, on, what)]
    return o


def owed(report: limitation.Report, party_id: str) -> Owed:
    """What `party_id` owes on report.as_of, from the engine's lines and outcomes."""
    debts, position = report.liability, report.allocation
    assert debts is not None and position is not None
    lines = {(x.principal, x.installment.number): x for x in debts.of(party_id)}
    due, later, barred = [], [], []
    for o in report.outcomes:
        x = lines.get((o.principal, o.installment.number)) if o.party == party_id else None
        if x is None or (x.unpaid == 0 and x.damages == 0) or o.status in CLOSED_BY_LAW:
            continue
        if o.status == limitation.EXPIRED:
            barred.append(o)
        elif x.due < report.as_of:
            due.append(x)
        else:
            later.append(x)
    share = next(iter(lines.values())).share if lines else 1
    numbers = sorted({x.installment.number for x in due})
    rates = allocation.rates_text([position.line(n) for n in numbers])
    return Owed(report.as_of, party_id, due, later, barred, int(position.costs_left * share), rates)


def agreement_warning(record: dict[str, Any], on: dt.date, what: str) -> list[str]:
    """The amounts follow the loan's due dates; a signed 分納 agreement's own plan is not applied."""
    signed = [a for a in record.get("agreements") or [] if a.get("signed") is True and a["date"] <= on]
    if not signed:
        return []
    day = max(a["date"] for a in signed).isoformat()
    return [f"署名済みの合意書（{day}）があります。{what}の金額は貸付の弁済期で計算しており、合意書の分割計画"
            "（支払期日の延長）は反映していません。合意どおりの入金があるかを確かめてから送付してください。"]


def borrower_of(report: limitation.Report) -> str:
    """The borrower's party id."""
    assert report.liability is not None
    return report.liability.borrower


def barred_warning(o: Owed, who: str, what: str) -> list[str]:
    """The warning for the lawyer about time-barred installments left out of a document."""
    if not o.barred:
        return []
    parts = sorted({b.installment.number: b.installment for b in o.barred}.values(), key=lambda i: i.number)
    first, last = parts[0], parts[-1]
    span = f"第{first.number}回" + (f"〜第{last.number}回" if last.number != first.number else "")
    principal = sum(b.unpaid for b in o.barred)
    return [f"{who} について消滅時効が完成している割賦金 {len(parts)} 回分（{span}、弁済期 {first.due.isoformat()}"
            + (f"〜{last.due.isoformat()}" if last != first else "")
            + f"、元金 {yen(principal)}）とその遅延損害金は、{what}に含めていません。時効の援用の有無を確かめ、"
            "請求するかどうかは弁護士が判断してください（`saiken case limitation` で詳細）。"]


def figures(o: Owed) -> dict[str, Any]:
    """The amounts for a letter's template (strings as printed)."""
    out: dict[str, Any] = {
        "as_of": wareki(o.as_of), "principal_label": "元金", "overdue_count": len({x.installment.number for x in o.due}),
        "overdue_total": yen(o.principal),
        "overdue_from": "", "overdue_to": "", "principal_due": yen(o.principal), "damages_due": yen(o.damages),
        "costs_due": yen(o.costs) if o.costs else "", "demand_total": yen(o.total),
        "damages_rates": o.rates, "balance": yen(o.principal_balance),
    }
    out["demand_breakdown"] = (f"元金として{out['principal_due']}及び{out['as_of']}現在の遅延損害金として"
                               f"{out['damages_due']}" + (f"並びに費用として{out['costs_due']}" if o.costs else ""))
    out["damages_note"] = (f"遅延損害金は、{out['as_of']}の翌日から支払済みまで、未払の元金に対し{o.rates}の割合により"
                           "加わります。" if o.rates else "")
    if o.due:
        out["overdue_from"] = wareki(min(x.installment.due for x in o.due))
        out["overdue_to"] = wareki(max(x.installment.due for x in o.due))
    return out


def require_something_due(o: Owed, kind: str, case_id: str) -> None:
    """A letter that would demand nothing is refused (nothing in default, or all of it time-barred)."""
    if o.total > 0:
        return
    why = "すべて消滅時効が完成しています" if o.barred else "延滞している割賦金がありません"
    raise SaikenError(f"{wareki(o.as_of)}現在、請求できる金額がないため、{kind}を作成できません（{why}）。",
                      where=f"事案 {case_id} の当事者 {o.party}",
                      hint=f"`saiken case allocation {case_id}` と `saiken case limitation {case_id}` で"
                           "残高と時効を確かめてください。")
