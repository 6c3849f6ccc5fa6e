"""催告書 (demand): the formal demand (民法150条: suspends limitation for 6 months).

As a letter it uses demand.typ. With --naiyo-shomei the text comes from the editable plain-text
template demand-naiyo.txt ({placeholders} filled from the record), is laid out on the 内容証明
grid (naiyo_shomei.py) and printed by demand-naiyo.typ, one grid page per PDF page.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from saiken.casework import claim
from saiken.casework.documents import common, contact, naiyo_shomei, owed, render
from saiken.core.policy import Policy
from saiken.errors import SaikenError
from saiken.wareki import wareki

NAIYO_TEXT = "demand-naiyo.txt"


def build(record: dict[str, Any], policy: Policy, case_id: str, on: dt.date, to: str | None) -> dict[str, Any]:
    to_id = owed.principal_addressee(record, to, case_id, "催告書")
    debt, warnings = owed.terms(record, policy, to_id, case_id, on, "催告書")
    days = int(((policy.contract.get("documents") or {}).get("demand_days")) or 14)
    return {
        "title": "催告書", "case_id": case_id, "date": wareki(on), "sender": common.sender(policy),
        "to": common.addressee(record, to_id, case_id),
        "borrower": common.full_name(claim.borrower(record)),
        **debt, "days": days, "notice": contact.notice(policy),
        "warnings": [*warnings, *contact.placeholders(policy)],
    }


def _fields(ctx: dict[str, Any]) -> dict[str, Any]:
    s, to, c = ctx["sender"], ctx["to"], ctx["claim"]
    return {"date": ctx["date"], "days": ctx["days"], "case_id": ctx["case_id"],
            "to_postal": to["postal_code"], "to_address": to["line"], "to_name": to["name"],
            "office": s["office"], "lawyer": s["lawyer"], "head": s["head"],
            "sender_postal": s["postal_code"], "sender_address": s["address"], "sender_phone": s["phone"],
            "debt": owed.debt_sentence(ctx), **{k: v for k, v in c.items()}, **_notice_fields(ctx["notice"])}


def _notice_fields(notice: dict[str, Any]) -> dict[str, str]:
    """The notice as 内容証明 paragraphs: {mandate}, {payment} (one paragraph), {contact}."""
    return {"mandate": notice["mandate"], "payment": "".join(notice["payment"]),
            "contact": "お問い合わせ先　" + notice["contact"]}


def naiyo(repo_root: Path, ctx: dict[str, Any], layout_name: str = naiyo_shomei.DEFAULT_LAYOUT) -> dict[str, Any]:
    """The 内容証明 version: the text template filled, laid out and checked."""
    where = f"{render.TEMPLATES_DIR}/{NAIYO_TEXT}"
    template = render.read_template(repo_root, NAIYO_TEXT).decode("utf-8")
    lines = [ln for ln in template.splitlines() if not ln.startswith("#")]
    try:
        text = "\n".join(lines).format_map(_fields(ctx))
    except (KeyError, ValueError, IndexError) as exc:
        raise SaikenError(f"ひな形の差込み項目が正しくありません（{exc}）。", where=where,
                          hint="使える項目はひな形の先頭のコメントにあります。") from None
    grid = naiyo_shomei.Layout.named(layout_name)
    pages = naiyo_shomei.layout(text, grid)
    return {"case_id": ctx["case_id"], "columns": grid.columns, "rows": grid.rows, "pages": pages}
