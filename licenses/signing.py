"""Ed25519 signatures of check-in answers (LIC-6), with ``cryptography``.

The view signs the exact bytes of the JSON body it sends and puts the signature in
``X-Signature: ed25519=<base64>``; the body echoes the client's nonce, so a client that checks the signature
with the public key (``GET /api/v1/licenses/signing-key/``) knows the answer is the vendor's and is the answer
to its own question, offline. The private key comes from ``LICENSE_SIGNING_KEY`` (PEM); without it a
development key is created once in ``LICENSE_SIGNING_KEY_FILE`` (under var/), never when DEBUG is off.
"""

from __future__ import annotations

import base64
import functools
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

HEADER = "X-Signature"
PREFIX = "ed25519="


def _load_or_create_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes()
    if not settings.DEBUG:
        raise ImproperlyConfigured("Set LICENSE_SIGNING_KEY (an Ed25519 private key in PEM) in production.")
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return pem


@functools.cache
def private_key() -> Ed25519PrivateKey:
    pem = settings.LICENSE_SIGNING_KEY.strip().encode()
    if not pem:
        try:
            pem = _load_or_create_file(Path(settings.LICENSE_SIGNING_KEY_FILE))
        except FileExistsError:  # another process created it meanwhile
            pem = Path(settings.LICENSE_SIGNING_KEY_FILE).read_bytes()
    key = serialization.load_pem_private_key(pem.replace(b"\\n", b"\n"), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("LICENSE_SIGNING_KEY must be an Ed25519 private key.")
    return key


def public_key_pem() -> str:
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sign(body: bytes) -> str:
    """The header value for ``body``."""
    return PREFIX + base64.b64encode(private_key().sign(body)).decode()


def verify(body: bytes, header: str, public_pem: str) -> bool:
    """What a client does: check the header against the body with the published key."""
    if not header.startswith(PREFIX):
        return False
    key = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(base64.b64decode(header[len(PREFIX) :], validate=True), body)
    except (InvalidSignature, ValueError):
        return False
    return True
