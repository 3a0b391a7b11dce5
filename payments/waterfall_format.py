"""The "waterfall" and "payment_terms" sections of the programme definition JSON.

    "waterfall": [
      {"kind": "fees", "recipient": "impact-partenaires", "share": "0.02", "cap": 2000000},
      {"kind": "principal", "tranche": "senior"},
      {"kind": "return", "tranche": "senior"},
      {"kind": "principal", "tranche": "junior"},
      {"kind": "return", "tranche": "junior"},
      {"kind": "guarantee_reimbursement", "tranche": "guarantee"},
      {"kind": "provider_success_fee", "recipient": "jardins-asso", "share": "0.10"},
      {"kind": "investor_success_fee", "tranche": "junior", "share": "0.20"},
      {"kind": "recycle", "limit": 5000000},
      {"kind": "residual_to_payer"}
    ],
    "payment_terms": {"participant_cap": 550000, "indexation": null,
                      "savings_repayment_target": null, "savings_switch": "repaid"}

The order of the list IS the distribution order (payments.engine.waterfall): seniority,
"recoverable grants only from surplus", success fees before or after the investors — all
are said by where a step sits. Shares are fractions written as strings ("0.02"); money is
integer minor units. Every error names its JSON path (`waterfall[3].tranche`).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from outcomes.rule_json import RuleError
from payments.engine.terms import (
    Fees,
    GuaranteeReimbursement,
    InvestorSuccessFee,
    Principal,
    ProviderSuccessFee,
    Recycle,
    ResidualToPayer,
    Return,
    Step,
)
from payments.models import PaymentTerms
from payments.rules.programme import Indexation
from sib.programme_format import LoadContext, Section, section_register

Errors = list[tuple[str, str]]

_KEYS: dict[str, set[str]] = {
    "fees": {"kind", "recipient", "amount", "share", "cap"},
    "principal": {"kind", "tranche"},
    "return": {"kind", "tranche"},
    "guarantee_reimbursement": {"kind", "tranche"},
    "provider_success_fee": {"kind", "recipient", "share", "cap"},
    "investor_success_fee": {"kind", "tranche", "share", "cap"},
    "recycle": {"kind", "recipient", "limit"},
    "residual_to_payer": {"kind"},
}


class StepError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        self.path, self.message = path, message
        super().__init__(f"{path}: {message}")


def _money(item: dict[str, Any], key: str, path: str, *, required: bool = False) -> int | None:
    value = item.get(key)
    if value is None:
        if required:
            raise StepError(f"{path}.{key}", _("is required"))
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StepError(f"{path}.{key}", _("must be a non-negative integer of minor units"))
    return value


def _share(item: dict[str, Any], path: str) -> Decimal:
    value = item.get("share")
    if value is None:
        raise StepError(f"{path}.share", _("is required"))
    if isinstance(value, float) or not isinstance(value, str | int):
        raise StepError(f"{path}.share", _('must be a decimal string such as "0.10"'))
    try:
        share = Decimal(value)
    except InvalidOperation:
        message = _("is not a number: %(value)r") % {"value": value}
        raise StepError(f"{path}.share", message) from None
    if not share.is_finite() or not 0 <= share <= 1:
        raise StepError(f"{path}.share", _("must be a fraction between 0 and 1"))
    return share


def _name(item: dict[str, Any], key: str, path: str, default: str | None = None) -> str:
    value = item.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise StepError(f"{path}.{key}", _("must be a non-empty string"))
    return value


def step_from_dict(item: Any, path: str) -> Step:
    """Return the engine step the JSON object describes, or raise StepError naming the path."""
    if not isinstance(item, dict):
        raise StepError(path, _("must be an object"))
    kind = item.get("kind")
    if kind not in _KEYS:
        choices = ", ".join(sorted(_KEYS))
        raise StepError(f"{path}.kind", _("must be one of %(choices)s") % {"choices": choices})
    for key in sorted(set(item) - _KEYS[kind]):
        raise StepError(f"{path}.{key}", _("unknown key"))
    if kind in {"principal", "return", "guarantee_reimbursement"}:
        tranche = _name(item, "tranche", path)
        if kind == "principal":
            return Principal(tranche=tranche)
        return Return(tranche=tranche) if kind == "return" else GuaranteeReimbursement(tranche)
    if kind == "fees":
        amount = _money(item, "amount", path) or 0
        share = _share(item, path) if "share" in item else Decimal(0)
        if (amount > 0) == (share > 0):
            raise StepError(path, _("fees need exactly one of a positive amount and a share"))
        return Fees(
            recipient=_name(item, "recipient", path),
            amount=amount,
            share=share,
            cap=_money(item, "cap", path),
        )
    if kind == "provider_success_fee":
        return ProviderSuccessFee(
            share=_share(item, path),
            recipient=_name(item, "recipient", path, "provider"),
            cap=_money(item, "cap", path),
        )
    if kind == "investor_success_fee":
        return InvestorSuccessFee(
            tranche=_name(item, "tranche", path),
            share=_share(item, path),
            cap=_money(item, "cap", path),
        )
    if kind == "recycle":
        limit = _money(item, "limit", path, required=True)
        assert limit is not None
        return Recycle(limit=limit, recipient=_name(item, "recipient", path, "programme"))
    return ResidualToPayer()


def step_to_dict(step: Step) -> dict[str, Any]:
    """Return the JSON object of an engine step (the inverse of `step_from_dict`)."""
    if isinstance(step, Principal | Return | GuaranteeReimbursement):
        return {"kind": step.kind, "tranche": step.tranche}
    if isinstance(step, Fees):
        data: dict[str, Any] = {"kind": step.kind, "recipient": step.recipient}
        if step.amount:
            data["amount"] = step.amount
        else:
            data["share"] = str(step.share)
        if step.cap is not None:
            data["cap"] = step.cap
        return data
    if isinstance(step, ProviderSuccessFee):
        data = {"kind": step.kind, "recipient": step.recipient, "share": str(step.share)}
        if step.cap is not None:
            data["cap"] = step.cap
        return data
    if isinstance(step, InvestorSuccessFee):
        data = {"kind": step.kind, "tranche": step.tranche, "share": str(step.share)}
        if step.cap is not None:
            data["cap"] = step.cap
        return data
    if isinstance(step, Recycle):
        return {"kind": step.kind, "recipient": step.recipient, "limit": step.limit}
    return {"kind": step.kind}


def steps_from_list(data: Any, path: str = "waterfall") -> tuple[Step, ...]:
    """Parse the whole list of steps; the tranche references are checked against the tranches."""
    if not isinstance(data, list):
        raise StepError(path, _("must be a list of steps"))
    steps = tuple(step_from_dict(item, f"{path}[{i}]") for i, item in enumerate(data))
    for i, step in enumerate(steps):
        if isinstance(step, ResidualToPayer) and i != len(steps) - 1:
            raise StepError(f"{path}[{i}].kind", _("residual_to_payer must be the last step"))
    return steps


def _tranche_kinds(document: dict[str, Any]) -> dict[str, str] | None:
    """Return tranche key -> kind from the document's "tranches" section, if it has one."""
    tranches = document.get("tranches")
    if not isinstance(tranches, list):
        return None
    return {
        str(t.get("key")): str(t.get("kind"))
        for t in tranches
        if isinstance(t, dict) and t.get("key") is not None
    }


def validate_waterfall(data: Any, document: dict[str, Any]) -> Errors:
    try:
        steps = steps_from_list(data)
    except StepError as exc:
        return [(exc.path, exc.message)]
    kinds = _tranche_kinds(document)
    errors: Errors = []
    for i, step in enumerate(steps):
        tranche = getattr(step, "tranche", None)
        if tranche is None:
            continue
        path = f"waterfall[{i}].tranche"
        if kinds is None or tranche not in kinds:
            errors.append((path, _("unknown tranche %(tranche)r") % {"tranche": tranche}))
        elif isinstance(step, GuaranteeReimbursement) and kinds[tranche] != "guarantee":
            errors.append((path, _("%(tranche)r is not a guarantee") % {"tranche": tranche}))
        elif isinstance(step, Principal | Return) and kinds[tranche] == "guarantee":
            message = _("%(tranche)r is a guarantee: use guarantee_reimbursement")
            errors.append((path, message % {"tranche": tranche}))
        elif isinstance(step, InvestorSuccessFee) and kinds[tranche] == "guarantee":
            message = _("%(tranche)r is a guarantee: its guarantors earn no success fee")
            errors.append((path, message % {"tranche": tranche}))
    return errors


def validate_payment_terms(data: Any, document: dict[str, Any]) -> Errors:
    # Keys, amounts and types are the format's JSON Schema; the indexation's own rule
    # (years increasing) is payments.rules.programme's.
    if not isinstance(data, dict):
        return []
    errors: Errors = []
    if data.get("indexation") is not None:
        try:
            Indexation.from_dict(data["indexation"], "payment_terms.indexation")
        except RuleError as exc:
            errors.append((exc.path, exc.message))
    return errors


def _terms(context: LoadContext) -> Any:
    terms, _ = PaymentTerms.objects.get_or_create(programme=context.programme)
    return terms


def load_waterfall(data: Any, context: LoadContext) -> None:
    terms = _terms(context)
    terms.waterfall = [step_to_dict(step) for step in steps_from_list(data)]
    terms.save()


def load_payment_terms(data: Any, context: LoadContext) -> None:
    terms = _terms(context)
    terms.participant_cap = data.get("participant_cap")
    terms.indexation = data.get("indexation")
    terms.savings_repayment_target = data.get("savings_repayment_target")
    terms.savings_switch = data.get("savings_switch") or "target"
    terms.save()


def dump_waterfall(programme: Any) -> Any:
    terms = PaymentTerms.objects.filter(programme=programme).first()
    return list(terms.waterfall) if terms and terms.waterfall else None


def dump_payment_terms(programme: Any) -> Any:
    terms = PaymentTerms.objects.filter(programme=programme).first()
    if terms is None:
        return None
    data = {
        "participant_cap": terms.participant_cap,
        "indexation": terms.indexation,
        "savings_repayment_target": terms.savings_repayment_target,
    }
    if terms.savings_switch != "target":
        # The default is left out, so the documents written before the option dump as
        # they were.
        data["savings_switch"] = terms.savings_switch
    return data


def register() -> None:
    # After the tranches (the steps name them) and the metrics, before activation (80).
    section_register(Section("waterfall", 30, validate_waterfall, load_waterfall, dump_waterfall))
    section_register(
        Section("payment_terms", 31, validate_payment_terms, load_payment_terms, dump_payment_terms)
    )
