"""jointcheck: the joint check of health code and vaccination certificate (证码联查).

The packages follow the dependency rule in docs/architecture.md: ``credentials`` <-
``certlogic`` <- ``policy`` <- ``checkpoint`` <- services <- ``store``, ``api``, ``web``, ``cli``.
"""

__version__ = "0.1.0"
