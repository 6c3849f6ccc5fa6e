"""Attacks on who can open a record, by someone who can open it and push (terms 10, 13).

A real bare repository whose pre-receive hook holds the ward server's key (registered as a 甲
handler), a pusher who is a designated handler and holds the file key of every record. Each attack
keeps the X25519 count and edits the bucket manifest to match, so nothing without a key can see
it; the server's proof refuses it, and so do `check --all`, `recipients --verify` and
`rekey --dry-run` on the pusher's own machine. The untouched record and a record written by saiken
are accepted. Every person here is fictional (架空).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable

import pytest
from test_checks import case_yaml

from conftest import VENV_BIN, RecordsRepo, make_records_repo
from saiken.core import agefile, agewrite, crypto, manifest, stanzas
from saiken.core.policy import Policy
from saiken.core.layout import manifest_rel, record_rel

CASE = "C-ATTACK01"
REL = record_rel(CASE)


def git(repo: RecordsRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True, env=repo.env, timeout=120)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("attacks")
    repo = make_records_repo(tmp)
    repo.add_handler("otsu-02")
    server_key, _ = repo.add_handler("kou-server", org="甲")
    outsider = tmp / "outsider.key"
    outsider_public = repo.saiken("keygen", "-o", str(outsider), check=True).stdout.strip()
    bare = tmp / "designated.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=repo.env)
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nSAIKEN_IDENTITY='{server_key}' exec '{VENV_BIN / 'saiken'}' hook pre-receive\n")
    hook.chmod(0o755)
    (repo.root / "policies" / "remotes.yaml").write_text(
        f"# 指定された送信先（テスト用）\nremotes:\n  - url: \"{bare}\"\n", encoding="utf-8")
    repo.saiken("case", "new", "--from", "-", input=case_yaml(CASE), check=True)
    assert git(repo, "add", "-A").returncode == 0
    assert git(repo, "commit", "-q", "-m", f"事案 {CASE} を登録").returncode == 0
    assert git(repo, "remote", "add", "origin", str(bare)).returncode == 0
    pushed = git(repo, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr  # the untouched record, written by saiken, is accepted
    return {"repo": repo, "bare": bare, "outsider": outsider, "outsider_public": outsider_public}


@pytest.fixture
def clean(world: dict[str, object]):  # type: ignore[no-untyped-def]
    repo: RecordsRepo = world["repo"]  # type: ignore[assignment]
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    yield world
    git(repo, "reset", "-q", "--hard", head)
    git(repo, "clean", "-fdq")
    subprocess.run(["git", "update-ref", "refs/heads/main", head], cwd=world["bare"], check=True)
    git(repo, "fetch", "-q", "origin")


def _file_key(repo: RecordsRepo, header: agefile.Header) -> bytes:
    ident = crypto.load_identities([repo.identity])[0]
    opened = stanzas.open_file_key(header, [stanzas.holder(ident.public, ident.scalar)])
    assert opened is not None
    return opened[0]


def _rewrite(repo: RecordsRepo, swap: Callable[[bytes, agefile.Header], list[agefile.Stanza]]) -> None:
    """Give the record other stanzas under its own file key (payload untouched, MAC valid), and make
    the bucket manifest claim the active handlers for the new file, as the pusher can."""
    path = repo.root / REL
    header, binary = agefile.parse(path.read_bytes())
    file_key = _file_key(repo, header)
    payload = binary[len(header.mac_input):].split(b"\n", 1)[1]
    _replace(repo, agewrite.encode_header(swap(file_key, header), file_key) + payload)


def _replace(repo: RecordsRepo, data: bytes) -> None:
    (repo.root / REL).write_bytes(data)
    man = manifest.load(repo.root)
    man.set(CASE, manifest.entry(data, Policy.load(repo.root).active_recipients()))  # the forged claim
    manifest.save(repo.root, man)


def _index_of(repo: RecordsRepo, file_key: bytes, header: agefile.Header, handler_id: str) -> int:
    key = Policy.load(repo.root).handler(handler_id).recipient.text  # type: ignore[union-attr]
    return list(header.stanzas).index(stanzas.wrap(file_key, stanzas.target(key)))


def outsider_for_otsu_02(world: dict[str, object]) -> None:
    """Three handlers plus an outsider: otsu-02 dropped, the outsider's stanza in its place."""
    repo: RecordsRepo = world["repo"]  # type: ignore[assignment]

    def swap(file_key: bytes, header: agefile.Header) -> list[agefile.Stanza]:
        out = list(header.stanzas)
        out[_index_of(repo, file_key, header, "otsu-02")] = stanzas.wrap(file_key, stanzas.target(str(world["outsider_public"])))
        return out
    _rewrite(repo, swap)
    opened = subprocess.run(["age", "-d", "-i", str(world["outsider"]), str(repo.root / REL)], capture_output=True)
    assert opened.returncode == 0 and CASE.encode() in opened.stdout  # the attack is real: the outsider reads it


def substituted_for_otsu_02(world: dict[str, object]) -> None:
    """Same count, no outsider: otsu-02's stanza replaced by an age stanza for otsu-02 that wraps
    another file key, so the designated handler can no longer open the record."""
    repo: RecordsRepo = world["repo"]  # type: ignore[assignment]
    _, otsu_02 = repo.handlers["otsu-02"]
    other = subprocess.run(["age", "-r", otsu_02], input=b"", capture_output=True, check=True).stdout

    def swap(file_key: bytes, header: agefile.Header) -> list[agefile.Stanza]:
        out = list(header.stanzas)
        out[_index_of(repo, file_key, header, "otsu-02")] = agefile.parse(other)[0].stanzas[0]
        return out
    _rewrite(repo, swap)
    opened = subprocess.run(["age", "-d", "-i", str(repo.handlers["otsu-02"][0]), str(repo.root / REL)],
                            capture_output=True)
    assert opened.returncode != 0


def age_cli_to_the_right_handlers(world: dict[str, object]) -> None:
    """Re-encrypted with the age CLI to exactly the active handlers: right people, nothing provable."""
    repo: RecordsRepo = world["repo"]  # type: ignore[assignment]
    plain = crypto.decrypt((repo.root / REL).read_bytes(), crypto.load_identities([repo.identity]))
    args = [a for r in Policy.load(repo.root).active_recipients() for a in ("-r", r.text)]
    _replace(repo, subprocess.run(["age", *args], input=plain, capture_output=True, check=True).stdout)


ATTACKS = {"outsider": (outsider_for_otsu_02, ["取扱者 otsu-02 の宛先がありません", "有効な取扱者のものではない宛先が 1 件"]),
           "substituted": (substituted_for_otsu_02, ["取扱者 otsu-02 の宛先がありません", "有効な取扱者のものではない宛先が 1 件"]),
           "age-cli": (age_cli_to_the_right_handlers, ["宛先を鍵で証明できません"])}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_the_server_with_a_key_refuses_the_push(clean: dict[str, object], attack: str) -> None:
    repo: RecordsRepo = clean["repo"]  # type: ignore[assignment]
    make, said = ATTACKS[attack]
    make(clean)
    assert git(repo, "add", "-A").returncode == 0
    assert git(repo, "commit", "-q", "--no-verify", "-m", f"事案 {CASE} の宛先を更新").returncode == 0
    commit = git(repo, "rev-parse", "HEAD").stdout.strip()
    proc = git(repo, "push", "--no-verify", "origin", "main")
    assert proc.returncode != 0 and "pre-receive hook declined" in proc.stderr
    assert f"[recipients] 特記事項2・10・13 {REL}" in proc.stderr
    assert all(s in proc.stderr for s in said), proc.stderr
    assert "saiken rekey" in proc.stderr
    assert "架空" not in proc.stderr and "試験谷" not in proc.stderr  # the record is named, never quoted
    assert subprocess.run(["git", "cat-file", "-e", commit], cwd=clean["bare"], capture_output=True).returncode != 0


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_handler_with_a_key_finds_it_and_rekey_repairs_it(clean: dict[str, object], attack: str) -> None:
    repo: RecordsRepo = clean["repo"]  # type: ignore[assignment]
    make, said = ATTACKS[attack]
    make(clean)
    checked = repo.saiken("check", "--all", "--no-cache")
    found = [line for line in checked.stdout.splitlines() if "[recipients]" in line]
    assert checked.returncode == 1 and len(found) == 1 and REL in found[0]
    assert all(s in found[0] for s in said) and "saiken rekey" in found[0]

    verified = repo.saiken("recipients", "--verify")
    assert verified.returncode == 1
    assert f"{CASE}\tX25519×3\t最新\t不一致\t開ける\t" in verified.stdout  # the count and the claim agree...
    assert all(s in verified.stdout for s in said)  # ...the proof does not
    assert f"1 件の記録の宛先が現在の取扱者の指定と一致しません（{CASE}）" in verified.stderr

    planned = repo.saiken("rekey", "--dry-run")
    assert planned.returncode == 0 and planned.stdout.startswith(f"{CASE}\t") and "1 件を暗号化し直します" in planned.stderr

    repo.saiken("rekey", check=True)
    assert repo.saiken("recipients", "--verify").returncode == 0
    assert subprocess.run(["age", "-d", "-i", str(clean["outsider"]), str(repo.root / REL)],
                          capture_output=True).returncode != 0
    assert git(repo, "add", "-A").returncode == 0
    assert git(repo, "commit", "-q", "-m", f"事案 {CASE} の宛先を作り直し").returncode == 0
    pushed = git(repo, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr


def test_without_a_key_only_the_claim_can_be_compared(clean: dict[str, object]) -> None:
    """What a keyless server sees of the first attack: count, tags and manifest agree (docs/keys.md)."""
    repo: RecordsRepo = clean["repo"]  # type: ignore[assignment]
    outsider_for_otsu_02(clean)
    home = repo.root.parent / "empty-home"
    keyless = repo.saiken("recipients", env={"SAIKEN_IDENTITY": "", "HOME": str(home), "XDG_CONFIG_HOME": str(home)})
    assert keyless.returncode == 0 and f"{CASE}\tX25519×3\t最新\t一致" in keyless.stdout
    assert "鍵がないため、宛先の証明（鍵による照合）は行っていません" in keyless.stderr
    refused = repo.saiken("recipients", "--verify", env={"SAIKEN_IDENTITY": "", "HOME": str(home),
                                                          "XDG_CONFIG_HOME": str(home)})
    assert refused.returncode != 0 and "--verify には鍵が必要です" in refused.stderr


CARRIED = "Shikendani-Hoshiko-03-0000-1111"  # a fictional name and number, romanised: valid age arguments


def extra_argument(file_key: bytes, header: agefile.Header) -> list[agefile.Stanza]:
    out = list(header.stanzas)
    out[0] = agefile.Stanza(out[0].type, (*out[0].args, CARRIED), out[0].body)
    return out


def grease(file_key: bytes, header: agefile.Header) -> list[agefile.Stanza]:
    return [*header.stanzas, agefile.Stanza("memo-grease", (CARRIED,), CARRIED.encode())]


@pytest.mark.parametrize("swap, words", [(extra_argument, "X25519 の宛先 1 件の形が age の規格と違います"),
                                          (grease, "誰の宛先でもないスタンザ（…-grease）が 1 件")])
def test_text_carried_in_the_header_is_refused_with_or_without_a_key(clean: dict[str, object], swap: Callable[
        [bytes, agefile.Header], list[agefile.Stanza]], words: str) -> None:
    """Stanza arguments and bodies are free text in the age format: a pusher could carry a name in the
    clear past a server without a key, where count, tags and manifest still agree."""
    repo: RecordsRepo = clean["repo"]  # type: ignore[assignment]
    _rewrite(repo, swap)
    home = repo.root.parent / "empty-home"
    keyless = repo.saiken("recipients", env={"SAIKEN_IDENTITY": "", "HOME": str(home), "XDG_CONFIG_HOME": str(home)})
    assert keyless.returncode != 0 and words in keyless.stdout + keyless.stderr, keyless.stdout + keyless.stderr
    assert "Shikendani" not in keyless.stdout + keyless.stderr
    assert git(repo, "commit", "-qam", f"事案 {CASE} を更新", "--no-verify").returncode == 0
    pushed = git(repo, "push", "origin", "main", "--no-verify")
    assert pushed.returncode != 0 and words in pushed.stderr and "Shikendani" not in pushed.stderr


def test_a_legitimate_edit_is_accepted(clean: dict[str, object]) -> None:
    repo: RecordsRepo = clean["repo"]  # type: ignore[assignment]
    repo.saiken("case", "log", CASE, "--kind", "電話", "--note", "分納の相談あり", check=True)
    assert repo.saiken("recipients", "--verify").returncode == 0
    assert git(repo, "add", "-A").returncode == 0
    assert git(repo, "commit", "-q", "-m", f"事案 {CASE} の経過を記録").returncode == 0
    pushed = git(repo, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr


def test_the_server_logs_what_its_key_opened(clean: dict[str, object]) -> None:
    """A server holding a key reads records: its reads go to the bare repository's own access log,
    one line naming the server's handler, with no warning on the pusher's screen."""
    repo: RecordsRepo = clean["repo"]  # type: ignore[assignment]
    bare: Path = clean["bare"]  # type: ignore[assignment]
    repo.saiken("case", "log", CASE, "--kind", "電話", "--note", "入金の約束あり", check=True)
    assert git(repo, "add", "-A").returncode == 0
    assert git(repo, "commit", "-q", "-m", f"事案 {CASE} の経過を記録").returncode == 0
    pushed = git(repo, "push", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    assert "アクセス記録" not in pushed.stderr
    last = (bare / ".saiken" / "access.log").read_text(encoding="utf-8").splitlines()[-1].split("\t")
    assert last[1] == "kou-server" and CASE in last[2].split(",") and "hook pre-receive" in last[3]
