from sib.models.idempotency import IdempotencyRecord
from sib.models.outbox import OutboxMessage, WorkerProbe
from sib.models.users import User

__all__ = ["IdempotencyRecord", "OutboxMessage", "User", "WorkerProbe"]
