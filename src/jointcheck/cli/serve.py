"""``jointcheck serve``: serve the app on a host and port, as it is (no migration, no seeding).

For a deployment whose database, keys and trust list are already in place; ``jointcheck demo
up`` is the newcomer's command that creates them first.
"""

from __future__ import annotations

import typer

from jointcheck.api.uvicorn_options import DEFAULT_WORKERS


def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="port to listen on"),
    workers: int = typer.Option(
        DEFAULT_WORKERS,
        min=1,
        max=64,
        help="worker processes sharing the port; all share one database (the duplicate-"
        "presentation ledger included). 1 by default: on a small machine that also runs the "
        "database, more processes compete for the same cores",
    ),
    access_log: bool = typer.Option(
        True,
        "--access-log/--no-access-log",
        help="log every request at info level (method, path, status; of the query string only "
        "the values of ids, page numbers and the language, never personal data)",
    ),
) -> None:
    """Serve the jointcheck web app (pages and API) with uvicorn (uvloop, httptools)."""
    import uvicorn

    from jointcheck.api.uvicorn_options import uvicorn_options

    uvicorn.run(
        "jointcheck.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **uvicorn_options(access_log=access_log),
    )
