"""What the limitation engine finds: one Outcome per person and installment, and the Report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from saiken.casework import acceleration, allocation, installments, liability
from saiken.casework.limitation.events import Event
from saiken.casework.limitation.walk import ACK_AFTER_EXPIRY, Step

ROLE_LABEL = {"borrower": "借受人", "guarantor": "連帯保証人", "heir": "相続人"}
PAID, NOT_DUE, RUNNING, SOON, EXPIRED = "完済", "弁済期未到来", "進行中", "間近", "完成"
INVOKED, DISCHARGED = "援用済み", "免責"
CLOSED = (PAID, EXPIRED, INVOKED, DISCHARGED)  # nothing to demand (EXPIRED: not until the lawyer says so)
ACK_AFTER_PRINCIPAL = "主たる債務の時効完成後の承認"
FLAG_TEXT = {
    ACK_AFTER_EXPIRY: "本人は時効を援用できない可能性があります（最大判昭和41年4月20日）",
    ACK_AFTER_PRINCIPAL: "保証人が主たる債務の時効を援用できるかは争いがあります（弁護士の確認が必要）",
}


@dataclass
class Outcome:
    party: str
    role: str
    installment: installments.Installment
    unpaid: int
    start: dt.date
    expiry: dt.date | None = None      # when this person can invoke it: the later of … (see steps)
    own_expiry: dt.date | None = None  # for a guarantor: their own debt's expiry
    status: str = RUNNING
    steps: list[Step] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    late: set[Event] = field(default_factory=set, repr=False)  # events that came after completion
    principal: str = ""                # the principal debtor whose debt this is (the party itself for one)
    share: Fraction = Fraction(1)
    due: dt.date | None = None         # when it fell due for this person (acceleration brings it forward)
    closed_on: dt.date | None = None   # 時効援用 / 免責許可


@dataclass
class Report:
    case_id: str
    as_of: dt.date
    old_law: bool
    years: int
    outcomes: list[Outcome]
    warnings: list[str]
    liability: liability.Liability | None = None

    @property
    def acceleration(self) -> acceleration.Acceleration | None:
        return self.liability.acceleration if self.liability else None

    @property
    def agreement(self) -> dict[str, Any] | None:
        """The signed 分納 agreement whose installments the debt is made of (casework.plan), if any."""
        return self.liability.plan.agreement if self.liability else None

    @property
    def allocation(self) -> allocation.Position | None:
        """The payments under 民法489条 on the whole debt, when the damages policy is known."""
        return self.liability.allocation if self.liability else None
