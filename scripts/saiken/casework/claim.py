"""債権金額: what is owed, derived from the loan terms and payments – never typed by hand."""

from __future__ import annotations

from typing import Any


def paid(record: dict[str, Any]) -> int:
    return sum(int(p["amount"]) for p in (record.get("claim") or {}).get("payments") or [])


def balance(record: dict[str, Any]) -> int:
    claim = record.get("claim") or {}
    return int(claim.get("principal", 0)) - paid(record)


def borrower(record: dict[str, Any]) -> dict[str, Any]:
    return next((p for p in record.get("parties") or [] if p.get("role") == "borrower"), {})


def display_name(party: dict[str, Any]) -> str:
    name = party.get("name") or {}
    return " ".join(x for x in (name.get("family"), name.get("given")) if x)
