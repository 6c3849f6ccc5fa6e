"""Only the permitted information items, with valid types (term 3: 必要最小限の範囲内で収集).

Runs on every record the runner's identities open: the record is validated against
policies/information-items.yaml exactly as `saiken case new/edit` does (records.Store.validate), so
a field the policy does not name is an error, never a warning. A record that opens but is not YAML,
or whose case_id differs from its file name, is reported here too. Values, unknown keys and the
YAML parser's words are quoted as the record's text (saiken.redaction): hidden in a log.
"""

from __future__ import annotations

from typing import Iterable

from saiken.checks import ERROR, FileInput, Finding, FindingMaker
from saiken.checks.context import CheckInput
from saiken.core.records import Store
from saiken.core.yamlio import YamlSyntaxError
from saiken.errors import SaikenError, ValidationError
from saiken.redaction import quoted

ID = "schema"
TERMS = (3,)
SEVERITY = ERROR
NORMALISES = True  # validating normalises the opened record in place: the runner runs this check last
TITLE = "記録には情報項目の定義にある項目だけを、正しい形で書く"
NEEDS_IDENTITY = True  # reads the opened records only: without a key it finds nothing

_found = FindingMaker(ID, TERMS, SEVERITY)


def check_file(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    rec = inp.record(f)
    if rec is None:
        return
    fix = f"`saiken case edit {rec.case_id}` で直してください。"
    if rec.failure_kind == "yaml":
        yield _found(f.path, None, f"記録を YAML として読めません（{_yaml_problem(rec.error)}）。{fix}")
        return
    if rec.data is None:
        return  # not opened with our identities: the recipients check says why
    store = Store(inp.ctx.policy.root, inp.ctx.policy)
    try:
        # validate normalises in place (NFKC, typed dates) rather than on a copy (a second for
        # 10,000 records): NORMALISES makes the runner run this check after the others
        store.validate(rec.data, where=f.path)
    except ValidationError as exc:
        for path, message in exc.problems:
            yield _found(f.path, path or None, f"{message}。{fix}")
    if isinstance(rec.data, dict) and rec.data.get("case_id") not in (None, rec.case_id):
        yield _found(f.path, "case_id", f"記録の case_id（{quoted(rec.data.get('case_id'))}）がファイル名の事案番号"
                     f"（{rec.case_id}）と違います。{fix}")



def _yaml_problem(error: Exception | None) -> str:
    """The parser's words may repeat a piece of the record (an alias, a tag): quoted as its text."""
    if isinstance(error, YamlSyntaxError):
        return f"{error.position}: {quoted(error.problem)}"
    return error.message if isinstance(error, SaikenError) else ""
