"""saiken check – hold the work tree to the special terms (the same checks as the Git hooks)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from saiken import redaction
from saiken.checks import registry
from saiken.checks.cache import CACHE_DIR
from saiken.checks.runner import Report, check_worktree, run
from saiken.checks.sources import index_files, tree_context
from saiken.commands._common import as_date, to_json, today_option
from saiken.core import crypto
from saiken.core.records import find_root
from saiken.errors import SaikenError


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--all", "all_files", is_flag=True, help="リポジトリのすべてのファイルを検査します。")
@click.option("--range", "rev_range", metavar="OLD..NEW",
              help="範囲内のすべてのコミットを 1 件ずつ検査します（途中で追加して削除したファイルも）。"
                   "規則は OLD のもの（と、その後の甲の署名付きの変更）を使います。")
@click.option("--rules", "rules_rev", metavar="REV",
              help="--range の規則を OLD ではなく REV のもの（と、その後の甲の署名付きの変更）にします。ほかのブランチを"
                   "分岐点から検査するときに、保護するブランチの今の先頭（origin/main）を指定します。")
@click.option("--staged", is_flag=True, help="git add 済みの（次のコミットに入る）内容を検査します。")
@click.option("--message-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="コミットメッセージのファイルも検査します（氏名などが書かれていないか）。")
@click.option("--only", multiple=True, metavar="ID", help="この検査だけを行います（複数指定可）。")
@today_option
@click.option("--no-cache", is_flag=True, help="前回の検査結果（問題なしの記録）を使わずに、すべて検査し直します。")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="出力形式。")
@click.option("--redact", is_flag=True,
              help="検査結果の中の記録の文言（使えない値、収集禁止事項の語とその前後など）を〔省略〕と表示します。"
                   "出力がログに残るとき用です。環境変数 CI があるときは指定しなくてもそうします。")
def check(files: tuple[Path, ...], all_files: bool, rev_range: str | None, rules_rev: str | None, staged: bool, message_file: Path | None, only: tuple[str, ...],
          as_of: dt.datetime | None, no_cache: bool, fmt: str, redact: bool) -> None:
    """特記事項に反していないかを検査します。エラーが 1 件でもあれば終了コード 1 です。

    \b
    records/ に平文がないか、置いてよいファイル（policies/paths.yaml）のほかに何も置いていないか、
    記録の宛先が有効な取扱者と一致するか、情報項目の定義にない項目や収集禁止事項（思想・信条・宗教、
    社会的差別の原因、犯罪）、マイナンバーなど収集してはならない番号が記録にないか、氏名などの個人情報や
    記録のような平文が記録の外（ファイル名・テキストファイル・コミットメッセージ）にないかを確かめます。
    --range では、ブランチ・タグの名前、タグのメッセージ、ノート（refs/notes/）、コミットとタグの作成者の名前も確かめます。記録の内容の検査には
    鍵（SAIKEN_IDENTITY）が必要です。--all のときは、研修・監査・事故報告・契約終了後の返還と消去の
    記録（ledger/）が期限までにあるか、契約終了後に乙の鍵でも開ける記録が残っていないかも確かめます
    （取扱状況報告の「未対応の事項」と同じ基準）。復号した記録が git の差分表示のキャッシュ
    （cachetextconv、refs/notes/textconv）に残っていないかも確かめます。--all では policies/ のファイルもすべて読み、手で
    壊れたもの（送信先の一覧、事故報告の日数など、ふだんは必要なときにだけ読むものも）をその場で
    知らせます。検査の一覧は policies/special-terms.yaml にあります。

    \b
    検査結果は、直す場所がわかるように記録の文言（使えない値、収集禁止事項の語とその前後、
    定義にない項目名、ファイル名の氏名）を引用します。出力がログに残る場所（環境変数 CI のある
    CI、--redact を付けたとき、サーバの pre-receive フック）では、その部分を〔省略〕と表示します。
    検査 ID・特記事項・ファイル・項目・区分・直し方はそのまま出ます。

    \b
    例:
      saiken check --all
      saiken check records/30/C-AB12CD34.yaml.age ledger/consents.yaml
      saiken check --all --format json
      saiken check --all --as-of 2022-04-01     契約終了後の状態を確かめる
      saiken check --staged                    コミットする前に、git add した内容を検査する
      saiken check --message-file .git/COMMIT_EDITMSG
      saiken check --range origin/main..HEAD   push する前に、各コミットを検査する（CI でも）
      saiken check --range "$(git merge-base origin/main HEAD)..HEAD" --rules origin/main
                                               ほかのブランチ: 分岐点からのコミットを、今の main の規則で
      saiken check --all --redact              ログに残すとき: 記録の文言は〔省略〕と表示する
        → エラー [prohibited] 特記事項5 records/30/C-AB12CD34.yaml.age:history[2].note
          – 「〔省略〕」に「犯罪」に当たる語「〔省略〕」があります。…
    """
    if sum([bool(files), all_files, staged, rev_range is not None]) > 1:
        raise SaikenError("ファイルの指定、--all、--staged、--range のどれか一つだけを使ってください。")
    redact = redaction.wanted(redact)
    if rules_rev is not None and rev_range is None:
        raise SaikenError("--rules は --range といっしょに使います。",
                          hint="例: saiken check --range \"$(git merge-base origin/main HEAD)..HEAD\" --rules origin/main")
    if rev_range is not None:
        _check_range(rev_range, rules_rev, no_cache, redact)
        return
    if not files and not all_files and not staged and message_file is None:
        raise SaikenError("検査するファイルを指定するか、--all を付けてください。", hint="saiken check --all")
    root = find_root()
    message = _read_message(message_file) if message_file else None
    if staged:
        inputs, entries = index_files(root)
        ctx = tree_context(root, entries, _identities(), inputs, commit_message=message)
        ctx.as_of = as_date(as_of)
        report = run(inputs, ctx, only=only or None, cache_dir=None if no_cache else root / CACHE_DIR)
    else:
        report = check_worktree(root, _identities(), paths=None if all_files else [str(p) for p in files],
                                only=only or None, as_of=as_date(as_of),
                                cache_dir=None if no_cache else root / CACHE_DIR, commit_message=message)
    click.echo(to_json(_as_json(report, redact)) if fmt == "json" else _as_text(report, redact))
    for note in report.notes:
        click.echo(f"注意: {note}", err=True)
    if redact and any(f.quotes_record for f in [*report.findings, *(f for f, _ in report.lifted)]):
        click.echo(f"注意: {redaction.NOTE}", err=True)
    if report.exit_code:
        # the error boundary prints this on stderr and exits 1
        raise SaikenError(f"特記事項に反する箇所が {len(report.errors)} 件あります。",
                          hint="各行の対処のとおりに直し、もう一度 `saiken check` を実行してください。")


def _check_range(rev_range: str, rules_rev: str | None, no_cache: bool, redact: bool) -> None:
    from saiken.checks import hooks
    from saiken.git import gitio

    cwd = Path.cwd()
    bare = gitio.text(["rev-parse", "--is-bare-repository"], cwd).strip() == "true"
    root = cwd if bare else gitio.toplevel(cwd)
    cache_dir = None if no_cache or bare else root / CACHE_DIR
    base = hooks.range_base(rev_range, root) if rules_rev is None else gitio.resolve_commit(root, rules_rev)
    if rules_rev is not None and base is None:
        raise SaikenError(f"--rules の {rules_rev} というコミットが見つかりません。",
                          hint="git fetch origin で取り込んでから、ブランチ名（origin/main など）かコミット ID を指定してください。")
    reports = hooks.check_commits(root, hooks.range_args(rev_range, root), base=base, cache_dir=cache_dir)
    reports += hooks.check_repository_refs(root, base, hooks.range_tip(rev_range), cache_dir)
    click.echo(hooks.render(reports, redact))
    if hooks.errors(reports):
        raise SaikenError(f"範囲 {rev_range} のコミットに、特記事項に反する箇所が {len(hooks.errors(reports))} 件あります。",
                          hint="該当するコミットを直して（git rebase -i）から、もう一度 `saiken check --range` を実行してください。")


def _identities() -> list[crypto.LoadedIdentity]:
    """The user's identities when there are any; checks without them still look at what they can."""
    if not os.environ.get(crypto.ENV_IDENTITY) and not crypto.default_identity_path().exists():
        return []
    return crypto.load_identities()


def _read_message(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SaikenError("コミットメッセージが UTF-8 ではありません。", where=str(path)) from None


def _as_text(report: Report, redact: bool) -> str:
    lines = [f.render(redact) for f in report.findings]
    lines += [f"承諾済み（{consent}）: {f.render(redact)}" for f, consent in report.lifted]
    lines.append(f"検査したファイル {report.files} 件: エラー {len(report.errors)} 件、警告 {len(report.warnings)} 件"
                 + (f"、甲の承諾により解除 {len(report.lifted)} 件" if report.lifted else ""))
    return "\n".join(lines)


def _as_json(report: Report, redact: bool) -> dict[str, object]:
    return {
        "files": report.files,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "findings": [f.as_dict(redact) for f in report.findings],
        "lifted": [{**f.as_dict(redact), "consent": consent} for f, consent in report.lifted],
        "notes": report.notes,
        "checks": {cid: list(m.TERMS) for cid, m in registry().items()},
    }
