"""The handover record printed: 個人情報データの受渡し確認書 as a Markdown table or CSV.

Rows come from `handovers.read_history`; nothing here reads a record's content.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from saiken.ledger.handovers import Handover
from saiken.ledger.handovers.recipients import HandlerView, Recipients

TITLE = "個人情報データの受渡し確認書（Git 履歴より）"
COLUMNS = ("日時", "渡した者（所属）", "受け取る者（宛先）", "事案番号", "内容", "受領確認")
NOTES = (
    "各行は records/ の暗号化された記録を追加・変更・削除した 1 つのコミットです。",
    "受け取る者は、そのコミット時点の記録の暗号化の宛先です（age ヘッダのスタンザ、宛先台帳 records/<xx>/<y>/manifest.yaml、"
    "その時点の policies/handlers.yaml による）。X25519 の宛先は暗号文だけからは特定できません。",
    "事案番号はファイル名から取っています。記録は復号しておらず、個人情報は載せていません。",
    "受領確認は ledger/receipts.yaml の記録です（`saiken ledger receive コミットID` で記録）。受領済とするのは、"
    "その記載を受け取った取扱者本人（コミッターのメールアドレス）がコミットしたものだけです。署名付きは、そのコミットに"
    "本人の署名鍵（policies/handlers.yaml の signing_key）による署名があることを git で確かめたものです。",
)


def cells(row: Handover) -> tuple[str, ...]:
    return (
        f"{row.when:%Y-%m-%d %H:%M} / {row.commit[:12]}",
        _from_cell(row),
        _to_cell(row),
        _cases_cell(row),
        row.kind + (f"（{len(row.changes)} 件）" if len(row.changes) > 1 else ""),
        _receipt_cell(row),
    )


def _from_cell(row: Handover) -> str:
    person = f"{row.author_name} <{row.author_email}>"
    if row.author_handler:
        return f"{person}（{row.author_handler}・{row.author_org or '所属不明'}）"
    return f"{person}（取扱者として未登録）"


def _to_cell(row: Handover) -> str:
    if not row.recipients:
        return "—（削除のみ）"
    first, *rest = row.recipients.values()
    if all(r is first for r in rest):  # records alike share one Recipients (a re-encryption of all)
        return _describe(first, row.handlers)
    texts = {cid: _describe(r, row.handlers) for cid, r in row.recipients.items()}
    if len(set(texts.values())) == 1:
        return next(iter(texts.values()))
    return "；".join(f"{cid}: {t}" for cid, t in texts.items())


_described: dict[tuple[Recipients, int], str] = {}


def _describe(recipients: Recipients, handlers: HandlerView) -> str:
    # Most rows share a recipient set: describe each (set, handlers file) once.
    key = (recipients, id(handlers))
    if key not in _described:
        _described[key] = recipients.describe(handlers)
    return _described[key]


def _cases_cell(row: Handover) -> str:
    if len({k for _, k in row.changes}) == 1:
        return "、".join(row.case_ids)
    return "、".join(f"{cid}（{k}）" for cid, k in row.changes)


def _receipt_cell(row: Handover) -> str:
    if not row.receipts:
        return "未確認"
    parts = []
    for r in row.receipts:
        if r.doubt is not None:
            parts.append(f"未確認（{r.receiver}、{r.date.isoformat()} の記載は{r.doubt}）")
            continue
        sig = "" if r.signed is None else ("、署名付き" if r.signed else "、署名なし")
        parts.append(f"受領済（{r.receiver}、{r.date.isoformat()}{sig}）")
    return "；".join(parts)


def render_markdown(rows: list[Handover], *, period: str, made: dt.date, head: str | None) -> str:
    received = sum(1 for r in rows if r.received)
    out = [f"# {TITLE}", "",
           f"- 対象期間: {period}",
           f"- 作成日: {made.isoformat()}" + (f"（リポジトリの HEAD: {head[:12]}）" if head else ""),
           f"- 受渡し {len(rows)} 件（うち受領確認済 {received} 件、未確認 {len(rows) - received} 件）", "",
           "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        out.append("| " + " | ".join(_md_escape(c) for c in cells(row)) + " |")
    if not rows:
        out.append("| " + " | ".join(["（該当なし）"] + [""] * (len(COLUMNS) - 1)) + " |")
    out += ["", "注記:"] + [f"- {n}" for n in NOTES]
    return "\n".join(out) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_csv(rows: list[Handover]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(cells(row))
    return buf.getvalue()
