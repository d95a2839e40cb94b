"""The entrance page served by the agent on localhost (issue 4, offline operation): the same
page decides with the agent's own bundle, and the checks reach the server at the next sync."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect
from test_entrance_page import Codes, enroll_demo_device, scan

from conftest import free_port
from jointcheck.api.agent_app import create_agent_app
from jointcheck.api.agent_transport import HttpTransport
from jointcheck.api.checkpoint_service import CheckpointServer
from jointcheck.bootstrap import DistrictKeyFiles, build_registry
from jointcheck.checkpoint.agent import Agent
from jointcheck.checkpoint.bundle import (
    Bundle,
    canonical,
    pem_public_key,
    root_fingerprint,
    root_kid,
    sign_bundle,
)
from jointcheck.checkpoint.outbox import Outbox
from jointcheck.checkpoint.rotation import endorse
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.credentials import trust
from jointcheck.credentials.keyfiles import read_signing_key
from jointcheck.credentials.revocation import resign_revocation_list
from jointcheck.security.roles import Principal, Role
from jointcheck.web.holder import ServerIssuers


class _Quiet(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        return


@pytest.fixture
def agent(live_server, tmp_path):
    """(the agent's URL, its transport to the server) for an agent started with the pin."""
    transport = HttpTransport(live_server.url, enroll_demo_device(live_server, "markets"))
    # The fingerprint enrollment shows the operator, from the district's public root key.
    root_public = DistrictKeyFiles.of(live_server.settings).root_public.read_bytes()
    agent = Agent(
        Outbox(tmp_path / "outbox.db"), transport, DeviceSealer(DeviceSealer.new_key()),
        clock=lambda: datetime.now(UTC), root_pin=root_fingerprint(pem_public_key(root_public)),
    )  # fmt: skip
    agent.start()
    assert agent.sync() is not None
    port = free_port()
    app = create_agent_app(agent, sync_interval=0.5)
    server = _Quiet(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", transport
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        transport.close()


@pytest.fixture
def agent_url(agent):
    return agent[0]


def test_the_agent_serves_the_entrance_page_and_syncs(page, agent_url, live_server, screenshot):
    issuers = ServerIssuers.load(DistrictKeyFiles.of(live_server.settings))
    assert issuers is not None
    codes = Codes(issuers)
    page.goto(agent_url + "/")
    scan(page, codes.health(), codes.vaccination())
    expect(page.get_by_test_id("result")).to_have_attribute("data-outcome", "ADMIT")
    expect(page.get_by_test_id("result-name")).to_have_text("张*三")
    expect(page.get_by_test_id("link-status")).to_contain_text("在线")
    expect(page.get_by_test_id("count-checks")).to_have_text("1", timeout=10_000)
    screenshot(page, "entrance-agent")
    # Uploaded at the next sync: the page stops showing it as waiting.
    expect(page.get_by_test_id("link-status")).not_to_contain_text("待上传", timeout=20_000)


def signed_by_another_key(document: bytes) -> bytes:
    """DOCUMENT's body, one version newer, signed by a root key other than the district's."""
    other = ec.generate_private_key(ec.SECP256R1())
    envelope = json.loads(document)
    envelope["body"]["version"] += 1
    signature = other.sign(canonical(envelope["body"]), ec.ECDSA(hashes.SHA256()))
    envelope["kid"] = root_kid(other.public_key())
    envelope["signature"] = base64.b64encode(signature).decode("ascii")
    return json.dumps(envelope).encode()


def test_a_bundle_of_another_root_key_shows_as_untrusted_and_checks_go_on(
    page, agent, live_server, screenshot
):
    url, transport = agent
    # The server now hands out a bundle signed by another root key than the pinned one.
    forged = signed_by_another_key(transport.fetch_bundle())
    transport.fetch_bundle = lambda: forged
    issuers = ServerIssuers.load(DistrictKeyFiles.of(live_server.settings))
    assert issuers is not None
    codes = Codes(issuers)
    page.goto(url + "/")
    status = page.get_by_test_id("link-status")
    expect(status).to_have_attribute("data-refused", "BUNDLE_UNTRUSTED", timeout=15_000)
    expect(status).to_contain_text("信任包不可信")
    expect(status).to_contain_text("仍按上一个有效信任包判定")
    # Still deciding with the last good bundle; the check waits in the outbox.
    scan(page, codes.health(), codes.vaccination())
    expect(page.get_by_test_id("result")).to_have_attribute("data-outcome", "ADMIT")
    expect(status).to_contain_text("待上传 1", timeout=10_000)
    screenshot(page, "entrance-agent-untrusted-bundle")


def test_events_the_server_refused_are_shown_with_what_to_do(page, agent, live_server, screenshot):
    url, transport = agent
    # The terminal's checks reach the server in another device's name: refused, kept here.
    post_batch = transport.post_batch
    transport.post_batch = lambda events, skew: post_batch(  # type: ignore[method-assign]
        [dict(e, device_id="another-device") if e["kind"] == "check" else e for e in events],
        skew,
    )
    issuers = ServerIssuers.load(DistrictKeyFiles.of(live_server.settings))
    assert issuers is not None
    codes = Codes(issuers)
    page.goto(url + "/?lang=en")
    refused = page.get_by_test_id("refused-events")
    expect(refused).to_be_hidden()
    scan(page, codes.health(), codes.vaccination())
    expect(refused).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("refused-count")).to_contain_text("refused by the server: 1")
    expect(refused.locator('li[data-code="DEVICE_MISMATCH"]')).to_contain_text(
        "The event names another device"
    )
    expect(page.get_by_test_id("refused-action")).to_contain_text("Call the district office")
    expect(page.get_by_test_id("refused-action")).not_to_contain_text("{device}")
    screenshot(page, "entrance-agent-refused-events")
    page.goto(url + "/?lang=zh-CN")
    expect(page.get_by_test_id("refused-count")).to_contain_text("被服务器拒收的记录：1 条")
    expect(refused.locator('li[data-code="DEVICE_MISMATCH"]')).to_contain_text("其他设备")


def rotated_bundle(document: bytes, old: ec.EllipticCurvePrivateKey) -> tuple[bytes, str]:
    """DOCUMENT as the server signs it after ``keys rotate-root``: one version newer, its
    trust and revocation lists and itself signed by a new key that OLD endorses."""
    new = ec.generate_private_key(ec.SECP256R1())
    body = json.loads(document)["body"]
    payload = trust.signed_payload(body["trust_list"].encode(), old.public_key())
    revocations = base64.b64decode(body["revocations"])
    resigned = resign_revocation_list(revocations, old.public_key(), new)
    bundle = Bundle(
        version=body["version"] + 1,
        issued_at=datetime.now(UTC),
        max_age=timedelta(seconds=body["max_age_seconds"]),
        trust_list=trust.sign_trust_list(payload, new).decode(),
        revocations=base64.b64encode(resigned).decode("ascii"),
        pack=body["pack"],
        pack_id=body["pack_id"],
        pack_version=body["pack_version"],
        root_kid="",
    )
    chain = [endorse(old, new.public_key(), datetime.now(UTC))]
    return sign_bundle(bundle, new, chain), root_fingerprint(new.public_key())


def test_a_rotated_root_key_is_followed_and_said_once(page, agent, live_server, screenshot):
    url, transport = agent
    files = DistrictKeyFiles.of(live_server.settings)
    old = read_signing_key(files.root_private)
    assert isinstance(old, ec.EllipticCurvePrivateKey)
    rotated, new = rotated_bundle(transport.fetch_bundle(), old)
    transport.fetch_bundle = lambda: rotated
    issuers = ServerIssuers.load(files)
    assert issuers is not None
    codes = Codes(issuers)
    page.goto(url + "/")
    notice = page.get_by_test_id("rotation-notice")
    expect(notice).to_be_visible(timeout=15_000)
    expect(notice).to_contain_text("区根密钥已更换")
    expect(notice).to_contain_text(new)
    expect(page.get_by_test_id("link-status")).to_have_attribute("data-refused", "")
    # It decides with the new key's bundle, and says it only once.
    scan(page, codes.health(), codes.vaccination())
    expect(page.get_by_test_id("result")).to_have_attribute("data-outcome", "ADMIT")
    screenshot(page, "entrance-agent-root-rotated")
    page.goto(url + "/?lang=en")
    expect(page.get_by_test_id("count-checks")).to_have_text("1", timeout=10_000)
    expect(page.get_by_test_id("rotation-notice")).to_be_hidden()


def _revoke(live_server, device_id: str) -> None:
    """The district office revokes the terminal (as the devices page does)."""
    registry = build_registry(live_server.settings)
    server = CheckpointServer.of(
        live_server.settings, registry, lambda: datetime.now(UTC), "fangzi-2021"
    )
    try:
        admin = Principal(0, "e2e", Role.DISTRICT_ADMIN, live_server.demo.district_code)
        assert server.revoke(admin, device_id)
    finally:
        registry.close()


def test_a_revoked_terminal_says_so_and_keeps_its_checks(page, agent, live_server, screenshot):
    url, transport = agent
    device_id = str(transport.device()["station"]["device_id"])
    issuers = ServerIssuers.load(DistrictKeyFiles.of(live_server.settings))
    assert issuers is not None
    codes = Codes(issuers)
    _revoke(live_server, device_id)
    page.goto(url + "/?lang=en")
    status = page.get_by_test_id("link-status")
    expect(status).to_have_attribute("data-revoked", "true", timeout=15_000)
    expect(status).to_contain_text("This terminal was revoked at the server")
    expect(status).to_contain_text(device_id)
    expect(status).not_to_contain_text("Offline")
    # It still decides at the entrance; the check is kept on the terminal, not uploaded.
    scan(page, codes.health(), codes.vaccination())
    expect(page.get_by_test_id("result")).to_have_attribute("data-outcome", "ADMIT")
    expect(status).to_contain_text("1 waiting to upload", timeout=10_000)
    screenshot(page, "entrance-agent-revoked-en")
    page.goto(url + "/?lang=zh-CN")
    expect(status).to_contain_text("本终端已在服务器注销", timeout=10_000)
    expect(status).to_contain_text("待上传 1")
