"""saiken hook – the Git hooks (run by pre-commit or by git itself; the same checks as saiken check)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from saiken import redaction
from saiken.checks import hooks
from saiken.checks.cache import CACHE_DIR
from saiken.core.records import find_root
from saiken.errors import SaikenError
from saiken.git import gitio


@click.group()
def hook() -> None:
    """Git のフックとして特記事項の検査を行います（pre-commit が呼び出します）。

    通常は直接実行しません。`saiken git-setup` が pre-commit のフック（pre-commit・commit-msg・
    pre-push）を入れ、サーバ側では pre-receive フックからこのコマンドを呼びます
    （docs/procedures/server-hook.md）。

    検査結果の中の記録の文言は、CI（環境変数 CI があるとき）では〔省略〕と表示し、pre-receive では
    常にそうします（出力がログに残るため）。

    \b
    例:
      saiken hook pre-commit
      saiken hook commit-msg .git/COMMIT_EDITMSG
      saiken hook pre-push origin git@git.example.lg.jp:saiken/records.git < refs.txt
      saiken hook pre-receive < refs.txt        （ベアリポジトリの hooks/pre-receive から）
    """


def _finish_all(reports: list[hooks.CommitReport], what: str, *, redact: bool) -> None:
    click.echo(hooks.render(reports, redact), err=True)
    if hooks.errors(reports):
        raise SaikenError(f"{what}: 特記事項に反する箇所が {len(hooks.errors(reports))} 件あるため、中止しました。",
                          hint="コミットを直してから（git commit --amend、git rebase -i）もう一度 push してください。")


@hook.command("pre-commit")
def pre_commit() -> None:
    """git add した内容（次のコミットに入るファイルだけ）を検査します。

    \b
    例:
      saiken hook pre-commit
    """
    hooks.run_pre_commit(lambda text: click.echo(text, err=True))


@hook.command("commit-msg")
@click.argument("message_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def commit_msg(message_file: Path) -> None:
    """コミットメッセージ（氏名などがないか）と作成者（指定された取扱者か）を検査します。

    \b
    例:
      saiken hook commit-msg .git/COMMIT_EDITMSG
    """
    hooks.run_commit_msg(message_file, lambda text: click.echo(text, err=True))


@hook.command("pre-push")
@click.argument("remote", required=False)
@click.argument("url", required=False)
def pre_push(remote: str | None, url: str | None) -> None:
    """push するすべてのコミットと送信先（policies/remotes.yaml）を検査します。

    サーバの pre-receive と同じく、送信先の保護するブランチ（origin/main）を信頼の基点にして、
    その規則で検査します。規則を変えるコミットには甲の取扱者の署名が要ります。

    git から呼ばれるときは標準入力に「ローカル参照 SHA リモート参照 SHA」の行が来ます。
    pre-commit から呼ばれるときは PRE_COMMIT_* の環境変数を使います。pre-commit は最初の参照しか
    伝えないため、そのときはリモートにまだない手元のすべてのブランチ・タグのコミットも検査します。

    \b
    例:
      saiken hook pre-push origin git@git.example.lg.jp:saiken/records.git
    """
    import os

    root = find_root()
    lines = hooks.pre_commit_push_lines(root)
    remote = remote or os.environ.get("PRE_COMMIT_REMOTE_NAME")
    url = url or os.environ.get("PRE_COMMIT_REMOTE_URL") or remote
    if not remote or not url:
        raise SaikenError("送信先（remote 名と URL）がわかりません。", hint="saiken hook pre-push origin URL")
    if lines is None:
        lines = sys.stdin.read().splitlines()
    _finish_all(hooks.pre_push(root, remote, url, lines, root / CACHE_DIR), "push", redact=redaction.wanted())


@hook.command("pre-receive")
def pre_receive() -> None:
    """サーバ側（ベアリポジトリ）で、push されたすべてのコミットを検査し、違反があれば受け取りを拒否します。

    標準入力に「旧 SHA 新 SHA 参照名」の行が来ます（git が渡すとおり）。規則（policies/ など）は
    push されたコミットからではなく、信頼の基点（保護するブランチのそれまでの先頭、ほかのブランチでは
    その分岐点）から読みます。規則を変えるコミットは、甲の有効な取扱者の SSH 署名があるときだけ受け付け、
    次のコミットから新しい規則で検査します（docs/procedures/server-hook.md）。記録の内容と氏名の検査には
    SAIKEN_IDENTITY が必要です。

    出力は push した人の端末とサーバのログに残るため、検査結果の中の記録の文言（使えない値、
    収集禁止事項の語とその前後、ファイル名の氏名など）は常に〔省略〕と表示します。検査 ID・
    特記事項・ファイル・項目・区分・直し方はそのまま出ます。文言は、鍵を持つ取扱者が手元で
    `saiken check` を実行すると見られます。

    \b
    例:
      saiken hook pre-receive          （hooks/pre-receive に exec saiken hook pre-receive と書く）
      出力の例: エラー [schema] 特記事項3 records/30/C-AB12CD34.yaml.age:parties[0].birth_date
                – 日付として正しくありません（〔省略〕）。…
    """
    cwd = Path.cwd()
    gitio.run(["rev-parse", "--git-dir"], cwd)  # a clear git error when not inside a repository
    # what a server hook prints reaches the pusher's terminal and the server's logs: always redacted
    _finish_all(hooks.pre_receive(cwd, sys.stdin.read().splitlines()), "受け取り", redact=True)
