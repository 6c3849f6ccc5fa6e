"""合意書 (債務承認及び分割弁済合意書): the record's latest agreements[] entry as a signed deed.

It is an 承認 (民法152条) and the 履行延期の特約 of 地方自治法施行令171条の6. The amount appears in
figures and in 大字; the schedule is derived from the plan (installments.agreement_schedule):
the first installment, 「毎月○日限り金○円」 for the middle ones, and the last. The acceleration
clause, the guarantor's acknowledgement, the duty to report an address change, the agreed court
and 「本書2通作成」 are in the template; the rate of damages and the court are policy data in
policies/contract.yaml (documents.agreement). Never 「吉日」: the date is the agreement's own.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from saiken.casework import claim, installments
from saiken.casework.documents import common, owed
from saiken.core.policy import Policy
from saiken.errors import SaikenError
from saiken.wareki import daiji, era_of, era_year, wareki, yen

DEFAULTS = {"damages_rate": "年3パーセント", "damages_rate_before_2020": "年5パーセント",
            "court": "東京地方裁判所又は東京簡易裁判所", "payment": "甲の指定する金融機関の口座に振り込む方法",
            "copies": 2}
CUTOVER = dt.date(2020, 4, 1)


def latest(record: dict[str, Any], case_id: str) -> dict[str, Any]:
    entries = record.get("agreements") or []
    if not entries:
        raise SaikenError("この事案には合意（agreements）の記録がないため、合意書を作成できません。",
                          where=f"事案 {case_id}",
                          hint=f"`saiken case edit {case_id}` で agreements に合意日・総額・毎月の支払日と金額・初回期日を書いてください。")
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


def _signatory(record: dict[str, Any], party_id: str, case_id: str) -> dict[str, str]:
    p = common.party(record, party_id, case_id)
    birth = p.get("birth_date")
    return {"id": p["id"], "role": common.ROLE_LABELS.get(p.get("role"), ""), "name": common.full_name(p),
            "birth_date": wareki(birth) + "生" if birth else "", **common.address_of(p, case_id)}


def _terms(policy: Policy, record: dict[str, Any], on: dt.date) -> dict[str, Any]:
    terms = {**DEFAULTS, **((policy.contract.get("documents") or {}).get("agreement") or {})}
    overdue = installments.arrears(record, on)
    old = bool(overdue) and overdue[0].installment.due < CUTOVER
    terms["rate"] = terms["damages_rate_before_2020"] if old else terms["damages_rate"]
    return terms


def build(record: dict[str, Any], policy: Policy, case_id: str, on: dt.date, to: str | None) -> dict[str, Any]:
    if to is not None:
        raise SaikenError("合意書は当事者全員の文書のため、--to は使えません。",
                          hint=f"saiken doc 合意書 {case_id}")
    a = latest(record, case_id)
    ids = list(a.get("parties") or []) or [p["id"] for p in record.get("parties") or []
                                           if p.get("role") in ("borrower", "guarantor")]
    for i in ids:
        owed.refuse_unreachable(record, i, case_id, on)
    signers = [_signatory(record, i, case_id) for i in ids]
    plan = installments.agreement_schedule(a)
    total = int(a["total"])
    principal = min(claim.balance(record), total)
    c = record["claim"]
    return {
        "title": "債務承認及び分割弁済合意書", "case_id": case_id, "date": wareki(a["date"]),
        "sender": common.sender(policy),
        "debtor": next((s for s in signers if s["role"] == "借受人"), signers[0]),
        "guarantors": [s for s in signers if s["role"] != "借受人"],
        "loan": {"contract_date": wareki(c["contract_date"]), "principal": yen(int(c["principal"]))},
        "total": yen(total), "total_daiji": daiji(total),
        "principal_part": yen(principal), "damages_part": yen(total - principal),
        "as_of": wareki(a["date"]), "day": int(a["day"]), "amount": yen(int(a["amount"])),
        "count": len(plan), "schedule_lines": schedule_lines(plan, int(a["day"])),
        "schedule": [{"n": i.number, "due": wareki(i.due), "amount": yen(i.amount)} for i in plan],
        "terms": _terms(policy, record, a["date"]), "acceleration": clause(a, case_id),
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
