"""Use cases: each opens one transaction, checks rules, writes, returns plain data."""
