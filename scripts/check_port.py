"""`make serve` runs this first: is HOST:PORT free? One line and exit status 1 if not.

    python scripts/check_port.py 127.0.0.1:8000

mkdocs serve would build the whole site first, then fail to bind with a traceback (and leave
its temporary site folder behind); this check takes a millisecond.
"""

from __future__ import annotations

import errno
import socket
import sys


def main(argv: list[str]) -> int:
    address = argv[1] if len(argv) > 1 else "127.0.0.1:8000"
    host, _, port = address.rpartition(":")
    try:
        number = int(port)
        family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host.strip("[]") or "127.0.0.1", number))  # no SO_REUSEADDR: as strict as mkdocs
    except ValueError:
        print(f"error: DEV_ADDR must be HOST:PORT, e.g. 127.0.0.1:8000; got {address!r}", file=sys.stderr)
        return 1
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            why = "is already in use (another `make serve`?)"
        else:
            why = f"cannot be served ({err.strerror or err})"
        print(f"error: {address} {why}; stop that server or choose another address, e.g. "
              f"`make serve DEV_ADDR={host or '127.0.0.1'}:{number + 1 if port.isdigit() else 8001}`",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
