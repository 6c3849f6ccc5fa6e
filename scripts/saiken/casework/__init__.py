"""The law office's daily work on a case: the claim and its installments, payments and the
negotiation log, limitation (消滅時効), the worklist and the documents made from a record."""
