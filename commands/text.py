"""`bridge deadline` and `bridge parse`: the pure rules (deadlines, parsing) on text typed in.

Each subcommand is a pair: ``add_<name>(subparsers)`` and ``run_<name>(args) -> int``.
"""

from __future__ import annotations

import argparse
import sys

from commands import UsageError

# --- bridge deadline -----------------------------------------------------------------------


def add_deadline(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "deadline",
        help="compute a deadline and explain it (rules of docs/domain.md §6)",
        description="Times without an offset are local (Asia/Ho_Chi_Minh).",
    )
    p.add_argument("--received", required=True, help="receipt time, e.g. 2024-02-07T09:15")
    p.add_argument("--days", type=int, help="default period in working days (default 5)")
    p.add_argument("--explicit", help="structured deadline: 2024-02-20 or 2024-02-20T16:30")
    p.add_argument(
        "--text", action="append",
        help="directive or document text (abstract, body) that may state a deadline; repeat it "
        "for several texts: every deadline they state is read and the earliest wins",
    )  # fmt: skip
    p.add_argument("--doc-date", help="document date, gives the year of dates without one")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_deadline)


def run_deadline(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from pipelines import deadlines, due

    try:
        received = deadlines.parse_local_instant(args.received)
        explicit = deadlines.parse_date_or_instant(args.explicit) if args.explicit else None
        doc_date = deadlines.parse_local_date(args.doc_date) if args.doc_date else None
        policy = due.active_policy()  # the settings' [deadline_policy]
        if args.days is not None:
            policy = dataclasses.replace(policy, default_working_days=args.days)
        result = deadlines.compute_deadline(
            received, explicit=explicit, text=args.text, doc_date=doc_date, policy=policy
        )
    except ValueError as exc:  # bad dates, and CalendarRangeError for a year not loaded
        raise UsageError(str(exc)) from exc
    if args.json:
        print(json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.render_text())
    return 0


# --- bridge parse --------------------------------------------------------------------------

_PARSE_LABELS = {
    "number": "Số",
    "notation": "Ký hiệu",
    "type_code": "Loại (viết tắt)",
    "type_name": "Loại văn bản",
    "issuer": "Cơ quan ban hành",
    "year": "Năm",
    "date": "Ngày ban hành",
    "place": "Địa danh",
    "urgency": "Độ khẩn",
    "secrecy": "Độ mật",
    "signer_competence": "Thẩm quyền ký",
    "signer_position": "Chức vụ người ký",
    "deadline": "Hạn",
    "deadline_phrase": "Cụm từ nêu hạn",
    "recurring": "Lịch định kỳ",
    "citations": "Văn bản được dẫn",
}


def add_parse(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parse", help="read number, notation, type, dates and marks from text")
    p.add_argument("text", nargs="?", help="the text (default: --file, else standard input)")
    p.add_argument("--file", help="read the text from this UTF-8 file")
    p.add_argument("--doc-date", help="the document's date, for dates written without a year")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_parse)


def run_parse(args: argparse.Namespace) -> int:
    import json
    from datetime import date
    from pathlib import Path

    from pipelines.parsing import parse_text

    if args.text is not None:
        text = args.text
    else:
        try:
            raw = Path(args.file).read_bytes() if args.file else sys.stdin.buffer.read()
            text = raw.decode("utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"the input is not UTF-8 (byte {exc.start}); convert it first, e.g. iconv"
            ) from None
    try:
        doc_date = date.fromisoformat(args.doc_date) if args.doc_date else None
    except ValueError:
        raise UsageError(f"--doc-date {args.doc_date!r} is not YYYY-MM-DD") from None
    found = parse_text(text, doc_date=doc_date)
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
    else:
        for key, value in found.items():
            if key == "citations":  # "Nghị định 45/2024/NĐ-CP ngày 2024-10-04; ..."
                value = "; ".join(
                    " ".join(
                        part
                        for part in (
                            c.get("type_name", ""),
                            c["code"],
                            f"ngày {c['date']}" if "date" in c else "",
                        )
                        if part
                    )
                    for c in value
                )
            print(f"{_PARSE_LABELS.get(key, key)}: {value}")
        if not found:
            print("Không nhận ra thông tin nào.")
    return 0
