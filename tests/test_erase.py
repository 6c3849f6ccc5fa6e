"""`saiken erase --as 乙` in the contractor's own clone: refused before the end and with media out or
with a key that is not 乙's; at the end it removes the working copy, destroys the keys, records the
erasure and writes the 個人情報消去証明書. Real git clone, real keys."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import VENV_BIN, RecordsRepo, _base_env
from evidence_story import CASES, PERSONAL, ledger_text, make_repo, pdf_text, set_contract_end
from saiken.core import yamlio

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
    otsu_root = tmp / "otsu"
    subprocess.run(["git", "clone", "-q", str(kou.root), str(otsu_root)], check=True, env=kou.env)
    key = tmp / "otsu-only" / "otsu-01.key"
    key.parent.mkdir()
    shutil.copy(kou.identity, key)
    otsu = RecordsRepo(otsu_root, {**kou.env, "SAIKEN_IDENTITY": str(key)}, key, "", dict(kou.handlers))
    return kou, otsu


def test_refused_before_the_end(clone: tuple[RecordsRepo, RecordsRepo]) -> None:
    _, otsu = clone
    r = otsu.saiken("erase", "--as", "乙", "--as-of", "2022-03-30", "--yes")
    assert r.returncode == 1 and "契約期間中（終了日 2022-03-31）は消去できません" in r.stderr
    assert otsu.identity.exists() and len(list((otsu.root / "records").glob("*.age"))) == 3


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
    assert kou_key.exists() and len(list((otsu.root / "records").glob("*.age"))) == 3


def test_erase_removes_copy_destroys_key_and_certifies(clone: tuple[RecordsRepo, RecordsRepo]) -> None:
    kou, otsu = clone
    assert otsu.saiken("case", "show", CASES[0]).returncode == 0
    otsu.saiken("check", "--all", "--as-of", "2022-04-01")  # leaves the checks' cache: terms encrypted to otsu-01
    assert list((otsu.root / ".saiken-cache").glob("terms-*.age"))
    blobs = {line.split("\t")[1]: line.split()[1] for line in otsu.git("ls-files", "-s", "records").splitlines()}
    r = otsu.saiken("erase", "--as", "乙", "--as-of", "2022-04-01", "--yes")
    assert r.returncode == 0, r.stderr
    assert "記録 3 件の作業用複製を削除し、乙の鍵 1 個を破棄しました" in r.stdout
    assert not otsu.identity.exists() and not list((otsu.root / "records").glob("*.age"))
    assert not (otsu.root / ".saiken-cache").exists()
    assert otsu.git("status", "--porcelain", "--", "records") == ""  # committing the ledger deletes nothing
    r = otsu.saiken("case", "show", CASES[0])
    assert r.returncode == 1 and "エラー" in r.stderr
    cert = otsu.root / "ledger" / "certificates" / "erasure-2022-04-01-otsu-01.md"
    text = cert.read_text(encoding="utf-8")
    assert text.startswith("# 個人情報消去証明書") and "令和4年4月1日" in text and "乙の取扱者 otsu-01" in text
    for cid in CASES:
        assert f"| {cid} | `{blobs[f'records/{cid}.yaml.age']}` |" in text
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
