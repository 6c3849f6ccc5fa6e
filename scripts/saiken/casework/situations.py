"""The situations collection staff meet every week, read from the history (`party`: whom it is
about, absent = the borrower), and what each means:

| history kind | meaning                                   | effect                                              |
|--------------|-------------------------------------------|-----------------------------------------------------|
| 郵便返戻      | a letter came back (あて所に尋ねあたりません) | address unknown until a later 住所調査 for the party: no letter to it, 住所調査 due |
| 死亡判明      | the party's death became known             | flagged; heirs to be surveyed until heirs are recorded (deceased_on holds the date of death) |
| 破産手続開始  | bankruptcy proceedings opened for the party | no demand to the party (破産法100条1項: only through the proceedings), 債権届出 due; a guarantor stays liable |
| 免責許可      | the discharge became final                  | the party's debt is no longer demanded (破産法253条1項); a guarantor stays liable (同条2項) |
| 時効援用      | the party invoked limitation                | the installments completed for that party on that day are closed, never demanded again (limitation.closures) |

A party's address is also unknown when the record says so (address.unknown).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

RETURNED, DEATH, BANKRUPTCY, DISCHARGE, INVOCATION = "郵便返戻", "死亡判明", "破産手続開始", "免責許可", "時効援用"
ADDRESS_SEARCH, HEIR_SURVEY = "住所調査", "相続人調査"
KINDS = (RETURNED, DEATH, BANKRUPTCY, DISCHARGE, INVOCATION)

FLAG_DECEASED, FLAG_BANKRUPT, FLAG_DISCHARGED, FLAG_ADDRESS, FLAG_INVOKED = "死亡", "破産", "免責", "宛所不明", "時効援用"


@dataclass
class State:
    party: str
    role: str
    returned_mail: dt.date | None = None   # an unanswered 郵便返戻
    address_unknown: bool = False          # address.unknown in the record, or an unanswered 郵便返戻
    deceased: dt.date | None = None        # deceased_on
    death_learned: dt.date | None = None   # 死亡判明
    bankrupt: dt.date | None = None        # 破産手続開始
    discharged: dt.date | None = None      # 免責許可
    invoked: list[dt.date] = field(default_factory=list)  # 時効援用

    @property
    def dead(self) -> bool:
        return self.deceased is not None or self.death_learned is not None

    @property
    def died_or_learned(self) -> dt.date | None:
        return self.deceased or self.death_learned


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def borrower_of(record: dict[str, Any]) -> str:
    return next((str(p["id"]) for p in record.get("parties") or [] if p.get("role") == "borrower"), "p1")


def entries(record: dict[str, Any], kind: str, as_of: dt.date) -> list[tuple[dt.date, str, int]]:
    """(day, party, index) of each history entry of `kind` up to `as_of`, oldest first."""
    borrower = borrower_of(record)
    out = [(_day(h["at"]), str(h.get("party") or borrower), n) for n, h in enumerate(record.get("history") or [])
           if h.get("kind") == kind and _day(h["at"]) <= as_of]
    return sorted(out)


def states(record: dict[str, Any], as_of: dt.date) -> dict[str, State]:
    """Each party's situation on `as_of`."""
    out: dict[str, State] = {}
    for p in record.get("parties") or []:
        died = p.get("deceased_on")
        out[str(p["id"])] = State(str(p["id"]), str(p.get("role") or ""),
                                  address_unknown=bool((p.get("address") or {}).get("unknown")),
                                  deceased=died if isinstance(died, dt.date) and died <= as_of else None)
    searched: dict[str, dt.date] = {}
    for day, pid, _ in entries(record, ADDRESS_SEARCH, as_of):
        searched[pid] = day
    for day, pid, _ in entries(record, RETURNED, as_of):
        s = out.get(pid)
        if s is not None and (pid not in searched or searched[pid] < day):
            s.returned_mail, s.address_unknown = day, True
    for kind, attr in ((DEATH, "death_learned"), (BANKRUPTCY, "bankrupt"), (DISCHARGE, "discharged")):
        for day, pid, _ in entries(record, kind, as_of):
            if pid in out and getattr(out[pid], attr) is None:
                setattr(out[pid], attr, day)
    for day, pid, _ in entries(record, INVOCATION, as_of):
        if pid in out:
            out[pid].invoked.append(day)
    return out


def flags(record: dict[str, Any], as_of: dt.date) -> list[str]:
    """The case's flags for a worklist: 死亡, 破産, 免責, 宛所不明, 時効援用, 相続放棄, 限定承認 (each with whom)."""
    shown = []
    for p in record.get("parties") or []:
        for key, label in (("renounced_on", "相続放棄"), ("limited_acceptance_on", "限定承認")):
            if isinstance(p.get(key), dt.date) and p[key] <= as_of:
                shown.append(f"{label}({p['id']})")
    for s in states(record, as_of).values():
        marks = [(s.dead, FLAG_DECEASED), (s.bankrupt and not s.discharged, FLAG_BANKRUPT),
                 (s.discharged, FLAG_DISCHARGED), (s.address_unknown and not s.dead, FLAG_ADDRESS),
                 (s.invoked, FLAG_INVOKED)]
        shown += [f"{label}({s.party})" for on, label in marks if on]
    return shown


def refusal(record: dict[str, Any], party_id: str, on: dt.date) -> tuple[str, str] | None:
    """(why, how to fix) when no demand may be addressed to `party_id` on `on`; None when it may."""
    case_id = record.get("case_id") or "事案番号"
    s = states(record, on).get(party_id)
    if s is None:
        return None
    party = next(p for p in record.get("parties") or [] if str(p.get("id")) == party_id)
    if s.dead:
        return _deceased(record, party_id, s, case_id)
    if party.get("renounced_on"):
        return (f"{party_id} は相続放棄をしています（{party['renounced_on'].isoformat()} 受理）。初めから相続人でなかったものと"
                "みなされるため（民法939条）、請求できません。",
                f"ほかの相続人に宛ててください（`saiken case show {case_id}` で確かめられます）。")
    if s.discharged:
        return (f"{party_id} は免責許可の決定が確定しています（{s.discharged.isoformat()}）。この人に支払を求めることは"
                "できません（破産法253条1項）。",
                f"連帯保証人には請求できます（破産法253条2項）: saiken doc 保証債務履行請求書 {case_id} --to 保証人の番号")
    if s.bankrupt:
        return (f"{party_id} は破産手続が開始されています（{s.bankrupt.isoformat()}）。破産債権は破産手続によらなければ"
                "行使できません（破産法100条1項）。",
                "破産管財人（または裁判所）に債権届出をし、その経過を記録してください。連帯保証人には請求できます"
                f"（破産法253条2項）: saiken doc 保証債務履行請求書 {case_id} --to 保証人の番号")
    if s.returned_mail:
        return (f"{party_id} 宛ての郵便が {s.returned_mail.isoformat()} に返戻されています（あて所に尋ねあたりません等）。",
                f"住所を調査し、`saiken case edit {case_id}` で住所を直してから "
                f"`saiken case log {case_id} --kind 住所調査 --party {party_id} --note 調査の結果` を記録してください。")
    return None


def _deceased(record: dict[str, Any], party_id: str, s: State, case_id: str) -> tuple[str, str]:
    when = s.died_or_learned.isoformat() if s.died_or_learned else ""
    heirs = [str(p["id"]) for p in record.get("parties") or []
             if p.get("heir_of") == party_id and not p.get("renounced_on")]
    why = f"{party_id} は死亡しています（{when}）。亡くなった人に宛てた文書は作れません。"
    if heirs:
        party = next(p for p in record.get("parties") or [] if str(p.get("id")) == party_id)
        kind = "督促状" if party.get("role") == "borrower" else "保証債務履行請求書"
        return why, (f"相続人（{'、'.join(heirs)}）に宛ててください。例: saiken doc {kind} {case_id} --to {heirs[0]}")
    return why, (f"相続人を調査し（`saiken case log {case_id} --kind 相続人調査 --party {party_id} --note …`）、"
                 f"`saiken case edit {case_id}` で相続人（role: heir、heir_of: {party_id}、share: 相続分）を加えてください。")
