"""Reports to 甲 without personal data: 取扱者指定報告 (term 13) and 取扱状況報告 (term 14).

Markdown only: the figures are counts, ids and dates. Handler names are shown in the 指定報告
because the term asks 乙 to report whom it designated (staff of the contract, not the debtors).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from saiken.checks import evidence
from saiken.core.contract import Contract, fy_label
from saiken.core.policy import Policy
from saiken.core import layout
from saiken.core.layout import RECORDS_DIR
from saiken.git import gitio
from saiken.wareki import fiscal_year, wareki


def _d(value: object) -> str:
    return wareki(value) if isinstance(value, dt.date) else "—"


def _day_of(export: dict[str, object]) -> str:
    """ledger/exports.yaml entries carry `at` (ISO time, saiken doc) or `date`."""
    value = export.get("date") or export.get("at") or ""
    return value.isoformat()[:10] if isinstance(value, (dt.date, dt.datetime)) else str(value)[:10]


def handlers_report(root: Path, as_of: dt.date) -> str:
    policy = Policy.load(root)
    contract = policy.contract or {}
    rows = [f"| {h.id} | {h.organisation} | {h.role} | {h.name} | {_d(h.designated)} | {_d(h.reported)} | "
            f"{'有効' if h.active else '解除 ' + _d(h.deactivated)} |" for h in policy.handlers if h.organisation == "乙"]
    return "\n".join([
        "# 取扱責任者及び取扱者の指定報告", "",
        f"{_d(as_of)}", "",
        f"{(contract.get('ward') or {}).get('head', '（甲）')} 様", "",
        f"受託者 {(contract.get('contractor') or {}).get('name', '（乙）')}", "",
        "特記事項13に基づき、個人情報の取扱責任者及び取扱者を次のとおり指定したので報告します。", "",
        "| ID | 所属 | 役割 | 氏名 | 指定日 | 報告日 | 状態 |", "|---|---|---|---|---|---|---|",
        *(rows or ["| （指定なし） | | | | | | |"]), "",
    ])


def _handovers(root: Path, since: dt.date, until: dt.date) -> int | None:
    """Commits that touched records/ in the period (None outside a git repository)."""
    try:
        out = gitio.text(["log", "--format=%H", f"--since={since.isoformat()} 00:00",
                          f"--until={until.isoformat()} 23:59:59", "--", RECORDS_DIR], root, check=True)
    except Exception:  # noqa: BLE001 - no git, no commits yet: the count is simply unknown
        return None
    return len(out.split())


def handling_report(root: Path, as_of: dt.date) -> str:
    policy = Policy.load(root)
    contract = Contract.load(root)
    fy = fiscal_year(as_of)
    since = max(dt.date(fy, 4, 1), contract.start) if contract.start else dt.date(fy, 4, 1)
    records = len(layout.record_rels(root))
    handovers = _handovers(root, since, as_of)
    media = evidence.entries(root, "media")
    in_year = [m for m in media if isinstance(m.get("handed_over"), dt.date) and since <= m["handed_over"] <= as_of]
    out = evidence.media_out(root, as_of)
    incidents = [i for i in evidence.entries(root, "incidents")
                 if isinstance(i.get("occurred"), dt.date) and since <= i["occurred"] <= as_of]
    trainings = [t for t in evidence.entries(root, "trainings") if isinstance(t.get("date"), dt.date) and since <= t["date"] <= as_of]
    audits = [a for a in evidence.entries(root, "audits") if isinstance(a.get("date"), dt.date) and since <= a["date"] <= as_of]
    exports = [e for e in evidence.entries(root, "exports") if since.isoformat() <= _day_of(e) <= as_of.isoformat()]
    findings = evidence.findings(root, as_of)
    lines = [
        "# 個人情報の取扱状況報告", "",
        f"基準日: {_d(as_of)}　対象期間: {_d(since)}〜{_d(as_of)}（{fy_label(fy)}）", "",
        "特記事項14に基づき、個人情報の取扱状況を報告します（個人情報は含みません）。", "",
        "| 項目 | 状況 |", "|---|---|",
        f"| 保有する記録（事案） | {records} 件 |",
        f"| 有効な取扱者 | 甲 {sum(h.organisation == '甲' for h in policy.active_handlers)} 人、"
        f"乙 {sum(h.organisation == '乙' for h in policy.active_handlers)} 人 |",
        f"| データの受渡し（記録の追加・変更のコミット） | {'不明（Git の履歴がありません）' if handovers is None else f'{handovers} 回'} |",
        f"| 個人情報を含む書類の出力 | {len(exports)} 件 |",
        f"| 媒体・書類の受渡し | {len(in_year)} 件 |",
        f"| 返還されていない媒体 | {len(out)} 件{'（' + ', '.join(str(m.get('id')) for m in out) + '）' if out else ''} |",
        f"| 従事者教育 | {len(trainings)} 回{'（' + ', '.join(_d(t['date']) for t in trainings) + '）' if trainings else ''} |",
        f"| 甲による確認・監査 | {len(audits)} 回 |",
        f"| 事故 | {len(incidents)} 件{'（' + ', '.join(str(i.get('id')) for i in incidents) + '）' if incidents else ''} |",
        "", "## 未対応の事項", "",
        *([f"- 特記事項{'・'.join(map(str, f.terms))}（{f.file}）: {f.message}" for f in findings] or ["- なし"]), "",
    ]
    return "\n".join(lines)
