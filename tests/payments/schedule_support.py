"""Build a bond in the database for schedule tests, the way services would."""

import datetime
from decimal import Decimal
from typing import Any

from outcomes import services as outcome_services
from outcomes.models import Cohort, MeasurementPeriod, Metric, ParticipantRecord, Result
from payments import ledger
from payments import services as money
from payments.ledger import LegSpec
from payments.models import AccountKind, Commitment, PaymentTerms, Tranche, TransactionKind
from payments.outcome_payments import outcome_payment_receive
from sib import services as sib_services
from sib.models import Membership, Organisation, Programme, User
from tests.support import pseudonym_of

D = datetime.date
START, END = D(2026, 1, 1), D(2030, 12, 31)


def org(slug: str, kind: str) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(
        slug=slug, defaults={"name": slug.replace("-", " ").title(), "kinds": [kind]}
    )
    return organisation


class Deal:
    """A programme with its people; each method adds one thing through the services."""

    def __init__(
        self,
        slug: str,
        *,
        payers: tuple[tuple[str, str], ...] = (("etat", "70"), ("departement-13", "30")),
        contract_cap: int | None = 150_000_000,
        start: datetime.date = START,
        end: datetime.date = END,
    ) -> None:
        self.manager = User.objects.create(username=f"{slug}-manager")
        self.evaluator = User.objects.create(username=f"{slug}-evaluator")
        self.lead = User.objects.create(username=f"{slug}-lead")
        self.programme: Programme = sib_services.programme_create(
            creator=self.manager,
            name=slug,
            slug=slug,
            currency="EUR",
            start_date=start,
            end_date=end,
            contract_cap=contract_cap,
        )
        for payer, share in payers:
            sib_services.programme_party_add(
                programme=self.programme,
                organisation=org(payer, "outcome_payer"),
                role="outcome_payer",
                payer_share=Decimal(share),
            )
        self.programme = sib_services.programme_activate(programme=self.programme)
        for user, role in ((self.evaluator, "evaluator"), (self.lead, "lead_evaluator")):
            Membership.objects.create(user=user, programme=self.programme, role=role)
        if not Membership.objects.filter(user=self.manager, programme=self.programme).exists():
            Membership.objects.create(
                user=self.manager, programme=self.programme, role="fund_manager"
            )
        self.cohorts: dict[str, Cohort] = {}
        self.periods: dict[str, MeasurementPeriod] = {}
        self.metrics: dict[str, Metric] = {}
        self.tranches: dict[str, Tranche] = {}
        self.commitments: dict[tuple[str, str], Commitment] = {}

    # --- outcomes -------------------------------------------------------------------------

    def cohort(self, code: str, size: int = 100) -> "Deal":
        self.cohorts[code] = outcome_services.cohort_create(
            programme=self.programme, code=code, name=code, planned_size=size
        )
        return self

    def period(self, code: str, start: datetime.date, end: datetime.date) -> "Deal":
        self.periods[code] = outcome_services.period_create(
            programme=self.programme, code=code, name=code, start_date=start, end_date=end
        )
        return self

    def metric(
        self,
        code: str,
        mechanism: dict[str, Any],
        *,
        cohorts: list[str] | None = None,
        periods: list[str] | None = None,
        unit: str = "participant_outcome",
        **fields: Any,
    ) -> "Deal":
        self.metrics[code] = outcome_services.metric_create(
            programme=self.programme,
            code=code,
            name=fields.pop("name", code),
            definition=code,
            unit=unit,
            mechanism=mechanism,
            cohorts=cohorts or list(self.cohorts),
            periods=periods or list(self.periods),
            **fields,
        )
        return self

    def participants(
        self,
        metric: str,
        cohort: str,
        period: str,
        people: list[tuple[str, datetime.date]],
        *,
        stage: str = "final",
    ) -> Result:
        """Submit a participant-backed result and have it verified by the lead."""
        result = Result.objects.create(
            programme=self.programme,
            metric=self.metrics[metric],
            cohort=self.cohorts[cohort],
            period=self.periods[period],
            stage=stage,
            value=len(people),
            from_participants=True,
            submitted_by=self.evaluator,
        )
        ParticipantRecord.objects.bulk_create(
            ParticipantRecord(
                result=result,
                metric=self.metrics[metric],
                cohort=self.cohorts[cohort],
                period=self.periods[period],
                pseudonym=pseudonym_of(pseudonym),
                achieved_on=on,
                occurrence=on if self.metrics[metric].by_occurrence else None,
            )
            for pseudonym, on in people
        )
        outcome_services.result_verify(result=result, user=self.lead)
        return result

    def result(
        self,
        metric: str,
        cohort: str,
        period: str,
        value: Any,
        *,
        verify: bool = True,
        stage: str = "final",
        **values: Any,
    ) -> Result:
        result = outcome_services.result_submit(
            programme=self.programme,
            user=self.evaluator,
            metric=self.metrics[metric],
            cohort=self.cohorts[cohort],
            period=self.periods[period],
            stage=stage,
            values=outcome_services.ResultValues(value=Decimal(str(value)), **values),
        )
        if verify:
            outcome_services.result_verify(result=result, user=self.lead)
        return result

    # --- capital --------------------------------------------------------------------------

    def tranche(
        self,
        key: str,
        kind: str,
        priority: int,
        *,
        cap: tuple[str, str] | None = None,
        protects: str | None = None,
        cover: int | None = None,
        name: str | None = None,
    ) -> "Deal":
        self.tranches[key] = money.tranche_create(
            programme=self.programme,
            key=key,
            name=name or key,
            kind=kind,
            priority=priority,
            cap_type=cap[0] if cap else "none",
            cap_value=Decimal(cap[1]) if cap else None,
            protects=self.tranches[protects] if protects else None,
            cover_limit=cover,
        )
        return self

    def commit(self, tranche: str, investor: str, amount: int, on: datetime.date = START) -> "Deal":
        self.commitments[(tranche, investor)] = money.commitment_create(
            tranche=self.tranches[tranche],
            investor=org(investor, "investor"),
            amount=amount,
            committed_on=on,
        )
        return self

    def draw(self, tranche: str, investor: str, on: datetime.date, amount: int) -> "Deal":
        money.drawdown_record(
            commitment=self.commitments[(tranche, investor)],
            called_on=on,
            amount=amount,
            actor=self.manager,
        )
        return self

    def terms(self, waterfall: list[dict[str, Any]], **terms: Any) -> "Deal":
        PaymentTerms.objects.update_or_create(
            programme=self.programme, defaults={"waterfall": waterfall, **terms}
        )
        return self

    def receive(self, payer: str, amount: int, on: datetime.date, *, advance: bool = False) -> Any:
        """Record a payment received; `advance` for cash the waterfall tests receive
        without the results that would make it due."""
        return outcome_payment_receive(
            programme=self.programme,
            payer=Organisation.objects.get(slug=payer),
            amount=amount,
            received_on=on,
            actor=self.manager,
            advance=advance,
        )

    def receive_owed(self, payer: str, amount: int, on: datetime.date) -> Any:
        """Record a payment received for a due booked here by hand: cash the waterfall
        tests distribute without the results that would make it due. (An advance is not
        distributed until a due meets it: docs/ledger.md, "Advances".)"""
        organisation = Organisation.objects.get(slug=payer)
        ledger.transaction_post(
            programme=self.programme,
            kind=TransactionKind.OUTCOME_DUE,
            occurred_on=on,
            legs=[
                LegSpec(
                    ledger.account_for(
                        programme=self.programme,
                        kind=AccountKind.PAYER_RECEIVABLE,
                        organisation=organisation,
                    ),
                    debit=amount,
                ),
                LegSpec(
                    ledger.account_for(programme=self.programme, kind=AccountKind.OUTCOME_INCOME),
                    credit=amount,
                ),
            ],
            description=f"Due booked by hand for a test: {payer}",
        )
        return self.receive(payer, amount, on)

    def refresh(self) -> Programme:
        self.programme.refresh_from_db()
        return self.programme


SENIOR_JUNIOR = [
    {"kind": "principal", "tranche": "senior"},
    {"kind": "return", "tranche": "senior"},
    {"kind": "principal", "tranche": "junior"},
    {"kind": "return", "tranche": "junior"},
    {"kind": "guarantee_reimbursement", "tranche": "guarantee"},
    {"kind": "residual_to_payer"},
]


def jardins(slug: str = "jardins") -> Deal:
    """The demo bond of DOMAIN.md: 3 cohorts, rate card, 70/30 payers, senior/junior/guarantee."""
    deal = Deal(slug)
    for code in ("c1", "c2", "c3"):
        deal.cohort(code, 100)
    for year in range(2026, 2031):
        deal.period(f"{year}", D(year, 1, 1), D(year, 12, 31))
    deal.metric("training", {"kind": "rate_card", "price": 80_000}, target_value=Decimal(60))
    deal.metric("work-6m", {"kind": "rate_card", "price": 300_000}, target_value=Decimal(40))
    deal.metric("work-12m", {"kind": "rate_card", "price": 250_000}, target_value=Decimal(30))
    deal.tranche("senior", "senior_loan", 1, cap=("annual_rate", "0.05"))
    deal.tranche("junior", "subordinated_loan", 2, cap=("annual_rate", "0.08"))
    deal.tranche("guarantee", "guarantee", 3, protects="senior", cover=15_000_000)
    deal.commit("senior", "banque-solidaire", 60_000_000)
    deal.commit("senior", "fondation-terre", 30_000_000)
    deal.commit("junior", "fonds-impact", 20_000_000)
    deal.commit("guarantee", "fondation-garantie", 15_000_000)
    deal.terms(SENIOR_JUNIOR, participant_cap=550_000)
    return deal
