"""The council report (情報公開・個人情報保護審議会 諮問・報告事項): model and Markdown export.

policies/council-report.yaml holds the report the ward filed for FY2021, word for word; the
special terms annex (特記事項) comes from policies/special-terms.yaml, and a yearly results section
from ledger/aggregates.yaml (small counts suppressed, see saiken.publishing.results). Nothing here reads
records/: the report carries no personal data and may be published.

`build()` turns the data into a neutral document – a list of blocks – that the Markdown, DOCX
(council_docx) and PDF (council_pdf) writers render the same way, so the three never drift apart.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from saiken import wareki
from saiken.core import policy
from saiken.errors import SaikenError, os_reason
from saiken.ledger.aggregates import AGGREGATES_FILE
from saiken.publishing import results
from saiken.publishing.council.blocks import Block, Cell

REPORT_FILE = "policies/council-report.yaml"
TERMS_FILE = "policies/special-terms.yaml"

# The form's row labels, as the seed prints them.
BUSINESS_ROWS = (("事業名", "name"), ("担当課", "section"), ("目的", "purpose"), ("対象者", "subjects"))
ENTRUSTMENT_LABELS = {
    "holder": "保有課(担当課)",
    "registered_work": "登録業務の名称",
    "contractor": "委託先",
    "information_items": "委託に伴い事業者処理させる情報項目（だれの、どのような項目か）",
    "media": "処理させる情報項目の記録媒体",
    "reasons": "委託理由",
    "work": "委託の内容",
    "period": "委託の開始時期及び期限",
    "ward_measures": "委託にあたり区が行う情報保護対策",
    "contractor_measures": "受託事業者に行わせる情報保護対策",
}


_KIND_WORDS = {str: "文字列", int: "整数（西暦の年）", list: "「- 」で始まる一覧", dict: "「キー: 値」のまとまり"}


def _need(data: dict[str, Any], key: str, where: str, kind: type = object) -> Any:
    """data[key], present and – when `kind` is given – of that type; else an error naming both."""
    value = data.get(key) if isinstance(data, dict) else None
    if value is None or (isinstance(value, (str, list)) and not value):
        raise SaikenError(f"「{key}」がありません。", where=where,
                          hint=f"saiken のチェックアウトの {REPORT_FILE} と見比べて補ってください。")
    if kind is not object and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
        raise SaikenError(f"「{key}」は{_KIND_WORDS[kind]}で書いてください（{value}）。", where=where,
                          hint=f"saiken のチェックアウトの {REPORT_FILE} と見比べて直してください。")
    return value


def load(root: Path) -> dict[str, Any]:
    data = policy.load_yaml(root, REPORT_FILE)
    if not isinstance(data, dict):
        raise SaikenError("審議会報告のデータの形式が正しくありません。", where=REPORT_FILE)
    return data


def load_terms(root: Path) -> list[dict[str, Any]] | None:
    """The special terms (特記事項) from policies/special-terms.yaml; None when the file is missing."""
    if not (root / TERMS_FILE).is_file():
        return None
    data = policy.load_yaml(root, TERMS_FILE) or {}
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, list):
        raise SaikenError("「terms」がありません。", where=TERMS_FILE)
    return terms


def measure_mismatches(root: Path) -> list[str]:
    """Ids of protective measures whose text differs between the report and special-terms.yaml.

    Both files hold the measures: the report as filed with the council, special-terms.yaml with how
    each is upheld. Whitespace aside, they must say the same thing.
    """
    if not (root / TERMS_FILE).is_file():
        return []
    terms = policy.load_yaml(root, TERMS_FILE) or {}
    upheld = {m.get("id"): re.sub(r"\s+", "", str(m.get("text", ""))) for m in terms.get("measures") or []}
    reported = {m["id"]: re.sub(r"\s+", "", str(m["text"])) for side in (load(root).get("measures") or {}).values()
                for group in side for m in group.get("items") or []}
    return sorted(i for i in reported.keys() | upheld.keys() if reported.get(i) != upheld.get(i))


def legal_basis(data: dict[str, Any], fy: int) -> dict[str, Any]:
    """The legal basis entry whose fiscal years include `fy`."""
    for n, entry in enumerate(_need(data, "legal_basis", REPORT_FILE, list)):
        where = f"{REPORT_FILE}: legal_basis[{n}]"
        years = _need(entry, "fiscal_years", where, dict) if isinstance(entry, dict) and "fiscal_years" in entry else {}
        first = _need(years, "from", f"{where}.fiscal_years", int) if "from" in years else 0
        last = _need(years, "to", f"{where}.fiscal_years", int) if "to" in years else 9999
        if first <= fy <= last:
            for key in ("label", "kind", "provision", "category"):
                _need(entry, key, where, str)
            return dict(entry)
    raise SaikenError(f"{wareki.fiscal_year_label(fy)}（{fy}年度）に当てはまる根拠（legal_basis）がありません。",
                      where=REPORT_FILE, hint="legal_basis に fiscal_years がこの年度を含む項目を加えてください。")


def period_text(fy: int, note: str) -> str:
    start, end = dt.date(fy, 4, 1), dt.date(fy + 1, 3, 31)
    return f"{wareki.wareki(start)}から{wareki.wareki(end)}まで{note}"


def _content_cell(items: list[Any], where: str) -> Cell:
    cell: Cell = []
    for n, item in enumerate(items):
        if isinstance(item, str):
            cell.append(item)
        elif isinstance(item, dict) and isinstance(item.get("items"), list):
            cell.append([str(x) for x in item["items"]])
        else:
            raise SaikenError("段落（文字列）か「items:」の箇条書きを書いてください。", where=f"{where}[{n}]")
    return cell


def measures_cell(groups: list[dict[str, Any]], where: str) -> Cell:
    cell: Cell = []
    for g, group in enumerate(groups):
        cell.append(str(_need(group, "heading", f"{where}[{g}]")))
        items = _need(group, "items", f"{where}[{g}]", list)
        cell.append([f"{_need(m, 'number', f'{where}[{g}].items[{i}]')} {_need(m, 'text', f'{where}[{g}].items[{i}]')}"
                     for i, m in enumerate(items)])
    return cell


def entrustment_rows(data: dict[str, Any], fy: int) -> list[tuple[str, Cell]]:
    where = f"{REPORT_FILE}: entrustment"
    e = _need(data, "entrustment", REPORT_FILE, dict)
    items = _need(e, "information_items", where, dict)
    measures = _need(data, "measures", REPORT_FILE, dict)
    cells: dict[str, Cell] = {
        "holder": [str(_need(e, "holder", where))],
        "registered_work": [str(_need(e, "registered_work", where))],
        "contractor": [str(_need(e, "contractor", where))],
        "information_items": [f"{_need(items, 'whose', where)} "
                              + "、".join(map(str, _need(items, "items", f"{where}.information_items", list)))],
        "media": [str(_need(e, "media", where))],
        "reasons": [str(r) for r in _need(e, "reasons", where, list)],
        "work": [[str(w) for w in _need(e, "work", where, list)]],
        "period": [period_text(fy, str(e.get("period_note", "")))],
        "ward_measures": measures_cell(_need(measures, "ward", REPORT_FILE, list), f"{REPORT_FILE}: measures.ward"),
        "contractor_measures": measures_cell(_need(measures, "contractor", REPORT_FILE, list),
                                             f"{REPORT_FILE}: measures.contractor"),
    }
    return [(ENTRUSTMENT_LABELS[key], cell) for key, cell in cells.items()]


def business_rows(data: dict[str, Any]) -> list[tuple[str, Cell]]:
    where = f"{REPORT_FILE}: business"
    b = _need(data, "business", REPORT_FILE, dict)
    rows: list[tuple[str, Cell]] = [(label, [str(_need(b, key, where))]) for label, key in BUSINESS_ROWS]
    rows.append(("事業内容", _content_cell(_need(b, "content", where, list), f"{where}.content")))
    return rows


def annex_blocks(terms: list[dict[str, Any]] | None) -> list[Block]:
    blocks = [Block("pagebreak"), Block("heading", "特記事項")]
    if terms is None:
        return blocks + [Block("para", f"（{TERMS_FILE} がないため、特記事項を載せられません。"
                                       "saiken のチェックアウトからコピーしてください。）")]
    previous = None
    for term in terms:
        if term.get("heading") and term["heading"] != previous:
            blocks.append(Block("para", f"({term['heading']})"))
            previous = term["heading"]
        blocks.append(Block("para", f"{term['number']} {term['text']}"))
        for item in term.get("items") or []:
            blocks.append(Block("para", f"({item['number']}) {item['text']}"))
    return blocks


def build(root: Path, fy: int | None = None, *, with_results: bool = False) -> list[Block]:
    """The report as blocks; `fy` picks the legal basis and the period (default: the report's year)."""
    data = load(root)
    fy = fy or _need(data, "fiscal_year", REPORT_FILE, int)
    basis = legal_basis(data, fy)
    subject = str(_need(data, "subject", REPORT_FILE))
    blocks = [
        Block("title", str(_need(data, "title", REPORT_FILE))),
        Block("table", rows=[("件 名", [subject])]),
        Block("para", str(data.get("subject_note", ""))),
        Block("heading", basis["label"]),
        Block("para", basis["kind"]),
        Block("para", basis["provision"]),
        Block("para", f"（担当部課：{_need(data, 'department', REPORT_FILE)}）"),
        Block("heading", "事業の概要"),
        Block("table", rows=business_rows(data)),
        Block("heading", basis["category"]),
        Block("para", f"件名 {subject}"),
        Block("table", rows=entrustment_rows(data, fy)),
    ]
    if with_results:
        blocks += results_blocks(root)
    return blocks + annex_blocks(load_terms(root))


def results_blocks(root: Path) -> list[Block]:
    table = results.table(root)
    blocks = [Block("heading", "年度ごとの実績")]
    if table is None:
        return blocks + [Block("para", f"（{AGGREGATES_FILE} がないため、実績を載せられません。）")]
    header, *rows = table.rows
    cells = [(r[0], [" / ".join(f"{h}: {v}" for h, v in zip(header[1:], r[1:]))]) for r in rows]
    return blocks + [Block("table", rows=cells), Block("para", table.note)]


# --- Markdown -------------------------------------------------------------------------------------

def _md(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "&#124;")


def _md_cell(cell: Cell) -> str:
    parts: list[str] = []
    for part in cell:
        parts.extend([_md(part)] if isinstance(part, str) else [_md(x) for x in part])
    return "<br>".join(parts)


def to_markdown(blocks: list[Block], *, title_level: int = 1) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind == "title":
            out.append("#" * title_level + " " + _md(b.text))
        elif b.kind == "heading":
            out.append("#" * (title_level + 1) + " " + _md(b.text))
        elif b.kind == "para" and b.text:
            out.append(_md(b.text))
        elif b.kind == "table":
            out.append("| 項目 | 内容 |\n|---|---|\n" + "\n".join(
                f"| {_md(label)} | {_md_cell(cell)} |" for label, cell in b.rows))
    return "\n\n".join(out) + "\n"


def plain_text(blocks: list[Block]) -> str:
    """Every word of the document, one piece a line (for tests and previews)."""
    lines: list[str] = []
    for b in blocks:
        lines.append(b.text)
        for label, cell in b.rows:
            lines.append(label)
            for part in cell:
                lines.extend([part] if isinstance(part, str) else part)
    return "\n".join(x for x in lines if x)


# --- export ---------------------------------------------------------------------------------------

FORMATS = ("md", "pdf", "docx")


def render(blocks: list[Block], fmt: str) -> bytes:
    if fmt == "md":
        return to_markdown(blocks).encode("utf-8")
    if fmt == "docx":
        from saiken.publishing.council.docx import to_docx
        return to_docx(blocks)
    if fmt == "pdf":
        from saiken.publishing.council.pdf import compile_pdf
        title = next((b.text for b in blocks if b.kind == "title"), "")
        return compile_pdf("council.typ", {"title": title, "blocks": [asdict(b) for b in blocks]})
    raise SaikenError(f"形式は {' / '.join(FORMATS)} のどれかです（{fmt}）。")


def file_name(fy: int, fmt: str) -> str:
    return f"council-report-{fy}.{fmt}"


def export(root: Path, fmt: str, fy: int | None, out: Path, *, with_results: bool = False) -> Path:
    """Write the report for `fy` in `fmt` into the folder `out`; the file's path."""
    fy = fy or _need(load(root), "fiscal_year", REPORT_FILE, int)
    data = render(build(root, fy, with_results=with_results), fmt)
    try:
        out.mkdir(parents=True, exist_ok=True)
        path = out / file_name(fy, fmt)
        path.write_bytes(data)
    except OSError as exc:
        raise SaikenError(f"書き込めません（{os_reason(exc)}）。", where=str(out),
                          hint="--out で書き込めるフォルダを指定してください。") from None
    return path
