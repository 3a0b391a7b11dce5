"""The address a request comes from, when the service runs behind reverse proxies.

Behind a proxy, REMOTE_ADDR is the proxy's address for every user, so a login lockout
keyed on it would be shared by everyone. Each trusted proxy appends the address it saw
to X-Forwarded-For; with TRUSTED_PROXIES = n, the client is the n-th address from the
right. Addresses further left were written by the client and are never believed.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address as the outermost trusted proxy saw it."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXIES
    if count < 1:
        return remote
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    if len(forwarded) < count:
        return remote  # not through every proxy: the nearest one is all we know
    return forwarded[-count]
