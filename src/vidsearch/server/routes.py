"""The HTTP API. Routes parse and format; the engine (reached through `engine_of`) does the work.

Upload routes declare no body parameters: their guards (token, same origin, `k`) run on the headers and the
query before a byte of the body is read, and the body is then streamed under the size limit (`uploads.py`).
"""

from __future__ import annotations

import functools
import mimetypes
import uuid
from pathlib import Path as FilePath

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Match
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable

from ..retrieval.actions import UnknownActionError
from ..engine import VideoSearch
from ..store import VideoFilter
from ..retrieval.duplicates import DEFAULT_MIN_OVERLAP, MAX_RATIO, PROPOSAL_RATIO, DuplicateReport
from ..duplicates_html import render
from ..retrieval.search import MAX_PER_VIDEO, check_per_video
from ..sources import MAX_ID, VIDEO_EXTENSIONS, SourceItem, stable_id
from ..video import VideoDecodeError
from .config import ServerConfig
from .previews import PreviewCache
from .security import check_same_origin, check_token
from .uploads import MAX_FIELD_BYTES, received

VideoId = Path(ge=0, le=MAX_ID, description="a video id from a search result")
NOT_A_VIDEO = {"not_video", "no_video_stream", "empty"}  # 415; other decode failures are 422
SANDBOXED = {"Content-Security-Policy": "sandbox", "Cache-Control": "public, max-age=3600"}
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"}, "k": {"type": "integer", "default": 10},
                   "label": {"type": "string"}}}}}}}
FLAG_VALUES = {"true": True, "1": True, "on": True, "yes": True, "false": False, "0": False, "off": False,
               "no": False, "": False}
FILTER_FIELDS = {"label": str, "tag": str, "min_duration": float, "max_duration": float, "path_prefix": str}
SEARCH_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"}, "k": {"type": "integer", "default": 10},
                   "per_video": {"type": "integer", "default": 3},
                   "copies_only": {"type": "boolean", "default": False,
                                   "description": "only the videos the upload is a copy of"},
                   **{name: {"type": "number" if kind is float else "string",
                             "description": "filter: only videos where this holds (empty: no condition)"}
                      for name, kind in FILTER_FIELDS.items()}}}}}}}

SEARCH_FIELDS = {"k", "per_video", "copies_only", *FILTER_FIELDS}


def filter_query():
    """A filter as a query parameter (each parameter its own Query: FastAPI names a shared one once)."""
    return Query("", max_length=MAX_FIELD_BYTES, description="filter: only videos where this holds (empty: no condition)")


router = APIRouter()


def readable(path: str, **options):
    """GET, and HEAD beside it (out of the OpenAPI schema): monitors and download managers ask HEAD first."""

    def register(endpoint):
        router.head(path, include_in_schema=False, **options)(endpoint)
        return router.get(path, **options)(endpoint)

    return register


def engine_of(request: Request) -> VideoSearch:
    return request.app.state.engine


def config_of(request: Request) -> ServerConfig:
    return request.app.state.config


def writer(request: Request, config: ServerConfig = Depends(config_of)) -> None:
    """Guards every write: same origin, then the token. Headers only: nothing of the body is read yet."""
    check_same_origin(request)
    check_token(request, config.token)


def parse_k(value: str | int, max_k: int) -> int:
    try:
        k = int(value)
    except (TypeError, ValueError):
        raise HTTPException(422, f"k must be an integer from 1 to {max_k}, not {str(value)[:20]!r}") from None
    if not 1 <= k <= max_k:
        raise HTTPException(422, f"k must be an integer from 1 to {max_k}, not {k}")
    return k


def parse_filter(fields: dict[str, str]) -> VideoFilter | None:
    """The filter fields of a search (form fields, or query parameters); empty ones set no condition."""
    values = {}
    for name, kind in FILTER_FIELDS.items():
        text = (fields.get(name) or "").strip()
        if not text:
            continue
        try:
            values[name] = kind(text)
        except ValueError:
            raise HTTPException(422, f"{name} must be a number of seconds, not {text[:20]!r}") from None
    try:
        return VideoFilter(**values) or None
    except ValueError as e:
        raise HTTPException(422, str(e)) from None


def check_search_field(name: str, value: str, max_k: int) -> None:
    """Refuses a bad form field as soon as it arrives (before the video that may follow it is read)."""
    if name == "k":
        parse_k(value, max_k)
    elif name == "per_video":
        parse_per_video(value)
    elif name == "copies_only":
        parse_flag(name, value)
    elif name in FILTER_FIELDS:
        parse_filter({name: value})


def parse_flag(name: str, value: str) -> bool:
    text = str(value).strip().lower()
    if text not in FLAG_VALUES:
        raise HTTPException(422, f"{name} must be true or false, not {str(value)[:20]!r}")
    return FLAG_VALUES[text]


def parse_per_video(value: str | int) -> int:
    try:
        return check_per_video(int(value))
    except (TypeError, ValueError):
        raise HTTPException(422, f"per_video must be an integer from 1 to {MAX_PER_VIDEO}, "
                                 f"not {str(value)[:20]!r}") from None


def decode_failure(reason: str, cause: str) -> HTTPException:
    if reason in NOT_A_VIDEO:
        return HTTPException(415, f"not a video we can read ({reason}: {cause})")
    return HTTPException(422, f"the video cannot be used ({reason}: {cause})")


def scrubbed(error: VideoDecodeError) -> str:
    """The decoder's message without the server's own file names (temporary and upload paths)."""
    return error.cause.replace(error.path, "the upload").replace(FilePath(error.path).name, "the upload")


def entry_of(engine: VideoSearch, video_id: int):
    entry = engine.get(video_id)
    if entry is None:
        raise HTTPException(404, f"no video with id {video_id}")
    return entry


def file_response(request: Request, path: str, **options) -> FileResponse:
    """Starlette's FileResponse (ranges, HEAD), with a bad Range header answered in JSON like every API error."""
    http_range = request.headers.get("range")
    if http_range is not None:
        try:
            FileResponse._parse_range_header(http_range, FilePath(path).stat().st_size)
        except MalformedRangeHeader as e:
            raise HTTPException(400, f"malformed Range header ({e.content}): use bytes=START-END") from None
        except RangeNotSatisfiable as e:
            raise HTTPException(416, "the Range starts past the end of the file",
                                headers={"Content-Range": f"bytes */{e.max_size}"}) from None
    return FileResponse(path, **options)


def urls(video_id: int) -> dict:
    return {"preview_url": f"/api/videos/{video_id}/preview", "file_url": f"/api/videos/{video_id}/file"}


def describe(entry) -> dict:
    return {"id": entry.id, "path": entry.path, "label": entry.label, "tags": [t.to_json() for t in entry.tags], **urls(entry.id)}


@readable("/healthz")
def healthz(engine: VideoSearch = Depends(engine_of)) -> dict:
    return {"status": "ok", "count": engine.count()}


@readable("/api/stats")
def stats(engine: VideoSearch = Depends(engine_of)) -> dict:
    if not engine.count():
        return {"count": 0, "db": engine.location}
    return engine.info().to_json()


@router.post("/api/search", openapi_extra=SEARCH_BODY)
async def search(request: Request, k: int | None = Query(None, description="results (1 to the server's max_k, "
                                                                            "100 by default); or the form field k"),
                 engine: VideoSearch = Depends(engine_of), config: ServerConfig = Depends(config_of)) -> dict:
    """Upload a video (multipart field `file`; optional fields `k`, `per_video`, `copies_only` and the filters
    `label`, `tag`, `min_duration`, `max_duration`, `path_prefix`): the most similar videos of the library,
    each with `copy` (the upload is a copy of its footage)."""
    query = dict(request.query_params)  # every search field may come in the query string too
    unknown = sorted(set(query) - SEARCH_FIELDS)
    if unknown:
        raise HTTPException(422, f"unknown parameter {unknown[0][:40]!r}: a search takes {', '.join(sorted(SEARCH_FIELDS))}")
    for name, value in query.items():
        check_search_field(name, value, config.max_k)
    engine.require_videos()  # before the upload is read (409)
    check_field = functools.partial(check_search_field, max_k=config.max_k)
    async with received(request, config.max_upload_bytes, check_field=check_field) as upload:
        fields = {**query, **upload.fields}  # a form field wins over the same query parameter
        k = parse_k(fields.get("k", 10), config.max_k)
        per_video = parse_per_video(fields.get("per_video", 3))
        where = parse_filter(fields)
        copies_only = parse_flag("copies_only", fields.get("copies_only", ""))
        result = await run_in_threadpool(engine.search, upload.path, k, per_video, where, copies_only)
    body = result.to_json()
    body["query"] = upload.filename
    body["results"] = [{**r, **urls(r["id"])} for r in body["results"]]
    body["seconds"] = round(result.seconds, 3)
    return body


@readable("/api/actions")
def actions(q: str = Query(..., max_length=200, description="a Kinetics-400 class name, or part of one"),
            k: str = Query("10", description="results (1 to the server's max_k, 100 by default)"),
            label: str = filter_query(), tag: str = filter_query(),
            min_duration: str = filter_query(), max_duration: str = filter_query(),
            path_prefix: str = filter_query(), engine: VideoSearch = Depends(engine_of),
            config: ServerConfig = Depends(config_of)) -> dict:
    """The videos most likely to show an action (`q`), best first, with the classes closest to `q` when it is
    not an exact class name; the same filters as search, as query parameters."""
    k = parse_k(k, config.max_k)
    where = parse_filter({"label": label, "tag": tag, "min_duration": min_duration, "max_duration": max_duration,
                          "path_prefix": path_prefix})
    if not q.strip():
        raise HTTPException(422, "q: give an action name, e.g. playing cricket")
    try:
        found = engine.find_action(q, k, where)
    except UnknownActionError as e:
        raise HTTPException(404, str(e)) from None
    body = found.to_json()
    body["results"] = [{**r.to_json(), "start": round(r.start, 3), "end": round(r.end, 3), **urls(r.id)}
                       for r in found.results]
    return body


@readable("/api/duplicates")
async def duplicates(threshold: float | None = Query(None, gt=0, le=MAX_RATIO, description="propose a match when a "
                                                    "segment's distance is under this multiple of the distance to its 5th "
                                                    f"nearest other video; the frames then decide (default {PROPOSAL_RATIO:g})"),
                     min_overlap: float = Query(DEFAULT_MIN_OVERLAP, ge=0, le=1e9, description="seconds two videos must share"),
                     engine: VideoSearch = Depends(engine_of)) -> dict:
    """Pairs of library videos that share footage (the matched intervals in both) and the groups of videos that
    copy one another. Searches every segment of the library: seconds on a small library, minutes on a large one."""
    report = await run_in_threadpool(engine.duplicates, threshold, min_overlap)
    members = sorted({v for group in report.groups for v in group})
    return {**report.to_json(), "videos": [describe(e) for e in engine.store.get(members, vectors=False)]}


@router.api_route("/duplicates", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
async def duplicates_page(threshold: float | None = Query(None, gt=0, le=MAX_RATIO),
                          min_overlap: float = Query(DEFAULT_MIN_OVERLAP, ge=0, le=1e9),
                          engine: VideoSearch = Depends(engine_of)) -> HTMLResponse:
    """The duplicates report as a page (the same as `vidsearch duplicates --html`)."""
    if not engine.count():
        return HTMLResponse(render(DuplicateReport(threshold or PROPOSAL_RATIO, min_overlap), {}))
    report = await run_in_threadpool(engine.duplicates, threshold, min_overlap)
    return HTMLResponse(await run_in_threadpool(render, report))


@readable("/api/actions/names")
def action_names(engine: VideoSearch = Depends(engine_of)) -> dict:
    """Every class name find-action knows (the page's autocompletion)."""
    return {"actions": list(engine.action_names())}


@readable("/api/videos/{video_id}")
def video(video_id: int = VideoId, engine: VideoSearch = Depends(engine_of)) -> dict:
    return describe(entry_of(engine, video_id))


@readable("/api/videos/{video_id}/preview", response_class=FileResponse)
def preview(request: Request, video_id: int = VideoId, engine: VideoSearch = Depends(engine_of)):
    entry = entry_of(engine, video_id)
    previews: PreviewCache = request.app.state.previews
    try:
        path = previews.get(entry.id, entry.path, entry.fingerprint)
    except VideoDecodeError as e:
        raise HTTPException(410, f"the indexed file can no longer be read ({e.reason})") from None
    return file_response(request, path, media_type="image/webp", headers=SANDBOXED)


@readable("/api/videos/{video_id}/file", response_class=FileResponse)
def original(request: Request, video_id: int = VideoId, engine: VideoSearch = Depends(engine_of)):
    """The indexed file, looked up by id (no path ever comes from the URL), with range requests."""
    entry = entry_of(engine, video_id)
    if not FilePath(entry.path).is_file():
        raise HTTPException(410, "the indexed file is gone")
    media_type = mimetypes.guess_type(entry.path)[0] or ""
    if not media_type.startswith(("video/", "image/gif")):
        media_type = "application/octet-stream"  # never served as something a browser would run
    return file_response(request, entry.path, media_type=media_type, headers={"Content-Security-Policy": "sandbox"},
                        filename=FilePath(entry.path).name, content_disposition_type="inline")


@router.post("/api/videos", status_code=201, dependencies=[Depends(writer)], openapi_extra=UPLOAD_BODY)
async def add_video(request: Request, engine: VideoSearch = Depends(engine_of),
                    config: ServerConfig = Depends(config_of)) -> dict:
    """Upload and index a video (multipart field `file`, optional field `label`). Needs the token when set."""
    config.uploads.mkdir(parents=True, exist_ok=True)
    async with received(request, config.max_upload_bytes, config.uploads) as upload:
        suffix = FilePath(upload.filename).suffix.lower()
        target = config.uploads / f"{uuid.uuid4().hex}{suffix if suffix in VIDEO_EXTENSIONS else '.video'}"
        upload.path.replace(target)  # kept: the index points at it
    label = "".join(c for c in upload.fields.get("label", "") if c.isprintable()).strip()[:200]
    item = SourceItem(stable_id(f"upload:{target.name}"), target, label)
    report = await run_in_threadpool(engine.index, [item])
    if report.failed:
        target.unlink(missing_ok=True)
        failure = report.failed[0]
        cause = failure.message.replace(str(target), upload.filename).replace(str(target.resolve()), upload.filename)
        raise decode_failure(failure.reason or failure.error, f"not indexed: {cause}")
    return describe(entry_of(engine, item.id))


@router.delete("/api/videos/{video_id}", dependencies=[Depends(writer)])
def delete_video(video_id: int = VideoId, engine: VideoSearch = Depends(engine_of),
                 config: ServerConfig = Depends(config_of)) -> dict:
    entry = entry_of(engine, video_id)
    engine.remove([video_id])
    if FilePath(entry.path).parent == config.uploads.resolve():
        FilePath(entry.path).unlink(missing_ok=True)  # uploaded through the API: the server owns the file
    return {"deleted": video_id}


def allowed_methods(request: Request) -> list[str]:
    """The methods the routes at this request's path answer (none: there is no such endpoint)."""
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        for route in router.routes:  # this module's routes, in the order they are tried
            match, child = route.matches(scope)
            if match == Match.FULL:
                if child.get("endpoint") not in (no_such_endpoint, None):
                    allowed.append(method)
                break
    return allowed


@router.api_route("/api/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                  include_in_schema=False)
def no_such_endpoint(request: Request, rest: str) -> Response:
    """What no route took: OPTIONS says what the path allows, a wrong method is 405 with `Allow`, an unknown
    path 404 (in JSON like the rest of the API; the page's static files own the paths outside /api)."""
    methods = allowed_methods(request)
    if methods and request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": ", ".join([*methods, "OPTIONS"])})
    if methods:
        raise HTTPException(405, f"{request.method} is not allowed here: use {' or '.join(methods)}",
                            headers={"Allow": ", ".join([*methods, "OPTIONS"])})
    raise HTTPException(404, f"no such endpoint: /api/{rest}" if len(rest) < 200 else "no such endpoint")
