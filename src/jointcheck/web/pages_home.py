"""The home page ``/``: what each page is for and who uses it, in the request's language."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from jointcheck.web.render import render

router = APIRouter(tags=["pages"])


@dataclass(frozen=True, slots=True)
class PageEntry:
    path: str
    title: str
    summary: str
    who: str = ""


# Pages that exist only when their feature's routes are mounted are listed only then.
PAGES = (
    PageEntry("/verify", "home.verify.title", "home.verify.summary", "home.verify.who"),
    PageEntry("/me", "home.me.title", "home.me.summary", "home.me.who"),
    PageEntry("/entrance", "home.entrance.title", "home.entrance.summary", "home.entrance.who"),
    PageEntry("/login", "home.login.title", "home.login.summary", "home.login.who"),
)


def mounted_paths(request: Request) -> set[str]:
    return {str(getattr(route, "path", "")) for route in request.app.routes}


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    paths = mounted_paths(request)
    return render(request, "index.html", {"pages": [p for p in PAGES if p.path in paths]})
