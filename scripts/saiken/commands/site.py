"""saiken site build|serve – 方針サイト（特記事項と遵守状況・審議会報告・実績など）。"""

from __future__ import annotations

import click

from saiken.core.records import find_root


@click.group("site")
def site_group() -> None:
    """方針サイト（mkdocs-material、日本語）を作ります。個人情報は載りません。

    \b
    例:
      saiken site build
    """


@site_group.command("build")
@click.option("--strict/--no-strict", default=True, show_default=True, help="警告があれば失敗にします。")
def build_command(strict: bool) -> None:
    """方針サイトを site/ に作ります（policies/・ledger/・docs/ から。records/ は読みません）。

    審議会報告、特記事項と遵守状況、取扱者の一覧、実績（少ない件数は秘匿）のページを
    自動で作り、docs/ の手順書とあわせて site/ に書き出します。外部のホストからは何も読み込まないため、
    site/ をフォルダや zip のまま渡して、サーバなしで開けます（検索も使えます）。外部から読み込む
    ページがあると失敗します。

    \b
    例:
      saiken site build
      xdg-open site/index.html
    """
    from saiken.publishing import site

    path = site.build(find_root(), strict)
    click.echo(f"方針サイトを作りました: {path}/index.html")


@site_group.command("serve")
@click.option("--addr", default="127.0.0.1:8000", show_default=True, help="待ち受けるアドレス。")
def serve_command(addr: str) -> None:
    """方針サイトを手元のサーバで表示します（docs/・policies/・ledger/ を編集すると自動で更新されます）。

    見るだけなら、saiken site build で作った site/index.html を開けば十分です（検索も使えます）。

    \b
    例:
      saiken site serve
      saiken site serve --addr 127.0.0.1:8080
    """
    from saiken.publishing import site

    raise SystemExit(site.serve(find_root(), addr))
