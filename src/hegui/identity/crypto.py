"""Protection of personal information at rest (PIPL Arts 28, 51).

- ``pseudonym()``: keyed HMAC-SHA256, so an identifier can be matched but not read back.
- ``mask_*()``: the short readable forms shown to operators (e.g. ``1101**********1234``).
- ``seal()``/``unseal()``: AES-256-GCM for full values, only when the operator asks for it.
Sub-keys are derived from one secret with HKDF, one per purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hegui.errors import ConfigError
from hegui.fileio import fsync_dir, write_atomic


def load_or_create_secret(configured: str, var_dir: str | Path) -> bytes:
    """The configured secret, or ``var/secret.key`` (created once with mode 0600)."""
    if configured:
        if len(configured) < 32:
            raise ConfigError(detail="security.secret_key must be at least 32 characters")
        return configured.encode()
    path = Path(var_dir) / "secret.key"
    if path.exists():
        return path.read_bytes().strip()
    # Several processes may start at once on a fresh var/: the first link wins, the others read
    # its key (os.link never replaces), so no process keeps a key the others do not share.
    key = secrets.token_urlsafe(48).encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    write_atomic(tmp, key, mode=0o600)
    try:
        os.link(tmp, path)
        fsync_dir(path.parent)
    except FileExistsError:
        key = path.read_bytes().strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key


class KeyRing:
    """Purpose-bound keys derived from the service secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self.hmac_key = self._derive(b"hegui/pseudonym")
        self.aes_key = self._derive(b"hegui/seal")
        self.session_key = self._derive(b"hegui/session")

    def _derive(self, info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(self._secret)

    def pseudonym(self, value: str, purpose: str = "") -> str:
        return hmac.new(self.hmac_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def seal(self, plaintext: str | bytes, aad: bytes = b"") -> bytes:
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        nonce = os.urandom(12)
        return nonce + AESGCM(self.aes_key).encrypt(nonce, data, aad)

    def unseal(self, blob: bytes, aad: bytes = b"") -> bytes:
        return AESGCM(self.aes_key).decrypt(blob[:12], blob[12:], aad)


def mask_id_card(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1)


def token_hash(token: str) -> str:
    """Unkeyed SHA-256 for high-entropy random tokens (API keys, OTP challenges)."""
    return hashlib.sha256(token.encode()).hexdigest()
