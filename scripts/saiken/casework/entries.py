"""経過・交渉記録 and 入金: the two edits a handler makes to a case every day.

`log` appends one history entry (a call, visit, letter, agreement …); `pay` adds one payment to
claim.payments (with the payer's party id when it was not the borrower) and a 入金 entry to the
history, each in date order – a payment dated before the last entry goes where its date belongs. Both check the input against the record and the
policies first, so bad input changes nothing, then edit the decrypted text in memory with the
ruamel round-trip (the user's comments and layout survive), validate the whole record again, run
the commit hook's per-record checks on it (a --note with a prohibited word is refused) and write
it encrypted – the plaintext never touches the disk.

Who made the entry (`by`) is not typed: it is the active handler whose public key matches one of the
user's identities (policies/handlers.yaml, 特記事項13). Balances are never typed either: they are
derived from the loan terms and the payments (claim.balance, installments).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from saiken import wareki
from saiken.casework import claim, statement
from saiken.checks import before_save
from saiken.core import crypto, yamlio
from saiken.core.policy import HANDLERS_FILE, Handler, Policy
from saiken.core.records import Store
from saiken.errors import SaikenError

# 入金 is recorded with `saiken case pay`, so the balance and the history cannot disagree.
PAYMENT_KIND = "入金"


@dataclass(frozen=True)
class LogEntry:
    """What the user typed for `saiken case log`, as text – checked by `history_entry`."""

    kind: str
    note: str
    at: str | None = None
    counterpart: str | None = None
    party: str | None = None
    identity_check: str | None = None
    registered_no: str | None = None
    acknowledged: bool = False
    promise_amount: str | None = None
    promise_date: str | None = None
    next_action: str | None = None


# --- who is typing -------------------------------------------------------------------------------

def _key_core(text: str) -> str:
    words = str(text).split()
    return " ".join(words[:2]) if words and words[0].startswith("ssh-") else " ".join(words[:1])


def current_handler(policy: Policy, identities: list[crypto.LoadedIdentity]) -> Handler:
    """The active handler whose public key is one of the user's identities."""
    mine = {_key_core(i.public) for i in identities}
    for h in policy.active_handlers:
        if _key_core(h.public_key) in mine:
            return h
    raise SaikenError("あなたの鍵は、有効な取扱者として登録されていません。記録できるのは指定された取扱者だけです"
                      "（特記事項13）。", where=HANDLERS_FILE,
                      hint="取扱責任者に `saiken handler add --id ID --name 氏名 --org 乙 --role 取扱者 --key 公開鍵` "
                           "で指定してもらってください（`saiken handler list` で確認できます）。")


# --- parsing what was typed ----------------------------------------------------------------------

def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def parse_amount(text: str, option: str) -> int:
    """A whole number of yen above 0: 9000, 9,000, ９０００, 9000円."""
    s = _clean(str(text)).replace(",", "").removeprefix("金").removesuffix("円")
    if not re.fullmatch(r"-?\d+", s):
        raise SaikenError(f"{option} は円単位の整数で書いてください（「{text}」）。",
                          hint=f"例: {option} 9000")
    amount = int(s)
    if amount <= 0:
        raise SaikenError(f"{option} は 1 円以上です（「{text}」）。", hint=f"例: {option} 9000")
    return amount


def parse_date(text: str, option: str) -> dt.date:
    try:
        return wareki.read_date(text)
    except ValueError as exc:
        raise SaikenError(f"{option}: {exc}。", hint=f"例: {option} 2026-04-01") from None


def parse_datetime(text: str, option: str) -> dt.datetime:
    s = _clean(str(text))
    try:
        value = dt.datetime.fromisoformat(s)
    except ValueError:
        raise SaikenError(f"{option} は日時を「YYYY-MM-DD HH:MM」で書いてください（「{text}」）。",
                          hint=f"例: {option} '2026-04-01 10:30'") from None
    return value.replace(second=0, microsecond=0, tzinfo=None)


def _choice(value: str, allowed: list[str], option: str) -> str:
    text = _clean(value)
    if text not in allowed:
        raise SaikenError(f"{option} に「{value}」は使えません。次のいずれかです: {'、'.join(allowed)}",
                          hint="一覧は policies/information-items.yaml の lists にあります。")
    return text


def _party(value: str, record: dict[str, Any], option: str = "--party") -> str:
    ids = [str(p.get("id")) for p in record.get("parties") or []]
    text = _clean(value)
    if text not in ids:
        raise SaikenError(f"{option} に「{value}」は使えません。この事案の当事者番号は {'、'.join(ids)} です。",
                          hint=f"`saiken case show {record.get('case_id')}` で当事者を確かめてください。")
    return text


# --- building entries ----------------------------------------------------------------------------

def now() -> dt.datetime:
    return dt.datetime.now().replace(second=0, microsecond=0)


def history_entry(entry: LogEntry, record: dict[str, Any], policy: Policy, by: str,
                  clock: dt.datetime) -> dict[str, Any]:
    """The history entry for `entry`, every field checked; raises SaikenError naming the option."""
    lists = policy.items.get("lists", {})
    kind = _choice(entry.kind, list(lists.get("history_kind", [])), "--kind")
    if kind == PAYMENT_KIND:
        raise SaikenError("入金は `saiken case log` ではなく `saiken case pay` で記録してください"
                          "（残高と経過記録を一致させるため）。", where="--kind",
                          hint=f"saiken case pay {record.get('case_id')} --date YYYY-MM-DD --amount 金額")
    if not _clean(entry.note):
        raise SaikenError("--note（内容）が空です。話した内容・送った書面を書いてください。")
    at = parse_datetime(entry.at, "--at") if entry.at else clock
    if at > clock:
        raise SaikenError(f"--at が未来の日時です（{at:%Y-%m-%d %H:%M}）。起きたことだけを記録します。")
    out: dict[str, Any] = {"at": at, "kind": kind, "by": by}
    if entry.party:
        out["party"] = _party(entry.party, record)
    if entry.counterpart:
        out["counterpart"] = _choice(entry.counterpart, list(lists.get("counterpart", [])), "--counterpart")
    for key, value in (("identity_check", entry.identity_check), ("note", entry.note)):
        if value and _clean(value):
            out[key] = value.strip()
    if entry.acknowledged:
        out["acknowledged"] = True
    promise = _promise(entry, at.date())
    if promise:
        out["promise"] = promise
    for key, value in (("next_action", entry.next_action), ("registered_no", entry.registered_no)):
        if value and _clean(value):
            out[key] = _clean(value)
    return out


def _promise(entry: LogEntry, day: dt.date) -> dict[str, Any]:
    if entry.promise_amount and not entry.promise_date:
        raise SaikenError("--promise-amount には --promise-date（約束の期日）も必要です。",
                          hint="例: --promise-amount 10000 --promise-date 2026-12-25")
    out: dict[str, Any] = {}
    if entry.promise_amount:
        out["amount"] = parse_amount(entry.promise_amount, "--promise-amount")
    if entry.promise_date:
        date = parse_date(entry.promise_date, "--promise-date")
        if date < day:
            raise SaikenError(f"--promise-date が過去の日付です（{date.isoformat()}、記録の日は {day.isoformat()}）。",
                              hint="約束の期日は、記録する日以降の日付にしてください。")
        out["date"] = date
    return out


def payment_entry(date_text: str, amount_text: str, note: str | None, record: dict[str, Any],
                  today: dt.date, party: str | None = None, policy: Policy | None = None) -> dict[str, Any]:
    """The claim.payments entry; refuses a future date, a non-positive amount, more than is owed
    (principal, damages and costs on that day when the repository has policies/damages.yaml),
    and a payer who had died by then (or none named after the borrower's death)."""
    day = parse_date(date_text, "--date")
    if day > today:
        raise SaikenError(f"--date が未来の日付です（{day.isoformat()}）。入金があった日を書いてください。")
    amount = parse_amount(amount_text, "--amount")
    owed = statement.position_on(record, policy, day) if policy is not None else None
    if owed is not None and amount > owed.total_left:
        raise SaikenError(f"--amount（金{amount:,}円）が {day.isoformat()} 現在の債務（{statement.owed_text(owed)}）を"
                          "超えています。", hint=f"`saiken case allocation {record.get('case_id')} --as-of "
                          f"{day.isoformat()}` で内訳を確かめ、過払いは区と協議してください。")
    balance = claim.balance(record)
    if owed is None and amount > balance:
        raise SaikenError(f"--amount（金{amount:,}円）が債権残高（金{balance:,}円）を超えています。",
                          hint="`saiken case list` で残高を確かめ、過払いは区と協議してください。")
    out: dict[str, Any] = {"date": day, "amount": amount}
    payer = _party(party, record) if party else None
    _check_payer(record, payer, day)
    if payer is not None:
        out["party"] = payer
    if note and _clean(note):
        out["note"] = note.strip()
    return out


def _check_payer(record: dict[str, Any], payer: str | None, day: dt.date) -> None:
    """A payment after the payer's death cannot be theirs; after the borrower's, say who paid."""
    who = payer or str(claim.borrower(record).get("id"))
    person = next((p for p in record.get("parties") or [] if str(p.get("id")) == who), {})
    died = person.get("deceased_on")
    if isinstance(died, dt.date) and day > died:
        heirs = [str(p["id"]) for p in record.get("parties") or [] if p.get("heir_of") == who]
        raise SaikenError(f"{who} は {died.isoformat()} に死亡しているため、{day.isoformat()} の入金者にはできません。"
                          "入金した人（相続人・保証人）の当事者番号を --party で指定してください。", where="--party",
                          hint=f"例: --party {heirs[0] if heirs else 'p2'}（当事者は `saiken case show "
                               f"{record.get('case_id')}` で確かめられます）")


# --- editing the record --------------------------------------------------------------------------

ORDER_KEYS = {"history": "at", "payments": "date"}


def _append(doc: Any, path: tuple[str, ...], item: dict[str, Any]) -> None:
    """Add `item` to the list at `path` in date order (after entries of the same time), in the style
    (flow or block) of its neighbours."""
    node = doc
    for key in path[:-1]:
        node = node[key]
    seq = node.get(path[-1])
    if seq is None:
        seq = node[path[-1]] = CommentedSeq()
    new = _commented(item)
    if len(seq) and isinstance(seq[-1], CommentedMap) and seq[-1].fa.flow_style():
        new.fa.set_flow_style()
    seq.insert(_position(seq, ORDER_KEYS.get(path[-1]), item), new)


def _position(seq: Any, key: str | None, item: dict[str, Any]) -> int:
    """Where `item` goes: after the last entry not later than it (the end when the list is in order)."""
    when = _moment(item.get(key)) if key else None
    at = len(seq)
    while when is not None and at > 0 and isinstance(seq[at - 1], dict):
        before = _moment(seq[at - 1].get(key))
        if before is None or before <= when:
            break
        at -= 1
    return at


def _moment(value: Any) -> dt.datetime | None:
    """A date or time as written in a record (a date, a timestamp, or text such as 2026-03-07 17:30)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return None


def _commented(item: dict[str, Any]) -> CommentedMap:
    out = CommentedMap()
    for key, value in item.items():
        out[key] = _commented(value) if isinstance(value, dict) else value
    if "promise" in out:
        out["promise"].fa.set_flow_style()
    return out


def require_case(store: Store, case_id: str) -> str:
    """The record's path for messages; an error if the case does not exist."""
    if not store.exists(case_id):
        raise SaikenError(f"事案「{case_id}」の記録がありません。", where=store.rel(case_id),
                          hint="`saiken case list` で事案番号を確かめてください。")
    return store.rel(case_id)


def edit_record(store: Store, case_id: str, identities: list[crypto.LoadedIdentity],
                change: Callable[[dict[str, Any], Handler], list[tuple[tuple[str, ...], dict[str, Any]]]]) -> None:
    """Decrypt, let `change` return the items to append (it sees the parsed record), write back."""
    where = require_case(store, case_id)
    handler = current_handler(store.policy, identities)
    text = store.decrypt(case_id, identities)
    record = store.parse(text, where=where)
    additions = change(record, handler)
    doc = yamlio.rt_load(text, where=where)
    for path, item in additions:
        _append(doc, path, item)
    normalised, _ = store.normalise_text(yamlio.rt_dump(doc), where=where)
    before_save.require(store, case_id, normalised)  # the commit hook's per-record checks (term 5 …)
    store.write_text(case_id, normalised)


def log(store: Store, case_id: str, identities: list[crypto.LoadedIdentity], entry: LogEntry,
        clock: dt.datetime | None = None) -> dict[str, Any]:
    """Append one 経過・交渉記録 entry; returns it."""
    made: dict[str, Any] = {}

    def change(record: dict[str, Any], handler: Handler) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
        made.update(history_entry(entry, record, store.policy, handler.id, clock or now()))
        return [(("history",), made)]

    edit_record(store, case_id, identities, change)
    return made


def pay(store: Store, case_id: str, identities: list[crypto.LoadedIdentity], date_text: str,
        amount_text: str, note: str | None = None, clock: dt.datetime | None = None,
        party: str | None = None) -> tuple[dict[str, Any], int]:
    """Add one payment and its 入金 history entry (each in date order); returns the payment and the
    new balance."""
    made: dict[str, Any] = {}
    left: list[int] = []

    def change(record: dict[str, Any], handler: Handler) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
        made.update(payment_entry(date_text, amount_text, note, record, (clock or now()).date(), party,
                                  store.policy))
        left.append(claim.balance(record) - made["amount"])
        event = {"at": dt.datetime.combine(made["date"], dt.time()), "kind": PAYMENT_KIND, "by": handler.id,
                 **({"party": made["party"]} if "party" in made else {}),
                 "note": f"入金 金{made['amount']:,}円" + (f"（{made['note']}）" if made.get("note") else "")}
        return [(("claim", "payments"), made), (("history",), event)]

    edit_record(store, case_id, identities, change)
    return made, left[0]
