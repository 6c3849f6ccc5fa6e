"""保証債務履行請求書 (guarantor demand): to a 連帯保証人 (or an heir of one), what the borrower owes.

Since 2020 a demand on the guarantor does not bind the borrower (民法458条): the letter names the
guarantor's own obligation. With one guarantor --to may be left out; with several it is required.
An heir of a guarantor is asked for the share (owed.figures); an heir of the borrower is a principal
debtor and gets a 督促状 or 催告書 instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from saiken.casework import claim
from saiken.casework import heirs
from saiken.casework.documents import common, contact, owed
from saiken.core.policy import Policy
from saiken.errors import SaikenError
from saiken.wareki import wareki

GUARANTOR_ROLES = ("guarantor", "heir")


def _guarantor_like(record: dict[str, Any], p: dict[str, Any]) -> bool:
    borrower = claim.borrower(record).get("id")
    return p.get("role") == "guarantor" or (p.get("role") == "heir" and p.get("heir_of") != borrower)


def _guarantor_id(record: dict[str, Any], to: str | None, case_id: str) -> str:
    candidates = [p for p in record.get("parties") or [] if _guarantor_like(record, p)
                  and not p.get("deceased_on") and not p.get("renounced_on")]
    if to is None:
        if len(candidates) == 1:
            return str(candidates[0]["id"])
        if not candidates:
            raise SaikenError("この事案には連帯保証人（または相続人）がいません。", where=f"事案 {case_id}")
        ids = "、".join(p["id"] for p in candidates)
        raise SaikenError(f"連帯保証人・相続人が複数います（{ids}）。宛先を --to で指定してください。",
                          where=f"事案 {case_id}", hint=f"saiken doc 保証債務履行請求書 {case_id} --to {candidates[0]['id']}")
    p = common.party(record, to, case_id)
    if p.get("role") == "heir" and not _guarantor_like(record, p):
        raise SaikenError(f"当事者「{to}」は借受人の相続人（相続分について主たる債務者）です。保証債務履行請求書は"
                          "連帯保証人（または連帯保証人の相続人）宛ての文書です。", where=f"事案 {case_id}",
                          hint=f"saiken doc 督促状 {case_id} --to {to}")
    if p.get("role") not in GUARANTOR_ROLES:
        raise SaikenError(f"当事者「{to}」は{common.ROLE_LABELS.get(p.get('role'), '')}です。"
                          "保証債務履行請求書は連帯保証人（または相続人）宛ての文書です。",
                          where=f"事案 {case_id}", hint=f"借受人宛てには `saiken doc 督促状 {case_id}` を使ってください。")
    return to


def build(record: dict[str, Any], policy: Policy, case_id: str, on: dt.date, to: str | None) -> dict[str, Any]:
    to_id = _guarantor_id(record, to, case_id)
    debt, warnings = owed.terms(record, policy, to_id, case_id, on, "保証債務履行請求書")
    target = common.party(record, to_id, case_id)
    heir_of = common.parties(record).get(target.get("heir_of") or "")
    borrower = claim.borrower(record)
    return {
        "title": "保証債務履行請求書", "case_id": case_id, "date": wareki(on),
        "sender": common.sender(policy), "to": common.addressee(record, to_id, case_id),
        "borrower": common.full_name(borrower), "borrower_deceased": heirs.died_on(borrower, on) is not None,
        "heir_of": common.full_name(heir_of) if heir_of else "",
        "share": (debt["heir"] or {}).get("share", ""), "limited": (debt["heir"] or {}).get("limited", ""),
        "claim": debt["claim"], "notice": contact.notice(policy),
        "deadline": wareki(common.deadline(on, policy, "demand_days", 14)),
        "warnings": [*warnings, *contact.placeholders(policy)],
    }
