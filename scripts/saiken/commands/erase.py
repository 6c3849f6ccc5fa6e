"""saiken erase – the contractor's erasure at the contract end, and its certificate (terms 11, 12)."""

from __future__ import annotations

import datetime as dt

import click

from saiken import erase as erasure
from saiken.commands._common import as_date, today_option
from saiken.records import find_root


@click.command("erase")
@click.option("--as", "org", required=True, type=click.Choice(["乙"]), help="消去する側（乙）。")
@today_option
@click.option("--yes", is_flag=True, help="確認せずに実行します。")
def erase(org: str, as_of: dt.datetime | None, yes: bool) -> None:
    """契約終了後に、乙の手元の記録を消去し、乙の鍵を破棄して、個人情報消去証明書を作ります。

    \b
    契約終了日（policies/contract.yaml の end）より前と、返還されていない媒体があるときは
    何もせずに中止します。SAIKEN_IDENTITY の鍵ファイルは上書きして削除します（元に戻せません）。
    消去後、甲は乙の取扱者を解除し `saiken rekey` で甲だけに暗号化し直します。

    \b
    例:
      saiken erase --as 乙
      saiken erase --as 乙 --as-of 2022-03-31 --yes
    """
    root = find_root()
    day = as_date(as_of)
    if not yes:
        click.confirm("乙の記録の複製と鍵を消去します。元に戻せません。続けますか?", abort=True, err=True)
    done = erasure.erase(root, org=org, as_of=day)
    click.echo(f"記録 {len(done.cases)} 件の作業用複製を削除し、乙の鍵 {len(done.keys)} 個を破棄しました。")
    click.echo(f"消去証明書: {done.certificate.relative_to(root)}（ledger/erasures.yaml に記録しました）")
    click.echo("ledger/ をコミットして甲に送り、証明書に署名して提出してください。"
               "甲は `saiken handler deactivate ID` と `saiken rekey` で甲だけに暗号化し直します。")
