"""交渉記録報告書 (negotiation report): the negotiation log the ward receives, per case, for a period.

One case (`saiken doc 交渉記録報告書 ID`) or every case the user can open (no ID, --from/--to).
Each case gets its header (case id, borrower, loan, status, and the principal and damages left on the
report's date under 民法489条 – time-barred installments included: the ward still holds them) and the
history table:
日時（午前/午後）, 方法, 相手方, 本人確認, 内容, 承認の有無, 約束, 次の対応, 担当.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from saiken.casework import claim, statement
from saiken.casework.documents import common
from saiken.core.policy import Policy
from saiken.wareki import time_ampm, wareki, wareki_datetime, yen


def _promise(entry: dict[str, Any]) -> str:
    p = entry.get("promise") or {}
    parts = []
    if p.get("date"):
        parts.append(f"{wareki(p['date'])}までに")
    if p.get("amount") is not None:
        parts.append(yen(int(p["amount"])))
    return "".join(parts) + ("を支払う" if p.get("amount") is not None else "")


def _counterpart(entry: dict[str, Any], parties: dict[str, dict[str, Any]]) -> str:
    who = parties.get(entry.get("party") or "")
    label = entry.get("counterpart") or (common.ROLE_LABELS.get(who.get("role"), "") if who else "")
    name = common.full_name(who) if who else ""
    return f"{label}（{name}）" if label and name else label or name


def row(entry: dict[str, Any], parties: dict[str, dict[str, Any]], policy: Policy) -> dict[str, str]:
    handler = policy.handler(str(entry.get("by") or ""))
    ack = entry.get("acknowledged")
    return {
        "at": wareki_datetime(entry["at"]), "at_date": wareki(entry["at"].date()),
        "at_time": time_ampm(entry["at"]), "kind": str(entry.get("kind") or ""),
        "counterpart": _counterpart(entry, parties), "identity_check": str(entry.get("identity_check") or ""),
        "note": str(entry.get("note") or ""), "acknowledged": "有" if ack else "無",
        "promise": _promise(entry), "next_action": str(entry.get("next_action") or ""),
        "by": handler.name if handler else str(entry.get("by") or ""),
    }


def in_period(at: dt.datetime, start: dt.date | None, end: dt.date | None) -> bool:
    day = at.date()
    return (start is None or day >= start) and (end is None or day <= end)


def case_section(case_id: str, record: dict[str, Any], policy: Policy, on: dt.date,
                 start: dt.date | None, end: dt.date | None) -> dict[str, Any]:
    parties = common.parties(record)
    entries = sorted((h for h in record.get("history") or [] if in_period(h["at"], start, end)),
                     key=lambda h: h["at"])
    c = record["claim"]
    position = statement.assess(record, policy, on)[0].allocation
    assert position is not None
    return {
        "case_id": case_id, "borrower": common.full_name(claim.borrower(record)),
        "status": str(record.get("status") or ""), "contract_date": wareki(c["contract_date"]),
        "principal": yen(int(c["principal"])), "balance": yen(position.principal_left),
        "damages": yen(position.damages_left), "as_of": wareki(on),
        "rows": [row(h, parties, policy) for h in entries],
    }


def build(cases: list[tuple[str, dict[str, Any]]], policy: Policy, on: dt.date,
          start: dt.date | None, end: dt.date | None) -> dict[str, Any]:
    sections = [case_section(cid, rec, policy, on, start, end) for cid, rec in cases]
    if start and end:
        period = f"{wareki(start)}から{wareki(end)}まで"
    elif start:
        period = f"{wareki(start)}以降"
    elif end:
        period = f"{wareki(end)}まで"
    else:
        period = "全期間"
    return {
        "title": "交渉記録報告書", "date": wareki(on), "sender": common.sender(policy),
        "period": period, "case_count": len(sections),
        "entry_count": sum(len(s["rows"]) for s in sections), "cases": sections,
    }
