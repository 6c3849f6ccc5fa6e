"""saiken report handlers|handling – reports to 甲 without personal data (terms 13, 14)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from saiken import accesslog, evidence, reports
from saiken.commands._common import as_date, today_option
from saiken.errors import SaikenError
from saiken.records import atomic_write, find_root


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
        return
    if out.suffix.lower() == ".pdf":
        from saiken import evidence_pdf
        evidence_pdf.write_pdf(find_root(), text, out)
        click.echo(f"{out} に書き出しました（PDF）。", err=True)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, text.encode("utf-8"))
    except OSError as exc:
        raise SaikenError(f"書き込めません（{exc.strerror}）。", where=str(out)) from None
    click.echo(f"{out} に書き出しました（Markdown）。", err=True)


_OUT = click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                    help="書き出すファイル（.pdf なら PDF、それ以外は Markdown。省略時は画面に表示）。")


@click.group()
def report() -> None:
    """甲への報告書（個人情報を含まない Markdown）を作ります。

    \b
    例:
      saiken report handlers
      saiken report handling --as-of 2022-03-31 --out out/取扱状況報告.md
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
@click.option("--requested", type=click.DateTime(["%Y-%m-%d"]), default=None,
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
              help="PDF の出力先（既定は同じ場所・同じ名前の .pdf）。")
def pdf(markdown: Path, out: Path | None) -> None:
    """saiken が作った報告書の Markdown（事故報告書・消去証明書など）を PDF にします。

    \b
    例:
      saiken report pdf ledger/incidents/I-2021-001.md
      saiken report pdf ledger/certificates/erasure-2022-04-01-otsu-01.md --out out/消去証明書.pdf
    """
    from saiken import evidence_pdf
    text = markdown.read_text(encoding="utf-8")
    target = evidence_pdf.write_pdf(find_root(), text, out or markdown.with_suffix(".pdf"))
    click.echo(f"{target} に書き出しました（PDF）。", err=True)
