"""API for the bond itself: programmes, their parties and memberships, organisations."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sib import selectors, services
from sib.api.fields import MoneyField, TextField
from sib.api.representation import represent
from sib.api.schema import RETURNED_ID, SAME_PROGRAMME, link
from sib.api.scoped import ProgrammeApi, request_user
from sib.models import (
    Membership,
    Organisation,
    OrganisationKind,
    PartyRole,
    Programme,
    ProgrammeParty,
    Role,
    User,
)
from sib.permissions import Action
from sib.scoping import may_open_programmes


class ProgrammeOutputSerializer(serializers.ModelSerializer):
    chain_head = serializers.SerializerMethodField()

    class Meta:
        model = Programme
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "currency",
            "start_date",
            "end_date",
            "target_population",
            "contract_cap",
            "status",
            "status_changed_at",
            "termination_date",
            "termination_reason",
            "pseudonym_rule",
            "chain_head",
        ]

    def get_chain_head(self, programme: Programme) -> str:
        return selectors.programme_chain_head(programme=programme)


class ProgrammeListApi(APIView):
    @extend_schema(operation_id="programme_list", responses=ProgrammeOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return ProgrammeApi().paginate(
            request, selectors.programme_list(user=request_user(request)), ProgrammeOutputSerializer
        )


class ProgrammeCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=80)
        description = TextField(required=False, allow_blank=True, default="")
        currency = serializers.CharField(max_length=3)
        start_date = serializers.DateField()
        end_date = serializers.DateField()
        target_population = TextField(required=False, allow_blank=True, default="")
        # Required, and null when the contract's cap is unknown (no cap is then checked).
        contract_cap = MoneyField(allow_null=True)

    response_links = {
        "Retrieve": link("programme_retrieve", programme_id=RETURNED_ID),
        "Update": link("programme_update", programme_id=RETURNED_ID),
    }

    @extend_schema(
        operation_id="programme_create",
        request=InputSerializer,
        responses={201: ProgrammeOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        if not may_open_programmes(request_user(request)):
            raise PermissionDenied("You may not open new programmes.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        programme = services.programme_create(creator=request_user(request), **data.validated_data)
        return Response(ProgrammeOutputSerializer(programme).data, status=status.HTTP_201_CREATED)


class ProgrammeDetailApi(ProgrammeApi):
    @extend_schema(operation_id="programme_retrieve", responses=ProgrammeOutputSerializer)
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        return Response(represent(ProgrammeOutputSerializer, access.programme))


class ProgrammeUpdateApi(ProgrammeApi):
    action_required = Action.PROGRAMME_MANAGE

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        description = TextField(required=False, allow_blank=True)
        target_population = TextField(required=False, allow_blank=True)
        currency = serializers.CharField(max_length=3, required=False)
        start_date = serializers.DateField(required=False)
        end_date = serializers.DateField(required=False)
        contract_cap = MoneyField(required=False, allow_null=True)

    @extend_schema(
        operation_id="programme_update",
        request=InputSerializer,
        responses=ProgrammeOutputSerializer,
    )
    def patch(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        programme = services.programme_update(programme=access.programme, **data.validated_data)
        return Response(ProgrammeOutputSerializer(programme).data)


class ProgrammeActivateApi(ProgrammeApi):
    action_required = Action.PROGRAMME_MANAGE

    @extend_schema(
        operation_id="programme_activate", request=None, responses=ProgrammeOutputSerializer
    )
    def post(self, request: Request, programme_id: int) -> Response:
        programme = services.programme_activate(
            programme=self.access(request, programme_id).programme
        )
        return Response(ProgrammeOutputSerializer(programme).data)


class ProgrammeCloseApi(ProgrammeApi):
    action_required = Action.PROGRAMME_MANAGE

    @extend_schema(
        operation_id="programme_close", request=None, responses=ProgrammeOutputSerializer
    )
    def post(self, request: Request, programme_id: int) -> Response:
        programme = services.programme_close(programme=self.access(request, programme_id).programme)
        return Response(ProgrammeOutputSerializer(programme).data)


class ProgrammeTerminateApi(ProgrammeApi):
    action_required = Action.PROGRAMME_MANAGE

    class InputSerializer(serializers.Serializer):
        termination_date = serializers.DateField()
        reason = TextField()

    @extend_schema(
        operation_id="programme_terminate",
        request=InputSerializer,
        responses=ProgrammeOutputSerializer,
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        programme = services.programme_terminate(programme=access.programme, **data.validated_data)
        return Response(ProgrammeOutputSerializer(programme).data)


class PartyOutputSerializer(serializers.ModelSerializer):
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = ProgrammeParty
        fields = [
            *("id", "organisation", "organisation_name", "role"),
            *("payer_share", "payer_cap", "payer_residual"),
        ]


class PartyListApi(ProgrammeApi):
    @extend_schema(operation_id="programme_party_list", responses=PartyOutputSerializer(many=True))
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        parties = selectors.programme_parties_visible(access=access)
        return Response(PartyOutputSerializer(parties, many=True).data)


class PartyCreateApi(ProgrammeApi):
    """Appoint an organisation to a programme: staff only (or the programme definition)."""

    action_required = Action.PARTY_APPOINT

    class InputSerializer(serializers.Serializer):
        organisation = serializers.SlugRelatedField(
            slug_field="slug", queryset=Organisation.objects.all()
        )
        role = serializers.ChoiceField(choices=PartyRole.choices)
        payer_share = serializers.DecimalField(
            max_digits=7, decimal_places=4, required=False, allow_null=True
        )
        payer_cap = MoneyField(required=False, allow_null=True)
        # The payer of the rest: no share of its own (payments.rules.payers).
        payer_residual = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        operation_id="programme_party_create",
        request=InputSerializer,
        responses={201: PartyOutputSerializer},
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        party = services.programme_party_add(programme=access.programme, **data.validated_data)
        return Response(PartyOutputSerializer(party).data, status=status.HTTP_201_CREATED)


class MembershipOutputSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    # A membership without an organisation (an evaluator's) answers null.
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = Membership
        fields = ["id", "username", "role", "organisation", "created_at"]


class MembershipListApi(ProgrammeApi):
    action_required = Action.MEMBERSHIP_MANAGE

    @extend_schema(
        operation_id="programme_membership_list", responses=MembershipOutputSerializer(many=True)
    )
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        memberships = selectors.programme_memberships(programme=access.programme)
        return Response(MembershipOutputSerializer(memberships, many=True).data)


class MembershipCreateApi(ProgrammeApi):
    """Grant a role: staff, or a member granting the roles their organisation manages."""

    action_required = Action.MEMBERSHIP_GRANT

    class InputSerializer(serializers.Serializer):
        # Names, resolved by the service among the people the caller may reach: a
        # relation field would answer "does not exist" for some names and not others.
        username = serializers.CharField(max_length=150)
        role = serializers.ChoiceField(choices=Role.choices)
        organisation = serializers.CharField(
            max_length=80, required=False, allow_blank=True, allow_null=True
        )

    response_links = {
        "Revoke": link(
            "programme_membership_revoke",
            programme_id=SAME_PROGRAMME,
            membership_id=RETURNED_ID,
        ),
    }

    @extend_schema(
        operation_id="programme_membership_create",
        request=InputSerializer,
        responses={201: MembershipOutputSerializer},
    )
    def post(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_grant(
            actor=request_user(request),
            programme=access.programme,
            username=data.validated_data["username"],
            role=data.validated_data["role"],
            organisation=data.validated_data.get("organisation") or "",
        )
        return Response(MembershipOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class MembershipRevokeApi(ProgrammeApi):
    """Take a role back: staff, or a member who could have granted it."""

    action_required = Action.MEMBERSHIP_GRANT

    @extend_schema(
        operation_id="programme_membership_revoke",
        request=None,
        responses={204: None},
    )
    def post(self, request: Request, programme_id: int, membership_id: int) -> Response:
        access = self.access(request, programme_id)
        membership = selectors.programme_membership(
            programme=access.programme, membership_id=membership_id
        )
        services.membership_revoke(membership=membership, actor=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrganisationOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "slug", "kinds"]


def _may_manage_organisations(user: User) -> bool:
    return user.is_staff or Membership.objects.filter(user=user, role=Role.FUND_MANAGER).exists()


class OrganisationListApi(APIView):
    @extend_schema(
        operation_id="organisation_list", responses=OrganisationOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        # The register of organisations is the fund managers' working list; others see
        # parties through their programmes only.
        if not _may_manage_organisations(request_user(request)):
            raise PermissionDenied("Only fund managers see the organisation register.")
        return ProgrammeApi().paginate(
            request, selectors.organisation_list(), OrganisationOutputSerializer
        )


class OrganisationCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=80)
        kinds = serializers.ListField(
            child=serializers.ChoiceField(choices=OrganisationKind.choices),
            allow_empty=False,
        )

    @extend_schema(
        operation_id="organisation_create",
        request=InputSerializer,
        responses={201: OrganisationOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        if not _may_manage_organisations(request_user(request)):
            raise PermissionDenied("Only fund managers register organisations.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = services.organisation_create(**data.validated_data)
        return Response(
            OrganisationOutputSerializer(organisation).data, status=status.HTTP_201_CREATED
        )
