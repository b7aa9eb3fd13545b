"""The search service: a FastAPI app around one VideoSearch. Thin: parse, call the engine, format."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Depends, FastAPI, File, Form, Header, HTTPException, UploadFile
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ..engine import VideoSearch
from ..sources import SourceItem, stable_id
from ..store import StoreError
from ..video import VideoDecodeError
from .previews import PreviewCache
from .uploads import received

STATIC = Path(__file__).parent / "static"
NOT_A_VIDEO = {"not_video", "no_video_stream", "empty"}  # 415; other decode failures are 422


@dataclass
class ServerConfig:
    token: str | None = None  # required (Bearer) by the write endpoints when set
    max_upload_bytes: int = 200 << 20
    data_dir: Path = field(default_factory=lambda: Path("vidsearch-server"))  # uploads and previews

    @property
    def uploads(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def previews(self) -> Path:
        return self.data_dir / "previews"


def _decode_error(e: VideoDecodeError) -> HTTPException:
    if e.reason in NOT_A_VIDEO:
        return HTTPException(415, f"not a video we can read ({e.reason}: {e.cause})")
    return HTTPException(422, f"the video cannot be used ({e.reason}: {e.cause})")


def create_app(engine: VideoSearch, config: ServerConfig | None = None) -> FastAPI:
    config = config or ServerConfig()
    config.uploads.mkdir(parents=True, exist_ok=True)
    previews = PreviewCache(config.previews)
    app = FastAPI(title="vidsearch", version="0.1.0",
                  description="Reverse video search: upload a video, get the most similar videos of the library.")

    def require_token(authorization: str | None = Header(default=None)) -> None:
        if config.token is None:
            return
        expected = f"Bearer {config.token}"
        if authorization is None or not hmac.compare_digest(authorization.encode(), expected.encode()):
            raise HTTPException(401, "this endpoint needs the server's token: Authorization: Bearer TOKEN",
                                headers={"WWW-Authenticate": "Bearer"})

    def listing(video_id: int):
        entries = engine.store.get([video_id]) if engine.store.exists() else []
        if not entries:
            raise HTTPException(404, f"no video with id {video_id}")
        return entries[0]

    def urls(video_id: int) -> dict:
        return {"preview_url": f"/api/videos/{video_id}/preview", "file_url": f"/api/videos/{video_id}/file"}

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok", "count": engine.store.count() if engine.store.exists() else 0}

    @app.get("/api/stats")
    def stats() -> dict:
        if not engine.store.exists():
            return {"count": 0, "db": engine.store.location}
        return engine.info()

    @app.post("/api/search")
    def search(file: UploadFile = File(...), k: int = Form(10)) -> dict:
        if not 1 <= k <= 100:
            raise HTTPException(422, "k must be between 1 and 100")
        if not engine.store.exists() or engine.store.count() == 0:
            raise HTTPException(409, "the library is empty: index some videos first")
        with received(file, config.max_upload_bytes) as path:
            try:
                result = engine.search(path, k=k)
            except VideoDecodeError as e:
                raise _decode_error(e) from None
        body = result.to_json()
        body["query"] = file.filename or "upload"
        body["results"] = [{**r, **urls(r["id"])} for r in body["results"]]
        body["seconds"] = round(result.seconds, 3)
        return body

    @app.get("/api/videos/{video_id}")
    def video(video_id: int) -> dict:
        entry = listing(video_id)
        return {"id": entry.id, "path": entry.path, "label": entry.label, "tags": entry.tags, **urls(entry.id)}

    @app.get("/api/videos/{video_id}/preview")
    def preview(video_id: int) -> FileResponse:
        entry = listing(video_id)
        try:
            path = previews.get(entry.id, entry.path, entry.fingerprint)
        except VideoDecodeError as e:
            raise HTTPException(410, f"the indexed file can no longer be read ({e.reason})") from None
        return FileResponse(path, media_type="image/webp", headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/api/videos/{video_id}/file")
    def original(video_id: int) -> FileResponse:
        entry = listing(video_id)  # only files the index holds, looked up by id: no path ever comes from the URL
        if not Path(entry.path).is_file():
            raise HTTPException(410, "the indexed file is gone")
        return FileResponse(entry.path, filename=Path(entry.path).name)

    @app.post("/api/videos", status_code=201, dependencies=[Depends(require_token)])
    def add_video(file: UploadFile = File(...), label: str = Form("")) -> dict:
        with received(file, config.max_upload_bytes, config.uploads) as temporary:
            target = config.uploads / f"{uuid.uuid4().hex}{temporary.suffix}"
            temporary.replace(target)  # keep it: the index points at it
        item = SourceItem(stable_id(f"upload:{target.name}"), target, label.strip()[:200])
        report = engine.index([item])
        if report.failed:
            target.unlink(missing_ok=True)
            failure = report.failed[0]
            status = 415 if failure.reason in NOT_A_VIDEO else 422
            raise HTTPException(status, f"not indexed: {failure.message.split(': ', 1)[-1]}")
        return video(item.id)

    @app.delete("/api/videos/{video_id}", dependencies=[Depends(require_token)])
    def delete_video(video_id: int) -> dict:
        entry = listing(video_id)
        engine.remove([video_id])
        if Path(entry.path).parent == config.uploads.resolve():
            Path(entry.path).unlink(missing_ok=True)  # uploaded through the API: the server owns the file
        return {"deleted": video_id}

    @app.exception_handler(StoreError)
    def store_error(_, e: StoreError):
        from fastapi.responses import JSONResponse

        return JSONResponse({"detail": str(e)}, status_code=503)

    app.mount("/", StaticFiles(directory=STATIC, html=True), name="page")
    return app
