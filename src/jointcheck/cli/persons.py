"""``jointcheck persons health-code``: the district's health authority changes a person's
health-code colour from the command line (issue 4, R6).

For the district office working on the database directly (``JOINTCHECK_DATABASE_URL``, the
keys in ``var/secrets``), as ``jointcheck devices`` does. The person is found by their ID
document through the keyed look-up hash; the command acts as the health-authority account of
the person's district (its audit rows name that account, as ``cli:<username>``), so that the
change is audited like one made on the page (``health_code.change``: the account, the
person's id, the colours before and after, the reason; never the document number).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn
from zoneinfo import ZoneInfo

import typer

from jointcheck.cli.devices import open_deployment

if TYPE_CHECKING:
    from jointcheck.bootstrap import Registry
    from jointcheck.security.roles import Principal

app = typer.Typer(
    help="Persons of the registry: change a health-code colour (on the database).",
    no_args_is_help=True,
)

USAGE = 2  # what was asked for is malformed or does not exist
FAULT = 1  # the deployment is not ready (keys, database, no health-authority account)
COLOUR_ICONS = {"green": "●", "yellow": "▲", "red": "■"}


def fail(code: str, exit_code: int = USAGE) -> NoReturn:
    """Say what went wrong and what to do, in zh-CN and en, with the code, and exit."""
    from jointcheck.web.i18n import both

    message = both(f"error.{code}")
    typer.echo(f"error [{code}]\n  {message['zh-CN']}\n  {message['en']}", err=True)
    raise typer.Exit(code=exit_code)


def _district_of_person(registry: Registry, document_type: str, number: str) -> str:
    """The district the document's holder is registered in (the look-up hash, no plaintext)."""
    from jointcheck.registry.persons import document_kind
    from jointcheck.security.idcard import check_document

    kind = document_kind(document_type)
    check = check_document(kind, number, datetime.now(UTC).date())
    if not check.ok:
        fail("ID_NUMBER_INVALID")
    with registry.uow() as uow:
        sealed = uow.persons.find_by_lookup(registry.cipher.lookup_hash(kind, check.number))
    if sealed is None:
        fail("HEALTH_CODE_PERSON_UNKNOWN")
    return sealed.admin_code[:6]


def _health_authority(registry: Registry, district: str) -> Principal:
    """The district's health-authority account (the first active one), acting from the CLI."""
    from jointcheck.security.roles import Principal, Role

    with registry.uow() as uow:
        records = uow.accounts.list(scope_code=district)
    found = next(
        (
            r
            for r in records
            if r.active and r.role is Role.HEALTH_AUTHORITY and r.scope_code == district
        ),
        None,
    )
    if found is None or found.id is None:
        fail("HEALTH_AUTHORITY_MISSING", FAULT)
    return Principal(
        account_id=found.id,
        username=f"cli:{found.username}",
        role=Role.HEALTH_AUTHORITY,
        scope_code=district,
    )


@app.command("health-code")
def health_code(
    document_type: str = typer.Option(
        "resident_id_card",
        "--document-type",
        help="resident_id_card, passport, hk_macao_permit or taiwan_permit",
    ),
    number: str = typer.Option(..., "--number", help="the document's number"),
    colour: str = typer.Option(..., "--colour", help="green, yellow or red"),
    reason: str = typer.Option(..., "--reason", help="why (required, up to 200 characters)"),
    until: str = typer.Option(
        "",
        "--until",
        help="when the status is expected to end, later than now, e.g. 2021-09-20T18:00 "
        "(local time of the deployment) or with an offset (+08:00)",
    ),
) -> None:
    """Change a person's health-code colour as their district's health authority (audited).

    The holder's code and online entrance checks use the new colour at once. Prints the
    person masked and the new status. Exits with code 2 for a bad colour, a missing reason, an
    'until' in the past, an invalid document number or a person not in the registry; 1 when
    the district has no health-authority account or the database cannot be opened.
    """
    from jointcheck.errors import InputError
    from jointcheck.registry.code_change import check_change, parse_until
    from jointcheck.registry.health_code import HealthCodeDesk

    settings, registry = open_deployment()
    zone = ZoneInfo(settings.timezone)
    now = datetime.now(UTC)
    try:
        try:
            change = check_change(colour, reason, parse_until(until, zone), now)
            principal = _health_authority(
                registry, _district_of_person(registry, document_type, number)
            )
            desk = HealthCodeDesk(registry.persons, registry.health)
            person_id = desk.find(principal, document_type, number, now)
            before = desk.card(principal, person_id).status
            status = desk.change(principal, person_id, change, now)
            card = desk.card(principal, person_id)
        except InputError as exc:  # a bad colour, reason, until, document; no such person
            fail(exc.code)
    finally:
        registry.close()
    was = before.colour.value if before else "-"
    local = status.since.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    end = status.until.astimezone(zone).strftime("%Y-%m-%d %H:%M") if status.until else "-"
    new = status.colour.value
    typer.echo(f"已变更 Changed: {card.person.masked_name} ({card.person.masked_number})")
    typer.echo(f"  colour  {was} -> {COLOUR_ICONS[new]} {new}")
    typer.echo(f"  reason  {status.reason}")
    typer.echo(f"  since   {local}  until {end}  ({settings.timezone})")
    typer.echo(f"  by      {principal.username} (account {principal.account_id}), audited")
