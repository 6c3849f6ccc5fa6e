"""Issuing a document: check everything, render in memory, then write the PDF and log it."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any, Callable

from saiken.casework.documents import (
    KINDS,
    Kind,
    agreement,
    demand,
    dunning,
    export,
    exportlog,
    file_name,
    guarantor_demand,
    negotiation_report,
    render,
)
from saiken.core import crypto
from saiken.core.records import Store, check_case_id
from saiken.errors import DecryptFailure, SaikenError, os_reason

Builder = Callable[[dict[str, Any], Any, str, dt.date, str | None], dict[str, Any]]
BUILDERS: dict[str, Builder] = {"督促状": dunning.build, "催告書": demand.build,
                                "保証債務履行請求書": guarantor_demand.build, "合意書": agreement.build}
NAIYO_TEMPLATE = "demand-naiyo.typ"


def out_folder(root: Path, out: Path | None) -> Path:
    """The output folder; one inside the repository gets a `.gitignore` of `*` so no PDF is committed."""
    folder = (out if out is not None else root / "out").resolve()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.is_relative_to(root.resolve()) and not (folder / ".gitignore").exists():
        (folder / ".gitignore").write_text("# saiken doc の出力（個人情報を含む PDF）はコミットしません\n*\n")
    return folder


def check_purpose(purpose: str | None, records: list[dict[str, Any]]) -> None:
    """The export log holds no names: refuse a purpose that contains a party's name (2+ characters)."""
    if not purpose:
        return
    for record in records:
        for party in record.get("parties") or []:
            name = party.get("name") or {}
            for part in (name.get("family"), name.get("given"), name.get("family_kana"), name.get("given_kana")):
                if part and len(str(part)) >= 2 and str(part) in purpose:
                    raise SaikenError("目的（--purpose）に当事者の氏名が含まれています。出力記録には氏名を書けません。",
                                      where=exportlog.EXPORTS_FILE,
                                      hint="氏名を除いて、例えば --purpose 書留で送付 のように書いてください。")


def _write(st: Store, kind: Kind, handler: str, case_ids: list[str], stem: str, on: dt.date,
           pdf: bytes, out: Path | None, purpose: str | None, now: dt.datetime) -> Path:
    log = exportlog.entry(handler, case_ids, kind.name, purpose or kind.purpose, Path(), pdf, now)
    exportlog.require_readable(st.root)  # before any folder or file is made
    try:
        folder = out_folder(st.root, out)
        return export(st.root, folder, file_name(stem, kind, on), pdf, log)
    except OSError as exc:
        raise SaikenError(f"文書または出力記録を書き込めません（{os_reason(exc)}）。PDF は残していません。",
                          where=str(exc.filename or out or "out/"),
                          hint="--out に書き込めるフォルダを指定するか、フォルダの権限を確かめてください。") from None


def letter(st: Store, ids: list[crypto.LoadedIdentity], kind_name: str, case_id: str, on: dt.date,
           to: str | None, out: Path | None, purpose: str | None, naiyo: bool = False) -> Path:
    kind = KINDS[kind_name]
    handler = exportlog.handler_id(st.policy, ids)
    record = st.load(check_case_id(case_id), ids)
    check_purpose(purpose, [record])
    data = BUILDERS[kind_name](record, st.policy, case_id, on, to)
    warnings = data.pop("warnings", [])
    if naiyo:
        data = demand.naiyo(st.root, data)
    pdf = render.compile_pdf(st.root, NAIYO_TEMPLATE if naiyo else kind.template, data)
    path = _write(st, kind, handler, [case_id], case_id, on, pdf, out, purpose, dt.datetime.now())
    warn(warnings)
    return path


def warn(warnings: list[str]) -> None:
    """What the lawyer must know about a document just made (time-barred installments left out,
    values 要確認 / 要設定): on stderr, never in the document or the export log."""
    for text in warnings:
        print(f"注意: {text}", file=sys.stderr)


def readable_records(st: Store, ids: list[crypto.LoadedIdentity]) -> tuple[list[tuple[str, dict[str, Any]]], int]:
    """Every record this user can open; those encrypted to others are skipped and counted."""
    cases, skipped = [], 0
    for case_id in st.case_ids():
        try:
            cases.append((case_id, st.load(case_id, ids)))
        except DecryptFailure as exc:
            if exc.kind != "no match":
                raise
            skipped += 1
    return cases, skipped


def report(st: Store, ids: list[crypto.LoadedIdentity], case_id: str | None, on: dt.date,
           start: dt.date | None, end: dt.date | None, out: Path | None, purpose: str | None) -> tuple[Path, int]:
    kind = KINDS["交渉記録報告書"]
    if start and end and start > end:
        raise SaikenError(f"期間の初日 --from（{start.isoformat()}）が末日 --to（{end.isoformat()}）より後です。",
                          hint="例: saiken doc 交渉記録報告書 --from 2021-04-01 --to 2022-03-31")
    handler = exportlog.handler_id(st.policy, ids)
    if case_id:
        cases, skipped = [(case_id, st.load(check_case_id(case_id), ids))], 0
        stem = case_id
    else:
        cases, skipped = readable_records(st, ids)
        stem = "all"
        if not cases:
            raise SaikenError(f"あなたが開ける事案がありません（暗号化の宛先でない事案 {skipped} 件）。",
                              where="records/", hint="`saiken case list` で事案を確かめてください。")
    check_purpose(purpose, [r for _, r in cases])
    data = negotiation_report.build(cases, st.policy, on, start, end)
    pdf = render.compile_pdf(st.root, kind.template, data)
    path = _write(st, kind, handler, [c for c, _ in cases], stem, on, pdf, out, purpose, dt.datetime.now())
    return path, skipped
