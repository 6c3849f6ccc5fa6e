"""割賦金: the installment schedule derived from the loan terms, and what payments cover.

Nothing here is typed by hand: the schedule comes from claim.principal and claim.repayment
{method, first_due, count}; each installment is due `step` months after the previous one
(月賦 1, 半年賦 6, 年賦 12), on the day of first_due or the month's last day where that day does
not exist (first_due 1月31日 → 2月28日 → 3月31日). The principal is split equally; the yen
that do not divide go on the last installment. Payments are applied oldest installment first.

A 分納誓約 (agreements[]) has its own plan – 毎月 `day` 日限り金 `amount` 円 from first_due until
`total` is paid, the remainder as the last installment – given by `agreement_schedule`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from saiken.errors import SaikenError

STEP_MONTHS = {"月賦": 1, "半年賦": 6, "年賦": 12}


@dataclass(frozen=True)
class Installment:
    number: int  # 1-based: 第1回
    due: dt.date
    amount: int
    agreement: dt.date | None = None  # the date of the 分納 agreement it belongs to (None: the loan's)

    @property
    def label(self) -> str:
        """第3回 (the loan's), 合意書第3回 (an agreement's)."""
        return f"{'合意書' if self.agreement else ''}第{self.number}回"


def span(items: list[Installment]) -> str:
    """第2回, 第2〜5回, 合意書第1〜3回 – the first and last of installments of one plan, in number order."""
    first, last = items[0], items[-1]
    return first.label if first.number == last.number else f"{first.label[:-1]}〜{last.number}回"


def by_plan(items: set[Installment] | list[Installment]) -> list[list[Installment]]:
    """Installments grouped by plan (the loan's first, then each agreement's), each in number order."""
    plans: dict[dt.date | None, list[Installment]] = {}
    for inst in sorted(items, key=lambda i: (i.agreement or dt.date.min, i.number)):
        plans.setdefault(inst.agreement, []).append(inst)
    return list(plans.values())


@dataclass(frozen=True)
class Standing:
    """One installment after the payments made up to some date."""

    installment: Installment
    paid: int
    settled_on: dt.date | None  # the payment that completed it, if any

    @property
    def unpaid(self) -> int:
        return self.installment.amount - self.paid

    def overdue(self, as_of: dt.date) -> bool:
        return self.unpaid > 0 and self.installment.due < as_of


def add_months(day: dt.date, months: int, *, on_day: int | None = None) -> dt.date:
    """`day` moved by `months`, on `on_day` (default day.day), clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(on_day or day.day, last))


def equal_split(total: int, count: int) -> list[int]:
    """total in `count` equal parts; what does not divide goes on the last part."""
    if count < 1:
        raise SaikenError("返還回数は 1 以上です。", where="claim.repayment.count")
    base = total // count
    return [base] * (count - 1) + [total - base * (count - 1)]


def _claim(record: dict[str, Any]) -> dict[str, Any]:
    claim = record.get("claim")
    if not isinstance(claim, dict):
        raise SaikenError("債権金額（claim）がありません。", where="claim",
                          hint="`saiken case edit ID` で claim を書いてください。")
    return claim


def schedule(record: dict[str, Any]) -> list[Installment]:
    """The loan's installments: number, due date and amount."""
    claim = _claim(record)
    rep = claim.get("repayment") or {}
    method = rep.get("method")
    if method not in STEP_MONTHS:
        raise SaikenError(f"返還方法「{method}」は使えません（月賦・半年賦・年賦）。", where="claim.repayment.method")
    first, count = rep.get("first_due"), int(rep.get("count") or 0)
    if not isinstance(first, dt.date):
        raise SaikenError("初回の返還期日がありません。", where="claim.repayment.first_due")
    step = STEP_MONTHS[method]
    amounts = equal_split(int(claim.get("principal") or 0), count)
    return [Installment(n + 1, add_months(first, n * step), amount) for n, amount in enumerate(amounts)]


def agreement_schedule(agreement: dict[str, Any]) -> list[Installment]:
    """毎月 day 日限り金 amount 円 from first_due until total; the remainder last."""
    total, amount = int(agreement.get("total") or 0), int(agreement.get("amount") or 0)
    first, day = agreement.get("first_due"), int(agreement.get("day") or 0)
    if amount <= 0 or total <= 0 or not isinstance(first, dt.date) or not 1 <= day <= 31:
        raise SaikenError("合意書の分割計画（total・amount・day・first_due）が不完全です。", where="agreements")
    count = -(-total // amount)
    amounts = [amount] * (count - 1) + [total - amount * (count - 1)]
    made = agreement.get("date") if isinstance(agreement.get("date"), dt.date) else None
    return [Installment(n + 1, first if n == 0 else add_months(first, n, on_day=day), a, made)
            for n, a in enumerate(amounts)]


def payments(record: dict[str, Any], as_of: dt.date | None = None) -> list[tuple[dt.date, int]]:
    """The payments (date, amount) made up to `as_of`, oldest first."""
    rows = [(p["date"], int(p["amount"])) for p in _claim(record).get("payments") or []]
    return sorted(r for r in rows if as_of is None or r[0] <= as_of)


def allocate(installments: list[Installment],
             paid: list[tuple[dt.date, int]]) -> tuple[list[Standing], int]:
    """Apply payments oldest-first to the oldest unpaid installment; return standings and surplus."""
    covered = [0] * len(installments)
    settled: list[dt.date | None] = [None] * len(installments)
    i = 0
    surplus = 0
    for day, amount in paid:
        while amount > 0:
            if i >= len(installments):
                surplus += amount
                break
            take = min(amount, installments[i].amount - covered[i])
            covered[i] += take
            amount -= take
            if covered[i] == installments[i].amount:
                settled[i] = day
                i += 1
    return [Standing(inst, covered[n], settled[n]) for n, inst in enumerate(installments)], surplus


def standings(record: dict[str, Any], as_of: dt.date | None = None) -> list[Standing]:
    """Every installment of the loan with what the payments up to `as_of` cover."""
    return allocate(schedule(record), payments(record, as_of))[0]


def arrears(record: dict[str, Any], as_of: dt.date) -> list[Standing]:
    """Installments past due on `as_of` and not fully paid (延滞中の割賦金)."""
    return [s for s in standings(record, as_of) if s.overdue(as_of)]


def arrears_total(record: dict[str, Any], as_of: dt.date) -> int:
    return sum(s.unpaid for s in arrears(record, as_of))
