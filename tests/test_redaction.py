"""Findings never quote a record's text where the output is a log (saiken.redaction): `saiken check
--redact`, the `CI` variable, the hooks in CI; the server's pre-receive and the CI examples are
run for real in tests/test_hooks.py and tests/test_ci_examples.py with the record made here. The
handler's own terminal keeps the quotes. Every person and every word here is fictional (架空).
"""

from __future__ import annotations

import json

import pytest
from test_checks import FAMILY, GIVEN, age_encrypt, case_yaml, lines

from conftest import RecordsRepo
from saiken import redaction
from saiken.redaction import MARK, quoted
from saiken.core.layout import manifest_rel, record_rel

LEAKY = "C-LEAK0001"
LEAKY_FILE = record_rel(LEAKY)
NAMED_FILE = f"docs/{FAMILY}{GIVEN}さん.md"  # a party's name in a file name (pii_outside)
# The record's own text that some finding quotes on a terminal; none of it may reach a log.
SECRETS = (FAMILY, GIVEN, "ムツオ", "前科", "服役", "夜逃げ", "1990-02-30", "ZZZZ", "架空メモ秘", "七十二万")


def leaky_case_yaml(case_id: str = LEAKY) -> str:
    """A record that breaks the schema with fictional values and notes a prohibited word (架空)."""
    text = case_yaml(case_id, note="本人談：兄ムツオに前科があり服役中とのこと（架空）")
    for old, new in (("status: 交渉中", "status: 夜逃げ中"), ("birth_date: 1996-07-15", "birth_date: 1990-02-30\n    架空メモ秘: 架空の話"),
                     ('phone: "03-0000-0009"', 'phone: "03-ZZZZ-0009"'), ("principal: 720000", "principal: 七十二万")):
        assert old in text
        text = text.replace(old, new)
    return text


def add_leaks(repo: RecordsRepo, case_id: str = LEAKY) -> None:
    """The leaky record, encrypted to the repository's handlers, and a file named after its borrower."""
    age_encrypt(repo, leaky_case_yaml(case_id), record_rel(case_id), recipients=[repo.public])
    (repo.root / "docs").mkdir(exist_ok=True)
    (repo.root / NAMED_FILE).write_text("# 架空のメモ\n", encoding="utf-8")


def assert_redacted(output: str, case_id: str = LEAKY, named_file: bool = True) -> None:
    """No fictional plaintext anywhere; each finding still names check, terms, file, field and the fix."""
    for secret in SECRETS:
        assert secret not in output, f"{secret!r} leaked:\n{output}"
    rel = record_rel(case_id)
    for expected in (f"[schema] 特記事項3 {rel}:parties[0].birth_date – 日付として正しくありません（{MARK}）",
                     f"[schema] 特記事項3 {rel}:status – 「{MARK}」は使えません",
                     f"[schema] 特記事項3 {rel}:parties[0].contact.phone – 電話番号の形式が正しくありません（{MARK}）",
                     f"[schema] 特記事項3 {rel}:parties[0].{MARK} – 情報項目の定義にない項目です",
                     f"[schema] 特記事項3 {rel}:claim.principal – 整数で書いてください（{MARK}）",
                     f"[prohibited] 特記事項5 {rel}:history[0].note – 「{MARK}」に「犯罪」に当たる語「{MARK}」があります",
                     f"`saiken case edit {case_id}`", redaction.NOTE):
        assert expected in output, f"{expected!r} missing:\n{output}"
    if named_file:
        assert f"[pii_outside] 特記事項2・7 docs/{MARK}さん.md:ファイル名" in output, output


@pytest.mark.parametrize("how", [{"args": ["--redact"], "env": {}}, {"args": [], "env": {"CI": "true"}}],
                         ids=["--redact", "CI=true"])
def test_check_in_a_log_names_the_place_but_never_quotes_the_record(records_repo: RecordsRepo, how: dict) -> None:  # type: ignore[type-arg]
    add_leaks(records_repo)
    local = records_repo.saiken("check", "--all")
    assert local.returncode == 1
    # the handler's own terminal quotes the text, so the assertions below are not vacuous
    assert "（1990-02-30）" in local.stdout and "兄ムツオに【前科】があり" in local.stdout
    assert f"{LEAKY_FILE}:parties[0].架空メモ秘" in local.stdout and f"{NAMED_FILE}:ファイル名" in local.stdout
    assert redaction.NOTE not in local.stdout + local.stderr

    text = records_repo.saiken("check", "--all", *how["args"], env=how["env"])
    assert text.returncode == 1
    assert_redacted(text.stdout + text.stderr)
    assert len(lines(text.stdout, "schema")) == len(lines(local.stdout, "schema"))  # nothing dropped, only hidden

    as_json = records_repo.saiken("check", "--all", "--format", "json", *how["args"], env=how["env"])
    assert as_json.returncode == 1
    for secret in SECRETS:
        assert secret not in as_json.stdout + as_json.stderr
    found = json.loads(as_json.stdout)["findings"]
    assert {"check": "schema", "terms": [3], "severity": "error", "file": LEAKY_FILE,
            "where": "parties[0].birth_date",
            "message": f"日付として正しくありません（{MARK}）。YYYY-MM-DD で、実在する日付を書いてください。"
                       f"`saiken case edit {LEAKY}` で直してください。"} in found


def test_hooks_in_ci_hide_the_record_too(records_repo: RecordsRepo) -> None:
    """pre-commit run by a CI job (`pre-commit run --all-files`) prints to the job's log."""
    add_leaks(records_repo)
    records_repo.git("add", "-A")
    local = records_repo.saiken("hook", "pre-commit")
    assert local.returncode == 1 and "（1990-02-30）" in local.stderr
    in_ci = records_repo.saiken("hook", "pre-commit", env={"CI": "true"})
    assert in_ci.returncode == 1
    assert_redacted(in_ci.stdout + in_ci.stderr)


def test_a_record_that_is_not_yaml_is_reported_without_its_text(records_repo: RecordsRepo) -> None:
    """The YAML parser's message can repeat a piece of the decrypted record (here a tag holding a
    fictional name in romaji); libyaml's own messages do not, but the constructor's do."""
    text = case_yaml("C-YAML0001").replace('    note: "分納の相談あり"', "    note: !!python/name:shikentani.hoshiko 相談")
    age_encrypt(records_repo, text, record_rel("C-YAML0001"), recipients=[records_repo.public])
    local = records_repo.saiken("check", "--all")
    assert local.returncode == 1  # the handler sees what the parser saw
    assert "could not determine a constructor for the tag 'tag:yaml.org,2002:python/name:shikentani.hoshiko'" in local.stdout
    r = records_repo.saiken("check", "--all", "--redact")
    assert r.returncode == 1
    assert "shikentani" not in r.stdout + r.stderr
    found = lines(r.stdout, "schema")
    assert len(found) == 1, r.stdout
    assert f"{record_rel('C-YAML0001')} – 記録を YAML として読めません（20 行 11 列: {MARK}）" in found[0]
    assert "saiken case edit C-YAML0001" in found[0]


def test_a_value_cannot_close_its_own_quote() -> None:
    """A record's text holding the marker characters themselves still hides all of it."""
    sneaky = f"架空{redaction.CLOSE}秘密{redaction.OPEN}の話"
    line = f"値（{quoted(sneaky)}）が違います"
    assert redaction.redacted(line) == f"値（{MARK}）が違います"
    assert redaction.shown(line) == "値（架空秘密の話）が違います"
    assert redaction.redacted(f"途中で切れた{redaction.OPEN}秘密") == f"途中で切れた{MARK}"


@pytest.mark.parametrize("value, hidden", [("true", True), ("1", True), ("yes", True), ("", False),
                                           ("false", False), ("0", False), ("no", False), ("off", False)])
def test_the_ci_variable_decides_unless_asked(monkeypatch: pytest.MonkeyPatch, value: str, hidden: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert redaction.wanted() is hidden
    assert redaction.wanted(True) is True
    monkeypatch.delenv("CI")
    assert redaction.wanted() is False
