"""Access decisions for doors and machines, from an in-memory snapshot of the database.

`snapshot.load_snapshot()` reads what decisions need in a few queries;
`decide.decide()` answers one badge at one device from it without touching the
database (the gateway's hot path); `allowlist.build_allow_list()` turns the
same rules into the signed allow-list a device uses when offline.
"""
