"""saiken incident new|report – incidents (事故, term 19) and the written 事故報告書."""

from __future__ import annotations

import datetime as dt

import click

from saiken.commands._common import DATE, DATETIME
from saiken.core.records import find_root
from saiken.ledger import accesslog, incidents, media


@click.group()
def incident() -> None:
    """事故（漏えい・紛失等）を記録し、事故報告書を作ります（特記事項19）。

    \b
    例:
      saiken incident new --discovered "2021-09-01 10:30" --summary "CD-R 1 枚の所在不明" --cases C-AB12CD34
      saiken incident report I-2021-001 --notified 2021-09-01
    """


@incident.command()
@click.option("--discovered", type=DATETIME, required=True,
              help="発見日時（YYYY-MM-DD HH:MM）。")
@click.option("--occurred", type=DATE, default=None, help="発生日（分からなければ発見日）。")
@click.option("--summary", required=True, help="概要（氏名・住所は書かず、事案番号で示す）。")
@click.option("--cases", multiple=True, required=True, help="影響を受けた事案番号（カンマ区切り）。")
@click.option("--wrongful", is_flag=True, help="不正の目的によるおそれがある（確報の期限が 60 日）。")
@click.option("--by", default=None, help="発見・報告した取扱者 ID（既定は鍵の持ち主）。")
def new(discovered: dt.datetime, occurred: dt.datetime | None, summary: str, cases: tuple[str, ...],
        wrongful: bool, by: str | None) -> None:
    """事故を ledger/incidents.yaml に記録し、事故報告書（ledger/incidents/ID.md）を作ります。
    速報・書面報告の期限は policies/incidents.yaml の日数で決まります。

    \b
    例:
      saiken incident new --discovered "2021-09-01 10:30" --summary "メール誤送信" --cases C-AB12CD34
    """
    root = find_root()
    entry = incidents.new(root, occurred=(occurred or discovered).date(), discovered=discovered, summary=summary,
                          cases=media.parse_cases(cases), wrongful=wrongful, by=by or accesslog.who(root))
    click.echo(f"事故 {entry['id']} を記録しました。事故報告書: {entry['report_file']}")
    click.echo(f"甲への速報の期限: {entry['prelim_due'].isoformat()}、書面による報告の期限: {entry['final_due'].isoformat()}")
    click.echo(f"通知したら `saiken incident report {entry['id']} --notified YYYY-MM-DD`、"
               f"書面を提出したら `--report YYYY-MM-DD` で記録してください。")


@incident.command("report")
@click.argument("incident_id")
@click.option("--notified", type=DATE, default=None, help="甲へ通知（速報）した日。")
@click.option("--report", "reported", type=DATE, default=None, help="書面による報告を提出した日。")
def report_(incident_id: str, notified: dt.datetime | None, reported: dt.datetime | None) -> None:
    """事故の甲への通知日・書面報告の提出日を記録し、事故報告書を更新します。

    \b
    例:
      saiken incident report I-2021-001 --notified 2021-09-01
      saiken incident report I-2021-001 --report 2021-09-20
    """
    changes = {k: v.date() for k, v in (("notified", notified), ("report", reported)) if v is not None}
    if not changes:
        raise click.UsageError("--notified か --report を指定してください。")
    entry = incidents.record(find_root(), incident_id, changes)
    click.echo(f"事故 {entry['id']} を更新しました: {entry.get('report_file')}")
