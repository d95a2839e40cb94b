"""What a document signing certificate (DSC) allows: its extended key usage (hcert spec A.4).

The EKU of a DSC may name the DCC types it signs: 1.3.6.1.4.1.1847.2021.1.1 test, .2
vaccination, .3 recovery (and the same under the misspelt arc 1.3.6.1.4.1.0.1847.2021.1,
which DSCs in the field and the dcc-testdata suite carry). No EKU, or an EKU naming none of
these, allows every type.

A.4 allows "zero or more" identifiers, and some issuers write an empty EKU sequence, which
cryptography's strict parser refuses (dcc-testdata common/CO15). When it refuses a
certificate's extensions, the EKU is read from the DER of the TBSCertificate by the few lines
of ``_der_eku`` (RFC 5280 section 4.1), which is all this check needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from cryptography import x509

from jointcheck.credentials.model import CredentialType

_EKU_ARCS = ("1.3.6.1.4.1.1847.2021.1.", "1.3.6.1.4.1.0.1847.2021.1.")
_EKU_TYPES = {
    "1": CredentialType.DCC_TEST,
    "2": CredentialType.DCC_VACCINATION,
    "3": CredentialType.DCC_RECOVERY,
}
_OID_EKU = "2.5.29.37"
_SEQUENCE, _OID, _EXTENSIONS = 0x30, 0x06, 0xA3
_LONG_LENGTH = 0x80


class _DerError(Exception):
    pass


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at ``pos`` (X.690 8.1)."""
    if pos + 2 > len(data):
        raise _DerError
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & _LONG_LENGTH:
        count = length & 0x7F
        if count == 0 or pos + count > len(data):
            raise _DerError
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise _DerError
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    pos = start
    while pos < end:
        tag, value, pos = _tlv(data, pos)
        yield tag, value, pos


def _oid(data: bytes) -> str:
    """Dotted form of an OBJECT IDENTIFIER's contents (X.690 8.19)."""
    if not data:
        raise _DerError
    arcs, value = [], 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(map(str, [first, arcs[0] - 40 * first, *arcs[1:]]))


def _der_eku(tbs: bytes) -> list[str] | None:
    """The EKU OIDs in a TBSCertificate's DER; None when it has no EKU extension."""
    _, start, end = _tlv(tbs, 0)
    for tag, value, value_end in _children(tbs, start, end):
        if tag != _EXTENSIONS:
            continue
        _, seq_start, seq_end = _tlv(tbs, value)
        for _, ext_start, ext_end in _children(tbs, seq_start, seq_end):
            fields = list(_children(tbs, ext_start, ext_end))
            if fields[0][0] == _OID and _oid(tbs[fields[0][1] : fields[0][2]]) == _OID_EKU:
                _, octets_start, octets_end = fields[-1]
                _, eku_start, eku_end = _tlv(tbs, octets_start)
                if eku_end != octets_end:
                    raise _DerError
                return [_oid(tbs[s:e]) for _, s, e in _children(tbs, eku_start, eku_end)]
        del value_end
    return None


def _eku_oids(certificate: x509.Certificate) -> list[str] | None:
    try:
        eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    except ValueError:
        return _der_eku(certificate.tbs_certificate_bytes)
    return [oid.dotted_string for oid in eku]


# What each DSC allows, keyed by the certificate object's id; the entry keeps the certificate
# alive, so an id is never reused while its entry exists. A trust list's certificates live as
# long as the list: this is a property of the key objects, computed once (x509.Certificate's
# own hash would re-hash the DER on every look-up, and its validity properties build new
# datetimes on every read).
_Bounds = tuple[datetime, datetime]
_CACHE: dict[int, tuple[x509.Certificate, frozenset[CredentialType] | None, _Bounds]] = {}
_CACHE_SIZE = 4096


def _entry(
    certificate: x509.Certificate,
) -> tuple[x509.Certificate, frozenset[CredentialType] | None, _Bounds]:
    cached = _CACHE.get(id(certificate))
    if cached is not None and cached[0] is certificate:
        return cached
    bounds = (certificate.not_valid_before_utc, certificate.not_valid_after_utc)
    entry = (certificate, _eku_types(certificate), bounds)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[id(certificate)] = entry
    return entry


def eku_types(certificate: x509.Certificate) -> frozenset[CredentialType] | None:
    """The DCC types a DSC's EKU allows; None: any type. A DSC whose extensions cannot be
    read at all allows nothing (an empty set)."""
    return _entry(certificate)[1]


def validity(certificate: x509.Certificate) -> _Bounds:
    """The DSC's notBefore and notAfter, timezone-aware UTC."""
    return _entry(certificate)[2]


def _eku_types(certificate: x509.Certificate) -> frozenset[CredentialType] | None:
    try:
        oids = _eku_oids(certificate)
    except (_DerError, IndexError):
        return frozenset()
    if oids is None:
        return None
    allowed = {
        _EKU_TYPES[oid[len(arc) :]]
        for oid in oids
        for arc in _EKU_ARCS
        if oid.startswith(arc) and oid[len(arc) :] in _EKU_TYPES
    }
    return frozenset(allowed) or None
