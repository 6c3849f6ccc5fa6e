"""saiken case new|show|list – case records (records/<xx>/<y>/<case-id>.yaml.age, saiken.core.layout)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any, Callable

import click

from saiken.casework import claim
from saiken.commands._common import as_date, identities, store, suggest_record_commit, to_json, today_option
from saiken.core import bulk, yamlio
from saiken.core.records import Store, check_case_id, unreadable
from saiken.errors import SaikenError, os_reason
from saiken.textwidth import pad, rpad


@click.group()
def case() -> None:
    """事案の記録（暗号化された YAML）を作成・表示・一覧します。

    \b
    例:
      saiken case list
      saiken case new --from 事案.yaml
      saiken case show C-AB12CD34
      saiken case edit C-AB12CD34
    """


def _gate(st: Store) -> Callable[[str, str], object]:
    """The per-record checks of the commit hook, for the editor to run before it saves."""
    from saiken.checks import before_save
    return lambda case_id, text: before_save.require(st, case_id, text)


def _read_source(source: str) -> str:
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise SaikenError(f"ファイルを読めません（{os_reason(exc)}）。", where=source,
                          hint="--from に記録の YAML ファイルのパスを指定してください（- で標準入力）。") from None
    return yamlio.decode(raw, where=source)


@case.command()
@click.option("--from", "source", default=None, help="記録の YAML ファイル（- で標準入力）。省略時はエディタで作成。")
@click.option("--id", "case_id", default=None, help="事案番号（省略時は自動で採番、英大文字・数字・ハイフン）。")
@click.option("--unsafe-tmp", is_flag=True, help="メモリ上の一時領域がない場合にディスクの一時ファイルを許可します（非推奨）。")
def new(source: str | None, case_id: str | None, unsafe_tmp: bool) -> None:
    """新しい事案の記録を作成し、有効な取扱者宛てに暗号化して保存します。

    \b
    --from を省略すると、説明付きのひな形をエディタ（$VISUAL、$EDITOR、既定は vi）で開きます。
    編集の流れと一時ファイルの扱いは `saiken case edit --help` と同じです。
    ひな形の「#|」で始まる説明の行は保存しません。ひな形を変えずに終了すると、何も保存せずに
    中止します。

    保存する前に、コミット時と同じ記録の検査（情報項目、収集禁止事項など）をし、誤りがあれば
    保存しません。
    --from の記録に case_id がなければ、--id の事案番号（省略時は新しく採番した番号）を入れて
    保存します。記録の case_id と --id が違うときは何も保存しません。

    平文のファイルから作った場合、元のファイルは自分で安全に削除してください（shred -u など）。

    \b
    例:
      saiken case new                         エディタでひな形から作成
      saiken case new --from 事案.yaml
      saiken case new --id C-2021-0001 --from -   < 事案.yaml
    """
    st = store()
    if source is None:
        from saiken.core import editor
        editor.new_case(st, case_id, gate=_gate(st), unsafe_tmp=unsafe_tmp)
        return
    text = _read_source(source)
    normalised, data = st.normalise_text(st.with_case_id(text, case_id, where=source), where=source)
    cid = check_case_id(case_id if case_id is not None else str(data.get("case_id")))
    if data.get("case_id") != cid:
        raise SaikenError(f"記録の case_id（{data.get('case_id')}）と --id（{cid}）が一致しません。", where=source,
                          hint="--id を省くか、記録の case_id と同じ事案番号を指定してください。")
    if st.exists(cid):
        raise SaikenError(f"事案「{cid}」は既にあります。", where=st.rel(cid),
                          hint=f"変更するには `saiken case edit {cid}` を使ってください。")
    _gate(st)(cid, normalised)
    st.write_text(cid, normalised)
    click.echo(cid)
    suggest_record_commit(st, cid, "の記録を作成")


@case.command()
@click.argument("case_id")
@click.option("--unsafe-tmp", is_flag=True, help="メモリ上の一時領域がない場合にディスクの一時ファイルを許可します（非推奨）。")
def edit(case_id: str, unsafe_tmp: bool) -> None:
    """事案の記録をエディタで編集し、検証してから暗号化して保存します。

    \b
    復号した記録は、メモリ上の一時領域（tmpfs: $SAIKEN_TMPDIR、$XDG_RUNTIME_DIR、/dev/shm）
    にだけ、本人専用のフォルダ（0700）とファイル（0600）として書き出します。ディスクしか
    ない場合は中止します（--unsafe-tmp で許可、非推奨）。エディタは $VISUAL、$EDITOR の順に
    探し、既定は vi です。vi・vim・nvim は、スワップ・アンドゥ・バックアップ・viminfo
    （shada）のファイルを作らない設定で起動します。

    \b
    保存してエディタを終了すると、内容を検証します（情報項目の定義と、コミット時と同じ記録の
    検査: 収集禁止事項（特記事項5）など）。誤りがあれば、そのメッセージを先頭に
    「#!」のコメント行として付け、入力した内容のまま、もう一度エディタを開きます（端末では
    先に「再編集しますか? [Y/n]」と尋ね、n で中止。端末がなければ尋ねずに開きます）。
    「#!」で始まる行は保存しません。要配慮個人情報（通院など）は「注意」として表示し、保存します。
    内容が元と同じなら、記録のファイルは書き換えません。事案番号（case_id）は変更できません。

    \b
    次の場合は何も書き換えずに中止し、終了コード 1 で終わります:
      - 誤りの表示後、何も変えずにエディタを終了した（vim なら :q!）
      - ファイルを空（またはコメントだけ）にした
      - エディタが 0 以外で終了した（vim なら :cq）

    \b
    一時ファイルは、正常終了・エラー・Ctrl-C・SIGTERM・SIGHUP のいずれでも削除します
    （編集中の Ctrl-C はエディタに渡します）。中止した場合、入力した内容はどこにも残りません。

    \b
    例:
      saiken case edit C-AB12CD34
      EDITOR=nano saiken case edit C-AB12CD34
    """
    from saiken.core import editor
    st = store()
    editor.edit_case(st, case_id, gate=_gate(st), unsafe_tmp=unsafe_tmp)
    suggest_record_commit(st, case_id, "の記録を更新")


@case.command()
@click.argument("case_id")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", help="出力形式。")
def show(case_id: str, fmt: str) -> None:
    """事案の記録を復号して表示します（画面に個人情報が出ます。周囲に注意してください）。

    \b
    例:
      saiken case show C-AB12CD34
      saiken case show C-AB12CD34 --format json
    """
    st, ids = store(), identities()
    text = st.decrypt(check_case_id(case_id), ids)
    data = st.parse(text, where=st.rel(case_id))
    click.echo(text if fmt == "yaml" else to_json(data) + "\n", nl=False)


def _row(case_id: str, record: dict[str, Any]) -> dict[str, Any]:
    return {"case_id": case_id, "status": record.get("status"), "balance": claim.balance(record)}


def _row_with_name(case_id: str, record: dict[str, Any]) -> dict[str, Any]:
    return {**_row(case_id, record), "name": claim.display_name(claim.borrower(record))}


@case.command("list")
@click.option("--names", is_flag=True, help="借受人の氏名も表示します（画面に個人情報が出ます）。")
@click.option("--overdue", is_flag=True,
              help="延滞額も表示します: 督促状がその日に請求する未納の元金（署名済みの合意書があれば分割金）と遅延損害金"
                   "（時効の完成した回を除く。作業一覧の「延滞」と同じ額）。債権残高も、入金を民法489条の順に充当した後の"
                   "元金（case allocation と同じ）にします。事案ごとに時効を計算するため時間がかかります。")
@today_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "tsv"]), default="table", help="出力形式。")
def list_(names: bool, overdue: bool, as_of: dt.datetime | None, fmt: str) -> None:
    """事案の一覧（事案番号・処理状況・債権残高）。氏名は --names のときだけ表示します。

    --overdue では延滞額（未納の元金・分割金と遅延損害金、--as-of の日現在）も表示します。

    \b
    例:
      saiken case list
      saiken case list --names
      saiken case list --overdue --as-of 2026-12-01
      saiken case list --format json
    """
    st = store()
    summarise = _row_with_name if names else _row
    if overdue:
        from saiken.casework import limitation  # here: the plain list stays quick to start
        summarise = _with_overdue(summarise, limitation.load_rules(st.root), as_date(as_of))
    with bulk.gc_paused():
        read = list(bulk.summaries_or_problems(st, identities(), summarise))
    rows = [row for _, row, problem in read if problem is None]
    _print_rows(rows, fmt, names)
    bad = [unreadable(st.rel(cid), cid, problem) for cid, _, problem in read if problem is not None]
    for problem in bad:
        problem.message = f"一覧に入れていません。{problem.message}"
        click.echo(problem.render(), err=True)
    if bad:
        raise SaikenError(f"読めない記録が {len(bad)} 件あり、一覧に入れていません（上のとおり）。",
                          hint="それぞれの対処のとおりに直してから、もう一度 `saiken case list` を実行してください。")


def _with_overdue(summarise: Callable[[str, dict[str, Any]], dict[str, Any]], rules: Any,
                  on: dt.date) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    from saiken.casework import worklist

    def row(case_id: str, record: dict[str, Any]) -> dict[str, Any]:
        principal, damages, left = worklist.overdue(record, on, rules)
        row = summarise(case_id, record)
        if left is not None:  # the principal after 民法489条 on that day, as `case allocation` shows it
            row["balance"] = left
        return {**row, "overdue": principal, "overdue_damages": damages}
    return row


def _print_rows(rows: list[dict[str, Any]], fmt: str, names: bool) -> None:
    if fmt == "json":
        click.echo(to_json(rows))
        return
    if fmt == "tsv":
        for r in rows:
            click.echo("\t".join(str(v) for v in r.values()))
        return
    more = bool(rows) and "overdue" in rows[0]
    click.echo(pad("事案番号", 14) + pad("処理状況", 10) + rpad("債権残高", 16)
               + (rpad("延滞額", 16) + rpad("遅延損害金", 14) if more else "") + ("  氏名" if names else ""))
    for r in rows:
        line = pad(r["case_id"], 14) + pad(str(r["status"]), 10) + rpad(f"金{r['balance']:,}円", 16)
        if more:
            line += rpad(f"金{r['overdue']:,}円", 16) + rpad(f"金{r['overdue_damages']:,}円", 14)
        click.echo(line + (f"  {r['name']}" if names else ""))
    click.echo(f"計 {len(rows)} 件、債権残高合計 金{sum(r['balance'] for r in rows):,}円")
