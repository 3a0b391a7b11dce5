from django.core.management.commands import makemessages


class Command(makemessages.Command):
    """Django's makemessages, also finding the PDF wording marked with a context.

    The renderer marks its texts with ``reports.rendering.wording.pgettext_noop``
    (Django has no such marker: its own ones need the settings).
    """

    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=pgettext_noop:1c,2"]
