"""saiken keygen – a new age identity for a handler."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from saiken import crypto
from saiken.errors import SaikenError


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="鍵ファイルの保存先（既定: SAIKEN_IDENTITY の最初のパス、なければ設定フォルダの identity.txt）。")
@click.option("--passphrase", is_flag=True, help="鍵ファイルをパスフレーズで保護します（age scrypt）。")
def keygen(output: Path | None, passphrase: bool) -> None:
    """新しい age 鍵（X25519）を作り、公開鍵を表示します。

    秘密鍵ファイルは本人だけが読める設定（0600）で保存し、既にあるファイルは上書きしません。
    表示された公開鍵（age1…）を取扱責任者に渡し、`saiken handler add` で登録してもらいます。

    \b
    例:
      saiken keygen
      saiken keygen --passphrase -o ~/.config/saiken/identity.txt
    """
    path = output or crypto.identity_paths()[0]
    if path.exists():
        raise SaikenError("鍵ファイルが既にあります。上書きはしません。", where=str(path),
                          hint="別の保存先を -o で指定してください。")
    secret, public = crypto.generate_identity()
    created = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    data = crypto.identity_file_text(secret, public, created).encode()
    if passphrase:
        data = crypto.protect_with_passphrase(data, crypto._read_passphrase(path, confirm=True))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SaikenError("鍵ファイルが既にあります。上書きはしません。", where=str(path)) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    click.echo(f"鍵ファイルを作成しました: {path}", err=True)
    click.echo(public)
