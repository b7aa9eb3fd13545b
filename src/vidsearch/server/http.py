"""How the service is served: uvicorn with its h11 protocol, whose answer to a request it cannot parse (a bad
`Content-Length`, a broken request line) is JSON with a `detail` like every other error of the API, not
uvicorn's plain text. The app never sees such a request: only the protocol can answer it."""

from __future__ import annotations

import json

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


class JsonErrorsH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"detail": f"malformed HTTP request: {msg}"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body),
                      h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def server_config(app, **options) -> uvicorn.Config:
    """uvicorn's configuration for the service (the CLI's `serve`, tests that start a real server)."""
    return uvicorn.Config(app, http=JsonErrorsH11Protocol, log_level="warning", **options)
