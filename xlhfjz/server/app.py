"""The ASGI app (server.md, "Endpoints"): FastAPI routes over :mod:`xlhfjz.server.store`.

CPU work (buttons, reading and scoring uploads, the dashboard) runs in a process pool
(:mod:`xlhfjz.server.work`), one worker per core; the event loop only moves bytes, checks tokens
and writes the store (in threads). Refusals are ``{"error": "<Chinese>"}`` with the status codes
of server.md; an unexpected failure is a 500 with a Chinese sentence, never a traceback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import multiprocessing
import os
import urllib.parse
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xlhfjz import __version__
from xlhfjz.server import work
from xlhfjz.server.auth import Principal, RateLimiter, authenticate
from xlhfjz.server.store import WORKBOOK_SUFFIXES, DataFolder, safe_name
from xlhfjz.xlsx.guard import LIMITS

__all__ = ["PAYLOAD_LIMIT", "ApiError", "create_app"]

log = logging.getLogger("xlhfjz.server")

#: The largest button payload accepted (JSON is several times larger than the .xlsx).
PAYLOAD_LIMIT = 64 << 20
#: The largest multipart body: the reader's file limit plus room for the form around it.
UPLOAD_LIMIT = LIMITS["max_file_bytes"] + (1 << 20)

_NO_TOKEN = "缺少令牌或令牌无效（可能已被吊销）：请向街道处非办索取令牌"
#: The pages' session cookie: the token itself, HttpOnly and SameSite=Strict (server.md).
COOKIE = "xlhfjz_token"
STATIC = Path(__file__).with_name("static")
#: Everything a page loads comes from this server (the office network has no internet).
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_MEDIA = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
}
_BUSY = "服务器正忙，请稍后再试"


class ApiError(Exception):
    """A refusal: status code and Chinese sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Pure ASGI middleware: refuse a body over the limit, by its Content-Length at once, and by
    counting what arrives otherwise (chunked)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for key, value in scope.get("headers", ()):
            if key == b"content-length" and value.isdigit() and int(value) > limit:
                await _too_large(scope, receive, send, limit)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        await self.app(scope, counted, send)


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    text = f"上传内容过大，超过允许的上限 {limit // (1 << 20)} MB"
    await JSONResponse({"error": text}, 413)(scope, receive, send)


class Audit:
    """Pure ASGI middleware: one audit row per request (except ``/healthz``), written after the
    answer has been sent: who (the token's holder, never the token), what, status, from where."""

    def __init__(self, app: ASGIApp, folder: DataFolder) -> None:
        self.app = app
        self.folder = folder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/healthz":
            await self.app(scope, receive, send)
            return
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            state = scope.get("state") or {}
            client = scope.get("client")
            action = f"{scope['method']} {scope['path']}"[:100]
            try:
                await run_in_threadpool(
                    self.folder.audit, state.get("actor", "-"), action, status,
                    client[0] if client else None, state.get("detail"),
                )  # fmt: skip
            except Exception as exc:  # the audit must not turn an answer into an error
                log.error("audit failed: %s", type(exc).__name__)


def _limit_for(path: str) -> int:
    return PAYLOAD_LIMIT if path.startswith("/xlwings/") else UPLOAD_LIMIT


class _State:
    def __init__(self, folder: DataFolder, workers: int, max_pending: int) -> None:
        self.folder = folder
        self.workers = workers
        self.max_pending = max_pending
        self.pending = 0
        self.pool: ProcessPoolExecutor | None = None
        self.dashboard: tuple[Any, dict[str, Any]] | None = None
        self.board: tuple[Any, dict[str, Any]] | None = None

    def start(self) -> None:
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=work.init_worker,
            initargs=(os.getpid(),),
        )

    async def run(self, func: Callable[..., Any], *args: Any) -> Any:
        """Run ``func(*args)`` in a worker; 503 when too many are waiting or the pool broke."""
        if self.pending >= self.max_pending:
            raise ApiError(503, _BUSY)
        self.pending += 1
        try:
            assert self.pool is not None
            return await asyncio.wrap_future(self.pool.submit(func, *args))
        except BrokenProcessPool:
            log.error("worker pool broke; restarting it")
            self.start()
            raise ApiError(503, _BUSY) from None
        except Exception as exc:  # a bug or an input nobody foresaw: a Chinese 500, no traceback
            log.error("worker failed: %s in %s", type(exc).__name__, getattr(func, "__name__", ""))
            raise ApiError(500, "服务器处理该工作簿时出错，请稍后再试或联系街道处非办") from None
        finally:
            self.pending -= 1

    def office(self) -> str | None:
        path = self.folder.office_path()
        return None if path is None else str(path)


def create_app(
    folder: DataFolder,
    *,
    rate_per_minute: int = 120,
    workers: int | None = None,
    max_pending: int = 64,
) -> FastAPI:
    """The app over a laid-out data folder."""
    state = _State(folder, workers or max(os.cpu_count() or 1, 1), max_pending)
    limiter = RateLimiter(rate_per_minute, burst=max(rate_per_minute // 2, 1))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.start()
        assert state.pool is not None
        warm = [state.pool.submit(os.getpid) for _ in range(state.workers)]
        await asyncio.gather(*(asyncio.wrap_future(f) for f in warm))
        try:
            yield
        finally:
            if state.pool is not None:
                state.pool.shutdown(wait=True, cancel_futures=True)

    app = FastAPI(title="xlhfjz", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)  # fmt: skip
    app.add_middleware(BodyLimit, limit_for=_limit_for)
    app.add_middleware(Audit, folder=folder)

    # ── errors ──────────────────────────────────────────────────────────────────────────────

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        request.state.detail = exc.message[:60]
        return JSONResponse({"error": exc.message}, exc.status)

    @app.exception_handler(_BodyTooLarge)
    async def _body_too_large(request: Request, exc: _BodyTooLarge) -> JSONResponse:
        limit = _limit_for(request.url.path) // (1 << 20)
        return JSONResponse({"error": f"上传内容过大，超过允许的上限 {limit} MB"}, 413)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        text = {404: "找不到该地址", 405: "不支持该请求方法"}.get(exc.status_code, "请求有误")
        return JSONResponse({"error": text}, exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected %s in %s", type(exc).__name__, request.url.path)
        return JSONResponse({"error": "服务器内部错误，请稍后再试或联系街道处非办"}, 500)

    # ── who ─────────────────────────────────────────────────────────────────────────────────

    def credentials(request: Request) -> str | None:
        """The ``Authorization`` header, or the pages' session cookie as one."""
        header = request.headers.get("authorization")
        if header:
            return header
        cookie = request.cookies.get(COOKIE)
        return f"Bearer {cookie}" if cookie else None

    async def who(request: Request) -> Principal:
        principal = await run_in_threadpool(authenticate, folder, credentials(request))
        if principal is None:
            raise ApiError(401, _NO_TOKEN)
        request.state.actor = principal.label
        if not limiter.allow(principal.token_id):
            raise ApiError(429, "请求过于频繁，请稍等一分钟再试")
        return principal

    def office_only(principal: Principal) -> None:
        if not principal.is_office:
            raise ApiError(403, "只有街道处非办的令牌可以查看")

    def community_only(principal: Principal) -> str:
        if principal.is_office or not principal.community_code:
            raise ApiError(403, "报送需使用社区的令牌（街道令牌不能代社区报送）")
        return principal.community_code

    def own(principal: Principal, code: str | None) -> None:
        if principal.is_office or code == principal.community_code:
            return
        if not code:
            raise ApiError(403, "工作簿“基本信息”中没有填写社区代码，不能用本社区的令牌处理")
        raise ApiError(
            403,
            f"这是社区代码 {code} 的工作簿，本令牌只能处理本社区"
            f"（{principal.community_code}）的工作簿",
        )

    # ── anyone ──────────────────────────────────────────────────────────────────────────────

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"ok": True, "version": __version__}

    # ── the pages (server.md "The pages") ───────────────────────────────────────────────────

    def page(name: str) -> FileResponse:
        return FileResponse(STATIC / name, media_type="text/html; charset=utf-8",
                            headers=_PAGE_HEADERS)  # fmt: skip

    @app.get("/")
    async def community_page() -> FileResponse:
        return page("community.html")

    @app.get("/office")
    async def office_page() -> FileResponse:
        return page("office.html")

    @app.get("/static/{name}")
    async def static(name: str) -> FileResponse:
        path = STATIC / name
        if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
            raise ApiError(404, "找不到该地址")
        media = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
        return FileResponse(path, media_type=media.get(path.suffix, "text/plain; charset=utf-8"),
                            headers={"X-Content-Type-Options": "nosniff",
                                     "Cache-Control": "no-cache"})  # fmt: skip

    async def session_doc(principal: Principal) -> dict[str, Any]:
        name = None
        if not principal.is_office:
            name = await state.run(work.community_name, state.office(), principal.community_code)
        from xlhfjz.model.rubric import GATES, ITEMS, VETOES
        from xlhfjz.model.schema import SHEETS

        rubric = {"items": [list(i) for i in ITEMS], "gates": GATES, "vetoes": VETOES,
                  "sheets": [s.name for s in SHEETS]}  # fmt: skip
        return {"role": principal.role, "community_code": principal.community_code,
                "community_name": name, "rubric": rubric}  # fmt: skip

    @app.get("/api/session")
    async def get_session(request: Request) -> dict[str, Any]:
        """Who the page's cookie (or header) is: role, community code and name."""
        return await session_doc(await who(request))

    @app.post("/api/session")
    async def open_session(request: Request) -> JSONResponse:
        """The token form: ``{"token": …}`` → the session cookie (HttpOnly, SameSite=Strict)."""
        try:
            body = await request.json()
            token = str(body.get("token", "")).strip()
        except Exception:
            token = ""
        principal = await run_in_threadpool(authenticate, folder, f"Bearer {token}")
        if not token or principal is None:
            raise ApiError(401, "令牌不正确或已被吊销，请核对后重新输入（向街道处非办索取）")
        request.state.actor = principal.label
        if not limiter.allow(principal.token_id):
            raise ApiError(429, "请求过于频繁，请稍等一分钟再试")
        response = JSONResponse(await session_doc(principal))
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")  # fmt: skip
        return response

    @app.delete("/api/session")
    async def close_session() -> JSONResponse:
        response = JSONResponse({"ok": True})
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    # ── the buttons ─────────────────────────────────────────────────────────────────────────

    async def body_of(request: Request) -> bytes:
        return await request.body()

    @app.post("/xlwings/{kind}")
    async def button(kind: str, request: Request) -> Response:
        if kind not in (*work.BUTTONS, "submit"):
            raise ApiError(404, "找不到该地址")
        principal = await who(request)
        if kind == "submit":
            return await submit_button(request, principal)
        body = await body_of(request)
        community = None if principal.is_office else principal.community_code
        status, data = await state.run(work.run_button, kind, body, community)
        if status != 200:
            request.state.detail = f"refused {status}"
        return Response(data, status, media_type="application/json")

    async def submit_button(request: Request, principal: Principal) -> Response:
        code = community_only(principal)
        body = await body_of(request)
        target = folder.incoming_path(".xlsx")
        try:
            status, doc = await state.run(work.rebuild_payload, body, code, str(target))
            if status != 200:
                return JSONResponse(doc, status)
            status, checked = await state.run(
                work.check_file, str(target), target.name, state.office()
            )
            if status != 200:
                return JSONResponse(checked, status)
            sub = await store(request, target, checked, ".xlsx", "button")
        finally:
            target.unlink(missing_ok=True)
        text = (
            f"报送成功\n报送时间：{sub.received_at.replace('T', ' ')[:19]}\n"
            f"创建结果：{sub.result}，总分 {sub.total or 0:.1f} 分\n"
            f"台账校验：错误 {sub.errors} 个、提醒 {sub.warnings} 个"
        )
        if sub.errors:
            text += "\n（有错误的行不计分；改正后可再次报送，街道以最后一次报送为准）"
        return JSONResponse({"actions": [work.alert_action(text, "报送街道")]})

    async def store(
        request: Request, upload: Path, checked: dict[str, Any], suffix: str, source: str
    ) -> Any:
        sub = await run_in_threadpool(
            lambda: folder.store_submission(
                upload, community_code=checked["community_code"],
                community_name=checked["community_name"], suffix=suffix, source=source,
                errors=checked["errors"], warnings=checked["warnings"], total=checked["total"],
                result=checked["result"],
            )
        )  # fmt: skip
        request.state.detail = f"submission {sub.id}"
        return sub

    # ── files ───────────────────────────────────────────────────────────────────────────────

    async def receive_upload(request: Request) -> tuple[Path, str, str]:
        """The form's ``file`` saved (fsynced) into ``.incoming/``: (path, its name, suffix)."""
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise ApiError(422, "请以表单（multipart/form-data）的 file 字段上传台账文件")
        try:
            form = await request.form(max_files=1, max_fields=10)
        except _BodyTooLarge:
            raise
        except Exception:
            raise ApiError(422, "上传的表单无法读取，请重新选择文件上传") from None
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "请求中没有文件（表单字段 file）")
        name = safe_name(Path(upload.filename or "").name, "台账.xlsx")
        suffix = Path(name).suffix.lower()
        if suffix not in WORKBOOK_SUFFIXES:
            raise ApiError(
                415,
                f"“{name}”不是 Excel 工作簿（.xlsx 或 .xlsm）；如是 WPS 或旧版 Excel 文件，"
                "请另存为 .xlsx 后再上传",
            )
        target = folder.incoming_path(suffix)
        size = 0
        try:
            with open(target, "wb") as out:
                while chunk := await upload.read(1 << 20):
                    size += len(chunk)
                    if size > LIMITS["max_file_bytes"]:
                        raise ApiError(413, "文件过大，超过允许的上限 100 MB")
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        finally:
            await form.close()
        return target, name, suffix

    async def run_owned(principal: Principal, fn: Callable[..., Any], *args: Any) -> dict[str, Any]:
        """``fn(*args)`` in a worker: its refusal as the API's, and the file it read must be the
        caller's community's."""
        status, out = await state.run(fn, *args)
        if status != 200:
            raise ApiError(status, out["error"])
        own(principal, out["community_code"])
        return out

    async def checked_upload(
        request: Request, principal: Principal
    ) -> tuple[Path, str, dict[str, Any]]:
        path, name, suffix = await receive_upload(request)
        try:
            checked = await run_owned(principal, work.check_file, str(path), name, state.office())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path, suffix, checked

    async def checked_document(request: Request, kind: str) -> dict[str, Any]:
        """``validate --json`` / ``score --json`` of the uploaded file (its copy is not kept)."""
        path, _suffix, checked = await checked_upload(request, await who(request))
        path.unlink(missing_ok=True)
        return {"files": [checked[kind]]}

    @app.post("/api/validate")
    async def api_validate(request: Request) -> dict[str, Any]:
        return await checked_document(request, "validate")

    @app.post("/api/score")
    async def api_score(request: Request) -> dict[str, Any]:
        return await checked_document(request, "score")

    @app.post("/api/marked")
    async def api_marked(request: Request) -> FileResponse:
        """The uploaded workbook back, marked (:mod:`xlhfjz.server.marked`)."""
        principal = await who(request)
        path, name, suffix = await receive_upload(request)
        target = folder.incoming_path(suffix)
        try:
            await run_owned(principal, work.mark_file, str(path), suffix, str(target))
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        finally:
            path.unlink(missing_ok=True)
        out = f"{Path(name).stem}_已标注{suffix}"
        return FileResponse(
            target,
            media_type=_MEDIA[suffix],
            headers={"Content-Disposition": f"attachment; filename=\"marked{suffix}\"; "
                     f"filename*=UTF-8''{urllib.parse.quote(out)}"},
            background=BackgroundTask(lambda: target.unlink(missing_ok=True)),
        )  # fmt: skip

    @app.post("/api/submissions", status_code=201)
    async def api_submit(request: Request) -> JSONResponse:
        principal = await who(request)
        community_only(principal)
        path, suffix, checked = await checked_upload(request, principal)
        try:
            sub = await store(request, path, checked, suffix, "upload")
        finally:
            path.unlink(missing_ok=True)
        return JSONResponse(sub.to_json(), 201)

    @app.get("/api/submissions")
    async def api_submissions(request: Request) -> dict[str, Any]:
        principal = await who(request)
        code = None if principal.is_office else principal.community_code
        subs = await run_in_threadpool(folder.submissions, code)
        return {"submissions": [s.to_json() for s in subs]}

    # ── the office ──────────────────────────────────────────────────────────────────────────

    def ledger_key() -> Any:
        office = state.office()
        entries = []
        for p in sorted(folder.ledgers.iterdir()):
            st = p.stat()
            entries.append((p.name, st.st_size, st.st_mtime_ns))
        office_stat = os.stat(office) if office else None
        return (
            tuple(entries),
            office,
            office_stat and (office_stat.st_mtime_ns, office_stat.st_size),
        )

    @app.get("/api/dashboard")
    async def api_dashboard(request: Request) -> dict[str, Any]:
        office_only(await who(request))
        key = await run_in_threadpool(ledger_key)
        if state.dashboard is not None and state.dashboard[0] == key:
            return state.dashboard[1]
        doc = await state.run(work.dashboard, str(folder.ledgers), state.office())
        state.dashboard = (key, doc)
        return doc

    @app.get("/api/board")
    async def api_board(request: Request) -> dict[str, Any]:
        """The office page's data (:func:`work.board`), with each community's last submission."""
        office_only(await who(request))
        key = await run_in_threadpool(ledger_key)
        if state.board is None or state.board[0] != key:
            state.board = (key, await state.run(work.board, str(folder.ledgers), state.office()))
        doc = dict(state.board[1])
        last: dict[str, str] = {}
        for sub in await run_in_threadpool(folder.submissions):
            last.setdefault(sub.community_code, sub.received_at)
        doc["last_submitted"] = last
        doc["version"] = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        return doc

    @app.get("/api/summary.xlsx")
    async def api_summary(request: Request) -> FileResponse:
        office_only(await who(request))
        target = folder.incoming_path(".xlsx")
        status, doc = await state.run(work.summary, str(folder.ledgers), state.office(),
                                      str(target))  # fmt: skip
        if status != 200:
            target.unlink(missing_ok=True)
            raise ApiError(status, doc["error"])
        name = f"汇总_{dt.date.today().isoformat()}.xlsx"
        quoted = urllib.parse.quote(name)
        return FileResponse(
            target,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f"attachment; filename=\"summary.xlsx\"; "
                     f"filename*=UTF-8''{quoted}"},
            background=BackgroundTask(lambda: target.unlink(missing_ok=True)),
        )  # fmt: skip

    return app
