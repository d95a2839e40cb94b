"""The server's own trust material, for the verify page and the holder page.

The server verifies a pasted or uploaded code the way a checkpoint does (issue 2): against
the district trust list, opened with the pinned root public key, and the revocation list.
``jointcheck demo up`` (or the operator's ``jointcheck trust`` commands) writes them under
``Settings.trust_dir``. The files are re-read when they change on disk, so a server started
before the demo district was created picks them up without a restart. When they are missing
the verify page says which command creates them instead of verifying against nothing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from jointcheck.config import Settings
from jointcheck.credentials.keyfiles import public_key_from_bytes
from jointcheck.credentials.keys import NoRevocations, Revocations
from jointcheck.credentials.model import Verification
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.revocation import load_revocation_list
from jointcheck.credentials.trust import TrustList, load_trust_list
from jointcheck.credentials.verify import VerifierContext, verify

log = logging.getLogger("jointcheck.api.trust")


@dataclass(frozen=True, slots=True)
class TrustPaths:
    trust_list: Path
    root_key: Path
    revocations: Path

    @classmethod
    def of(cls, settings: Settings) -> TrustPaths:
        folder = settings.effective_trust_dir
        return cls(
            trust_list=folder / "trust-list.json",
            root_key=folder / "root.pub.pem",
            revocations=folder / "revocations.jcrl",
        )


@dataclass(frozen=True, slots=True)
class TrustState:
    """What the server trusts now; ``problem`` says why there is nothing to trust."""

    trust_list: TrustList | None
    revocations: Revocations
    problem: Reason | str | None

    @property
    def ready(self) -> bool:
        return self.trust_list is not None


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


class ServerTrust:
    """Loads the trust and revocation lists once, and again whenever a file changes."""

    def __init__(self, paths: TrustPaths, clock_skew: timedelta) -> None:
        self.paths = paths
        self.clock_skew = clock_skew
        self._lock = threading.Lock()
        self._stamps: tuple[object, ...] | None = None
        self._state = TrustState(None, NoRevocations(), "missing")

    def state(self) -> TrustState:
        stamps = tuple(
            _stamp(p) for p in (self.paths.trust_list, self.paths.root_key, self.paths.revocations)
        )
        with self._lock:
            if stamps != self._stamps:
                self._state = self._load()
                self._stamps = stamps
            return self._state

    def _load(self) -> TrustState:
        if not (self.paths.trust_list.is_file() and self.paths.root_key.is_file()):
            return TrustState(None, NoRevocations(), "missing")
        root = public_key_from_bytes(self.paths.root_key.read_bytes(), str(self.paths.root_key))
        loaded = load_trust_list(self.paths.trust_list.read_bytes(), root)
        if isinstance(loaded, Reason):
            log.warning("server trust list refused: %s", loaded.value)
            return TrustState(None, NoRevocations(), loaded)
        revocations: Revocations = NoRevocations()
        if self.paths.revocations.is_file():
            listed = load_revocation_list(self.paths.revocations.read_bytes(), root)
            if isinstance(listed, Reason):
                # Verifying without the revocations would pass revoked codes: refuse instead.
                log.warning("server revocation list refused: %s", listed.value)
                return TrustState(None, NoRevocations(), listed)
            revocations = listed
        return TrustState(loaded, revocations, None)

    def context(self, at: datetime) -> VerifierContext | None:
        state = self.state()
        if state.trust_list is None:
            return None
        return VerifierContext(
            at=at, keys=state.trust_list, revocations=state.revocations, clock_skew=self.clock_skew
        )

    def verify(self, text: str, at: datetime) -> Verification | None:
        """The verification of ``text`` at ``at``, or None when the server trusts nothing yet."""
        ctx = self.context(at)
        return None if ctx is None else verify(text, ctx)
