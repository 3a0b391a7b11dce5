"""Pseudonyms: the only trace of a participant the ledger keeps.

pseudonym = HMAC-SHA256(programme key, provider's own participant id), in hex, where
programme key = HMAC-SHA256(server secret, "sib-pseudonym|<programme id>").

The server secret is PSEUDONYM_KEY (falling back to SECRET_KEY in development). Deriving
the key per programme means the same person in two programmes gets two unrelated
pseudonyms, and no programme key is ever stored. Changing PSEUDONYM_KEY changes every
pseudonym: later files would no longer match earlier ones, so rotate it only with a plan.
"""

import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _server_secret() -> bytes:
    secret = settings.PSEUDONYM_KEY  # read from the environment by settings (sib.env)
    if not secret:
        if getattr(settings, "PRODUCTION", False):
            raise ImproperlyConfigured("PSEUDONYM_KEY must be set when SIB_ENV=production.")
        secret = settings.SECRET_KEY
    return str(secret).encode()


def programme_key(*, programme_id: int) -> bytes:
    """Return the programme's pseudonym key, derived from the server secret."""
    return hmac.digest(_server_secret(), f"sib-pseudonym|{programme_id}".encode(), "sha256")


class Pseudonymiser:
    """Hash many participant ids with one programme key, fast (1M ids in a bulk import).

    HMAC is H((K ^ opad) ‖ H((K ^ ipad) ‖ m)): the two keyed states are hashed once and
    copied per id, which halves the cost of calling hmac.new for each id.
    """

    def __init__(self, *, programme_id: int) -> None:
        key = programme_key(programme_id=programme_id).ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __call__(self, participant_id: str) -> str:
        return self.many([participant_id])[0]

    def many(self, participant_ids: Iterable[str]) -> list[str]:
        """Return the pseudonyms of many ids, in order: one loop, no call per id."""
        inner_copy, outer_copy = self._inner.copy, self._outer.copy
        pseudonyms: list[str] = []
        add = pseudonyms.append
        for participant_id in participant_ids:
            inner = inner_copy()
            inner.update(participant_id.encode())
            outer = outer_copy()
            outer.update(inner.digest())
            add(outer.hexdigest())
        return pseudonyms


def pseudonym(*, programme_id: int, participant_id: str) -> str:
    """Return the pseudonym of one provider participant id in a programme."""
    return hmac.new(
        programme_key(programme_id=programme_id), participant_id.encode(), hashlib.sha256
    ).hexdigest()
