"""The record core: age files and keys, the case record, its schema, the policies that rule it,
the recipients manifest, and reading or re-encrypting many records at once."""
