from typing import Any

from drf_spectacular.management.commands import spectacular

from sib.locale import API_DEFAULT_LANGUAGE


class Command(spectacular.Command):
    """drf-spectacular's schema command, in the API's own default language.

    A management command runs in the project's LANGUAGE_CODE (French, the portal's), so
    the printed schema would describe the API in French while `/api/schema/` answers a
    client that sends no Accept-Language in English. `--lang` still chooses.
    """

    def handle(self, *args: Any, **options: Any) -> Any:
        options["lang"] = options.get("lang") or API_DEFAULT_LANGUAGE
        return super().handle(*args, **options)
