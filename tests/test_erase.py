"""`saiken erase --as 乙` in the contractor's own clone: refused before the end and with media out or
with a key that is not 乙's; at the end it removes the working copy, destroys the keys, records the
erasure and writes the 個人情報消去証明書. Real git clone, real keys."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, VENV_BIN, RecordsRepo, _base_env
from evidence_story import CASES, PERSONAL, ledger_text, make_repo, pdf_text, set_contract_end
from saiken.core import yamlio
from saiken.core.layout import manifest_rel, record_rel

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> tuple[RecordsRepo, RecordsRepo]:
    """甲's repository (contract ended 2022-03-31, a CD-R out) and 乙's clone holding a copy of otsu-01's key."""
    tmp = tmp_path_factory.mktemp("erase")
    kou = make_repo(tmp)
    set_contract_end(kou, "2022-03-31")
    kou.saiken("ledger", "handover", "--method", "CD-R", "--cases", CASES[0], "--date", "2021-06-01", check=True)
    kou.git("add", "-A")
    kou.git("commit", "-qm", "契約終了日と媒体の受渡し")
    return kou, otsu_clone(kou, tmp)


def otsu_clone(kou: RecordsRepo, tmp: Path, **env: str) -> RecordsRepo:
    """乙's clone of 甲's repository, with a copy of otsu-01's key outside it as SAIKEN_IDENTITY."""
    otsu_root = tmp / "otsu"
    subprocess.run(["git", "clone", "-q", str(kou.root), str(otsu_root)], check=True, env=kou.env)
    key = tmp / "otsu-only" / "otsu-01.key"
    key.parent.mkdir()
    shutil.copy(kou.identity, key)
    return RecordsRepo(otsu_root, {**kou.env, "SAIKEN_IDENTITY": str(key), **env}, key, "", dict(kou.handlers))


def test_refused_before_the_end(clone: tuple[RecordsRepo, RecordsRepo]) -> None:
    _, otsu = clone
    r = otsu.saiken("erase", "--as", "乙", "--as-of", "2022-03-30", "--yes")
    assert r.returncode == 1 and "契約期間中（終了日 2022-03-31）は消去できません" in r.stderr
    assert otsu.identity.exists() and len(list((otsu.root / "records").glob("*/*/*.age"))) == 3


def test_refused_while_a_medium_is_out(clone: tuple[RecordsRepo, RecordsRepo]) -> None:
    _, otsu = clone
    r = otsu.saiken("erase", "--as", "乙", "--as-of", "2022-04-01", "--yes")
    assert r.returncode == 1 and "返還されていない媒体があるため、消去できません: M-2021-001" in r.stderr
    assert "saiken ledger return --medium ID" in r.stderr
    otsu.saiken("ledger", "return", "--medium", "M-2021-001", "--date", "2022-03-20", check=True)


def test_refuses_to_destroy_a_key_of_kou(clone: tuple[RecordsRepo, RecordsRepo]) -> None:
    _, otsu = clone
    kou_key = otsu.handlers["kou-01"][0]
    r = otsu.saiken("erase", "--as", "乙", "--as-of", "2022-04-01", "--yes", env={"SAIKEN_IDENTITY": str(kou_key)})
    assert r.returncode == 1 and "甲の鍵や不明な鍵は破棄しません" in r.stderr
    assert kou_key.exists() and len(list((otsu.root / "records").glob("*/*/*.age"))) == 3


def test_erase_removes_copy_destroys_key_and_certifies(clone: tuple[RecordsRepo, RecordsRepo]) -> None:
    kou, otsu = clone
    assert otsu.saiken("case", "show", CASES[0]).returncode == 0
    otsu.saiken("check", "--all", "--as-of", "2022-04-01")  # leaves the checks' cache: terms encrypted to otsu-01
    assert list((otsu.root / ".saiken-cache").glob("terms-*.age"))
    blobs = {line.split("\t")[1]: line.split()[1] for line in otsu.git("ls-files", "-s", "records").splitlines()}
    r = otsu.saiken("erase", "--as", "乙", "--as-of", "2022-04-01", "--yes")
    assert r.returncode == 0, r.stderr
    assert "記録 3 件の作業用複製を削除し、乙の鍵 1 個（鍵ファイル 1 個）を破棄しました" in r.stdout
    assert not otsu.identity.exists() and not list((otsu.root / "records").glob("*/*/*.age"))
    assert not (otsu.root / ".saiken-cache").exists()
    assert otsu.git("status", "--porcelain", "--", "records") == ""  # committing the ledger deletes nothing
    r = otsu.saiken("case", "show", CASES[0])
    assert r.returncode == 1 and "エラー" in r.stderr
    cert = otsu.root / "ledger" / "certificates" / "erasure-2022-04-01-otsu-01.md"
    text = cert.read_text(encoding="utf-8")
    assert text.startswith("# 個人情報消去証明書") and "令和4年4月1日" in text and "乙の取扱者 otsu-01" in text
    for cid in CASES:
        assert f"| {cid} | `{blobs[f'{record_rel(cid)}']}` |" in text
    assert "Git の履歴には、これらの記録の暗号文が残ります" in text and "甲が保有する複製" in text
    printed = pdf_text(cert.with_suffix(".pdf"))
    assert "個人情報消去証明書" in printed and CASES[2] in printed and "乙はこれを開くことができません" in printed
    entry = yamlio.fast_load((otsu.root / "ledger" / "erasures.yaml").read_text(encoding="utf-8"))["erasures"][0]
    assert entry["by"] == "otsu-01" and entry["cases"] == list(CASES) and str(entry["certificate"]) == "2022-04-01"
    assert entry["certificate_file"] == "ledger/certificates/erasure-2022-04-01-otsu-01.md"
    for word in PERSONAL:
        assert word not in ledger_text(otsu.root)
    # 乙 sends the ledger to 甲; 甲 still has the records and sees what is left to do.
    otsu.git("add", "ledger")
    otsu.git("commit", "-qm", "消去の記録と消去証明書")
    kou.git("pull", "-q", "--no-rebase", str(otsu.root), "main")
    todo = kou.saiken("report", "handling", "--as-of", "2022-04-01", check=True).stdout.split("## 未対応の事項")[1]
    assert "消去証明書が記録されていません" not in todo and "返還されていません" not in todo
    assert "乙の取扱者が有効です" in todo and "saiken rekey" in todo
    as_kou = {"SAIKEN_IDENTITY": str(kou.handlers["kou-01"][0])}
    r = kou.saiken("erase", "--as", "甲", "--as-of", "2022-04-01", env=as_kou)
    assert r.returncode == 1 and "乙の取扱者が有効のままです: otsu-01, otsu-02" in r.stderr
    assert "saiken handler deactivate otsu-01 --on 2022-03-31" in r.stderr
    for hid in ("otsu-01", "otsu-02"):
        kou.saiken("handler", "deactivate", hid, "--on", "2022-03-31", check=True)
    r = kou.saiken("erase", "--as", "甲", "--as-of", "2022-04-01", env=as_kou)
    assert r.returncode == 0 and "全 3 件中 3 件を甲の取扱者だけに暗号化し直しました" in r.stdout, r.stderr
    todo = kou.saiken("report", "handling", "--as-of", "2022-04-01", check=True).stdout.split("## 未対応の事項")[1]
    assert "特記事項11" not in todo and "特記事項18" in todo  # the end is settled; FY2021 had no training here
    assert kou.saiken("case", "show", CASES[0], env=as_kou).returncode == 0
    r = kou.saiken("case", "show", CASES[0], env={"SAIKEN_IDENTITY": str(kou.identity)})  # 乙's old key
    assert r.returncode == 1 and "お手元の鍵ではこのファイルを開けません" in r.stderr


def test_check_all_in_a_demo_holds_the_contract_end(tmp_path: Path) -> None:
    """`saiken check --all` in a real demo repository (甲's) after the contract end: errors (terms 11,
    12) until 乙 has erased and certified and 甲 has taken 乙 off every record, then none."""
    env = _base_env(tmp_path)
    demo = tmp_path / "demo"
    subprocess.run([str(VENV_BIN / "saiken"), "demo", str(demo), "--as-of", "2025-06-30"], env=env, check=True,
                   capture_output=True)
    keys = {h: demo / ".identities" / f"{h}.txt" for h in ("kou-01", "otsu-01", "otsu-02")}
    kou = RecordsRepo(demo, {**env, "SAIKEN_IDENTITY": str(keys["kou-01"])}, keys["kou-01"], "")
    contract = demo / "policies" / "contract.yaml"
    contract.write_text(re.sub(r"(?m)^end:.*$", "end: 2026-03-31", contract.read_text(encoding="utf-8")),
                        encoding="utf-8")
    kou.git("commit", "-qam", "契約終了日を記録")  # through the demo's own hooks

    def errors() -> str:
        r = kou.saiken("check", "--all", "--as-of", "2026-04-01")
        return "\n".join(line for line in r.stdout.splitlines() if line.startswith("エラー"))

    before = errors()
    assert "エラー [evidence] 特記事項11・12 ledger/erasures.yaml" in before and "saiken erase --as 乙" in before
    assert "エラー [evidence] 特記事項11・12 records/" in before and "20 件の記録が乙の鍵でも開ける" in before
    assert "エラー [evidence] 特記事項11・12 policies/handlers.yaml" in before  # otsu-01, otsu-02 still active
    # 乙 erases in its own clone (its keys are destroyed) and hands the ledger back
    otsu_root = tmp_path / "otsu"
    subprocess.run(["git", "clone", "-q", str(demo), str(otsu_root)], env=env, check=True)
    (tmp_path / "otsu-keys").mkdir()
    otsu_keys = [shutil.copy(keys[h], tmp_path / "otsu-keys" / f"{h}.txt") for h in ("otsu-01", "otsu-02")]
    otsu = RecordsRepo(otsu_root, {**env, "SAIKEN_IDENTITY": ":".join(map(str, otsu_keys))}, Path(otsu_keys[0]), "")
    otsu.saiken("erase", "--as", "乙", "--as-of", "2026-04-01", "--yes", check=True)
    otsu.git("add", "ledger")
    otsu.git("commit", "-qm", "消去の記録と消去証明書")
    kou.git("pull", "-q", "--no-rebase", str(otsu_root), "main")
    after_erase = errors()
    assert "ledger/erasures.yaml" not in after_erase  # certified
    assert "エラー [evidence] 特記事項11・12 records/" in after_erase  # but 乙's keys still open them here
    # 甲 takes 乙 off and re-encrypts every record to 甲 alone
    for hid in ("otsu-01", "otsu-02"):
        kou.saiken("handler", "deactivate", hid, "--on", "2026-03-31", check=True)
    kou.saiken("erase", "--as", "甲", "--as-of", "2026-04-01", check=True)
    assert errors() == ""


# --- every copy on the machine, or no certificate ---------------------------------------------------

@pytest.fixture
def machine(tmp_path: Path) -> tuple[RecordsRepo, Path]:
    """乙's clone after the contract end (media returned), otsu-01's key outside the repository, and
    the plaintext folders of this machine under its own SAIKEN_TMPDIR."""
    kou = make_repo(tmp_path)
    for name in ("contract.yaml", "limitation.yaml", "damages.yaml"):  # 乙 as sender; what a letter demands
        shutil.copy(ROOT / "policies" / name, kou.root / "policies" / name)
    set_contract_end(kou, "2022-03-31")
    kou.git("add", "-A")
    kou.git("commit", "-qm", "契約終了日")
    shm = Path(tempfile.mkdtemp(prefix="saiken-test-", dir="/dev/shm"))
    yield otsu_clone(kou, tmp_path, SAIKEN_TMPDIR=str(shm)), shm
    shutil.rmtree(shm, ignore_errors=True)


def _copy_key(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dest)
    dest.chmod(0o600)
    return dest


def test_erase_finds_every_copy_on_the_machine(machine: tuple[RecordsRepo, Path], tmp_path: Path) -> None:
    """The story of the issue: PDFs under out/ (and one written elsewhere, and one copied by hand),
    textconv notes in .git, a memo naming a party, the checks' cache, a plaintext folder of a killed
    edit, a second 乙 key in ~/.config/saiken/ and a copy in .identities/: all gone, then the certificate."""
    otsu, shm = machine
    home = Path(otsu.env["HOME"])
    otsu.saiken("git-setup", check=True)
    otsu.git("config", "diff.saiken.cachetextconv", "true")
    otsu.git("log", "-p", "-1", "--", "records")
    assert otsu.git("for-each-ref", "refs/notes/textconv/").strip()
    otsu.saiken("doc", "督促状", CASES[0], "--date", "2021-06-01", check=True)
    elsewhere = tmp_path / "送付用"
    otsu.saiken("doc", "催告書", CASES[1], "--date", "2021-07-01", "--out", str(elsewhere), check=True)
    [pdf] = (otsu.root / "out").glob("*.pdf")
    (otsu.root / "送付済み").mkdir()
    shutil.copy(pdf, otsu.root / "送付済み" / "写し.pdf")
    (otsu.root / "memo.txt").write_text("電話メモ（架空）: 架空一郎 東京都新宿区架空町1-2-3\n", encoding="utf-8")
    (otsu.root / "todo.txt").write_text("来週の打合せ（個人情報なし）\n", encoding="utf-8")
    otsu.saiken("check", "--all", "--as-of", "2022-04-01")  # the checks' cache
    stale = shm / "saiken-999999999-abcdefgh"
    stale.mkdir(mode=0o700)
    (stale / f"{CASES[0]}.yaml").write_text("架空の平文\n", encoding="utf-8")
    second = _copy_key(otsu.handlers["otsu-02"][0], home / ".config" / "saiken" / "identity.txt")
    again = _copy_key(otsu.identity, otsu.root / ".identities" / "otsu-01.txt")
    kou_key = _copy_key(otsu.handlers["kou-01"][0], home / ".config" / "saiken" / "kou-01.txt")
    note_blob = otsu.git("ls-tree", "-r", "refs/notes/textconv/saiken").split()[2]
    victim = tmp_path / "無関係.txt"  # named in .saiken/outputs by hand: not a document saiken wrote
    victim.write_text("無関係なファイル\n", encoding="utf-8")
    with (otsu.root / ".saiken" / "outputs").open("a") as fh:
        fh.write(f"{victim}\t{hashlib.sha256(victim.read_bytes()).hexdigest()}\n")

    r = otsu.saiken("erase", "--as", "乙", "--as-of", "2022-04-01", "--yes")
    assert r.returncode == 0, r.stderr
    assert "乙の鍵 2 個（鍵ファイル 3 個）を破棄しました" in r.stdout  # otsu-01 twice, otsu-02
    for gone in (otsu.identity, second, again, otsu.root / "memo.txt", otsu.root / "送付済み" / "写し.pdf", stale):
        assert not gone.exists(), gone
    assert not list((otsu.root / "out").glob("*.pdf")) and not list(elsewhere.glob("*.pdf"))
    assert otsu.git("for-each-ref", "refs/notes/") == ""
    assert subprocess.run(["git", "cat-file", "-e", note_blob], cwd=otsu.root).returncode != 0  # pruned from .git
    assert not (otsu.root / ".saiken-cache").exists()
    assert kou_key.exists() and (otsu.root / "todo.txt").exists()  # 甲's key and a file naming nobody stay
    assert victim.exists()
    text = (otsu.root / "ledger" / "certificates" / "erasure-2022-04-01-otsu-01.md").read_text(encoding="utf-8")
    assert "## 消去したその他の複製" in text and "- 文書: 3 件" in text and "- 個人情報を含むファイル: 1 件" in text
    assert "- 差分のキャッシュ: 2 件" in text
    assert f"前回強制終了された saiken の一時フォルダを削除しました: {stale}" in r.stderr  # at the start
    assert text.count("| otsu-0") == 2  # both 乙 handlers' keys, by fingerprint
    assert "最後の確認で何も残っていないことを確かめてから" in text
    for word in PERSONAL:
        assert word not in ledger_text(otsu.root) and word not in r.stdout + r.stderr
    log = (otsu.root / ".saiken" / "access.log").read_text(encoding="utf-8").splitlines()[-1].split("\t")
    assert log[1:4] == ["otsu-01", ",".join(CASES), "erase --as --as-of --yes"]


def test_erase_refuses_and_issues_nothing_while_a_copy_cannot_be_removed(machine: tuple[RecordsRepo, Path]) -> None:
    """An edit of this repository still running, and a passphrase-protected key saiken cannot
    identify: erase names them (paths only), destroys nothing and issues no certificate."""
    otsu, shm = machine
    home = Path(otsu.env["HOME"])
    from saiken.core import crypto, plaintext
    live = shm / f"saiken-{os.getpid()}-abcdefgh"  # this test's process: running
    live.mkdir(mode=0o700)
    (live / ".owner").write_text(plaintext.repository_tag(otsu.root) + "\n")
    (live / f"{CASES[0]}.yaml").write_text("架空の平文\n", encoding="utf-8")
    locked = home / ".config" / "saiken" / "protected.age"
    locked.parent.mkdir(parents=True)
    text = otsu.handlers["otsu-02"][0].read_bytes()
    locked.write_bytes(crypto.protect_with_passphrase(text, "架空の合言葉-1234"))
    locked.chmod(0o600)
    (otsu.root / "out").mkdir()
    (otsu.root / "out" / "C-TEST0001_dunning_2021-06-01.pdf").write_bytes("%PDF-1.7 (架空)".encode())

    r = otsu.saiken("erase", "--as", "乙", "--as-of", "2022-04-01", "--yes")
    assert r.returncode == 1
    assert "消去できないものがあるため、何も消去していません。消去証明書は作っていません" in r.stderr
    assert f"一時フォルダ: {live}（saiken case edit などが実行中です" in r.stderr
    assert f"鍵: {locked}（パスフレーズで保護されていて乙の鍵か確かめられません" in r.stderr
    assert "架空の平文" not in r.stderr and "AGE-SECRET-KEY" not in r.stderr
    assert otsu.identity.exists() and locked.exists() and len(list((otsu.root / "records").glob("*/*/*.age"))) == 3
    assert (otsu.root / "out" / "C-TEST0001_dunning_2021-06-01.pdf").exists()
    assert not (otsu.root / "ledger" / "certificates").exists() and not (otsu.root / "ledger" / "erasures.yaml").exists()

    shutil.rmtree(live)  # the edit ended
    secret = home / "passphrase"
    secret.write_text("架空の合言葉-1234\n")
    secret.chmod(0o600)
    r = otsu.saiken("erase", "--as", "乙", "--as-of", "2022-04-01", "--yes", env={"SAIKEN_PASSPHRASE_FILE": str(secret)})
    assert r.returncode == 0, r.stderr
    assert not locked.exists() and not otsu.identity.exists()  # otsu-02's key, once it could be read
    assert (otsu.root / "ledger" / "certificates" / "erasure-2022-04-01-otsu-01.md").exists()
