"""saiken doc 督促状|催告書|保証債務履行請求書|合意書|交渉記録報告書 – PDF documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import click

from saiken.casework.documents import ALIASES, KINDS, issue
from saiken.casework.documents.exportlog import EXPORTS_FILE
from saiken.commands._common import DATE, as_date, identities, store, suggest_commit


class AliasGroup(click.Group):
    """Subcommands by their Japanese names; the English aliases resolve to the same command."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, ALIASES.get(cmd_name, cmd_name))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in KINDS if name in self.commands]

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        return (cmd.name if cmd else name), cmd, rest


@click.group(cls=AliasGroup)
def doc() -> None:
    """事案の記録から文書（PDF）を作成します。

    出力先は out/（Git の管理外）、ファイル名は事案番号・文書の種類・日付だけです。
    出力は ledger/exports.yaml に記録されます（特記事項7・9）。

    督促状・催告書・保証債務履行請求書は、文書の日付（--date）現在の未納元金と遅延損害金だけを請求します。
    宛先の人について消滅時効が完成した割賦金は入れず、入れなかった回を「注意:」で表示します。
    支払方法・問合せ先は policies/contract.yaml の documents.payment・documents.contact から入ります。

    英語の別名: dunning（督促状）, demand（催告書）, guarantor-demand（保証債務履行請求書）,
    agreement（合意書）, negotiation-report（交渉記録報告書）。

    \b
    例:
      saiken doc 督促状 C-AB12CD34
      saiken doc 催告書 C-AB12CD34 --naiyo-shomei
      saiken doc 保証債務履行請求書 C-AB12CD34 --to p2
      saiken doc 合意書 C-AB12CD34
      saiken doc 交渉記録報告書 --from 2021-04-01 --to 2022-03-31
    """


def _common(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--purpose", default=None, help="出力の目的（出力記録に残ります。氏名は書かないでください）。")(f)
    f = click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="出力先フォルダ（既定は記録リポジトリの out/）。")(f)
    return click.option("--date", "on", type=DATE, default=None,
                        help="文書の日付（YYYY-MM-DD、既定は今日）。")(f)


def _letter(kind: str, case_id: str, on: dt.datetime | None, to: str | None, out: Path | None,
            purpose: str | None, naiyo: bool = False) -> None:
    st = store()
    path = issue.letter(st, identities(), kind, case_id, as_date(on), to, out, purpose, naiyo)
    click.echo(f"作成しました: {path}")
    click.echo("出力を ledger/exports.yaml に記録しました。送付・廃棄したら交渉記録にも残してください。")
    suggest_commit(st.root, [EXPORTS_FILE], f"{case_id} {kind}の出力を記録")


_to = click.option("--to", "to", default=None, help="宛先の当事者番号（p1 など。既定は借受人）。")


@doc.command("督促状")
@click.argument("case_id")
@_to
@_common
def dunning(case_id: str, to: str | None, on: dt.datetime | None, out: Path | None, purpose: str | None) -> None:
    """督促状（延滞している割賦金の元金と、文書の日付現在の遅延損害金、納期限）を作成します。別名 dunning。

    \b
    例:
      saiken doc 督促状 C-AB12CD34
      saiken doc dunning C-AB12CD34 --date 2021-06-01 --to p1
    """
    _letter("督促状", case_id, on, to, out, purpose)


@doc.command("催告書")
@click.argument("case_id")
@_to
@click.option("--naiyo-shomei", is_flag=True, help="内容証明郵便の書式（1行20字・1枚26行）で作成します。")
@_common
def demand(case_id: str, to: str | None, naiyo_shomei: bool, on: dt.datetime | None, out: Path | None,
           purpose: str | None) -> None:
    """催告書を作成します。--naiyo-shomei で内容証明郵便の字数・行数に合わせ、超える行があれば作成しません。
    別名 demand。

    \b
    例:
      saiken doc 催告書 C-AB12CD34
      saiken doc demand C-AB12CD34 --naiyo-shomei
    """
    _letter("催告書", case_id, on, to, out, purpose, naiyo_shomei)


@doc.command("保証債務履行請求書")
@click.argument("case_id")
@click.option("--to", "to", default=None, help="宛先の連帯保証人・相続人の当事者番号（1人だけなら省略可）。")
@_common
def guarantor_demand(case_id: str, to: str | None, on: dt.datetime | None, out: Path | None,
                     purpose: str | None) -> None:
    """連帯保証人（またはその相続人）宛ての保証債務履行請求書を作成します。別名 guarantor-demand。

    \b
    例:
      saiken doc 保証債務履行請求書 C-AB12CD34 --to p2
      saiken doc guarantor-demand C-AB12CD34
    """
    _letter("保証債務履行請求書", case_id, on, to, out, purpose)


@doc.command("合意書")
@click.argument("case_id")
@_common
def agreement(case_id: str, on: dt.datetime | None, out: Path | None, purpose: str | None) -> None:
    """記録の最新の合意（agreements）から、債務承認及び分割弁済合意書を作成します。
    日付は合意日です（「吉日」は使いません）。元金と遅延損害金は合意日現在の額で、総額（total）は
    その合計と同じでなければなりません（saiken case allocation ID --as-of 合意日 の合計）。
    原本は甲と署名する当事者ごとに 1 通です（本書○通を作成し、甲、乙及び丙が…各自1通を保有する）。
    別名 agreement。

    \b
    例:
      saiken case allocation C-AB12CD34 --as-of 2021-06-01
      saiken doc 合意書 C-AB12CD34
      saiken doc agreement C-AB12CD34 --purpose 書留で送付
    """
    _letter("合意書", case_id, on, None, out, purpose)


@doc.command("交渉記録報告書")
@click.argument("case_id", required=False)
@click.option("--from", "start", type=DATE, default=None, help="期間の初日（YYYY-MM-DD）。")
@click.option("--to", "end", type=DATE, default=None, help="期間の末日（YYYY-MM-DD）。")
@_common
def negotiation_report(case_id: str | None, start: dt.datetime | None, end: dt.datetime | None,
                       on: dt.datetime | None, out: Path | None, purpose: str | None) -> None:
    """区に提出する交渉記録報告書を作成します。事案番号を省くと、開ける全事案の期間内の記録をまとめます。
    この文書では --to は期間の末日です。別名 negotiation-report。

    \b
    例:
      saiken doc 交渉記録報告書 C-AB12CD34
      saiken doc 交渉記録報告書 --from 2021-04-01 --to 2022-03-31
      saiken doc negotiation-report C-AB12CD34 --from 2021-04-01
    """
    st = store()
    path, skipped = issue.report(st, identities(), case_id, as_date(on),
                                 start.date() if start else None, end.date() if end else None, out, purpose)
    click.echo(f"作成しました: {path}")
    click.echo("出力を ledger/exports.yaml に記録しました。")
    if skipped:
        click.echo(f"あなた宛てに暗号化されていない {skipped} 件の事案は含めていません。", err=True)
    suggest_commit(st.root, [EXPORTS_FILE], f"{case_id + ' ' if case_id else ''}交渉記録報告書の出力を記録")
