"""End-to-end fixtures: the app served by uvicorn on a free localhost port, and Debian's
Chromium driven by Playwright.

``live_server`` builds a server of its own in a temporary ``var`` directory: secrets, the
district keys and trust list (``bootstrap.ensure_district_keys``), a migrated SQLite database
and a small seeded demo district (the store's ``DemoSeeder``), then serves
``create_app(settings)`` in a background thread. ``page`` opens a fresh browser context (its
own cookies) per test. Screenshots go to ``tests/e2e/artifacts/`` (git-ignored).

Chromium is Debian's (``/usr/bin/chromium``): without it the tests skip locally and fail in CI
(``require`` in tests/conftest.py).
"""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

from jointcheck.api.app import create_app
from jointcheck.bootstrap import build_registry, ensure_district_keys
from jointcheck.config import Settings
from jointcheck.registry.demo import DemoDistrict, build_demo
from jointcheck.registry.seeding import DemoSeeder
from jointcheck.store.migrate import upgrade
from web_factories import make_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
E2E_RESIDENTS = 40
E2E_PLACES = 18


def _load_root_conftest() -> ModuleType:
    # tests/ is not a package and every conftest is named "conftest": load the root one under
    # a name of its own to reuse its skip-or-fail rule.
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("jointcheck_tests_root_conftest_e2e", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


require = _load_root_conftest().require


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True, slots=True)
class LiveServer:
    url: str
    settings: Settings
    demo: DemoDistrict

    def login_of(self, username: str) -> tuple[str, str]:
        account = next(a for a in self.demo.accounts if a.username == username)
        return account.username, account.password


def prepare_var(var_dir: Path) -> tuple[Settings, DemoDistrict]:
    """A deployment in ``var_dir``: keys, trust list, migrated database, small demo district."""
    settings = make_settings(var_dir, holder_refresh_seconds=3)
    demo = build_demo(residents=E2E_RESIDENTS, places=E2E_PLACES)
    ensure_district_keys(settings, datetime.now(UTC), demo.district_code)
    upgrade(settings.effective_database_url)
    registry = build_registry(settings)
    try:
        DemoSeeder(registry.uow, registry.cipher).seed(demo)
    finally:
        registry.close()
    return settings, demo


class _ThreadedServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        # Signals belong to the test runner's main thread.
        return


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings, demo = prepare_var(tmp_path_factory.mktemp("e2e") / "var")
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = _ThreadedServer(config)
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the e2e server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings, demo)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium, for one test module at a time.

    Playwright's sync API runs its event loop in the test runner's main thread for as long as
    it is open; closed with each module, it leaves no running loop behind for the later tests
    that start their own (``asyncio.run``).
    """
    require(CHROMIUM.exists(), "install Debian's chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A page in a fresh browser context: its own cookies, a laptop-sized window."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1100, "height": 900}, locale="zh-CN"
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def _screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot() -> Any:
    """``screenshot(page, name)``: a full-page PNG under tests/e2e/artifacts/, its path back."""
    return _screenshot


def _sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_load_state()


@pytest.fixture
def sign_in() -> Any:
    """``sign_in(page, username, password)`` through the sign-in form."""
    return _sign_in
