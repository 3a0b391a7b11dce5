"""One language at a time: no English on a French page, no French on an English page.

Each role of the demo programme (and staff, and an anonymous visitor) walks the portal
from its home, breadth first, following every same-site link and GET form, in French and
in English (the language cookie the header's switch sets). On every HTML page the
catalogue's phrases of the other language are looked for in the visible text
(tests.portal.language), and on French pages ISO dates (2026-01-15), which a French
reader writes 15/01/2026 or 15 janvier 2026. All findings are reported at once.
"""

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from lxml import html as lxml_html

from outcomes import services as outcomes
from outcomes.evidence import evidence_attach
from outcomes.models import Result, ResultState, Stage, Unit
from payments.models import AccountKind, CapType, TrancheKind, TransactionKind
from payments.portal.distributions import STEP_NAMES
from reports.models import Report
from reports.services import report_publish
from sib.demo import DEMO_SLUG, demo_definition, demo_seed
from sib.models import OrganisationKind, PartyRole, Programme, ProgrammeStatus, Role, User
from tests.portal.language import (
    LONG_WORD,
    Finding,
    catalogue_entries,
    page_findings,
    phrasebook,
    project_phrasebook,
)
from tests.portal.objects import ready_report, submitted_result

pytestmark = pytest.mark.django_db

LANGUAGES = ("fr", "en")
# The demo's users (sib.demo.DEMO_USERS) by the role they hold; staff is the administrator.
ROLES = {
    "fund_manager": "manager",
    "lead_evaluator": "lead",
    "evaluator": "evaluator",
    "public_funder": "funder",
    "investor": "investor",
    "staff": "admin",
    "anonymous": None,
}
# Pages of one URL pattern visited at most: a result's page is the same template for the
# tenth result as for the first, and the admin's sorting links are endless.
PER_PATTERN = 3
MAX_PAGES = 400  # per role and language; a walk that reaches it fails (see below)
# Not followed: logging out ends the walk; the API answers programs (JSON), not people.
SKIPPED_PREFIXES = ("/accounts/logout/", "/api/", "/static/", "/media/")
HTML = "text/html"
CHOICES = (
    Role, PartyRole, OrganisationKind, ProgrammeStatus, ResultState, Stage, Unit,
    TrancheKind, CapType, AccountKind, TransactionKind,
)  # fmt: skip
# Walked (a page answering 500 fails the test) but not read for language, with the reason.
UNCHECKED_PREFIXES = {
    # Django's admin names models and fields after the code ("Committed on", "Legs") and
    # shows objects by their technical __str__; translating it means a verbose_name on
    # every field of every model. The portal is where people work; the admin is the
    # operators' back office (docs/portal.md, "Languages").
    "/admin/": "Django's back office, labelled after the code",
}

# Text on a page that is not the portal's own, with the reason. What the programme's
# people typed (names, definitions, notes, usernames) is added by _data_words().
ALLOWED: dict[str, str] = {
    "english": "the language switch names each language in that language (English)",
}


def _data_words() -> frozenset[str]:
    """Return the words of the demo's data: every text of its definition, and the usernames.

    The demo programme's names, definitions and notes were typed in French, as a French
    contract is written (its tranche "Prêts seniors", its metric "En emploi à 12 mois"):
    they are the programme's data, shown as typed on an English page too, not the
    portal's text.
    """
    texts: list[str] = [user.username for user in User.objects.all()]
    texts += ["recompte", "a second site"]  # the fixture's own comment and reason below

    def collect(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(demo_definition())
    return frozenset(w.lower() for text in texts for w in LONG_WORD.findall(text))


@dataclass
class Walk:
    role: str
    language: str
    visited: list[str] = field(default_factory=list)
    checked: int = 0  # HTML pages read for language
    skipped: list[str] = field(default_factory=list)  # downloads, by content type
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _same_site(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    path = parts.path or "/"
    if path.startswith(SKIPPED_PREFIXES):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def _pattern(path: str) -> str:
    try:
        return resolve(urlsplit(path).path).route
    except Resolver404:
        return path


def _links(page: str, base: str) -> list[str]:
    """Return the page's links and GET forms' targets (with their fields' defaults)."""
    root = lxml_html.document_fromstring(page)
    targets = [a.get("href") for a in root.iter("a") if a.get("href")]
    for form in root.iter("form"):
        if (form.get("method") or "get").lower() != "get":
            continue
        values = [
            (element.get("name"), element.get("value") or "")
            for element in form.iter("input")
            if element.get("name") and element.get("type") not in ("submit", "checkbox", "radio")
        ]
        for select in form.iter("select"):
            chosen = select.xpath("./option[@selected]") or select.xpath(".//option")[:1]
            if select.get("name") and chosen:
                values.append((select.get("name"), chosen[0].get("value") or ""))
        targets.append(f"{form.get('action') or base}?{urlencode(values)}")
    return [urldefrag(urljoin(base, target)).url for target in targets]


def _codes(programme: Programme) -> frozenset[str]:
    """Return the programme's codes a page must show only beside a name, in `<code>`.

    Its metrics', cohorts', periods' and tranches' codes, its organisations' slugs, and the
    code values of the choices and waterfall steps a page names (written with "_"). Codes
    that are also words of the page's text (a period "2026", a tranche "senior" as in
    "Prêt senior") cannot be told apart from them and are left out.
    """
    definition = demo_definition()
    codes = {m["code"] for m in definition["metrics"]}
    codes |= {c["code"] for c in definition["cohorts"]} | {p["code"] for p in definition["periods"]}
    codes |= {t["key"] for t in definition["tranches"]}
    codes |= {o["slug"] for o in definition["organisations"]}
    codes |= {value for choices in CHOICES for value in choices.values if "_" in value}
    codes |= set(STEP_NAMES)
    words = {w.lower() for e in catalogue_entries() for w in LONG_WORD.findall(e.msgstr)}
    return frozenset(c for c in codes if not c.isdigit() and c.lower() not in words)


def walk(
    role: str,
    user: User | None,
    language: str,
    starts: tuple[str, ...] = ("/",),
    allowed: frozenset[str] = frozenset(ALLOWED),
    codes: frozenset[str] = frozenset(),
) -> Walk:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    result = Walk(role, language)
    seen = set(starts)
    per_pattern: Counter[str] = Counter()
    queue = deque(starts)
    while queue:
        url = queue.popleft()
        if len(result.visited) >= MAX_PAGES:
            result.errors.append(f"more than {MAX_PAGES} pages: raise the bound or cap a pattern")
            break
        response = client.get(url)
        result.visited.append(url)
        if response.status_code in (301, 302, 303, 307, 308):
            targets = [urljoin(url, response["Location"])]
        elif response.status_code >= 500:
            result.errors.append(f"{url}: {response.status_code}")
            continue
        elif not response.get("Content-Type", "").startswith(HTML):
            result.skipped.append(url)
            continue
        else:
            page = response.content.decode(response.charset or "utf-8")
            if not url.startswith(tuple(UNCHECKED_PREFIXES)):
                result.findings += page_findings(
                    page, url=url, role=role, language=language, allowed=allowed, codes=codes
                )
                result.checked += 1
            if f'<html lang="{language}"' not in page:
                result.errors.append(f"{url}: not served in {language}")
            targets = _links(page, url)
        for target in targets:
            path = _same_site(target)
            if path is None or path in seen:
                continue
            seen.add(path)
            pattern = _pattern(path)
            if per_pattern[pattern] >= PER_PATTERN:
                continue
            per_pattern[pattern] += 1
            queue.append(path)
    return result


def _grouped(findings: list[Finding]) -> list[str]:
    """Return one line per phrase found, with the pages (a few) and the roles showing it."""
    pages: dict[tuple[str, str, str], set[tuple[str, str]]] = {}
    for f in findings:
        pages.setdefault((f.language, f.kind, f.phrase), set()).add((f.url, f.role))
    lines = []
    for (language, kind, phrase), where in sorted(pages.items()):
        urls = sorted({url for url, _ in where}, key=len)
        roles = sorted({role for _, role in where})
        more = f" and {len(urls) - 3} more" if len(urls) > 3 else ""
        lines.append(
            f"{kind}: {phrase!r} on {', '.join(urls[:3])}{more} ({', '.join(roles)}, {language})"
        )
    return lines


@pytest.fixture
def demo() -> Programme:
    """The demo programme with its history, plus what its queues and lists show."""
    demo_seed()
    programme = Programme.objects.get(slug=DEMO_SLUG)
    evaluator, lead, funder = (
        User.objects.get(username=n) for n in ("evaluator", "lead", "funder")
    )
    results = [Result.objects.get(pk=submitted_result(programme)) for _ in range(2)]
    for result in results:
        evidence_attach(
            result=result,
            user=evaluator,
            uploaded=SimpleUploadedFile("contrat.pdf", b"%PDF-1.4 contrat", "application/pdf"),
        )
    # The first waits in the lead's queue; the second is verified, then disputed.
    outcomes.result_verify(result=results[1], user=lead)
    outcomes.result_review(result=results[1], user=funder, verdict="disputed", comment="recompte")
    ready_report(programme)  # a French public edition, ready to publish
    english = Report.objects.create(
        programme=programme, edition="public", language="en", chain_head="1" * 64,
        chain_seq=0, mask_threshold=10, status="ready", pdf=b"%PDF-1.4\n%test\n",
        sha256="cd" * 32, size=15,
    )  # fmt: skip
    report_publish(report=english, user=User.objects.get(username="manager"))
    return programme


def test_no_page_speaks_the_other_language(demo, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    started = time.monotonic()
    # The published reports are linked from nowhere in the portal: their address is given
    # to the public, so an anonymous visitor starts there too.
    published = reverse("reports_portal:published-list", kwargs={"programme_slug": demo.slug})
    allowed = frozenset(ALLOWED) | _data_words()
    codes = _codes(demo)
    walks = [
        walk(
            role,
            User.objects.get(username=name) if name else None,
            language,
            ("/",) if name else ("/", published),
            allowed=allowed,
            codes=codes,
        )
        for role, name in ROLES.items()
        for language in LANGUAGES
    ]
    elapsed = time.monotonic() - started
    findings = _grouped([f for w in walks for f in w.findings])
    errors = [f"{w.role} ({w.language}): {e}" for w in walks for e in w.errors]
    summary = ", ".join(f"{w.role}/{w.language} {w.checked}/{len(w.visited)}" for w in walks)
    print(f"\nlanguage crawl: {summary}; {elapsed:.1f} s")
    assert errors == [], "\n".join(errors)
    assert findings == [], f"{len(findings)} phrases found:\n" + "\n".join(findings)
    # Every role reached its programme's pages (a broken login would stop at the list).
    home = reverse("portal:programme-home", kwargs={"programme_id": demo.pk})
    for w in walks:
        if w.role not in ("anonymous", "staff"):
            assert home in w.visited, f"{w.role} ({w.language}) never reached {home}"
    assert any(published in w.visited for w in walks if w.role == "anonymous")


def _form_fields(page: str, action: str | None) -> dict[str, str]:
    """Return the defaults of the page's POST form (the one with this hidden action)."""
    root = lxml_html.document_fromstring(page)
    for form in root.iter("form"):
        # A form posting elsewhere (log out, the language buttons) is not the page's own.
        if (form.get("method") or "").lower() != "post" or form.get("action"):
            continue
        names = {i.get("name"): i.get("value") for i in form.iter("input")}
        if action is not None and names.get("action") != action:
            continue
        if action is None and "csrfmiddlewaretoken" in names and len(names) < 2:
            continue
        fields = {name: value or "" for name, value in names.items() if name}
        for select in form.iter("select"):
            options = [o.get("value") for o in select.iter("option") if o.get("value")]
            if select.get("name") and options:
                fields[select.get("name")] = options[0]
        return fields
    raise AssertionError(f"no POST form for {action!r}")


# Pages a POST renders without writing: a form's errors, a confirmation to give. Each is
# (role, page, the form's hidden action or None, fields over the form's defaults).
POSTED = (
    ("evaluator", "outcomes_portal:result-submit", None, {"value": "-3", "stage": "final"}),
    ("lead_evaluator", "outcomes_portal:result-detail", "verify", {}),
    ("lead_evaluator", "outcomes_portal:result-detail", "reject", {}),
    ("fund_manager", "payments_portal:payment-record", None, {"amount": "1234,5"}),
    ("fund_manager", "payments_portal:drawdown-record", None, {"amount": "abc"}),
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_form_errors_and_confirmations_speak_one_language(demo, language):
    waiting = Result.objects.filter(programme=demo, decision__isnull=True).first()
    assert waiting is not None
    findings: list[Finding] = []
    for role, name, action, overrides in POSTED:
        client = Client(raise_request_exception=False)
        client.force_login(User.objects.get(username=ROLES[role]))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        kwargs = {"programme_id": demo.pk}
        if name.endswith("result-detail"):
            kwargs["result_id"] = waiting.pk
        url = reverse(name, kwargs=kwargs)
        shown = client.get(url)
        assert shown.status_code == 200, url
        fields = {**_form_fields(shown.content.decode(), action), **overrides}
        answer = client.post(url, fields)
        assert answer.status_code in (200, 400), f"{url} {action}: {answer.status_code}"
        findings += page_findings(
            answer.content.decode(),
            url=f"POST {url} {action or ''}",
            role=role,
            language=language,
            allowed=frozenset(ALLOWED) | _data_words(),
            codes=_codes(demo),
        )
    lines = _grouped(findings)
    assert lines == [], f"{len(lines)} phrases found:\n" + "\n".join(lines)


def test_a_planted_english_phrase_on_a_french_page_is_found():
    english = "Record a payment received"
    assert english in project_phrasebook().english
    page = f"<html><body><main><h1>Paiements</h1><p>{english}</p></main></body></html>"
    findings = page_findings(page, url="/x/", role="fund_manager", language="fr")
    assert {(f.kind, f.phrase) for f in findings} == {
        ("English on a French page", english),
        ("English word on a French page", "payment"),
        ("English word on a French page", "record"),
    }


def test_an_untranslated_text_counts_as_english_and_a_shared_one_does_not(tmp_path):
    catalogue = tmp_path / "django.po"
    catalogue.write_text(
        'msgid ""\nmsgstr ""\n\n'
        'msgid "Record a drawdown"\nmsgstr ""\n\n'
        'msgid "Total (%(currency)s)"\nmsgstr "Total (%(currency)s)"\n\n'
        'msgid "%(count)d record imported."\nmsgid_plural "%(count)d records imported."\n'
        'msgstr[0] "%(count)d fiche importée."\nmsgstr[1] "%(count)d fiches importées."\n',
        encoding="utf-8",
    )
    book = phrasebook(catalogue_entries(catalogue))
    assert book.english == ("Record a drawdown", "record imported", "records imported")
    assert book.french == ("fiche importée", "fiches importées")
    assert {"drawdown", "record", "records", "imported"} <= book.english_words


def test_a_french_phrase_on_an_english_page_and_a_french_iso_date_are_found():
    page = "<html><body><p>Enregistrer un paiement reçu</p><p>2026-01-15</p></body></html>"
    assert page_findings(page, url="/x/", role="investor", language="en")
    assert [f.kind for f in page_findings(page, url="/x/", role="investor", language="fr")] == [
        "ISO date"
    ]


def test_a_code_in_place_of_a_name_is_found_and_a_code_beside_its_name_is_not():
    codes = frozenset({"in-work-6m", "principal"})
    page = (
        "<html><body><table><tr><td>in-work-6m</td></tr>"
        "<tr><td>In work at 6 months <code>in-work-6m</code></td></tr></table>"
        "<select><option>In work at 6 months (in-work-6m)</option></select></body></html>"
    )
    findings = page_findings(page, url="/x/", role="evaluator", language="en", codes=codes)
    assert [(f.kind, f.phrase) for f in findings] == [("code outside <code>", "in-work-6m")]
    beside = page.replace("<td>in-work-6m</td>", "<td>In work</td>")
    assert page_findings(beside, url="/x/", role="evaluator", language="en", codes=codes) == []


def test_codes_scripts_and_field_values_are_not_read_as_text():
    page = (
        "<html><body><code>Record a payment received 2026-01-15</code>"
        '<input name="on" value="2026-01-15"><script>"Record a payment received"</script>'
        "</body></html>"
    )
    assert page_findings(page, url="/x/", role="investor", language="fr") == []
