"""saiken council export – 審議会報告（情報公開・個人情報保護審議会 諮問・報告事項）の出力。"""

from __future__ import annotations

from pathlib import Path

import click

from saiken.core.records import find_root
from saiken.publishing import council


@click.group("council")
def council_group() -> None:
    """審議会（情報公開・個人情報保護審議会）への報告を作ります。

    \b
    例:
      saiken council export --format docx
    """


@council_group.command("export")
@click.option("--format", "fmt", type=click.Choice(council.FORMATS), default="md", show_default=True,
              help="出力形式（md / pdf / docx）。")
@click.option("--fy", type=click.IntRange(2000, 2100), default=None,
              help="報告する年度（西暦の始まる年。既定は policies/council-report.yaml の fiscal_year）。")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out"), show_default=True,
              help="出力先のフォルダ。")
@click.option("--results", "with_results", is_flag=True,
              help="年度ごとの実績（ledger/aggregates.yaml の集計、少数は秘匿）を付けます。")
def export_command(fmt: str, fy: int | None, out: Path, with_results: bool) -> None:
    """審議会報告を、事務局に出す形（件名・条例の根拠・事業の概要・報告事項・特記事項）で出力します。

    内容は policies/council-report.yaml（令和3年度の報告の原文）と policies/special-terms.yaml
    （別紙「特記事項」）から作ります。記録（records/）は読まないため、個人情報は含まれません。
    根拠は年度によって変わり（令和5年度からは個人情報の保護に関する法律）、--fy で選べます。
    DOCX は Word・LibreOffice で編集でき、PDF は日本語フォント（IPAexゴシック）を埋め込みます。

    \b
    例:
      saiken council export --format docx
      saiken council export --format pdf --fy 2024 --out out/council
      saiken council export --format md --results
    """
    root = find_root()
    out_dir = out if out.is_absolute() else Path.cwd() / out
    path = council.export(root, fmt, fy, out_dir, with_results=with_results)
    click.echo(f"審議会報告を書き出しました: {path}")
    differ = council.measure_mismatches(root)
    if differ:
        click.echo(f"警告: 情報保護対策の文言が {council.REPORT_FILE} と {council.TERMS_FILE} で違います: "
                   f"{'、'.join(differ)}（審議会に報告した文言にそろえてください）", err=True)
