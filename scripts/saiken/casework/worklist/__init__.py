"""作業一覧: what each case needs next, one row per action, from every record the user can open.

Four kinds of action, each with a due date:

- promise (約束期日): the latest promise in the history (promise.date) falls within `horizon_days`
  of the reference date, or has passed, and no payment has been made since the promise was given
  nor anything logged after the promised day (a follow-up call replaces the row);
- arrears (延滞): installments past due and unpaid – of the latest signed 分納 agreement if there is
  one (payments from its date on), otherwise of the loan (installments.arrears);
- letter (書面送付): for a case in arrears, the next letter in the chain 督促状 → 催告書 → 保証債務履行請求書
  (or a visit / legal steps), when the previous one got no answer within `answer_days`;
- limitation (時効管理): the first limitation to complete (limitation.next_deadline) is within
  `limitation_months`.

The day counts and which history kinds count as an answer are office judgement, not law: they are
data in policies/worklist.yaml (DEFAULTS below when the file is absent). Cases whose status is in
`closed_statuses`, and cases paid in full, are left out. Names appear only when asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from saiken import wareki
from saiken.casework import claim, installments, limitation
from saiken.casework.limitation.events import Rules
from saiken.core import crypto
from saiken.core.policy import load_yaml
from saiken.core.records import Store
from saiken.errors import DecryptFailure, SaikenError
from saiken.textwidth import pad

RULES_FILE = "policies/worklist.yaml"
DEFAULTS: dict[str, Any] = {
    "closed_statuses": ["完済", "時効援用", "返還", "終了"],
    "horizon_days": 7,
    "limitation_months": 6,
    "dunning_after_days": 20,
    "answer_days": 30,
    "answer_kinds": ["電話", "面談", "来所", "訪問", "文書受領", "合意", "協議合意", "拒絶"],
}
KINDS = {"promise": "約束期日", "arrears": "延滞", "letter": "書面送付", "limitation": "時効管理"}
LETTERS = ("督促状送付", "催告書送付", "保証債務履行請求書送付")


@dataclass(frozen=True)
class Action:
    case_id: str
    kind: str  # a key of KINDS
    what: str
    due: dt.date
    name: str | None = None


@dataclass
class Worklist:
    as_of: dt.date
    actions: list[Action] = field(default_factory=list)
    unreadable: int = 0  # records not encrypted to the user
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: sum(1 for a in self.actions if a.kind == k) for k in KINDS}


def load_rules(root: Path) -> dict[str, Any]:
    data = load_yaml(root, RULES_FILE, {}) or {}
    if not isinstance(data, dict):
        raise SaikenError("内容が「キー: 値」の形ではありません。", where=RULES_FILE)
    rules = {**DEFAULTS, **data}
    for key in ("horizon_days", "limitation_months", "dunning_after_days", "answer_days"):
        if isinstance(rules[key], bool) or not isinstance(rules[key], int) or rules[key] < 0:
            raise SaikenError(f"{key} は 0 以上の整数です（{rules[key]}）。", where=RULES_FILE)
    for key in ("closed_statuses", "answer_kinds"):
        if not isinstance(rules[key], list):
            raise SaikenError(f"{key} は [ ] で囲んだ一覧です。", where=RULES_FILE)
    return rules


# --- the four kinds of action ---------------------------------------------------------------------

def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _paid_since(record: dict[str, Any], day: dt.date) -> bool:
    return any(p["date"] >= day for p in (record.get("claim") or {}).get("payments") or [])


def promise_action(record: dict[str, Any], as_of: dt.date, rules: dict[str, Any]) -> Action | None:
    promised = [h for h in record.get("history") or [] if (h.get("promise") or {}).get("date")]
    if not promised:
        return None
    latest = max(promised, key=lambda h: h["at"])
    due, amount = latest["promise"]["date"], latest["promise"].get("amount")
    if _paid_since(record, _day(latest["at"])) or due > as_of + dt.timedelta(days=rules["horizon_days"]):
        return None
    if any(_day(h["at"]) > due for h in record.get("history") or []):
        return None  # followed up after the promised day: the next step is in that entry
    what = f"入金の約束 金{amount:,}円" if amount else "約束の期日"
    what += "（期日経過・入金なし）" if due < as_of else "（入金の確認）"
    return Action(record["case_id"], "promise", what, due)


def _agreement(record: dict[str, Any]) -> dict[str, Any] | None:
    signed = [a for a in record.get("agreements") or [] if a.get("signed") is True]
    return max(signed, key=lambda a: a["date"]) if signed else None


def overdue(record: dict[str, Any], as_of: dt.date) -> tuple[list[installments.Standing], str]:
    """The installments in arrears, and whose schedule they belong to (分納 or 貸付)."""
    agreement = _agreement(record)
    if agreement is None:
        return installments.arrears(record, as_of), "貸付"
    paid = [(d, a) for d, a in installments.payments(record, as_of) if d >= agreement["date"]]
    standing, _ = installments.allocate(installments.agreement_schedule(agreement), paid)
    return [s for s in standing if s.overdue(as_of)], "分納"


def arrears_action(record: dict[str, Any], late: list[installments.Standing], plan: str) -> Action | None:
    if not late:
        return None
    first, last = late[0].installment.number, late[-1].installment.number
    span = f"第{first}回" + (f"〜第{last}回" if last != first else "")
    what = f"{plan}の延滞 {len(late)} 回分 金{sum(s.unpaid for s in late):,}円（{span}）"
    return Action(record["case_id"], "arrears", what, late[0].installment.due)


def _answered(record: dict[str, Any], since: dt.datetime, rules: dict[str, Any]) -> bool:
    for h in record.get("history") or []:
        if h["at"] > since and (h.get("kind") in rules["answer_kinds"] or h.get("counterpart")):
            return True
    return _paid_since(record, _day(since) + dt.timedelta(days=1))


def _guarantors(record: dict[str, Any]) -> list[str]:
    return [p["id"] for p in record.get("parties") or []
            if p.get("role") in ("guarantor", "heir") and not p.get("deceased_on")]


def letter_action(record: dict[str, Any], late: list[installments.Standing], as_of: dt.date,
                  rules: dict[str, Any]) -> Action | None:
    if not late:
        return None
    oldest = late[0].installment.due
    letters = [h for h in record.get("history") or [] if h.get("kind") in LETTERS and _day(h["at"]) >= oldest]
    if not letters:
        what, due = "督促状を送付する（未納の割賦金について督促状の記録なし）", oldest + dt.timedelta(days=rules["dunning_after_days"])
    else:
        last = max(letters, key=lambda h: h["at"])
        if _answered(record, last["at"], rules):
            return None
        due = _day(last["at"]) + dt.timedelta(days=rules["answer_days"])
        what = _next_letter(record, last["kind"])
    if due > as_of + dt.timedelta(days=rules["horizon_days"]):
        return None
    return Action(record["case_id"], "letter", what, due)


def _next_letter(record: dict[str, Any], last_kind: str) -> str:
    if last_kind == "督促状送付":
        return "督促状に応答なし: 催告書を送付する"
    guarantors = _guarantors(record)
    sent = {h.get("party") for h in record.get("history") or [] if h.get("kind") == "保証債務履行請求書送付"}
    todo = [g for g in guarantors if g not in sent]
    if todo:
        return f"催告書に応答なし: 保証債務履行請求書を送付する（{'、'.join(todo)}）"
    return "書面に応答なし: 訪問または法的手続（支払督促など）を区と協議する"


def limitation_action(record: dict[str, Any], lrules: Rules, as_of: dt.date,
                      rules: dict[str, Any]) -> Action | None:
    report = limitation.assess(record, lrules, as_of)
    first = limitation.next_deadline(report)
    if first is None or first.expiry is None:
        return None
    if first.expiry > installments.add_months(as_of, rules["limitation_months"]):
        return None
    role = limitation.ROLE_LABEL.get(first.role, "当事者")
    what = (f"消滅時効の完成（第{first.installment.number}回 金{first.unpaid:,}円、{role} {first.party}）: "
            "承認・催告などを検討する")
    return Action(record["case_id"], "limitation", what, first.expiry)


# --- all cases -----------------------------------------------------------------------------------

def case_actions(record: dict[str, Any], as_of: dt.date, rules: dict[str, Any],
                 lrules: Rules | None) -> list[Action]:
    if record.get("status") in rules["closed_statuses"] or claim.balance(record) <= 0:
        return []
    late, plan = overdue(record, as_of)
    found = [promise_action(record, as_of, rules), arrears_action(record, late, plan),
             letter_action(record, late, as_of, rules)]
    if lrules is not None:
        found.append(limitation_action(record, lrules, as_of, rules))
    return [a for a in found if a is not None]


def build(store: Store, identities: list[crypto.LoadedIdentity], as_of: dt.date, *,
          names: bool = False) -> Worklist:
    rules = load_rules(store.root)
    out = Worklist(as_of)
    try:
        lrules: Rules | None = limitation.load_rules(store.root)
    except SaikenError as exc:
        lrules = None
        out.warnings.append(f"{exc.where}: {exc.message} 時効管理の行は出していません。" + _fix(exc))
    for case_id in store.case_ids():
        try:
            record = store.load(case_id, identities)
            actions = case_actions(record, as_of, rules, lrules)
        except DecryptFailure as exc:
            if exc.kind != "no match":
                out.warnings.append(f"{store.rel(case_id)}: {exc.message}" + _fix(exc))
            out.unreadable += 1
            continue
        except SaikenError as exc:
            out.warnings.append(f"{exc.where or store.rel(case_id)}: {exc.message}" + _fix(exc))
            continue
        name = claim.display_name(claim.borrower(record)) if names else None
        out.actions += [Action(a.case_id, a.kind, a.what, a.due, name) for a in actions]
    return out


def _fix(exc: SaikenError) -> str:
    return f"（対処: {exc.fix}）" if exc.fix else ""


SORTS = {
    "due": lambda a: (a.due, a.case_id, list(KINDS).index(a.kind)),
    "case": lambda a: (a.case_id, a.due, list(KINDS).index(a.kind)),
    "kind": lambda a: (list(KINDS).index(a.kind), a.due, a.case_id),
}


def sorted_actions(worklist: Worklist, by: str) -> list[Action]:
    return sorted(worklist.actions, key=SORTS[by])


# --- output --------------------------------------------------------------------------------------

def date_both(day: dt.date) -> str:
    return f"{wareki.wareki(day)}（{day.isoformat()}）"


def summary(worklist: Worklist) -> str:
    counts = worklist.counts()
    parts = "、".join(f"{KINDS[k]} {n} 件" for k, n in counts.items())
    return f"計 {len(worklist.actions)} 件（{parts}）"


def render_table(worklist: Worklist, by: str) -> list[str]:
    rows = sorted_actions(worklist, by)
    names = any(a.name for a in rows)
    lines = [f"作業一覧（基準日 {date_both(worklist.as_of)}）。！は期日を過ぎたもの。"]
    header = [pad("期日", 34), pad("事案番号", 14), pad("種別", 10), "内容"]
    lines.append("".join(header) + ("  氏名" if names else ""))
    for a in rows:
        mark = "！" if a.due < worklist.as_of else "  "
        line = (pad(mark + date_both(a.due), 34) + pad(a.case_id, 14) + pad(KINDS[a.kind], 10) + a.what)
        lines.append(line + (f"  {a.name}" if a.name else ""))
    lines.append(summary(worklist))
    if worklist.unreadable:
        lines.append(f"（あなた宛てに暗号化されていない記録 {worklist.unreadable} 件は含みません）")
    return lines


def as_json(worklist: Worklist, by: str) -> dict[str, Any]:
    rows = []
    for a in sorted_actions(worklist, by):
        row = {"case_id": a.case_id, "kind": a.kind, "kind_label": KINDS[a.kind], "what": a.what,
               "due": a.due.isoformat(), "due_wareki": wareki.wareki(a.due), "overdue": a.due < worklist.as_of}
        if a.name:
            row["name"] = a.name
        rows.append(row)
    return {"as_of": worklist.as_of.isoformat(), "actions": rows, "counts": worklist.counts(),
            "unreadable": worklist.unreadable, "warnings": worklist.warnings}
