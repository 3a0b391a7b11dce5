"""The ledger's signing key and certificate: what signs checkpoints and issued reports.

Production names a PEM private key and its PEM certificate (SIGNING_KEY_FILE,
SIGNING_CERT_FILE; README, "Configuration"): a certificate from a CA the funders' PDF
readers trust, or one whose fingerprint the contract records. Development generates a
self-signed ECDSA P-256 pair once under var/signing/, at first use (not at settings
import: commands that never sign never create it).

The same key signs the PDF (PAdES, reports.signing) and the checkpoints (sib.checkpoints),
so one certificate, shipped in every verification bundle, checks both (sib_verify).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SigningIdentity:
    key: Any  # a cryptography private key: EC, RSA or Ed25519
    certificate: x509.Certificate
    # Intermediate CA certificates that followed it in SIGNING_CERT_FILE, embedded in the
    # PDF signature so a reader can build the path to a root it trusts.
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def fingerprint(self) -> str:
        """Return the certificate's SHA-256 fingerprint (hex), as sib_verify prints it."""
        return hashlib.sha256(self.certificate_der).hexdigest()

    def key_der(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(self, data: bytes) -> bytes:
        """Return the key's signature of `data` (sib_verify.signature_verify checks it)."""
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if isinstance(self.key, ed25519.Ed25519PrivateKey):
            return self.key.sign(data)
        raise ImproperlyConfigured("SIGNING_KEY_FILE: use an EC, RSA or Ed25519 key.")


def signing_identity() -> SigningIdentity:
    """Return the configured key and certificate (development: generated once under var/)."""
    return _identity(settings.SIGNING_KEY_FILE or "", settings.SIGNING_CERT_FILE or "")


@cache
def _identity(key_file: str, cert_file: str) -> SigningIdentity:
    if not (key_file and cert_file):
        if key_file or cert_file:
            raise ImproperlyConfigured("Set both SIGNING_KEY_FILE and SIGNING_CERT_FILE.")
        if settings.PRODUCTION:
            raise ImproperlyConfigured(
                "SIGNING_KEY_FILE and SIGNING_CERT_FILE must be set when SIB_ENV=production: "
                "reports and checkpoints are signed."
            )
        directory = _development_pair(Path(settings.VAR_DIR) / "signing")
        key_file, cert_file = str(directory / "key.pem"), str(directory / "cert.pem")
    try:
        key = serialization.load_pem_private_key(Path(key_file).read_bytes(), password=None)
        certificate, *chain = x509.load_pem_x509_certificates(Path(cert_file).read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"The signing key or certificate cannot be read: {exc}") from exc
    if certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise ImproperlyConfigured("SIGNING_CERT_FILE is not the certificate of SIGNING_KEY_FILE.")
    return SigningIdentity(key, certificate, tuple(chain))


def _development_pair(directory: Path) -> Path:
    """Create a self-signed key and certificate in `directory` unless they exist."""
    if directory.exists():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "SIB outcomes ledger (development)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Development, not for production"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    # Written in a directory of its own, then renamed into place: the web server and a
    # worker starting together would otherwise each write a key, and one would sign with a
    # key whose certificate the other overwrote. The rename is atomic; the loser's is dropped.
    staging = Path(tempfile.mkdtemp(prefix=".signing-", dir=directory.parent))
    try:
        key_path = staging / "key.pem"
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        (staging / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        os.rename(staging, directory)
    except OSError:
        if not directory.exists():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory
