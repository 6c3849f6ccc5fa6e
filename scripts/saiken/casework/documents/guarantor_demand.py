"""保証債務履行請求書 (guarantor demand): to a 連帯保証人 (or an heir of one), what the borrower owes.

Since 2020 a demand on the guarantor does not bind the borrower (民法458条): the letter names the
guarantor's own obligation. With one guarantor --to may be left out; with several it is required.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from saiken.casework import claim
from saiken.casework.documents import common, contact
from saiken.core.policy import Policy
from saiken.errors import SaikenError
from saiken.wareki import wareki

GUARANTOR_ROLES = ("guarantor", "heir")


def _guarantor_id(record: dict[str, Any], to: str | None, case_id: str) -> str:
    candidates = [p for p in record.get("parties") or [] if p.get("role") in GUARANTOR_ROLES]
    if to is None:
        if len(candidates) == 1:
            return str(candidates[0]["id"])
        if not candidates:
            raise SaikenError("この事案には連帯保証人（または相続人）がいません。", where=f"事案 {case_id}")
        ids = "、".join(p["id"] for p in candidates)
        raise SaikenError(f"連帯保証人・相続人が複数います（{ids}）。宛先を --to で指定してください。",
                          where=f"事案 {case_id}", hint=f"saiken doc 保証債務履行請求書 {case_id} --to {candidates[0]['id']}")
    p = common.party(record, to, case_id)
    if p.get("role") not in GUARANTOR_ROLES:
        raise SaikenError(f"当事者「{to}」は{common.ROLE_LABELS.get(p.get('role'), '')}です。"
                          "保証債務履行請求書は連帯保証人（または相続人）宛ての文書です。",
                          where=f"事案 {case_id}", hint=f"借受人宛てには `saiken doc 督促状 {case_id}` を使ってください。")
    return to


def build(record: dict[str, Any], policy: Policy, case_id: str, on: dt.date, to: str | None) -> dict[str, Any]:
    to_id = _guarantor_id(record, to, case_id)
    target = common.party(record, to_id, case_id)
    heir_of = common.parties(record).get(target.get("heir_of") or "")
    addressee = common.addressee(record, to_id, case_id)
    owed, warnings = common.demand_for(record, policy, on, to_id, "保証債務履行請求書", case_id)
    return {
        "title": "保証債務履行請求書", "case_id": case_id, "date": wareki(on),
        "sender": common.sender(policy), "to": addressee,
        "borrower": common.full_name(claim.borrower(record)),
        "heir_of": common.full_name(heir_of) if heir_of else "",
        "share": str(target.get("share") or ""),
        "claim": common.claim_figures(record, owed), "notice": contact.notice(policy),
        "deadline": wareki(common.deadline(on, policy, "demand_days", 14)), "warnings": warnings,
    }
