"""saiken export medium – a passphrase-encrypted package for a CD-R or an e-mail attachment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from saiken.commands._common import DATE, identities, store
from saiken.core import passphrases
from saiken.ledger import accesslog, evidence, media


@click.group("export")
def export() -> None:
    """記録を持ち出すためのファイルを作ります（受渡しは ledger/media.yaml に記録します）。

    \b
    例:
      saiken export medium --cases C-AB12CD34 --out /media/cdrom
    """


@export.command()
@click.option("--cases", multiple=True, required=True, help="入れる事案番号（カンマ区切り、繰り返し可）。")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="書き出すフォルダ。")
@click.option("--method", type=click.Choice(["CD-R", "メール(パスワード付き)"]), default="CD-R", show_default=True,
              help="受渡しの方法。")
@click.option("--medium", default=None, help="媒体番号（省略時は M-年-連番）。")
@click.option("--storage", default=None, help="保管場所。")
@click.option("--date", "on", type=DATE, default=None, help="受渡し日（既定は今日）。")
def medium(cases: tuple[str, ...], out: Path, method: str, medium: str | None, storage: str | None,
           on: dt.datetime | None) -> None:
    """選んだ記録をメモリ上で復号し、パスフレーズで暗号化した 1 つのファイル（age、scrypt）に
    まとめて書き出し、受渡しを ledger/media.yaml に記録します。

    \b
    パスフレーズは SAIKEN_PASSPHRASE_FILE か端末から読みます（8 文字以上）。ファイルとは別の
    経路（電話など）で相手に伝えてください。相手は `age -d ファイル` で開けます。

    \b
    例:
      saiken export medium --cases C-AB12CD34,C-EF56GH78 --out /media/cdrom
      saiken export medium --cases C-AB12CD34 --method メール(パスワード付き) --out out/
    """
    st = store()
    chosen = media.parse_cases(cases)
    day = on.date() if on else dt.date.today()
    medium_id = medium or evidence.next_id(st.root, "media", "M", day)
    secret = passphrases.read(str(out / f"{medium_id}.yaml.age"), new=True)
    path, digest = media.export_package(st, chosen, out, identities(), secret, medium_id)
    media.handover(st.root, medium=medium_id, method=method, cases=chosen, on=day, by=accesslog.who(st.root),
                   storage=storage, encrypted=True, extra={"sha256": digest})
    click.echo(f"{path} を書き出しました（{len(chosen)} 件、媒体番号 {medium_id}）。")
    click.echo("ledger/media.yaml に記録しました。返還されたら `saiken ledger return --medium "
               f"{medium_id}` で記録してください。")
