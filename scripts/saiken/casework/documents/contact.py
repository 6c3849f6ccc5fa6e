"""How to pay, whom to ask, and on whose behalf the office writes – printed on every letter.

From policies/contract.yaml: `documents.payment` (振込: the account; or 納付書: the ward's payment
slip) and `documents.contact` (担当, 電話, 受付時間), and the ward and contractor names for the
sentence saying that the office acts for the ward (受任). A missing field is refused before anything
is written; a value still marked 要設定 (the shipped placeholders) is printed with a warning.
"""

from __future__ import annotations

from typing import Any

from saiken.core.policy import CONTRACT_FILE, Policy
from saiken.errors import SaikenError

TRANSFER, SLIP = "振込", "納付書"
PLACEHOLDER = "要設定"
ACCOUNT_FIELDS = {"bank": "金融機関名", "branch": "支店名", "account_type": "預金の種類",
                  "account_number": "口座番号", "account_holder": "口座名義"}
CONTACT_FIELDS = {"person": "担当", "phone": "電話", "hours": "受付時間"}
EXAMPLE = {
    "payment": "  payment: {method: 振込, bank: ○○銀行, branch: ○○支店, account_type: 普通, "
               "account_number: \"1234567\", account_holder: 新宿区会計管理者}",
    "contact": "  contact: {person: 担当者名, phone: 03-0000-0000, hours: 平日午前9時から午後5時まで}",
}


def _section(policy: Policy, key: str) -> dict[str, Any]:
    section = (policy.contract.get("documents") or {}).get(key)
    if not isinstance(section, dict):
        raise SaikenError(f"文書に印字する{'支払方法' if key == 'payment' else '問合せ先'}"
                          f"（documents.{key}）がありません。", where=CONTRACT_FILE,
                          hint=f"{CONTRACT_FILE} の documents: の下に書いてください。例:\n{EXAMPLE[key]}")
    return section


def _require(section: dict[str, Any], fields: dict[str, str], key: str) -> dict[str, str]:
    missing = [f"{name}（{label}）" for name, label in fields.items() if not str(section.get(name) or "").strip()]
    if missing:
        raise SaikenError(f"documents.{key} に {'、'.join(missing)} がありません。", where=CONTRACT_FILE,
                          hint=f"{CONTRACT_FILE} の documents.{key} に書いてください。例:\n{EXAMPLE[key]}")
    return {name: str(section[name]).strip() for name in fields}


def _payment(policy: Policy) -> tuple[str, dict[str, str]]:
    """The method (振込 / 納付書) and, for a transfer, the account."""
    section = _section(policy, "payment")
    method = section.get("method")
    if method == SLIP:
        return SLIP, {}
    if method != TRANSFER:
        raise SaikenError(f"documents.payment.method は {TRANSFER} か {SLIP} です（今は {method}）。",
                          where=CONTRACT_FILE, hint=f"例:\n{EXAMPLE['payment']}")
    return TRANSFER, _require(section, ACCOUNT_FIELDS, "payment")


def payment_lines(policy: Policy) -> list[str]:
    """お支払い方法, as lines: the account to transfer to, or the payment slip."""
    method, a = _payment(policy)
    if method == SLIP:
        return ["同封の納付書により、納付書に記載の金融機関等の窓口でお支払いください。"]
    return ["次の口座へのお振込みによりお支払いください（振込手数料はご負担ください）。",
            f"{a['bank']}　{a['branch']}　{a['account_type']}預金　口座番号{a['account_number']}　"
            f"口座名義　{a['account_holder']}"]


def agreement_method(policy: Policy) -> str:
    """The method as a deed states it (第2条)."""
    method, a = _payment(policy)
    if method == SLIP:
        return "甲の発行する納付書により納付する方法"
    return (f"甲の指定する金融機関の口座（{a['bank']}{a['branch']}　{a['account_type']}預金　口座番号"
            f"{a['account_number']}　口座名義　{a['account_holder']}）に振り込む方法")


def contact_line(policy: Policy) -> str:
    """お問い合わせ先: the office, 担当, 電話 and 受付時間."""
    c = _require(_section(policy, "contact"), CONTACT_FIELDS, "contact")
    office = str((policy.contract.get("contractor") or {}).get("name") or "")
    return f"{office}　担当　{c['person']}　電話　{c['phone']}（受付時間　{c['hours']}）"


def mandate(policy: Policy) -> str:
    """The office acts for the ward: 受任 from the ward, as agent of its head."""
    ward = policy.contract.get("ward") or {}
    office = (policy.contract.get("contractor") or {}).get("name") or ""
    return (f"{office}は、{ward.get('name') or ''}から奨学資金貸付金の督促及び回収の業務を受任し、"
            f"{ward.get('head') or ''}の代理人として本書をお送りしています。")


def notice(policy: Policy) -> dict[str, Any]:
    """Everything the letters print about paying and asking."""
    return {"mandate": mandate(policy), "payment": payment_lines(policy), "contact": contact_line(policy)}


def placeholders(policy: Policy) -> list[str]:
    """A warning naming the printed values still marked 要設定 (the shipped placeholders)."""
    docs = policy.contract.get("documents") or {}
    found = []
    for key in ("payment", "contact"):
        section = docs.get(key)
        names = [name for name, value in section.items() if PLACEHOLDER in str(value)] if isinstance(section, dict) else []
        if names:
            found.append(f"documents.{key} の {'・'.join(names)}")
    if not found:
        return []
    return [f"{CONTRACT_FILE} の {'、'.join(found)} が要設定のまま（配布時の架空の値）です。"
            "実際の値に直してから送付してください。"]
