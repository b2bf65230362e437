"""Which host names stay on this machine.

One rule, shared by the client (a plain `http://` URL is allowed there), the sandbox (served without
`--allow-remote`) and the Join button (the sandbox hint).

A leaf: it imports nothing from the package, so every layer, the sandbox included, may import it.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only: `localhost` (any case), 127.0.0.0/8 or ::1 (bracketed or not).

    Args:
        host: A host name or address, as a URL or a command line gives it.

    Returns:
        True for a loopback host, where a plain `http://` URL never leaves the machine.
    """
    name = host.strip().lower()  # host names are case-insensitive (RFC 4343): LOCALHOST is localhost
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]  # an IPv6 address as a URL writes it
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
