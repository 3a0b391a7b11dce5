"""Helpers shared by tests."""

import hashlib
import re
import time

import pytest


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll until predicate() is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


def run_pending_chain_check(programme) -> None:  # type: ignore[no-untyped-def]
    """Do the worker's part of a chain check asked for on the portal (sib.chain_checks)."""
    from sib.chain_checks import chain_check_run
    from sib.models import ChainCheck

    chain_check_run(check_id=ChainCheck.objects.get(programme=programme, status="queued").pk)


def pseudonym_of(name: str) -> str:
    """Return a stored-shape pseudonym (64 hex characters, 32 bytes) for a test's name.

    The database keeps a participant record's pseudonym as an HMAC-SHA256's 32 bytes
    (outcomes migration 0014); tests that name people "alice" or "p1" store this instead.
    """
    if re.fullmatch("[0-9a-f]{64}", name):
        return name
    return hashlib.sha256(name.encode()).hexdigest()
