"""Signed manifests of exported files (Ed25519).

The manifest of an export names its file (SHA-256 of the bytes written), the
export, its recipient and purpose, when it was made, its row count and format.
Its signature is Ed25519 over the manifest's canonical JSON (keys sorted, no
spaces, UTF-8).  It is written beside the file as ``FILE.manifest.json``::

    {"manifest": {...}, "signature": "<base64>", "algorithm": "Ed25519"}

and kept in the export registry.  ``verify_file`` recomputes the file's hash
and checks the signature with *our* public key: a manifest re-signed by anyone
else, or a file changed by one byte, fails.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clientfolio.errors import ClientfolioError

__all__ = [
    "Manifest",
    "SignedManifest",
    "Verification",
    "file_sha256",
    "manifest_path",
    "sign_manifest",
    "signature_valid",
    "verify_file",
]


@dataclass(frozen=True)
class Manifest:
    """What a signature vouches for.  ``created_at`` is ISO 8601 with its
    offset; ``row_count`` counts the data rows of the file; ``key_id`` names
    the master key the signing key derives from; ``traps_sha256`` is the
    SHA-256 of the trap records as registered (empty in manifests made before
    it, and then left out of the signed JSON, so that their signatures hold).
    Tracing checks every registry row against it (``trace``): a recipient or
    trap record edited in the database shows as tampering."""

    export_uid: str
    recipient: str
    purpose: str
    created_at: str
    row_count: int
    sha256: str
    format: str
    file_name: str
    key_id: int
    traps_sha256: str = ""

    def canonical(self) -> bytes:
        fields = asdict(self)
        if not self.traps_sha256:
            del fields["traps_sha256"]
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class SignedManifest:
    manifest: Manifest
    signature: str  # base64

    def to_json(self) -> str:
        return (
            json.dumps(
                {"manifest": asdict(self.manifest), "signature": self.signature, "algorithm": "Ed25519"},
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )

    @classmethod
    def from_json(cls, text: str) -> SignedManifest:
        """Parse a manifest file; raises ``ClientfolioError`` when it is not one."""
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(Manifest(**data["manifest"]), str(data["signature"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ClientfolioError("not a Clientfolio export manifest: {detail}", detail=str(exc)) from None


@dataclass(frozen=True)
class Verification:
    """``ok`` when the signature is ours and the file is the one signed."""

    signature_valid: bool
    hash_matches: bool
    sha256: str
    manifest: Manifest

    @property
    def ok(self) -> bool:
        return self.signature_valid and self.hash_matches


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_path(path: Path) -> Path:
    """Where the manifest of the file ``path`` is written: ``FILE.manifest.json``."""
    return path.with_name(path.name + ".manifest.json")


def sign_manifest(manifest: Manifest, key: Ed25519PrivateKey) -> SignedManifest:
    return SignedManifest(manifest, base64.b64encode(key.sign(manifest.canonical())).decode("ascii"))


def signature_valid(signed: SignedManifest, key: Ed25519PublicKey) -> bool:
    """Whether ``signed`` carries a valid signature of its manifest by ``key``."""
    try:
        key.verify(base64.b64decode(signed.signature, validate=True), signed.manifest.canonical())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def verify_file(path: Path, signed: SignedManifest, key: Ed25519PublicKey) -> Verification:
    """Check the file at ``path`` against ``signed`` with the public ``key``."""
    digest = file_sha256(path)
    return Verification(signature_valid(signed, key), digest == signed.manifest.sha256, digest, signed.manifest)
