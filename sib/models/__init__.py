from sib.models.chain import ChainEntry
from sib.models.checkpoints import ChainCheckpoint
from sib.models.idempotency import IdempotencyRecord
from sib.models.memberships import Membership, Role
from sib.models.outbox import OutboxMessage, WorkerHeartbeat, WorkerProbe
from sib.models.parties import Organisation, OrganisationKind
from sib.models.programmes import (
    PartyRole,
    Programme,
    ProgrammeParty,
    ProgrammeStatus,
    PseudonymRule,
)
from sib.models.users import User

__all__ = [
    "ChainCheckpoint",
    "ChainEntry",
    "IdempotencyRecord",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "OutboxMessage",
    "PartyRole",
    "Programme",
    "ProgrammeParty",
    "ProgrammeStatus",
    "PseudonymRule",
    "Role",
    "User",
    "WorkerHeartbeat",
    "WorkerProbe",
]
