"""The project's errors: how services, selectors and rules report a refusal.

Services know nothing of HTTP. When a rule refuses, they raise one of these with a
stable `code` (the rule's name, for clients and tests), a message, and the message's
parameters. The message is translated where it is shown: pass a `gettext_lazy` string
and its `params`, and `str(error)` renders it in the language active at the edge
(the API's exception handler, `sib/api/problems.py`; a portal page,
`sib.portal.forms.add_service_errors`).

    raise Conflict(
        gettext_lazy("Only a verified result can be amended; this one is %(state)s."),
        code="result_not_verified",
        params={"state": state},
    )

| class          | status | meaning                                       |
|----------------|--------|-----------------------------------------------|
| `InvalidInput` | 400    | the input breaks a rule (may name a `field`)  |
| `Refused`      | 403    | a rule or role refuses this user this action  |
| `NotFound`     | 404    | what is asked for does not exist (here)       |
| `Conflict`     | 409    | the current state does not allow it           |

Field-by-field validation of a form-like input keeps Django's `ValidationError` (a
dict of field → messages), which forms and the handler already show beside each field.
`Refused` is a Django `PermissionDenied` and `NotFound` an `Http404`, so code and
middleware that know those keep working.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.http import Http404

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ApplicationError(Exception):
    """A rule refused; `code` names it, `str()` gives the translated message."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "invalid"

    def __init__(
        self,
        message: "StrOrPromise",
        *,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
        field: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.params = dict(params or {})
        self.field = field
        # Machine-readable details the API adds to its problem body (JSON values only).
        self.extra = dict(extra or {})

    def __str__(self) -> str:
        # Rendered now, so a lazy message takes the language active where it is shown.
        text = str(self.message)
        return text % self.params if self.params else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={str(self)!r})"


class InvalidInput(ApplicationError):
    status = 400
    default_code = "invalid"


class Refused(ApplicationError, PermissionDenied):
    status = 403
    default_code = "refused"


class NotFound(ApplicationError, Http404):
    status = 404
    default_code = "not_found"


class Conflict(ApplicationError):
    status = 409
    default_code = "conflict"
