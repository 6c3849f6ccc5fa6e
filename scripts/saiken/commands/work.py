"""saiken case log | case pay | worklist – recording the daily work and seeing what is next."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from saiken.casework import entries, installments, statement, worklist
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

    郵便返戻・死亡判明・破産手続開始・債権届出・免責許可・時効援用・期限の利益喪失は、作業一覧と
    文書に効果があります（誰に請求できるか。docs/procedures/situations.md）。--party で誰のことかを
    指定します（省略時は借受人）。
    保存する前に、コミット時と同じ記録の検査をします。内容に収集禁止事項（思想・信条・宗教、
    社会的差別の原因、犯罪。特記事項5）の語があれば記録せずに終了します（甲の承諾が
    ledger/consents.yaml にあれば記録します）。要配慮個人情報（通院など）は注意を表示して記録します。

    \b
    例:
      saiken case log C-AB12CD34 --kind 電話 --counterpart 本人 --identity-check 生年月日 \\
          --note 分納の相談 --acknowledged --promise-amount 10000 --promise-date 2026-12-25
      saiken case log C-AB12CD34 --kind 督促状送付 --note 督促状を送付 --registered-mail 123-45-67890-1
      saiken case log C-AB12CD34 --kind 来所 --note 合意書の説明 --at '2026-11-20 14:00'
      saiken case log C-AB12CD34 --kind 郵便返戻 --party p1 --note あて所に尋ねあたりません
      saiken case log C-AB12CD34 --kind 時効援用 --party p1 --note 内容証明で援用の通知を受領
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
@click.option("--party", help="入金した当事者の番号（p2 など。省略時は借受人）。")
def pay_command(case_id: str, date: str | None, amount: str | None, note: str | None, party: str | None) -> None:
    """入金を記録します（claim.payments と経過記録の「入金」）。残高・延滞は自動で計算します。

    入金は、費用 → 遅延損害金 → 元金 の順に、それぞれ古い割賦金から充当します（民法489条。
    policies/damages.yaml のない古いリポジトリでは元金だけに）。充当と残高を表示します（詳しくは
    `saiken case allocation`）。入金は、入金した人の債務の承認として、その人の消滅時効だけを
    更新します（民法153条3項）。保証人が払ったときは --party で保証人を指定してください。借受人の
    時効は更新されません。借受人の承認は保証人にも及びます（民法457条1項）。借受人が死亡した後の入金は、
    入金した相続人（または保証人）を必ず指定します。入金日が最後の記録より前でも、日付の順に入ります。
    --note も `saiken case log` と同じく、保存する前に検査します（収集禁止事項の語は記録しません）。

    \b
    例:
      saiken case pay C-AB12CD34 --date 2026-11-20 --amount 9000
      saiken case pay C-AB12CD34 --date 2026-11-20 --amount 9000 --note 窓口で受領
      saiken case pay C-AB12CD34 --date 2026-11-20 --amount 5000 --party p2 --note 保証人から振込
    """
    st = store()
    cid = check_case_id(case_id)
    entries.require_case(st, cid)
    ids = identities()
    entries.current_handler(st.policy, ids)
    date_text = _ask(date, "--date", "入金日（YYYY-MM-DD）", "pay", default=dt.date.today().isoformat())
    made, balance = entries.pay(st, cid, ids, date_text, _ask(amount, "--amount", "入金額（円）", "pay"), note,
                                party=party)
    today = dt.date.today()
    record = st.load(cid, ids)
    late = installments.arrears_total(record, today)
    payer = f"（入金者 {made['party']}）" if made.get("party") else ""
    click.echo(f"入金を記録しました: {cid} {made['date'].isoformat()} 金{made['amount']:,}円{payer}")
    applied = statement.payment_lines(record, st.policy, made["date"], made["amount"])
    for line in applied or [f"債権残高 金{balance:,}円、延滞額（{today.isoformat()} 現在）金{late:,}円"]:
        click.echo(line)
    now_left = statement.position_on(record, st.policy, today)
    if (now_left.total_left if now_left else balance) == 0:
        click.echo(f"残高が 0 円になりました。処理状況（status）を「完済」に直してください: saiken case edit {cid}")
    suggest_record_commit(st, cid, "入金")


@click.command("worklist")
@today_option
@click.option("--sort", "by", type=click.Choice(sorted(worklist.SORTS)), default="priority",
              help="並べ方: priority 優先する順（既定）・due 期日順・case 事案番号順・kind 種別順。")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="出力形式。")
@click.option("--names", is_flag=True, help="連絡する相手の氏名と電話番号も表示します（画面に個人情報が出ます）。")
def worklist_command(as_of: dt.datetime | None, by: str, fmt: str, names: bool) -> None:
    """作業一覧: 開けるすべての事案について、次にすべきことを優先する順に 1 行ずつ表示します。

    \b
    優先する順:
      時効管理        最初に完成する消滅時効が 6 か月以内
      期限の利益喪失  合意書の条項で当然に喪失した日から（期限の利益喪失を記録するまで）、
                      請求による喪失ができるようになった日から（claim.demanded_on を書くまで）
      約束期日        約束した入金の期日が過ぎ、その後の入金も連絡の記録もない
      住所調査・相続人調査・破産  郵便の返戻、死亡（相続人が未記録）、破産手続開始の後
      書面送付        督促状をまだ送っていない、または督促状・催告書に 30 日応答がない
                      （借受人が死亡していれば相続人へ、請求できなければ保証人へ）
      約束期日        7 日以内の約束の期日
      延滞            未納の額（時効の完成した回・援用された回・免責の回を除く。
                      期限の利益を失った後は残額一括）

    各事案の最初の行の下に、注意（死亡・破産・免責・宛所不明・時効援用・期限の利益喪失）と、
    経過記録に書いた「次にすること」を示します。--names では連絡する相手の氏名と電話番号も出します。

    日数などの規則は policies/worklist.yaml にあり、直せます。

    \b
    例:
      saiken worklist
      saiken worklist --names
      saiken worklist --as-of 2026-12-01 --sort due
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
