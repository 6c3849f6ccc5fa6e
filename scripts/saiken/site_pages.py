"""The policy site's generated pages, in plain Python: Markdown (and an SVG) from policies/ and ledger/.

Nothing here opens records/ – the site may be public. saiken.site hands these pages to MkDocs; any
other site generator could take the same dict of files.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

from saiken import council, policy, results, wareki

FOLDER = "policy"            # generated pages live under docs' policy/ (never written to disk)
# In this order in the site's navigation.
PAGES = {
    "council": f"{FOLDER}/council.md",
    "terms": f"{FOLDER}/special-terms.md",
    "handlers": f"{FOLDER}/handlers.md",
    "results": f"{FOLDER}/results.md",
}
CHART = f"{FOLDER}/results-chart.svg"
DUE = {"fiscal-year": "毎年度1回以上", "contract-end": "契約終了後", "on-event": "そのつど",
       "on-change": "指定・変更のつど", "on-request": "甲の求めのつど"}
DATE_KEYS = ("date", "handed_over", "returned", "occurred", "notified", "report", "reported",
             "requested", "certificate")
GENERATED_NOTE = "このページは policies/ と ledger/ から自動で作られます（個人情報は含みません）。"


def _md(text: Any) -> str:
    return html.escape(str(text), quote=False).replace("|", "&#124;").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def council_page(root: Path) -> str:
    blocks = council.build(root)
    body = "---\ntitle: 審議会報告\n---\n\n" + council.to_markdown(blocks)
    return (body + "\n---\n\n" + GENERATED_NOTE + " 事務局に出す形（DOCX・PDF）は "
            "`saiken council export --format docx` で作れます。\n")


# --- special terms and how each is upheld ---------------------------------------------------------

def _ledger_entries(root: Path, rel: str) -> list[dict[str, Any]] | None:
    """Entries of a ledger/ file (a list, or a mapping holding one list); None when missing."""
    if not rel.startswith("ledger/") or not (root / rel).is_file():
        return None
    data = policy.load_yaml(root, rel, {}) or []
    if isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), [])
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def _last_date(entries: list[dict[str, Any]]) -> dt.date | None:
    dates = [e[k] for e in entries for k in DATE_KEYS if isinstance(e.get(k), dt.date)]
    return max(dates, default=None)


# Status marks: coloured inline, with a character that says the same without colour (and no emoji,
# which a ward's PC may lack a font for).
GREEN, AMBER, RED = ('<span style="color:#2e7d32">●</span>', '<span style="color:#b26a00">▲</span>',
                     '<span style="color:#c62828">×</span>')


def evidence_status(root: Path, item: dict[str, Any], today: dt.date) -> str:
    """Green/amber/red with the last evidence date, for one evidence entry of special-terms.yaml."""
    rel, due = str(item.get("file", "")), str(item.get("due", ""))
    if rel.startswith("policies/"):
        return f"{GREEN} {rel}" if (root / rel).is_file() else f"{RED} {rel} がありません"
    entries = _ledger_entries(root, rel)
    last = _last_date(entries or [])
    when = f"（最終 {wareki.wareki(last)}）" if last else ""
    if due == "fiscal-year":
        this_year = wareki.fiscal_year(today)
        done = last is not None and wareki.fiscal_year(last) == this_year
        return (f"{GREEN} 今年度実施済み{when}" if done else f"{RED} {wareki.fiscal_year_label(this_year)}の記録なし{when}")
    if entries is None:
        return f"{AMBER} 記録ファイルなし（{DUE.get(due, due)}）"
    return f"{GREEN} {len(entries)}件{when}" if entries else f"{AMBER} 記録なし（{DUE.get(due, due)}）"


def _upheld(root: Path, item: dict[str, Any], today: dt.date) -> tuple[str, str, str]:
    checks = "、".join(f"`{c}`" for c in item.get("checks") or []) or "－"
    evidence = "<br>".join(f"{_md(e.get('what', ''))}（`{e.get('file', '')}`、{DUE.get(e.get('due'), e.get('due'))}）"
                           for e in item.get("evidence") or [])
    status = "<br>".join(evidence_status(root, e, today) for e in item.get("evidence") or [])
    if item.get("contract-only"):
        evidence, status = "契約の文言のみ", "－"
    return checks, evidence or "－", status or (f"{GREEN} 検査で確認" if item.get("checks") else "－")


def terms_page(root: Path, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    head = ["# 特記事項と遵守状況", ""]
    if not (root / council.TERMS_FILE).is_file():
        return "\n".join(head + [f"{council.TERMS_FILE} がありません。特記事項とその守り方の一覧を載せられません。",
                                 "", "saiken のチェックアウトの policies/special-terms.yaml をコピーしてください。", ""])
    data = policy.load_yaml(root, council.TERMS_FILE) or {}
    header = ["番号", "特記事項", "検査（機械）", "記録（ledger/）", "状況"]
    rows = []
    for term in data.get("terms") or []:
        text = _md(term.get("text", "")) + "".join(f"<br>({i['number']}) {_md(i['text'])}" for i in term.get("items") or [])
        rows.append([str(term.get("number")), f"**{_md(term.get('heading', ''))}**<br>{text}",
                     *_upheld(root, term, today)])
    mrows = []
    for m in data.get("measures") or []:
        kind = "運用上" if m.get("kind") == "operational" else "システム上"
        mrows.append([f"{m.get('party')} {kind} {m.get('number')}", _md(m.get("text", "")), *_upheld(root, m, today)])
    legend = (f"{GREEN} 記録・検査あり　{AMBER} 記録がまだない（そのつど必要なもの）　{RED} 期限のある記録が欠けている。"
              f"基準日: {wareki.wareki(today)}（サイトを作った日）。")
    differ = council.measure_mismatches(root)
    if differ:
        legend += (f"<br>{RED} 次の情報保護対策は、審議会報告（{council.REPORT_FILE}）と文言が違います: "
                   + "、".join(differ))
    return "\n".join(head + [legend, "", _table(header, rows), "", "## 情報保護対策", "",
                             _table(["対策", "内容", "検査（機械）", "記録（ledger/）", "状況"], mrows),
                             "", GENERATED_NOTE, ""])


# --- handlers, results ----------------------------------------------------------------------------

def handlers_page(root: Path) -> str:
    handlers = policy.load_handlers(root)
    rows = [[_md(h.id), _md(h.name), h.organisation, h.role, wareki.wareki(h.designated),
             wareki.wareki(h.reported) if h.reported else "－",
             "有効" if h.active else f"解除（{wareki.wareki(h.deactivated)}）" if h.deactivated else "解除"]
            for h in handlers]
    intro = ("取扱責任者・取扱者の指定（特記事項13）。記録は、有効な取扱者の鍵だけに宛てて暗号化されます"
             "（特記事項10）。甲 = 区、乙 = 受託者。")
    body = _table(["ID", "氏名", "所属", "役割", "指定日", "報告日", "状態"], rows) if rows else "（まだ指定されていません）"
    return "\n".join(["# 取扱者の一覧", "", intro, "", body, "", GENERATED_NOTE, ""])


def results_page(root: Path) -> str:
    head = ["# 実績", ""]
    money, status = results.table(root), results.status_table(root)
    if money is None or status is None:
        return "\n".join(head + [f"{results.AGGREGATES_FILE} がまだないため、実績はありません。", ""])
    return "\n".join(head + ["## 収入の状況", "", _table(money.rows[0], money.rows[1:]), "", money.note, "",
                             "![年度別の収入率（破線は委託前の平均回収率）](results-chart.svg)", "",
                             "## 状況別の件数", "", _table(status.rows[0], status.rows[1:]), "", status.note, "",
                             GENERATED_NOTE, ""])


def index_page(root: Path) -> str:
    """The home page when docs/index.md is missing."""
    data = council.load(root) if (root / council.REPORT_FILE).is_file() else {}
    subject = data.get("subject", "債権回収業務の委託")
    links = [("審議会報告", "council.md"), ("特記事項と遵守状況", "special-terms.md"),
             ("取扱者の一覧", "handlers.md"), ("実績", "results.md")]
    return "\n".join(["# 個人情報の取扱い", "", f"{_md(subject)}で扱う個人情報を、契約の特記事項に沿って"
                      "どのように守っているかを示します。このサイトに個人情報は載りません。", "",
                      *(f"- [{title}]({FOLDER}/{page})" for title, page in links), ""])


def generate(root: Path, today: dt.date | None = None) -> dict[str, str]:
    """Every generated file of the site: path under docs/ -> content."""
    files = {PAGES["council"]: council_page(root), PAGES["terms"]: terms_page(root, today),
             PAGES["handlers"]: handlers_page(root), PAGES["results"]: results_page(root)}
    chart = results.chart_svg(root)
    if chart is not None:
        files[CHART] = chart
    return files
