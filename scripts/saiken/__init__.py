"""saiken – encrypted case records of delinquent scholarship loans, kept in Git under the
contract's special terms on personal information (特記事項)."""

__version__ = "0.1.0"
