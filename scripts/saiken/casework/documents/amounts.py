"""What a letter may demand, as of its date, in the words a letter uses: 元金 (or, under a signed 分納
agreement, its 分割金) and 遅延損害金 from the 489条 allocation, only for installments that are
claimable and not time-barred for the addressee.

The figures are limitation.due's (the one answer the worklist reads too): what fell due before the
letter's date and is unpaid, every part whose limitation has completed for the addressee left out –
with a warning for the lawyer, never in the letter – as well as what an invocation or a discharge
closed. While a signed agreement is in force (casework.plan) the installments are the agreement's:
what it deferred is not due, and a letter demands only its installments past their own due dates
(地方自治法施行令171条の6).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from saiken.casework import installments, limitation, statement
from saiken.casework.limitation import due as due_
from saiken.casework.limitation.due import Owed
from saiken.core.policy import Policy
from saiken.errors import SaikenError
from saiken.wareki import wareki, yen

__all__ = ["Owed", "owed", "owed_on", "figures", "barred_warning", "borrower_of", "require_something_due"]

owed = due_.owed


def owed_on(record: dict[str, Any], policy: Policy, on: dt.date, party_id: str, what: str) -> Owed:
    """owed() as of `on`, with the notes for the lawyer: rates still 要確認, time-barred installments
    left out of `what` (the document), a plan the engine does not model."""
    report, rates = statement.assess(record, policy, on)
    o = owed(report, party_id)
    o.notes = notes(report, o, rates.notes(), f"当事者 {party_id}", what)
    return o


def notes(report: limitation.Report, o: Owed, rates: list[str], who: str, what: str) -> list[str]:
    """Everything the lawyer must know about a document's figures."""
    plan = report.liability.plan.notes if report.liability else ()
    return [*rates, *barred_warning(o, who, what), *plan]


def borrower_of(report: limitation.Report) -> str:
    """The borrower's party id."""
    assert report.liability is not None
    return report.liability.borrower


def barred_warning(o: Owed, who: str, what: str) -> list[str]:
    """The warning for the lawyer about time-barred installments left out of a document."""
    if not o.barred:
        return []
    groups = installments.by_plan({b.installment for b in o.barred})
    parts = [i for group in groups for i in group]
    span = "、".join(installments.span(group) for group in groups)
    first, last = min(i.due for i in parts), max(i.due for i in parts)
    principal = sum(b.unpaid for b in o.barred)
    return [f"{who} について消滅時効が完成している割賦金 {len(parts)} 回分（{span}、弁済期 {first.isoformat()}"
            + (f"〜{last.isoformat()}" if last != first else "")
            + f"、元金 {yen(principal)}）とその遅延損害金は、{what}に含めていません。時効の援用の有無を確かめ、"
            "請求するかどうかは弁護士が判断してください（`saiken case limitation` で詳細）。"]


def _words(agreement: dict[str, Any] | None, accelerated: bool) -> dict[str, str]:
    """How a letter names what it demands: the loan's 元金, or an agreement's 分割金 or remainder."""
    if agreement is None:
        return {"principal_label": "元金", "principal_word": "元金", "installments_label": "未納の割賦金",
                "balance_label": "元金残高", "paid_label": "返還済額", "bearing": "未納元金", "bearing_note": "未払の元金"}
    agreed = wareki(agreement["date"])
    bearing = "未払の分割金のうち元金に当たる額"
    common = {"installments_label": "未納の分割金", "balance_label": "合意書の残額", "paid_label": "合意書での支払済額",
              "bearing": bearing, "bearing_note": bearing}
    if accelerated:
        return {"principal_label": "合意書の残額", "principal_word": f"合意書（{agreed}）の残額", **common}
    return {"principal_label": "未納の分割金", "principal_word": "分割金", **common}


def agreement_terms(agreement: dict[str, Any] | None) -> dict[str, Any] | None:
    """The agreement a letter's debt follows, as the letter states it."""
    if agreement is None:
        return None
    return {"date": wareki(agreement["date"]), "total": yen(int(agreement["total"])), "day": int(agreement["day"]),
            "amount": yen(int(agreement["amount"]))}


def figures(o: Owed, agreement: dict[str, Any] | None = None, accelerated: bool = False) -> dict[str, Any]:
    """The amounts for a letter's template (strings as printed)."""
    words = _words(agreement, accelerated)
    out: dict[str, Any] = {
        "as_of": wareki(o.as_of), **{k: v for k, v in words.items() if k not in ("principal_word", "bearing_note")},
        "overdue_count": len({x.installment for x in o.due}), "overdue_total": yen(o.principal),
        "overdue_from": "", "overdue_to": "", "principal_due": yen(o.principal), "damages_due": yen(o.damages),
        "costs_due": yen(o.costs) if o.costs else "", "demand_total": yen(o.total),
        "damages_rates": o.rates, "balance": yen(o.principal_balance), "agreement": agreement_terms(agreement),
    }
    out["demand_breakdown"] = (f"{words['principal_word']}として{out['principal_due']}及び{out['as_of']}現在の遅延損害金として"
                               f"{out['damages_due']}" + (f"並びに費用として{out['costs_due']}" if o.costs else ""))
    out["damages_note"] = (f"遅延損害金は、{out['as_of']}の翌日から支払済みまで、{words['bearing_note']}に対し{o.rates}の割合により"
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
