"""Setting a programme up step by step in the portal (the guided path of /programmes/new/).

The path builds the same programme definition document an upload gives
(docs/programme-format.md), section by section, and keeps it in the session until the
last page: nothing is written before "Create the draft", which hands the whole document
to the same loader as the upload (sib.programme_format). Each step runs the format's own
validation on the definition built so far and shows its errors beside the fields they
concern; no rule of the format is written again here.

- `forms`: the steps' forms and formsets, which only parse what is typed;
- `document`: the definition in the session, its sections from the forms and back, and
  the format's errors put beside their fields;
- `views`: the pages, the previews (the rate card; the waterfall through
  `sib.signals.waterfall_preview`, answered by payments) and the review.
"""
