"""Policy and ledger files are plain YAML: no anchor or alias (named by file and line) and a size
cap, whichever of the three loaders reads them – yaml-rs (the bulk path), PyYAML's C safe loader and
ruamel.yaml round-trip (edits). A 1.7 KB alias bomb, which grows to gigabytes when walked, is refused
before anything is built from it. Every person is fictional (架空)."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from conftest import RecordsRepo
from saiken.core import policy, yamlio
from saiken.errors import SaikenError

# 10 levels of 9: 9**10 (3.5 billion) strings when walked, 1.7 KB on disk
BOMB = "scan: [ledger/]\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)) + "".join(
    f"b{i}: [*a9, *a9, *a9, *a9, *a9, *a9, *a9, *a9, *a9]\n" for i in range(24))


def test_the_bomb_is_small() -> None:
    assert 1500 < len(BOMB.encode()) < 2000


@pytest.mark.parametrize("load", [
    lambda text: policy.parse_yaml(text.encode(), "policies/personal-data.yaml"),
    lambda text: yamlio.fast_load(text, where="policies/personal-data.yaml", what=yamlio.RULES),
    lambda text: yamlio.rt_load(text, where="policies/personal-data.yaml"),
    lambda text: yamlio.bulk_load(text, where="policies/personal-data.yaml"),
], ids=["policy", "pyyaml", "ruamel", "yaml-rs"])
def test_every_loader_refuses_the_bomb_at_its_first_anchor(load) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SaikenError) as caught:
        load(BOMB)
    assert "YAML のエイリアス（& や *）" in caught.value.message and "（2 行目）" in caught.value.message
    assert caught.value.where == "policies/personal-data.yaml"


def test_an_anchor_alone_is_refused_too() -> None:
    with pytest.raises(SaikenError, match="3 行目"):
        policy.parse_yaml(b"scan: [ledger/]\npublic: []\nx: &unused 1\n", "policies/personal-data.yaml")
    assert policy.parse_yaml(b"remotes:\n  - url: \"/srv/git/*.git\"\n", "policies/remotes.yaml")  # a * in text


def test_a_policy_file_over_the_cap_is_refused_before_it_is_parsed() -> None:
    big = b"scan: [ledger/]\n" + b"# " + b"x" * yamlio.MAX_RULES_BYTES + b"\n"
    with pytest.raises(SaikenError, match="ファイルが大きすぎます") as caught:
        policy.parse_yaml(big, "policies/personal-data.yaml")
    assert caught.value.where == "policies/personal-data.yaml"
    assert yamlio.size_limit("ledger/exports.yaml") > yamlio.size_limit("ledger/consents.yaml")


def test_check_all_refuses_a_bomb_in_a_policy_quickly_and_in_little_memory(records_repo: RecordsRepo) -> None:
    (records_repo.root / "policies" / "personal-data.yaml").write_text(BOMB, encoding="utf-8")
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30));"
              "from saiken.entry import main; sys.argv = ['saiken', 'check', '--all']; sys.exit(main())")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-c", script], cwd=records_repo.root, env=records_repo.env,
                          capture_output=True, text=True, timeout=60)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode == 1, proc.stderr
    assert "policies/personal-data.yaml" in proc.stderr and "2 行目" in proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert used.ru_utime - before.ru_utime < 20  # seconds of CPU: the bomb is never walked


def test_a_ledger_file_with_an_alias_is_named_by_check_all(records_repo: RecordsRepo) -> None:
    (records_repo.root / "ledger").mkdir()
    (records_repo.root / "ledger" / "trainings.yaml").write_text(
        "trainings:\n  - &t {date: 2021-05-10, attendees: [otsu-01], topic: 研修}\n  - *t\n", encoding="utf-8")
    r = records_repo.saiken("check", "--all")
    assert r.returncode == 1
    assert "ledger/trainings.yaml" in r.stdout + r.stderr and "2 行目" in r.stdout + r.stderr
