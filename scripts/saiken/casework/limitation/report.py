"""Showing a limitation Report: grouped for people (table), complete for programs (JSON).

Consecutive installments of one person with the same outcome – same status, expiry and events
after the start – form one row (第2〜57回), so a 120-installment loan renewed by one payment reads
as a few lines. Rows already expired are marked ✖, rows completing within the warning period ！.
A row is at most about 110 terminal columns: a range of expiries is shown in ISO dates, a single
one in wareki too, and an event's article goes on a line of its own. A guarantor's rows come per
principal debtor when the borrower's heirs owe by share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import click

from saiken import wareki
from saiken.casework.limitation import (
    DISCHARGED,
    EXPIRED,
    FLAG_TEXT,
    INVOKED,
    PAID,
    ROLE_LABEL,
    SOON,
    Outcome,
    Report,
    Step,
)
from saiken.core.inheritance import ShareError, parse_share
from saiken.core.inheritance import show as show_share
from saiken.textwidth import pad, rpad

MARK = {EXPIRED: "✖", SOON: "！"}
COLOUR = {EXPIRED: "red", SOON: "yellow"}


@dataclass
class Group:
    outcomes: list[Outcome]

    @property
    def first(self) -> Outcome:
        return self.outcomes[0]

    @property
    def numbers(self) -> str:
        a, b = self.first.installment.number, self.outcomes[-1].installment.number
        return f"第{a}回" if a == b else f"第{a}〜{b}回"

    @property
    def dues(self) -> str:
        a, b = self.first.installment.due, self.outcomes[-1].installment.due
        return a.isoformat() if a == b else f"{a.isoformat()}〜{b.isoformat()}"

    @property
    def expiries(self) -> str:
        a, b = self.first.expiry, self.outcomes[-1].expiry
        if a == b:
            return date_both(a)
        return f"{a.isoformat() if a else '—'}〜{b.isoformat() if b else '—'}（各弁済期から）"

    @property
    def unpaid(self) -> int:
        return sum(o.unpaid for o in self.outcomes)


def _key(o: Outcome) -> tuple[Any, ...]:
    accelerated = o.start != o.installment.due
    later = tuple((s.day, s.kind, s.source, s.article) for s in o.steps[1:])
    # Installments whose expiry comes from their own due date alone differ only by that date:
    # one row says 「各弁済期から」 and gives the range.
    expiry = (o.expiry, o.own_expiry) if later or accelerated else "each"
    return (o.party, o.principal, o.installment.agreement, o.status, expiry, accelerated, later, tuple(o.flags))


def groups(outcomes: list[Outcome]) -> list[Group]:
    """Consecutive outcomes of one person with the same result, merged."""
    out: list[Group] = []
    for o in outcomes:
        if out and _key(out[-1].outcomes[-1]) == _key(o):
            out[-1].outcomes.append(o)
        else:
            out.append(Group([o]))
    return out


def date_both(day: dt.date | None) -> str:
    return "—" if day is None else f"{wareki.wareki(day)}（{day.isoformat()}）"


def _step_lines(step: Step) -> list[str]:
    return [f"      {step.day.isoformat()} {step.kind}: {step.source}", f"{'':17}{step.article}"]


def _party_title(pid: str, parties: dict[str, dict[str, Any]], names: bool) -> str:
    person = parties.get(pid, {})
    title = f"■ {ROLE_LABEL.get(person.get('role', ''), '当事者')} {pid}"
    if person.get("heir_of"):
        title += f"（{person['heir_of']} の相続人{_share_text(person)}）"
        if person.get("limited_acceptance_on"):
            title += f"〔限定承認 {person['limited_acceptance_on'].isoformat()}〕"
    if names:
        name = person.get("name") or {}
        title += "  " + " ".join(x for x in (name.get("family"), name.get("given")) if x)
    return title


def _summary(outcomes: list[Outcome]) -> str:
    def part(status: str, label: str) -> str:
        hit = [o for o in outcomes if o.status == status]
        return f"{label} {len(hit)} 回分（{wareki.yen(sum(o.unpaid for o in hit))}）"
    shown = ((EXPIRED, "✖ 完成済み"), (SOON, "！ 間近"), (INVOKED, INVOKED), (DISCHARGED, DISCHARGED))
    parts = [part(status, label) for status, label in shown if any(o.status == status for o in outcomes)]
    return "  " + ("、".join(parts) or "完成済み・間近のものはありません")


HEADER = "    " + pad("回", 14) + pad("弁済期", 24) + rpad("未払額", 13) + "  " + pad("時効完成日", 40) + "状況"


def _share_text(person: dict[str, Any]) -> str:
    try:
        return f"、相続分 {show_share(parse_share(person['share']))}" if person.get("share") is not None else ""
    except ShareError:
        return ""


def _principal_title(pid: str, parties: dict[str, dict[str, Any]]) -> str:
    person = parties.get(pid, {})
    return f"  〔主たる債務者 {ROLE_LABEL.get(person.get('role', ''), '')} {pid}{_share_text(person)} の分〕"


def render_table(report: Report, parties: dict[str, dict[str, Any]], *, names: bool = False) -> list[str]:
    law = "旧法" if report.old_law else "新法"
    lines = [f"事案 {report.case_id} の消滅時効（基準日 {date_both(report.as_of)}）",
             f"時効期間: {law}・各弁済期から{report.years}年（規則は policies/limitation.yaml）"]
    for note in report.warnings:
        lines.append(f"注意: {note}")
    for pid in dict.fromkeys(o.party for o in report.outcomes):
        mine = [o for o in report.outcomes if o.party == pid]
        lines += ["", _party_title(pid, parties, names), _summary(mine), HEADER]
        principals = list(dict.fromkeys(o.principal for o in mine))
        for principal in principals:
            if len(principals) > 1 or principal not in (pid, report.liability.borrower if report.liability else pid):
                lines.append(_principal_title(principal, parties))
            plan: Any = ()
            for g in groups([o for o in mine if o.principal == principal]):
                if report.agreement is not None and g.first.installment.agreement != plan:
                    plan = g.first.installment.agreement
                    lines.append(_plan_title(plan))
                lines += _group_lines(g)
    return lines


def _plan_title(made: dt.date | None) -> str:
    if made is None:
        return "  〔貸付の割賦金のうち、合意書に含めなかったもの（時効完成など）〕"
    return f"  〔合意書（{date_both(made)}）の分割金〕"


def _group_lines(g: Group) -> list[str]:
    o = g.first
    mark = MARK.get(o.status, " ")
    head = f"  {mark} " + pad(g.numbers, 14) + pad(g.dues, 24)
    if o.status == PAID:
        return [head + rpad("—", 13) + "  " + PAID]
    head += rpad(wareki.yen(g.unpaid), 13) + "  " + pad(g.expiries, 40) + o.status
    line = click.style(head, fg=COLOUR[o.status], bold=True) if o.status in COLOUR else head
    out = [line]
    steps = o.steps if o.start != o.installment.due else o.steps[1:]
    out += [text for s in steps for text in _step_lines(s)]
    if o.own_expiry is not None and o.own_expiry != o.expiry:
        out.append(f"      （本人の保証債務の時効完成日 {date_both(o.own_expiry)}）")
    out += [f"      ※ {flag}: {FLAG_TEXT.get(flag, '')}" for flag in o.flags]
    return out


def as_json(report: Report) -> dict[str, Any]:
    def step(s: Step) -> dict[str, Any]:
        return {"date": s.day, "kind": s.kind, "source": s.source, "article": s.article, "expiry": s.expiry}

    def outcome(o: Outcome) -> dict[str, Any]:
        return {"party": o.party, "role": o.role, "installment": o.installment.number,
                "agreement": o.installment.agreement,
                "due": o.installment.due, "amount": o.installment.amount, "unpaid": o.unpaid,
                "start": o.start, "expiry": o.expiry,
                "expiry_wareki": wareki.wareki(o.expiry) if o.expiry else None,
                "own_expiry": o.own_expiry, "status": o.status, "flags": o.flags,
                "principal": o.principal, "share": str(o.share), "due_on": o.due, "closed_on": o.closed_on,
                "events": [step(s) for s in o.steps]}

    acc = report.acceleration
    return {"case_id": report.case_id, "as_of": report.as_of, "old_law": report.old_law,
            "years": report.years, "notes": report.warnings,
            "acceleration": None if acc is None else {"date": acc.day, "kind": acc.kind, "basis": acc.basis,
                                                      "counted_from": acc.count_from},
            "installments": [outcome(o) for o in report.outcomes]}
