"""The bulk-read fast path (yaml-rs) reads records exactly as the PyYAML path does, or refuses them."""

from __future__ import annotations

import subprocess

import pytest

from conftest import ROOT, RecordsRepo
from saiken.core import schema, yamlio
from saiken.core.policy import Policy
from saiken.errors import SaikenError
from saiken.core.layout import manifest_rel, record_rel


def test_same_validated_record_from_both_parsers(fictional_case_text: str) -> None:
    validator = schema.Validator(Policy.load(ROOT).items)
    slow = yamlio.fast_load(fictional_case_text)
    fast = yamlio.bulk_load(fictional_case_text)
    assert validator.validate(slow) == [] and validator.validate(fast) == []
    assert fast == slow
    assert fast["claim"]["principal"] == 1080000  # 全角数字, normalised by the schema either way


@pytest.mark.parametrize("text, message", [
    ("a: &x [1, 2]\nb: *x\n", "エイリアス"),
    ("a: [1\n", "YAML として読めません"),
    ("a: !!python/object:os.system x\n", "YAML として読めません"),
])
def test_refused_with_the_same_japanese_message(text: str, message: str) -> None:
    with pytest.raises(SaikenError, match=message):
        yamlio.bulk_load(text, where=record_rel("C-X"))


def test_case_list_refuses_a_record_with_an_alias(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    repo = records_repo
    repo.saiken("case", "new", "--from", "-", input=fictional_case_text, check=True)
    bomb = fictional_case_text.replace("C-TEST0001", "C-ALIAS001").replace(
        "    address: {postal_code", "    address: &a {postal_code", 1).replace(
        "  - id: p2\n    role: guarantor\n", "  - id: p2\n    role: guarantor\n    contact: *a\n")
    assert "*a" in bomb
    (repo.root / record_rel("C-ALIAS001")).parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["age", "-r", repo.public, "-o", str(repo.root / record_rel("C-ALIAS001"))],
                   input=bomb.encode(), check=True)
    result = repo.saiken("case", "list")
    assert result.returncode == 1
    assert record_rel("C-ALIAS001") in result.stderr and "エイリアス" in result.stderr
    assert "Traceback" not in result.stderr


def test_parallel_list_equals_the_sequential_list_and_stops_on_a_bad_record(
        records_repo: RecordsRepo, fictional_case_text: str) -> None:
    repo = records_repo
    for n in range(6):
        text = fictional_case_text.replace("C-TEST0001", f"C-PAR{n:05d}").replace("9000}", f"{1000 * (n + 1)}}}")
        repo.saiken("case", "new", "--from", "-", input=text, check=True)
    parallel = repo.saiken("case", "list", "--format", "json", env={"SAIKEN_PARALLEL_MIN": "1"}, check=True)
    sequential = repo.saiken("case", "list", "--format", "json", env={"SAIKEN_PARALLEL_MIN": "100000"}, check=True)
    assert parallel.stdout == sequential.stdout and parallel.stdout.count("C-PAR") == 6
    (repo.root / record_rel("C-PAR00003")).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / record_rel("C-PAR00003")).write_bytes(b"age-encryption.org/v1\n-> X25519 broken\n")
    broken = repo.saiken("case", "list", env={"SAIKEN_PARALLEL_MIN": "1"})
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert record_rel("C-PAR00003") in broken.stderr and "age ファイルのヘッダが不正です" in broken.stderr


def test_the_cycle_collector_is_paused_for_bulk_work_and_back_afterwards() -> None:
    """Bulk work (checks, handovers, case list) runs with gc paused – it cost x5 on a 100,000-record
    term cache – and the collector is on again after it, also when the work fails; a pause inside a
    pause keeps it off until the outer one ends."""
    import gc

    from saiken.core import bulk

    seen: list[bool] = []

    @bulk.no_gc
    def work(fail: bool) -> int:
        seen.append(gc.isenabled())
        with bulk.gc_paused():
            seen.append(gc.isenabled())
        seen.append(gc.isenabled())
        if fail:
            raise SaikenError("壊れた記録")
        return 1

    assert gc.isenabled()
    assert work(False) == 1 and gc.isenabled()
    with pytest.raises(SaikenError):
        work(True)
    assert gc.isenabled()
    assert seen == [False] * 6
    from saiken.checks import runner
    from saiken.ledger import handovers
    assert runner.run.__wrapped__ and handovers.read_history.__wrapped__  # type: ignore[attr-defined]
