"""``jointcheck keys rotate-root``: replace the district root key without enrolling the
entrance terminals again (issue 4; the files in ``api/root_rotation.py``, the terminals'
side in ``checkpoint/rotation.py``).

For the district office on the server's deployment (``JOINTCHECK_VAR_DIR``, the database of
``jointcheck devices``): the rotation is written to the audit log as the district office, like
an enrollment made there (R6). Exit status: 0 rotated, 1 the database cannot be opened
(nothing rotated; or rotated, but the audit entry could not be written afterwards:
ROTATED_NOT_AUDITED), 2 nothing to rotate, an endorsement file that does not verify, or a
rotation interrupted between its moves whose staged key does not match (ROTATION_UNFINISHED;
one that matches is finished, and said so).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from jointcheck.api.root_rotation import Rotated
    from jointcheck.bootstrap import DistrictKeyFiles, Registry

# code -> (exit status, zh-CN, en): why no new key was made, and what to do.
REFUSALS = {
    "ROOT_KEY_MISSING": (
        2,
        "尚无区根密钥，无可更换：先创建本区的密钥（jointcheck demo up 或 jointcheck keys create）",
        (
            "There is no district root key to rotate yet: create the district's keys first "
            "(jointcheck demo up, or jointcheck keys create)"
        ),
    ),
    "ROOT_CHAIN_BROKEN": (
        2,
        "现有的区根密钥更换记录无法验证或不以当前根密钥结尾，未作更换：请从备份恢复该文件",
        (
            "The district's existing root key endorsements do not verify or do not end at the "
            "key in use: nothing rotated; restore the file from a backup"
        ),
    ),
    # A crash between rotate-root's moves, and the staged key is not the one the moved files
    # name (api/root_recovery.py): nothing is touched; what to put back.
    "ROTATION_UNFINISHED": (
        2,
        (
            "上次更换区根密钥中途中断，暂存的新私钥（var/secrets/.root.key.pem.next）与已移入的文件不符，"
            "未作改动：root.key.pem 仍是在用的密钥（var/secrets/retired 中有其副本，若缺失请从该处复制回来）；"
            "请从更换前的备份恢复 var/trust 中的 root-endorsements.json、trust-list.json、revocations.jcrl "
            "和 root.pub.pem，或放回与之相符的暂存私钥，然后再次运行 jointcheck keys rotate-root"
        ),
        (
            "A root key rotation was interrupted and its staged new key "
            "(var/secrets/.root.key.pem.next) is not the key the files already moved name: "
            "nothing changed. root.key.pem is still the key in use (var/secrets/retired holds a "
            "copy: copy it back from there if it is missing); restore root-endorsements.json, "
            "trust-list.json, revocations.jcrl and root.pub.pem in var/trust from the backup "
            "made before the rotation, or put back the staged key that matches them, then run "
            "jointcheck keys rotate-root again"
        ),
    ),
    "NOT_READY": (
        1,
        "无法打开数据库（更换须记入审计日志），未作更换：检查 JOINTCHECK_DATABASE_URL 和 var/secrets",
        (
            "Cannot open the database (the rotation is written to the audit log): nothing "
            "rotated; check JOINTCHECK_DATABASE_URL and var/secrets"
        ),
    ),
    # The keys were rotated, but writing the audit entry failed afterwards (the database went
    # away between the check and the write): said, not hidden in a traceback.
    "ROTATED_NOT_AUDITED": (
        1,
        "区根密钥已更换，但审计日志未能写入：请勿再次更换，修复数据库后将本次更换（见上方指纹）补记入审计",
        (
            "The district root key was rotated, but the audit entry could not be written: do "
            "not rotate again; once the database is fixed, record this rotation (fingerprints "
            "above) in the audit log"
        ),
    ),
}


def refused(code: str, detail: str) -> typer.Exit:
    """Say why nothing was rotated (code, zh-CN, en, detail); the exit to raise."""
    status, zh, en = REFUSALS[code]
    typer.echo(f"{code}: {zh}\n{code}: {en}\n({detail})", err=True)
    return typer.Exit(status)


def rotate_root() -> None:
    """Replace the district root key without enrolling the terminals again.

    On the deployment's files (JOINTCHECK_VAR_DIR): a new root key; an
    endorsement of it signed by the old key (var/trust/root-endorsements.json);
    the trust and revocation lists signed again by the new key; the old key
    kept in var/secrets/retired. Terminals follow at their next sync. Written
    to the audit log (root_key.rotate) as the district office.

    A rotation a crash interrupted between its moves (the new private
    key still staged) is finished with that key, when it is the one the
    moved files name; otherwise exit status 2 with ROTATION_UNFINISHED,
    which says what to restore. Exit status 2 with ROOT_KEY_MISSING when
    there is no root key yet.
    """
    from jointcheck.api.root_recovery import rotate_or_finish
    from jointcheck.bootstrap import DistrictKeyFiles, build_registry
    from jointcheck.cli.trust import fault_exit
    from jointcheck.config import load_settings
    from jointcheck.errors import JointcheckError

    try:
        settings = load_settings()
    except JointcheckError as exc:
        raise refused("NOT_READY", f"{exc.code}: {exc}") from exc
    files = DistrictKeyFiles.of(settings)
    if not files.root_private.is_file():
        # Before anything is opened or made.
        raise refused("ROOT_KEY_MISSING", f"no district root key at {files.root_private}")
    try:
        registry = build_registry(settings)
    except JointcheckError as exc:
        raise refused("NOT_READY", f"{exc.code}: {exc}") from exc
    try:
        _check_audit_log(registry)
        try:
            done = rotate_or_finish(files, datetime.now(UTC))
        except JointcheckError as exc:
            if exc.code not in REFUSALS:
                raise fault_exit(exc) from exc  # with the catalog's zh-CN and en messages
            raise refused(exc.code, str(exc)) from exc
        audited = _audited(registry, done)
    finally:
        registry.close()
    _say_next(files, done)
    if audited is not None:
        raise refused("ROTATED_NOT_AUDITED", audited)


def _audited(registry: Registry, done: Rotated) -> str | None:
    """Write the rotation's audit entry; None when written, else why it was not."""
    from sqlalchemy.exc import SQLAlchemyError

    from jointcheck.errors import JointcheckError

    try:
        _audit(registry, done)
    except (JointcheckError, SQLAlchemyError) as exc:
        return getattr(exc, "code", "") or type(exc).__name__
    return None


def _check_audit_log(registry: Registry) -> None:
    """The audit log can be written: checked before a key is made, not after."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    try:
        ready = inspect(registry.engine).has_table("audit_log")
    except SQLAlchemyError as exc:
        raise refused("NOT_READY", type(exc).__name__) from exc
    if not ready:
        raise refused("NOT_READY", "no audit_log table: run `jointcheck db upgrade`")


def _audit(registry: Registry, done: Rotated) -> None:
    from jointcheck.security.ports import AuditAction
    from jointcheck.security.roles import Principal, Role, district_of

    district = district_of(done.district)
    office = Principal(0, "cli:district-office", Role.DISTRICT_ADMIN, district)
    with registry.uow() as uow:
        uow.audit.add(
            registry.auditor.entry(
                office,
                AuditAction.ROOT_KEY_ROTATE,
                admin_code=district,
                subject_kind="root_key",
                subject_id=done.next.replace(":", "")[:64],
                reason="rotate the district root key",
                detail={
                    "previous": done.previous,
                    "next": done.next,
                    "since": done.since.isoformat(),
                    "retired": done.retired.name,
                    "resumed": done.resumed,
                },
            )
        )
        uow.commit()


def _say_next(files: DistrictKeyFiles, done: Rotated) -> None:
    if done.resumed:
        typer.echo(
            "区根密钥的上次更换中途中断，已用暂存的新密钥完成 The rotation interrupted between its "
            "moves was finished with its staged key (the key the moved files name)"
        )
    typer.echo(f"rotated the district root key from {done.since.isoformat()}")
    typer.echo(f"  retired key: {done.previous}")
    typer.echo(f"               kept in {done.retired} (0600)")
    typer.echo(f"  new key:     {done.next}")
    typer.echo(f"  endorsement: link {done.links} of {files.endorsements}")
    typer.echo("next:")
    typer.echo("  - the server signs its next bundle, at the next request, with the new key;")
    typer.echo("    terminals pinned to an earlier key follow the endorsements at their next sync")
    typer.echo(f"  - enroll new terminals with --root-key {done.next} (enrollment shows it)")
    typer.echo(f"  - move {done.retired.name} to the offline machine; do not delete it")
