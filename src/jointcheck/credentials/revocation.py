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

An SHC CRL may also revoke a rid only for the cards issued before a time (``<rid>.<timestamp>``,
SHC spec "Revocation"); a yes/no entry cannot say that, so such rids are kept as cut-offs:
the entry hash of ``rid``, ``<kid>.<rid>`` and the timestamp (``rid_cutoff``).

Binary file (big-endian), compact and signed like the trust list. Format 1 (no cut-offs):

    b"JCRL" | format u8 = 1 | 3 zero bytes | version u64 | issued_at i64 (Unix seconds, UTC)
    | count u32 | count x 16-byte entries, ascending | ES256 signature (64 bytes, r||s)
      by the district root key over every byte before it

Format 2 adds a cut-off count after ``count`` and, after the entries, the cut-offs:

    ... | count u32 | cutoff_count u32 | count x 16-byte entries, ascending
    | cutoff_count x (16-byte entry hash | f64 timestamp, Unix seconds), ascending by hash
    | ES256 signature

A list without cut-offs is written in format 1, so a checkpoint that reads only format 1
still reads it; a list with cut-offs is format 2, which such a checkpoint refuses rather
than silently accepting the cards the cut-offs revoke.

Look-up is O(1): entries are uniformly distributed hashes, so a bucket index over their
leading bits (about one bucket per entry, 4 bytes each) points at a run of about one entry.
"""

from __future__ import annotations

import hashlib
import math
import struct
from array import array
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from itertools import accumulate

from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.credentials.keys import PublicKey
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.trust import sign_es256, verify_es256
from jointcheck.errors import TrustListError

MAGIC = b"JCRL"
FORMAT_VERSION = 1
CUTOFF_FORMAT_VERSION = 2
ENTRY_BYTES = 16
CUTOFF_BYTES = ENTRY_BYTES + 8
SIGNATURE_BYTES = 64
_HEADER = struct.Struct(">4sB3xQqI")
HEADER_BYTES = _HEADER.size
_CUTOFF_COUNT = struct.Struct(">I")
_TIMESTAMP = struct.Struct(">d")
KINDS = ("uvci", "rid", "credential_id")
RID = "rid"


def entry_hash(kind: str, value: str) -> bytes:
    """The 16 bytes stored for one revoked entry of KIND."""
    return hashlib.sha256(kind.encode("utf-8") + b"\x00" + value.encode("utf-8")).digest()[
        :ENTRY_BYTES
    ]


class _HashRun:
    """Records of STRIDE bytes, each led by a 16-byte hash, ascending: an O(1) look-up."""

    __slots__ = ("_data", "_end", "_offsets", "_shift", "_start", "_stride", "count")

    def __init__(self, data: bytes, start: int, count: int, stride: int) -> None:
        # DATA holds the records at [start, start + stride * count); kept as is, never copied.
        self._data = data
        self._start = start
        self._stride = stride
        self._end = start + stride * count
        self.count = count
        bits = max(1, (count - 1).bit_length()) if count > 1 else 1
        self._shift = 64 - bits
        self._offsets = self._index(1 << bits)

    def _index(self, buckets: int) -> array[int]:
        counts = array("I", bytes(4 * (buckets + 1)))
        previous = 0
        # The leading 8 bytes of each record, as an integer (the rest of the record skipped).
        prefixes = struct.Struct(f">Q{self._stride - 8}x")
        for (prefix,) in prefixes.iter_unpack(memoryview(self._data)[self._start : self._end]):
            bucket = prefix >> self._shift
            if bucket < previous:
                raise TrustListError(
                    "revocation list entries are not in ascending order",
                    code=Reason.REVOCATION_LIST_FORGED.value,
                )
            counts[bucket + 1] += 1
            previous = bucket
        return array("I", accumulate(counts))

    def find(self, digest: bytes) -> int:
        """The offset of the record led by DIGEST in the data, or -1."""
        if self.count == 0 or len(digest) != ENTRY_BYTES:
            return -1
        bucket = int.from_bytes(digest[:8], "big") >> self._shift
        start, stride = self._start, self._stride
        hi = start + stride * self._offsets[bucket + 1]
        # bytes.find scans the bucket's run in C; a match must also sit on a record boundary.
        pos = self._data.find(digest, start + stride * self._offsets[bucket], hi)
        while pos >= 0 and (pos - start) % stride:
            pos = self._data.find(digest, pos + 1, hi)
        return pos

    def timestamp_at(self, pos: int) -> float:
        """The f64 that follows the hash of the record at POS (a cut-off's timestamp)."""
        return float(_TIMESTAMP.unpack_from(self._data, pos + ENTRY_BYTES)[0])

    def longest_run(self) -> int:
        offsets = self._offsets
        return max((offsets[i + 1] - offsets[i] for i in range(len(offsets) - 1)), default=0)

    def records(self) -> bytes:
        return self._data[self._start : self._end]


class RevocationList:
    """A verified revocation list; implements ``keys.Revocations`` and ``rid_cutoff``."""

    __slots__ = ("_cutoffs", "_entries", "issued_at", "version")

    def __init__(
        self,
        data: bytes,
        start: int,
        count: int,
        version: int,
        issued_at: datetime,
        cutoff_count: int = 0,
    ) -> None:
        # The cut-offs, if any, follow the entries (format 2).
        self._entries = _HashRun(data, start, count, ENTRY_BYTES)
        self._cutoffs = _HashRun(data, start + ENTRY_BYTES * count, cutoff_count, CUTOFF_BYTES)
        self.version = version
        self.issued_at = issued_at

    @classmethod
    def of(
        cls,
        hashes: Iterable[bytes],
        *,
        cutoffs: Mapping[bytes, float] | None = None,
        version: int = 0,
        issued_at: datetime | None = None,
    ) -> RevocationList:
        """An unsigned list from entry hashes and cut-offs (the operator's build step, tests)."""
        body = b"".join(sorted(set(hashes)))
        count = len(body) // ENTRY_BYTES
        records = _cutoff_records(cutoffs or {})
        return cls(
            body + records,
            0,
            count,
            version,
            issued_at or datetime(1970, 1, 1, tzinfo=UTC),
            len(records) // CUTOFF_BYTES,
        )

    @property
    def count(self) -> int:
        return self._entries.count

    @property
    def cutoff_count(self) -> int:
        return self._cutoffs.count

    def is_revoked(self, kind: str, value: str) -> bool:
        return self._entries.find(entry_hash(kind, value)) >= 0

    def contains(self, digest: bytes) -> bool:
        return self._entries.find(digest) >= 0

    def rid_cutoff(self, value: str) -> float | None:
        """For ``<kid>.<rid>``: cards with an earlier ``nbf`` are revoked; None if no cut-off."""
        pos = self._cutoffs.find(entry_hash(RID, value))
        if pos < 0:
            return None
        return self._cutoffs.timestamp_at(pos)

    def longest_run(self) -> int:
        """The most entries a look-up ever compares: the bound that makes it O(1)."""
        return max(self._entries.longest_run(), self._cutoffs.longest_run())

    def entries(self) -> bytes:
        return self._entries.records()


def _cutoff_records(cutoffs: Mapping[bytes, float]) -> bytes:
    """The cut-off section: (entry hash, f64 timestamp) records ascending by hash."""
    records = []
    for digest, cutoff in sorted(cutoffs.items()):
        if len(digest) != ENTRY_BYTES or not math.isfinite(cutoff):
            raise TrustListError(f"a cut-off is a {ENTRY_BYTES}-byte hash and a finite time")
        records.append(digest + _TIMESTAMP.pack(cutoff))
    return b"".join(records)


def encode_revocation_list(
    hashes: Iterable[bytes],
    *,
    version: int,
    issued_at: datetime,
    root_key: ec.EllipticCurvePrivateKey,
    cutoffs: Mapping[bytes, float] | None = None,
) -> bytes:
    """The signed binary revocation list of HASHES (entry hashes, deduplicated and sorted).

    CUTOFFS map ``entry_hash("rid", "<kid>.<rid>")`` to the time before which cards with
    that rid are revoked; with any, the list is written in format 2.
    """
    unique = sorted(set(hashes))
    if any(len(h) != ENTRY_BYTES for h in unique):
        raise TrustListError(f"revocation entries must be {ENTRY_BYTES} bytes")
    records = _cutoff_records(cutoffs or {})
    fmt = CUTOFF_FORMAT_VERSION if records else FORMAT_VERSION
    body = _HEADER.pack(MAGIC, fmt, version, int(issued_at.timestamp()), len(unique))
    if records:
        body += _CUTOFF_COUNT.pack(len(records) // CUTOFF_BYTES)
    body += b"".join(unique) + records
    return body + sign_es256(root_key, body)


def _layout(data: bytes) -> tuple[int, int, int, int, int]:
    """(version, issued_at, count, cutoff count, where the entries start) of a JCRL/1 or 2."""
    forged = Reason.REVOCATION_LIST_FORGED.value
    if len(data) < _HEADER.size + SIGNATURE_BYTES:
        raise TrustListError("revocation list is truncated", code=forged)
    magic, fmt, version, issued, count = _HEADER.unpack_from(data)
    if magic != MAGIC or fmt not in {FORMAT_VERSION, CUTOFF_FORMAT_VERSION}:
        raise TrustListError("not a jointcheck revocation list (JCRL/1 or 2)", code=forged)
    start, cutoff_count = _HEADER.size, 0
    if fmt == CUTOFF_FORMAT_VERSION:
        if len(data) < start + _CUTOFF_COUNT.size + SIGNATURE_BYTES:
            raise TrustListError("revocation list is truncated", code=forged)
        (cutoff_count,) = _CUTOFF_COUNT.unpack_from(data, start)
        start += _CUTOFF_COUNT.size
    end = start + ENTRY_BYTES * count + CUTOFF_BYTES * cutoff_count
    if len(data) != end + SIGNATURE_BYTES:
        raise TrustListError("revocation list length does not match its count", code=forged)
    return version, issued, count, cutoff_count, start


def open_revocation_list(
    data: bytes, root: PublicKey, *, in_use: int | None = None
) -> RevocationList:
    """Verify and read a revocation list; faults are TrustListError with a reason code."""
    version, issued, count, cutoff_count, start = _layout(data)
    end = len(data) - SIGNATURE_BYTES
    if not verify_es256(root, memoryview(data)[:end], data[end:]):
        raise TrustListError(
            "revocation list is not signed by the pinned root key",
            code=Reason.REVOCATION_LIST_FORGED.value,
        )
    if in_use is not None and version <= in_use:
        raise TrustListError(
            f"revocation list version {version} is not newer than {in_use} in use",
            code=Reason.REVOCATION_LIST_OUTDATED.value,
        )
    issued_at = datetime.fromtimestamp(issued, UTC)
    return RevocationList(data, start, count, version, issued_at, cutoff_count)


def resign_revocation_list(
    data: bytes, root: PublicKey, successor: ec.EllipticCurvePrivateKey
) -> bytes:
    """The list in DATA, verified with ROOT, signed by SUCCESSOR instead: the same entries,
    version and time, for a district that rotated its root key."""
    open_revocation_list(data, root)
    body = data[: len(data) - SIGNATURE_BYTES]
    return body + sign_es256(successor, body)


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


def rid_cutoff_of(value: str) -> tuple[str, float] | None:
    """``<kid>.<rid>.<timestamp>`` (a timestamped CRL rid) as (``<kid>.<rid>``, timestamp).

    None for ``<kid>.<rid>``, revoked outright. An SHC kid and rid hold no dot (base64url).
    """
    parts = value.split(".", 2)
    if len(parts) < 3:  # noqa: PLR2004 - kid, rid and timestamp
        return None
    kid, rid, stamp = parts
    try:
        cutoff = float(stamp)
    except ValueError:
        cutoff = math.nan
    if not math.isfinite(cutoff):
        raise TrustListError(f"rid {value!r}: expected <kid>.<rid> or <kid>.<rid>.<timestamp>")
    return f"{kid}.{rid}", cutoff


def working_line(kind: str, value: str) -> str:
    """The working-file line for one entry; a UVCI is hashed, never written in clear."""
    if kind == "uvci":
        # DCC revocation design, hash type UCI: the first 128 bits of SHA-256 of the UVCI.
        return f"uvci {hashlib.sha256(value.encode('utf-8')).digest()[:16].hex()}"
    if kind == "uvci-hash":
        return f"uvci {value.lower()}"
    if kind == RID:
        rid_cutoff_of(value)  # refuse a bad timestamp now, not at signing
        return f"rid {value}"
    if kind == "credential_id":
        return f"credential_id {value.lower()}"
    raise TrustListError(f"unknown kind {kind!r}: uvci, uvci-hash, rid or credential_id")


def cutoff_line(value: str, cutoff: float) -> str:
    """The working-file line of a timestamped rid (``<kid>.<rid>``, time before which)."""
    stamp = str(int(cutoff)) if cutoff.is_integer() else repr(cutoff)
    return f"rid {value}.{stamp}"


def parse_working_file(text: str) -> list[tuple[str, str]]:
    """The operator's working file: one ``kind value`` per line, ``#`` starts a comment.

    A ``rid`` value is ``<kid>.<rid>`` (revoked outright) or ``<kid>.<rid>.<timestamp>``
    (revoked for cards whose ``nbf`` is before the timestamp); ``compile_entries`` tells
    them apart.
    """
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, value = line.partition(" ")
        if kind not in KINDS or not value.strip():
            raise TrustListError(f"line {number}: expected '<{'|'.join(KINDS)}> <value>'")
        if kind == RID:
            try:
                rid_cutoff_of(value.strip())
            except TrustListError as exc:
                raise TrustListError(f"line {number}: {exc}") from exc
        entries.append((kind, value.strip()))
    return entries


def compile_entries(
    entries: Iterable[tuple[str, str]],
) -> tuple[set[bytes], dict[bytes, float]]:
    """Entry hashes and rid cut-offs for ``encode_revocation_list``.

    Two timestamps for one rid: the later one revokes more cards, and is kept.
    """
    hashes: set[bytes] = set()
    cutoffs: dict[bytes, float] = {}
    for kind, value in entries:
        timed = rid_cutoff_of(value) if kind == RID else None
        if timed is None:
            hashes.add(entry_hash(kind, value))
            continue
        digest = entry_hash(RID, timed[0])
        cutoffs[digest] = max(timed[1], cutoffs.get(digest, timed[1]))
    return hashes, cutoffs
