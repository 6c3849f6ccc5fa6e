"""The evidence the special terms ask for, kept in ledger/ without personal data: handovers
(確認書) from git history, receipts, media, audits and trainings, the access log, incidents,
reports to 甲, aggregates and erasure."""
