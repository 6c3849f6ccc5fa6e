"""合意書 (債務承認及び分割弁済合意書): the record's latest agreements[] entry as a signed deed.

It is an 承認 (民法152条) and the 履行延期の特約 of 地方自治法施行令171条の6. The amount appears in
figures and in 大字, split into 元金 and 遅延損害金 as the 489条 allocation gives them on the
agreement's date (amounts.py) as the record stood without it (an agreement it supersedes applied,
casework.plan) – never as a difference – and the agreement's `total` must equal their sum
(time-barred installments are left out, with a warning for the lawyer). The schedule is derived
from the plan (installments.agreement_schedule): the first installment, 「毎月○日限り金○円」 for the
middle ones, and the last. Each signing party gets a letter (甲 the ward, 乙 the borrower, then 丙,
丁 … for each guarantor or heir) and one original: 「本書○通を作成し、甲、乙及び丙が…各自1通を保有する」.
The damages rate after acceleration is the one policies/damages.yaml gives for a default beginning
on the agreement's date; the court is policy data in policies/contract.yaml (documents.agreement),
the payment method comes from documents.payment. Never 「吉日」: the date is the agreement's own.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from saiken.casework import damages, installments, plan, statement
from saiken.casework.documents import amounts, common, contact, owed
from saiken.core.editor import agreement_example
from saiken.core.policy import CONTRACT_FILE, Policy
from saiken.errors import SaikenError
from saiken.wareki import daiji, era_of, era_year, wareki, yen

DEFAULTS = {"court": "東京地方裁判所又は東京簡易裁判所"}
MOVED = {"damages_rate": "policies/damages.yaml", "damages_rate_before_2020": "policies/damages.yaml",
         "payment": f"{CONTRACT_FILE} の documents.payment", "copies": "（通数は署名する当事者の数から決まります）"}
LABELS = "乙丙丁戊己庚辛壬癸"


def latest(record: dict[str, Any], case_id: str) -> dict[str, Any]:
    entries = record.get("agreements") or []
    if not entries:
        raise SaikenError("この事案には合意（agreements）の記録がないため、合意書を作成できません。",
                          where=f"事案 {case_id}",
                          hint=f"`saiken case edit {case_id}` で、agreements に次の例のように合意の内容を書いてください"
                               "（例は `saiken case new` のひな形と同じです）:\nagreements:\n"
                               + agreement_example("  "))
    return max(entries, key=lambda a: a["date"])


def month(day: dt.date) -> str:
    name, year = era_of(day)
    return f"{era_year(name, year)}{day.month}月"


def schedule_lines(plan: list[installments.Installment], day: int) -> list[str]:
    """The schedule as a deed states it: first, 毎月○日限り金○円 for the middle, the last."""
    if len(plan) == 1:
        return [f"{wareki(plan[0].due)}限り{yen(plan[0].amount)}（1回払い）"]
    lines = [f"第1回　{wareki(plan[0].due)}限り{yen(plan[0].amount)}"]
    middle = plan[1:-1]
    if middle:
        lines.append(f"第2回から第{len(plan) - 1}回まで　{month(middle[0].due)}から{month(middle[-1].due)}まで"
                     f"毎月{day}日限り{yen(middle[0].amount)}ずつ")
    last = plan[-1]
    lines.append(f"第{len(plan)}回（最終回）　{wareki(last.due)}限り{yen(last.amount)}")
    return lines


def _signatory(record: dict[str, Any], party_id: str, case_id: str, label: str) -> dict[str, str]:
    p = common.party(record, party_id, case_id)
    birth = p.get("birth_date")
    return {"id": p["id"], "label": label, "role": common.ROLE_LABELS.get(p.get("role"), ""),
            "name": common.full_name(p), "birth_date": wareki(birth) + "生" if birth else "",
            **common.address_of(p, case_id)}


def signatories(record: dict[str, Any], a: dict[str, Any], case_id: str, on: dt.date) -> list[dict[str, str]]:
    """The debtor side: the borrower first (乙), then each other party in the agreement's order (丙, 丁 …);
    none who may not be asked (owed.refuse_unreachable)."""
    ids = list(a.get("parties") or []) or [p["id"] for p in record.get("parties") or []
                                           if p.get("role") in ("borrower", "guarantor")]
    for i in ids:
        owed.refuse_unreachable(record, i, case_id, on)
    roles = {p["id"]: p.get("role") for p in record.get("parties") or []}
    ids.sort(key=lambda i: roles.get(i) != "borrower")
    if len(ids) > len(LABELS):
        raise SaikenError(f"合意書に署名する当事者が多すぎます（{len(ids)} 人、{len(LABELS)} 人まで）。",
                          where=f"事案 {case_id} の agreements")
    return [_signatory(record, i, case_id, LABELS[n]) for n, i in enumerate(ids)]


def join_ja(items: list[str]) -> str:
    """甲 / 甲及び乙 / 甲、乙及び丙."""
    return items[0] if len(items) == 1 else "、".join(items[:-1]) + "及び" + items[-1]


def originals(signers: list[dict[str, str]]) -> dict[str, Any]:
    """本書○通: one original for each signing party, 甲 included, each named by its letter."""
    labels = ["甲", *(s["label"] for s in signers)]
    return {"copies": len(labels), "holders": join_ja(labels), "debtor_labels": join_ja(labels[1:]),
            "guarantor_labels": join_ja([s["label"] for s in signers[1:]]) if len(signers) > 1 else ""}


def _terms(policy: Policy, rates_on: str) -> dict[str, Any]:
    given = (policy.contract.get("documents") or {}).get("agreement") or {}
    stale = [k for k in MOVED if k in given]
    if stale:
        raise SaikenError(f"documents.agreement の {'、'.join(stale)} は使わなくなりました。",
                          where=CONTRACT_FILE, hint="その行を消してください。移った先: "
                          + "、".join(f"{k} → {MOVED[k]}" for k in stale))
    method = contact.agreement_method(policy)
    return {**DEFAULTS, **given, "payment": method, "rate": rates_on, "transfer": "振り込む" in method}


def owed_on(record: dict[str, Any], policy: Policy, a: dict[str, Any]) -> tuple[amounts.Owed, damages.Policy]:
    """What the borrower owed when agreement `a` was made – the record as it stood without it
    (casework.plan.before), on its date, time-barred installments apart: what it acknowledges."""
    report, rates = statement.assess(plan.before(record, a), policy, a["date"])
    return amounts.owed(report, amounts.borrower_of(report)), rates


def total_on(record: dict[str, Any], policy: Policy, a: dict[str, Any]) -> int:
    """The `total` agreement `a` must state: 元金, 遅延損害金 and 費用 on its date."""
    owed, _ = owed_on(record, policy, a)
    return sum(owed.by_nature())


def acknowledged(record: dict[str, Any], policy: Policy, a: dict[str, Any],
                 case_id: str) -> tuple[dict[str, Any], list[str], str]:
    """元金 and 遅延損害金 on the agreement's date, checked against its total; warnings; the damages
    rate for a default beginning the day after (after acceleration; casework.plan uses the same)."""
    owed, rates = owed_on(record, policy, a)
    principal, damages_due, costs = owed.by_nature()
    whole = principal + damages_due + costs
    parts = {"principal_part": yen(principal), "damages_part": yen(damages_due),
             "costs_part": yen(costs) if costs else ""}
    if int(a["total"]) != whole:
        raise SaikenError(
            f"合意の総額（agreements の total: {yen(int(a['total']))}）が、合意日（{wareki(a['date'])}）現在の債務"
            f"（元金 {parts['principal_part']}、遅延損害金 {parts['damages_part']}"
            + (f"、費用 {parts['costs_part']}" if costs else "") + f"、合計 {yen(whole)}）と一致しません。",
            where=f"事案 {case_id} の agreements",
            hint=f"`saiken case edit {case_id}` で total を {whole} にしてください（内訳は "
                 f"`saiken case allocation {case_id} --as-of {a['date'].isoformat()}`）。遅延損害金の減免は区の判断"
                 "（地方自治法施行令171条の7など）によるため、saiken はその合意書を作りません。")
    notes = [*rates.notes(), *amounts.barred_warning(owed, "借受人", "合意書の金額")]
    return parts, notes, rates.rate_for(a["date"] + dt.timedelta(days=1)).text


def build(record: dict[str, Any], policy: Policy, case_id: str, on: dt.date, to: str | None) -> dict[str, Any]:
    if to is not None:
        raise SaikenError("合意書は当事者全員の文書のため、--to は使えません。",
                          hint=f"saiken doc 合意書 {case_id}")
    a = latest(record, case_id)
    signers = signatories(record, a, case_id, on)
    plan = installments.agreement_schedule(a)
    total = int(a["total"])
    parts, warnings, rate = acknowledged(record, policy, a, case_id)
    c = record["claim"]
    return {
        "title": "債務承認及び分割弁済合意書", "case_id": case_id, "date": wareki(a["date"]),
        "sender": common.sender(policy),
        "debtor": signers[0], "guarantors": signers[1:], **originals(signers),
        "loan": {"contract_date": wareki(c["contract_date"]), "principal": yen(int(c["principal"]))},
        "total": yen(total), "total_daiji": daiji(total), **parts,
        "as_of": wareki(a["date"]), "day": int(a["day"]), "amount": yen(int(a["amount"])),
        "count": len(plan), "schedule_lines": schedule_lines(plan, int(a["day"])),
        "schedule": [{"n": i.number, "due": wareki(i.due), "amount": yen(i.amount)} for i in plan],
        "terms": _terms(policy, rate), "acceleration": clause(a, case_id),
        "warnings": [*warnings, *contact.placeholders(policy)],
    }


def clause(agreement: dict[str, Any], case_id: str) -> dict[str, Any]:
    """The acceleration clause printed in the deed, from the agreement's data (acceleration.find reads
    the same data, so the deed and the engine agree). Without it the template's clause is printed and
    staff are told to record it."""
    data = agreement.get("acceleration")
    if not data:
        print(f"警告: 合意書の期限の利益喪失の条項（agreements の acceleration）が記録にありません。印字した条項"
              f"（2回以上の不払で当然喪失）を記録に書いてください。書かないと、分納が止まっても期限の利益の喪失が"
              f"計算されません。対処: saiken case edit {case_id}（acceleration: {{missed: 2}}）", file=sys.stderr)
        data = {"missed": 2}
    return {"missed": int(data.get("missed") or 2), "consecutive": bool(data.get("consecutive")),
            "on_demand": bool(data.get("on_demand"))}
