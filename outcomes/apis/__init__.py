"""API for outcome definitions, results, their import and their verification.

One class per operation. Every view resolves its programme through sib.scoping (404 for
a programme the user has no role on, 403 for a role without the right). Public funders
see verified results only and never participant records.

One module per resource: `definitions` (cohorts, periods, metrics), `results` (list,
submit, verify, reject, amend, review), `imports` (a results file), `evidence` (a
result's documents), `disputes` (withdrawing one) and `participants` (their records).
"""
