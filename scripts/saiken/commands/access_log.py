"""saiken access-log verify – the hash chain of the local access log (contractor measure 5)."""

from __future__ import annotations

import click

from saiken.core.records import find_root
from saiken.errors import SaikenError
from saiken.ledger import accesslog


@click.group("access-log")
def access_log() -> None:
    """記録の閲覧・編集のローカルなアクセス記録（.saiken/access.log）を扱います。

    \b
    例:
      saiken access-log verify
    """


@access_log.command()
@click.option("--head", "expected_head", default=None, help="以前に控えた最終行のハッシュ（末尾の削除も検出）。")
def verify(expected_head: str | None) -> None:
    """アクセス記録の各行が直前の行のハッシュとつながっているかを確かめます。行の削除・改ざんを検出します。

    \b
    末尾の行の削除は、以前に控えた最終行のハッシュ（--head）と比べたときだけ分かります。
    この記録は利用者の手元のものです。意図的な内部不正を止めることはできません。

    \b
    例:
      saiken access-log verify
      saiken access-log verify --head 3f5a…
    """
    result = accesslog.verify(find_root())
    problems = list(result.problems)
    if expected_head and not problems and result.head != expected_head:
        problems.append("最終行のハッシュが控えと一致しません（末尾の行が削除されたか、控えが違います）")
    if problems:
        raise SaikenError("アクセス記録が改ざんされています:\n" + "\n".join(f"  - {p}" for p in problems),
                          where=accesslog.LOG, hint="記録の管理者（取扱責任者）に報告してください。")
    click.echo(f"アクセス記録は連続しています（{result.lines} 行、最終行のハッシュ {result.head}）。")
