"""python manage.py pseudonym_rule PROGRAMME [--set 2]: show or change how ids are hashed."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, no_translations

from outcomes.pseudonym_rule import programme_pseudonym_rule_set
from sib.models import Programme, PseudonymRule


class Command(BaseCommand):
    help = (
        "Show a programme's pseudonym rule, or change it while the programme holds no "
        "participant record (docs/results-csv.md)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("programme", help="Programme slug or id.")
        parser.add_argument("--set", type=int, choices=PseudonymRule.values, dest="rule")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        key = options["programme"]
        lookup = {"pk": int(key)} if key.isdigit() else {"slug": key}
        try:
            programme = Programme.objects.get(**lookup)
        except Programme.DoesNotExist as exc:
            raise CommandError(str(exc)) from None
        if options["rule"] is not None:
            try:
                programme = programme_pseudonym_rule_set(programme=programme, rule=options["rule"])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        rule = PseudonymRule(programme.pseudonym_rule)
        self.stdout.write(f"{programme.slug}: pseudonym rule {rule.value} ({rule.label}).")
