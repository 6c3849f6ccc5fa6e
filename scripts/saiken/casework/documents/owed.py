"""What a letter may demand from its addressee: that person's own part, in that person's own terms.

The amounts come from casework.liability – the addressee's lines – so an heir's letter shows the
heir's share of each installment (民法899条) and a guarantor's the whole of what the principal
debtors owe. Once the benefit of time was lost (期限の利益喪失, acceleration.find) on or before the
letter's date, the letter lists the whole balance that fell due that day instead of installments
(`accelerated`, `due_total`); without it, what is due is only the installments past their due date,
and that is also the most a 催告書 may threaten legal steps for (`due_total`). The amounts are
documents.amounts': 元金 and 遅延損害金 on the letter's date after the payments under 民法489条,
nothing time-barred for the addressee (left out with a warning for the lawyer).

While a signed 分納 agreement is in force (casework.plan) the installments are the agreement's: the
letter demands its 分割金 past their own due dates and their damages, never what it deferred; after
a loss under it, the agreement's remainder (it holds the damages and costs the agreement
acknowledged) with damages on its principal part from the day after the loss (the deed's clause).

An heir of the borrower is written to as one (`heir`: whose debt, which share, 限定承認), never as
the one who borrowed. A letter to a party who may not be asked – dead, renounced, bankrupt,
discharged, letters returned – is refused with the fix (situations.refusal).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from saiken.casework import acceleration, heirs, liability, situations, statement
from saiken.casework.documents import amounts, common
from saiken.core.inheritance import show as show_share
from saiken.core.policy import Policy
from saiken.errors import SaikenError
from saiken.wareki import wareki, yen

ROLE_WORDS = {"borrower": "借受人", "guarantor": "連帯保証人", "heir": "相続人"}


def refuse_unreachable(record: dict[str, Any], party_id: str, case_id: str, on: dt.date) -> None:
    """No document to someone who may not be asked (see the module's text)."""
    found = situations.refusal(record, party_id, on)
    if found is not None:
        why, fix = found
        raise SaikenError(why, where=f"事案 {case_id} の当事者 {party_id}", hint=fix)


def heir_terms(record: dict[str, Any], party_id: str) -> dict[str, str] | None:
    """For an heir: whose debt was inherited, the share, and any 限定承認; None for anyone else."""
    h = heirs.heir(record, party_id)
    if h is None:
        return None
    parties = liability.parties_by_id(record)
    deceased = parties.get(h.of, {})
    name = deceased.get("name") or {}
    return {"deceased": "\u3000".join(x for x in (name.get("family"), name.get("given")) if x),
            "deceased_role": ROLE_WORDS.get(str(deceased.get("role")), ""),
            "share": show_share(h.share), "limited": wareki(h.limited_on) if h.limited_on else ""}


def figures(record: dict[str, Any], policy: Policy, party_id: str, on: dt.date,
            kind: str) -> tuple[dict[str, Any], amounts.Owed]:
    """The claim in figures for a letter of `kind` to `party_id` on `on` (documents.amounts: 元金 and
    遅延損害金 under 民法489条, nothing time-barred), with the notes for the lawyer in Owed.notes."""
    c = record["claim"]
    report, rates = statement.assess(record, policy, on)
    o = amounts.owed(report, party_id)
    debts = report.liability
    assert debts is not None
    agreement = debts.plan.agreement
    lines = [ln for ln in debts.of(party_id) if agreement is None or ln.installment.agreement is not None]
    # the remainder is demanded from the day after the loss, as an installment from the day after its due date
    acc = debts.acceleration if debts.acceleration and debts.acceleration.day < on else None
    o.notes = amounts.notes(report, o, rates.notes(), f"当事者 {party_id}", kind)
    out: dict[str, Any] = {
        "contract_date": wareki(c["contract_date"]), "principal": yen(int(c["principal"])),
        "paid": yen(sum(ln.amount - ln.unpaid for ln in lines)),
        "method": str(c["repayment"]["method"]), "count": int(c["repayment"]["count"]),
        "accelerated": acc is not None, "accelerated_on": wareki(acc.day) if acc else "",
        "acceleration_kind": acc.kind if acc else "", **amounts.figures(o, agreement, acc is not None),
    }
    out["due_total"] = out["demand_total"]
    out["due_what"] = _due_what(out, acc, agreement)
    return out, o


def _due_what(out: dict[str, Any], acc: acceleration.Acceleration | None, agreement: dict[str, Any] | None) -> str:
    """What the letter says is unpaid (催告書, 内容証明: {due_what})."""
    if acc is not None:
        return (f"期限の利益の喪失（{out['accelerated_on']}、{acc.kind}）により弁済期が到来した残額の全部"
                f"（{out['principal_label']}{out['principal_due']}）")
    if agreement is not None:
        days = (out["overdue_from"] if out["overdue_from"] == out["overdue_to"]
                else f"{out['overdue_from']}から{out['overdue_to']}まで")
        return (f"{wareki(agreement['date'])}付けの合意書に基づく分割金のうち、支払期日が{days}の"
                f"{out['overdue_count']}回分（合計{out['principal_due']}）")
    return (f"{out['overdue_from']}から{out['overdue_to']}までの割賦金{out['overdue_count']}回分"
            f"（元金合計{out['principal_due']}）")


def terms(record: dict[str, Any], policy: Policy, party_id: str, case_id: str, on: dt.date,
          kind: str) -> tuple[dict[str, Any], list[str]]:
    """Everything a letter needs about its addressee's debt – refusal first, then figures and
    wording – and the warnings for the lawyer. A letter that would demand nothing is refused."""
    common.party(record, party_id, case_id)  # an unknown party is named before anything is computed
    refuse_unreachable(record, party_id, case_id, on)
    claim_figures, o = figures(record, policy, party_id, on, kind)
    amounts.require_something_due(o, kind, case_id)
    return {"claim": claim_figures, "heir": heir_terms(record, party_id)}, o.notes


GUARANTOR_LETTER = "保証債務履行請求書"


def principal_addressee(record: dict[str, Any], to: str | None, case_id: str, kind: str) -> str:
    """The addressee of a letter to a principal debtor (the borrower, or an heir of the borrower)."""
    parties = liability.parties_by_id(record)
    pid = to or liability.borrower_id(record)
    p = parties.get(pid)
    if p is None:
        return pid  # common.party names the parties there are
    borrower = liability.borrower_id(record)
    if p.get("role") == "guarantor" or (p.get("role") == "heir" and p.get("heir_of") != borrower):
        raise SaikenError(f"{kind}は借受人（または借受人の相続人）宛ての文書です。{pid} は"
                          f"{'連帯保証人' if p.get('role') == 'guarantor' else '連帯保証人の相続人'}です。",
                          where=f"事案 {case_id}", hint=f"saiken doc {GUARANTOR_LETTER} {case_id} --to {pid}")
    return pid


def debt_sentence(ctx: dict[str, Any], you: str = "貴殿") -> str:
    """The sentence that says whose debt it is and what is unpaid (内容証明の文面 {debt})."""
    c, h = ctx["claim"], ctx.get("heir")
    if h:
        limited = f"（{h['limited']}限定承認）" if h["limited"] else ""
        return (f"{you}は、被相続人{h['deceased']}（{h['deceased_role']}）が{c['contract_date']}付けの契約に基づき"
                f"新宿区から貸付けを受けた奨学資金（貸付額{c['principal']}）の返還債務を、相続により相続分"
                f"{h['share']}の割合で承継されました{limited}が、そのうち{c['due_what']}の返還をしていません。")
    return (f"{you}は、{c['contract_date']}付けの契約に基づき新宿区から奨学資金の貸付け（貸付額{c['principal']}）を"
            f"受けましたが、{c['due_what']}の返還をしていません。")
