"""The provider's signing key and X.509 certificate for evidence packages (issue 15; Electronic
Signature Law Art 13–14: a reliable signature binds the signer and shows any later change).

Production uses the provider's real certificate (issued by a CA the court or the platform trusts);
:func:`init_signer` makes a self-made test CA and signer for development, tests and the demo only.
The manifest signature is ES256 (ECDSA P-256, deterministic RFC 6979 nonces) or PS256 (RSA-PSS).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hegui.errors import ValidationFailed
from hegui.fileio import private_dir, write_atomic


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


@dataclass(slots=True)
class ProviderSigner:
    """A private key and its certificate chain (PEM: the signer's certificate first, then issuers)."""

    key_pem: bytes
    chain_pem: bytes
    tsa_url: str = ""

    @property
    def key(self) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
        k = serialization.load_pem_private_key(self.key_pem, password=None)
        if not isinstance(k, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            raise ValidationFailed(message_en="provenance signing key must be EC P-256 or RSA",
                                   message_zh="创作过程签名密钥须为 EC P-256 或 RSA")
        return k

    @property
    def alg(self) -> str:
        return "ES256" if isinstance(self.key, ec.EllipticCurvePrivateKey) else "PS256"

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificates(self.chain_pem)[0]

    def sign(self, data: bytes) -> bytes:
        key = self.key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        return key.sign(data, _pss(), hashes.SHA256())

    @classmethod
    def load(cls, key_path: str | Path, cert_path: str | Path, tsa_url: str = "") -> ProviderSigner:
        try:
            signer = cls(Path(key_path).read_bytes(), Path(cert_path).read_bytes(), tsa_url)
            signer.key, signer.certificate  # noqa: B018 - parse now: a bad file fails here, not mid-export
        except (OSError, ValueError) as exc:
            raise ValidationFailed(message_en=f"provenance signer {key_path} / {cert_path}: {exc}",
                                   message_zh=f"创作过程签名密钥或证书无法读取 {key_path} / {cert_path}：{exc}") from exc
        return signer


def verify_signature(chain_pem: bytes, data: bytes, signature: bytes, alg: str) -> list[str]:
    """Problems with ``signature`` over ``data`` by the first certificate of ``chain_pem`` (empty: valid)."""
    try:
        cert = x509.load_pem_x509_certificates(chain_pem)[0]
    except ValueError as exc:
        return [f"signer certificate unreadable: {exc}"]
    pub = cert.public_key()
    try:
        if alg == "ES256" and isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif alg == "PS256" and isinstance(pub, rsa.RSAPublicKey):
            pub.verify(signature, data, _pss(), hashes.SHA256())
        else:
            return [f"signature algorithm {alg!r} does not match the certificate's key"]
    except InvalidSignature:
        return ["manifest signature does not verify with the signer certificate"]
    return []


def check_chain(chain_pem: bytes, at: dt.datetime, trust_pem: bytes | None = None) -> tuple[list[str], bool]:
    """(problems, anchored): each certificate issued by the next, valid at ``at``, the signer
    allowed to sign; ``anchored`` when the chain ends at (or is issued by) a ``trust_pem`` root."""
    try:
        certs = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as exc:
        return [f"certificate chain unreadable: {exc}"], False
    problems: list[str] = []
    for i, c in enumerate(certs):
        if not (c.not_valid_before_utc <= at <= c.not_valid_after_utc):
            problems.append(f"certificate {i} ({c.subject.rfc4514_string()}) not valid at {at.isoformat()}")
        if i + 1 < len(certs):
            try:
                c.verify_directly_issued_by(certs[i + 1])
            except (ValueError, TypeError, InvalidSignature):
                problems.append(f"certificate {i} is not issued by certificate {i + 1}")
    try:
        ku = certs[0].extensions.get_extension_for_class(x509.KeyUsage).value
        if not ku.digital_signature:
            problems.append("signer certificate does not allow digital signatures")
    except x509.ExtensionNotFound:
        pass
    anchored = False
    if trust_pem:
        try:
            anchors = x509.load_pem_x509_certificates(trust_pem)
        except ValueError as exc:
            return problems + [f"trust anchors unreadable: {exc}"], False
        top = certs[-1]
        for a in anchors:
            if a == top:
                anchored = True
                break
            try:
                top.verify_directly_issued_by(a)
                anchored = True
                break
            except (ValueError, TypeError, InvalidSignature):
                continue
        if not anchored:
            problems.append("certificate chain does not lead to a trusted root (wrong certificate)")
    return problems, anchored


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])


def make_test_signer(org: str = "hegui dev", days: int = 365, *, rsa_bits: int = 0) -> tuple[bytes, bytes, bytes]:
    """(signer key PEM, chain PEM, CA PEM) of a self-made CA — development and tests only.
    ``rsa_bits`` > 0: an RSA signer (PS256) instead of EC P-256 (ES256)."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{org} test CA (not for production)", org)
    no_ku = dict(content_commitment=False, key_encipherment=False, data_encipherment=False, key_agreement=False,
                 encipher_only=False, decipher_only=False)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=days))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True, **no_ku), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits) if rsa_bits else ec.generate_private_key(ec.SECP256R1()))
    ee = (x509.CertificateBuilder().subject_name(_name(f"{org} provenance signer (test)", org)).issuer_name(ca_name)
          .public_key(key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days))
          .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, **no_ku), critical=True)
          .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
          .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    ca_pem = ca.public_bytes(pem)
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key_pem, ee.public_bytes(pem) + ca_pem, ca_pem


def init_signer(out: str | Path, org: str = "hegui dev", days: int = 365) -> dict[str, Path]:
    """Write ``signer.key`` (0600), ``signer.pem`` (chain) and ``ca.pem`` under ``out`` (dev only)."""
    folder = private_dir(out)
    key_pem, chain, ca = make_test_signer(org, days)
    paths = {"key": folder / "signer.key", "cert": folder / "signer.pem", "ca": folder / "ca.pem"}
    write_atomic(paths["key"], key_pem, mode=0o600)
    write_atomic(paths["cert"], chain, mode=0o644)
    write_atomic(paths["ca"], ca, mode=0o644)
    return paths
