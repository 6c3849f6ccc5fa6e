"""saiken report handlers|handling|aggregates – reports to 甲 and published figures, without personal data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from saiken.commands._common import DATE, as_date, new_output, today_option, write_output
from saiken.core import yamlio
from saiken.core.records import find_root
from saiken.ledger import accesslog, evidence, reports


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
        return
    if out.suffix.lower() == ".pdf":
        from saiken.ledger import reports_pdf
        new_output(out)
        reports_pdf.write_pdf(find_root(), text, out)
        click.echo(f"{out} に書き出しました（PDF）。", err=True)
        return
    write_output(out, text.encode("utf-8"))
    click.echo(f"{out} に書き出しました（Markdown）。", err=True)


_OUT = click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                    help="書き出すファイル（.pdf なら PDF、それ以外は Markdown。省略時は画面に表示）。"
                         "既にあるファイルには書きません。")


@click.group()
def report() -> None:
    """甲への報告書（個人情報を含まない Markdown）と、公開する実績の集計を作ります。

    \b
    例:
      saiken report handlers
      saiken report handling --as-of 2022-03-31 --out out/取扱状況報告.md
      saiken report aggregates --write
    """


@report.command()
@today_option
@_OUT
def handlers(as_of: dt.datetime | None, out: Path | None) -> None:
    """取扱責任者及び取扱者の指定報告（特記事項13）を作ります。

    \b
    例:
      saiken report handlers
      saiken report handlers --out out/取扱者指定報告.pdf
    """
    _emit(reports.handlers_report(find_root(), as_date(as_of)), out)


@report.command()
@today_option
@_OUT
@click.option("--requested", type=DATE, default=None,
              help="甲から報告を求められた日。指定すると ledger/reports.yaml に報告を記録します。")
def handling(as_of: dt.datetime | None, out: Path | None, requested: dt.datetime | None) -> None:
    """個人情報の取扱状況報告（特記事項14）を作ります: 記録の件数、取扱者、受渡し、書類の出力、
    返還されていない媒体、事故、研修・監査、未対応の事項。

    \b
    例:
      saiken report handling
      saiken report handling --as-of 2022-03-31 --requested 2022-03-20 --out out/取扱状況報告.md
    """
    root, day = find_root(), as_date(as_of)
    _emit(reports.handling_report(root, day), out)
    if requested is not None:
        evidence.append(root, "reports", {"requested": requested.date(), "reported": day, "by": accesslog.who(root)})
        click.echo("ledger/reports.yaml に報告を記録しました。", err=True)


@report.command("pdf")
@click.argument("markdown", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PDF の出力先（既定は同じ場所・同じ名前の .pdf）。既にあるファイルには書きません。")
def pdf(markdown: Path, out: Path | None) -> None:
    """saiken が作った報告書の Markdown（事故報告書・消去証明書など）を PDF にします。

    \b
    例:
      saiken report pdf ledger/incidents/I-2021-001.md
      saiken report pdf ledger/certificates/erasure-2022-04-01-otsu-01.md --out out/消去証明書.pdf
    """
    from saiken.ledger import reports_pdf
    text = yamlio.decode(markdown.read_bytes(), where=str(markdown))
    target = out or markdown.with_suffix(".pdf")
    new_output(target)
    reports_pdf.write_pdf(find_root(), text, target)
    click.echo(f"{target} に書き出しました（PDF）。", err=True)


@report.command("aggregates")
@click.option("--fy", type=click.IntRange(2000, 2100), default=None,
              help="集計する年度（西暦の始まる年。既定は基準日の年度）。")
@today_option
@click.option("--write", is_flag=True, help="ledger/aggregates.yaml に書き込みます（付けないときは表示するだけ）。")
def aggregates(fy: int | None, as_of: dt.datetime | None, write: bool) -> None:
    """実績（年度ごとの件数・処理状況別の件数・調定額・収入済額）を記録から集計します。

    SAIKEN_IDENTITY の鍵で全記録を開き、集計値だけを ledger/aggregates.yaml に書きます
    （事案番号・氏名・事案ごとの金額は書きません）。方針サイトの「実績」と審議会報告（--results）は
    このファイルを読みます。少ない件数の秘匿は公開するときに行います（policies/publication.yaml）。

    \b
    集計の中身（年度 = 4月〜翌年3月）:
      対象件数    受任前を除く事案のうち、その年度末までに期日の来た未納額か、年度内の入金があるもの
      処理状況    対象の事案の、集計した日の処理状況ごとの件数
      調定額      年度末までに期日の来た割賦金（期限の利益を失った事案は元金全額）から、前年度までの入金を引いた額
      収入済額    年度内の入金（claim.payments）の合計
      不納欠損額  年度内に受けた時効援用（経過記録の「時効援用」）で消滅した額。援用の日に時効が
                  完成していた割賦金の未払額です（借受人・借受人の相続人の援用だけ。保証人だけの援用は
                  含みません）。ファイルに手で書いた値（written_off_computed と異なる値）は残ります
    開けない記録が 1 件でもあると、何も書かずに止まります。時効援用の記録があるときは
    policies/limitation.yaml が必要です。

    \b
    例:
      saiken report aggregates                          今年度の集計を表示する（書き込まない）
      saiken report aggregates --write                  ledger/aggregates.yaml に書く
      saiken report aggregates --fy 2025 --as-of 2026-03-31 --write   令和7年度末の集計
      git add ledger/aggregates.yaml && git commit -m "実績の集計（令和7年度）"
    """
    from saiken import wareki
    from saiken.core import crypto
    from saiken.core.records import Store
    from saiken.ledger import aggregates as agg

    day = as_date(as_of)
    year = fy if fy is not None else wareki.fiscal_year(day)
    store = Store.open()
    entry = agg.compute(store, crypto.load_identities(), year, day)
    label = f"{wareki.fiscal_year_label(year)}（{year}年度）"
    kept = agg.hand_written(store.root, entry)
    if kept is not None and kept != entry["written_off"]:
        click.echo(f"注意: 不納欠損額は手で書いた金{kept:,}円を残します（記録の時効援用から計算した額は"
                   f"金{entry['written_off']:,}円）。計算した額にするには、{agg.AGGREGATES_FILE} のその年度の "
                   "written_off の行を消してから --write を付けて実行してください。", err=True)
    if not write:
        click.echo(agg.render(entry), nl=False)
        click.echo(f"{label}の集計です（対象 {entry['cases']} 件）。書き込むには --write を付けてください。", err=True)
        return
    path = agg.write(store.root, entry)
    click.echo(f"{path.relative_to(store.root)} に{label}の集計を書きました（対象 {entry['cases']} 件）。"
               f"コミットしてください: git add ledger/aggregates.yaml && git commit -m "
               f"\"実績の集計（{wareki.fiscal_year_label(year)}）\"")
