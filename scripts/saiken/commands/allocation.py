"""saiken case allocation – 入金の充当（民法489条）と、入金ごとの元金・遅延損害金の残高を表示します。"""

from __future__ import annotations

import datetime as dt

import click

from saiken.casework import statement
from saiken.commands._common import as_date, identities, store, to_json, today_option
from saiken.core.records import check_case_id


@click.command("allocation")
@click.argument("case_id")
@today_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="出力形式。")
def allocation_command(case_id: str, as_of: dt.datetime | None, fmt: str) -> None:
    """入金の充当と、入金ごとの元金・遅延損害金・費用の残高を表示します。

    入金は、費用 → 遅延損害金 → 元金 の順に、それぞれ古い割賦金から充当します（民法489条）。
    遅延損害金は割賦金ごとに弁済期の翌日から日割り（1年365日）で計算し、基準日現在の額を示します。
    率は policies/damages.yaml（法定利率と、区の条例・貸付契約の率）にあります。
    合意書の総額（agreements の total）は、署名前の合意書の合意日を --as-of にした「合計」と同じにします。
    署名済みの合意書（分納）があれば、その日からは合意書の分割金に充当します。

    \b
    例:
      saiken case allocation C-AB12CD34
      saiken case allocation C-AB12CD34 --as-of 2021-06-01
      saiken case allocation C-AB12CD34 --format json
    """
    st = store()
    cid = check_case_id(case_id)
    record = st.load(cid, identities())
    report, rates = statement.assess(record, st.policy, as_date(as_of))
    assert report.allocation is not None
    plan = report.liability.plan.notes if report.liability else ()
    notes = [*rates.notes(), *(w for w in report.warnings if "damages.yaml" in w), *plan]
    if fmt == "json":
        click.echo(to_json(statement.as_json(cid, report.allocation, notes)))
        return
    for line in statement.render_table(cid, report.allocation, notes):
        click.echo(line)
