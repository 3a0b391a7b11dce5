"""
Hold the payment notice's fixed wording in French and English.

Kept beside ``labels.LABELS`` (the evaluation report's wording) for the same reason:
the renderer runs without Django settings. Both languages have the same keys (tested).
"""

from __future__ import annotations

from typing import Final

NOTICE_LABELS: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "edition_payer_notice": "Avis de paiement aux résultats",
        "notice_title": "Avis de paiement aux résultats",
        "notice_to": "Destinataire",
        "notice_share": "Part de chaque paiement",
        "notice_share_by_split": "selon la cohorte ou l’indicateur",
        # The residual (top-up) payer: what the others' shares leave and their caps stop.
        "notice_share_rest": "le reste",
        "notice_cap_rest": (
            "Sauf là où {payer} paie le reste d’un paiement : ce que le plafond arrête sur "
            "ce paiement revient à {payer}, dans la limite de son propre plafond."
        ),
        "notice_date": "Date de l’avis",
        "notice_state": "État du registre",
        "notice_state_value": "{count} écritures",
        "notice_intro": (
            "Cet avis indique ce que les résultats vérifiés du programme font devoir "
            "au payeur, ce qu’il a déjà versé et ce qui reste à payer, à l’état du "
            "registre dont la tête de chaîne figure à la fin. Les montants sont ceux "
            "de la position du programme, les mêmes sur chaque page et dans chaque rapport."
        ),
        "notice_position": "Position du payeur",
        "notice_due": "Paiements dus (résultats vérifiés)",
        "notice_disputed": "dont contestés (retenus jusqu’à résolution)",
        "notice_received": "Paiements reçus",
        "notice_advance": "Avance reçue, non encore imputée",
        "notice_credit": "Crédit dû au payeur",
        "notice_refunded": "Crédit remboursé au payeur (déduit des paiements reçus)",
        "notice_outstanding": "Reste dû",
        "notice_payable": "À payer maintenant (reste dû hors montants contestés)",
        "notice_cap_title": "Plafond du payeur",
        "notice_cap_text": (
            "Le contrat plafonne ce que le payeur doit sur toute la durée du programme. "
            "Une fois ce plafond atteint, le reste de ce que ses résultats valent est "
            "arrêté : il n’est dû par personne et n’est pas reporté sur les autres payeurs."
        ),
        "notice_cap": "Plafond",
        "notice_cap_used": "Utilisé par ses paiements dus",
        "notice_cap_remaining": "Reste sous le plafond",
        "notice_cap_stopped": "Arrêté par le plafond (dû par personne)",
        "notice_lines": "Résultats vérifiés à l’origine des montants dus",
        "notice_lines_text": (
            "Chaque ligne est un résultat vérifié (ou un groupe de résultats au même "
            "prix) et la part du payeur dans son montant. Les paiements reçus soldent "
            "les dus les plus anciens d’abord ; un résultat contesté est retenu et "
            "n’est soldé qu’après résolution."
        ),
        "notice_no_lines": "Aucun résultat vérifié ne fait encore devoir de paiement.",
        "col_metric": "Indicateur / résultats",
        "col_cohort_period": "Cohorte / période",
        "col_stage_verified": "Stade / vérifié le",
        "col_count": "Nombre",
        "col_amount": "Montant dû",
        "col_settled": "Soldé",
        "result_ids": "résultat(s) n° {ids}",
        "disputed_held": "contesté",
        "notice_payments": "Paiements reçus du payeur",
        "notice_no_payments": "Aucun paiement reçu.",
        "col_date": "Date",
        "col_payment": "Montant",
        "payment_reversal": "{amount} (annulation)",
        "payment_paid_by": "{amount}, versé par {party}",
        "notice_ledger": "Registre et vérification",
        "notice_ledger_text": (
            "Cet avis a été établi à partir du registre du programme dont la tête de "
            "chaîne est reproduite ci-dessous, et signé par le registre. Pour le vérifier "
            "sans faire confiance au serveur, téléchargez le paquet de vérification du "
            "programme depuis le portail et lancez la commande ci-dessous avec "
            "l’empreinte du certificat du registre qui vous a été remise avec le contrat."
        ),
        "notice_offline_check": "Vérifier cet avis hors ligne",
    },
    "en": {
        "edition_payer_notice": "Outcome payment notice",
        "notice_title": "Outcome payment notice",
        "notice_to": "Addressed to",
        "notice_share": "Share of each payment",
        "notice_share_by_split": "by cohort or metric",
        "notice_share_rest": "the rest",
        "notice_cap_rest": (
            "Except where {payer} pays the rest of a payment: what the cap stops on that "
            "payment falls to {payer}, up to its own cap."
        ),
        "notice_date": "Notice date",
        "notice_state": "Ledger state",
        "notice_state_value": "{count} entries",
        "notice_intro": (
            "This notice states what the programme's verified results make the payer "
            "owe, what it has already paid and what remains to pay, at the ledger state "
            "whose chain head is printed at the end. The amounts are the programme's "
            "position: the same on every page and in every report."
        ),
        "notice_position": "Payer's position",
        "notice_due": "Outcome payments due (verified results)",
        "notice_disputed": "of which disputed (held until resolved)",
        "notice_received": "Payments received",
        "notice_advance": "Advance received, not yet applied",
        "notice_credit": "Credit owed to the payer",
        "notice_refunded": "Credit refunded to the payer (out of the payments received)",
        "notice_outstanding": "Outstanding",
        "notice_payable": "To pay now (outstanding less disputed amounts)",
        "notice_cap_title": "Payer's cap",
        "notice_cap_text": (
            "The contract caps what the payer owes over the whole programme. Once the cap "
            "is reached, the rest of what its results are priced at is stopped: owed by "
            "no one and not moved to the other payers."
        ),
        "notice_cap": "Cap",
        "notice_cap_used": "Used by its payments due",
        "notice_cap_remaining": "Remaining under the cap",
        "notice_cap_stopped": "Stopped by the cap (owed by no one)",
        "notice_lines": "Verified results behind the amounts due",
        "notice_lines_text": (
            "Each line is a verified result (or a group of results at the same price) "
            "and the payer's share of its amount. Payments received settle the oldest "
            "dues first; a disputed result is held and settled only once resolved."
        ),
        "notice_no_lines": "No verified result makes a payment due yet.",
        "col_metric": "Metric / results",
        "col_cohort_period": "Cohort / period",
        "col_stage_verified": "Stage / verified on",
        "col_count": "Count",
        "col_amount": "Amount due",
        "col_settled": "Settled",
        "result_ids": "result(s) no. {ids}",
        "disputed_held": "disputed",
        "notice_payments": "Payments received from the payer",
        "notice_no_payments": "No payment received.",
        "col_date": "Date",
        "col_payment": "Amount",
        "payment_reversal": "{amount} (reversal)",
        "payment_paid_by": "{amount}, paid by {party}",
        "notice_ledger": "Ledger and integrity check",
        "notice_ledger_text": (
            "This notice was built from the programme's ledger whose chain head is "
            "printed below, and signed by the ledger. To check it without trusting the "
            "server, download the programme's verification bundle from the portal and run "
            "the command below with the ledger certificate's fingerprint you were given "
            "with the contract."
        ),
        "notice_offline_check": "Check this notice offline",
    },
}
