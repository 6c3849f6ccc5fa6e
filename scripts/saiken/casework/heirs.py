"""相続人: who succeeds a deceased party, for which share, and how yen are split between them.

A party is deceased from `deceased_on`. Its heirs are the parties with `heir_of` pointing to it;
one who renounced (`renounced_on`, 民法939条) is treated as never having been an heir, whatever
the date the record is looked at. An heir who made a 限定承認 (`limited_acceptance_on`, 922条)
inherits the share in full but answers for it only with what was inherited – the documents say so.

Amounts are split by share in whole yen with the largest-remainder method, so the heirs' parts of
an installment always add up to the installment: 9,000円 in thirds is 3,000円 each, 10,000円 is
3,334 + 3,333 + 3,333 (the first heir in the record's order takes the odd yen).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from saiken.core.inheritance import ShareError, parse_share
from saiken.errors import SaikenError


@dataclass(frozen=True)
class Heir:
    id: str
    of: str                       # the deceased party's id
    share: Fraction
    renounced_on: dt.date | None  # 相続放棄
    limited_on: dt.date | None    # 限定承認


def died_on(party: dict[str, Any], as_of: dt.date | None = None) -> dt.date | None:
    """The day `party` died, if known by `as_of`."""
    day = party.get("deceased_on")
    if isinstance(day, dt.date) and (as_of is None or day <= as_of):
        return day
    return None


def _share(p: dict[str, Any]) -> Fraction:
    if p.get("renounced_on") and p.get("share") is None:
        return Fraction(0)
    try:
        return parse_share(p.get("share"))
    except ShareError:
        raise SaikenError(f"相続分「{p.get('share')}」を読めません。", where=f"当事者 {p.get('id')} の share",
                          hint="2分の1、1/2、全部 のように書いてください（`saiken case edit 事案番号`）。") from None


def heirs_of(record: dict[str, Any], party_id: str) -> list[Heir]:
    """Every heir recorded for `party_id`, renouncers included, in the record's order."""
    out = []
    for p in record.get("parties") or []:
        if p.get("role") == "heir" and p.get("heir_of") == party_id:
            out.append(Heir(str(p["id"]), party_id, _share(p), p.get("renounced_on"), p.get("limited_acceptance_on")))
    return out


def successors(record: dict[str, Any], party_id: str) -> list[Heir]:
    """The heirs who inherited (not renounced)."""
    return [h for h in heirs_of(record, party_id) if h.renounced_on is None]


def heir(record: dict[str, Any], party_id: str) -> Heir | None:
    """`party_id` as an heir, or None if it is not one."""
    p = next((p for p in record.get("parties") or [] if p.get("id") == party_id), None)
    if p is None or p.get("role") != "heir":
        return None
    return next((h for h in heirs_of(record, str(p.get("heir_of"))) if h.id == party_id), None)


def split(amount: int, shares: list[tuple[str, Fraction]]) -> dict[str, int]:
    """`amount` yen split by the shares (largest remainder); the parts add up to amount × Σshares."""
    exact = [(pid, amount * share) for pid, share in shares]
    parts = {pid: int(value) for pid, value in exact}  # floor: amounts and shares are positive
    left = int(sum((v for _, v in exact), Fraction(0))) - sum(parts.values())
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i][1] - int(exact[i][1])), i))
    for i in by_remainder[:left]:
        parts[exact[i][0]] += 1
    return parts
