"""saiken ledger handover|return|audit|training|consent – evidence for the special terms in ledger/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from saiken.commands._common import DATE
from saiken.commands._rules_commit import commit_rule_change
from saiken.core.records import find_root
from saiken.ledger import accesslog, evidence, media


def _root() -> Path:
    return find_root()


def _day(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


def _ids(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _done(name: str, entry: dict[str, object]) -> None:
    click.echo(f"{evidence.rel(name)} に記録しました" + (f"（{entry['id']}）" if entry.get("id") else "") + "。"
               "内容を確かめてコミットしてください。")


@click.command("handover")
@click.option("--method", required=True, type=click.Choice(evidence.HANDOVER_METHODS), help="受渡しの方法。")
@click.option("--cases", "cases", multiple=True, required=True, help="渡した事案番号（カンマ区切り、繰り返し可）。")
@click.option("--medium", default=None, help="媒体番号（省略時は M-年-連番）。")
@click.option("--date", "on", type=DATE, default=None, help="受渡し日（既定は今日）。")
@click.option("--storage", default=None, help="保管場所（例: 乙事務所の施錠できる金庫）。")
@click.option("--not-encrypted", is_flag=True, help="暗号化していない書類・媒体のとき。")
@click.option("--by", default=None, help="渡した取扱者 ID（既定は鍵の持ち主）。")
def handover(method: str, cases: tuple[str, ...], medium: str | None, on: dt.datetime | None,
             storage: str | None, not_encrypted: bool, by: str | None) -> None:
    """書留・鍵付きケース・パスワード付きメール・CD-R による受渡しを ledger/media.yaml に記録します。

    \b
    例:
      saiken ledger handover --method CD-R --medium M-2021-001 --cases C-AB12CD34,C-EF56GH78
      saiken ledger handover --method 書留 --cases C-AB12CD34 --date 2021-06-01
    """
    root = _root()
    entry = media.handover(root, medium=medium, method=method, cases=media.parse_cases(cases), on=_day(on),
                           by=by or accesslog.who(root), storage=storage, encrypted=not not_encrypted)
    _done("media", entry)


@click.command("return")
@click.option("--medium", required=True, help="返還された媒体番号。")
@click.option("--date", "on", type=DATE, default=None, help="返還日（既定は今日）。")
def return_(medium: str, on: dt.datetime | None) -> None:
    """媒体・書類が返還されたことを ledger/media.yaml に記録します。

    \b
    例:
      saiken ledger return --medium M-2021-001
      saiken ledger return --medium M-2021-001 --date 2022-03-25
    """
    _done("media", media.return_medium(_root(), medium, _day(on)))


@click.command("audit")
@click.option("--date", "on", type=DATE, default=None, help="実施日（既定は今日）。")
@click.option("--by", required=True, help="確認・監査した甲の取扱者 ID。")
@click.option("--method", required=True, help="方法（例: 立入り調査、書面による確認）。")
@click.option("--result", required=True, help="結果（例: 適正）。")
@click.option("--findings", default="なし", show_default=True, help="指摘事項。")
def audit(on: dt.datetime | None, by: str, method: str, result: str, findings: str) -> None:
    """甲による確認・監査（特記事項15〜17）を ledger/audits.yaml に記録します。

    \b
    例:
      saiken ledger audit --by kou-01 --method 立入り調査 --result 適正
      saiken ledger audit --date 2021-11-10 --by kou-01 --method 書面 --result 要改善 --findings 施錠の徹底
    """
    _done("audits", evidence.append(_root(), "audits", {"date": _day(on), "by": by, "method": method,
                                                        "result": result, "findings": findings}))


@click.command("training")
@click.option("--date", "on", type=DATE, default=None, help="実施日（既定は今日）。")
@click.option("--attendees", required=True, help="受講した取扱者 ID（カンマ区切り）。")
@click.option("--topic", default="個人情報の適正な管理・情報セキュリティ・条例の周知", show_default=True, help="内容。")
def training(on: dt.datetime | None, attendees: str, topic: str) -> None:
    """従事者教育（特記事項18）を ledger/trainings.yaml に記録します。

    \b
    例:
      saiken ledger training --attendees otsu-01,otsu-02
      saiken ledger training --date 2021-05-10 --attendees otsu-01 --topic 情報セキュリティ研修
    """
    _done("trainings", evidence.append(_root(), "trainings", {"date": _day(on), "attendees": _ids(attendees),
                                                              "topic": topic}))


@click.command("consent")
@click.option("--case", "case_id", required=True, help="事案番号。")
@click.option("--category", required=True, help="承諾した区分（例: 犯罪、外部委託、複写）。")
@click.option("--term", required=True, type=click.IntRange(1, 21), help="特記事項の番号（4・5・6・9 など）。")
@click.option("--by", required=True, help="承諾した甲の取扱者 ID。")
@click.option("--date", "on", type=DATE, default=None, help="承諾日（既定は今日）。")
def consent(case_id: str, category: str, term: int, by: str, on: dt.datetime | None) -> None:
    """甲の承諾（特記事項4・5・6・9）を ledger/consents.yaml に記録します。

    承諾は検査結果を解除する唯一の方法なので、規則の変更として扱います: 甲の有効な取扱者の
    署名付きコミットでなければサーバで受け付けられません。この端末の署名鍵（git の
    user.signingkey）が甲の取扱者のものなら署名付きでコミットし、そうでなければ誰が何を
    すればよいかを表示します（docs/keys.md）。

    \b
    例:
      saiken ledger consent --case C-AB12CD34 --category 犯罪 --term 5 --by kou-01
    """
    root, day = _root(), _day(on)
    entry = {"id": evidence.next_id(root, "consents", "A", day), "case_id": case_id, "category": category,
             "term": term, "date": day, "by": by}
    entry = evidence.append(root, "consents", entry)
    click.echo(f"{evidence.rel('consents')} に記録しました（{entry['id']}）。")
    click.echo(commit_rule_change(root, [evidence.rel("consents")], f"甲の承諾 {entry['id']} を記録"))
