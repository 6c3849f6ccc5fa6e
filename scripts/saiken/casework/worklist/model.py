"""What the worklist hands to its views: the actions and, per case, what a collector sees beside them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from saiken.casework.worklist.actions import KINDS, Action


@dataclass
class CaseInfo:
    """What a collector wants to see beside a case's actions."""

    flags: list[str]
    next_action: str | None
    overdue: int                 # overdue and still demandable (time-barred installments left out)
    name: str | None = None      # with names: who to call, and the number
    contact: str | None = None


@dataclass
class Worklist:
    as_of: dt.date
    actions: list[Action] = field(default_factory=list)
    cases: dict[str, CaseInfo] = field(default_factory=dict)
    unreadable: int = 0  # records not encrypted to the user
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: sum(1 for a in self.actions if a.kind == k) for k in KINDS}
