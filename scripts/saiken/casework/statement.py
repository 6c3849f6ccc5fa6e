"""入金の充当と残高 (statement of account): the 489条 allocation of a case as of a date, for people
(`saiken case allocation`, a table) and programs (JSON), and the one way the documents get it.

The allocation is the limitation engine's (limitation.assess → report.allocation), so that the
due dates – acceleration included – and the unpaid principal per installment are the same in the
limitation table, the worklist, this statement and the letters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from saiken import wareki
from saiken.casework import allocation, damages, limitation
from saiken.core.policy import Policy
from saiken.textwidth import rpad

ORDER = "費用 → 遅延損害金 → 元金（それぞれ古いものから。民法489条）"
COUNTING = "遅延損害金は弁済期（期限の利益を失った割賦金はその日）の翌日から支払の日まで、1年を365日とする日割り（うるう年も同じ）、割賦金ごとに1円未満切捨て"


def assess(record: dict[str, Any], policy: Policy, on: dt.date) -> tuple[limitation.Report, damages.Policy]:
    """The limitation engine's report as of `on`, with the 489条 allocation; policies/damages.yaml is
    required (a missing file is named with the fix)."""
    rules = limitation.load_rules(policy.root)
    rates = rules.damages or damages.load(policy.root)
    report = limitation.assess(record, rules, on)
    assert report.allocation is not None
    return report, rates


def available(policy: Policy) -> bool:
    """Whether the repository has what the allocation needs (an older one may lack damages.yaml)."""
    return all((policy.root / rel).is_file() for rel in (limitation.events.RULES_FILE, damages.DAMAGES_FILE))


def position_on(record: dict[str, Any], policy: Policy, day: dt.date) -> allocation.Position | None:
    """The allocation on `day`, or None when the repository lacks the policy files."""
    return assess(record, policy, day)[0].allocation if available(policy) else None


def owed_text(p: allocation.Position) -> str:
    return (f"元金 {wareki.yen(p.principal_left)}、遅延損害金 {wareki.yen(p.damages_left)}、"
            f"費用 {wareki.yen(p.costs_left)}、合計 {wareki.yen(p.total_left)}")


def payment_lines(record: dict[str, Any], policy: Policy, day: dt.date, amount: int) -> list[str] | None:
    """What `saiken case pay` shows after recording a payment: where it went and what is left."""
    p = position_on(record, policy, day)
    if p is None:
        return None
    row = next((r for r in reversed(p.rows) if r.day == day and r.amount == amount), None)
    lines = [] if row is None else [f"充当（民法489条）: 費用 {wareki.yen(row.costs)} → 遅延損害金 {wareki.yen(row.damages)}"
                                    f" → 元金 {wareki.yen(row.principal)}"
                                    + (f"（債務を超える {wareki.yen(row.surplus)}）" if row.surplus else "")]
    return [*lines, f"{day.isoformat()} 現在の残高: {owed_text(p)}"]


def _yen(n: int) -> str:
    return f"{n:,}"


COLUMNS = (("入金日", 10), ("入金額", 11), ("費用へ", 9), ("損害金へ", 10), ("元金へ", 11),
           ("残 費用", 9), ("残 損害金", 10), ("残 元金", 12))


def _row(cells: list[str]) -> str:
    return "".join(c.ljust(w) if n == 0 else rpad(c, w) for n, (c, (_, w)) in enumerate(zip(cells, COLUMNS)))


def render_table(case_id: str, position: allocation.Position, notes: list[str]) -> list[str]:
    on = position.as_of
    lines = [f"事案 {case_id} の入金の充当（基準日 {wareki.wareki(on)}（{on.isoformat()}））",
             f"充当の順序: {ORDER}", f"計算: {COUNTING}"]
    lines += [f"注意: {note}" for note in notes]
    made = next((x.installment.agreement for x in position.lines if x.installment.agreement), None)
    if made is not None:
        lines.append(f"合意書（{wareki.wareki(made)}（{made.isoformat()}））の分割計画によります: 元金の欄は分割金"
                     "（合意書で認めた遅延損害金・費用を含む）です。合意日までの入金は合意書の総額に含まれています。")
    rates = allocation.rates_text([x for x in position.lines if x.rate and (x.principal_unpaid or x.damages_accrued)])
    if rates:
        lines.append(f"遅延損害金の率: {rates}（policies/damages.yaml）")
    lines += ["", _row([name for name, _ in COLUMNS])]
    for r in position.rows:
        lines.append(_row([r.day.isoformat(), _yen(r.amount), _yen(r.costs), _yen(r.damages), _yen(r.principal),
                           _yen(r.costs_left), _yen(r.damages_left), _yen(r.principal_left)]))
        if r.surplus:
            lines.append(f"  （超過 {_yen(r.surplus)} 円: 債務を超える入金です。区と扱いを協議してください）")
    if not position.rows:
        lines.append("（入金の記録はありません）")
    lines += ["", f"{wareki.wareki(on)}現在の残高: 元金 {wareki.yen(position.principal_left)}、"
                  f"遅延損害金 {wareki.yen(position.damages_left)}、費用 {wareki.yen(position.costs_left)}、"
                  f"合計 {wareki.yen(position.total_left)}",
              "（時効が完成した割賦金も含みます。請求できる額は `saiken case limitation` と文書で確かめてください）"]
    return lines


def as_json(case_id: str, position: allocation.Position, notes: list[str]) -> dict[str, Any]:
    def line(x: allocation.Line) -> dict[str, Any]:
        return {"installment": x.installment.number, "agreement": x.installment.agreement,
                "due": x.installment.due, "start": x.start,
                "amount": x.installment.amount, "principal_paid": x.principal_paid, "settled_on": x.settled_on,
                "rate_percent": str(x.rate.percent) if x.rate else None, "rate_basis": x.rate.basis if x.rate else None,
                "damages_accrued": x.damages_accrued, "damages_paid": x.damages_paid}

    return {"case_id": case_id, "as_of": position.as_of, "order": ORDER, "counting": COUNTING, "notes": notes,
            "payments": [vars(r) for r in position.rows],
            "balance": {"principal": position.principal_left, "damages": position.damages_left,
                        "costs": position.costs_left, "total": position.total_left, "surplus": position.surplus},
            "installments": [line(x) for x in position.lines]}
