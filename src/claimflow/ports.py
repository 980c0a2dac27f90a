"""Whether a server can listen where it was asked to, before it starts.

``claimflow api`` and ``claimflow dashboard`` ask :func:`cannot_listen` first, so that a port
another process holds ends the command with one line ("port 8501 is in use; pass --port")
instead of uvicorn's or Streamlit's own messages, or a dashboard that never opens.
"""

from __future__ import annotations

import errno
import socket


def cannot_listen(host: str, port: int) -> str | None:
    """Why a server could not listen on ``host``:``port``, in a sentence; None when it can.

    The address is bound and released at once, with ``SO_REUSEADDR`` as uvicorn and Tornado
    (Streamlit's server) bind it: a port held by a listening socket is in use, one left in
    TIME_WAIT by a server just stopped is not.
    """
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        return f"cannot listen on {host!r}: not an address of this machine ({exc})"
    for family, kind, proto, _name, address in addresses:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return f"port {port} is in use; pass --port"
                if exc.errno == errno.EACCES:
                    return f"port {port} needs privileges to listen on; pass --port"
                return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None
