import hashlib

from reports.models import Report
from tests.permissions.rows import ALL_ROLES, EV, FM, FUNDER, LEAD, scoped, unscoped

EVERYONE = ("anonymous", "stranger", "staff", *ALL_ROLES)

ROWS = {
    "report_list": scoped(*ALL_ROLES),  # investors see published public editions only
    "report_request": scoped(FM, FUNDER),
    "report_retrieve": scoped(FM, EV, LEAD, FUNDER),  # of an unpublished public edition
    "report_download": scoped(FM, EV, LEAD, FUNDER),
    "report_publish": scoped(FM),
    "report_verify": scoped(FM, EV, LEAD, FUNDER),
    # The bundle carries investors' money movements: not for evaluators (DOMAIN.md).
    "verification_bundle": scoped(FM, FUNDER),
    "report_published_latest": unscoped(*EVERYONE),
    "report_published_at": unscoped(*EVERYONE),
    # Payment notices: fund managers (any payer), the payer's own public funders.
    "notice_list": scoped(FM, FUNDER),
    "notice_request": scoped(FM, FUNDER),
    "notice_download": scoped(FM, FUNDER),
}


def ready_report(programme, *, published: bool) -> Report:  # type: ignore[no-untyped-def]
    """Return a ready public report of the programme (a stand-in PDF, not a rendering)."""
    head = ("b" if published else "a") * 64
    pdf = b"%PDF-1.4 stand-in"
    report, _ = Report.objects.get_or_create(
        programme=programme,
        edition="public",
        language="fr",
        chain_head=head,
        defaults={
            "chain_seq": 1,
            "mask_threshold": 10,
            "status": "ready",
            "progress": 100,
            "pdf": pdf,
            "sha256": hashlib.sha256(pdf).hexdigest(),
            "size": len(pdf),
            "published": published,
        },
    )
    return report


def ready_notice(programme) -> Report:  # type: ignore[no-untyped-def]
    """Return a ready notice to the programme's payer (the one the cast's funder names)."""
    from sib.models import ProgrammeParty

    payer = ProgrammeParty.objects.get(programme=programme, role="outcome_payer").organisation
    pdf = b"%PDF-1.4 notice stand-in"
    report, _ = Report.objects.get_or_create(
        programme=programme,
        edition="payer_notice",
        language="fr",
        chain_head="c" * 64,
        payer=payer,
        defaults={
            "chain_seq": 1,
            "mask_threshold": 10,
            "status": "ready",
            "progress": 100,
            "pdf": pdf,
            "sha256": hashlib.sha256(pdf).hexdigest(),
            "size": len(pdf),
        },
    )
    return report


PARAMS = {
    "report_id": lambda programme: ready_report(programme, published=False).pk,
    "programme_slug": lambda programme: ready_report(programme, published=True).programme.slug,
    "language": lambda programme: "fr",
    "chain_head": lambda programme: ready_report(programme, published=True).chain_head,
    "notice_id": lambda programme: ready_notice(programme).pk,
}
