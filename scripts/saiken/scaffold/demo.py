"""A demo records repository: fictional handlers of 甲 and 乙 and fictional cases.

Everything here is made up. Cases come from Faker's ja_JP provider with a fixed seed, so the same
seed and as-of date give the same people, dates and amounts (the age keys and ciphertext are new each
time). Every record starts with a comment saying it is fictional; phone numbers use the 0000 block
and e-mail addresses the reserved .invalid domain, so no real line or mailbox is named.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from faker import Faker

from saiken.casework.documents import agreement
from saiken.core import crypto, policy, yamlio
from saiken.core.files import atomic_write
from saiken.core.records import Store
from saiken.git import gitio
from saiken.scaffold import skeleton

DEFAULT_SEED = 2021
DEFAULT_COUNT = 20
IDENTITY_DIR = ".identities"
FICTION_MARK = "# 架空の人物です（デモ用）"
COMMITTER = "otsu-01"
HANDLERS_MESSAGE = "取扱責任者・取扱者を指定（デモ、特記事項13）"
RECORDS_MESSAGE = "架空の事案 {n} 件を登録（デモ）"
EVIDENCE_MESSAGE = "従事者教育と甲による確認の記録、実績の集計（デモ）"
NEW_LAW = dt.date(2020, 4, 1)  # 改正民法の施行日: contracts before and after it age differently
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class DemoHandler:
    id: str
    organisation: str
    role: str
    name: str

    @property
    def email(self) -> str:
        return f"{self.id}@example.invalid"


HANDLERS = (
    DemoHandler("kou-01", "甲", "取扱責任者", "架空 甲太郎（デモ）"),
    DemoHandler("otsu-01", "乙", "取扱責任者", "架空 乙太郎（デモ）"),
    DemoHandler("otsu-02", "乙", "取扱者", "架空 乙花子（デモ）"),
)


@dataclass
class Demo:
    root: Path
    identities: dict[str, Path]
    case_ids: list[str] = field(default_factory=list)


# --- handlers and their keys ---------------------------------------------------------------------

def fiscal_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def write_identities(root: Path, created: dt.date) -> tuple[dict[str, Path], dict[str, str]]:
    """One new age identity per demo handler in DIR/.identities/ (0700 folder, 0600 files)."""
    folder = root / IDENTITY_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    paths, publics = {}, {}
    for h in HANDLERS:
        secret, public = crypto.generate_identity()
        path = folder / f"{h.id}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"# 架空の取扱者 {h.id} のデモ用の鍵です。\n")
            fh.write(crypto.identity_file_text(secret, public, created.isoformat()))
        paths[h.id], publics[h.id] = path, public
    return paths, publics


def contract_this_year(root: Path, start: dt.date) -> None:
    """The demo's contract runs from the current fiscal year (DESIGN.md: a demo made today is not
    "after the end" and owes no evidence for years before it existed); comments are kept."""
    path = root / "policies" / "contract.yaml"
    doc = yamlio.rt_load(path.read_text(encoding="utf-8"), where="policies/contract.yaml")
    doc["periods"] = [{"from": start, "to": dt.date(start.year + 1, 3, 31)}]
    atomic_write(path, yamlio.rt_dump(doc).encode("utf-8"))


def designate(root: Path, publics: dict[str, str], on: dt.date) -> None:
    """Register the demo handlers in policies/handlers.yaml, keeping the file's comments."""
    path = root / policy.HANDLERS_FILE
    doc = yamlio.rt_load(path.read_text(encoding="utf-8"), where=policy.HANDLERS_FILE)
    doc["handlers"] = [
        {"id": h.id, "name": h.name, "organisation": h.organisation, "role": h.role,
         "public_key": publics[h.id], "email": h.email,
         # distinct objects, or ruamel writes an anchor and aliases for the shared date
         "designated": dt.date.fromordinal(on.toordinal()), "reported": dt.date.fromordinal(on.toordinal()),
         "active": True}
        for h in HANDLERS
    ]
    atomic_write(path, yamlio.rt_dump(doc).encode("utf-8"))
    policy.load_handlers(root)  # refuse to go on with a file we cannot read back


# --- fictional cases -----------------------------------------------------------------------------

def add_months(day: dt.date, months: int, dom: int | None = None) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, min(dom or day.day, 28))


class CaseMaker:
    """Makes one fictional case after another from a seeded Faker and random.Random."""

    STATUSES = ("督促中", "交渉中", "分納中", "督促中", "受任前")
    METHODS = {"月賦": (1, 120), "半年賦": (6, 20), "年賦": (12, 10)}

    def __init__(self, seed: int, as_of: dt.date) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("ja_JP")
        self.fake.seed_instance(seed)
        self.as_of = as_of
        self.serial = 0
        self.case_ids: set[str] = set()

    # people

    def _person(self, pid: str, role: str, family: tuple[str, str, str] | None = None,
                born: dt.date | None = None) -> dict[str, Any]:
        self.serial += 1
        fam = family or self.fake.last_name_pair()
        sex = self.rng.choice(["男", "女"])
        given = self.fake.first_name_male_pair() if sex == "男" else self.fake.first_name_female_pair()
        person: dict[str, Any] = {
            "id": pid, "role": role,
            "name": {"family": fam[0], "given": given[0], "family_kana": fam[1], "given_kana": given[1]},
            "birth_date": born or add_months(self.as_of, -12 * 40),
            "sex": sex,
            "address": self._address(),
            "contact": {"phone": f"03-0000-{self.serial:04d}",
                        "email": f"{given[2].lower()}.{self.serial:03d}@example.invalid"},
        }
        if self.rng.random() < 0.5:
            person["contact"]["mobile"] = f"090-0000-{self.serial:04d}"
        return person

    def _address(self) -> dict[str, Any]:
        f = self.fake
        line = f"{f.prefecture()}{f.city()}{f.town()}{f.chome()}{f.ban()}{f.gou()}"
        if self.rng.random() < 0.3:
            line += f" {f.building_name()}{f.building_number()}"
        address = {"postal_code": f.postcode(), "line": line}
        if self.rng.random() < 0.3:
            address["registered_domicile"] = f"{f.prefecture()}{f.city()}{f.town()}{f.ban()}"
        return address

    def _days_before(self, day: dt.date, lo: int, hi: int) -> dt.date:
        return day - dt.timedelta(days=self.rng.randint(lo, hi))

    # the claim

    def _contract_date(self, after_new_law: bool) -> dt.date:
        latest_new = add_months(self.as_of, -36)
        if after_new_law and latest_new > NEW_LAW:
            span = (latest_new - NEW_LAW).days
            return NEW_LAW + dt.timedelta(days=self.rng.randint(0, span))
        latest = min(NEW_LAW - dt.timedelta(days=1), add_months(self.as_of, -72))
        return self._days_before(latest, 0, 365 * 12)  # some installments old enough to be time-barred

    def _claim(self, contract: dt.date) -> dict[str, Any]:
        # 高等学校等の奨学資金: lent over the school years, repaid from a year after lending ends
        years = self.rng.choice([1, 2, 3] if contract >= NEW_LAW else [3, 3, 4])
        monthly = self.rng.choice([18000, 30000])
        principal = monthly * 12 * years + self.rng.choice([0, 0, 300000])
        lending_end = dt.date(contract.year + years + (1 if contract.month >= 4 else 0), 3, 31)
        lending_end = min(lending_end, add_months(self.as_of, -14))
        method = self.rng.choices(list(self.METHODS), weights=[6, 2, 2])[0]
        first_due = min(add_months(lending_end, 13, 27), add_months(self.as_of, -3, 27))
        return {"contract_date": contract, "principal": principal, "lending_end": lending_end,
                "repayment": {"method": method, "first_due": first_due,
                              "count": self.METHODS[method][1]},
                "payments": []}

    def _due_dates(self, claim: dict[str, Any]) -> list[dt.date]:
        step, count = self.METHODS[claim["repayment"]["method"]]
        first = claim["repayment"]["first_due"]
        dues = (add_months(first, step * k, 27) for k in range(count))
        return [d for d in dues if d <= self.as_of]

    def _early_payments(self, claim: dict[str, Any]) -> None:
        step, count = self.METHODS[claim["repayment"]["method"]]
        installment = -(-claim["principal"] // count)
        for due in self._due_dates(claim)[: self.rng.randint(0, 3)]:
            paid_on = min(due + dt.timedelta(days=self.rng.randint(0, 20)), self.as_of)
            claim["payments"].append({"date": paid_on, "amount": installment})

    # 経過・交渉記録

    def _at(self, day: dt.date) -> str:
        return f"{day.isoformat()} {self.rng.randint(9, 17):02d}:{self.rng.choice([0, 15, 30, 45]):02d}"

    def _registered_no(self) -> str:
        return f"{self.rng.randint(100, 999)}-{self.rng.randint(10, 99)}-{self.rng.randint(10000, 99999)}-{self.rng.randint(0, 9)}"

    def _history(self, case: dict[str, Any], status: str) -> None:
        if status == "受任前":
            case["history"] = [{"at": self._at(self._days_before(self.as_of, 5, 30)), "kind": "区との協議",
                                "by": "kou-01", "note": "委託予定の事案として引継ぎ準備"}]
            return
        day = max(self._days_before(self.as_of, 200, 330), case["claim"]["repayment"]["first_due"])
        history = [{"at": self._at(day), "kind": "督促状送付", "by": "otsu-02", "party": "p1",
                    "note": "督促状を送付"}]
        day = min(day + dt.timedelta(days=self.rng.randint(10, 30)), self.as_of)
        for p in case["parties"][1:]:
            if p["role"] == "guarantor" and "deceased_on" not in p:
                history.append({"at": self._at(day), "kind": "保証債務履行請求書送付", "by": "otsu-02",
                                "party": p["id"], "registered_no": self._registered_no()})
            if p["role"] == "heir":
                history.append({"at": self._at(day), "kind": "相続人調査", "by": "otsu-01",
                                "party": p["heir_of"], "note": "戸籍により連帯保証人の死亡と相続人を確認"})
                history.append({"at": self._at(min(day + dt.timedelta(days=14), self.as_of)),
                                "kind": "保証債務履行請求書送付", "by": "otsu-02", "party": p["id"],
                                "note": "相続人として相続分に応じた履行を請求", "registered_no": self._registered_no()})
        day = min(day + dt.timedelta(days=self.rng.randint(7, 40)), self.as_of)
        acknowledged = status != "督促中" or self.rng.random() < 0.3
        call: dict[str, Any] = {"at": self._at(day), "kind": "電話", "by": "otsu-01", "party": "p1",
                                "counterpart": "本人", "identity_check": "生年月日と住所で本人確認",
                                "acknowledged": acknowledged}
        if acknowledged:
            amount = self.rng.choice([5000, 10000, 20000])
            call.update({"note": "返済の意思あり。分割での返済を希望",
                         "promise": {"amount": amount, "date": min(day + dt.timedelta(days=14), self.as_of)},
                         "next_action": "合意書案を送付"})
        else:
            call.update({"note": "留守番電話に折り返しを依頼", "next_action": "催告書を送付"})
        history.append(call)
        if not acknowledged and self.rng.random() < 0.5:
            day = min(day + dt.timedelta(days=self.rng.randint(7, 30)), self.as_of)
            history.append({"at": self._at(day), "kind": "催告書送付", "by": "otsu-02", "party": "p1",
                            "note": "内容証明郵便で催告", "registered_no": self._registered_no()})
        case["history"] = history
        if status == "分納中":
            self._agreement(case, day + dt.timedelta(days=self.rng.randint(7, 21)))

    def _agreement(self, case: dict[str, Any], day: dt.date) -> None:
        day = min(day, self.as_of)
        claim = case["claim"]
        total = claim["principal"] - sum(p["amount"] for p in claim["payments"])
        amount = self.rng.choice([5000, 10000, 15000])
        first_due = add_months(day, 1, 27)
        registered = self._registered_no()
        parties = [p["id"] for p in case["parties"] if p["role"] != "guarantor" or "deceased_on" not in p]
        case["history"].append({"at": self._at(day), "kind": "合意", "by": "otsu-01", "party": "p1",
                                "counterpart": "本人", "acknowledged": True,
                                "note": f"毎月27日限り金{amount:,}円の分納で合意（債務承認）",
                                "registered_no": registered})
        case["agreements"] = [{"date": day, "parties": parties, "total": total, "day": 27, "amount": amount,
                               "first_due": first_due, "signed": True, "registered_no": registered,
                               "acceleration": {"missed": 2}}]
        due = first_due
        while due <= self.as_of and len(claim["payments"]) < 12:
            claim["payments"].append({"date": due, "amount": amount, "note": "合意による分納"})
            due = add_months(due, 1, 27)

    def _weekly(self, n: int, case: dict[str, Any]) -> None:
        """What staff meet every week: a guarantor who pays, returned mail, an agreement that stopped."""
        claim, history = case["claim"], case["history"]
        if n == 3 and len(case["parties"]) > 1:  # the guarantor paid once: that renews the guarantor's debt only
            day = self._days_before(self.as_of, 30, 90)
            claim["payments"].append({"date": day, "amount": 5000, "party": "p2", "note": "保証人から振込"})
            claim["payments"].sort(key=lambda p: p["date"])
        if n == 10 and history:  # the first letter came back: address unknown until searched
            sent = dt.datetime.fromisoformat(history[0]["at"]).date()
            history.append({"at": self._at(min(sent + dt.timedelta(days=10), self.as_of)), "kind": "郵便返戻",
                            "by": "otsu-02", "party": "p1", "note": "督促状が返戻（あて所に尋ねあたりません）"})
        if n == 12 and case.get("agreements"):  # two installments missed: the benefit of time is lost
            first = case["agreements"][0]["first_due"]
            claim["payments"] = [p for p in claim["payments"] if p.get("note") != "合意による分納" or p["date"] == first]

    # one case

    def _case_id(self) -> str:
        while True:
            case_id = "C-" + "".join(self.rng.choice(_ID_ALPHABET) for _ in range(8))
            if case_id not in self.case_ids:
                self.case_ids.add(case_id)
                return case_id

    def case(self, n: int) -> dict[str, Any]:
        case_id = self._case_id()
        status = self.STATUSES[n % len(self.STATUSES)]
        contract = self._contract_date(after_new_law=n % 4 == 1)
        claim = self._claim(contract)
        self._early_payments(claim)
        borrower = self._person("p1", "borrower", born=self._days_before(add_months(contract, -12 * 15), 0, 360))
        parties = [borrower]
        family = (borrower["name"]["family"], borrower["name"]["family_kana"], "")
        if n % 3 == 0:
            parent_born = self._days_before(add_months(borrower["birth_date"], -12 * 26), 0, 3000)
            guarantor = self._person("p2", "guarantor", family=family, born=parent_born)
            guarantor["address"] = dict(borrower["address"])
            parties.append(guarantor)
            if n == 6:  # a deceased joint guarantor and the two heirs who take the guarantee over, half each
                guarantor["deceased_on"] = self._days_before(self.as_of, 400, 900)
                for pid in ("p3", "p4"):
                    heir = self._person(pid, "heir", family=family, born=self._days_before(borrower["birth_date"], 400, 2000))
                    heir["heir_of"], heir["share"] = "p2", "2分の1"
                    parties.append(heir)
        case = {"case_id": case_id, "status": status, "parties": parties, "claim": claim}
        self._history(case, status)
        if n == 8:  # acceleration: the whole balance falls due on the demand date
            claim["demanded_on"] = self._days_before(self.as_of, 20, 60)
            case["history"].append({"at": self._at(claim["demanded_on"]), "kind": "期限の利益喪失",
                                    "by": "otsu-01", "party": "p1", "note": "残額の一括請求（内容証明郵便）",
                                    "registered_no": self._registered_no()})
        self._weekly(n, case)
        case["history"].sort(key=lambda h: h["at"])
        if not claim["payments"]:
            del claim["payments"]
        return case


class _RecordDumper(yaml.SafeDumper):
    """Block style with small maps on one line; never an anchor (records refuse YAML aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def render(case: dict[str, Any]) -> str:
    body = yaml.dump(case, Dumper=_RecordDumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=None, width=4096)
    return f"{FICTION_MARK}\n{body}"


# --- the whole demo ------------------------------------------------------------------------------

def settle_agreement(case: dict[str, Any], record: dict[str, Any], pol: policy.Policy) -> dict[str, Any]:
    """The agreement's total as `saiken doc 合意書` checks it: principal and damages on its date."""
    entry = case["agreements"][-1]
    entry["total"] = agreement.total_on(record, pol, record["agreements"][-1])
    return case


def write_cases(root: Path, seed: int, as_of: dt.date, count: int) -> list[str]:
    store = Store.open(root)
    maker = CaseMaker(seed, as_of)
    ids = []
    for n in range(count):
        case = maker.case(n)
        # validated, and in the normal form a save writes: the first edit changes only what was edited
        text, _ = store.normalise_text(render(case), where=f"demo case {n}")
        if case.get("agreements"):
            record = store.parse(text, where=f"demo case {n}")
            text, _ = store.normalise_text(render(settle_agreement(case, record, store.policy)), where=f"demo case {n}")
        store.write_text(case["case_id"], text)
        ids.append(case["case_id"])
    return ids


def create(target: Path, *, seed: int = DEFAULT_SEED, as_of: dt.date | None = None,
           count: int = DEFAULT_COUNT) -> Demo:
    day = as_of or dt.date.today()
    root = skeleton.create(target)
    identities, publics = write_identities(root, day)
    designate(root, publics, fiscal_year_start(day))
    contract_this_year(root, fiscal_year_start(day))
    committer = next(h for h in HANDLERS if h.id == COMMITTER)
    author = (committer.name, committer.email)
    # Later commits in the demo are made as otsu-01 too, so `git commit` works out of the box.
    gitio.config_set(root, "user.name", committer.name)
    gitio.config_set(root, "user.email", committer.email)
    skeleton.commit_all(root, HANDLERS_MESSAGE, author)
    demo = Demo(root, identities, write_cases(root, seed, day, count))
    skeleton.commit_all(root, RECORDS_MESSAGE.format(n=count), author)
    write_evidence(root, identities, day)
    skeleton.commit_all(root, EVIDENCE_MESSAGE, author)
    return demo


def write_evidence(root: Path, identities: dict[str, Path], day: dt.date) -> None:
    """This year's training of every demo handler and 甲's audit, and the aggregates of the fictional
    cases (what the site's status and results pages show): a fresh demo is in order, so its first
    `saiken check --all` has nothing to warn about."""
    from saiken.ledger import aggregates, evidence

    start = fiscal_year_start(day)
    evidence.append(root, "trainings", {"date": max(start, day - dt.timedelta(days=14)),
                                        "attendees": [h.id for h in HANDLERS], "topic": "個人情報の適正な管理（デモ）"})
    evidence.append(root, "audits", {"date": max(start, day - dt.timedelta(days=7)), "by": "kou-01",
                                     "method": "立入り調査（デモ）", "result": "適正"})
    keys = crypto.load_identities([identities[COMMITTER]])
    aggregates.write(root, aggregates.compute(Store.open(root), keys, start.year, day))
