"""Bench GET schedule and GET statement: served from stored bytes against the former path.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sib_bench \\
        .venv/bin/python bench/schedule_serve_bench.py [--entries 300] [--requests 200]

Loads the demo programme (sib.demo) under a new slug with --entries history entries
(drawdowns over the contract's days, every fifth an outcome payment received), has the
worker's recompute store its schedules, then times in the same run, one request after
another through the API view (DRF authentication, scoping and permissions included; no
HTTP server, no middleware):

- **before**: the view as it was (issue 16): the stored text parsed and the whole
  document rendered again by DRF; the statement sliced from the whole parsed document;
- **after**: the stored bytes sent as they are, with their ETag (the views of
  payments.apis_schedules);
- **304**: the same view when the client sends the ETag it holds.

Prints per path the median and p95 latency, the requests per second (one client) and the
SQL statements per request, with the body's size.

Measured (2026-12-03, 2 cores shared, load average ~4.3, 1,000 entries, a 422 kB
schedule, 200 requests): GET schedule p50 32.5 ms before, 12.2 ms after, 6.5 ms for a 304
(29, 78 and 145 req/s); GET statement 26.2 ms before, 9.2 ms after (37 and 82 req/s); 4
SQL statements per schedule read before and after (main already took no lock there; the
gain is the JSON not parsed nor rendered), 3 for a 304. The recompute committed the actual
schedule after 0.22 s of its 0.72 s.

The programmes stay (the ledger is insert-only): point it at a scratch database, migrated
first (`manage.py migrate`).
"""

import argparse
import copy
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sib.settings")

import django

from sib.database import ensure_started

ensure_started()  # an entry point: the embedded PostgreSQL, unless DATABASE_URL is set

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIRequestFactory, force_authenticate  # noqa: E402

from payments import schedules  # noqa: E402
from payments.apis_schedules import InvestorStatementApi, ScheduleRetrieveApi  # noqa: E402
from payments.schedule_builder import schedule_document  # noqa: E402
from payments.schedules import programme_recompute  # noqa: E402
from payments.statements import statement_of  # noqa: E402
from sib.api.scoped import ProgrammeApi  # noqa: E402
from sib.demo import demo_definition  # noqa: E402
from sib.models import Membership, Organisation, Programme, User  # noqa: E402
from sib.permissions import Action  # noqa: E402
from sib.programme_format import programme_definition_load  # noqa: E402

INVESTOR = "banque-solidaire"


class BeforeScheduleApi(ProgrammeApi):
    """GET schedule as it was: the stored document parsed, then rendered again by DRF."""

    action_required = Action.SCHEDULE_RUN

    def get(self, request: Request, programme_id: int) -> Response:
        return Response(schedule_document(programme=self.access(request, programme_id).programme))


class BeforeStatementApi(ProgrammeApi):
    """GET statement as it was (the investor's own): sliced from the whole parsed document."""

    def get(self, request: Request, programme_id: int) -> Response:
        access = self.access(request, programme_id)
        [slug] = [m.organisation.slug for m in access.memberships if m.organisation]
        document = schedule_document(programme=access.programme)
        return Response(statement_of(document, slug, ()))


def _document(entries: int, slug: str) -> dict:  # type: ignore[type-arg]
    document = copy.deepcopy(demo_definition())
    document["programme"]["slug"] = slug
    [senior] = [t for t in document["tranches"] if t["key"] == "senior"]
    for commitment in senior["commitments"]:
        commitment["amount"] = 10**9  # room for every drawdown below
    history = document["history"]
    history["results"] = []
    drawdowns, payments = [], []
    first = date(2026, 1, 2)
    for i in range(entries):
        on = (first + timedelta(days=i % 330)).isoformat()
        if i % 5 == 4:
            payer = "etat" if i % 2 else "departement-13"
            payments.append({"on": on, "payer": payer, "amount": 50_000, "advance": True})
        else:
            investor = ("banque-solidaire", "fondation-terre")[i % 2]
            drawdowns.append({"on": on, "tranche": "senior", "investor": investor, "amount": 1_000})
    history["drawdowns"] = drawdowns
    history["payments_received"] = payments
    return document


def _time(
    view: Callable, user: User, programme: Programme, path: str, requests: int, **headers: str
) -> dict[str, float]:
    factory = APIRequestFactory()
    latencies, statements, size, status = [], 0, 0, 0
    for i in range(requests):
        request = factory.get(path, **headers)  # type: ignore[arg-type]
        force_authenticate(request, user=user)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = view(request, programme_id=programme.pk)
            if hasattr(response, "render"):
                response.render()
            body = response.content
            latencies.append(time.perf_counter() - started)
        if i == 0:
            statements, size, status = len(queries), len(body), response.status_code
    latencies.sort()
    return {
        "status": status,
        "p50_ms": statistics.median(latencies) * 1_000,
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1_000,
        "req_s": len(latencies) / sum(latencies),
        "sql": statements,
        "bytes": size,
    }


def _print(label: str, figures: dict[str, float]) -> None:
    print(
        f"  {label:<8} {figures['status']:>3}  p50 {figures['p50_ms']:8.2f} ms  "
        f"p95 {figures['p95_ms']:8.2f} ms  {figures['req_s']:8.1f} req/s  "
        f"{figures['sql']:>2} SQL  {figures['bytes']:>9,} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    for name in ("evaluator", "lead"):
        User.objects.get_or_create(username=name)
    manager, _ = User.objects.get_or_create(username="bench-manager")
    slug = f"serve-bench-{timezone.now().strftime('%Y%m%d%H%M%S')}"
    started = time.perf_counter()
    programme_definition_load(_document(args.entries, slug), creator=manager)
    programme = Programme.objects.get(slug=slug)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    actual_visible = _recompute(programme)
    recomputed = time.perf_counter() - started
    Membership.objects.get_or_create(user=manager, programme=programme, role="fund_manager")
    investor, _ = User.objects.get_or_create(username=f"{slug}-investor")
    Membership.objects.get_or_create(
        user=investor,
        programme=programme,
        role="investor",
        organisation=Organisation.objects.get(slug=INVESTOR),
    )
    print(
        f"{slug}: {args.entries} history entries loaded in {loaded:.1f} s, "
        f"recomputed in {recomputed:.2f} s (the actual schedule committed after "
        f"{actual_visible:.2f} s); {args.requests} requests per path"
    )
    base = f"/api/programmes/{programme.pk}/"
    for title, before, after, user, path in (
        ("GET schedule", BeforeScheduleApi, ScheduleRetrieveApi, manager, "schedule/"),
        (
            "GET statement (investor)",
            BeforeStatementApi,
            InvestorStatementApi,
            investor,
            "statement/",
        ),
    ):
        print(title)
        old = _time(before.as_view(), user, programme, base + path, args.requests)
        new = _time(after.as_view(), user, programme, base + path, args.requests)
        etag = after.as_view()(_authenticated(base + path, user), programme_id=programme.pk)["ETag"]
        held = _time(
            after.as_view(), user, programme, base + path, args.requests, HTTP_IF_NONE_MATCH=etag
        )
        _print("before", old)
        _print("after", new)
        _print("304", held)
        print(
            f"  after/before: {new['req_s'] / old['req_s']:.1f}x req/s, "
            f"304/before: {held['req_s'] / old['req_s']:.1f}x"
        )


def _recompute(programme: Programme) -> float:
    """Run the recompute; return when the actual schedule was committed (seconds)."""
    real = schedules.schedule_compute
    started = time.perf_counter()
    committed: list[float] = []

    def compute(state, scenario):  # type: ignore[no-untyped-def]
        # The first projection starts once the actual schedule's transaction committed.
        if scenario.is_projection and not committed:
            committed.append(time.perf_counter() - started)
        return real(state, scenario)

    schedules.schedule_compute = compute
    try:
        programme_recompute(programme_id=programme.pk)
    finally:
        schedules.schedule_compute = real
    return committed[0]


def _authenticated(path: str, user: User) -> Request:
    request = APIRequestFactory().get(path)
    force_authenticate(request, user=user)
    return request


if __name__ == "__main__":
    main()
