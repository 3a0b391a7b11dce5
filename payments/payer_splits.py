"""Payer shares per cohort and/or metric: the service, the format section, the check.

    "payer_shares": [
      {"cohorts": ["2026"], "shares": [{"payer": "conseil-departemental", "share": "100"}]},
      {"metrics": ["training"], "shares": [{"payer": "etat", "share": "60"},
                                           {"payer": "fonds-cis", "share": "40"}]}
    ]

Each entry (a payer split, payments.rules.payers) says how the outcome payments of the
cohorts and/or metrics it names are shared; what no split names is shared by the
parties' programme-wide `payer_share`. The splits are stored with the programme's payment
terms (`PaymentTerms.payer_splits`), so a change of them chains a new contract version
(payments.contract), and they are fixed once the programme is active, like the parties.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from outcomes.models import Cohort, Metric
from outcomes.rule_json import RuleError
from payments.models import PaymentTerms
from payments.rules.payers import PayerSplit, ShareTotalError, SplitError
from payments.rules.programme import PayerShare, payer_splits_from_list
from sib import services
from sib.models import PartyRole, Programme, ProgrammeParty, ProgrammeStatus
from sib.programme_format import LoadContext, Section, section_register

SECTION = "payer_shares"
Errors = list[tuple[str, str]]


def splits_errors(
    data: Any,
    *,
    payers: dict[str, bool],
    cohorts: Iterable[str],
    metrics: Iterable[str],
    path: str = SECTION,
) -> Errors:
    """Return every refusal of the splits `data` against the programme's parts.

    `payers`: outcome payer slug -> whether it has a programme-wide share. A payer with
    none must be named by a split (it would otherwise never pay, which no deal means).
    """
    try:
        splits = payer_splits_from_list(data, list(payers), path)
    except ShareTotalError as exc:
        return [(exc.path, share_total_message(exc))]
    except SplitError as exc:
        return [(exc.path, split_error_message(exc))]
    except RuleError as exc:
        return [(exc.path, exc.message)]
    errors: Errors = []
    known_cohorts, known_metrics = set(cohorts), set(metrics)
    for i, split in enumerate(splits):
        for j, code in enumerate(split.cohorts):
            if code not in known_cohorts:
                message = _("unknown cohort %(code)s") % {"code": repr(code)}
                errors.append((f"{path}[{i}].cohorts[{j}]", message))
        for j, code in enumerate(split.metrics):
            if code not in known_metrics:
                message = _("unknown metric %(code)s") % {"code": repr(code)}
                errors.append((f"{path}[{i}].metrics[{j}]", message))
    named = {share.payer for split in splits for share in split.shares}
    for slug, has_share in sorted(payers.items()):
        if not has_share and slug not in named:
            message = _(
                "outcome payer %(payer)s has no payer_share and no payer split names it: "
                "it would never pay"
            ) % {"payer": repr(slug)}
            errors.append(("parties", message))
    return errors


def split_error_message(error: SplitError) -> str:
    """Return a split's refusal (payments.rules.payers) in the active language."""
    params = error.params
    if error.kind == "places":
        return (
            _(
                "the share of %(payer)s (%(share)s) has more than %(places)s decimal places, "
                "the precision the ledger keeps"
            )
            % params
        )
    if error.kind == "range":
        return _("must be above 0 and at most 100")
    if error.kind == "unknown_payer":
        return _("%(payer)s is not an outcome payer of the programme") % params
    if error.kind == "overlap":
        cohort, metric = params["cohort"], params["metric"]
        cell = {
            "cohort": _("cohort %(code)s") % {"code": repr(cohort)}
            if cohort
            else _("every cohort"),
            "metric": _("metric %(code)s") % {"code": repr(metric)}
            if metric
            else _("every metric"),
            "other": params["other"],
        }
        return (
            _(
                "%(cohort)s, %(metric)s is already split by %(other)s: one split per cohort "
                "and metric"
            )
            % cell
        )
    return error.message


def share_total_message(error: ShareTotalError) -> str:
    """Return a split's refused total in the active language, naming the cell and payers."""
    split = error.split
    if split is None:
        scope = _("programme-wide shares")
    else:
        scope = _("cohorts %(cohorts)s; metrics %(metrics)s") % {
            "cohorts": ", ".join(split.cohorts) or _("every cohort"),
            "metrics": ", ".join(split.metrics) or _("every metric"),
        }
    params = {**error.params, "scope": scope}
    if error.kind == "two_rest":
        return (
            _(
                "names more than one residual payer (%(payers)s): at most one payer per cell "
                "pays the rest (%(scope)s)"
            )
            % params
        )
    if error.kind == "no_rest":
        return (
            _(
                "the fixed shares of %(named)s sum to %(total)s, not below 100: %(payer)s "
                "would have no rest to pay (%(scope)s)"
            )
            % params
        )
    return _("the shares of %(named)s sum to %(total)s, not exactly 100 (%(scope)s)") % params


def programme_payers(
    *, programme: Programme, terms: PaymentTerms | None
) -> tuple[tuple[PayerShare, ...], tuple[PayerSplit, ...]]:
    """Return the co-payers (by organisation slug, largest share first, with their caps)
    and the payer splits of `terms`, as the engine reads them."""
    parties = ProgrammeParty.objects.filter(
        programme=programme, role=PartyRole.OUTCOME_PAYER
    ).select_related("organisation")
    shares = sorted(
        (
            PayerShare(
                p.organisation.slug,
                Decimal(p.payer_share or 0).normalize(),
                p.payer_cap,
                residual=p.payer_residual,
            )
            for p in parties
        ),
        key=lambda share: (-share.share_percent, share.payer),
    )
    splits = payer_splits_from_list(
        (terms.payer_splits or None) if terms else None, [s.payer for s in shares], SECTION
    )
    return tuple(shares), splits


def _programme_payers(programme: Programme) -> dict[str, bool]:
    parties = ProgrammeParty.objects.filter(
        programme=programme, role=PartyRole.OUTCOME_PAYER
    ).values_list("organisation__slug", "payer_share", "payer_residual")
    return {slug: share is not None or residual for slug, share, residual in parties}


def _programme_errors(programme: Programme, data: Sequence[Any]) -> Errors:
    return splits_errors(
        data or None,
        payers=_programme_payers(programme),
        cohorts=Cohort.objects.filter(programme=programme).values_list("code", flat=True),
        metrics=Metric.objects.filter(programme=programme).values_list("code", flat=True),
    )


def payer_splits_errors(*, programme: Programme, splits: list[dict[str, Any]]) -> Errors:
    """Return every refusal of `splits` for the programme, each at its JSON path, in the
    active language: the format's own check (reads only; the portal shows each refusal
    beside its field before `payer_splits_set` checks again under its lock)."""
    return _programme_errors(programme, splits)


def payer_splits_of(*, programme: Programme) -> list[dict[str, Any]]:
    """Return the programme's payer splits as the format writes them (none: [])."""
    return dump_payer_shares(programme) or []


def _refuse(errors: Errors) -> None:
    if errors:
        raise ValidationError({SECTION: [f"{path}: {message}" for path, message in errors]})


@transaction.atomic
def payer_splits_set(*, programme: Programme, splits: list[dict[str, Any]]) -> PaymentTerms:
    """Set the programme's payer splits (a draft's: they are terms of the contract)."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.status != ProgrammeStatus.DRAFT:
        raise ValidationError({SECTION: _("Payer shares are fixed once the programme is active.")})
    _refuse(_programme_errors(programme, splits))
    terms, _created = PaymentTerms.objects.get_or_create(programme=programme)
    terms.payer_splits = _normalised(splits)
    terms.save()
    return terms


def _normalised(splits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Stored as the engine writes them back ("60.0" is kept as "60"), so a dump is stable.
    return [
        PayerSplit.from_dict(item, f"{SECTION}[{i}]").to_dict() for i, item in enumerate(splits)
    ]


def payer_splits_activation_check(programme: Programme) -> None:
    """Refuse to activate a programme whose payer splits do not hold (sib.services)."""
    terms = PaymentTerms.objects.filter(programme=programme).first()
    _refuse(_programme_errors(programme, terms.payer_splits if terms else []))


# --- The format section -----------------------------------------------------------------


def validate_payer_shares(data: Any, document: dict[str, Any]) -> Errors:
    parties = [p for p in document.get("parties") or [] if isinstance(p, dict)]
    payers = {
        p["organisation"]: p.get("payer_share") is not None
        for p in parties
        if p.get("role") == PartyRole.OUTCOME_PAYER and isinstance(p.get("organisation"), str)
    }

    def codes(section: str) -> list[str]:
        items = document.get(section)
        return [
            item["code"]
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and isinstance(item.get("code"), str)
        ]

    return splits_errors(data, payers=payers, cohorts=codes("cohorts"), metrics=codes("metrics"))


def load_payer_shares(data: Any, context: LoadContext) -> None:
    payer_splits_set(programme=context.programme, splits=data)


def dump_payer_shares(programme: Programme) -> list[dict[str, Any]] | None:
    terms = PaymentTerms.objects.filter(programme=programme).first()
    return list(terms.payer_splits) if terms and terms.payer_splits else None


def register() -> None:
    # After the parties (2), cohorts and metrics (10-12), before activation (80).
    section_register(
        Section(SECTION, 32, validate_payer_shares, load_payer_shares, dump_payer_shares)
    )
    if payer_splits_activation_check not in services.ACTIVATION_CHECKS:
        services.ACTIVATION_CHECKS.append(payer_splits_activation_check)
