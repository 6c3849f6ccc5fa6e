"""What may be published: the policy site, the council report, the live status of each term
and the results with small counts suppressed – made from policies/ and ledger/, never
from records/."""
