"""The command that starts a newly enrolled terminal's entrance agent, as enrollment shows it
(the devices page, ``jointcheck devices enroll``, ``jointcheck demo up``).

The device token goes through the environment (``JOINTCHECK_DEVICE_TOKEN``), not ``--token``:
a process's arguments are readable by every user of the machine (``ps``, /proc/PID/cmdline),
its environment only by its owner and root (R6, least privilege).
"""

from __future__ import annotations

import shlex

TOKEN_ENV = "JOINTCHECK_DEVICE_TOKEN"  # noqa: S105 - the variable's name, not a token
# One line, printed under the command, on why the token is not an argument.
ENV_REASON_ZH = (
    f"令牌经环境变量 {TOKEN_ENV} 传入，而非 --token：命令行参数在 ps 中对本机所有用户可见。"
)
ENV_REASON_EN = (
    f"The token goes in the environment ({TOKEN_ENV}), not --token: a command's arguments "
    "are visible to every user of the machine in ps."
)


def agent_command(
    server_url: str, token: str, fingerprint: str, program: str = "jointcheck"
) -> str:
    """``JOINTCHECK_DEVICE_TOKEN=TOKEN jointcheck checkpoint --server URL --root-key FP``."""
    return (
        f"{TOKEN_ENV}={shlex.quote(token)} {program} checkpoint "
        f"--server {shlex.quote(server_url)} --root-key {fingerprint}"
    )
