"""API for participant records: who achieved which outcome, by pseudonym."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from outcomes import selectors
from outcomes.models import ParticipantRecord
from sib.api.pagination import AppendOnlyCursorPagination
from sib.api.scoped import ProgrammeApi
from sib.permissions import Action


class ParticipantRecordListApi(ProgrammeApi):
    pagination_class = AppendOnlyCursorPagination  # millions of rows: keyset, no COUNT(*)
    action_required = Action.PARTICIPANT_VIEW

    class OutputSerializer(serializers.ModelSerializer):
        metric = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
        cohort = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
        period = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
        # 64 hex characters, stored as 32 bytes (outcomes.pseudonym_field).
        pseudonym = serializers.CharField(read_only=True)

        class Meta:
            model = ParticipantRecord
            fields = ["id", "result", "metric", "cohort", "period", "pseudonym", "achieved_on"]

    @extend_schema(operation_id="participant_record_list", responses=OutputSerializer(many=True))
    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        records = selectors.participant_record_list(programme=access.programme)
        return self.paginate(request, records, self.OutputSerializer)
