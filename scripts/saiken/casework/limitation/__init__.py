"""消滅時効: when each installment's limitation completes, for each person liable for it.

Per installment (割賦金 – each runs from its own due date; while a signed 分納 agreement is in
force, the agreement's own installments, each from its own due date, casework.plan) and per
person liable for it (the
borrower, or each heir of a deceased borrower for the share; each joint guarantor, or each heir of
a deceased one for the share – casework.liability says who owes what), starting from the due date –
or, for installments not yet due when the benefit of time was lost (期限の利益喪失, casework.acceleration:
当然喪失 under an agreement's clause, or 請求喪失 on claim.demanded_on), from that loss – it walks the
events of limitation.events in date order (limitation.walk):

- 承認 (payment, acknowledgement, signed agreement) restarts the period: 更新, 民法152条1項
  (before the cutover: 中断, 旧147条3号・157条1項);
- 催告 holds completion off for 6 months (150条1項); one made while an earlier 催告 or a 協議
  still holds it off does nothing (150条2項, 151条3項); before the cutover see the policy
  `old_law_demand_suspends` (旧153条);
- 協議 (a written agreement to negotiate, 151条) holds it off for 1 year, shortened to 6 months
  after a written refusal; renewed by a new agreement while it holds, to at most 5 years after the
  time it would have completed; none while a 催告 holds it off; none before the cutover.
- Nothing revives a completed limitation. An acknowledgement by the person after completion bars
  that person from invoking it (最大判昭和41.4.20): flagged, not computed as a renewal.

Who is bound: events against a principal debtor (the borrower; an heir of the borrower for the
share) bind the guarantors for that debt (457条1項) – those the principal's own limitation had
already outrun excepted, since they renewed nothing to pass on; a payment is the payer's own 承認
and renews only the payer's debt (153条3項; a guarantor's payment leaves the borrower's period
running, 458条・441条); events against a deceased person before the death bind the heirs; a 催告
of a guarantor binds the principal debtor only under the old law (旧458条・434条; policy
`guarantor_demand_binds_borrower`). A guarantor may also invoke the principal debt's limitation
(145条), so a guarantor's result is the earlier of the two and says so – unless the principal
debtor was discharged in bankruptcy before it completed (最判平成11年11月9日: the discharged debt
no longer runs, so the guarantor has only its own).

Afterwards limitation.closures applies the history: 時効援用 closes what had completed for the
person who invoked it (and the guarantees of it, when a principal debtor invoked), 免責許可 marks a
principal debtor's part as no longer demanded.

The plan: with a signed agreement in force on the day looked at, the engine first looks at the
record as it stood on the agreement's date without it (`_plan`: the same engine, one agreement
back), to know what the agreement took in and what it left out, time-barred (casework.plan). The
agreement's installments then run from their own due dates (a deferred due date is when the right
can be exercised, 民法166条1項), for the period the policy `accelerated_period` says; the loan's
installments left out keep their own.

Not modelled: court action and 支払督促 (147条), 破産手続参加 (147条1項4号), 160条 (相続財産), a 協議
agreed for less than a year, events between co-guarantors, acceleration per heir, and the plans
casework.plan does not model (their note says so; the loan's due dates are used).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saiken.casework import acceleration, heirs, installments, liability, plan, situations
from saiken.casework.limitation import closures, due
from saiken.casework.limitation.events import ACKNOWLEDGE, DEMAND, Event, Rules, collect, load_rules
from saiken.casework.limitation.outcome import (
    ACK_AFTER_EXPIRY,
    ACK_AFTER_PRINCIPAL,
    CLOSED,
    DISCHARGED,
    EXPIRED,
    FLAG_TEXT,
    INVOKED,
    NOT_DUE,
    PAID,
    ROLE_LABEL,
    RUNNING,
    SOON,
    Outcome,
    Report,
)
from saiken.casework.limitation.walk import Step, Walk, add_months, period_end
from saiken.core.inheritance import show as show_share
from saiken.errors import SaikenError

__all__ = ["Step", "Outcome", "Report", "assess", "assess_record", "next_deadline", "period_end", "load_rules",
           "ROLE_LABEL", "PAID", "NOT_DUE", "RUNNING", "SOON", "EXPIRED", "INVOKED", "DISCHARGED", "CLOSED",
           "ACK_AFTER_EXPIRY", "ACK_AFTER_PRINCIPAL", "FLAG_TEXT"]

@dataclass
class _Context:
    rules: Rules
    borrower: str
    principals: list[str]
    parties: dict[str, dict[str, Any]]
    old_law: bool
    years: int
    events: list[Event]
    acc: acceleration.Acceleration | None
    discharged: dict[str, dt.date]


def _label(ev: Event, ctx: _Context) -> str:
    origin = ctx.parties.get(ev.party, {})
    return f"{ROLE_LABEL.get(origin.get('role', ''), '当事者')}{ev.party}の{ev.source}"


def _binding(person: dict[str, Any], principal: str, ev: Event, ctx: _Context) -> str | None:
    """How `ev` binds `person` for the debt of `principal`: None if it does not, else the text to show."""
    pid = person["id"]
    if ev.party == pid:
        return ev.source
    origin = ctx.parties.get(ev.party, {})
    if person.get("role") == "heir" and ev.party == person.get("heir_of"):
        return f"{_label(ev, ctx)}（相続）"  # events after the death were never collected
    if pid not in ctx.principals:  # a guarantor, or an heir of one
        if ev.party == principal or (ev.party == ctx.borrower and principal != ctx.borrower):
            return f"{_label(ev, ctx)}（民法457条1項）"
        return None
    if ev.kind == DEMAND and origin.get("role") in ("guarantor", "heir") and ev.party not in ctx.principals:
        rule = ctx.rules.guarantor_demand_binds_borrower
        if (rule == "contract" and ctx.old_law) or (rule == "event" and ev.day < ctx.rules.cutover):
            return f"{_label(ev, ctx)}（旧民法458条・434条）"
    return None


class Bound(list[tuple[Event, str, bool]]):
    """(event, source text, the person's own act) for the events that bind a person, and the day of
    the person's own latest acknowledgement."""

    last_own_ack: dt.date | None = None


def _bound(person: dict[str, Any], principal: str, ctx: _Context) -> Bound:
    """The events that bind `person` for `principal`'s debt, worked out once for all installments."""
    out = Bound()
    for ev in ctx.events:
        text = _binding(person, principal, ev, ctx)
        if text is not None:
            own = ev.party == person["id"]
            out.append((ev, text, own))
            if own and ev.kind == ACKNOWLEDGE:
                out.last_own_ack = ev.day
    return out


def _years(line: liability.Line, ctx: _Context) -> int:
    """The loan contract's period, or – policy `accelerated_period: agreement` – the agreement's for
    its installments and for a balance accelerated under it."""
    if ctx.rules.accelerated_period != "agreement":
        return ctx.years
    made = line.installment.agreement
    acc = ctx.acc
    if made is None and line.start != line.installment.due and acc is not None and acc.agreement is not None:
        made = acc.agreement["date"]
    return ctx.rules.years(made) if made else ctx.years


def _walk(bound: Bound, line: liability.Line, ctx: _Context, skip: set[Event]) -> Walk:
    inst, acc = line.installment, ctx.acc
    source, article = f"{inst.label}の弁済期", ""
    if line.start != inst.due and acc is not None:
        source = f"期限の利益喪失（{acc.kind}、本来の弁済期 {inst.due.isoformat()}）"
        if acc.kind == acceleration.AUTOMATIC:
            source = f"期限の利益喪失（{acc.kind}、{acc.day.isoformat()} 午前零時、本来の弁済期 {inst.due.isoformat()}）"
            article = "・民法140条ただし書"
    walk = Walk(line.start, _years(line, ctx), ctx.rules, ctx.old_law, source, article)
    for ev, text, own in bound:
        if ev.day >= line.start and (not skip or ev not in skip):
            walk.apply(ev, text, own)
    return walk


def _status(outcome: Outcome, as_of: dt.date, rules: Rules) -> str:
    if outcome.unpaid == 0:
        return PAID
    assert outcome.expiry is not None
    if outcome.expiry < as_of:
        return EXPIRED
    if outcome.start > as_of:
        return NOT_DUE
    if outcome.expiry <= add_months(as_of, rules.warning_months):
        return SOON
    return RUNNING


def _cap(out: Outcome, walk: Walk, principal: Outcome, bound: Bound, ctx: _Context) -> None:
    """A guarantor's expiry: its own, or the principal debt's when that comes first (145条)."""
    assert principal.expiry is not None
    out.own_expiry = walk.expiry
    if bound.last_own_ack is not None and principal.expiry < bound.last_own_ack:
        out.flags.append(ACK_AFTER_PRINCIPAL)
    if principal.expiry >= walk.expiry:
        return
    discharged = ctx.discharged.get(principal.party)
    if discharged is not None and principal.expiry >= discharged:
        out.steps = [*walk.steps, Step(discharged, "主たる債務の免責", f"{principal.party}の免責許可（主たる債務の時効は進行しない）",
                                       "破産法253条2項・最判平成11年11月9日", walk.expiry)]
        return
    out.expiry = principal.expiry
    who = f"{ROLE_LABEL.get(principal.role, '')}{principal.party}"
    out.steps = [*walk.steps, Step(principal.expiry, "主たる債務の時効", f"{who}の債務の時効完成日",
                                   "民法145条（保証人による援用）", principal.expiry)]


def _outcome(person: dict[str, Any], bound: Bound, line: liability.Line, ctx: _Context,
             principal: Outcome | None, as_of: dt.date) -> Outcome:
    out = Outcome(person["id"], person.get("role", ""), line.installment, line.unpaid, line.start,
                  principal=line.principal, share=line.share, due=line.due)
    if line.unpaid > 0:
        # An act of the principal debtor after their debt completed renews nothing, so it has
        # nothing to pass on to the guarantor under 457条1項.
        late = {ev for ev in principal.late if ev.party in (line.principal, ctx.borrower)} if principal else set()
        walk = _walk(bound, line, ctx, late)
        out.expiry, out.steps, out.flags, out.late = walk.expiry, walk.steps, list(walk.flags), walk.late
        if principal is not None and principal.expiry is not None:
            _cap(out, walk, principal, bound, ctx)
    out.status = _status(out, as_of, ctx.rules)
    return out


def _death_notes(record: dict[str, Any], parties: dict[str, dict[str, Any]], as_of: dt.date) -> list[str]:
    notes = []
    for pid, person in parties.items():
        died = heirs.died_on(person, as_of)
        if died is None or person.get("role") not in ("borrower", "guarantor"):
            continue
        everyone, staying = heirs.heirs_of(record, pid), heirs.successors(record, pid)
        head = f"{pid}（{ROLE_LABEL.get(person['role'], '')}）は {died.isoformat()} に死亡: "
        if staying:
            notes.append(head + f"相続人 {'、'.join(f'{h.id}（{show_share(h.share)}）' for h in staying)} について計算しています。")
        elif everyone:
            notes.append(head + "相続人の全員が相続放棄をしています。相続財産清算人（民法952条）の選任を区と協議して"
                                "ください（民法160条の完成猶予は計算していません）。")
        else:
            notes.append(head + "相続人が記録にありません（相続人調査が必要です）。")
    return notes


def _context(record: dict[str, Any], rules: Rules, as_of: dt.date,
             debts: liability.Liability) -> tuple[_Context, list[str]]:
    contract = (record.get("claim") or {}).get("contract_date")
    if not isinstance(contract, dt.date):
        raise SaikenError("貸付契約の日（claim.contract_date）がないため、時効期間を決められません。",
                          where="claim.contract_date", hint="`saiken case edit ID` で契約日を書いてください。")
    events, warnings = collect(record, debts.borrower, as_of)
    discharged = {pid: day for day, pid, _ in situations.entries(record, situations.DISCHARGE, as_of)}
    return _Context(rules, debts.borrower, debts.principals, liability.parties_by_id(record), rules.old_law(contract),
                    rules.years(contract), events, debts.acceleration, discharged), warnings


def _plan(record: dict[str, Any], rules: Rules, as_of: dt.date) -> plan.Plan:
    """Whose installments the debt is made of on `as_of` (see the package's text)."""
    agreement, notes = plan.in_force(record, as_of)
    if agreement is None:
        return plan.Plan(notes=tuple(notes))
    earlier = assess(plan.before(record, agreement), rules, agreement["date"])
    assert earlier.liability is not None and earlier.liability.position is not None
    was = due.owed(earlier, earlier.liability.borrower)
    left_out = {o.installment for o in was.barred} | {x.installment for x in was.closed}
    principal, damages, costs = was.by_nature()
    return plan.under(agreement, plan.Taken(principal, damages, costs, tuple(
        x for x in earlier.liability.position.lines if x.installment in left_out)))


def assess(record: dict[str, Any], rules: Rules, as_of: dt.date) -> Report:
    """Every installment for every liable person of `record`, as known on `as_of`."""
    debts = liability.assess(record, as_of, rules.damages, _plan(record, rules, as_of))
    ctx, warnings = _context(record, rules, as_of, debts)
    warnings += _death_notes(record, ctx.parties, as_of) + debts.notes
    if rules.damages is None:
        warnings.append("policies/damages.yaml がないため、入金を元金だけに充当して計算しています（遅延損害金なし）。")
    if debts.acceleration is None and any(h.get("kind") == "期限の利益喪失" for h in record.get("history") or []):
        warnings.append("期限の利益喪失の記録がありますが、claim.demanded_on も、合意書の条項（acceleration）による喪失も"
                        "ないため、残額一括の起算をしていません。")
    principal: dict[tuple[str, installments.Installment], Outcome] = {}
    outcomes = []
    for pid in debts.principals:
        bound = _bound(ctx.parties[pid], pid, ctx)
        for line in debts.of(pid):
            principal[(pid, line.installment)] = o = _outcome(ctx.parties[pid], bound, line, ctx, None, as_of)
            outcomes.append(o)
    for pid, lines in debts.lines.items():
        if pid in debts.principals:
            continue
        cache: dict[str, Bound] = {}
        for line in lines:
            bound = cache.get(line.principal)
            if bound is None:
                bound = cache[line.principal] = _bound(ctx.parties[pid], line.principal, ctx)
            outcomes.append(_outcome(ctx.parties[pid], bound, line, ctx,
                                     principal[(line.principal, line.installment)], as_of))
    report = Report(str(record.get("case_id", "")), as_of, ctx.old_law, ctx.years, outcomes, warnings, debts)
    closures.apply(record, report)
    return report


def next_deadline(report: Report) -> Outcome | None:
    """The running limitation that completes first – what a worklist should act on."""
    live = [o for o in report.outcomes if o.status in (SOON, RUNNING) and o.expiry is not None]
    return min(live, key=lambda o: (o.expiry, o.installment.agreement or dt.date.min, o.installment.number)) if live else None


def assess_record(root: Path, record: dict[str, Any], as_of: dt.date) -> Report:
    """assess() with the rules of the records repository at `root`."""
    return assess(record, load_rules(root), as_of)
