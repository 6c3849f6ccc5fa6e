"""The kinds of action a case can need, each a function of the case (see the package's text)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from saiken.casework import acceleration, claim, installments, limitation, situations
from saiken.casework.limitation import Report, due

KINDS = {"limitation": "時効管理", "acceleration": "期限の利益喪失", "promise": "約束期日", "address": "住所調査",
         "heirs": "相続人調査", "bankruptcy": "破産", "letter": "書面送付", "arrears": "延滞"}
LETTERS = ("督促状送付", "催告書送付", "保証債務履行請求書送付")


@dataclass(frozen=True)
class Action:
    case_id: str
    kind: str      # a key of KINDS
    what: str
    due: dt.date
    rank: int = 9  # smaller first: what to start the day with (see priority)


@dataclass
class Case:
    """What the actions of one case are computed from."""

    record: dict[str, Any]
    as_of: dt.date
    rules: dict[str, Any]
    report: Report | None        # None without policies/limitation.yaml
    states: dict[str, situations.State]
    acc: acceleration.Acceleration | None
    arrears: tuple[tuple[str, dt.date, int] | None] | None = None  # arrears_figures, once worked out

    @property
    def case_id(self) -> str:
        return str(self.record["case_id"])

    def history(self) -> list[dict[str, Any]]:
        return list(self.record.get("history") or [])

    def later(self, kinds: tuple[str, ...], since: dt.date, party: str | None = None) -> bool:
        """An entry of one of `kinds` on or after `since` (for `party`, if given)."""
        borrower = situations.borrower_of(self.record)
        return any(h.get("kind") in kinds and since <= _day(h["at"]) <= self.as_of
                   and (party is None or (h.get("party") or borrower) == party) for h in self.history())


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# --- 約束期日 -----------------------------------------------------------------------------------------

def _paid_since(record: dict[str, Any], day: dt.date) -> bool:
    return any(p["date"] >= day for p in (record.get("claim") or {}).get("payments") or [])


def promise(c: Case) -> Action | None:
    promised = [h for h in c.history() if (h.get("promise") or {}).get("date")]
    if not promised:
        return None
    latest = max(promised, key=lambda h: h["at"])
    due, amount = latest["promise"]["date"], latest["promise"].get("amount")
    if _paid_since(c.record, _day(latest["at"])) or due > c.as_of + dt.timedelta(days=c.rules["horizon_days"]):
        return None
    if any(_day(h["at"]) > due for h in c.history()):
        return None  # followed up after the promised day: the next step is in that entry
    what = f"入金の約束 金{amount:,}円" if amount else "約束の期日"
    broken = due < c.as_of
    what += "（期日経過・入金なし）" if broken else "（入金の確認）"
    return Action(c.case_id, "promise", what, due, 3 if broken else 6)


# --- 延滞 ------------------------------------------------------------------------------------------

def arrears_figures(c: Case) -> tuple[str, dt.date, int] | None:
    """(what, since when, principal) due and still demandable – what a letter to the principal
    debtors would demand (limitation.due), time-barred installments left out (worked out once per case)."""
    if c.arrears is None:
        c.arrears = (_arrears_figures(c),)
    return c.arrears[0]


def _arrears_figures(c: Case) -> tuple[str, dt.date, int] | None:
    if c.report is None:
        return _without_engine(c)
    owed = due.of_principals(c.report)
    lines = [x for o in owed for x in o.due]
    if not lines:
        return None
    principal, damages = sum(o.principal for o in owed), sum(o.damages for o in owed)
    money = f"金{principal:,}円" + (f"・損害金 金{damages:,}円" if damages else "")
    agreement = c.report.agreement
    if c.acc is not None and c.acc.day < c.as_of:  # as a letter says it (documents.owed)
        what, since = f"期限の利益喪失（{c.acc.kind}）により{'合意書の' if agreement else ''}残額一括 {money}", c.acc.day
    else:
        plans = installments.by_plan({x.installment for x in lines})
        count = sum(len(p) for p in plans)
        what = (f"{'分納' if agreement else '貸付'}の延滞 {count} 回分 {money}"
                f"（{'、'.join(installments.span(p) for p in plans)}）")
        since = min(x.installment.due for x in lines)
    left_out = {b.installment for o in owed for b in o.barred} | {x.installment for o in owed for x in o.closed}
    if left_out:
        what = what.rstrip("）") + ("、" if what.endswith("）") else "（") + f"時効完成等 {len(left_out)} 回分を除く）"
    return what, since, principal


def _without_engine(c: Case) -> tuple[str, dt.date, int] | None:
    """Without policies/limitation.yaml: the loan's overdue installments (time-barred ones included,
    as the worklist's warning says); none while a signed agreement is in force (its plan needs the engine)."""
    if acceleration.latest_agreement(c.record, c.as_of) is not None:
        return None
    late = installments.arrears(c.record, c.as_of)
    if not late:
        return None
    total = sum(s.unpaid for s in late)
    return (f"貸付の延滞 {len(late)} 回分 金{total:,}円（{installments.span([late[0].installment, late[-1].installment])}）",
            late[0].installment.due, total)


def balance_left(c: Case) -> int:
    """What is left of the debt (principal, damages, costs; time-barred included)."""
    debts = c.report.liability if c.report else None
    if debts is not None and debts.position is not None:
        return debts.position.total_left
    return claim.balance(c.record)


def arrears(c: Case) -> Action | None:
    found = arrears_figures(c)
    return None if found is None else Action(c.case_id, "arrears", found[0], found[1], 7)


# --- 書面送付 ---------------------------------------------------------------------------------------

def _demandable(c: Case, pid: str) -> bool:
    return situations.refusal(c.record, pid, c.as_of) is None


def _answered(c: Case, since: dt.datetime) -> bool:
    for h in c.history():
        if h["at"] > since and (h.get("kind") in c.rules["answer_kinds"] or h.get("counterpart")):
            return True
    return _paid_since(c.record, _day(since) + dt.timedelta(days=1))


def _principals(c: Case) -> list[str]:
    debts = c.report.liability if c.report else None
    return debts.principals if debts else [situations.borrower_of(c.record)]


def _guarantors(c: Case) -> list[str]:
    principals = _principals(c)
    return [p["id"] for p in c.record.get("parties") or []
            if p.get("role") in ("guarantor", "heir") and p["id"] not in principals and _demandable(c, p["id"])]


def letter(c: Case, first_due: dt.date | None) -> Action | None:
    if first_due is None:
        return None
    principals = [p for p in _principals(c) if _demandable(c, p)]
    if not principals:
        todo = _guarantors(c)
        sent = {h.get("party") for h in c.history() if h.get("kind") == "保証債務履行請求書送付"}
        todo = [g for g in todo if g not in sent]
        if not todo:
            return None
        return Action(c.case_id, "letter", f"主たる債務者に請求できません: 保証債務履行請求書を送付する（{'、'.join(todo)}）",
                      c.as_of, 5)
    letters = [h for h in c.history() if h.get("kind") in LETTERS and _day(h["at"]) >= first_due]
    whom = "" if principals == [situations.borrower_of(c.record)] else f"（相続人 {'、'.join(principals)} 宛て）"
    if not letters:
        what = f"督促状を送付する{whom}（未納の{_unit(c, principals[0])}について督促状の記録なし）"
        due = first_due + dt.timedelta(days=c.rules["dunning_after_days"])
    else:
        last = max(letters, key=lambda h: h["at"])
        if _answered(c, last["at"]):
            return None
        due = _day(last["at"]) + dt.timedelta(days=c.rules["answer_days"])
        what = _next_letter(c, last["kind"])
    if due > c.as_of + dt.timedelta(days=c.rules["horizon_days"]):
        return None
    return Action(c.case_id, "letter", what, due, 5)


def _unit(c: Case, principal: str) -> str:
    """割賦金 (the loan's), or 分割金 while a signed 分納 agreement is in force."""
    debts = c.report.liability if c.report else None
    return "分割金" if debts and any(x.installment.agreement for x in debts.of(principal)) else "割賦金"


def _next_letter(c: Case, last_kind: str) -> str:
    if last_kind == "督促状送付":
        return "督促状に応答なし: 催告書を送付する"
    sent = {h.get("party") for h in c.history() if h.get("kind") == "保証債務履行請求書送付"}
    todo = [g for g in _guarantors(c) if g not in sent]
    if todo:
        return f"催告書に応答なし: 保証債務履行請求書を送付する（{'、'.join(todo)}）"
    return "書面に応答なし: 訪問または法的手続（支払督促など）を区と協議する"


# --- 時効管理・期限の利益喪失 -----------------------------------------------------------------------

def limitation_deadline(c: Case) -> Action | None:
    if c.report is None:
        return None
    first = limitation.next_deadline(c.report)
    if first is None or first.expiry is None:
        return None
    if first.expiry > installments.add_months(c.as_of, c.rules["limitation_months"]):
        return None
    role = limitation.ROLE_LABEL.get(first.role, "当事者")
    share = "、相続分の額" if first.share != 1 else ""
    what = (f"消滅時効の完成（第{first.installment.number}回 金{first.unpaid:,}円{share}、{role} {first.party}）: "
            "承認・催告などを検討する")
    return Action(c.case_id, "limitation", what, first.expiry, 1)


def lost_benefit(c: Case) -> Action | None:
    """The day the benefit of time was lost without notice, until someone logs 期限の利益喪失; or
    the day a demand became possible under an on_demand clause, until claim.demanded_on is set."""
    if c.acc is not None and c.acc.kind == acceleration.AUTOMATIC and c.acc.day <= c.as_of:
        if c.later(("期限の利益喪失",), c.acc.day):
            return None
        agreed = c.acc.agreement["date"].isoformat() if c.acc.agreement else ""
        missed = "・".join(str(n) for n in c.acc.missed[-3:])
        what = f"合意書（{agreed}）の第{missed}回が不払で当然喪失: 残額"
        if c.report is not None:
            what += f" 金{sum(o.principal_balance for o in due.of_principals(c.report)):,}円"
        what += "が一括で弁済期に"
        return Action(c.case_id, "acceleration", what, c.acc.day, 2)
    possible = acceleration.demandable(c.record, c.as_of)
    if possible is not None:
        day, basis = possible
        return Action(c.case_id, "acceleration", f"{basis}: 期限の利益喪失の請求ができます（請求したら claim.demanded_on を記録）",
                      day, 2)
    return None


# --- 住所調査・相続人調査・破産 ---------------------------------------------------------------------

def surveys(c: Case) -> list[Action]:
    out = []
    days = c.rules  # the *_days of policies/worklist.yaml
    parties = {str(p["id"]): p for p in c.record.get("parties") or []}
    for pid, s in c.states.items():
        if s.returned_mail and not s.dead:
            out.append(Action(c.case_id, "address", f"{pid} 宛ての郵便が返戻（{s.returned_mail.isoformat()}）: 住所を調査する",
                              s.returned_mail + dt.timedelta(days=days["address_search_days"]), 4))
        if s.dead and s.role in ("borrower", "guarantor") and not any(p.get("heir_of") == pid for p in parties.values()):
            since = s.died_or_learned or c.as_of
            note = "" if s.deceased else "、死亡日を deceased_on に記録"
            out.append(Action(c.case_id, "heirs", f"{pid} の死亡（{since.isoformat()}）: 相続人を調査（戸籍）{note}",
                              since + dt.timedelta(days=days["heir_survey_days"]), 4))
        if s.bankrupt and not s.discharged and not c.later(("債権届出",), s.bankrupt, pid):
            out.append(Action(c.case_id, "bankruptcy", f"{pid} の破産手続開始（{s.bankrupt.isoformat()}）: 債権届出をする"
                                                      "（保証人への請求は続けられます）",
                              s.bankrupt + dt.timedelta(days=days["claim_filing_days"]), 4))
    return out


SORTS = {
    "priority": lambda a: (a.rank, a.due, a.case_id),
    "due": lambda a: (a.due, a.case_id, list(KINDS).index(a.kind)),
    "case": lambda a: (a.case_id, a.rank, a.due),
    "kind": lambda a: (list(KINDS).index(a.kind), a.due, a.case_id),
}


def sorted_actions(rows: list[Action], by: str) -> list[Action]:
    return sorted(rows, key=SORTS[by])
