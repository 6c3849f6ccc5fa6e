"""督促状 (dunning): to the borrower (or --to a party), the overdue installments and a pay-by date.

For a private-law claim the 督促 of 地方自治法施行令171条 is a 催告 (民法150条), not a renewal.
To an heir of the borrower it speaks of the inherited debt and the share (owed.terms); after the
benefit of time was lost it demands the whole balance instead of installments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from saiken.casework import claim
from saiken.casework.documents import common, contact, owed
from saiken.core.policy import Policy
from saiken.wareki import wareki


def build(record: dict[str, Any], policy: Policy, case_id: str, on: dt.date, to: str | None) -> dict[str, Any]:
    to_id = owed.principal_addressee(record, to, case_id, "督促状")
    debt, warnings = owed.terms(record, policy, to_id, case_id, on, "督促状")
    return {
        "title": "督促状", "case_id": case_id, "date": wareki(on), "sender": common.sender(policy),
        "to": common.addressee(record, to_id, case_id),
        "borrower": common.full_name(claim.borrower(record)),
        **debt, "notice": contact.notice(policy),
        "deadline": wareki(common.deadline(on, policy, "dunning_days", 14)),
        "warnings": [*warnings, *contact.placeholders(policy)],
    }
