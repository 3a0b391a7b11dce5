"""The programme definition format (docs/programme-format.md): one JSON document per deal.

- `loader`: the envelope, the sections' registry, loading and dumping a whole document;
- `schema`: the structure, checked against docs/programme-format.schema.json;
- `bond_sections`: the bond's own sections (organisations, programme, parties, memberships).

The sections of the other apps register themselves from their own modules, since imports
flow one way (sib <- outcomes <- payments): `outcomes.definition` (cohorts, periods,
metrics), `payments.format` (tranches), `payments.waterfall_format` (waterfall, payment
terms), `payments.history_format` and `payments.history_checks` (history).
"""

from sib.programme_format.loader import (
    FORMAT_NAME,
    FORMAT_VERSION,
    DefinitionError,
    LoadContext,
    Section,
    programme_definition_dump,
    programme_definition_errors,
    programme_definition_load,
    section_paths,
    section_register,
    sections,
)
from sib.programme_format.schema import programme_schema, schema_errors

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "DefinitionError",
    "LoadContext",
    "Section",
    "programme_definition_dump",
    "programme_definition_errors",
    "programme_definition_load",
    "programme_schema",
    "schema_errors",
    "section_paths",
    "section_register",
    "sections",
]
