"""saiken access-log verify – the hash chain of the local access log (contractor measure 5)."""

from __future__ import annotations

import click

from saiken.core.records import find_root
from saiken.errors import SaikenError
from saiken.ledger import accesslog, receipts


@click.group("access-log")
def access_log() -> None:
    """記録の閲覧・編集のローカルなアクセス記録（.saiken/access.log）を扱います。

    \b
    例:
      saiken access-log verify
    """


@access_log.command()
@click.option("--head", "expected_head", default=None,
              help="以前に控えた行のハッシュ（verify が表示する最終行のハッシュ）。記録がその行を通っているかも確かめます。")
def verify(expected_head: str | None) -> None:
    """アクセス記録の各行が直前の行のハッシュとつながっているかを確かめます。行の削除・改ざんを検出します。

    \b
    記録は 1 コマンド 1 行です（日時・取扱者・開いた事案番号・コマンド）。事案を復号するコマンド
    （case show・edit・new・log・pay・list、doc、limitation、worklist、report aggregates、
    export medium、erase、check、コミット時の検査、git log -p の表示など）がすべて書きます。

    \b
    最初の行から全部を書き直した記録は、連鎖だけでは分かりません。そこで、甲に渡した控えと照合します:
      - 受領確認（saiken ledger receive）のたびに、受け取った取扱者のアクセス記録の行数と
        最終行のハッシュが ledger/receipts.yaml に入り、署名付きでコミットされます。
        verify はこの手元の記録がその控えを通っているかを確かめます（自動）。
      - --head で、自分で控えたハッシュとも照合できます（末尾の削除も検出）。
    この記録は利用者の手元のものです。意図的な内部不正を止めることはできません。

    \b
    例:
      saiken access-log verify
      saiken access-log verify --head 3f5a…
    """
    root = find_root()
    result = accesslog.verify(root, receipts.access_log_heads(root))
    problems = list(result.problems)
    if expected_head and expected_head not in result.hashes and not (expected_head == accesslog.GENESIS):
        problems.append("控えたハッシュの行が記録にありません（末尾の行が削除されたか、その行かそれより前の行が書き換えられています）")
    if problems:
        raise SaikenError("アクセス記録が改ざんされています:\n" + "\n".join(f"  - {p}" for p in problems),
                          where=accesslog.LOG, hint="記録の管理者（取扱責任者）に報告してください。")
    against = f"受領確認の控え {result.checked} 件と照合済み、" if result.checked else ""
    click.echo(f"アクセス記録は連続しています（{result.lines} 行、{against}最終行のハッシュ {result.head}）。")
    if result.other_logs:
        click.echo(f"注意: ほかのパソコンまたはほかのフォルダのアクセス記録の控え {result.other_logs} 件は照合していません"
                   "（記録リポジトリを移したときは、元の場所で照合してください）。", err=True)
