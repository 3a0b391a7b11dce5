"""The contract's terms, frozen into a chained `ContractVersion` whenever they change.

A schedule depends on terms the ledger and the results do not carry: the programme's dates
and status (a termination), the payment rules (payers' shares, metrics, caps, indexation),
the tranches and commitments, and the waterfall. Whenever one of them changes, the write
that changes it appends a new contract version to the programme's chain in its own
transaction, so every state of the chain names the terms its schedule is computed from.

Those writes are spread over three apps (sib: programme fields and status, payers' shares;
outcomes: metrics; payments: tranches, commitments, payment terms), and sib and outcomes
must not import payments. So payments listens, from its AppConfig, to the saves and
deletes of those models (`connect`) and records the version there: one place, which also
covers the programme definition loader, the admin and every future service, without any
of them having to remember. Reads never record anything: they use the version chained
last at or before their state (`contract_version_at`).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from outcomes.models import Metric
from payments.engine.coupon import CouponCap
from payments.engine.redemption import RedemptionTerms
from payments.engine.terms import AnnualRateCap, IrrCap, MultipleCap
from payments.models import Commitment, ContractVersion, PaymentTerms, Tranche
from payments.models.variations import variation_terms
from payments.outcome_payments import programme_rules
from payments.rules.programme import ProgrammeRules
from payments.savings_switch import savings_repayment_target
from payments.waterfall_format import step_to_dict, steps_from_list
from sib.chain import ChainKind, canonical_json, chain_append, chain_kind_register, chain_lock
from sib.models import ChainEntry, Programme, ProgrammeParty

CONTRACT_CHAIN_KIND = "payments.contract_version"
# The caps a tranche's cap_type and cap_value give; a coupon is its own term.
RateCap = AnnualRateCap | IrrCap | MultipleCap


def engine_cap(cap_type: str, value: Decimal | None) -> RateCap | None:
    """Return a tranche's return cap as the engine reads it (None: uncapped)."""
    if value is None or cap_type == "none":
        return None
    if cap_type == "annual_rate":
        return AnnualRateCap(Decimal(value).normalize())
    if cap_type == "irr":
        return IrrCap(Decimal(value).normalize())
    return MultipleCap(Decimal(value).normalize())


def _cap_terms(cap: RateCap | None) -> list[str] | None:
    if cap is None:
        return None
    value = cap.multiple if isinstance(cap, MultipleCap) else cap.rate
    return [cap.kind, str(value)]


def _tranche_terms(programme: Programme) -> list[dict[str, Any]]:
    commitments: dict[int, list[list[Any]]] = defaultdict(list)
    rows = Commitment.objects.filter(programme=programme).order_by("investor__slug")
    for tranche_id, investor, amount in rows.values_list("tranche_id", "investor__slug", "amount"):
        commitments[tranche_id].append([investor, amount])
    tranches = Tranche.objects.filter(programme=programme).select_related("protects")
    terms = []
    for row in tranches.order_by("priority"):
        item: dict[str, Any] = {
            "cap": _cap_terms(engine_cap(row.cap_type, row.cap_value)),
            "commitments": commitments.get(row.pk, []),
            "id": row.key,
            "kind": row.kind,
            "protects": row.protects.key if row.protects else None,
        }
        if row.coupon is not None:
            # Only a coupon adds its terms: versions chained before coupons read the same.
            item["coupon"] = CouponCap.from_dict(row.coupon, "coupon").to_dict()
        if row.redemption is not None:
            # The same for a redemption term.
            item["redemption"] = RedemptionTerms.from_dict(row.redemption, "redemption").to_dict()
        if row.cover_percent is not None:
            # Only a percentage cover adds its terms. A guarantee with a limit alone
            # covers the whole loss up to its commitments, which never pass the limit
            # (commitment_create), so its terms, and every contract version chained
            # before percentages existed, read as they always did.
            item["cover_percent"] = format(row.cover_percent.normalize(), "f")
            item["cover_limit"] = row.cover_limit
        terms.append(item)
    return terms


def _waterfall_terms(programme: Programme) -> list[dict[str, Any]]:
    terms = PaymentTerms.objects.filter(programme=programme).first()
    return [step_to_dict(step) for step in steps_from_list(terms.waterfall if terms else [])]


def contract_definition(*, programme: Programme) -> dict[str, Any]:
    """Return every term the schedule depends on that the chain does not already carry."""
    definition = {
        "programme": {
            "currency": programme.currency,
            "end_date": programme.end_date.isoformat(),
            "start_date": programme.start_date.isoformat(),
            "status": programme.status,
            "termination_date": (
                programme.termination_date.isoformat() if programme.termination_date else None
            ),
        },
        "rules": _plain(programme_rules(programme=programme).to_dict()),
        "savings_repayment_target": savings_repayment_target(programme=programme),
        "tranches": _tranche_terms(programme),
        "waterfall": _waterfall_terms(programme),
    }
    terms = PaymentTerms.objects.filter(programme=programme).first()
    if terms is not None and terms.savings_switch == "repaid":
        # Only when not the default, so the versions chained before the option keep
        # their digests.
        definition["savings_switch"] = "repaid"
    variations = variation_terms(programme_id=programme.pk)
    if variations:
        # Only a varied programme adds the key: the terms of every other programme, and
        # every version chained before variations existed, read as they always did.
        definition["variations"] = variations
    return definition


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def contract_version_record(*, programme: Programme) -> Any:
    """Return the current contract version, chaining a new one if the terms changed.

    Call it in the transaction of the write that changes the terms (`connect` does).
    """
    # The chain lock first: two changes committing at once each compare with the version
    # the other may be appending; serialised, the second sees the first's version.
    chain_lock(programme_id=programme.pk)
    fresh = Programme.objects.get(pk=programme.pk)
    text = canonical_json(contract_definition(programme=fresh))
    digest = hashlib.sha256(text.encode()).hexdigest()
    latest = ContractVersion.objects.filter(programme=fresh).order_by("-id").first()
    if latest is not None and latest.digest == digest:
        return latest
    version = ContractVersion.objects.create(programme=fresh, digest=digest, definition=text)
    chain_append(
        programme=fresh,
        kind=CONTRACT_CHAIN_KIND,
        object_id=version.pk,
        canonical=_contract_canonical(version.pk, fresh.pk, text),
    )
    return version


# The rules of recent contract versions, by (programme, version, digest): oldest first.
_RULES_BY_VERSION: dict[tuple[int, int, str], ProgrammeRules] = {}
_RULES_KEPT = 64


def programme_rules_of(
    *, programme: Programme, version: int | None, digest: str | None
) -> ProgrammeRules:
    """Return `programme_rules(programme)`, read once per contract version.

    `version` and `digest`: the programme's latest contract version (its id and digest),
    read in the caller's transaction; None: none chained yet, nothing kept. Every save or
    delete that can change the rules chains a new version, in its own transaction
    (`connect`, and a variation), and the digest covers the rules (`contract_definition`).
    So while that version is the latest, the rules read are those it froze, and once
    terms change the key changes: what is kept is never superseded terms. The version's
    id is in the key too: terms changed and changed back chain a new version with an
    old digest, which must not find rules kept in between. The rules are frozen
    dataclasses, shared safely.
    """
    if version is None or digest is None:
        return programme_rules(programme=programme)
    key = (programme.pk, version, digest)
    rules = _RULES_BY_VERSION.pop(key, None)
    if rules is None:
        rules = programme_rules(programme=programme)
        while len(_RULES_BY_VERSION) >= _RULES_KEPT:
            del _RULES_BY_VERSION[next(iter(_RULES_BY_VERSION))]
    _RULES_BY_VERSION[key] = rules  # (re)inserted last: the least recently used go first
    return rules


def contract_version_at(*, programme: Programme, seq: int) -> Any:
    """Return the contract version chained last at or before chain entry `seq` (or None)."""
    entry = (
        ChainEntry.objects.filter(programme=programme, kind=CONTRACT_CHAIN_KIND, seq__lte=seq)
        .order_by("-seq")
        .values_list("object_id", flat=True)
        .first()
    )
    if entry is None:
        return None
    return ContractVersion.objects.get(pk=int(entry), programme=programme)


def contract_terms(version: Any) -> dict[str, Any]:
    """Return the terms a contract version froze (the `contract_definition` of its day)."""
    terms: dict[str, Any] = json.loads(version.definition)
    return terms


def _contract_canonical(pk: int, programme_id: int, definition: str) -> str:
    # The digest is recomputed from the stored definition, so changing either breaks the chain.
    return canonical_json(
        {
            "definition_sha256": hashlib.sha256(definition.encode()).hexdigest(),
            "id": pk,
            "programme": programme_id,
        }
    )


def _load_contract_canonical(object_ids: list[str]) -> Any:
    ids = [int(i) for i in object_ids if i.isdigit()]
    # Only these columns: verification may run under a caller's DateStyle, in which the
    # row's timestamp would not even load.
    rows = ContractVersion.objects.filter(pk__in=ids).values_list(
        "pk", "programme_id", "definition"
    )
    for pk, programme_id, definition in rows:
        yield str(pk), _contract_canonical(pk, programme_id, definition)


def register_chain_kind() -> None:
    chain_kind_register(
        ChainKind(
            CONTRACT_CHAIN_KIND,
            _load_contract_canonical,
            records_sql=(
                "SELECT id::text AS object_id FROM payments_contract_version "
                "WHERE programme_id = %(programme_id)s"
            ),
            records_since_sql=(
                "SELECT id AS object_key FROM payments_contract_version "
                "WHERE programme_id = %(programme_id)s AND id > %(after_key)s"
            ),
        )
    )


# --- Recording every change -------------------------------------------------------------


def _terms_changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loading a fixture: rows as they were, no service ran
        return
    programme_id = instance.pk if isinstance(instance, Programme) else instance.programme_id
    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is None:  # the programme itself is being deleted
        return
    # A write outside any transaction (a shell, a bare save) still gets its version, in a
    # transaction of its own right after it; a service's write gets it in its transaction.
    with transaction.atomic():
        contract_version_record(programme=programme)


def connect() -> None:
    """Chain a new contract version after every save or delete that can change the terms."""
    for model in (Programme, ProgrammeParty, Metric, PaymentTerms, Tranche, Commitment):
        uid = f"payments.contract:{model.__name__}"
        post_save.connect(_terms_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_terms_changed, sender=model, dispatch_uid=f"{uid}:delete")
