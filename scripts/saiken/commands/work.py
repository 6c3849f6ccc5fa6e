"""saiken case log | case pay | worklist – recording the daily work and seeing what is next."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from saiken.casework import entries, installments, worklist
from saiken.commands._common import as_date, identities, store, suggest_record_commit, to_json, today_option
from saiken.core.records import check_case_id
from saiken.errors import SaikenError


def _ask(value: str | None, option: str, question: str, command: str, **kw: Any) -> str:
    """`value`, or the answer to `question` at a terminal; without one, an error naming `option`."""
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise SaikenError(f"{option} が指定されていません。", where=option,
                          hint=f"{option} を付けて実行するか、端末から実行して質問に答えてください"
                               f"（使い方は `saiken case {command} -h`）。")
    return str(click.prompt(question, **kw))


@click.command("log")
@click.argument("case_id")
@click.option("--kind", help="種類: 電話・面談・来所・訪問・書留送付・督促状送付・催告書送付・合意・協議合意 など"
                             "（policies/information-items.yaml の history_kind）。")
@click.option("--note", help="内容（話したこと・送った書面）。")
@click.option("--counterpart", help="相手方: 本人・保証人・相続人・代理人。")
@click.option("--party", help="相手方の当事者番号（p1 など。省略時は借受人）。")
@click.option("--identity-check", "identity_check", help="本人確認の方法（例: 生年月日と住所を確認）。")
@click.option("--registered-mail", "registered_no", help="書留の番号。")
@click.option("--acknowledged", is_flag=True, help="相手方が債務を認めた（承認: 消滅時効が更新されます）。")
@click.option("--promise-amount", "promise_amount", help="約束した入金額（円）。--promise-date と一緒に。")
@click.option("--promise-date", "promise_date", help="約束した期日（YYYY-MM-DD、今日以降）。")
@click.option("--next", "next_action", help="次にすること。")
@click.option("--at", "at", help="日時（YYYY-MM-DD HH:MM、既定は今）。")
def log_command(case_id: str, kind: str | None, note: str | None, counterpart: str | None, party: str | None,
                identity_check: str | None, registered_no: str | None, acknowledged: bool,
                promise_amount: str | None, promise_date: str | None, next_action: str | None,
                at: str | None) -> None:
    """経過・交渉記録を 1 件追加します（電話・面談・来所・書面の送付・合意など）。

    担当者（by）には、あなたの鍵に対応する取扱者が自動で入ります。

    --kind と --note を省くと、端末では質問します。入金は `saiken case pay` で記録します。

    承認（--acknowledged）・督促状や催告書の送付・協議合意は、消滅時効の計算に反映されます。

    \b
    例:
      saiken case log C-AB12CD34 --kind 電話 --counterpart 本人 --identity-check 生年月日 \\
          --note 分納の相談 --acknowledged --promise-amount 10000 --promise-date 2026-12-25
      saiken case log C-AB12CD34 --kind 督促状送付 --note 督促状を送付 --registered-mail 123-45-67890-1
      saiken case log C-AB12CD34 --kind 来所 --note 合意書の説明 --at '2026-11-20 14:00'
    """
    st = store()
    cid = check_case_id(case_id)
    entries.require_case(st, cid)
    ids = identities()
    entries.current_handler(st.policy, ids)  # refuse before asking anything
    kinds = "・".join(st.policy.items.get("lists", {}).get("history_kind", []))
    entry = entries.LogEntry(
        kind=_ask(kind, "--kind", f"種類（{kinds}）", "log"), note=_ask(note, "--note", "内容", "log"),
        at=at, counterpart=counterpart, party=party, identity_check=identity_check, registered_no=registered_no,
        acknowledged=acknowledged, promise_amount=promise_amount, promise_date=promise_date,
        next_action=next_action)
    made = entries.log(st, cid, ids, entry)
    click.echo(f"記録しました: {cid} {made['at']:%Y-%m-%d %H:%M} {made['kind']}（担当 {made['by']}）")
    suggest_record_commit(st, cid, f"交渉の経過（{made['kind']}）")


@click.command("pay")
@click.argument("case_id")
@click.option("--date", "date", help="入金日（YYYY-MM-DD、今日まで）。")
@click.option("--amount", help="入金額（円、1 以上の整数、債権残高まで）。")
@click.option("--note", help="メモ（振込・窓口など）。")
def pay_command(case_id: str, date: str | None, amount: str | None, note: str | None) -> None:
    """入金を記録します（claim.payments と経過記録の「入金」）。残高・延滞は自動で計算します。

    入金は古い割賦金から順に充当します。入金は債務の承認として消滅時効を更新します。

    \b
    例:
      saiken case pay C-AB12CD34 --date 2026-11-20 --amount 9000
      saiken case pay C-AB12CD34 --date 2026-11-20 --amount 9000 --note 窓口で受領
    """
    st = store()
    cid = check_case_id(case_id)
    entries.require_case(st, cid)
    ids = identities()
    entries.current_handler(st.policy, ids)
    date_text = _ask(date, "--date", "入金日（YYYY-MM-DD）", "pay", default=dt.date.today().isoformat())
    made, balance = entries.pay(st, cid, ids, date_text, _ask(amount, "--amount", "入金額（円）", "pay"), note)
    today = dt.date.today()
    late = installments.arrears_total(st.load(cid, ids), today)
    click.echo(f"入金を記録しました: {cid} {made['date'].isoformat()} 金{made['amount']:,}円")
    click.echo(f"債権残高 金{balance:,}円、延滞額（{today.isoformat()} 現在）金{late:,}円")
    if balance == 0:
        click.echo(f"残高が 0 円になりました。処理状況（status）を「完済」に直してください: saiken case edit {cid}")
    suggest_record_commit(st, cid, "入金")


@click.command("worklist")
@today_option
@click.option("--sort", "by", type=click.Choice(sorted(worklist.SORTS)), default="due",
              help="並べ方: due 期日順（既定）・case 事案番号順・kind 種別順。")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="出力形式。")
@click.option("--names", is_flag=True, help="借受人の氏名も表示します（画面に個人情報が出ます）。")
def worklist_command(as_of: dt.datetime | None, by: str, fmt: str, names: bool) -> None:
    """作業一覧: 開けるすべての事案について、次にすべきことを 1 行ずつ表示します。

    約束期日: 約束した入金の期日が 7 日以内か過ぎていて、その後の入金も連絡の記録もないもの。

    延滞: 未納の割賦金（署名済みの合意書があれば、その分割計画の未納）。

    書面送付: 督促状をまだ送っていない、または督促状・催告書に 30 日応答がないもの。

    時効管理: 最初に完成する消滅時効が 6 か月以内のもの。

    日数などの規則は policies/worklist.yaml にあり、直せます。氏名は --names のときだけ出します。

    \b
    例:
      saiken worklist
      saiken worklist --as-of 2026-12-01 --sort case
      saiken worklist --format json
    """
    result = worklist.build(store(), identities(), as_date(as_of), names=names)
    for warning in result.warnings:
        click.echo(f"注意: {warning}", err=True)
    if fmt == "json":
        click.echo(to_json(worklist.as_json(result, by)))
        return
    for line in worklist.render_table(result, by):
        click.echo(line)
