from sib.models.chain import ChainEntry, ChainHead
from sib.models.chain_checks import ChainCheck, ChainCheckKind, ChainCheckStatus
from sib.models.checkpoints import ChainCheckpoint
from sib.models.facts import ProgrammeFacts
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
from sib.models.role_changes import RoleChange, RoleChangeKind
from sib.models.users import User

__all__ = [
    "ChainCheck",
    "ChainCheckKind",
    "ChainCheckStatus",
    "ChainCheckpoint",
    "ChainEntry",
    "ChainHead",
    "IdempotencyRecord",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "OutboxMessage",
    "PartyRole",
    "Programme",
    "ProgrammeFacts",
    "ProgrammeParty",
    "ProgrammeStatus",
    "PseudonymRule",
    "Role",
    "RoleChange",
    "RoleChangeKind",
    "User",
    "WorkerHeartbeat",
    "WorkerProbe",
]
