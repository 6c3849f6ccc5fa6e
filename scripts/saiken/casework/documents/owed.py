"""What a letter may demand from its addressee: that person's own part, in that person's own terms.

The amounts come from casework.liability – the addressee's lines – so an heir's letter shows the
heir's share of each installment (民法899条) and a guarantor's the whole of what the principal
debtors owe. Once the benefit of time was lost (期限の利益喪失, acceleration.find) on or before the
letter's date, the letter lists the whole balance that fell due that day instead of installments
(`accelerated`, `due_total`); without it, what is due is only the installments past their due date,
and that is also the most a 催告書 may threaten legal steps for (`due_total`).

An heir of the borrower is written to as one (`heir`: whose debt, which share, 限定承認), never as
the one who borrowed. A letter to a party who may not be asked – dead, renounced, bankrupt,
discharged, letters returned – is refused with the fix (situations.refusal).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from saiken.casework import acceleration, heirs, liability, situations
from saiken.core.inheritance import show as show_share
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


def _whole(record: dict[str, Any], acc: acceleration.Acceleration, lines: list[liability.Line], on: dt.date) -> int:
    """The accelerated balance this person owes: the agreement's remainder (times a share), or the lines."""
    if acc.agreement is None:
        return sum(ln.unpaid for ln in lines)
    share = lines[0].share if lines else Fraction(1)
    return int(acceleration.remaining(record, acc, on) * share)


def figures(record: dict[str, Any], party_id: str, on: dt.date) -> dict[str, Any]:
    """The claim in figures for a letter to `party_id` on `on` (the keys of common.claim_figures, and more)."""
    c = record["claim"]
    debts = liability.assess(record, on)
    lines = debts.of(party_id)
    acc = debts.acceleration if debts.acceleration and debts.acceleration.day <= on else None
    overdue = [ln for ln in lines if ln.overdue(on)]
    unpaid = sum(ln.unpaid for ln in lines)
    out: dict[str, Any] = {
        "contract_date": wareki(c["contract_date"]), "principal": yen(int(c["principal"])),
        "paid": yen(sum(ln.amount - ln.unpaid for ln in lines)), "balance": yen(unpaid),
        "method": str(c["repayment"]["method"]), "count": int(c["repayment"]["count"]),
        "overdue_count": len(overdue), "overdue_total": yen(sum(ln.unpaid for ln in overdue)),
        "overdue_from": wareki(overdue[0].installment.due) if overdue else "",
        "overdue_to": wareki(overdue[-1].installment.due) if overdue else "",
        "accelerated": acc is not None, "accelerated_on": wareki(acc.day) if acc else "",
        "acceleration_kind": acc.kind if acc else "",
    }
    due = _whole(record, acc, lines, on) if acc else sum(ln.unpaid for ln in overdue)
    out["due_total"] = yen(due)
    out["due_what"] = (f"期限の利益の喪失（{out['accelerated_on']}、{acc.kind}）により弁済期が到来した残額の全部、"
                       f"合計{yen(due)}" if acc else
                       f"{out['overdue_from']}から{out['overdue_to']}までの割賦金{len(overdue)}回分、合計{yen(due)}")
    return out


def terms(record: dict[str, Any], party_id: str, case_id: str, on: dt.date) -> dict[str, Any]:
    """Everything a letter needs about its addressee's debt: refusal first, then figures and wording."""
    refuse_unreachable(record, party_id, case_id, on)
    return {"claim": figures(record, party_id, on), "heir": heir_terms(record, party_id)}


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
