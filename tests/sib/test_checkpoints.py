"""Signed checkpoints: one per published state, signed by the ledger's key, never changed."""

import base64

import pytest
from django.db import DatabaseError, connection, transaction

import sib_verify
from sib.chain import GENESIS, chain_head
from sib.checkpoints import NotAState, checkpoint_issue
from sib.models import ChainCheckpoint, ChainEntry, User
from sib.signing import signing_identity
from tests.cast import make_programme
from tests.reports.conftest import make_bond

pytestmark = pytest.mark.django_db


def test_the_head_is_signed_once_and_its_first_publication_is_its_time():
    bond = make_bond()
    first = checkpoint_issue(programme=bond.programme)
    again = checkpoint_issue(programme=bond.programme)
    assert again.pk == first.pk and again.signed_at == first.signed_at
    assert first.head == chain_head(programme_id=bond.programme.pk)
    assert first.seq == ChainEntry.objects.filter(programme=bond.programme).count()
    payload = sib_verify.checkpoint_payload(
        programme="jardins",
        programme_id=bond.programme.pk,
        seq=first.seq,
        head=first.head,
        at=first.signed_at.isoformat().replace("+00:00", "Z"),
    )
    assert first.payload == payload
    assert first.certificate_sha256 == signing_identity().fingerprint
    assert sib_verify.signature_verify(
        signing_identity().certificate, payload.encode(), base64.b64decode(first.signature)
    )


def test_a_past_state_can_be_checkpointed_but_not_one_the_chain_never_had():
    bond = make_bond()
    entry = ChainEntry.objects.filter(programme=bond.programme).order_by("seq")[2]
    assert checkpoint_issue(programme=bond.programme, seq=entry.seq).head == entry.hash
    with pytest.raises(NotAState):
        checkpoint_issue(programme=bond.programme, seq=10_000)


def test_a_fresh_programme_is_checkpointed_at_its_set_up_state():
    # A programme's chain is never empty: its terms and its creator's grant are chained
    # as it is created.
    creator = User.objects.create_user("draft-manager")
    programme = make_programme("draft", creator, activate=False)
    entries = ChainEntry.objects.filter(programme=programme)
    checkpoint = checkpoint_issue(programme=programme)
    assert checkpoint.seq == entries.count() > 0
    assert checkpoint.head == entries.order_by("-seq").first().hash != GENESIS


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE sib_chain_checkpoint SET head = repeat('0', 64)",
        "DELETE FROM sib_chain_checkpoint",
        "TRUNCATE sib_chain_checkpoint",
    ],
)
def test_the_app_role_cannot_change_or_remove_a_checkpoint(statement):
    bond = make_bond()
    checkpoint = checkpoint_issue(programme=bond.programme)
    with (
        connection.cursor() as cursor,
        pytest.raises(DatabaseError, match="permission denied"),
        transaction.atomic(),
    ):
        cursor.execute(statement)
    assert ChainCheckpoint.objects.get(pk=checkpoint.pk).head == checkpoint.head
