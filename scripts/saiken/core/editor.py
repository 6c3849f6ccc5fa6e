"""Editing a case record in $EDITOR without the plaintext ever touching the disk.

The plaintext is one file in a `plaintext.Scratch` folder on memory-backed storage. vi, vim and
nvim are started without swap, undo, backup or viminfo/shada files, which would otherwise copy the
record into ~/.vim, ~/.local/state or the working folder; `--cmd` sets that before the user's
vimrc and `-c` again after it.

After the editor exits the text is validated with `Store.normalise_text` and then by the caller's
`gate` – the per-record checks the commit hook runs (saiken.checks.before_save; the editor sits in
core, below the checks, so the command passes them in). On an error the editor opens again on the user's own text with the message as `#!` comment lines at the top, so an edit
is never lost while the user keeps trying; on a terminal saiken first asks 再編集しますか? [Y/n].
Leaving the file unchanged after an error (vim: :q!), emptying it, or an editor exiting non-zero
(vim: :cq) gives up: nothing is written and the text is removed with the folder. Lines starting
with `#!` (errors) or `#|` (the new-case template's guidance) are saiken's and are not stored.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sys
from pathlib import Path
from typing import Callable

import click

from saiken.core import crypto
from saiken.core.plaintext import SIGNAL_EXITS, Scratch, repository_tag, scratch_base
from saiken.core.records import Store, check_case_id, new_case_id
from saiken.errors import SaikenError

ERROR_MARK = "#!"
GUIDE_MARK = "#|"
MAX_ROUNDS = 20

# gate(case_id, text): raises SaikenError when the record may not be saved (it may print warnings)
Gate = Callable[[str, str], object]

_VIM_NAMES = frozenset({"vi", "vim", "view", "rvim", "gvim", "gview", "vimx", "mvim"})
_VIM_SAFE = "set noswapfile noundofile nobackup nowritebackup"
_VIM_AUTOCMD = "autocmd BufReadPre,BufNewFile * setlocal noswapfile noundofile"


# --- the editor command -----------------------------------------------------------------------

def _flavour(program: str) -> str | None:
    """'vim' or 'nvim' when `program` resolves to one of them (vi is often a link to either)."""
    found = shutil.which(program) or program
    name = Path(os.path.realpath(found)).name
    if name.startswith("nvim"):
        return "nvim"
    if name in _VIM_NAMES or name.startswith("vim."):
        return "vim"
    return None


def no_trace_options(flavour: str | None) -> list[str]:
    """Options that keep vim/nvim from writing swap, undo, backup and viminfo/shada files.

    --cmd runs before the user's vimrc and -c after it, so a vimrc cannot switch them back on.
    """
    if flavour is None:
        return []
    history = "shada=" if flavour == "nvim" else "viminfo="
    safe = f"{_VIM_SAFE} {history}"
    return ["-n", "-i", "NONE", "--cmd", safe, "--cmd", _VIM_AUTOCMD, "-c", safe]


def editor_command() -> list[str]:
    raw = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        argv = shlex.split(raw)
    except ValueError:
        argv = []
    if not argv or shutil.which(argv[0]) is None:
        raise SaikenError(f"エディタ「{raw}」が見つかりません。",
                          hint="環境変数 EDITOR（または VISUAL）に使えるエディタを指定してください（例: EDITOR=nano）。")
    return argv + no_trace_options(_flavour(argv[0]))


# --- the text the user sees ---------------------------------------------------------------------

def _is_ours(line: str) -> bool:
    return line.lstrip().startswith((ERROR_MARK, GUIDE_MARK))


def strip_marks(text: str) -> str:
    """The text without saiken's own comment lines (errors and guidance)."""
    return "".join(line for line in text.splitlines(keepends=True) if not _is_ours(line))


def strip_error_header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    n = 0
    while n < len(lines) and lines[n].startswith(ERROR_MARK):
        n += 1
    return "".join(lines[n:])


def is_blank(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def error_header(exc: SaikenError) -> str:
    lines = ["保存できませんでした。下の誤りを直して保存し、エディタを終了してください。",
             *exc.render().splitlines(),
             "中止するには、何も変えずに終了してください（vim なら :q!）。記録は書き換えません。",
             f"「{ERROR_MARK}」で始まる行は saiken のメッセージで、保存されません。"]
    return "".join(f"{ERROR_MARK} {line}\n" for line in lines)


# One agreements[] entry as `saiken doc 合意書` needs it: the new-case template shows it, and the
# 合意書's refusal for a case without agreements quotes it.
AGREEMENT_EXAMPLE = (
    ("- date: 2026-06-01", "合意日（合意書の日付。「吉日」は使いません）"),
    ("  parties: [p1, p2]", "署名する当事者（借受人・連帯保証人の当事者番号）"),
    ("  total: 1138567", "総額（円）= 合意日現在の元金＋遅延損害金（saiken case allocation ID --as-of 合意日 の「合計」）"),
    ("  day: 27", "毎月の支払日"),
    ("  amount: 10000", "毎月の金額（円。端数は最終回）"),
    ("  first_due: 2026-06-27", "第1回の期日"),
    ("  signed: false", "署名された合意書が戻ったら true（消滅時効の計算で承認になります）"),
)


def agreement_example(prefix: str) -> str:
    """AGREEMENT_EXAMPLE as lines of YAML with their comments, each after `prefix`."""
    return "\n".join(f"{prefix}{code:<24}# {comment}" for code, comment in AGREEMENT_EXAMPLE)


def template(st: Store, case_id: str) -> str:
    """A new record to fill in: every field explained by a `#|` line, which is not stored."""
    lists: dict[str, list[str]] = st.policy.items.get("lists", {})

    def one_of(name: str) -> str:
        return " / ".join(lists.get(name, []))

    g = GUIDE_MARK
    return f"""\
{g} 新しい事案の記録です。「{g}」で始まる行は説明で、保存されません。
{g} 書き終えたら保存してエディタを終了してください。検証し、有効な取扱者宛てに暗号化して保存します。
{g} 何も変えずに終了する（vim なら :q!）と、何も保存せずに中止します。
{g} 書けるのは policies/information-items.yaml にある項目だけです（特記事項3）。使わない項目は空のままか、行ごと消してください。
{g} 日付は YYYY-MM-DD、金額は円単位の整数（例: 1080000。カンマや全角数字も可）。
{g} 事案番号（自動で採番。変更できません）
case_id: {case_id}
{g} 処理状況: {one_of("status")}
status: {(lists.get("status") or [""])[0]}
{g} 当事者: 1 人目は借受人（borrower）。連帯保証人は guarantor。死亡した借受人・連帯保証人の相続人は heir
{g}   （heir_of に相続元の id、share に相続分 2分の1 など。相続分の合計は 1。亡くなった人には deceased_on）
parties:
  - id: p1
    role: borrower
    {g} 氏名（family は必須）とフリガナ（カタカナ）
    name:
      family:
      given:
      family_kana:
      given_kana:
    {g} 生年月日（YYYY-MM-DD）
    birth_date:
    {g} 性別: {one_of("sex")}
    sex:
    {g} 住所: 郵便番号は "160-0000" のように引用符で囲みます。registered_domicile は本籍
    address:
      postal_code:
      line:
      registered_domicile:
    {g} 連絡先: 電話番号は "03-0000-0000" のように引用符で囲みます
    contact:
      phone:
      email:
{g} 債権金額: 契約日、元金（円）、返還方法（{one_of("repayment_method")}）、初回の期日、回数
claim:
  contract_date:
  principal:
  repayment:
    method:
    first_due:
    count:
  {g} 入金の記録: - {{date: YYYY-MM-DD, amount: 円}}
  payments: []
{g} 経過・交渉記録: - {{at: YYYY-MM-DD HH:MM, kind: 電話, by: 取扱者ID, party: p1, note: 内容}}
{g} kind: {one_of("history_kind")}
history: []
{g} 分割弁済の合意（saiken doc 合意書 が最新の 1 件から合意書を作ります）。合意したら、例にならって書きます:
{agreement_example(g + "   ")}
agreements: []
"""


# --- the edit loop --------------------------------------------------------------------------------

def _accept(st: Store, case_id: str, buffer: str) -> str:
    """Validate what the user saved (line numbers as they see them); return the text to store."""
    where = st.rel(case_id)
    normalised, data = st.normalise_text(buffer, where=where)
    if data.get("case_id") != case_id:
        raise SaikenError(f"事案番号（case_id）は変更できません（元は {case_id}、編集後は {data.get('case_id')}）。",
                          where=f"{where}: case_id",
                          hint=f"case_id: {case_id} に戻してください。別の事案は `saiken case new` で作成します。")
    return strip_marks(normalised)


def _reopened(st: Store, case_id: str, exc: SaikenError, body: str) -> str:
    """The text to re-open: the message on top, with YAML line numbers as the user will see them."""
    shown = error_header(exc) + body
    try:
        _accept(st, case_id, shown)
    except SaikenError as located:
        header = error_header(located)
        if header.count("\n") == shown.count("\n") - body.count("\n"):
            exc.message, exc.where, exc.hint = located.message, located.where, located.hint
            return header + body
    return shown


def _again(exc: SaikenError) -> bool:
    """On a terminal, ask before re-opening; without one, re-open (giving up = saving no change)."""
    click.echo(exc.render(), err=True)
    if not sys.stdin.isatty():
        return True
    try:
        return click.confirm("再編集しますか?", default=True, err=True)
    except click.exceptions.Abort:
        return False


def _gave_up(message: str) -> SaikenError:
    return SaikenError(f"{message}記録は書き換えていません。編集中の内容は一時領域とともに削除しました。")


def edit_text(st: Store, case_id: str, text: str, *, is_new: bool, base: Path, argv: list[str],
              gate: Gate) -> str | None:
    """Let the user edit `text` in `argv` until it is a valid record that `gate` lets through;
    return the text to store.

    None means the user saved the record unchanged on the first try (nothing to write).
    """
    with Scratch(base, owner=repository_tag(st.root)) as scratch:
        path = scratch.write(f"{case_id}.yaml", text)
        shown = text
        for round_ in range(1, MAX_ROUNDS + 1):
            status = scratch.run([*argv, str(path)])
            if status == -signal.SIGINT:
                click.echo("中断しました。記録は書き換えていません。", err=True)
                raise SystemExit(SIGNAL_EXITS[signal.SIGINT])
            if status != 0:
                raise _gave_up(f"エディタが終了コード {status} で終了したため、中止しました。")
            buffer = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
            if is_blank(strip_marks(buffer)):
                raise _gave_up("内容が空（またはコメントだけ）のため、中止しました。")
            if buffer == shown:
                if round_ == 1 and not is_new:
                    return None
                raise _gave_up("ひな形から変更がないため、中止しました。" if round_ == 1 else "誤りが直されなかったため、中止しました。")
            try:
                accepted = _accept(st, case_id, buffer)
                gate(case_id, accepted)
                return accepted
            except SaikenError as exc:
                shown = _reopened(st, case_id, exc, strip_error_header(buffer))
                if not _again(exc):
                    raise _gave_up("再編集しないため、中止しました。") from None
                path = scratch.write(path.name, shown)
    raise _gave_up(f"{MAX_ROUNDS} 回編集しても記録が正しくならなかったため、中止しました。")


def _unchanged(st: Store, case_id: str, before: str, after: str) -> bool:
    if after == before:
        return True
    try:
        return after == _accept(st, case_id, before)
    except SaikenError:
        return False


def edit_case(st: Store, case_id: str, *, gate: Gate, unsafe_tmp: bool = False) -> bool:
    """`saiken case edit`: returns True when the record was rewritten."""
    check_case_id(case_id)
    base, argv = scratch_base(unsafe_tmp), editor_command()  # fail before asking for a passphrase
    before = st.decrypt(case_id, crypto.load_identities())
    after = edit_text(st, case_id, before, is_new=False, base=base, argv=argv, gate=gate)
    if after is None or _unchanged(st, case_id, before, after):
        click.echo(f"変更はありません。{st.rel(case_id)} は書き換えていません。", err=True)
        return False
    st.write_text(case_id, after)
    click.echo(f"保存しました: {st.rel(case_id)}", err=True)
    return True


def new_case(st: Store, case_id: str | None, *, gate: Gate, unsafe_tmp: bool = False) -> str:
    """`saiken case new` without --from: fill in a commented template in the editor."""
    cid = check_case_id(new_case_id() if case_id is None else case_id)
    if st.exists(cid):
        raise SaikenError(f"事案「{cid}」は既にあります。", where=st.rel(cid),
                          hint=f"変更するには `saiken case edit {cid}` を使ってください。")
    base, argv = scratch_base(unsafe_tmp), editor_command()
    text = edit_text(st, cid, template(st, cid), is_new=True, base=base, argv=argv, gate=gate)
    assert text is not None
    if st.exists(cid):
        raise SaikenError(f"編集中に事案「{cid}」が作成されました。上書きはしません。", where=st.rel(cid))
    st.write_text(cid, text)
    click.echo(f"保存しました: {st.rel(cid)}", err=True)
    click.echo(cid)
    return cid
