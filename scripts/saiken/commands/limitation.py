"""saiken case limitation – 消滅時効の完成日を、割賦金ごと・当事者ごとに表示します。"""

from __future__ import annotations

import datetime as dt

import click

from saiken.casework import limitation
from saiken.casework.limitation import report as limitation_report
from saiken.commands._common import as_date, identities, store, to_json, today_option
from saiken.core.records import check_case_id


@click.command("limitation")
@click.argument("case_id")
@today_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="出力形式。")
@click.option("--names", is_flag=True, help="当事者の氏名も表示します（画面に個人情報が出ます）。")
def limitation_command(case_id: str, as_of: dt.datetime | None, fmt: str, names: bool) -> None:
    """消滅時効の完成日を、割賦金ごと・当事者（借受人・連帯保証人・相続人）ごとに表示します。

    完成日は、それを決めた事由（弁済期、入金・承認による更新、催告・協議による完成猶予、期限の利益
    喪失）と条文を添えて示します。同じ結果の連続した回はまとめて 1 行にします。完成済みは ✖、基準日
    から 6 か月以内に完成するものは ！ で示します。

    入金は入金した人（claim.payments の party）の時効だけを更新します（民法153条3項）。借受人が
    亡くなっていれば、相続人ごとに相続分の額で計算し、保証人の行は相続人ごとに分けて示します。
    合意書の条項（acceleration）による当然喪失と claim.demanded_on の請求による喪失は、残額の起算に
    入ります。経過記録の時効援用・免責許可は「援用済み」「免責」として示します。
    期間や猶予の長さなど争いのありうる規則は policies/limitation.yaml にあり、直せます。

    \b
    例:
      saiken case limitation C-AB12CD34
      saiken case limitation C-AB12CD34 --as-of 2026-04-01
      saiken case limitation C-AB12CD34 --format json
    """
    st = store()
    record = st.load(check_case_id(case_id), identities())
    report = limitation.assess_record(st.root, record, as_date(as_of))
    if fmt == "json":
        click.echo(to_json(limitation_report.as_json(report)))
        return
    parties = {p["id"]: p for p in record.get("parties") or []}
    for line in limitation_report.render_table(report, parties, names=names):
        click.echo(line)
