"""Reading a programme definition file: bytes in, a JSON document out, or a listed error.

One reader for every door a definition comes in by (`programme_load` on the command line,
the portal's upload page), so a file one accepts the other accepts, and a bad file gets
the same reason from both. What it checks before the format's own validation
(sib.programme_format) can run:

- the text is UTF-8, -16 or -32 (RFC 8259; `json.detect_encoding` tells them apart by
  their first bytes), a byte-order mark allowed;
- the nesting is within `MAX_JSON_DEPTH`, found by a linear scan *before* parsing:
  json.loads recurses once per level and 100,000 brackets end in RecursionError;
- it is JSON, with the line and column of the first fault.
"""

import json
from typing import Any

from django.utils.translation import gettext as _

from sib.bounds import MAX_JSON_DEPTH, json_depth_exceeds
from sib.programme_format import DefinitionError

# A file refusal concerns the whole document, not a path inside it.
DOCUMENT = ""


def definition_parse(raw: bytes) -> Any:
    """Return the definition file's JSON document, or raise DefinitionError saying why."""
    encoding = json.detect_encoding(raw)
    try:
        text = raw.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        message = _("the file is not UTF-8 text (byte %(byte)s): save it as UTF-8") % {
            "byte": exc.start + 1
        }
        raise DefinitionError([(DOCUMENT, message)]) from exc
    if json_depth_exceeds(text):
        message = _("nested deeper than %(depth)s levels") % {"depth": MAX_JSON_DEPTH}
        raise DefinitionError([(DOCUMENT, message)])
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = _("the file is not JSON: line %(line)s, column %(column)s: %(reason)s") % {
            "line": exc.lineno,
            "column": exc.colno,
            "reason": exc.msg,
        }
        raise DefinitionError([(DOCUMENT, message)]) from exc
