"""saiken rekey – re-encrypt every record to the current active handlers (特記事項10・13)."""

from __future__ import annotations

import contextlib
import sys
from typing import Iterable, Iterator

import click

from saiken.commands._common import identities, store
from saiken.commands.recipients import optional_identities
from saiken.core import manifest
from saiken.core import rekey as rekeying


@contextlib.contextmanager
def _bar(case_ids: list[str]) -> Iterator[Iterable[str]]:
    # click draws the bar only on a terminal; elsewhere it prints the label once.
    with click.progressbar(case_ids, label="再暗号化しています", file=sys.stderr) as bar:
        yield bar


@click.command()
@click.option("--dry-run", is_flag=True, help="暗号化し直す記録とその理由を表示するだけで、何も書き込みません。")
def rekey(dry_run: bool) -> None:
    """全記録を、現在の有効な取扱者だけに宛てて暗号化し直します。

    取扱者を追加・解除したら必ず実行します。記録ごとに新しいファイル鍵で暗号化します。

    宛先の件数・台帳が合っていても、鍵で開けた記録の宛先（スタンザ）が有効な取扱者のものと証明できない記録（取扱者以外の宛先がある、差し替えられている、age や以前の saiken で書かれた）も暗号化し直します。

    途中で中断しても、各記録は旧・新どちらかの鍵で開ける状態に保たれます。もう一度実行すれば続きを終えます。

    お手元の鍵で開けない記録が 1 件でもあれば、どの記録も変更せずに中止します。

    \b
    例:
      saiken rekey --dry-run
      saiken rekey
      git add records && git commit -m "宛先の更新（取扱者の変更）"
    """
    st = store()
    if dry_run:
        ids = optional_identities()
        changes = list(rekeying.plan(st, manifest.load(st.root), ids))
        for change in changes:
            click.echo(f"{change.case_id}\t{'; '.join(change.reasons)}")
        click.echo(f"全 {len(st.case_ids())} 件中 {len(changes)} 件を暗号化し直します"
                   "（--dry-run のため何も書き込んでいません）。", err=True)
        if not ids:
            click.echo("注意: 鍵がないため、宛先の証明（鍵による照合）をせずに計画しました。"
                       "実際の `saiken rekey` は鍵で証明して計画します。", err=True)
        return
    outcome = rekeying.rekey(st, identities(), progress=_bar)
    if outcome.stale_temps:
        click.echo(f"前回中断した再暗号化の一時ファイル {outcome.stale_temps} 件を削除しました。", err=True)
    if not outcome.changed:
        click.echo(f"全 {outcome.total} 件が現在の取扱者宛てです。変更はありません。")
        return
    click.echo(f"全 {outcome.total} 件中 {len(outcome.changed)} 件を暗号化し直しました。"
               "`git add records && git commit` で記録してください。")
