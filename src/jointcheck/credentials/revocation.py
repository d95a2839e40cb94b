"""The district revocation list: revoked DCCs, SMART Health Cards and our own credentials.

One list holds three kinds of entry (issue 2: revocation):
- ``uvci``: the UVCI hash that the DCC path looks up (as in the DCC revocation design: a
  SHA-256 over the certificate identifier, never the identifier itself, so the list does not
  publish personal data);
- ``rid``: a SMART Health Card revocation id, as ``<kid>.<rid>`` (the SHC spec revokes per key);
- ``credential_id``: the ``cti`` of a health code or contraindication certificate we issued.

Each entry is stored as ``SHA-256(kind || 0x00 || value)[:16]``: fixed 16 bytes whatever the
kind, so one million entries take 16 MB. 128 bits keeps an accidental match between a valid
credential and a revoked one at about 2**-88 for a million entries, which is negligible.

Binary file (big-endian), compact and signed like the trust list:

    b"JCRL" | format u8 = 1 | 3 zero bytes | version u64 | issued_at i64 (Unix seconds, UTC)
    | count u32 | count x 16-byte entries, ascending | ES256 signature (64 bytes, r||s)
      by the district root key over every byte before it

Look-up is O(1): entries are uniformly distributed hashes, so a bucket index over their
leading bits (about one bucket per entry, 4 bytes each) points at a run of about one entry.
"""

from __future__ import annotations

import hashlib
import struct
from array import array
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import accumulate

from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.credentials.keys import PublicKey
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.trust import sign_es256, verify_es256
from jointcheck.errors import TrustListError

MAGIC = b"JCRL"
FORMAT_VERSION = 1
ENTRY_BYTES = 16
SIGNATURE_BYTES = 64
_HEADER = struct.Struct(">4sB3xQqI")
HEADER_BYTES = _HEADER.size
KINDS = ("uvci", "rid", "credential_id")
_PREFIX = struct.Struct(">Q8x")


def entry_hash(kind: str, value: str) -> bytes:
    """The 16 bytes stored for one revoked entry of KIND."""
    return hashlib.sha256(kind.encode("utf-8") + b"\x00" + value.encode("utf-8")).digest()[
        :ENTRY_BYTES
    ]


class RevocationList:
    """A verified revocation list; implements ``keys.Revocations``."""

    __slots__ = ("_data", "_end", "_offsets", "_shift", "_start", "count", "issued_at", "version")

    def __init__(
        self, data: bytes, start: int, count: int, version: int, issued_at: datetime
    ) -> None:
        # DATA holds the entries at [start, start + 16 * count); kept as is, never copied.
        self._data = data
        self._start = start
        self._end = start + ENTRY_BYTES * count
        self.count = count
        self.version = version
        self.issued_at = issued_at
        bits = max(1, (count - 1).bit_length()) if count > 1 else 1
        self._shift = 64 - bits
        self._offsets = self._index(memoryview(data)[start : self._end], 1 << bits)

    def _index(self, entries: memoryview, buckets: int) -> array[int]:
        counts = array("I", bytes(4 * (buckets + 1)))
        previous = 0
        for (prefix,) in _PREFIX.iter_unpack(entries):
            bucket = prefix >> self._shift
            if bucket < previous:
                raise TrustListError(
                    "revocation list entries are not in ascending order",
                    code=Reason.REVOCATION_LIST_FORGED.value,
                )
            counts[bucket + 1] += 1
            previous = bucket
        return array("I", accumulate(counts))

    @classmethod
    def of(
        cls, hashes: Iterable[bytes], *, version: int = 0, issued_at: datetime | None = None
    ) -> RevocationList:
        """An unsigned list from entry hashes (the operator's build step, and tests)."""
        body = b"".join(sorted(set(hashes)))
        return cls(
            body,
            0,
            len(body) // ENTRY_BYTES,
            version,
            issued_at or datetime(1970, 1, 1, tzinfo=UTC),
        )

    def is_revoked(self, kind: str, value: str) -> bool:
        return self.contains(entry_hash(kind, value))

    def contains(self, digest: bytes) -> bool:
        if self.count == 0 or len(digest) != ENTRY_BYTES:
            return False
        bucket = int.from_bytes(digest[:8], "big") >> self._shift
        start = self._start
        hi = start + ENTRY_BYTES * self._offsets[bucket + 1]
        # bytes.find scans the bucket's run in C; a match must also sit on an entry boundary.
        pos = self._data.find(digest, start + ENTRY_BYTES * self._offsets[bucket], hi)
        while pos >= 0 and (pos - start) % ENTRY_BYTES:
            pos = self._data.find(digest, pos + 1, hi)
        return pos >= 0

    def longest_run(self) -> int:
        """The most entries a look-up ever compares: the bound that makes it O(1)."""
        offsets = self._offsets
        return max((offsets[i + 1] - offsets[i] for i in range(len(offsets) - 1)), default=0)

    def entries(self) -> bytes:
        return self._data[self._start : self._end]


def encode_revocation_list(
    hashes: Iterable[bytes],
    *,
    version: int,
    issued_at: datetime,
    root_key: ec.EllipticCurvePrivateKey,
) -> bytes:
    """The signed binary revocation list of HASHES (entry hashes, deduplicated and sorted)."""
    unique = sorted(set(hashes))
    if any(len(h) != ENTRY_BYTES for h in unique):
        raise TrustListError(f"revocation entries must be {ENTRY_BYTES} bytes")
    body = _HEADER.pack(MAGIC, FORMAT_VERSION, version, int(issued_at.timestamp()), len(unique))
    body += b"".join(unique)
    return body + sign_es256(root_key, body)


def open_revocation_list(
    data: bytes, root: PublicKey, *, in_use: int | None = None
) -> RevocationList:
    """Verify and read a revocation list; faults are TrustListError with a reason code."""
    forged = Reason.REVOCATION_LIST_FORGED.value
    if len(data) < _HEADER.size + SIGNATURE_BYTES:
        raise TrustListError("revocation list is truncated", code=forged)
    magic, fmt, version, issued, count = _HEADER.unpack_from(data)
    if magic != MAGIC or fmt != FORMAT_VERSION:
        raise TrustListError("not a jointcheck revocation list (JCRL/1)", code=forged)
    end = _HEADER.size + ENTRY_BYTES * count
    if len(data) != end + SIGNATURE_BYTES:
        raise TrustListError("revocation list length does not match its count", code=forged)
    if not verify_es256(root, memoryview(data)[:end], data[end:]):
        raise TrustListError("revocation list is not signed by the pinned root key", code=forged)
    if in_use is not None and version <= in_use:
        raise TrustListError(
            f"revocation list version {version} is not newer than {in_use} in use",
            code=Reason.REVOCATION_LIST_OUTDATED.value,
        )
    return RevocationList(data, _HEADER.size, count, version, datetime.fromtimestamp(issued, UTC))


def load_revocation_list(
    data: bytes, root: PublicKey, *, in_use: int | None = None
) -> RevocationList | Reason:
    """Verify a revocation list for a verifier: the list, or why it was refused (a value)."""
    try:
        return open_revocation_list(data, root, in_use=in_use)
    except TrustListError as exc:
        if exc.code == Reason.REVOCATION_LIST_OUTDATED.value:
            return Reason.REVOCATION_LIST_OUTDATED
        return Reason.REVOCATION_LIST_FORGED


def parse_working_file(text: str) -> list[tuple[str, str]]:
    """The operator's working file: one ``kind value`` per line, ``#`` starts a comment."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, value = line.partition(" ")
        if kind not in KINDS or not value.strip():
            raise TrustListError(f"line {number}: expected '<{'|'.join(KINDS)}> <value>'")
        entries.append((kind, value.strip()))
    return entries
