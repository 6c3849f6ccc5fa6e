"""saiken erase – the contractor's erasure at the contract end, and its certificate (terms 11, 12)."""

from __future__ import annotations

import datetime as dt

import click

from saiken.commands._common import as_date, today_option
from saiken.core.records import find_root
from saiken.ledger import erase as erasure


@click.command("erase")
@click.option("--as", "org", required=True, type=click.Choice(["乙", "甲"]),
              help="乙: 手元の記録と鍵を消去する。甲: 乙の解除後、記録を甲だけに暗号化し直す。")
@today_option
@click.option("--yes", is_flag=True, help="確認せずに実行します。")
def erase(org: str, as_of: dt.datetime | None, yes: bool) -> None:
    """契約終了後に、乙の手元の記録と複製をすべて消去し、乙の鍵を破棄して、個人情報消去証明書を作ります。

    \b
    契約終了日（policies/contract.yaml の end）より前と、返還されていない媒体があるときは
    何もせずに中止します。乙の鍵（SAIKEN_IDENTITY）で記録を開いて当事者の氏名・住所などを調べ、
    このパソコンの次のものを探して上書きのうえ削除します（元に戻せません）:
      - 記録の作業用複製（records/）
      - 文書: out/、saiken が別の場所に書いた文書・媒体用ファイル、出力記録と同じ内容のファイル
      - 作業ツリーの管理外・無視された・変更したファイルのうち、当事者の氏名・住所などを含むもの
      - 検査のキャッシュ（.saiken-cache/）と差分表示のキャッシュ（refs/notes/textconv）
      - 強制終了した saiken の一時フォルダ
      - 乙の取扱者の鍵ファイルすべて（SAIKEN_IDENTITY、~/.config/saiken/、.identities/、~/.ssh/、
        作業ツリーの中の鍵。公開鍵が乙の取扱者のものと一致するもの）
    最後にもう一度探して何も残っていないときだけ、証明書を作ります。消去できないもの（実行中の
    編集、確かめられない鍵ファイルなど）があれば、そのパス（内容は表示しません）を示して終了
    コード 1 で終わり、証明書は作りません。
    消去後、甲は乙の取扱者を解除し（saiken handler deactivate）、`saiken erase --as 甲` で
    記録を甲の取扱者だけに暗号化し直します（saiken rekey と同じ処理）。

    \b
    例:
      saiken erase --as 乙
      saiken erase --as 乙 --as-of 2022-03-31 --yes
      saiken erase --as 甲
    """
    root = find_root()
    day = as_date(as_of)
    if org == "甲":
        changed, total = erasure.rekey_for_kou(root, day)
        click.echo(f"全 {total} 件中 {changed} 件を甲の取扱者だけに暗号化し直しました。"
                   "`git add records policies && git commit` で記録してください。")
        return
    plan = erasure.prepare(root, as_of=day)
    click.echo("消去するもの: " + "、".join(f"{kind} {n} 件" for kind, n in sorted(plan.counts().items())))
    for path in plan.key_files():
        click.echo(f"  破棄する鍵ファイル: {path}")
    if not plan.searched_names:
        click.echo("警告: 乙の鍵で開ける記録がないため、氏名などを含むファイルは探せていません。"
                   "作業ツリーのメモや書き出したファイルを確かめてから続けてください。", err=True)
    if not yes:
        click.confirm("乙の記録の複製と鍵を消去します。元に戻せません。続けますか?", abort=True, err=True)
    done = erasure.erase(root, as_of=day, plan=plan)
    click.echo(f"記録 {len(done.cases)} 件の作業用複製を削除し、乙の鍵 {len(done.keys)} 個"
               f"（鍵ファイル {done.key_files} 個）を破棄しました。")
    if done.copies:
        click.echo("ほかに消去した複製: " + "、".join(f"{kind} {n} 件" for kind, n in done.copies.items()))
    click.echo(f"消去証明書: {done.certificate.relative_to(root)}（ledger/erasures.yaml に記録しました）")
    from saiken.errors import SaikenError
    from saiken.ledger import reports_pdf
    try:
        pdf = reports_pdf.write_pdf(root, done.certificate.read_text(encoding="utf-8"), done.certificate.with_suffix(".pdf"))
        click.echo(f"消去証明書（PDF）: {pdf.relative_to(root)}")
    except SaikenError as exc:  # the erasure is done; the Markdown certificate stands
        click.echo(f"警告: 消去証明書の PDF を作れませんでした（{exc.message}）。"
                   f"あとで `saiken report pdf {done.certificate.relative_to(root)}` で作れます。", err=True)
    click.echo("ledger/ をコミットして甲に送り、証明書に署名して提出してください。"
               "甲は `saiken handler deactivate ID` と `saiken rekey` で甲だけに暗号化し直します。")
