"""saiken recipients – who each record is encrypted to, as far as can be known (特記事項10・13)."""

from __future__ import annotations

import os
from typing import Iterable

import click

from saiken.commands._common import store, to_json
from saiken.core import crypto, manifest
from saiken.core import recipients as rcpt
from saiken.core.records import Store
from saiken.errors import SaikenError


def _optional_identities() -> list[crypto.LoadedIdentity] | None:
    """The holder's identities if any are set up; an explicitly named but broken one is an error."""
    try:
        return crypto.load_identities()
    except SaikenError:
        if os.environ.get(crypto.ENV_IDENTITY):
            raise
        return None


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="出力形式。")
def recipients(fmt: str) -> None:
    """各記録の宛先を、復号せずに分かる範囲で表示し、取扱者の指定と照合します。

    age のヘッダから分かるのは宛先の件数と種類、ssh-ed25519 鍵の識別タグだけです（X25519 の宛先は匿名です）。

    宛先台帳（records/manifest.yaml）の記載と合わせて、有効な取扱者と一致するかを調べます。鍵があれば、自分の鍵で開けるかも表示します。一致しない記録があれば終了コード 1 で終わります。

    \b
    例:
      saiken recipients
      saiken recipients --format json
    """
    st = store()
    man = manifest.load(st.root)
    expected = rcpt.Expected.from_policy(st.policy)
    ids = _optional_identities()
    case_ids = st.case_ids()
    rows = (_inspect(st, case_id, man, expected, ids) for case_id in case_ids)
    if fmt == "json":
        records = [r.as_dict(expected) for r in rows]
        bad = [r["case_id"] for r in records if not r["matches_policy"]]
    else:
        bad = _table(rows, expected, ids is not None)
    stale = sorted(set(man.entries) - set(case_ids))
    if fmt == "json":
        click.echo(to_json({"policy": expected.policy, "expected": {"x25519": expected.x25519,
                            "ssh_tags": list(expected.ssh_tags)}, "records": records,
                            "manifest_problems": man.problems, "manifest_orphans": stale}))
    else:
        for problem in man.problems:
            click.echo(f"注意: {manifest.MANIFEST_FILE}: {problem}", err=True)
        for case_id in stale:
            click.echo(f"注意: {manifest.MANIFEST_FILE}: 記録のない事案 {case_id} の記載があります。", err=True)
    if bad:
        raise SaikenError(f"{len(bad)} 件の記録の宛先が現在の取扱者の指定と一致しません（{', '.join(bad[:10])}"
                          f"{' ほか' if len(bad) > 10 else ''}）。",
                          where="records/", hint="saiken rekey （内容を確かめるには saiken rekey --dry-run）")


def _inspect(st: Store, case_id: str, man: manifest.Manifest, expected: rcpt.Expected,
             ids: list[crypto.LoadedIdentity] | None) -> rcpt.RecordRecipients:
    data = st.read_bytes(case_id)
    rr = rcpt.inspect(case_id, data, man, expected)
    if ids is not None:
        rr.opens = rcpt.holder_opens(data, ids)
    return rr


def _table(rows: Iterable[rcpt.RecordRecipients], expected: rcpt.Expected, with_identity: bool) -> list[str]:
    """Print one line per record as it is read (constant memory); return the mismatching ids."""
    want = " ".join([f"X25519×{expected.x25519}"] * bool(expected.x25519)
                    + [f"ssh-ed25519({t})" for t in expected.ssh_tags])
    click.echo(f"有効な取扱者の宛先: {want or 'なし'}（宛先集合 {expected.policy}）")
    click.echo("事案番号\t宛先\t台帳\t照合" + ("\t自分の鍵" if with_identity else ""))
    bad, total = [], 0
    for r in rows:
        total += 1
        line = f"{r.case_id}\t{r.summary()}\t{r.manifest_state}\t{'一致' if r.matches else '不一致'}"
        if with_identity:
            line += "\t" + ("開ける" if r.opens else "開けない")
        click.echo(line)
        for problem in r.problems:
            click.echo(f"    - {problem}")
        if not r.matches:
            bad.append(r.case_id)
    click.echo(f"計 {total} 件、一致 {total - len(bad)} 件")
    return bad
