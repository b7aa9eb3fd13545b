"""The search service: a FastAPI app around one VideoSearch (routes in `routes.py`, guards in `security.py`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from ..version import __version__
from ..engine import VideoSearch
from ..store import EmptyLibraryError, StoreError
from ..video import VideoDecodeError
from .config import ServerConfig, is_loopback
from .previews import PreviewCache
from .routes import decode_failure, router, scrubbed
from .security import HostGuard

__all__ = ["ServerConfig", "create_app", "is_loopback"]

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY")]


class SecurityHeaders:
    """Adds nosniff (no upload is ever sniffed into HTML), no framing, no cross-site referrers to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _json_error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def add_error_handlers(app: FastAPI) -> None:
    """Every error is JSON with a `detail`; decode reasons map to 415 / 422 in one place."""

    @app.exception_handler(VideoDecodeError)
    def video_error(_: Request, e: VideoDecodeError):
        failure = decode_failure(e.reason, scrubbed(e))
        return _json_error(failure.status_code, failure.detail)

    @app.exception_handler(EmptyLibraryError)
    def empty_library(_: Request, e: EmptyLibraryError):
        return _json_error(409, str(e))

    @app.exception_handler(StoreError)
    def store_error(_: Request, e: StoreError):
        return _json_error(503, str(e))

    @app.exception_handler(RequestValidationError)
    def invalid_request(_: Request, e: RequestValidationError):
        errors = [{**err, "input": err["input"][:200]} if isinstance(err.get("input"), str) else err
                  for err in e.errors()]  # never echoes a 100-KB parameter back
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in errors)
        return JSONResponse({"detail": problems or "invalid request", "errors": jsonable_encoder(errors)},
                            status_code=422)

    @app.exception_handler(Exception)
    def unexpected(_: Request, e: Exception):
        return _json_error(500, f"internal error ({type(e).__name__}); the server log has the details")


def create_app(engine: VideoSearch, config: ServerConfig | None = None) -> FastAPI:
    config = config or ServerConfig()
    engine.claim()  # the server may write (uploads, deletes): the database is its own from the start
    app = FastAPI(title="vidsearch", version=__version__, docs_url=None, redoc_url=None,
                  description="Reverse video search: upload a video, get the most similar videos of the library.")
    app.state.engine, app.state.config = engine, config
    app.state.previews = PreviewCache(config.previews)
    app.include_router(router)
    add_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HostGuard, bound_host=config.host, allowed=config.allowed_hosts)  # outermost: first

    @app.api_route("/docs", methods=["GET", "HEAD"], include_in_schema=False)
    def docs() -> HTMLResponse:  # the API docs with assets served from here: they work offline
        return get_swagger_ui_html(openapi_url="/openapi.json", title="vidsearch API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")
    app.mount("/", StaticFiles(directory=STATIC, html=True), name="page")
    return app

