"""API for the programme's position: what is due, received and outstanding per payer, and
each investor commitment with its returns to date (payments.position, payments.returns).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from payments import selectors
from payments.cap_use import cap_remaining, outcome_dues
from payments.payer_caps import payer_caps
from sib.api.scoped import ProgrammeApi
from sib.permissions import Action


class RatioSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=None, decimal_places=4, allow_null=True)
    reason = serializers.CharField()


class XirrSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=None, decimal_places=6, allow_null=True)
    status = serializers.CharField()
    reason = serializers.CharField()


class ReturnsSerializer(serializers.Serializer):
    """One commitment's returns to date: recorded in the ledger, never the proposal."""

    returned = serializers.IntegerField()
    moic = RatioSerializer()
    dpi = RatioSerializer()
    xirr = XirrSerializer()


class ContractCapSerializer(serializers.Serializer):
    """The contract cap's use (payments.cap_use): the dashboard's and the reports' rule."""

    cap = serializers.IntegerField()
    used = serializers.IntegerField(help_text="The outcome payments due (redemptions apart).")
    remaining = serializers.IntegerField(help_text="The cap less `used`: left under the cap.")


class PayerCapSerializer(serializers.Serializer):
    """A payer's cap as its dues use it (payments.payer_caps): the notice's figures."""

    cap = serializers.IntegerField()
    used = serializers.IntegerField()
    remaining = serializers.IntegerField()
    stopped = serializers.IntegerField()


class PartySerializer(serializers.Serializer):
    """One party and an amount: who paid a payer's dues, or whose dues a payer paid."""

    party = serializers.CharField()
    amount = serializers.IntegerField()

    def to_representation(self, instance: tuple[str, int]) -> dict[str, object]:
        return {"party": instance[0], "amount": instance[1]}


class PositionApi(ProgrammeApi):
    """The programme's money position, the figures every page and report shows."""

    class PayerSerializer(serializers.Serializer):
        payer = serializers.CharField()
        name = serializers.CharField()
        due = serializers.IntegerField()
        disputed = serializers.IntegerField()
        received = serializers.IntegerField()
        advance = serializers.IntegerField()
        refunded = serializers.IntegerField(
            help_text="Its credit paid back to it; `received` is net of it (docs/ledger.md)."
        )
        outstanding = serializers.IntegerField()
        payable = serializers.IntegerField()
        credit = serializers.IntegerField()
        redemption = serializers.IntegerField(
            help_text="The part of `due` owed for principal redemptions (docs/ledger.md)."
        )
        settled_by = PartySerializer(
            many=True,
            help_text="The parts of `received` another party paid in a joint payment.",
        )
        paid_for = PartySerializer(
            many=True, help_text="What this payer's joint payments settled of others' dues."
        )

    class InvestorSerializer(serializers.Serializer):
        tranche = serializers.CharField()
        tranche_kind = serializers.CharField()
        investor = serializers.CharField()
        name = serializers.CharField()
        committed = serializers.IntegerField()
        drawn = serializers.IntegerField()
        principal_repaid = serializers.IntegerField()
        return_paid = serializers.IntegerField()
        principal_outstanding = serializers.IntegerField()
        guarantee_called = serializers.IntegerField()
        guarantee_paid = serializers.IntegerField()
        guarantee_reimbursed = serializers.IntegerField()

    class OutputSerializer(serializers.Serializer):
        currency = serializers.CharField()
        totals = serializers.DictField(child=serializers.IntegerField(allow_null=True))
        contract_cap = ContractCapSerializer(allow_null=True)
        payers = serializers.ListField(child=serializers.DictField())
        investors = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        operation_id="position_retrieve",
        responses=OutputSerializer,
        description="Due, disputed, received, advance and outstanding per payer (minor "
        "units); per investor commitment only for those who may see investors: every one "
        "for fund managers, their own for an investor, none for public funders; each "
        "with its returns to date (returned, MOIC, DPI, XIRR) as the ledger records them. "
        "Each payer's `cap` is null when it has none, else its limit, what its dues use of it, "
        "what remains and what the cap stopped (owed by no one). `contract_cap` is null "
        "without a contract cap (or payers not shown), else the cap, what the outcome "
        "payments due use of it (redemptions apart) and what is left under it: the "
        "dashboard's figures. "
        "A total of investors' money is null for a public funder when it sums fewer than "
        '3 investors (docs/reports.md, "Privacy of what is shown").',
    )
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id, Action.PROGRAMME_VIEW)
        position = selectors.position_get(access=access)
        returns = {
            (r.tranche, r.investor): ReturnsSerializer(r).data
            for r in selectors.investor_returns_get(access=access)
        }
        payers = position.payers if access.allows(Action.PAYMENT_VIEW) else ()
        caps = payer_caps(programme=access.programme) if payers else {}
        cap = access.programme.contract_cap
        contract_cap = None
        if payers and cap is not None:
            contract_cap = {
                "cap": cap,
                "used": outcome_dues(totals=position.totals),
                "remaining": cap_remaining(totals=position.totals, cap=cap),
            }
        return Response(
            {
                "currency": position.currency,
                "totals": selectors.position_totals(access=access, position=position)
                if payers
                else {},
                "contract_cap": contract_cap,
                "payers": [
                    {
                        **self.PayerSerializer(p).data,
                        "cap": PayerCapSerializer(caps[p.payer]).data if p.payer in caps else None,
                    }
                    for p in payers
                ],
                "investors": [
                    {**self.InvestorSerializer(i).data, **returns[(i.tranche, i.investor)]}
                    for i in position.investors
                ],
            }
        )
