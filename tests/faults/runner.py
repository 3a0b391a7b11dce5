"""The fault runner: a seeded mix of writes over HTTP, faults in between, then the invariants.

Every random choice (the next operation, its body, whether a fault comes before it and
which) is drawn from one `random.Random(seed)` in a fixed order, so a seed replays the
same run; only the timing varies (when a dropped connection lands inside a request, how
far the worker got when it is killed). Writes go through the API of a live server with
tokens, as a client does: verifications (which book outcome payments due and queue the
schedule recompute through the outbox), payments received, drawdowns, distributions,
reversals, and replays of earlier requests with their Idempotency-Key (a verification,
which takes no key, is sent again and must be refused). A client retries
an answer of 503 or a broken connection with the same key, as the API asks.
"""

import hashlib
import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from rest_framework.authtoken.models import Token

from outcomes.models import Result, ResultState
from outcomes.selectors import results_with_state
from payments.distributions import distribution_proposal
from payments.ledger import trial_balance
from payments.models import (
    AccountKind,
    LedgerTransaction,
    Leg,
    OutcomePaymentLine,
    ScheduleVersion,
    TransactionKind,
)
from payments.outcome_payments import outcome_payments_compute
from sib.chain import chain_head
from sib.chain_verification import chain_verify
from sib.models import OutboxMessage
from tests.faults.injectors import TARGETS, Injector
from tests.payments.schedule_support import D, jardins

OPERATIONS = {
    "verify": 4,
    "payment": 3,
    "drawdown": 2,
    "distribution": 2,
    "reversal": 1,
    "replay": 1,
}
FAULTS = {
    "serialization_failure": 3,
    "deadlock": 2,
    "connection_drop": 3,
    "broker_restart": 2,
    "duplicate_delivery": 3,
    "worker_sigkill": 1,
}
# The share of operations preceded by a fault, once each kind has come once.
FAULT_RATE = 0.5
PAY_DATES = (D(2026, 6, 15), D(2026, 9, 15), D(2026, 11, 16))
PAYERS = ("etat", "departement-13")
COMMITMENTS = (
    ("senior", "banque-solidaire"),
    ("senior", "fondation-terre"),
    ("junior", "fonds-impact"),
)
RETRIES = 12


@dataclass
class Summary:
    seed: int
    operations: int
    faults: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    invariants: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    plan: str = ""

    def text(self) -> str:
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults.items())) or "none"
        answers = ", ".join(f"{kind} {n}" for kind, n in sorted(self.answers.items()))
        lines = [
            f"fault runner: seed {self.seed}, {self.operations} operations, {self.seconds:.1f} s"
            f" (plan {self.plan})",
            f"  faults injected ({sum(self.faults.values())}): {faults}",
            f"  answers: {answers}",
            f"  invariants checked ({len(self.invariants)}): {', '.join(self.invariants)}",
            f"  violations: {len(self.violations)}",
            *(f"    - {violation}" for violation in self.violations),
        ]
        return "\n".join(lines)


@dataclass
class Sent:
    """A write the runner sent, kept so that it can be replayed with its key."""

    path: str
    body: dict[str, Any]
    token: str
    key: str
    status: int
    answer: Any


class FaultRun:
    def __init__(self, *, seed: int, operations: int, base_url: str, injector: Injector) -> None:
        self.rng = random.Random(seed)
        self.summary = Summary(seed=seed, operations=operations)
        self.base_url = base_url
        self.injector = injector
        self.deal = jardins(f"faults-{seed}")
        programme = self.deal.programme
        self.api = f"/api/programmes/{programme.pk}/"
        self.manager = Token.objects.create(user=self.deal.manager).key
        self.lead = Token.objects.create(user=self.deal.lead).key
        for tranche, investor in COMMITMENTS:
            self.deal.draw(tranche, investor, D(2026, 1, 15), 5_000_000)
        # Results to verify, submitted beforehand: one per metric, cohort and period.
        combos = [
            (metric, cohort, period)
            for period in ("2026", "2027", "2028", "2029", "2030")
            for metric in ("training", "work-6m", "work-12m")
            for cohort in ("c1", "c2", "c3")
        ]
        self.rng.shuffle(combos)
        self.to_verify = [
            self.deal.result(*combo, self.rng.randint(1, 20), verify=False).pk
            for combo in combos[:operations]
        ]
        self.sent: list[Sent] = []
        self.operation = ""
        # The choices in order: equal for two runs of one seed, whatever the timing.
        self.trace: list[str] = []
        self.payments: list[int] = []

    # --- HTTP ----------------------------------------------------------------------------

    def post(self, path: str, body: dict[str, Any], token: str, key: str | None = None) -> Sent:
        key = key or uuid.uuid4().hex
        request = urllib.request.Request(  # noqa: S310 (the live server's http URL)
            self.base_url + self.api + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                "Accept-Language": "en",
            },
        )
        for attempt in range(RETRIES):
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    status, answer = response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                status, raw = error.code, error.read()
                answer = json.loads(raw) if raw.startswith(b"{") else raw[:200].decode()
            except (ConnectionError, urllib.error.URLError, TimeoutError):
                self.summary.answers[f"{self.operation} no answer"] += 1
                time.sleep(0.2 * (attempt + 1))
                continue
            self.summary.answers[f"{self.operation} {status}"] += 1
            if status >= 500 and status != 503:
                self.summary.violations.append(f"POST {path}: {status} {answer}")
            if status == 503:
                time.sleep(0.2 * (attempt + 1))
                continue
            sent = Sent(path, body, token, key, status, answer)
            if status in (200, 201):
                self.sent.append(sent)
            return sent
        self.summary.violations.append(f"POST {path}: no answer after {RETRIES} tries")
        return Sent(path, body, token, key, 0, None)

    # --- operations ----------------------------------------------------------------------

    def op_verify(self) -> None:
        if not self.to_verify:
            self.operation = "payment"
            return self.op_payment()
        result_id = self.to_verify.pop(0)
        sent = self.post(f"results/{result_id}/verify/", {"comment": "fault run"}, self.lead)
        if sent.status == 409:
            # Verified by an attempt whose answer the dropped connection lost: kept like a
            # 201, so the choices that follow are the same as in a run without the loss.
            self.sent.append(sent)

    def op_payment(self) -> None:
        body = {
            "payer": self.rng.choice(PAYERS),
            "received_on": self.rng.choice(PAY_DATES).isoformat(),
            "amount": self.rng.randint(10_000, 3_000_000),
            "advance": self.rng.random() < 0.5,
        }
        sent = self.post("payments-received/create/", body, self.manager)
        if sent.status == 201:
            self.payments.append(sent.answer["id"])

    def op_drawdown(self) -> None:
        tranche, investor = self.rng.choice(COMMITMENTS)
        body = {
            "commitment": self.deal.commitments[(tranche, investor)].pk,
            "called_on": self.rng.choice(PAY_DATES).isoformat(),
            "amount": self.rng.randint(100_000, 2_000_000),
        }
        self.post("drawdowns/create/", body, self.manager)

    def op_distribution(self) -> None:
        paid_on = self.rng.choice(PAY_DATES)
        # What the waterfall proposes at this moment (its schedule may be a recompute
        # behind: the API then answers 400, which is a refusal, not a fault).
        proposal = distribution_proposal(programme=self.deal.refresh(), paid_on=paid_on)
        lines = [
            {"step_kind": step, "tranche": tranche, "recipient": recipient, "amount": amount}
            for (step, tranche, recipient), amount in sorted(proposal.items())
        ]
        body = {"paid_on": paid_on.isoformat(), "lines": lines, "reason": "fault run"}
        self.post("distributions/create/", body, self.manager)

    def op_reversal(self) -> None:
        if not self.payments:
            self.operation = "drawdown"
            return self.op_drawdown()
        transaction_id = self.rng.choice(self.payments)
        self.post(
            f"ledger/transactions/{transaction_id}/reverse/", {"reason": "fault run"}, self.manager
        )

    def op_replay(self) -> None:
        if not self.sent:
            self.operation = "payment"
            return self.op_payment()
        original = self.rng.choice(self.sent)
        again = self.post(original.path, original.body, original.token, key=original.key)
        if original.path.endswith("/verify/"):
            # A decision takes no Idempotency-Key: sent again, it is refused as taken.
            if again.status != 409:
                self.summary.violations.append(
                    f"verification sent twice: {again.status} {again.answer}"
                )
        elif again.status != 200 or again.answer != original.answer:
            self.summary.violations.append(
                f"replay of {original.path} key {original.key}: {again.status} {again.answer}"
            )

    # --- faults --------------------------------------------------------------------------

    def inject(self, kind: str) -> threading.Thread | None:
        """Inject one fault; a dropped connection lands during the next operation."""
        self.summary.faults[kind] += 1
        if kind in ("serialization_failure", "deadlock"):
            code = "40001" if kind == "serialization_failure" else "40P01"
            table = self.rng.choice(TARGETS)
            self.injector.database_error(table=table, code=code, times=self.rng.randint(1, 2))
        elif kind == "connection_drop":
            delay = self.rng.uniform(0, 0.3)

            def drop() -> None:
                # Lands inside the next request, or in the worker's task, as timing has it.
                time.sleep(delay)
                self.injector.drop_connections()

            thread = threading.Thread(target=drop)
            thread.start()
            return thread
        elif kind == "broker_restart":
            self.injector.restart_broker()
        elif kind == "duplicate_delivery":
            messages = list(
                OutboxMessage.objects.filter(kwargs__programme_id=self.deal.programme.pk).order_by(
                    "created_at"
                )
            )
            if messages:
                self.injector.duplicate_delivery(self.rng.choice(messages))
        elif kind == "worker_sigkill":
            self.injector.kill_worker()
        return None

    def run(self) -> Summary:
        started = time.monotonic()
        # Every run injects every kind: the first operations get one each, in a seeded order.
        deck = list(FAULTS)
        self.rng.shuffle(deck)
        for _ in range(self.summary.operations):
            fault = None
            if deck:
                fault = deck.pop()
            elif self.rng.random() < FAULT_RATE:
                fault = self.rng.choices(list(FAULTS), weights=list(FAULTS.values()))[0]
            operation = self.rng.choices(list(OPERATIONS), weights=list(OPERATIONS.values()))[0]
            self.trace.append(f"{fault or '-'} {operation}")
            background = self.inject(fault) if fault else None
            self.operation = operation
            getattr(self, f"op_{operation}")()
            if background is not None:
                background.join()
        self.injector.disarm()
        # Every choice made, and the generator's state after them: equal for one seed.
        played = "\n".join(self.trace) + repr(self.rng.getstate())
        self.summary.plan = hashlib.sha256(played.encode()).hexdigest()[:12]
        self.settle()
        self.check()
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def settle(self, timeout: float = 120) -> None:
        """Wait until every outbox message of the programme is completed or failed."""
        pending = OutboxMessage.objects.filter(completed_at__isnull=True, failed_at__isnull=True)
        deadline = time.monotonic() + timeout
        while pending.exists() and time.monotonic() < deadline:
            if not self.injector.worker.running():
                self.injector.worker.start()
            time.sleep(0.2)

    # --- invariants ----------------------------------------------------------------------

    def check(self) -> None:
        programme = self.deal.refresh()
        pk = programme.pk
        violations = self.summary.violations

        def invariant(name: str, problem: str | None) -> None:
            self.summary.invariants.append(name)
            if problem:
                violations.append(f"{name}: {problem}")

        totals = trial_balance(programme_id=pk)
        unbalanced = {c: t for c, t in totals.items() if t[0] != t[1]}
        invariant("trial balance zero", f"debits != credits {unbalanced}" if unbalanced else None)

        verification = chain_verify(programme_id=pk)
        invariant(
            "chain verifies",
            None if verification.ok else f"first break {verification.first_break}",
        )

        messages = OutboxMessage.objects.all()
        lost = messages.filter(Q(completed_at__isnull=True) | Q(failed_at__isnull=False))
        stuck = list(lost.values_list("task_name", "started_count", "failure"))
        invariant("no outbox message lost", f"not completed: {stuck}" if stuck else None)

        plan = outcome_payments_compute(programme=programme)
        expected = {item.payer: item.amount for item in plan.payer_totals}
        booked = dict(
            Leg.objects.filter(
                transaction__programme=programme,
                transaction__kind=TransactionKind.OUTCOME_DUE,
                account__kind=AccountKind.PAYER_RECEIVABLE,
            )
            .values_list("account__organisation__slug")
            .annotate(due=Sum("debit") - Sum("credit"))
        )
        booked = {payer: due for payer, due in booked.items() if due}
        expected = {payer: due for payer, due in expected.items() if due}
        invariant(
            "outcome payments due booked exactly once",
            None if booked == expected else f"booked {booked}, verified results make {expected}",
        )

        verified = set(
            results_with_state(Result.objects.filter(programme=programme))
            .filter(state=ResultState.VERIFIED)  # type: ignore[misc]
            .values_list("pk", flat=True)
        )
        head = chain_head(programme_id=pk)
        actual = ScheduleVersion.objects.filter(
            programme=programme, chain_head=head, scenario="actual"
        ).first()
        if actual is None:
            invariant("schedule stored at the chain head", "no actual schedule at the head")
        else:
            invariant("schedule stored at the chain head", None)
            counted = Counter(
                result_id
                for ids in OutcomePaymentLine.objects.filter(version=actual).values_list(
                    "result_ids", flat=True
                )
                for result_id in ids
            )
            doubled = sorted(r for r, n in counted.items() if n > 1)
            missing = sorted(verified - set(counted))
            invariant(
                "every verified result paid exactly once in the schedule",
                f"doubled {doubled}, missing {missing}" if doubled or missing else None,
            )

        standing = (
            LedgerTransaction.objects.filter(
                programme=programme, kind=TransactionKind.DISTRIBUTION, reversal__isnull=True
            )
            .values_list("occurred_on")
            .annotate(n=Count("id"))
        )
        doubled_dates = [str(on) for on, n in standing if n > 1]
        invariant(
            "each payment date's distribution recorded at most once",
            f"twice on {doubled_dates}" if doubled_dates else None,
        )


def fault_run(*, seed: int, operations: int, base_url: str, injector: Injector) -> Summary:
    return FaultRun(seed=seed, operations=operations, base_url=base_url, injector=injector).run()
