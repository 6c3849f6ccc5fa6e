"""saiken server – the records server: gitolite over OpenSSH, access from policies/handlers.yaml."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from saiken.core.policy import load_handlers
from saiken.core.records import find_root
from saiken.errors import SaikenError
from saiken.server import access, gitolite, install, mirror, sync

HOME = click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
                    help="gitolite のユーザのホーム（既定は $HOME。gitolite のユーザで実行するなら不要）。")


@click.group()
def server() -> None:
    """記録サーバ（gitolite と OpenSSH）を設定し、取扱者の指定から接続の設定を作ります。

    サーバに接続できるのは policies/handlers.yaml の有効な取扱者（ssh_key のある人）だけです。
    push が受け取られるたびに、main の取扱者の一覧から gitolite の規則と鍵を作り直します。
    policies/ を変更できるのは甲の取扱者だけです（docs/procedures/server.md）。

    サーバでのコマンドは gitolite のユーザで実行します（例: sudo -u gitolite3 -H saiken server sync）。

    \b
    例:
      saiken server setup --import /tmp/records.bundle
      saiken server access
    """


def _saiken_path(given: str | None) -> str:
    if given:
        return str(Path(given).absolute())
    beside = Path(os.path.abspath(sys.executable)).with_name("saiken")
    found = str(beside) if beside.is_file() else shutil.which("saiken")
    if not found:
        raise SaikenError("フックから呼ぶ saiken のパスがわかりません。", hint="--saiken /opt/saiken/bin/saiken")
    return found


@server.command()
@HOME
@click.option("--repo", default="records", show_default=True, help="記録リポジトリの名前（clone する URL の最後）。")
@click.option("--import", "import_from", default=None,
              help="取り込む記録の履歴（git bundle、リポジトリのパスか URL）。空のリポジトリに一度だけ。")
@click.option("--identity", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="サーバの鍵（取扱者として登録したもの）。あれば記録の中身も検査します。")
@click.option("--mirror", "mirrors", multiple=True, help="受け取った push を送る 2 台目のサーバの URL（複数可）。")
@click.option("--saiken", "saiken_path", default=None, help="フックが呼ぶ saiken の絶対パス（既定はこの saiken）。")
def setup(home: Path | None, repo: str, import_from: str | None, identity: Path | None, mirrors: tuple[str, ...],
          saiken_path: str | None) -> None:
    """gitolite に記録リポジトリと検査のフックを設定します（gitolite のユーザで実行）。

    gitolite がまだなければ設定し（管理者は鍵なし。接続の規則は取扱者の一覧だけが決めます）、
    push ごとの検査（saiken hook pre-receive）、policies/ を甲だけに許す VREF、受け取ったあとの
    接続の設定の作り直しとミラーを入れます。--import の履歴も同じ検査を通して取り込みます。
    もう一度実行すると、フックと規則を作り直します（saiken の場所やサーバの鍵を変えたとき）。

    \b
    例:
      saiken server setup --import /tmp/records.bundle
      saiken server setup --mirror git@backup.example.lg.jp:records.git
    """
    if not repo.replace("-", "").replace("_", "").isalnum() or not repo.isascii():
        raise SaikenError(f"リポジトリの名前「{repo}」は使えません（英数字・ハイフン・下線）。", where="--repo")
    opts = install.Options(home or gitolite.default_home(), repo, _saiken_path(saiken_path),
                           identity.absolute() if identity else None, import_from, list(mirrors))
    synced = install.setup(opts)
    click.echo(f"記録リポジトリ「{repo}」を設定しました（{opts.home / 'repositories' / (repo + '.git')}）。")
    _echo_synced(synced)
    if not synced.source:
        click.echo("まだ履歴がありません。甲の取扱者の記録リポジトリを git bundle で受け取り、"
                   f"saiken server setup --import FILE で取り込んでください。")


def _echo_synced(synced: sync.Synced) -> None:
    who = "、".join(synced.users) or "（なし）"
    click.echo(f"接続できる取扱者: {who}")
    if synced.removed:
        click.echo(f"接続できなくなった取扱者: {'、'.join(synced.removed)}")


@server.command("sync")
@HOME
def sync_command(home: Path | None) -> None:
    """main の policies/handlers.yaml から gitolite の規則と鍵を作り直します（通常は push のたびに自動）。

    \b
    例:
      saiken server sync
    """
    inst = gitolite.instance(home or gitolite.default_home())
    _echo_synced(sync.sync(inst, _served_repo(inst)))


def _served_repo(inst: gitolite.Instance) -> str:
    repo = sync.repo_of(inst)
    if repo is None:
        raise SaikenError("この gitolite には saiken の記録リポジトリがありません。",
                          hint="saiken server setup --import 記録.bundle")
    return repo


@server.command("access")
@HOME
def access_command(home: Path | None) -> None:
    """誰がサーバに接続できるかを表示します（手元では handlers.yaml から、サーバでは gitolite に問い合わせて）。

    記録リポジトリの中で実行すると、作業ツリーの policies/handlers.yaml を push したときに
    サーバが与える権限を表示します。--home を付けてサーバで実行すると、gitolite が実際に
    許している人を取扱者の一覧と突き合わせ、食い違いがあれば終了コード 1 で終わります。

    \b
    例:
      saiken server access
      saiken server access --home /var/lib/gitolite3
    """
    if home is None:
        for g in access.grants(load_handlers(find_root())):
            h = g.handler
            click.echo(f"{h.id}\t{h.organisation}\t{h.role}\t{'接続できる' if g.read_write else '接続できない'}\t{g.reason}")
        return
    inst = gitolite.instance(home)
    repo = _served_repo(inst)
    handlers = sync.handlers_at(inst.repo_path(repo), sync.PROTECTED_BRANCH) or []
    expected = {h.id for h in access.users(handlers)}
    known = sorted(set(gitolite.users(inst)) | expected)
    actual = gitolite.access(inst, repo, known)
    wrong = [u for u in known if actual.get(u, False) != (u in expected)]
    for u in known:
        click.echo(f"{u}\t{'読める' if actual.get(u) else '読めない'}\t{'取扱者' if u in expected else '取扱者でない'}")
    if wrong:
        raise SaikenError(f"gitolite の規則が取扱者の一覧と合いません: {', '.join(wrong)}",
                          hint="saiken server sync で作り直し、直らなければ ~/.gitolite/conf/gitolite.conf の"
                               "ほかの規則（repo @all など）を確かめてください。")


@server.command("mirror")
@HOME
def mirror_command(home: Path | None) -> None:
    """2 台目のサーバ（saiken server setup --mirror）に、いまの記録リポジトリをすべて送ります。

    通常は push のたびに自動で送ります。送れなかったときに、あとから追いつかせるために使います。

    \b
    例:
      saiken server mirror
    """
    inst = gitolite.instance(home or gitolite.default_home())
    _push_mirrors(inst.repo_path(_served_repo(inst)))


def _push_mirrors(repo_dir: Path) -> None:
    for pushed in mirror.push_all(repo_dir):
        if pushed.ok:
            click.echo(f"saiken: ミラー {pushed.url} に送りました。", err=True)
        else:
            click.echo(f"saiken: 注意: ミラー {pushed.url} に送れませんでした（次の push で追いつきます。すぐ送るには"
                       f"サーバで saiken server mirror）:\n{pushed.detail}", err=True)


@server.command("check-push")
def check_push() -> None:
    """（pre-receive フックから）main への push が、サーバが作れる接続の規則を残すかを確かめます。

    標準入力に「旧 SHA 新 SHA 参照名」の行が来ます。policies/handlers.yaml を読めない push や、
    policies/ を変更できる甲の取扱者がいなくなる push を拒否します。

    \b
    例:
      saiken server check-push < refs.txt      （saiken server setup が置くフックから）
    """
    sync.check_push(Path.cwd(), sys.stdin.read().splitlines())


@server.command("post-receive")
def post_receive() -> None:
    """（post-receive フックから）受け取った push のあと、接続の設定を作り直し、ミラーに送ります。

    \b
    例:
      saiken server post-receive < refs.txt      （saiken server setup が置くフックから）
    """
    lines = sys.stdin.read().splitlines()
    repo_dir = Path.cwd()
    failed: SaikenError | None = None
    if any(line.split()[2:] == [sync.PROTECTED_BRANCH] for line in lines):
        try:
            inst = gitolite.instance(gitolite.default_home())
            synced = sync.sync(inst, _served_repo(inst), force=False)
            if synced.removed:
                click.echo(f"saiken: 接続できなくなった取扱者: {'、'.join(synced.removed)}", err=True)
        except SaikenError as exc:  # the mirrors still get the accepted push
            failed = exc
    _push_mirrors(repo_dir)
    if failed:
        raise SaikenError("受け取った push から接続の設定を作り直せませんでした。サーバの管理者に連絡してください"
                          f"（{failed.message}）。", hint="サーバで saiken server sync を実行してください。")
