"""saiken keygen – a new age identity for a handler."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from saiken.core import crypto, passphrases
from saiken.errors import SaikenError, os_reason


def _refuse_existing(path: Path) -> None:
    if os.path.lexists(path):
        raise SaikenError("鍵ファイルが既にあります。上書きはしません。", where=str(path),
                          hint="別の保存先を -o で指定してください（古い鍵を消す前に、取扱責任者に相談してください）。")


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` (mode 0600) holding `data`; never replaces a file, never leaves half a key."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        _refuse_existing(path)
        raise
    except OSError as exc:
        raise SaikenError(f"鍵ファイルを作成できません（{os_reason(exc)}）。", where=str(path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _inside_records_repo(path: Path) -> bool:
    folder = path.absolute().parent
    return any((f / "policies" / "handlers.yaml").is_file() for f in (folder, *folder.parents))


def _show_public(path: Path) -> None:
    for ident in crypto.load_identity_file(path):
        click.echo(ident.public)


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="鍵ファイルの保存先（既定: SAIKEN_IDENTITY の最初のパス、なければ設定フォルダの identity.txt）。")
@click.option("--passphrase", is_flag=True,
              help="鍵ファイルをパスフレーズで保護します（age scrypt）。SAIKEN_PASSPHRASE_FILE があればその 1 行目を使います。")
@click.option("-y", "--show-public", "show", type=click.Path(path_type=Path), default=None,
              help="新しく作らず、既存の鍵ファイル（age・ssh-ed25519・パスフレーズ付き）の公開鍵を表示します。")
def keygen(output: Path | None, passphrase: bool, show: Path | None) -> None:
    """新しい age 鍵（X25519）を作り、公開鍵を表示します。

    秘密鍵ファイルは本人だけが読める設定（0600）で保存し、既にあるファイルは上書きしません。
    表示された公開鍵（age1…）を取扱責任者に渡し、`saiken handler add` で登録してもらいます。
    秘密鍵ファイルは誰にも渡さず、記録リポジトリの中にも置かないでください。

    \b
    例:
      saiken keygen
      saiken keygen --passphrase -o ~/.config/saiken/identity.txt
      saiken keygen -y ~/.ssh/id_ed25519
    """
    if show is not None:
        if output is not None or passphrase:
            raise SaikenError("-y は -o・--passphrase と一緒には使えません（-y は鍵を作らず表示だけします）。",
                              hint=f"saiken keygen -y {show}")
        _show_public(show)
        return
    path = (output or crypto.identity_paths()[0]).expanduser()
    _refuse_existing(path)
    secret, public = crypto.generate_identity()
    created = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    data = crypto.identity_file_text(secret, public, created).encode()
    if passphrase:
        data = crypto.protect_with_passphrase(data, passphrases.read(str(path), new=True))
    _write_new(path, data)
    click.echo(f"鍵ファイルを作成しました: {path}", err=True)
    if _inside_records_repo(path):
        click.echo("注意: 記録リポジトリの中に秘密鍵を作りました。git に追加せず、リポジトリの外へ移してください。",
                   err=True)
    if path.absolute() not in [p.absolute() for p in crypto.identity_paths()]:
        click.echo(f"saiken にこの鍵を使わせるには: export {crypto.ENV_IDENTITY}={path.absolute()}", err=True)
    click.echo("次の公開鍵を取扱責任者に渡し、`saiken handler add --key 公開鍵 …` で登録してもらってください。", err=True)
    click.echo(public)
