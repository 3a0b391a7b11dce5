from django.core.management.base import BaseCommand, no_translations

from sib.signing import signing_identity


class Command(BaseCommand):
    help = (
        "Print the certificate that signs reports and checkpoints, with its SHA-256 "
        "fingerprint: give the fingerprint to funders out of band (docs/security.md)."
    )

    @no_translations
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        identity = signing_identity()
        certificate = identity.certificate
        self.stdout.write(
            f"subject:     {certificate.subject.rfc4514_string()}\n"
            f"issuer:      {certificate.issuer.rfc4514_string()}\n"
            f"valid:       {certificate.not_valid_before_utc:%Y-%m-%d} to "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}\n"
            f"sha256:      {identity.fingerprint}\n"
            f"{identity.certificate_pem}"
        )
