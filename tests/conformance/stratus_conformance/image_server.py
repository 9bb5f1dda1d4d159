"""A local web server with a small qcow2 disk image, for the Tempest tests that import an
image from a URL (``[image] http_qcow2_image``, ``http_image``): the machine has no internet,
and Stratus's import filtering is told to open the server's port (by default only 80 and 443
are open, as in Glance)."""

import http.server
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from stratus.kit import qcow2

MIB = 1 << 20


def disk_image() -> bytes:
    """A 64 MiB disk with a recognisable first sector and a tail, as qcow2."""
    first = b"stratus conformance disk".ljust(510, b"\0") + b"\x55\xaa"
    out = io.BytesIO()
    qcow2.write(iter([first, bytes(64 * MIB - 1024), b"end".ljust(512, b"\0")]), 64 * MIB, out)
    return out.getvalue()


@contextmanager
def serving() -> Iterator[str]:
    """Yields the URL of the image; the server stops when the block ends."""
    body = disk_image()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/disk.qcow2":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/disk.qcow2"
    finally:
        server.shutdown()
        thread.join(timeout=5)
