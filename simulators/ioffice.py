"""The simulated VNPT iOffice: REST/JSON under /qlvb/api, Vietnamese camelCase fields.

Contract (docs/simulators.md has the full version): `POST /qlvb/api/login` returns a token for
the `X-Authentication-Token` header; every answer is `{"status": {"code", "message"}, "data"}`
with code "0" for success; timestamps are local Asia/Ho_Chi_Minh time written without an
offset ("2024-02-07 09:15:00"), as iOffice installations do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulators.auth import TokenStore
from simulators.cursor import BadListingRequest, page_size, start_position
from simulators.faults import FaultPlan, Injection, garbled_answer
from simulators.listing import list_changes
from simulators.state import SimState
from simulators.timeutil import LOCAL_TZ
from simulators.world import DIRECTIVE_ID_BASE, INCOMING_ID_BASE, OUTGOING_ID_BASE


def local_text(epoch: int | None) -> str | None:
    """iOffice writes local time without an offset."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def envelope(data, code: str = "0", message: str = "Thành công", status: int = 200) -> Response:
    return JSONResponse({"status": {"code": code, "message": message}, "data": data}, status)


def unit(u) -> dict:
    return {"id": u.ioffice_id, "ten": u.name}


def incoming_json(doc: dict) -> dict:
    return {
        "id": doc["id"],
        "soKyHieu": doc["number_notation"],
        "loaiVanBan": doc["doc_type"],
        "trichYeu": doc["abstract"],
        "ngayBanHanh": doc["promulgated_on"],
        "noiBanHanh": doc["place"],
        "coQuanBanHanh": doc["issuer_name"],
        "maDinhDanh": doc["organ_id"],
        "nguoiKy": doc["signer"],
        "chucVuNguoiKy": doc["signer_position"],
        "thamQuyenKy": doc["competence"] or None,
        "ngayDen": local_text(doc["received_at"]),
        "soDen": doc["incoming_number"],
        "doKhan": doc["urgency"],
        "doMat": doc["secrecy"],
        "hanXuLy": doc["processing_deadline"],
        "donViXuLyChinh": unit(doc["main_unit"]),
        "donViPhoiHop": [unit(u) for u in doc["coordinating_units"]],
        "ngayCapNhat": local_text(doc["changed_at"]),
    }


def directive_json(d: dict) -> dict:
    return {
        "id": d["id"],
        "vanBanDenId": d["document_id"],
        "soKyHieuVanBan": d["document_number_notation"],
        "tieuDe": d["title"],
        "noiDung": d["content"],
        "ngayTao": local_text(d["created_at"]),
        "nguoiTao": d["author"],
        "xuLyChinh": unit(d["main_unit"]),
        "phoiHopXuLy": [unit(u) for u in d["coordinating_units"]],
        "deBiet": [unit(u) for u in d["informed_units"]],
        "doMat": d["secrecy"],
        "ngayCapNhat": local_text(d["changed_at"]),
    }


def outgoing_json(o: dict) -> dict:
    return {
        "id": o["id"],
        "soKyHieu": o["number_notation"],
        "loaiVanBan": o["doc_type"],
        "trichYeu": o["abstract"],
        "ngayBanHanh": o["issued_on"],
        "thoiGianBanHanh": local_text(o["issued_at"]),
        "maDinhDanh": o["organ_id"],
        "nguoiKy": o["signer"],
        "chucVuNguoiKy": o["signer_position"],
        "thamQuyenKy": o["competence"] or None,
        "donViSoanThao": unit(o["drafting_unit"]),
        "vanBanDenId": o["replies_to_id"],
        "soKyHieuVanBanDen": o["replies_to_number_notation"],
        "doMat": o["secrecy"],
        "ngayCapNhat": local_text(o["changed_at"]),
    }


def corrupt(record: dict) -> None:
    """A malformed record as real exports produce them: a missing key or an impossible date."""
    if record["id"] % 2:
        record.pop("soKyHieu", None) or record.pop("tieuDe", None)
    else:
        record["ngayBanHanh" if "ngayBanHanh" in record else "ngayTao"] = "31/02/2024 25:61"


def hostile_page(data: dict, injection: Injection, plan: FaultPlan) -> Response:
    """The page with a hostile record in its middle: each injected field's raw JSON text is
    spliced into the body as sent (so NUL escapes, lone surrogates, 20-digit numbers and deep
    nesting reach the client exactly as a broken upstream would send them)."""
    fragments: dict[str, str] = {}

    def placeholder(text: str) -> str:
        name = f"@@hostile-{len(fragments)}@@"
        fragments[json.dumps(name)] = text
        return name

    items = data["items"]
    if items and injection.fields:
        target = items[len(items) // 2]
        original_id = target["id"]
        for name, fragment in injection.fields.items():
            target[name] = placeholder(fragment)
        plan.injected.append((injection.stream, str(original_id)))
    if injection.marker is not None:
        data["marker"] = placeholder(injection.marker)
    body = json.dumps({"status": {"code": "0", "message": "Thành công"}, "data": data},
                      ensure_ascii=False)  # fmt: skip
    for quoted, fragment in fragments.items():
        body = body.replace(quoted, fragment)
    return Response(body.encode("utf-8"), 200, media_type="application/json")


# stream name, id base, how the state fetches one record, how it is written in JSON
STREAMS: dict[str, tuple[str, int, str, Callable[[dict], dict]]] = {
    "van-ban-den": ("incoming", INCOMING_ID_BASE, "document", incoming_json),
    "van-ban-di": ("outgoing", OUTGOING_ID_BASE, "outgoing", outgoing_json),
    "chi-dao": ("directives", DIRECTIVE_ID_BASE, "directive", directive_json),
}


def deeply_nested(data: dict, levels: int) -> Response:
    """The page with its first record carrying a field nested ``levels`` lists deep. Written as
    text: Python's json cannot encode (or decode) much beyond 1,000 levels."""
    placeholder = "@@deep@@"
    data["items"][0]["ghiChu"] = placeholder
    text = json.dumps({"status": {"code": "0", "message": "Thành công"}, "data": data},
                      ensure_ascii=False)  # fmt: skip
    text = text.replace(json.dumps(placeholder), "[" * levels + "1" + "]" * levels, 1)
    return Response(text.encode("utf-8"), 200, media_type="application/json")


def not_found() -> Response:
    return envelope(None, "NOT_FOUND", "Không tìm thấy tài nguyên", 404)


def build_app(
    state: SimState,
    plan: FaultPlan,
    tokens: TokenStore,
    credentials: tuple[str, str],
    extra_routes: list,
) -> Starlette:
    def authorised(request: Request) -> Response | None:
        problem = tokens.problem(request.headers.get("X-Authentication-Token"))
        if problem is None:
            return None
        messages = {
            "AUTH_REQUIRED": "Thiếu X-Authentication-Token",
            "AUTH_INVALID": "Token không hợp lệ",
            "AUTH_EXPIRED": "Token đã hết hạn, vui lòng đăng nhập lại",
        }
        return envelope(None, problem, messages[problem], 401)

    async def login(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return envelope(None, "BAD_REQUEST", "Body phải là JSON", 400)
        if (
            not isinstance(body, dict)
            or (body.get("username"), body.get("password")) != credentials
        ):
            return envelope(None, "AUTH_FAILED", "Sai tên đăng nhập hoặc mật khẩu", 401)
        return envelope({"token": tokens.issue(), "expiresIn": tokens.ttl, "tokenType": "session"})

    def changes(request: Request) -> Response:
        denied = authorised(request)
        if denied:
            return denied
        if request.path_params["stream"] not in STREAMS:
            return not_found()
        stream, _, getter, render = STREAMS[request.path_params["stream"]]
        query = request.query_params
        try:
            after = start_position(query.get("tuNgay"), query.get("cursor"))
            limit = page_size(query.get("limit"))
        except BadListingRequest as exc:
            return envelope(None, "BAD_REQUEST", str(exc), 400)
        page = list_changes(state, plan, stream, after, limit, getattr(state, getter), "ioffice")
        items = [render(r) for r in page.records]
        if page.malformed is not None:
            corrupt(items[page.malformed])
        marker = local_text(page.marker) if page.marker is not None else query.get("tuNgay")
        data = {"items": items, "nextCursor": page.next_cursor, "marker": marker}
        if items and plan.fire("deep_nesting"):
            return deeply_nested(data, int(plan.param("deep_nesting", "levels")))
        injection = plan.take_injection(stream)
        if injection is not None:
            return hostile_page(data, injection, plan)
        return envelope(data)

    def detail(request: Request) -> Response:
        denied = authorised(request)
        if denied:
            return denied
        if request.path_params["stream"] not in STREAMS:
            return not_found()
        _, base, getter, render = STREAMS[request.path_params["stream"]]
        index = request.path_params["id"] - base
        in_world = state.holds("ioffice", index)
        record = getattr(state, getter)(index, state.clock.now()) if in_world else None
        return envelope(render(record)) if record is not None else not_found()

    def activity(request: Request) -> Response:
        denied = authorised(request)
        if denied:
            return denied
        index = request.path_params["id"] - INCOMING_ID_BASE
        now = state.clock.now()
        doc = state.document(index, now) if state.holds("ioffice", index) else None
        if doc is None:
            return not_found()
        return envelope({"items": activity_log(state, doc, now)})

    async def set_deadline(request: Request) -> Response:
        denied = authorised(request)
        if denied:
            return denied
        try:
            body = await request.json()
            deadline, key = str(body["hanXuLy"]), str(body.get("idempotencyKey") or "")
        except (ValueError, KeyError, TypeError):
            return envelope(None, "BAD_REQUEST", "Cần {hanXuLy, idempotencyKey}", 400)
        index = request.path_params["id"] - INCOMING_ID_BASE
        result = state.set_processing_deadline("ioffice", index, deadline, key)
        if result["applied"] and plan.fire("lost_response"):
            return Response(b"upstream timed out", 504)
        garbled = garbled_answer(plan, "json") if result["applied"] else None
        if garbled:
            return Response(garbled[0], 200, media_type=garbled[1])
        data = {"hanXuLy": result["result"].get("deadline"), "replayed": result["replayed"]}
        if result["code"] != "OK":
            return envelope(data, result["code"], result["message"], result["status"])
        return envelope(data)

    routes = [
        Route("/qlvb/api/login", login, methods=["POST"]),
        Route("/qlvb/api/{stream:str}/thay-doi", changes, methods=["GET"]),
        Route("/qlvb/api/van-ban-den/{id:int}/nhat-ky", activity, methods=["GET"]),
        Route("/qlvb/api/van-ban-den/{id:int}/han-xu-ly", set_deadline, methods=["POST"]),
        Route("/qlvb/api/{stream:str}/{id:int}", detail, methods=["GET"]),
    ]
    return Starlette(routes=[*extra_routes, *routes])


def activity_log(state: SimState, doc: dict, now: int) -> list[dict]:
    """Nhật ký xử lý: what happened to the document, oldest first."""
    index = doc["index"]
    fate = state.world.fate(index)
    entries = [
        (fate.arrival, "TIEP_NHAN", "Văn thư", f"Vào sổ văn bản đến số {doc['incoming_number']}")
    ]
    if fate.directive_at is not None and fate.directive_at <= now:
        entries.append((fate.directive_at, "CHI_DAO", "Lãnh đạo Sở", "Cho ý kiến chỉ đạo"))
        entries.append(
            (
                fate.directive_at + 60,
                "PHAN_CONG",
                "Văn thư",
                f"Chuyển {doc['main_unit'].name} xử lý chính",
            )
        )
    if doc["deadline_set_by"] == "clerk":
        entries.append(
            (
                fate.clerk_deadline_at,
                "CAP_NHAT_HAN",
                "Văn thư",
                f"Đặt hạn xử lý {doc['processing_deadline']}",
            )
        )
    write = state.deadline_writes.get(index)
    if write is not None and write["applied_at"] <= now:
        entries.append(
            (
                write["applied_at"],
                "CAP_NHAT_HAN",
                "Tài khoản tích hợp",
                f"Đặt hạn xử lý {write['deadline']}",
            )
        )
    if fate.response_at is not None and fate.response_at <= now:
        answer = state.outgoing(index, now)
        assert answer is not None
        entries.append(
            (
                fate.response_at,
                "BAN_HANH_TRA_LOI",
                doc["main_unit"].name,
                f"Ban hành văn bản trả lời số {answer['number_notation']}",
            )
        )
    return [
        {"thoiGian": local_text(t), "hanhDong": action, "nguoiThucHien": who, "noiDung": text}
        for t, action, who, text in sorted(entries, key=lambda e: e[0])
    ]
