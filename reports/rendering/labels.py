"""
Hold the report's fixed wording in French and English.

The web portal translates with Django i18n (``gettext``); the PDF renderer
must run without Django settings (tasks, tests, the bench), so its strings
live in this plain table instead. Keep both languages complete: a test checks
that they have the same keys. Templates use ``str.format`` placeholders;
callers escape the values they interpolate.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from babel.dates import get_month_names

LABELS: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "report_title": "Rapport d’évaluation",
        "edition_public": "Édition publique",
        "edition_manager": "Édition gestionnaire — confidentielle",
        "confidential_notice": (
            "Document confidentiel réservé aux gestionnaires du fonds : il "
            "contient les positions individuelles des investisseurs."
        ),
        "public_notice": (
            "Document public : les effectifs de 1 à {threshold} sont masqués "
            "et aucune position individuelle d’investisseur n’y figure."
        ),
        "period": "Période",
        "period_range": "{start} – {end}",
        "report_date": "Date du rapport",
        "edition": "Édition",
        "currency": "Devise",
        "parties": "Parties",
        "role": "Rôle",
        "name": "Nom",
        "role_payer": "Payeur",
        "role_investor": "Investisseur",
        "role_guarantor": "Garant",
        "role_provider": "Opérateur",
        "role_intermediary": "Structure intermédiaire",
        "role_evaluator": "Évaluateur indépendant",
        "payer_share": "{name} ({share})",
        "investors_aggregated": "{count} investisseurs (non nommés)",
        "guarantors_aggregated": "{count} garant(s) (non nommés)",
        "toc": "Sommaire",
        "summary": "Synthèse",
        "participants_enrolled": "Participants inscrits",
        "outcomes_verified": "Résultats vérifiés",
        "outcome_payments_paid": "Paiements aux résultats versés",
        "outcome_payments_due": "Paiements dus (vérifiés, non versés)",
        "contract_cap": "Plafond du contrat",
        "cap_used": "Part du plafond utilisée",
        "capital_drawn": "Capital appelé",
        "repayment_category": "Remboursement des investisseurs",
        "figure": "Chiffre clé",
        "value": "Valeur",
        "metric_heading": "Indicateur : {name}",
        "definition": "Définition",
        "mechanism": "Mécanisme de paiement",
        "unit_price": "Prix unitaire",
        "results": "Résultats par cohorte et période",
        "cohort": "Cohorte",
        "status": "Statut",
        "status_interim": "intermédiaire",
        "status_final": "final",
        "achieved": "Atteint",
        "target": "Cible",
        "achievement_rate": "Taux d’atteinte",
        "chart_achieved_title": "Atteint et cible — dernière période de chaque cohorte",
        "comparison": "Comparaison avec le groupe témoin",
        "treated": "Cohorte traitée",
        "treated_rate": "Taux traité",
        "comparison_rate": "Taux témoin",
        "improvement": "Amélioration",
        "threshold": "Seuil",
        "required_rate": "Seuil de paiement",
        "required_rate_lower": "Seuil de paiement (taux maximal)",
        "lower_is_better_note": (
            "Pour cet indicateur, un taux plus bas est meilleur : l’amélioration est l’écart "
            "du taux de la cohorte sous celui du groupe témoin, rapporté à ce dernier ; le "
            "seuil est atteint quand le taux de la cohorte est au plus le seuil de paiement."
        ),
        "threshold_met": "Seuil atteint",
        "threshold_relative": "{value} (relatif)",
        "yes": "oui",
        "no": "non",
        "masked": "masqué",
        "chart_comparison_title": "Taux de réussite : cohorte traitée et groupe témoin",
        "chart_comparison_title_lower": (
            "Taux mesurés (plus bas = meilleur) : cohorte traitée et groupe témoin"
        ),
        "no_results": "Aucun résultat vérifié à ce jour.",
        "payments": "Paiements aux résultats",
        "payer": "Payeur",
        "amount": "Montant",
        "cumulative": "Cumul",
        "total": "Total",
        "total_by_payer": "Total par payeur",
        "chart_payments_title": "Paiements cumulés et plafond du contrat",
        "chart_schedule_title": "Par investisseur : appelé, principal remboursé, rendement versé",
        "cumulative_paid": "Cumul versé",
        "no_payments": "Aucun paiement versé à ce jour.",
        "investor_repayment": "Remboursement des investisseurs (agrégé)",
        "investor_aggregate_note": "Montants agrégés sur {count} investisseurs.",
        "not_disclosed": "non communiqué",
        "cap_unknown": "inconnu",
        "investor_not_disclosed_note": (
            "Montants non communiqués : ils porteraient sur {count} investisseur(s), "
            "moins de {minimum}, et feraient connaître la position de l’un d’eux. "
            "Seule la catégorie de remboursement est donnée."
        ),
        "capital_committed": "Capital engagé",
        "principal_repaid": "Principal remboursé",
        "return_paid": "Rendement versé",
        "principal_outstanding": "Principal restant dû",
        "category_no_repayment": "aucun remboursement",
        "category_some_repayment": "remboursement partiel (sous le principal)",
        "category_principal_repaid": "principal remboursé (sans rendement net)",
        "category_positive_return": "principal remboursé et rendement positif",
        "methodology": "Méthodologie et journal de vérification",
        "methodology_text": (
            "Les résultats sont mesurés et vérifiés par l’évaluateur "
            "indépendant ; aucune autre partie ne peut les saisir ni les "
            "vérifier. Un résultat vérifié n’est jamais modifié : une "
            "correction est une nouvelle écriture liée, motivée. Chaque "
            "résultat vérifié et chaque mouvement d’argent est chaîné par "
            "empreinte (hash) dans le registre du programme."
        ),
        "masking_text": (
            "Protection des participants : dans l’édition publique, tout "
            "effectif de participants compris entre 1 et {threshold} est "
            "masqué, dans les tableaux comme dans les graphiques. Dans les "
            "tableaux de résultats, d’autres effectifs de la même période le "
            "sont aussi au besoin (secret secondaire), pour qu’aucun effectif "
            "masqué ne puisse être retrouvé par différence avec un total "
            "publié ; ils s’affichent tous « {hidden} », les autres « {masked} ». "
            "Les taux calculés sur un effectif masqué sont masqués eux aussi. "
            "Aucune donnée individuelle n’est publiée."
        ),
        "manager_masking_text": (
            "Édition gestionnaire : les effectifs sont exacts, non masqués. "
            "Ce document ne doit pas être diffusé."
        ),
        "verification_log": "Journal de vérification",
        "date": "Date",
        "result": "Résultat",
        "action": "Action",
        "actor": "Par",
        "note": "Motif",
        "action_submitted": "soumis",
        "action_verified": "vérifié",
        "action_rejected": "rejeté",
        "action_amended": "amendé",
        "action_accepted": "accepté par le payeur",
        "action_disputed": "contesté par le payeur",
        "no_log": "Aucune écriture de vérification.",
        "ledger": "Registre et vérification d’intégrité",
        "ledger_text": (
            "Ce rapport a été établi à partir du registre du programme dont "
            "la tête de chaîne est reproduite ci-dessous. Pour vérifier que "
            "rien n’a changé depuis, exécutez la commande indiquée et "
            "comparez l’empreinte affichée avec celle-ci."
        ),
        "ledger_public_text": (
            "Ce rapport a été établi à partir du registre du programme, dont la tête de chaîne "
            "est reproduite ci-dessous. Les financeurs publics parties au contrat vérifient ce "
            "fichier contre le registre, hors ligne, avec le lot de vérification du programme."
        ),
        "chain_head": "Tête de chaîne",
        "entry_count": "Nombre d’écritures",
        "verify_command": "Commande de vérification",
        "verify_file_command": "Vérifier ce fichier contre le registre",
        "no_waterfall": (
            "Aucun échéancier pour cet état du registre : les conditions du contrat "
            "n’y étaient pas encore enregistrées."
        ),
        "no_scenarios": "Aucune projection calculée pour cet état du registre.",
        "waterfall": "Cascade de distribution",
        "step": "Étape",
        "order": "Ordre",
        "allocated": "Alloué à ce jour",
        "cap": "Plafond",
        "none_cap": "—",
        "schedule": "Échéancier de remboursement par investisseur",
        "investor": "Investisseur",
        "drawn": "Appelé",
        "outstanding": "Restant dû",
        "projected": "prévisionnel",
        "actual": "réalisé",
        "kind": "Nature",
        "investor_metrics": "Indicateurs par investisseur",
        "tranche": "Tranche",
        "committed": "Engagé",
        "distributed": "Distribué",
        "xirr": "TRI (XIRR)",
        "moic": "Multiple (MOIC)",
        "dpi": "DPI",
        "not_defined": "non défini",
        "metrics_note": (
            "TRI, MOIC et DPI à date\u00a0: seuls les flux déjà enregistrés au "
            "registre comptent. Tant qu’il reste du capital à rembourser, le TRI "
            "est donc négatif, comme si le reste était perdu\u00a0; les projections "
            "par scénario montrent ce que donnerait le remboursement. "
            "« non défini »\u00a0: l’indicateur n’existe pas ou ne converge pas "
            "pour ces flux\u00a0; aucune valeur approchée n’est affichée."
        ),
        "scenarios": "Projections par scénario",
        "scenario": "Scénario",
        "assumptions": "Hypothèses",
        "outcome_payments": "Paiements aux résultats",
        "step_fees_share": "Frais — {recipient} ({share} du montant restant)",
        "step_fees_amount": "Frais — {recipient} ({amount} par paiement)",
        "step_principal": "Principal — {tranche}",
        "step_return": "Rendement — {tranche} ({cap})",
        "step_guarantee_reimbursement": "Remboursement des garants — {tranche}",
        "step_provider_success_fee": "Prime de succès — {recipient} ({share})",
        "step_investor_success_fee": "Prime de succès des investisseurs — {tranche} ({share})",
        "step_recycle": "Réinvesti dans le programme",
        "cap_annual_rate": "plafonné à {rate} par an",
        "cap_irr": "TRI plafonné à {rate}",
        "cap_multiple": "total rendu plafonné à {multiple} l’appelé",
        "cap_none": "sans plafond",
        "distributions_recorded": "Distributions enregistrées au registre",
        "guarantee_called": "Appels de garantie",
        "scenario_assumption": "{percent} des objectifs",
        "projection_note": (
            "Chaque projection applique les mêmes règles et la même cascade à des résultats "
            "prévus : l’objectif de chaque indicateur multiplié par le pourcentage, réparti "
            "sur ses périodes et payé à la fin de chacune. Les engagements non encore appelés "
            "sont supposés appelés en totalité à leur date d’engagement ; le rendement "
            "s’arrête et les garanties sont appelées à la fin du programme. Totaux de tous les "
            "prêteurs ensemble."
        ),
        "capital_drawn_assumed": "Capital appelé (hypothèse)",
        "guarantee_paid": "Payé par les garants",
        "page_of": "Page {page} / {total}",
        "ledger_footer": "Registre {hash}",
        "chart_count_axis": "Participants",
        "chart_rate_axis": "Taux",
        "metadata_subject": "Rapport d’évaluation ({edition}) — {programme}",
        "metadata_keywords": "contrat à impact social, évaluation, résultats, paiements",
    },
    "en": {
        "report_title": "Evaluation report",
        "edition_public": "Public edition",
        "edition_manager": "Manager edition — confidential",
        "confidential_notice": (
            "Confidential document for fund managers only: it contains "
            "individual investor positions."
        ),
        "public_notice": (
            "Public document: counts from 1 to {threshold} are masked and no "
            "individual investor position is shown."
        ),
        "period": "Period",
        "period_range": "{start} – {end}",
        "report_date": "Report date",
        "edition": "Edition",
        "currency": "Currency",
        "parties": "Parties",
        "role": "Role",
        "name": "Name",
        "role_payer": "Outcome payer",
        "role_investor": "Investor",
        "role_guarantor": "Guarantor",
        "role_provider": "Service provider",
        "role_intermediary": "Intermediary",
        "role_evaluator": "Independent evaluator",
        "payer_share": "{name} ({share})",
        "investors_aggregated": "{count} investors (not named)",
        "guarantors_aggregated": "{count} guarantor(s) (not named)",
        "toc": "Contents",
        "summary": "Executive summary",
        "participants_enrolled": "Participants enrolled",
        "outcomes_verified": "Verified outcomes",
        "outcome_payments_paid": "Outcome payments paid",
        "outcome_payments_due": "Payments due (verified, not yet paid)",
        "contract_cap": "Contract cap",
        "cap_used": "Share of cap used",
        "capital_drawn": "Capital drawn",
        "repayment_category": "Investor repayment",
        "figure": "Key figure",
        "value": "Value",
        "metric_heading": "Metric: {name}",
        "definition": "Definition",
        "mechanism": "Payment mechanism",
        "unit_price": "Unit price",
        "results": "Results by cohort and period",
        "cohort": "Cohort",
        "status": "Status",
        "status_interim": "interim",
        "status_final": "final",
        "achieved": "Achieved",
        "target": "Target",
        "achievement_rate": "Achievement",
        "chart_achieved_title": "Achieved and target — latest period of each cohort",
        "comparison": "Comparison with the comparison group",
        "treated": "Treated cohort",
        "treated_rate": "Treated rate",
        "comparison_rate": "Comparison rate",
        "improvement": "Improvement",
        "threshold": "Threshold",
        "required_rate": "Payment threshold",
        "required_rate_lower": "Payment threshold (highest rate)",
        "lower_is_better_note": (
            "For this metric a lower rate is better: the improvement is how far the "
            "cohort's rate is below the comparison group's, relative to it; the threshold "
            "is met when the cohort's rate is at most the payment threshold."
        ),
        "threshold_met": "Threshold met",
        "threshold_relative": "{value} (relative)",
        "yes": "yes",
        "no": "no",
        "masked": "masked",
        "chart_comparison_title": "Success rates: treated cohort and comparison group",
        "chart_comparison_title_lower": (
            "Measured rates (lower is better): treated cohort and comparison group"
        ),
        "no_results": "No verified result yet.",
        "payments": "Outcome payments",
        "payer": "Payer",
        "amount": "Amount",
        "cumulative": "Cumulative",
        "total": "Total",
        "total_by_payer": "Total by payer",
        "chart_payments_title": "Cumulative payments and contract cap",
        "chart_schedule_title": "Per investor: drawn, principal repaid, return paid",
        "cumulative_paid": "Cumulative paid",
        "no_payments": "No payment made yet.",
        "investor_repayment": "Investor repayment (aggregated)",
        "investor_aggregate_note": "Amounts aggregated over {count} investors.",
        "not_disclosed": "not disclosed",
        "cap_unknown": "unknown",
        "investor_not_disclosed_note": (
            "Amounts not disclosed: they would cover {count} investor(s), fewer than "
            "{minimum}, and reveal one investor's position. Only the repayment category "
            "is given."
        ),
        "capital_committed": "Capital committed",
        "principal_repaid": "Principal repaid",
        "return_paid": "Return paid",
        "principal_outstanding": "Principal outstanding",
        "category_no_repayment": "no repayment",
        "category_some_repayment": "some repayment (below principal)",
        "category_principal_repaid": "principal repaid (no net return)",
        "category_positive_return": "principal repaid with a positive return",
        "methodology": "Methodology and verification log",
        "methodology_text": (
            "Outcomes are measured and verified by the independent evaluator; "
            "no other party may enter or verify them. A verified result is "
            "never edited: a correction is a new, linked entry with a reason. "
            "Every verified result and every money movement is hash-chained "
            "in the programme's ledger."
        ),
        "masking_text": (
            "Participant protection: in the public edition every participant "
            "count from 1 to {threshold} is masked, in tables and charts alike. "
            "In the results tables, other counts of the same period are masked "
            "too where needed (secondary suppression), so that no masked count "
            "can be worked out by subtraction from a published total; all of "
            "them show as “{hidden}”, the others as “{masked}”. Rates computed "
            "on a masked count are masked too. No individual data is published."
        ),
        "manager_masking_text": (
            "Manager edition: counts are exact, not masked. This document must not be circulated."
        ),
        "verification_log": "Verification log",
        "date": "Date",
        "result": "Result",
        "action": "Action",
        "actor": "By",
        "note": "Reason",
        "action_submitted": "submitted",
        "action_verified": "verified",
        "action_rejected": "rejected",
        "action_amended": "amended",
        "action_accepted": "accepted by payer",
        "action_disputed": "disputed by payer",
        "no_log": "No verification entry.",
        "ledger": "Ledger and integrity check",
        "ledger_text": (
            "This report was built from the programme's ledger whose chain "
            "head is printed below. To check that nothing has changed since, "
            "run the command shown and compare the hash it prints with this "
            "one."
        ),
        "ledger_public_text": (
            "This report was built from the programme's ledger, whose chain head is printed "
            "below. The public funders party to the contract check this file against the "
            "ledger, offline, with the programme's verification bundle."
        ),
        "chain_head": "Chain head",
        "entry_count": "Ledger entries",
        "verify_command": "Verification command",
        "verify_file_command": "Check this file against the ledger",
        "no_waterfall": (
            "No schedule at this ledger state: the contract terms were not yet recorded in it."
        ),
        "no_scenarios": "No projection computed for this ledger state.",
        "waterfall": "Distribution waterfall",
        "step": "Step",
        "order": "Order",
        "allocated": "Allocated to date",
        "cap": "Cap",
        "none_cap": "—",
        "schedule": "Repayment schedule per investor",
        "investor": "Investor",
        "drawn": "Drawn",
        "outstanding": "Outstanding",
        "projected": "projected",
        "actual": "actual",
        "kind": "Kind",
        "investor_metrics": "Investor metrics",
        "tranche": "Tranche",
        "committed": "Committed",
        "distributed": "Distributed",
        "xirr": "XIRR",
        "moic": "MOIC",
        "dpi": "DPI",
        "not_defined": "not defined",
        "metrics_note": (
            "XIRR, MOIC and DPI to date: only the cash flows already in the "
            "ledger count. While capital is still outstanding, XIRR is therefore "
            "negative, as if the rest were lost; the scenario projections show "
            "what repayment would give. “not defined”: the metric does not exist "
            "or does not converge for these cash flows; no approximate value is "
            "printed."
        ),
        "scenarios": "Scenario projections",
        "scenario": "Scenario",
        "assumptions": "Assumptions",
        "outcome_payments": "Outcome payments",
        "step_fees_share": "Fees — {recipient} ({share} of what is left)",
        "step_fees_amount": "Fees — {recipient} ({amount} per payment)",
        "step_principal": "Principal — {tranche}",
        "step_return": "Return — {tranche} ({cap})",
        "step_guarantee_reimbursement": "Guarantors reimbursed — {tranche}",
        "step_provider_success_fee": "Provider success fee — {recipient} ({share})",
        "step_investor_success_fee": "Investors’ success fee — {tranche} ({share})",
        "step_recycle": "Recycled into the programme",
        "cap_annual_rate": "capped at {rate} a year",
        "cap_irr": "IRR capped at {rate}",
        "cap_multiple": "total returned capped at {multiple} drawn",
        "cap_none": "uncapped",
        "distributions_recorded": "Distributions recorded in the ledger",
        "guarantee_called": "Guarantee calls",
        "scenario_assumption": "{percent} of targets",
        "projection_note": (
            "Each projection runs the same rules and waterfall on forecast results: every "
            "metric's target times the percentage, spread over its periods and paid at the "
            "end of each. Commitments not yet drawn are taken as drawn in full on their "
            "commitment date; return stops and guarantees are called at the programme's end. "
            "Totals of all lenders together."
        ),
        "capital_drawn_assumed": "Capital drawn (assumed)",
        "guarantee_paid": "Paid by guarantors",
        "page_of": "Page {page} / {total}",
        "ledger_footer": "Ledger {hash}",
        "chart_count_axis": "Participants",
        "chart_rate_axis": "Rate",
        "metadata_subject": "Evaluation report ({edition}) — {programme}",
        "metadata_keywords": "social impact bond, evaluation, outcomes, payments",
    },
}


def label(lang: str, key: str) -> str:
    """Return the fixed wording for ``key`` in ``lang``."""
    return LABELS[lang][key]


def month_names(lang: str) -> tuple[str, ...]:
    """Return the twelve month names, January first, from Babel's CLDR data."""
    return _month_names(lang)


@cache
def _month_names(lang: str) -> tuple[str, ...]:
    # CLDR's "wide" names as used inside a date: "janvier", "January".
    names = get_month_names("wide", locale=lang)
    return tuple(names[month] for month in range(1, 13))
