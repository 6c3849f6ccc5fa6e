"""The worklist for people (a table, each case's flags, next step and contact under its first row)
and for programs (JSON)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from saiken import wareki
from saiken.casework.worklist.actions import KINDS, sorted_actions
from saiken.casework.worklist.model import CaseInfo, Worklist
from saiken.textwidth import pad


def date_both(day: dt.date) -> str:
    return f"{wareki.wareki(day)}（{day.isoformat()}）"


def summary(worklist: Worklist) -> str:
    counts = worklist.counts()
    parts = "、".join(f"{KINDS[k]} {n} 件" for k, n in counts.items() if n)
    return f"計 {len(worklist.actions)} 件（{parts or 'なし'}）"


def _case_lines(info: CaseInfo) -> list[str]:
    out = []
    if info.flags:
        out.append(f"{'':6}［{'・'.join(info.flags)}］")
    if info.next_action:
        out.append(f"{'':6}次: {info.next_action}")
    if info.name:
        out.append(f"{'':6}連絡先: {info.name}" + (f"  {info.contact}" if info.contact else ""))
    return out


def render_table(worklist: Worklist, by: str) -> list[str]:
    rows = sorted_actions(worklist.actions, by)
    lines = [f"作業一覧（基準日 {date_both(worklist.as_of)}）。！は期日を過ぎたもの。"]
    if by == "priority":
        lines.append("優先する順: 時効管理、期限の利益喪失、破られた約束、調査、書面送付、約束の確認、延滞。")
    lines.append(pad("期日", 34) + pad("事案番号", 14) + pad("種別", 16) + "内容")
    shown: set[str] = set()
    for a in rows:
        mark = "！" if a.due < worklist.as_of else "  "
        lines.append(pad(mark + date_both(a.due), 34) + pad(a.case_id, 14) + pad(KINDS[a.kind], 16) + a.what)
        if a.case_id not in shown:
            shown.add(a.case_id)
            lines += _case_lines(worklist.cases.get(a.case_id) or CaseInfo([], None, 0))
    lines.append(summary(worklist))
    if worklist.unreadable:
        lines.append(f"（あなた宛てに暗号化されていない記録 {worklist.unreadable} 件は含みません）")
    return lines


def as_json(worklist: Worklist, by: str) -> dict[str, Any]:
    rows = []
    for a in sorted_actions(worklist.actions, by):
        info = worklist.cases.get(a.case_id) or CaseInfo([], None, 0)
        row: dict[str, Any] = {
            "case_id": a.case_id, "kind": a.kind, "kind_label": KINDS[a.kind], "what": a.what, "priority": a.rank,
            "due": a.due.isoformat(), "due_wareki": wareki.wareki(a.due), "overdue": a.due < worklist.as_of,
            "flags": info.flags, "next_action": info.next_action, "overdue_total": info.overdue}
        if info.name:
            row["name"], row["contact"] = info.name, info.contact
        rows.append(row)
    return {"as_of": worklist.as_of.isoformat(), "actions": rows, "counts": worklist.counts(),
            "unreadable": worklist.unreadable, "warnings": worklist.warnings}
