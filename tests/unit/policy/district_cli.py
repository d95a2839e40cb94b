"""A small district made through the command line: keys, a signed trust list, issued codes.

Everything goes through ``jointcheck keys|trust|issue``, as an operator would do it, so that
``jointcheck policy explain`` is tested on real signed codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from jointcheck.cli.main import app

ID_NUMBER = "11010519491231002X"
NAME = "张小三"
DOB = "1949-12-31"
AT = "2021-09-15T10:00:00+08:00"


@dataclass(frozen=True)
class District:
    trust: Path
    root: Path
    health_key: Path
    vaccination_key: Path
    subject_key: Path

    def trust_options(self) -> list[str]:
        return ["--trust", str(self.trust), "--root", str(self.root)]


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def make_district(directory: Path) -> District:
    paths = {name: directory / f"{name}.pem" for name in ("root", "health", "vaccination")}
    run("keys", "create", str(paths["root"]), "--kind", "root")
    run("keys", "create", str(paths["health"]))
    run("keys", "create", str(paths["vaccination"]))
    subject_key = directory / "subject.key"
    run("keys", "create", str(subject_key), "--kind", "subject")
    work = directory / "trust-work.json"
    run("trust", "init", str(work))
    for name, role in (("health", "health_code_issuer"), ("vaccination", "vaccination_issuer")):
        public = directory / f"{name}.pub.pem"
        run("trust", "add-issuer", str(work), "--public-key", str(public), "--role", role,
            "--name", name)  # fmt: skip
    trust = directory / "trust.cose"
    run("trust", "sign", str(work), "--out", str(trust), "--key", str(paths["root"]))
    return District(
        trust=trust, root=directory / "root.pub.pem", health_key=paths["health"],
        vaccination_key=paths["vaccination"], subject_key=subject_key,
    )  # fmt: skip


def _person(district: District) -> list[str]:
    return ["--id-number", ID_NUMBER, "--name", NAME, "--dob", DOB,
            "--subject-key", str(district.subject_key)]  # fmt: skip


def health_code(district: District, colour: str = "green") -> str:
    return run("issue", "health-code", "--colour", colour, "--key", str(district.health_key),
               "--at", AT, *_person(district))  # fmt: skip


def first_dose(district: District) -> str:
    return run(
        "issue", "vaccination", "--product", "BBIBP-CorV", "--dose", "1", "--doses", "2",
        "--date", "2021-08-01", "--issuer-name", "坊子区疾控", "--uvci", "URN:UVCI:01:CN:FZ/0001",
        "--key", str(district.vaccination_key), "--at", "2021-08-01T10:00:00+08:00",
        *_person(district),
    )  # fmt: skip
