"""saiken records migrate|path – where records live (saiken.core.layout) and moving to that layout."""

from __future__ import annotations

import shlex

import click

from saiken.core import layout
from saiken.core.records import check_case_id, find_root
from saiken.errors import SaikenError
from saiken.git import gitdrivers
from saiken.git import migrate as migrating

COMMIT_MESSAGE = "記録をフォルダ別の配置に移す（saiken records migrate）"


@click.group("records")
def records_group() -> None:
    """記録ファイルの置き場所を表示・移動します。

    記録は records/<xx>/<y>/事案番号.yaml.age に置きます。<xx>/<y> は事案番号の SHA-256 の先頭 3 桁（<xx> は 2 桁で 00〜ff、<y> は 1 桁で 0〜f）で、
    宛先台帳はフォルダごとの records/<xx>/<y>/manifest.yaml です。記録が増えても、1 件を書くコミットが
    書き直すのは小さなフォルダ 1 つと台帳 1 つだけです（docs/procedures/records-layout.md）。

    \b
    例:
      saiken records path C-AB12CD34
      saiken records migrate --dry-run
    """


@records_group.command("path")
@click.argument("case_id", metavar="事案番号")
def path_command(case_id: str) -> None:
    """事案の記録ファイルの場所（記録リポジトリの中のパス）を表示します。

    記録がまだなくても、その事案番号の記録を置く場所を表示します（そのときは注意も表示します）。

    \b
    例:
      saiken records path C-AB12CD34
      git log --follow -p "$(saiken records path C-AB12CD34)"
    """
    check_case_id(case_id)
    rel = layout.record_rel(case_id)
    click.echo(rel)
    try:
        root = find_root()
    except SaikenError:  # outside a records repository the path is still the path
        return
    if not (root / rel).exists():
        click.echo(f"注意: 事案「{case_id}」の記録はまだありません（`saiken case list` で確かめられます）。", err=True)


@records_group.command("migrate")
@click.option("--dry-run", is_flag=True, help="移す記録と分ける宛先台帳を表示するだけで、何も変更しません。")
def migrate_command(dry_run: bool) -> None:
    """以前の配置（records/ の直下、または 1 段のフォルダ records/<xx>/）の記録を、フォルダ別の配置に移します。

    records/事案番号.yaml.age（や records/<xx>/事案番号.yaml.age）を records/<xx>/<y>/事案番号.yaml.age に
    `git mv` で移し（`git log --follow` で履歴をたどれます）、宛先台帳 records/manifest.yaml（や
    records/<xx>/manifest.yaml）をフォルダごとの records/<xx>/<y>/manifest.yaml に
    分けます。記録の中身は読まず、暗号化もし直しません。変更はすべてステージするだけで、コミットは
    表示する `git commit` で行ってください（コミット時の検査が通常どおり行われます）。
    何度実行しても同じ結果です（移すものがなければ何もしません）。

    \b
    例:
      saiken records migrate --dry-run
      saiken records migrate
      git commit -m "記録をフォルダ別の配置に移す（saiken records migrate）"
    """
    root = find_root()
    todo = migrating.plan(root)
    if todo.empty:
        click.echo("移す記録はありません（すべての記録がフォルダ別の配置 records/<xx>/<y>/ にあります）。")
        return
    for src, dst in todo.moves:
        click.echo(f"{'移します' if dry_run else '移しました'}: {src} → {dst}")
    if dry_run:
        for rel in todo.legacy_manifests:
            click.echo(f"分けます: {rel} → {layout.RECORDS_DIR}/<xx>/<y>/{layout.MANIFEST_NAME}")
        click.echo(f"{len(todo.moves)} 件の記録を移します（--dry-run のため何も変更していません）。", err=True)
        return
    written = migrating.run(root, todo)
    gitdrivers.setup_local_attributes(root)
    if todo.legacy_manifests:
        click.echo(f"分けました: {'、'.join(todo.legacy_manifests[:3])}{' ほか' if len(todo.legacy_manifests) > 3 else ''}"
                   f"（{len(todo.legacy_manifests)} 個） → {written} 個の {layout.RECORDS_DIR}/<xx>/<y>/{layout.MANIFEST_NAME}")
    click.echo(f"{len(todo.moves)} 件の記録を移しました（変更はステージ済みです）。", err=True)
    line = shlex.join(["git", "commit", "-m", COMMIT_MESSAGE])
    click.echo(f"次に、変更をコミットしてください（移動だけのコミットは受渡しの記録に行を作りません）:\n  {line}\n"
               "そのあと `git push` し、ほかの取扱者は `git pull` のあと `saiken git-setup` を実行してください。", err=True)
