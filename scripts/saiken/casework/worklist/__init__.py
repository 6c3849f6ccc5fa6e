"""作業一覧: what each case needs next, one row per action, from every record the user can open –
in the order a collector starts the day with (`priority`).

The kinds of action (worklist.actions), by priority:

1. limitation (時効管理): the first limitation to complete (limitation.next_deadline) is within
   `limitation_months`;
2. acceleration (期限の利益喪失): the day an agreement's clause took the benefit of time away without
   notice (acceleration.find), until a 期限の利益喪失 entry is logged – or the day a demand became
   possible under an on_demand clause, until claim.demanded_on is set;
3. a broken promise (約束期日, the day passed without a payment);
4. address (住所調査) after returned mail, heirs (相続人調査) after a death with no heirs recorded,
   bankruptcy (破産: 債権届出) after proceedings opened, each `*_days` after the event;
5. letter (書面送付): for a case in arrears, the next letter in the chain 督促状 → 催告書 →
   保証債務履行請求書 (or a visit / legal steps), when the previous one got no answer within
   `answer_days`; to the heirs when the borrower has died, to the guarantor when no principal debtor
   may be asked (deceased, bankrupt, discharged, address unknown – situations.refusal);
6. a promise falling due within `horizon_days`;
7. arrears (延滞): what a letter to the principal debtors would demand (limitation.due: the same
   figures) – installments past due and unpaid, of the signed 分納 agreement in force if there is
   one (casework.plan), the whole balance once the benefit of time was lost, without those
   time-barred, invoked or discharged; the principal (分割金) and the damages.

Each case also carries its flags (死亡・破産・免責・宛所不明・時効援用・期限の利益喪失), the latest
`next_action` written in its history, and with `names` the name and telephone of who to call.
The day counts and which history kinds count as an answer are office judgement, not law: they are
data in policies/worklist.yaml (DEFAULTS below when the file is absent). Cases whose status is in
`closed_statuses`, and cases paid in full, are left out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from saiken.casework import acceleration, claim, limitation, situations
from saiken.casework.limitation import due
from saiken.casework.limitation.events import Rules
from saiken.casework.worklist import actions as act
from saiken.casework.worklist.actions import KINDS, SORTS, Action, Case, sorted_actions
from saiken.casework.worklist.model import CaseInfo, Worklist
from saiken.casework.worklist.render import as_json, render_table, summary
from saiken.core import bulk, crypto
from saiken.core.policy import load_yaml
from saiken.core.records import Store
from saiken.errors import DecryptFailure, SaikenError

__all__ = ["Action", "CaseInfo", "KINDS", "DEFAULTS", "SORTS", "Worklist", "as_json", "build", "case_actions",
           "load_rules", "overdue", "render_table", "sorted_actions", "summary"]

RULES_FILE = "policies/worklist.yaml"
DEFAULTS: dict[str, Any] = {
    "closed_statuses": ["完済", "時効援用", "返還", "終了"],
    "before_mandate_statuses": ["受任前"],
    "horizon_days": 7,
    "limitation_months": 6,
    "dunning_after_days": 20,
    "answer_days": 30,
    "answer_kinds": ["電話", "面談", "来所", "訪問", "文書受領", "合意", "協議合意", "拒絶"],
    "address_search_days": 14,
    "heir_survey_days": 30,
    "claim_filing_days": 14,
}
DAY_KEYS = ("horizon_days", "limitation_months", "dunning_after_days", "answer_days", "address_search_days",
            "heir_survey_days", "claim_filing_days")


def load_rules(root: Path) -> dict[str, Any]:
    data = load_yaml(root, RULES_FILE, {}) or {}
    if not isinstance(data, dict):
        raise SaikenError("内容が「キー: 値」の形ではありません。", where=RULES_FILE)
    rules = {**DEFAULTS, **data}
    for key in DAY_KEYS:
        if isinstance(rules[key], bool) or not isinstance(rules[key], int) or rules[key] < 0:
            raise SaikenError(f"{key} は 0 以上の整数です（{rules[key]}）。", where=RULES_FILE)
    for key in ("closed_statuses", "before_mandate_statuses", "answer_kinds"):
        if not isinstance(rules[key], list):
            raise SaikenError(f"{key} は [ ] で囲んだ一覧です。", where=RULES_FILE)
    return rules


# --- one case ------------------------------------------------------------------------------------

def _case(record: dict[str, Any], as_of: dt.date, rules: dict[str, Any], lrules: Rules | None) -> Case:
    report = limitation.assess(record, lrules, as_of) if lrules is not None else None
    acc = report.acceleration if report is not None else acceleration.find(record, as_of)
    return Case(record, as_of, rules, report, situations.states(record, as_of), acc)


def _first_due(c: Case) -> dt.date | None:
    found = act.arrears_figures(c)
    return found[1] if found else None


def case_actions(record: dict[str, Any], as_of: dt.date, rules: dict[str, Any],
                 lrules: Rules | None) -> list[Action]:
    return _actions(_case(record, as_of, rules, lrules))


def _actions(c: Case) -> list[Action]:
    if c.record.get("status") in c.rules["closed_statuses"] or act.balance_left(c) <= 0:
        return []
    letter = None if _before_mandate(c) else act.letter(c, _first_due(c))  # the office may not write yet
    found = [act.limitation_deadline(c), act.lost_benefit(c), act.promise(c), *act.surveys(c), letter, act.arrears(c)]
    return [a for a in found if a is not None]


def overdue(record: dict[str, Any], as_of: dt.date, lrules: Rules) -> tuple[int, int, int | None]:
    """(元金 or 分割金, 遅延損害金) overdue and demandable from the principal debtors on `as_of` – the
    worklist's 延滞 and what a 督促状 of that day demands – and the principal left after the payments
    were allocated under 民法489条 (what `case allocation` shows; None without damages rules):
    `case list --overdue`."""
    report = limitation.assess(record, lrules, as_of)
    owed = due.of_principals(report)
    left = report.allocation.principal_left if report.allocation is not None else None
    return sum(o.principal for o in owed), sum(o.damages for o in owed), left


def _next_action(record: dict[str, Any]) -> str | None:
    planned = [h for h in record.get("history") or [] if h.get("next_action")]
    if not planned:
        return None
    last = max(planned, key=lambda h: h["at"])
    return f"{last['next_action']}（{act._day(last['at']).isoformat()} {last.get('kind', '')}）"


def _contact(record: dict[str, Any], c: Case) -> tuple[str, str]:
    """Who to call first: the principal debtors who may be asked, else the guarantors; name and numbers."""
    parties = {str(p["id"]): p for p in record.get("parties") or []}
    principals = c.report.liability.principals if c.report and c.report.liability else [situations.borrower_of(record)]
    ask = [pid for pid in principals if situations.refusal(record, pid, c.as_of) is None]
    ask = ask or [pid for pid, p in parties.items() if p.get("role") in ("guarantor", "heir") and pid not in principals
                  and situations.refusal(record, pid, c.as_of) is None]
    names, numbers = [], []
    for pid in ask[:2]:
        p = parties[pid]
        names.append(f"{claim.display_name(p)}（{pid}）")
        contact = p.get("contact") or {}
        numbers += [str(contact[k]) for k in ("phone", "mobile") if contact.get(k)]
    return "、".join(names), " ".join(numbers)


def _before_mandate(c: Case) -> bool:
    return c.record.get("status") in c.rules["before_mandate_statuses"]


def _info(c: Case, names: bool) -> CaseInfo:
    flags = situations.flags(c.record, c.as_of)
    if _before_mandate(c):
        flags.append(f"{c.record.get('status')}（書面は受任の後）")
    if c.acc is not None and c.acc.day <= c.as_of:
        flags.append(f"期限の利益喪失({c.acc.day.isoformat()})")
    found = act.arrears_figures(c)
    info = CaseInfo(flags, _next_action(c.record), found[2] if found else 0)
    if names:
        info.name, info.contact = _contact(c.record, c)
    return info


# --- all cases -----------------------------------------------------------------------------------

def build(store: Store, identities: list[crypto.LoadedIdentity], as_of: dt.date, *,
          names: bool = False) -> Worklist:
    rules = load_rules(store.root)
    out = Worklist(as_of)
    try:
        lrules: Rules | None = limitation.load_rules(store.root)
    except SaikenError as exc:
        lrules = None
        out.warnings.append(f"{exc.where}: {exc.message} 時効管理の行は出さず、延滞には時効の完成した回も含めています。"
                            + _fix(exc))
    def one(case_id: str) -> tuple[list[Action], CaseInfo | None, str | None, bool]:
        """(actions, the case's info, a warning, whether the record is not for this key)."""
        try:
            c = _case(store.load(case_id, identities, bulk=True), as_of, rules, lrules)
            found = _actions(c)
        except DecryptFailure as exc:
            return [], None, (None if exc.kind == "no match" else f"{store.rel(case_id)}: {exc.message}" + _fix(exc)), True
        except SaikenError as exc:
            return [], None, f"{exc.where or store.rel(case_id)}: {exc.message}" + _fix(exc), False
        return found, (_info(c, names) if found else None), None, False

    def work(case_ids: list[str]) -> list[tuple[str, tuple[list[Action], CaseInfo | None, str | None, bool]]]:
        return [(case_id, one(case_id)) for case_id in case_ids]

    # every record on every core (forked workers: the keys never cross a pipe), in case-id order
    for batch in bulk.in_chunks(work, store.case_ids()):
        for case_id, (found, info, warning, unreadable) in batch:
            out.unreadable += unreadable
            if warning is not None:
                out.warnings.append(warning)
            if found and info is not None:
                out.actions += found
                out.cases[case_id] = info
    return out


def _fix(exc: SaikenError) -> str:
    return f"（対処: {exc.fix}）" if exc.fix else ""


