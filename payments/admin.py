"""Staff admin: capital structure readable; ledger tables strictly read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from payments.models import Account, Commitment, Drawdown, LedgerTransaction, Leg, Tranche


class ReadOnlyAdmin(admin.ModelAdmin):
    """Insert-only tables: no add, change or delete from the admin (corrections are reversals)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LegInline(admin.TabularInline):
    model = Leg
    fields = ("account", "debit", "credit", "currency")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "programme", "kind", "occurred_on", "reverses", "actor", "created_at"]
    list_filter = ["kind", "programme"]
    date_hierarchy = "occurred_on"
    inlines = [LegInline]


@admin.register(Leg)
class LegAdmin(ReadOnlyAdmin):
    list_display = ["id", "transaction", "account", "debit", "credit", "currency"]
    list_select_related = ["account"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "programme", "kind", "currency"]
    list_filter = ["kind", "programme"]


@admin.register(Drawdown)
class DrawdownAdmin(ReadOnlyAdmin):
    list_display = ["id", "programme", "commitment", "called_on", "amount", "transaction"]


@admin.register(Tranche)
class TrancheAdmin(ReadOnlyAdmin):
    list_display = ["key", "programme", "kind", "priority", "cap_type", "cap_value"]


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyAdmin):
    list_display = ["investor", "tranche", "amount", "committed_on"]
