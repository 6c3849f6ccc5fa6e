"""Incidents (事故, term 19): the ledger entry with its deadlines, and the written 事故報告書.

Deadlines come from policies/incidents.yaml (data a ward can correct), counted from discovery.
The report names case ids only; what happened is written without names or addresses.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from saiken.checks.evidence import INCIDENT_RULES, incident_deadlines
from saiken.core.files import atomic_write
from saiken.core.policy import load_yaml
from saiken.errors import SaikenError
from saiken.ledger import evidence
from saiken.wareki import wareki as to_wareki

POLICY = INCIDENT_RULES
REPORTS_DIR = "ledger/incidents"


def deadlines(root: Path, discovered: dt.date, wrongful: bool) -> tuple[dt.date, dt.date]:
    return incident_deadlines(load_yaml(root, POLICY, {}), discovered, wrongful)


def new(root: Path, *, occurred: dt.date, discovered: dt.datetime, summary: str, cases: list[str],
        wrongful: bool, by: str) -> dict[str, Any]:
    if discovered.date() < occurred:
        raise SaikenError("発見日時が発生日より前です。", where="--discovered",
                          hint="--occurred と --discovered を確かめてください。")
    prelim, final = deadlines(root, discovered.date(), wrongful)
    incident_id = evidence.next_id(root, "incidents", "I", discovered.date())
    entry = {"id": incident_id, "occurred": occurred, "discovered": discovered.date(),
             "discovered_at": discovered.strftime("%Y-%m-%d %H:%M"), "by": by, "summary": summary,
             "cases": cases, "affected": len(cases), "wrongful": wrongful,
             "prelim_due": prelim, "final_due": final,
             "report_file": f"{REPORTS_DIR}/{incident_id}.md"}
    entry = evidence.append(root, "incidents", entry)
    write_report(root, entry)
    return entry


def record(root: Path, incident_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    entry = evidence.update(root, "incidents", incident_id, changes)
    write_report(root, entry)
    return entry


def _day(value: Any) -> str:
    return to_wareki(value) if isinstance(value, dt.date) else "（未）"


def report_markdown(entry: dict[str, Any]) -> str:
    cases = entry.get("cases") or []
    lines = [
        "# 事故報告書", "",
        f"事故番号: {entry['id']}", "",
        "特記事項19に基づき、個人情報の取扱いに関する事故について、次のとおり報告します。", "",
        "| 項目 | 内容 |", "|---|---|",
        f"| 発生日 | {_day(entry.get('occurred'))} |",
        f"| 発見日時 | {entry.get('discovered_at', _day(entry.get('discovered')))} |",
        f"| 発見・報告した取扱者 | {entry.get('by', '')} |",
        f"| 概要 | {entry.get('summary', '')} |",
        f"| 影響を受けた事案 | {len(cases)} 件（{', '.join(cases) or 'なし'}） |",
        f"| 不正の目的によるおそれ | {'あり' if entry.get('wrongful') else 'なし'} |",
        f"| 甲への速報（期限 {_day(entry.get('prelim_due'))}） | {_day(entry.get('notified'))} |",
        f"| 書面による報告（期限 {_day(entry.get('final_due'))}） | {_day(entry.get('report'))} |",
        "", "## 発生状況・原因", "", "（記入してください。氏名・住所など個人情報は書かないでください。事案番号で示します。）",
        "", "## 被害の状況と拡大防止の措置", "", "（記入してください。）",
        "", "## 再発防止策", "", "（記入してください。）", "",
        "※ 個人情報保護委員会への報告が必要かどうかは、policies/incidents.yaml の基準により甲が判断します。", "",
    ]
    return "\n".join(lines)


def write_report(root: Path, entry: dict[str, Any]) -> Path:
    path = root / str(entry.get("report_file") or f"{REPORTS_DIR}/{entry['id']}.md")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and "## 発生状況・原因" in path.read_text(encoding="utf-8"):
        # Keep what staff wrote below the table; refresh only the table.
        old = path.read_text(encoding="utf-8")
        new = report_markdown(entry)
        old_tail = old[old.index("## 発生状況・原因"):]
        atomic_write(path, (new[:new.index("## 発生状況・原因")] + old_tail).encode("utf-8"))
    else:
        atomic_write(path, report_markdown(entry).encode("utf-8"))
    return path
