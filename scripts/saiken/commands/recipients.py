"""saiken recipients – who each record is encrypted to, as far as can be known (特記事項10・13)."""

from __future__ import annotations

import os
from typing import Iterable

import click

from saiken.commands._common import store, to_json
from saiken.core import crypto, layout, manifest, stanzas
from saiken.core import recipients as rcpt
from saiken.core.records import Store
from saiken.errors import SaikenError

PROOF_TEXT = {stanzas.PROVEN: "証明済み", stanzas.UNOPENED: "開けない", stanzas.BAD_MAC: "MAC不一致",
              stanzas.UNPROVABLE: "証明できない", stanzas.MISMATCH: "不一致"}


def optional_identities() -> list[crypto.LoadedIdentity] | None:
    """The holder's identities if any are set up; an explicitly named but broken one is an error."""
    try:
        return crypto.load_identities()
    except SaikenError:
        if os.environ.get(crypto.ENV_IDENTITY):
            raise
        return None


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="出力形式。")
@click.option("--verify", is_flag=True,
              help="鍵で全記録の宛先を証明する（鍵が必要。お手元の鍵で開けない記録も「証明できない」として終了コード 1）。")
def recipients(fmt: str, verify: bool) -> None:
    """各記録の宛先を取扱者の指定と照合します（鍵がなければヘッダと宛先台帳から、鍵があれば証明まで）。

    鍵がなくても分かるのは、age のヘッダにある宛先の件数と種類、ssh-ed25519 鍵の識別タグ、宛先台帳（records/<xx>/<y>/manifest.yaml）の記載（書いた人の申告）だけです。X25519 の宛先は匿名です。

    鍵があれば、開けた記録のファイル鍵から有効な取扱者ごとの宛先（スタンザ）を計算し直し、ヘッダと 1 バイトずつ照合します（証明）。取扱者以外の宛先、外された・差し替えられた宛先、age や以前の saiken で書かれて証明できない記録は「不一致」です。`--verify` では鍵が必須で、お手元の鍵で開けない記録も不一致として数えます。一致しない記録があれば終了コード 1 で終わります（直し方: `saiken rekey`）。

    \b
    例:
      saiken recipients
      saiken recipients --verify
      saiken recipients --format json
    """
    st = store()
    man = manifest.load(st.root)
    expected = rcpt.Expected.from_policy(st.policy)
    ids = optional_identities()
    if verify and not ids:
        raise SaikenError("--verify には鍵が必要です（宛先の証明はファイル鍵を開ける人にしかできません）。",
                          hint=f"{crypto.ENV_IDENTITY} に取扱者の鍵ファイルを指定してください。")
    keys = rcpt.holders(ids or [])
    case_ids = st.case_ids()
    rows = (_inspect(st, case_id, man, expected, ids, keys, verify) for case_id in case_ids)
    if fmt == "json":
        records = [r.as_dict(expected) for r in rows]
        bad = [r["case_id"] for r in records if not r["matches_policy"]]
    else:
        bad = _table(rows, expected, ids is not None)
    stale = sorted(set(man.entries) - set(case_ids))
    if fmt == "json":
        click.echo(to_json({"policy": expected.policy, "expected": {"x25519": expected.x25519,
                            "ssh_tags": list(expected.ssh_tags)}, "records": records, "verified": bool(keys),
                            "manifest_problems": man.problems, "manifest_orphans": stale}))
    else:
        for problem in man.problems:
            click.echo(f"注意: {problem}", err=True)
        for case_id in stale:
            click.echo(f"注意: {layout.manifest_rel(case_id)}: 記録のない事案 {case_id} の記載があります。", err=True)
        if not keys:
            click.echo("注意: 鍵がないため、宛先の証明（鍵による照合）は行っていません。件数・ssh の識別タグ・"
                       "宛先台帳の申告だけを照合しました（docs/keys.md）。", err=True)
    if bad:
        raise SaikenError(f"{len(bad)} 件の記録の宛先が現在の取扱者の指定と一致しません（{', '.join(bad[:10])}"
                          f"{' ほか' if len(bad) > 10 else ''}）。",
                          where="records/", hint="saiken rekey （内容を確かめるには saiken rekey --dry-run）")


def _inspect(st: Store, case_id: str, man: manifest.Manifest, expected: rcpt.Expected,
             ids: list[crypto.LoadedIdentity] | None, keys: list[stanzas.Holder],
             verify: bool) -> rcpt.RecordRecipients:
    data = st.read_bytes(case_id)
    rr = rcpt.inspect(case_id, data, man, expected, keys)
    if ids is not None:
        rr.opens = rcpt.holder_opens(data, ids)
    if verify and rr.proof == stanzas.UNOPENED and not rr.problems:
        rr.problems.append("お手元の鍵で開けないため、宛先を証明できません（開ける取扱者に `saiken recipients --verify` を依頼してください）")
    return rr


def _table(rows: Iterable[rcpt.RecordRecipients], expected: rcpt.Expected, with_identity: bool) -> list[str]:
    """Print one line per record as it is read (constant memory); return the mismatching ids."""
    want = " ".join([f"X25519×{expected.x25519}"] * bool(expected.x25519)
                    + [f"ssh-ed25519({t})" for t in expected.ssh_tags])
    click.echo(f"有効な取扱者の宛先: {want or 'なし'}（宛先集合 {expected.policy}）")
    click.echo("事案番号\t宛先\t台帳\t照合" + ("\t自分の鍵\t証明" if with_identity else ""))
    bad, total = [], 0
    for r in rows:
        total += 1
        line = f"{r.case_id}\t{r.summary()}\t{r.manifest_state}\t{'一致' if r.matches else '不一致'}"
        if with_identity:
            line += "\t" + ("開ける" if r.opens else "開けない") + "\t" + PROOF_TEXT.get(r.proof or "", "-")
        click.echo(line)
        for problem in r.problems:
            click.echo(f"    - {problem}")
        if not r.matches:
            bad.append(r.case_id)
    click.echo(f"計 {total} 件、一致 {total - len(bad)} 件")
    return bad
