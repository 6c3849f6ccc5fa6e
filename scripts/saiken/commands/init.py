"""saiken init DIR / saiken demo DIR – a new records repository, empty or with a fictional demo."""

from __future__ import annotations

import datetime as dt
import shlex
from pathlib import Path

import click

from saiken.commands._common import as_date, path_arg, today_option
from saiken.scaffold import demo as demo_mod
from saiken.scaffold import skeleton


@click.command()
@path_arg("directory")
def init(directory: Path) -> None:
    """新しい記録リポジトリを作成します（policies/・docs/・records/・ledger/ と git、最初のコミット）。

    フォルダは、まだないフォルダか空のフォルダを指定します。取扱者は未登録の状態で始まります。

    年度の切替えや新しい受託事務所でも、ファイルを手で写さずに同じ構成を作れます。

    \b
    例:
      saiken init ~/saiken-2025
      cd ~/saiken-2025 && saiken keygen && saiken handler add --id otsu-01 ...
    """
    root = skeleton.create(directory)
    click.echo(f"記録リポジトリを作成しました: {root}")
    click.echo("\n次に行うこと:")
    click.echo(f"  cd {shlex.quote(str(root))}")
    click.echo("  saiken keygen                       # 自分の鍵を作る（公開鍵 age1… が表示されます）")
    click.echo("  saiken handler add --id otsu-01 --name 氏名 --org 乙 --role 取扱責任者 --key age1...")
    click.echo("  git add policies/handlers.yaml && git commit -m '取扱者を指定'")

@click.command()
@path_arg("directory")
@click.option("--seed", type=int, default=demo_mod.DEFAULT_SEED, show_default=True,
              help="架空の事案を作る乱数の種（同じ種と基準日なら同じ内容になります）。")
@click.option("--cases", "count", type=click.IntRange(1, 100000), default=demo_mod.DEFAULT_COUNT,
              show_default=True, help="作る架空の事案の件数。")
@today_option
@click.option("--no-next-steps", "quiet_next", is_flag=True, hidden=True,
              help="「次に試すこと」を表示しません（scripts/quickstart.sh が最後にまとめて表示するため）。")
def demo(directory: Path, seed: int, count: int, as_of: dt.datetime | None, quiet_next: bool) -> None:
    """デモ用の記録リポジトリを作ります（架空の取扱者 3 人と架空の事案 20 件、暗号化してコミット済み）。

    取扱者は 甲 の kou-01（取扱責任者）、乙 の otsu-01（取扱責任者）と otsu-02（取扱者）です。

    各人の秘密鍵は、作ったフォルダの .identities/<取扱者ID>.txt（0600、Git の管理外）に置かれます。

    登場する人物・住所・電話番号はすべて架空です。

    \b
    例:
      saiken demo ~/saiken-demo
      saiken demo /tmp/demo --seed 7 --as-of 2022-03-31
    """
    made = demo_mod.create(directory, seed=seed, as_of=as_date(as_of), count=count)
    _print_next_steps(made, quiet_next)


def _print_next_steps(made: demo_mod.Demo, quiet_next: bool = False) -> None:
    root = shlex.quote(str(made.root))
    first = made.case_ids[0]
    click.echo(f"デモ用の記録リポジトリを作成しました: {made.root}")
    click.echo("  取扱者: " + "、".join(f"{h.id}（{h.organisation}・{h.role}）" for h in demo_mod.HANDLERS))
    click.echo(f"  鍵:     {made.root / demo_mod.IDENTITY_DIR}/<取扱者ID>.txt（本人だけが読める 0600、Git の管理外）")
    click.echo(f"  事案:   架空の事案 {len(made.case_ids)} 件（records/ に暗号化してコミット済み）")
    click.echo("  ※ 登場する人物・住所・電話番号はすべて架空です。")
    if quiet_next:
        return
    click.echo("\n次に試すこと（乙の取扱責任者 otsu-01 として）:")
    click.echo(f"  cd {root}")
    click.echo(f"  export SAIKEN_IDENTITY={shlex.quote(str(made.identities['otsu-01']))}")
    click.echo("  saiken case list                # 事案の一覧（氏名は出ません）")
    click.echo(f"  saiken case show {first}     # 1 件を復号して表示")
    click.echo(f"  saiken case edit {first}     # メモリ上で編集し、暗号化して保存")
    click.echo(f"  saiken case limitation {first}  # 消滅時効の完成日")
    click.echo("  git log -p records/             # 記録の変更履歴")
