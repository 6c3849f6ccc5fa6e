"""What a letter may demand, as of its date: 元金 and 遅延損害金 from the 489条 allocation, only for
installments that are claimable and not time-barred for the addressee.

The figures come from the limitation engine's public result (limitation.assess): its Report carries
the allocation of the payments (report.allocation: principal and damages per installment, damages
accrued to the letter's date) and, per person, each installment's `start` (its due date, or the day
it fell due by acceleration) and `status`. A letter demands an installment when its start is before
the letter's date and something of it is unpaid, and leaves out – with a warning for the lawyer,
never in the letter – every installment whose limitation has completed for the addressee (完成:
the debtor may invoke it, 民法145条; its damages go with it). Whether to demand those anyway, or to
confirm that the debtor has not invoked it, is the lawyer's decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from saiken.casework import allocation, limitation, statement
from saiken.core.policy import Policy
from saiken.errors import SaikenError
from saiken.wareki import wareki, yen


@dataclass
class Owed:
    """What one person owes on `as_of`, split into what may be demanded and what is time-barred."""

    as_of: dt.date
    party: str
    due: list[allocation.Line]        # claimable before as_of, unpaid, not time-barred
    later: list[allocation.Line]      # not yet claimable (弁済期未到来), not time-barred
    barred: list[limitation.Outcome]  # time-barred for `party`, with something unpaid
    costs: int
    notes: list[str]

    @property
    def principal(self) -> int:
        return sum(x.principal_unpaid for x in self.due)

    @property
    def damages(self) -> int:
        return sum(x.damages_unpaid for x in self.due)

    @property
    def total(self) -> int:
        return self.principal + self.damages + self.costs

    @property
    def principal_balance(self) -> int:
        """元金残高: every installment not time-barred, due or not."""
        return self.principal + sum(x.principal_unpaid for x in self.later)


def owed_on(record: dict[str, Any], policy: Policy, on: dt.date, party_id: str, what: str) -> Owed:
    """owed() as of `on`, with the notes for the lawyer: rates still 要確認, time-barred installments
    left out of `what` (the document)."""
    report, rates = statement.assess(record, policy, on)
    o = owed(report, party_id)
    o.notes = [*rates.notes(), *barred_warning(o, f"当事者 {party_id}", what), *agreement_warning(record, on, what)]
    return o


def agreement_warning(record: dict[str, Any], on: dt.date, what: str) -> list[str]:
    """The amounts follow the loan's due dates; a signed 分納 agreement's own plan is not applied."""
    signed = [a for a in record.get("agreements") or [] if a.get("signed") is True and a["date"] <= on]
    if not signed:
        return []
    day = max(a["date"] for a in signed).isoformat()
    return [f"署名済みの合意書（{day}）があります。{what}の金額は貸付の弁済期で計算しており、合意書の分割計画"
            "（支払期日の延長）は反映していません。合意どおりの入金があるかを確かめてから送付してください。"]


def owed(report: limitation.Report, party_id: str) -> Owed:
    """What `party_id` owes on report.as_of (the borrower's outcomes for a party the engine does not
    assess, such as a deceased one)."""
    position = report.allocation
    assert position is not None
    mine = [o for o in report.outcomes if o.party == party_id]
    if not mine:
        mine = [o for o in report.outcomes if o.party == borrower_of(report)]
    due, later, barred = [], [], []
    for o in mine:
        line = position.line(o.installment.number)
        if line.principal_unpaid == 0 and line.damages_unpaid == 0:
            continue
        if o.status == limitation.EXPIRED:
            barred.append(o)
        elif line.start < report.as_of:
            due.append(line)
        else:
            later.append(line)
    return Owed(report.as_of, party_id, due, later, barred, position.costs_left, [])


def borrower_of(report: limitation.Report) -> str:
    """The borrower's party id (the engine lists the borrower's outcomes first)."""
    return report.outcomes[0].party if report.outcomes else ""


def barred_warning(o: Owed, who: str, what: str) -> list[str]:
    """The warning for the lawyer about time-barred installments left out of a document."""
    if not o.barred:
        return []
    first, last = o.barred[0].installment, o.barred[-1].installment
    span = f"第{first.number}回" + (f"〜第{last.number}回" if last.number != first.number else "")
    principal = sum(b.unpaid for b in o.barred)
    return [f"{who} について消滅時効が完成している割賦金 {len(o.barred)} 回分（{span}、弁済期 {first.due.isoformat()}"
            + (f"〜{last.due.isoformat()}" if last != first else "")
            + f"、元金 {yen(principal)}）とその遅延損害金は、{what}に含めていません。時効の援用の有無を確かめ、"
            "請求するかどうかは弁護士が判断してください（`saiken case limitation` で詳細）。"]


def figures(o: Owed) -> dict[str, Any]:
    """The amounts for a letter's template (strings as printed)."""
    out: dict[str, Any] = {
        "as_of": wareki(o.as_of), "overdue_count": len(o.due), "overdue_total": yen(o.principal),
        "overdue_from": "", "overdue_to": "", "principal_due": yen(o.principal), "damages_due": yen(o.damages),
        "costs_due": yen(o.costs) if o.costs else "", "demand_total": yen(o.total),
        "damages_rates": allocation.rates_text(o.due), "balance": yen(o.principal_balance),
    }
    out["demand_breakdown"] = (f"元金として{out['principal_due']}及び{out['as_of']}現在の遅延損害金として"
                               f"{out['damages_due']}" + (f"並びに費用として{out['costs_due']}" if o.costs else ""))
    if o.due:
        out["overdue_from"] = wareki(o.due[0].installment.due)
        out["overdue_to"] = wareki(o.due[-1].installment.due)
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
