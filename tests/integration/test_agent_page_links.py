"""The entrance agent serves its entrance page alone (issue 4): the page's header links only
what the terminal serves, in zh-CN and en, so that staff never land on a 404; the server's
pages keep their navigation and sign-in link."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from test_checkpoint_agent import make_agent

from jointcheck.api.agent_app import create_agent_app


def links(html: str) -> set[str]:
    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    return {h for h in re.findall(r'href="([^"?]+)', header) if not h.startswith("#")}


def test_the_agents_header_links_only_what_the_terminal_serves(client, district, tmp_path):
    agent, _ = make_agent(district, client, tmp_path)
    with TestClient(create_agent_app(agent, sync_interval=3600)) as terminal:
        for lang in ("zh-CN", "en"):
            page = terminal.get(f"/?lang={lang}")
            assert page.status_code == 200
            assert links(page.text) == {"/"}, "no /verify nor /login on the terminal"
            assert all(terminal.get(h).status_code == 200 for h in links(page.text))
    served = client.get("/verify?lang=en").text
    assert {"/verify", "/login"} <= links(served)
