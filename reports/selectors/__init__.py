"""Gather what an evaluation report prints from the ledger, as of one chain entry.

A report describes one *state* of the programme: the first `seq` entries of its hash
chain. Every chained fact (verified results, decisions, amendments, funder reviews, ledger
transactions) counts only if its chain entry is at or before `seq`, so a report built a
month later for the same chain head prints the same numbers and the same bytes. What is
not chained (the programme's name, its parties, metric definitions, commitments) is read
as it is now.

One module per job:

- `state`: the state a report covers (`chain_state`) and the chained ids it counts;
- `report`: the whole document for one edition (`report_data`) and the parties;
- `outcomes`: metric sections and the verification log as of the state;
- `money`: payments, capital and repayment as of the state, read from the ledger;
- `manager`: what only the manager edition prints (positions, waterfall, scenarios);
- `stored`: the reports already built (`report_list`, `report_get`, `report_published`).

The renderer in reports.rendering only lays the result out; nothing here knows about PDF.
"""
