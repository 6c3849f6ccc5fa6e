"""saiken git-setup, and the hidden `saiken git textconv|merge` that git's drivers run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from saiken.errors import SaikenError
from saiken.git import gitdrivers, gitio


def _repository_top() -> Path:
    try:
        return gitio.toplevel(Path.cwd())
    except gitio.GitError:
        raise SaikenError("Git リポジトリの中ではありません。", where=str(Path.cwd()),
                          hint="記録リポジトリの最上位に移動するか、`git init` してから実行してください。") from None


@click.command("git-setup")
def git_setup() -> None:
    """暗号化された記録を git で扱えるようにします（何度実行しても同じ結果です）。

    .gitattributes に `*.age diff=saiken merge=saiken` を、.git/info/attributes に
    `records/*/*/manifest.yaml merge=union`（フォルダごとの宛先台帳の統合）を書き、この記録リポジトリの git 設定に
    差分表示（textconv）と統合（merge）のドライバを登録します。鍵をお持ちの方には `git diff` や
    `git log -p` で復号した内容が表示されます。復号した内容は画面に出すだけで、.git には保存しません
    （cachetextconv は使いません）。

    pre-commit の設定ファイルがあれば、そのフックも入れます。

    誰かが cachetextconv を有効にして、復号した記録が .git の refs/notes/textconv に残っていれば、
    設定を無効に戻し、そのキャッシュを .git から消去します（saiken check --all が知らせます）。

    \b
    例:
      cd ~/saiken-records && saiken git-setup
      git log -p records/30/C-AB12CD34.yaml.age
      saiken check --all --only textconv_cache && saiken git-setup
    """
    for line in gitdrivers.setup(_repository_top()):
        click.echo(line)


@click.group("git", hidden=True)
def git_group() -> None:
    """git のドライバが呼び出す内部コマンドです（直接使う必要はありません）。

    \b
    例:
      saiken git textconv records/30/C-AB12CD34.yaml.age
    """


@git_group.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def textconv(file: Path) -> None:
    """記録を復号して表示します。開けない場合は暗号化されている旨の 1 行を表示します。

    \b
    例:
      saiken git textconv records/30/C-AB12CD34.yaml.age
    """
    gitdrivers.textconv(file, sys.stdout.buffer)
    sys.stdout.buffer.flush()


@git_group.command()
@click.argument("base", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("ours", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("theirs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("path")
def merge(base: Path, ours: Path, theirs: Path, path: str) -> None:
    """3 つの版（共通の祖先・自分側・相手側）を復号して項目ごとに統合し、暗号化して OURS に書きます。

    \b
    例:
      saiken git merge %O %A %B %P      （git の merge.saiken.driver から）
    """
    gitdrivers.merge_driver(base, ours, theirs, path)
