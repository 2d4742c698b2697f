"""Authenticated, password-sealed files (AES-256-GCM in chunks, Argon2id key).

Layout::

    MAGIC (8 bytes) | header length (4, big-endian) | header JSON | chunk* 
    chunk = ciphertext length (4) | ciphertext+tag

The header (KDF parameters, salt, nonce prefix, chunk size) is authenticated as associated
data of every chunk. Each chunk's nonce is ``prefix(7) | counter(4) | last(1)``, so chunks
cannot be reordered, dropped or truncated without failing authentication (the STREAM
construction of Hoang, Reyhanitabar, Rogaway and Vizár, CRYPTO 2015). The key comes from
Argon2id with the RFC 9106 second recommended parameters (t = 3, p = 4, m = 64 MiB).
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import BinaryIO

from twindesk.errors import InputError

MAGIC = b"TWDSEAL1"
CHUNK_BYTES = 1 << 20
KDF = {"name": "argon2id", "iterations": 3, "lanes": 4, "memory_cost_kib": 64 * 1024}
MIN_PASSWORD_CHARS = 8


class SealError(InputError):
    """The sealed file is damaged, tampered with, truncated, or the password is wrong."""


def read_password_file(path: Path) -> bytes:
    """The first line of ``path`` (without its newline) as the password."""
    try:
        text = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"--password-file {path}: cannot read ({exc.strerror})",
                         "give a readable file holding the password on its first line") from None
    password = text[0] if text else ""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(f"--password-file {path}: the password is shorter than "
                         f"{MIN_PASSWORD_CHARS} characters", "use a longer password")
    return password.encode("utf-8")


def _derive(password: bytes, salt: bytes, kdf: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    if kdf.get("name") != "argon2id":
        raise SealError(f"unknown key derivation '{kdf.get('name')}'",
                        "update twindesk to open this file")
    return Argon2id(salt=salt, length=32, iterations=int(kdf["iterations"]),
                    lanes=int(kdf["lanes"]), memory_cost=int(kdf["memory_cost_kib"])
                    ).derive(password)


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def seal(src: BinaryIO, dst: BinaryIO, password: bytes) -> None:
    """Encrypt the whole of ``src`` into ``dst``."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, prefix = os.urandom(16), os.urandom(7)
    header = json.dumps({"cipher": "AES-256-GCM", "kdf": KDF, "salt": salt.hex(),
                         "nonce_prefix": prefix.hex(), "chunk_bytes": CHUNK_BYTES},
                        sort_keys=True).encode()
    aead = AESGCM(_derive(password, salt, KDF))
    dst.write(MAGIC + struct.pack(">I", len(header)) + header)
    counter = 0
    chunk = src.read(CHUNK_BYTES)
    while True:
        following = src.read(CHUNK_BYTES)
        last = not following
        sealed = aead.encrypt(_nonce(prefix, counter, last), chunk, header)
        dst.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return
        chunk, counter = following, counter + 1


def is_sealed(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def unseal(src: BinaryIO, dst: BinaryIO, password: bytes, name: str) -> None:
    """Decrypt ``src`` into ``dst``; any tampering raises :class:`SealError`."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    bad = (f"{name}: the bundle is damaged or was tampered with, or the password is wrong",
           "check the password; if it is right, ask the sender for a new copy")
    if src.read(len(MAGIC)) != MAGIC:
        raise SealError(f"{name}: not a sealed twindesk file", "check the file name")
    try:
        (hlen,) = struct.unpack(">I", src.read(4))
        header = src.read(hlen)
        meta = json.loads(header)
        prefix = bytes.fromhex(meta["nonce_prefix"])
        aead = AESGCM(_derive(password, bytes.fromhex(meta["salt"]), meta["kdf"]))
    except (struct.error, ValueError, KeyError, TypeError):
        raise SealError(*bad) from None
    counter = 0
    while True:
        raw_len = src.read(4)
        if len(raw_len) < 4:
            raise SealError(*bad)  # truncated: the chunk marked last never came
        (clen,) = struct.unpack(">I", raw_len)
        sealed = src.read(clen)
        if len(sealed) != clen:
            raise SealError(*bad)
        try:
            plain = aead.decrypt(_nonce(prefix, counter, False), sealed, header)
            last = False
        except InvalidTag:
            try:
                plain = aead.decrypt(_nonce(prefix, counter, True), sealed, header)
                last = True
            except InvalidTag:
                raise SealError(*bad) from None
        dst.write(plain)
        if last:
            if src.read(1):
                raise SealError(*bad)  # data after the last chunk
            return
        counter += 1
