"""What every document shares: the sender (the law office as agent of 新宿区長), the addressee,
and the claim in figures. Checks here refuse a document that could not be delivered or would be
wrong (no address, 宛所不明, an unknown party) before anything is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from saiken.core.policy import CONTRACT_FILE, Policy
from saiken.errors import SaikenError

ROLE_LABELS = {"borrower": "借受人", "guarantor": "連帯保証人", "heir": "相続人"}


def sender(policy: Policy) -> dict[str, str]:
    """The sender block from policies/contract.yaml (ward + contractor)."""
    ward = policy.contract.get("ward") or {}
    office = policy.contract.get("contractor") or {}
    missing = [k for k in ("name", "representative", "postal_code", "address", "phone") if not office.get(k)]
    if missing or not ward.get("head"):
        raise SaikenError(f"差出人の項目が足りません（contractor の {'、'.join(missing) or 'ward.head'}）。",
                          where=CONTRACT_FILE, hint=f"{CONTRACT_FILE} の contractor に事務所名・住所・電話を書いてください。")
    return {"ward": str(ward.get("name", "")), "head": str(ward["head"]),
            "section": str(ward.get("section", "")), "office": str(office["name"]),
            "lawyer": str(office["representative"]), "postal_code": str(office["postal_code"]),
            "address": str(office["address"]), "phone": str(office["phone"]),
            "contact": str(office.get("contact") or "")}


def full_name(party: dict[str, Any]) -> str:
    name = party.get("name") or {}
    return "\u3000".join(x for x in (name.get("family"), name.get("given")) if x)


def parties(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in record.get("parties") or []}


def party(record: dict[str, Any], party_id: str, case_id: str) -> dict[str, Any]:
    found = parties(record).get(party_id)
    if found is None:
        known = "、".join(f"{p['id']}（{ROLE_LABELS.get(p.get('role'), p.get('role'))}）"
                         for p in record.get("parties") or [])
        raise SaikenError(f"当事者「{party_id}」はこの事案にいません。この事案の当事者: {known}",
                          where=f"事案 {case_id}", hint=f"--to に当事者番号を指定してください（例: saiken doc 督促状 {case_id} --to p1）。")
    return found


def address_of(p: dict[str, Any], case_id: str) -> dict[str, str]:
    """The postal address; refuses 宛所不明 and a missing address (nothing could be delivered)."""
    addr = p.get("address") or {}
    where = f"事案 {case_id} の当事者 {p.get('id')}（{ROLE_LABELS.get(p.get('role'), '')}）"
    if addr.get("unknown"):
        raise SaikenError("住所が宛所不明（address.unknown）のため、文書を作成できません。",
                          where=where, hint=f"住所を調査して `saiken case edit {case_id}` で address を直してください。")
    if not addr.get("line"):
        raise SaikenError("住所（address.line）がないため、文書を作成できません。",
                          where=where, hint=f"`saiken case edit {case_id}` で address.line と postal_code を書いてください。")
    return {"postal_code": str(addr.get("postal_code") or ""), "line": str(addr["line"])}


def addressee(record: dict[str, Any], party_id: str, case_id: str) -> dict[str, str]:
    p = party(record, party_id, case_id)
    return {"id": p["id"], "role": ROLE_LABELS.get(p.get("role"), ""), "name": full_name(p),
            **address_of(p, case_id)}


def deadline(on: dt.date, policy: Policy, key: str, default: int) -> dt.date:
    days = int(((policy.contract.get("documents") or {}).get(key)) or default)
    return on + dt.timedelta(days=days)
