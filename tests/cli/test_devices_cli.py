"""`jointcheck devices places|list|enroll|revoke`: the district office enrolls and revokes
terminals on the database; the printed token and fingerprint start a terminal, a revoked
token is refused, usage errors say what to do and exit with code 2."""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from jointcheck.api.app import create_app
from jointcheck.bootstrap import DistrictKeyFiles, build_registry, ensure_district_keys
from jointcheck.checkpoint.bundle import pem_public_key, root_fingerprint
from jointcheck.cli import devices as devices_cli
from jointcheck.cli.main import app
from jointcheck.config import Settings
from jointcheck.registry.model import AdminLevel, AdminUnit, Entrance, Place
from jointcheck.store.migrate import upgrade

NOW = datetime.now(UTC)
USAGE = 2


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")


@dataclass
class Office:
    settings: Settings
    mall: int  # street 1, entrances north and south
    home: int  # street 2, entrance gate
    bare: int  # street 1, no entrance on record
    fingerprint: str

    def run(self, *args: str):
        return CliRunner().invoke(app, ["devices", *args])

    def device_status(self, token: str) -> int:
        with TestClient(create_app(self.settings)) as client:
            answer = client.get(
                "/api/checkpoint/device", headers={"authorization": f"Bearer {token}"}
            )
        return answer.status_code


@pytest.fixture
def office(tmp_path, monkeypatch, database_url) -> Office:
    env = {
        "JOINTCHECK_VAR_DIR": str(tmp_path / "var"),
        "JOINTCHECK_DATABASE_URL": database_url,
        "JOINTCHECK_PII_KEY": new_key(),
        "JOINTCHECK_LOOKUP_KEY": new_key(),
        "JOINTCHECK_SESSION_SECRET": new_key(),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # A wide table, so that whole ids are in the output.
    monkeypatch.setattr(devices_cli, "console", Console(width=400))
    settings = Settings()
    upgrade(settings.effective_database_url)
    ensure_district_keys(settings, NOW - timedelta(days=1), "370704")
    registry = build_registry(settings)
    with registry.uow() as uow:
        uow.units.add_many(
            [
                AdminUnit("370704", AdminLevel.DISTRICT, "坊子区", "Fangzi"),
                AdminUnit("370704001", AdminLevel.STREET, "坊安街道", "Fang'an", "370704"),
                AdminUnit("370704002", AdminLevel.STREET, "凤凰街道", "Fenghuang", "370704"),
                AdminUnit(
                    "370704001001", AdminLevel.COMMUNITY, "东苑社区", "Dongyuan", "370704001"
                ),
                AdminUnit("370704002001", AdminLevel.COMMUNITY, "西苑社区", "Xiyuan", "370704002"),
            ]
        )
        mall = uow.places.add(
            Place(None, "370704001001", "malls_and_supermarkets", "百货大楼", "凤凰路1号",
                  (Entrance("north"), Entrance("south")))
        )  # fmt: skip
        home = uow.places.add(
            Place(None, "370704002001", "nursing_homes", "敬老院", "坊城路2号", (Entrance("gate"),))
        )
        bare = uow.places.add(Place(None, "370704001001", "restaurants", "小饭店", "东街3号"))
        uow.commit()
    registry.close()
    pem = DistrictKeyFiles.of(settings).root_public.read_bytes()
    return Office(settings, mall, home, bare, root_fingerprint(pem_public_key(pem)))


def enrolled(output: str) -> tuple[str, str]:
    """The device id and the token `devices enroll` printed."""
    device = re.search(r"Enrolled device ([0-9a-f-]{36})", output)
    token = re.search(r"Device token \(shown this once\):\n  (\S+)\n", output)
    assert device is not None
    assert token is not None, output
    return device.group(1), token.group(1)


def test_enroll_prints_what_starts_the_terminal_and_revoke_stops_it(office):
    result = office.run(
        "enroll", "--place", str(office.mall), "--entrance", "south", "--label", "south gate 1",
        "--server", "https://district.example/",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    device_id, token = enrolled(result.output)
    assert office.fingerprint in result.output
    assert (
        f"JOINTCHECK_DEVICE_TOKEN={token} jointcheck checkpoint --server https://district.example "
        f"--root-key {office.fingerprint}"
    ) in result.output
    assert f"--token {token}" not in result.output  # the token is not an argument, which ps shows
    assert "命令行参数在 ps 中对本机所有用户可见" in result.output
    assert f"https://district.example/entrance?token={token}" in result.output
    assert office.device_status(token) == 200

    listed = office.run("list", "--place", str(office.mall))
    assert listed.exit_code == 0, listed.output
    line = next(row for row in listed.output.splitlines() if device_id in row)
    assert "百货大楼" in line
    assert "south gate 1" in line
    assert "south" in line
    assert "active" in line
    assert token not in listed.output

    revoked = office.run("revoke", device_id)
    assert revoked.exit_code == 0, revoked.output
    assert office.device_status(token) == 401
    line = next(row for row in office.run("list").output.splitlines() if device_id in row)
    assert "revoked" in line
    again = office.run("revoke", device_id)
    assert again.exit_code == 0
    assert "Already revoked" in again.output


def test_list_by_place_and_by_street(office):
    mall = enrolled(office.run("enroll", "--place", str(office.mall), "--entrance", "north").output)
    home = enrolled(office.run("enroll", "--place", str(office.home), "--entrance", "gate").output)
    bare = enrolled(office.run("enroll", "--place", str(office.bare), "--entrance", "").output)
    street_1 = office.run("list", "--street", "370704001").output
    assert mall[0] in street_1
    assert bare[0] in street_1
    assert home[0] not in street_1
    street_2 = office.run("list", "--street", "370704002").output
    assert home[0] in street_2
    assert mall[0] not in street_2
    only_home = office.run("list", "--place", str(office.home)).output
    assert home[0] in only_home
    assert mall[0] not in only_home
    assert "Entrance devices: 3" in office.run("list").output
    assert office.device_status(bare[1]) == 200


def test_places_finds_a_place_id_with_its_entrances(office):
    result = office.run("places", "--search", "百货")
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if "百货大楼" in row)
    assert str(office.mall) in line
    assert "north, south" in line
    assert "敬老院" not in result.output
    street_2 = office.run("places", "--street", "370704002").output
    assert "敬老院" in street_2
    assert "百货大楼" not in street_2


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["enroll", "--place", "999999", "--entrance", "north"], "PLACE_UNKNOWN"),
        (["enroll", "--place", "{mall}", "--entrance", "west"], "ENTRANCE_UNKNOWN"),
        (["enroll", "--place", "{mall}", "--entrance", ""], "ENTRANCE_UNKNOWN"),
        (["enroll", "--place", "{bare}", "--entrance", "north"], "ENTRANCE_UNKNOWN"),
        (["list", "--place", "999999"], "PLACE_UNKNOWN"),
        (["list", "--street", "3707"], "STREET_CODE_INVALID"),
        (["places", "--street", "37070400x"], "STREET_CODE_INVALID"),
        (["revoke", "00000000-0000-0000-0000-000000000000"], "DEVICE_UNKNOWN"),
    ],
)
def test_usage_errors_say_what_to_do_and_exit_2(office, args, code):
    args = [a.format(mall=office.mall, bare=office.bare) for a in args]
    result = office.run(*args)
    assert result.exit_code == USAGE, result.output
    assert code in devices_cli.MESSAGES
    zh, en = result.output.strip().splitlines()[:2]  # the code with its zh-CN and en message
    assert zh.startswith(f"{code}: ")
    assert re.search(r"[\u4e00-\u9fff]", zh)
    assert en.startswith(f"{code}: ")
    assert not re.search(r"[\u4e00-\u9fff]", en)
    assert any(hint in en for hint in ("`jointcheck devices", "--entrance", "9 digits"))
    assert "Entrance devices: 0" in office.run("list").output  # nothing was enrolled
    if code == "ENTRANCE_UNKNOWN" and "{mall}" in " ".join(args):
        assert "north, south" in result.output


def test_missing_options_are_usage_errors(office):
    result = office.run("enroll", "--entrance", "north")
    assert result.exit_code == USAGE
    assert "--place" in result.output


def test_without_the_root_key_nothing_is_enrolled(office):
    DistrictKeyFiles.of(office.settings).root_public.unlink()
    result = office.run("enroll", "--place", str(office.mall), "--entrance", "north")
    assert result.exit_code == 1
    assert "ROOT_KEY_MISSING" in result.output
    assert "Entrance devices: 0" in office.run("list").output


def test_after_a_root_key_rotation_enrollment_shows_the_new_fingerprint(office):
    rotated = CliRunner().invoke(app, ["keys", "rotate-root"])
    assert rotated.exit_code == 0, rotated.output
    files = DistrictKeyFiles.of(office.settings)
    new = root_fingerprint(pem_public_key(files.root_public.read_bytes()))
    assert new != office.fingerprint
    assert f"--root-key {new}" in rotated.output
    result = office.run("enroll", "--place", str(office.mall), "--entrance", "north")
    assert result.exit_code == 0, result.output
    _, token = enrolled(result.output)
    assert f"JOINTCHECK_DEVICE_TOKEN={token} " in result.output
    assert f"--root-key {new}" in result.output
    assert office.fingerprint not in result.output
    # The demo set-up run again (demo up) keeps the rotated key and its trust list.
    assert ensure_district_keys(office.settings, NOW, "370704") == []
    assert root_fingerprint(pem_public_key(files.root_public.read_bytes())) == new
    assert office.device_status(token) == 200


def test_list_in_an_80_column_terminal_shows_each_device_id_whole(office, monkeypatch):
    """The table cut its cells with an ellipsis in a narrow terminal, the id `devices revoke`
    takes among them: there each device is two lines, its id whole on the first."""
    device_id, _ = enrolled(
        office.run("enroll", "--place", str(office.mall), "--entrance", "south").output
    )
    monkeypatch.setattr(devices_cli, "console", Console(width=80))
    listed = office.run("list")
    assert listed.exit_code == 0, listed.output
    assert "…" not in listed.output
    line = next(row for row in listed.output.splitlines() if device_id in row)
    assert line.startswith(f"{device_id}  status active")
    assert "百货大楼" in line
    assert office.run("revoke", device_id).exit_code == 0  # the id as listed is the one taken
