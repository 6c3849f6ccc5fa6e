"""督促状 (dunning): to the borrower (or --to a party), the overdue installments and a pay-by date.

For a private-law claim the 督促 of 地方自治法施行令171条 is a 催告 (民法150条), not a renewal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from saiken.casework import claim
from saiken.casework.documents import common, contact
from saiken.core.policy import Policy
from saiken.wareki import wareki


def build(record: dict[str, Any], policy: Policy, case_id: str, on: dt.date, to: str | None) -> dict[str, Any]:
    to_id = to or claim.borrower(record).get("id") or "p1"
    addressee = common.addressee(record, to_id, case_id)
    owed, warnings = common.demand_for(record, policy, on, to_id, "督促状", case_id)
    return {
        "title": "督促状", "case_id": case_id, "date": wareki(on), "sender": common.sender(policy),
        "to": addressee,
        "borrower": common.full_name(claim.borrower(record)),
        "claim": common.claim_figures(record, owed), "notice": contact.notice(policy),
        "deadline": wareki(common.deadline(on, policy, "dunning_days", 14)), "warnings": warnings,
    }
