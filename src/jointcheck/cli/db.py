"""``jointcheck db upgrade``: bring the database (``JOINTCHECK_DATABASE_URL``) to the newest schema."""

from __future__ import annotations

import typer

app = typer.Typer(help="The database: migrations.", no_args_is_help=True)


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Run the Alembic migrations up to REVISION (the newest by default)."""
    from jointcheck.config import load_settings
    from jointcheck.store.migrate import upgrade as run_upgrade

    url = load_settings().effective_database_url
    run_upgrade(url, revision)
    typer.echo(f"database at {revision}: {_safe(url)}")


@app.command()
def current() -> None:
    """Print the database's revision and whether it is the newest."""
    from jointcheck.config import load_settings
    from jointcheck.store.engine import make_engine
    from jointcheck.store.migrate import current_revisions, head_revisions

    url = load_settings().effective_database_url
    engine = make_engine(url)
    try:
        revisions = current_revisions(engine)
    finally:
        engine.dispose()
    newest = set(revisions) == set(head_revisions())
    typer.echo(
        f"{_safe(url)}: {', '.join(revisions) or 'empty'}{'' if newest else ' (upgrade needed)'}"
    )
    if not newest:
        raise typer.Exit(1)
