"""The policy site's generated pages, in plain Python: Markdown (and an SVG) from policies/ and ledger/.

Nothing here decrypts records/ – the site may be public: the status page runs the checks with no
key (saiken.publishing.term_status). saiken.publishing.site hands these pages to MkDocs; any other site generator could
take the same dict of files.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saiken.ledger.aggregates import AGGREGATES_FILE
from saiken.publishing import council, results, term_status
from saiken.core import policy
from saiken.core.contract import Contract, fy_end
from saiken import wareki

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
    data = policy.load_yaml(root, rel, {}, mapping=False) or []
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
MARKS = {term_status.GREEN: GREEN, term_status.AMBER: AMBER, term_status.RED: RED}
WORDS = {term_status.GREEN: "問題なし", term_status.AMBER: "要確認", term_status.RED: "要対応"}
INFO = "・"
UNCHECKED = "－ このページでは未検査"


def evidence_lines(root: Path, item: dict[str, Any], today: dt.date) -> list[term_status.Line]:
    """What the ledger shows for one evidence entry of special-terms.yaml: its last date (information),
    and for yearly evidence each fiscal year of the contract without an entry (amber, red once past)."""
    rel, due = str(item.get("file", "")), str(item.get("due", ""))
    if rel.startswith("policies/"):
        return [term_status.Line(term_status.GREEN, f"`{rel}` あり") if (root / rel).is_file()
                else term_status.Line(term_status.RED, f"`{rel}` がありません")]
    entries = _ledger_entries(root, rel)
    last = _last_date(entries or [])
    when = f"最終 {wareki.wareki(last)}" if last else "記録なし"
    if due == "fiscal-year":
        done = {wareki.fiscal_year(e[k]) for e in entries or [] for k in DATE_KEYS if isinstance(e.get(k), dt.date)}
        state = ("記録なし" if last is None else f"今年度実施済み（{when}）" if wareki.fiscal_year(today) in done
                 else f"今年度の記録なし（{when}）")
        out = [term_status.Line(term_status.GREEN, f"`{rel}` {state}")]
        return out + [term_status.due_line(rel, fy_end(y), today)
                      for y in Contract.load(root).fiscal_years(today) if y not in done]
    if entries is None:
        return [term_status.Line(term_status.GREEN, f"`{rel}` 記録ファイルなし（{DUE.get(due, due)}）")]
    count = f"{len(entries)}件、{when}" if entries else f"記録なし、{DUE.get(due, due)}"
    return [term_status.Line(term_status.GREEN, f"`{rel}` {count}")]


@dataclass
class Cell:
    """The 状況 of one row: its level (None: contract only, or nothing this page can check)."""

    level: int | None
    problems: list[term_status.Line]
    markdown: str


def _status_cell(root: Path, item: dict[str, Any], lines: list[term_status.Line], today: dt.date,
                 status: term_status.Status) -> Cell:
    if item.get("contract-only"):
        return Cell(None, [], "－")
    checks = [str(c) for c in item.get("checks") or []]
    ledger = list(dict.fromkeys(line for e in item.get("evidence") or [] for line in evidence_lines(root, e, today)))
    due = [line for line in ledger if line.level > term_status.GREEN]
    # a check's finding on a ledger file that a due line here already explains (with its date): show the due line
    lines = [line for line in lines if not any(d.file == line.file and d.level >= line.level for d in due)]
    problems = list(dict.fromkeys(lines + due))
    problems.sort(key=lambda line: -line.level)
    info = [line for line in ledger if line.level == term_status.GREEN]
    if status.failed is not None and checks:
        problems.append(term_status.Line(term_status.AMBER, "検査を実行できませんでした（`saiken check --all` で理由を確認）"))
    ran = [c for c in checks if c not in status.unchecked]
    level: int | None = max((line.level for line in problems), default=term_status.GREEN)
    heading = f"**{MARKS[level]} {WORDS[level]}**"
    # nothing found is no 問題なし while a check of the row could not look (it needs a key)
    if not problems and (not ran and not info or any(c in status.unchecked for c in checks)):
        level, heading = None, f"**{UNCHECKED}**"
    parts = [heading] + [f"{MARKS[line.level]} {line.text}" for line in problems]
    if ran and not lines and status.failed is None:
        parts.append(f"{INFO}検査（{'、'.join(f'`{c}`' for c in ran)}）で指摘なし")
    parts += [f"{INFO}`{c}` は記録の中身を読むため鍵が必要で、ここでは未検査" for c in checks if c in status.unchecked]
    parts += [f"{INFO}{line.text}" for line in info]
    return Cell(level, problems, "<br>".join(parts))


def _upheld(item: dict[str, Any]) -> str:
    """How a term is upheld: the checks, and the evidence kept in ledger/ with its due."""
    if item.get("contract-only"):
        return "契約の文言のみ"
    parts = []
    if item.get("checks"):
        parts.append("検査: " + "、".join(f"`{c}`" for c in item["checks"]))
    parts += [f"記録: {_md(e.get('what', ''))}（`{e.get('file', '')}`、{DUE.get(e.get('due'), e.get('due'))}）"
              for e in item.get("evidence") or []]
    return "<br>".join(parts) or "－"


def _computed(status: term_status.Status) -> str:
    at = status.computed_at
    when = f"{wareki.wareki(at.date())} {at:%H:%M}"
    where = (f"コミット {status.commit}{'、未コミットの変更あり' if status.changed else ''}" if status.commit
             else "Git の管理外")
    return f"{when}（{where}、検査したファイル {status.files} 件）"


def _attention(cells: list[tuple[str, Cell]]) -> list[str]:
    """One line per problem, most urgent first, with every row it concerns."""
    rows: dict[term_status.Line, list[str]] = {}
    for key, cell in cells:
        for line in cell.problems:
            rows.setdefault(line, []).append(key)
    out = []
    for line, keys in sorted(rows.items(), key=lambda item: -item[0].level):
        terms = [k.split(":", 1)[1] for k in keys if k.startswith("term:")]
        measures = [k.split(":", 1)[1] for k in keys if k.startswith("measure:")]
        where = ([f"特記事項{'・'.join(terms)}"] if terms else []) + ([f"情報保護対策（{'、'.join(measures)}）"] if measures else [])
        out.append(f"- {MARKS[line.level]} {line.text} ― {'、'.join(where)}")
    return out


def _wide(table: str, css_class: str) -> str:
    """A table in a block the site's stylesheet (saiken.css) lays out for long cells (md_in_html)."""
    return f'<div class="{css_class}" markdown>\n\n{table}\n\n</div>'


def terms_page(root: Path, today: dt.date | None = None, status: term_status.Status | None = None) -> str:
    status = status or term_status.compute(root, today)
    today = today or status.as_of
    head = ["---", "title: 特記事項と遵守状況", "hide:", "  - toc", "---", "", "# 特記事項と遵守状況", ""]
    if not (root / council.TERMS_FILE).is_file():
        return "\n".join(head + [f"{council.TERMS_FILE} がありません。特記事項とその守り方の一覧を載せられません。",
                                 "", "saiken のチェックアウトの policies/special-terms.yaml をコピーしてください。", ""])
    data = policy.load_yaml(root, council.TERMS_FILE) or {}
    rows, mrows = [], []
    cells: list[tuple[str, Cell]] = []
    for term in data.get("terms") or []:
        text = _md(term.get("text", "")) + "".join(f"<br>({i['number']}) {_md(i['text'])}" for i in term.get("items") or [])
        number = term.get("number")
        cell = _status_cell(root, term, status.lines([number] if isinstance(number, int) else [], []), today, status)
        cells.append((f"term:{number}", cell))
        rows.append([str(number), f"**{_md(term.get('heading', ''))}**<br>{text}", _upheld(term), cell.markdown])
    for m in data.get("measures") or []:
        label = f"{m.get('party')} {'運用上' if m.get('kind') == 'operational' else 'システム上'} {m.get('number')}"
        files = {str(e.get("file")) for e in m.get("evidence") or []}
        found = [line for line in status.lines([], [str(c) for c in m.get("checks") or []])
                 if not (line.file or "").startswith("ledger/") or line.file in files]   # its own evidence only
        cell = _status_cell(root, m, found, today, status)
        cells.append((f"measure:{label}", cell))
        mrows.append([label, _md(m.get("text", "")), _upheld(m), cell.markdown])
    levels = [cell.level for _, cell in cells if cell.markdown != "－"]
    tally = "　".join(f"{MARKS[lv]} {WORDS[lv]} {levels.count(lv)}" for lv in sorted(MARKS, reverse=True))
    if None in levels:
        tally += f"　－ 未検査 {levels.count(None)}"
    attention = _attention(cells)
    intro = [f"**状況**　{tally}（特記事項と情報保護対策の行の数）", "",
             f"求めた日時: {_computed(status)}。基準日: {wareki.wareki(today)}。このサイトを作ったときに、"
             "`saiken check --all` と同じ検査と `ledger/` の記録の期限から求めました（状況はその時点のものです）。", ""]
    if attention:
        intro += ["**対応・確認が必要なもの**", "", *attention, ""]
    intro += [f"{RED} 要対応: 検査のエラー、または期限を過ぎた記録の不足　{AMBER} 要確認: 検査の警告、"
              f"または期限前でまだない記録　{GREEN} 問題なし。検査の指摘は検査 ID・件数・フォルダだけを示します"
              "（内容は `saiken check --all` で確かめてください）。"]
    if status.unchecked:
        intro += ["", "このページを作るときは鍵を使わず、記録を復号しません。そのため、記録の中身の検査（"
                  + "、".join(f"`{c}`" for c in sorted(status.unchecked)) + "）はここでは行っていません。"
                  "鍵を持つ取扱者の `saiken check --all`、コミット時の検査、CI・サーバ側の検査で行います。"]
    if status.failed is not None:
        intro += ["", f"{RED} 検査を実行できませんでした。`saiken check --all` で理由を確かめてください。"]
    differ = council.measure_mismatches(root)
    if differ:
        intro += ["", f"{RED} 次の情報保護対策は、審議会報告（{council.REPORT_FILE}）と文言が違います: " + "、".join(differ)]
    return "\n".join(head + intro + [
        "", "## 特記事項", "", _wide(_table(["番号", "特記事項", "守り方", "状況"], rows), "saiken-status"),
        "", "## 情報保護対策", "", _wide(_table(["対策", "内容", "守り方", "状況"], mrows), "saiken-status"),
        "", "このページは policies/ と ledger/、鍵を使わない検査の結果から自動で作られます（個人情報は含みません）。", ""])


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
        return "\n".join(head + [f"{AGGREGATES_FILE} がまだないため、実績はありません。", ""])
    return "\n".join(head + ["## 収入の状況", "", _wide(_table(money.rows[0], money.rows[1:]), "saiken-results"), "",
                             money.note, "", "![年度別の収入率（破線は委託前の平均回収率）](results-chart.svg)", "",
                             "## 状況別の件数", "", _wide(_table(status.rows[0], status.rows[1:]), "saiken-results"), "",
                             status.note, "", GENERATED_NOTE, ""])


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
