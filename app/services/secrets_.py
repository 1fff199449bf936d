"""Random secrets that are shown once and stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str, nbytes: int) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def hash_secret(secret: str) -> str:
    # The secrets carry 128+ random bits, so a fast hash is enough: there is
    # nothing to brute-force, unlike a password.
    return hashlib.sha256(secret.encode()).hexdigest()
