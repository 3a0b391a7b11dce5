"""How grants and revocations of roles enter the programme's hash chain (sib.chain).

Kind "sib.role_change": one entry per `RoleChange` row, appended in the transaction that
grants or revokes the role (sib.services). The canonical JSON carries ids, never names:

    {"actor":3,"change":"grant","created_at":"2026-02-01T09:00:00+00:00","id":7,
     "membership":12,"organisation":null,"programme":1,"role":"evaluator","user":9}
"""

from collections.abc import Iterable

from sib.chain import ChainKind, canonical_json, chain_append, chain_kind_register
from sib.models import RoleChange

CHAIN_KIND = "sib.role_change"
RECORDS_SQL = (
    "SELECT id::text AS object_id FROM sib_role_change WHERE programme_id = %(programme_id)s"
)
RECORDS_SINCE_SQL = (
    "SELECT id AS object_key FROM sib_role_change "
    "WHERE programme_id = %(programme_id)s AND id > %(after_key)s"
)


def role_change_canonical(change: RoleChange) -> str:
    return canonical_json(
        {
            "actor": change.actor_id,
            "change": change.change,
            "created_at": change.created_at.isoformat(),
            "id": change.pk,
            "membership": change.membership_id,
            "organisation": change.organisation_id,
            "programme": change.programme_id,
            "role": change.role,
            "user": change.user_id,
        }
    )


def _load_canonical(object_ids: list[str]) -> Iterable[tuple[str, str]]:
    ids = [int(i) for i in object_ids if i.isdigit()]
    for change in RoleChange.objects.filter(pk__in=ids):
        yield str(change.pk), role_change_canonical(change)


def role_change_chain(*, change: RoleChange) -> None:
    """Append a role change to its programme's chain (inside the change's transaction)."""
    stored = RoleChange.objects.get(pk=change.pk)  # the canonical text of the stored row
    chain_append(
        programme=change.programme,
        kind=CHAIN_KIND,
        object_id=change.pk,
        canonical=role_change_canonical(stored),
    )


def register_chain_kind() -> None:
    chain_kind_register(
        ChainKind(
            CHAIN_KIND,
            _load_canonical,
            records_sql=RECORDS_SQL,
            records_since_sql=RECORDS_SINCE_SQL,
        )
    )
