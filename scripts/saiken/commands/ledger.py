"""saiken ledger handovers|receive – the handover record (確認書) from git history, and receipts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from saiken.commands._common import DATE, as_date, today_option, write_output
from saiken.core.records import find_root
from saiken.errors import SaikenError
from saiken.git import gitio
from saiken.ledger import handovers, receipts
from saiken.ledger.handovers import report


@click.group()
def ledger() -> None:
    """証跡台帳（ledger/）: 受渡し確認書・受領確認と、特記事項が求める証跡。個人情報は載せません。

    \b
    例:
      saiken ledger handovers --fy 2021
      saiken ledger handovers --from 2021-04-01 --to 2021-09-30 --format csv --out 確認書.csv
      saiken ledger receive 1a2b3c4d
      saiken ledger handover --method CD-R --cases C-AB12CD34
      saiken ledger return --medium M-2021-001
      saiken ledger training --attendees otsu-01,otsu-02 --topic 個人情報の適正な管理
    """


def _period(fy: int | None, start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.date | None, dt.date | None, str]:
    if fy is not None and (start or end):
        raise SaikenError("--fy と --from/--to は同時に指定できません。",
                          hint="saiken ledger handovers --fy 2021  または  --from 2021-04-01 --to 2022-03-31")
    if fy is not None:
        s, e = handovers.fiscal_year_range(fy)
        return s, e, f"{handovers.fiscal_year_label(fy)} {s.isoformat()}〜{e.isoformat()}"
    s, e = (start.date() if start else None), (end.date() if end else None)
    if s and e and s > e:
        raise SaikenError(f"--from（{s}）が --to（{e}）より後になっています。")
    label = "全期間" if not (s or e) else f"{s.isoformat() if s else '最初'}〜{e.isoformat() if e else '現在'}"
    return s, e, label


@ledger.command("handovers")
@click.option("--fy", type=int, default=None, help="年度（4月〜翌年3月）。例: 2021 は 2021-04-01〜2022-03-31。")
@click.option("--from", "start", type=DATE, default=None, help="この日以降のコミット（YYYY-MM-DD）。")
@click.option("--to", "end", type=DATE, default=None, help="この日までのコミット（YYYY-MM-DD）。")
@click.option("--format", "fmt", type=click.Choice(["md", "csv"]), default="md", help="出力形式（既定 md）。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="ファイルに書き出します（csv は Excel 向けに BOM 付き UTF-8。既にあるファイルには書きません）。"
                   "省略時は画面に表示。")
@click.option("--no-cache", is_flag=True, help="キャッシュ（.git/saiken/handovers-cache）を使わず、履歴をすべて読み直します。")
@today_option
def handovers_(fy: int | None, start: dt.datetime | None, end: dt.datetime | None, fmt: str,
               out: Path | None, no_cache: bool, as_of: dt.datetime | None) -> None:
    """個人情報データの受渡し確認書を Git の履歴から作ります。

    records/ の記録を追加・変更・削除したコミット 1 件が 1 行です（日時、渡した者と所属、
    受け取る者＝暗号化の宛先、事案番号、内容、受領確認）。記録は復号しません。
    読んだ結果は .git/saiken/handovers-cache に残し（事案番号・取扱者 ID・ハッシュだけで、
    氏名やメールアドレスは入れません）、次からは新しいコミットだけを読みます。

    \b
    例:
      saiken ledger handovers                       全期間を表で表示
      saiken ledger handovers --fy 2021             令和3年度分
      saiken ledger handovers --fy 2021 --format csv --out 確認書-2021.csv
      saiken ledger handovers --no-cache            キャッシュを使わずに作る
    """
    root = find_root()
    s, e, label = _period(fy, start, end)
    rows = handovers.read_history(root, start=s, end=e, cache=not no_cache)
    receipts.attach(rows, receipts.prove(root, receipts.load(root)))
    if fmt == "csv":
        text = report.render_csv(rows)
    else:
        text = report.render_markdown(rows, period=label, made=as_date(as_of),
                                               head=gitio.resolve_commit(root, "HEAD"))
    if out is None:
        click.echo(text, nl=False)
        return
    write_output(out, text.encode("utf-8-sig" if fmt == "csv" else "utf-8"))
    click.echo(f"{out} に書き出しました（{len(rows)} 件）。", err=True)


@ledger.command()
@click.argument("commit")
@today_option
def receive(commit: str, as_of: dt.datetime | None) -> None:
    """受渡し（コミット）を受け取ったことを確認し、ledger/receipts.yaml に記録してコミットします。

    相手方（渡した者が乙なら甲、甲なら乙）の有効な取扱者が、自分の git のメールアドレスで実行します。
    user.signingkey が設定されていれば署名付きコミットになります。

    \b
    例:
      saiken ledger handovers          コミット ID を確認
      saiken ledger receive 1a2b3c4d5e6f
    """
    root = find_root()
    outcome = receipts.receive(root, commit, as_date(as_of))
    r = outcome.receipt
    click.echo(f"受領確認を記録しました: コミット {r.commit[:12]}、受け取った者 {r.receiver}、{r.date.isoformat()}。")
    if outcome.signed:
        click.echo(f"署名付きコミット {outcome.ledger_commit[:12]} を作成しました。")
    else:
        click.echo(f"コミット {outcome.ledger_commit[:12]} を作成しました。署名なし（user.signingkey が未設定）の受領確認です。"
                   "署名するには `git config user.signingkey 鍵` を設定してください（docs/procedures/handover.md）。")
    click.echo("相手方に届けるには `git push` してください。")
