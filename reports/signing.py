"""Sign an issued report PDF (PAdES), so any PDF reader shows who issued it and that it is intact.

The renderer's bytes stay deterministic (the same state gives the same unsigned PDF); the
signature is added as an incremental update, the last step of issuing, and is not: it
carries the signing time. What is stored and served as the issued report is the signed file.
"""

import io

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from sib.signing import SigningIdentity, signing_identity

SIGNATURE_FIELD = "SIB-ledger"


def report_sign(pdf: bytes, *, identity: SigningIdentity | None = None) -> bytes:
    """Return `pdf` with a PAdES baseline signature by the ledger's key over every byte."""
    identity = identity or signing_identity()
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(identity.certificate_der),
        signing_key=asn1_keys.PrivateKeyInfo.load(identity.key_der()),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in identity.chain]
        ),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason="Issued by the outcomes ledger; its chain head is printed inside",
    )
    signed = signers.PdfSigner(metadata, signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
    return signed.getvalue()
