"""The command line (spec: cli.md): ``xlhfjz new | validate | score | office | merge | demo | serve | token``.

The commands parse their arguments and call the core; what they print is in
:mod:`xlhfjz.cli.render`, the demo street in :mod:`xlhfjz.cli.demo`.

Human output is Chinese; ``--json`` prints one JSON document on stdout and nothing else there.
Errors go to stderr as one Chinese line (``--debug`` shows the traceback).
Exit codes: 0 done and clean, 1 done with E-severity issues, 2 usage error / unreadable input /
output not writable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlhfjz import __version__
from xlhfjz.cli.outputs import OutputRefused, check_merge_outputs, check_new_file, xlsx_output

EXIT_OK, EXIT_ISSUES, EXIT_FAIL = 0, 1, 2


class UsageError(Exception):
    """A Chinese message for stderr; exit code 2."""


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help, with its own words in Chinese."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def error(self, message: str) -> None:  # type: ignore[override]
        for pattern, chinese in _ARGPARSE_ZH:
            message = re.sub(pattern, chinese, message)
        raise UsageError(f"命令用法有误：{message}（运行 xlhfjz -h 查看帮助）")


#: argparse's own error messages, in Chinese.
_ARGPARSE_ZH = (
    (r"^the following arguments are required: (.*)$", r"缺少必需的参数：\1"),
    (r"^unrecognized arguments: (.*)$", r"无法识别的参数：\1"),
    (
        r"^argument (\S+): invalid choice: (.*?) \(choose from (.*)\)$",
        r"\1 的取值 \2 无效（可选：\3）",
    ),
    (r"^argument (\S+): expected one argument$", r"\1 后面需要一个值"),
    (r"^argument (\S+): ", r"\1："),
)


def _date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 2020-06-01 的形式，现为“{text}”") from None


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"应为正整数，现为“{text}”")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="xlhfjz", description="创建“无非法集资社区（村居）”台账：生成模板、校验、评分、汇总"
    )
    p.add_argument(
        "--version", action="version", version=f"xlhfjz {__version__}", help="显示版本号"
    )
    p.add_argument("--debug", action="store_true", help="出错时显示详细的技术信息")
    sub = p.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)

    new = sub.add_parser("new", help="生成社区台账模板（已预填基本信息）")
    new.add_argument("--name", required=True, help="社区名称，如 华侨城社区")
    new.add_argument("--code", required=True, help="12位社区代码，如 370303009001")
    new.add_argument("--street", default="", help="所属街道，如 车站街道")
    new.add_argument("--start", type=_date_arg, help="创建开始日期，如 2020-06-01")
    new.add_argument("--end", type=_date_arg, help="创建截止日期，如 2020-12-31")
    new.add_argument("--households", type=_positive_int, help="辖区户数")
    new.add_argument("--grids", type=_positive_int, help="网格数")
    new.add_argument(
        "--xlsx", action="store_true", help="生成不带宏和按钮的 .xlsx（默认生成带按钮的 .xlsm）"
    )
    new.add_argument("-o", "--output", default=".", help="输出文件夹（默认当前文件夹）")
    new.add_argument(
        "--server", metavar="URL", help="街道服务器地址：按钮调用服务器（本机无需 Python）"
    )
    new.add_argument("--token", metavar="TOKEN", help="本社区的令牌（与 --server 一起使用）")
    new.add_argument("--force", action="store_true", help="覆盖已存在的同名文件")

    val = sub.add_parser("validate", help="校验台账文件")
    val.add_argument("files", nargs="+", metavar="FILE", help="一个或多个 .xlsx/.xlsm 文件")
    val.add_argument("--json", action="store_true", help="输出 JSON")

    sc = sub.add_parser("score", help="校验并计算创建评分")
    sc.add_argument("files", nargs="+", metavar="FILE", help="一个或多个 .xlsx/.xlsm 文件")
    sc.add_argument(
        "--office", metavar="OFFICE", help="街道汇总工作簿（使用其中的督导检查和评分参数）"
    )
    sc.add_argument("--json", action="store_true", help="输出 JSON")

    off = sub.add_parser("office", help="生成街道汇总工作簿（设置、社区名单、督导检查、评分参数）")
    off.add_argument(
        "action", nargs="?", choices=["draw"], help="draw：从社区名单中随机抽取暗访社区"
    )
    off.add_argument("book", nargs="?", metavar="OFFICE", help="街道汇总工作簿（draw 时必填）")
    off.add_argument("--n", type=_positive_int, help="抽取的社区个数（draw）")
    off.add_argument("--seed", type=int, help="随机种子（draw；默认取自时钟，会打印并记录）")
    off.add_argument("-o", "--output", default=".", help="输出文件夹（默认当前文件夹）")
    off.add_argument(
        "--xlsx", action="store_true", help="生成不带宏和按钮的 .xlsx（默认生成带按钮的 .xlsm）"
    )
    off.add_argument("--force", action="store_true", help="覆盖已存在的同名文件")

    mg = sub.add_parser("merge", help="合并文件夹中各社区台账，生成街道汇总")
    mg.add_argument("folder", metavar="DIR", help="存放各社区台账的文件夹")
    mg.add_argument(
        "--office", metavar="OFFICE", help="街道汇总工作簿（社区名单、督导检查、评分参数）"
    )
    mg.add_argument("-o", "--output", required=True, metavar="SUMMARY.xlsx", help="汇总文件")
    mg.add_argument(
        "--contacts", metavar="CONTACTS.xlsx", help="另行生成联络员通讯录（含完整电话）"
    )
    mg.add_argument(
        "--feedback", metavar="DIR", help="为每个社区生成反馈工作簿（本社区的问题清单和评分）"
    )
    mg.add_argument(
        "--previous", metavar="SUMMARY.xlsx", help="上期汇总文件（复核：保持、警告、撤销）"
    )
    mg.add_argument("--recursive", action="store_true", help="也读取子文件夹")
    mg.add_argument("--force", action="store_true", help="覆盖已存在的、不是本工具生成的输出文件")
    mg.add_argument("--json", action="store_true", help="输出 JSON")

    demo = sub.add_parser("demo", help="演示：生成一个街道的示例台账，合并并显示汇总看板")
    demo.add_argument(
        "-o", "--output", default="xlhfjz-demo", help="输出文件夹（默认 xlhfjz-demo）"
    )
    demo.add_argument("--communities", type=_positive_int, default=12, help="社区个数（默认 12）")
    demo.add_argument("--seed", type=int, default=2020, help="随机种子（同一种子结果相同）")
    _add_server_parsers(sub)
    return p


def _add_server_parsers(sub: Any) -> None:
    """``serve`` and ``token`` (server.md)."""
    sv = sub.add_parser("serve", help="运行街道服务器（社区工作簿的按钮和网页调用它）")
    sv.add_argument("folder", metavar="DIR", help="数据文件夹（首次启动时建立）")
    sv.add_argument("--host", default="127.0.0.1", help="监听地址（0.0.0.0：整个办公网络）")
    sv.add_argument("--port", type=_positive_int, default=8750, help="端口（默认 8750）")
    sv.add_argument("--office", metavar="OFFICE.xlsx", help="导入街道汇总工作簿（社区名单等）")
    sv.add_argument("--certfile", metavar="F", help="HTTPS 证书文件")
    sv.add_argument("--keyfile", metavar="F", help="HTTPS 私钥文件")
    sv.add_argument("--rate-limit", type=_positive_int, default=120, metavar="N",
                    help="每个令牌每分钟最多请求数（默认 120）")  # fmt: skip
    sv.add_argument("--workers", type=_positive_int, help="处理进程数（默认 CPU 核数）")
    tk = sub.add_parser("token", help="发放、吊销、列出令牌")
    tk.add_argument("folder", metavar="DIR", help="数据文件夹")
    group = tk.add_mutually_exclusive_group(required=True)
    group.add_argument("--community", metavar="CODE", help="为该社区发放新令牌（原令牌失效）")
    group.add_argument("--office", action="store_true", help="发放街道处非办令牌")
    group.add_argument("--revoke", metavar="CODE", help="吊销该社区（或 office）的令牌")
    group.add_argument("--list", action="store_true", help="列出持有令牌的社区（不显示令牌）")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    args_list = [a for a in args_list if a != "--debug"]  # accepted anywhere on the line
    try:
        args = build_parser().parse_args(args_list)
        if args.command is None:
            build_parser().print_help()
            return EXIT_FAIL
        return _COMMANDS[args.command](args)
    except (UsageError, OutputRefused) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("已取消", file=sys.stderr)
        return EXIT_FAIL
    except BrokenPipeError:  # `xlhfjz validate … | head`: the reader has gone, nothing to say
        _silence_stdout()
        return EXIT_FAIL
    except Exception as exc:  # the last line of defence: one Chinese line, never a traceback
        if debug:
            traceback.print_exc()
        print(f"出错了：{_describe(exc)}（加 --debug 查看详细信息）", file=sys.stderr)
        return EXIT_FAIL


def _silence_stdout() -> None:
    """Point stdout at the null device, so that the final flush of a closed pipe stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _describe(exc: Exception) -> str:
    if isinstance(exc, PermissionError):
        return f"没有权限写入或读取“{exc.filename}”，文件可能正在 Excel 中打开，请先关闭"
    if isinstance(exc, FileNotFoundError):
        return f"找不到“{exc.filename}”" if exc.filename else f"找不到所需的文件（{exc}）"
    if isinstance(exc, OSError):
        return f"文件读写失败：{exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


# ── new ─────────────────────────────────────────────────────────────────────────────────────

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\ud800-\udfff]')  # surrogates: not UTF-8


def cmd_new(args: argparse.Namespace) -> int:
    from xlhfjz.xlsx.community import CommunityInfo, write_community_workbook

    code = args.code.strip()
    if not re.fullmatch(r"\d{12}", code):
        raise UsageError(f"社区代码应为12位数字（统计用区划代码），现为“{args.code}”")
    name = args.name.strip()
    if not name or _UNSAFE_NAME.search(name):
        raise UsageError(f'社区名称不能为空，也不能含 \\ / : * ? " < > | 等字符，现为“{args.name}”')
    if re.search(r"[\ud800-\udfff]", args.street):
        raise UsageError("所属街道含有无法识别的字符（不是 UTF-8 编码），请重新输入")
    if args.start and args.end and args.end <= args.start:
        raise UsageError("创建截止日期应晚于创建开始日期")
    info = CommunityInfo(
        name=name, code=code, street=args.street.strip(), start=args.start, end=args.end,
        households=args.households, grids=args.grids,
    )  # fmt: skip
    out = Path(args.output)
    suffix = ".xlsx" if args.xlsx else ".xlsm"
    target = out / f"{code}_{name}{suffix}"
    check_new_file(target, args.force)
    out.mkdir(parents=True, exist_ok=True)
    print(write_community_workbook(target, info, remote=_remote_arg(args)))
    return EXIT_OK


def _remote_arg(args: argparse.Namespace) -> Any:
    """``--server URL --token TOKEN`` as a :class:`~xlhfjz.xlsx.community.RemoteServer`, or None."""
    from xlhfjz.xlsx.buttons import RemoteServer

    if args.server is None and args.token is None:
        return None
    if not (args.server and args.token):
        raise UsageError("--server 和 --token 需要一起使用")
    if args.xlsx:
        raise UsageError("--server 生成带按钮的 .xlsm，不能与 --xlsx 一起使用")
    url = args.server.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", url):
        raise UsageError(f"服务器地址应形如 http://192.168.1.10:8750 ，现为“{args.server}”")
    if not re.fullmatch(r"[A-Za-z0-9_\-.~]{16,200}", args.token.strip()):
        raise UsageError("令牌格式不对：请完整复制 xlhfjz token 输出的最后一行")
    return RemoteServer(url, args.token.strip())


# ── validate ────────────────────────────────────────────────────────────────────────────────


def cmd_validate(args: argparse.Namespace) -> int:
    from xlhfjz.cli.render import format_report
    from xlhfjz.office.documents import report_json
    from xlhfjz.xlsx.files import validate_file

    reports = []
    for name in args.files:
        reports.append(validate_file(name))
    if args.json:
        doc = {"files": [report_json(r) for r in reports]}
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        for report in reports:
            print(format_report(report))
        if len(reports) > 1:
            errors = sum(r.errors for r in reports)
            warnings = sum(r.warnings for r in reports)
            print(f"合计：{len(reports)} 个文件，{errors} 个错误、{warnings} 个提醒")
    return _exit_code(reports)


def _exit_code(reports: Sequence[Any]) -> int:
    if any(not r.readable for r in reports):
        return EXIT_FAIL
    return EXIT_ISSUES if any(r.errors for r in reports) else EXIT_OK


# ── score ───────────────────────────────────────────────────────────────────────────────────


def _load_office(path: str | None) -> Any:
    from xlhfjz.model.rawbook import UnreadableWorkbook
    from xlhfjz.office.inputs import OfficeData, not_an_office_workbook, read_office
    from xlhfjz.xlsx.reader import read_workbook

    if path is None:
        return OfficeData()
    try:
        book = read_workbook(path)
    except UnreadableWorkbook as exc:
        raise UsageError(f"街道汇总工作簿“{path}”无法读取：{exc.reason}") from None
    wrong = not_an_office_workbook(book)
    if wrong:
        raise UsageError(f"--office 给出的“{path}”{wrong}；请用 xlhfjz office 生成的街道汇总工作簿")
    office = read_office(book)
    errors = [i for i in office.issues if i.severity == "error"]
    for i in errors[:20]:
        where = f"{i.sheet} 第{i.row}行 {i.column or ''}".strip()
        print(f"街道汇总工作簿：{where}：{i.message}（该行未使用）", file=sys.stderr)
    return office


def cmd_score(args: argparse.Namespace) -> int:
    from xlhfjz.cli.render import format_card
    from xlhfjz.scoring import card_json, score_report
    from xlhfjz.xlsx.files import validate_file

    office = _load_office(args.office)
    out = []
    for name in args.files:
        report = validate_file(name)
        code = report.community_code
        card = score_report(
            report, office.inspections_for(code), office.parameters,
            office.verifications_for(code), office.eval_date,
        )  # fmt: skip
        out.append((report, card))
    if args.json:
        files = [
            {
                "file": r.path,
                "community_code": r.community_code,
                "community_name": r.community_name,
                **card_json(c),
            }
            for r, c in out
        ]
        print(json.dumps({"files": files}, ensure_ascii=False, indent=1))
    else:
        for report, card in out:
            print(format_card(report, card))
            print()
    reports = [r for r, _ in out]
    return _exit_code(reports)


# ── office, merge ───────────────────────────────────────────────────────────────────────────


def cmd_office(args: argparse.Namespace) -> int:
    if args.action == "draw":
        return _cmd_draw(args)
    from xlhfjz.xlsx.office_book import write_office_workbook

    out = Path(args.output)
    target = out / ("街道汇总.xlsx" if args.xlsx else "街道汇总.xlsm")
    check_new_file(target, args.force)
    out.mkdir(parents=True, exist_ok=True)
    print(write_office_workbook(target))
    return EXIT_OK


def _cmd_draw(args: argparse.Namespace) -> int:
    from xlhfjz.xlsx.draw import DrawError, draw_into

    if not args.book or not args.n:
        raise UsageError("用法：xlhfjz office draw 街道汇总.xlsm --n 个数 [--seed 种子]")
    if not Path(args.book).is_file():
        raise UsageError(f"找不到街道汇总工作簿“{args.book}”")
    try:
        seed, drawn = draw_into(args.book, args.n, args.seed)
    except DrawError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAIL
    print(f"随机种子：{seed}（已记入“抽查名单”，用同一种子可复核本次抽取）")
    for d in drawn:
        print(f"  {d.order}. {d.code} {d.name}")
    print(f"已追加到“抽查名单”：{args.book}")
    return EXIT_OK


def _progress(enabled: bool):
    def show(k: int, total: int, name: str) -> None:
        if not enabled:
            return
        width = 30
        done = int(width * k / total)
        end = "\n" if k == total else ""
        print(f"\r读取台账 [{'#' * done}{'.' * (width - done)}] {k}/{total}", end=end,
              file=sys.stderr, flush=True)  # fmt: skip

    return show


def cmd_merge(args: argparse.Namespace) -> int:
    from xlhfjz.batch import merge_folder
    from xlhfjz.cli.render import format_dashboard
    from xlhfjz.office.documents import merge_json
    from xlhfjz.xlsx.feedback import FeedbackError, write_feedback
    from xlhfjz.xlsx.summary import SummaryWriteError, write_contacts, write_summary

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"找不到文件夹“{args.folder}”")
    outputs = [(xlsx_output(args.output, "汇总文件"), "汇总文件")]
    if args.contacts:
        outputs.append((xlsx_output(args.contacts, "联络员通讯录"), "联络员通讯录"))
    check_merge_outputs(folder, args.office, outputs, recursive=args.recursive, force=args.force)
    office = _load_office(args.office)
    if not any(
        p.suffix.lower() in (".xlsx", ".xlsm") and not p.name.startswith(("~$", "."))
        for p in (folder.rglob("*") if args.recursive else folder.iterdir())
    ):
        print(f"注意：文件夹“{folder}”中没有 .xlsx/.xlsm 台账文件", file=sys.stderr)
    previous = None
    if args.previous:
        from xlhfjz.xlsx.previous import NotASummary, read_previous

        try:
            previous = read_previous(args.previous)
        except NotASummary as exc:
            raise UsageError(str(exc)) from None
    result = merge_folder(
        folder,
        office,
        recursive=args.recursive,
        progress=_progress(sys.stderr.isatty()),
        contacts=bool(args.contacts),
        previous=previous,
        signals=True,
    )
    try:
        summary = write_summary(args.output, result)
        contacts = write_contacts(args.contacts, result) if args.contacts else None
        feedback = write_feedback(args.feedback, result) if args.feedback else []
    except (SummaryWriteError, FeedbackError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAIL
    if args.json:
        print(json.dumps(merge_json(result, summary), ensure_ascii=False, indent=1))
    else:
        print(format_dashboard(result))
        print(f"\n汇总已写入：{summary}")
        if contacts:
            print(f"联络员通讯录（含完整电话，请妥善保管）：{contacts}")
        if args.feedback:
            print(f"各社区反馈：{len(feedback)} 个文件，在 {args.feedback}")
    return EXIT_OK


# ── demo ────────────────────────────────────────────────────────────────────────────────────


def cmd_demo(args: argparse.Namespace) -> int:
    from xlhfjz.cli.demo import run_demo

    return run_demo(Path(args.output), args.communities, args.seed)


# ── serve, token ────────────────────────────────────────────────────────────────────────────


def cmd_serve(args: argparse.Namespace) -> int:
    from xlhfjz.server.commands import CommandError, serve

    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError(
            '街道服务器需要额外的组件，请先运行：pip install "xlhfjz[server]"'
        ) from None
    try:
        return serve(args.folder, host=args.host, port=args.port, office=args.office,
                     certfile=args.certfile, keyfile=args.keyfile,
                     rate_per_minute=args.rate_limit, workers=args.workers)  # fmt: skip
    except CommandError as exc:
        raise UsageError(str(exc)) from None


def cmd_token(args: argparse.Namespace) -> int:
    from xlhfjz.server.commands import CommandError, token

    try:
        return token(args.folder, community=args.community, office=args.office,
                     revoke=args.revoke, show=args.list)  # fmt: skip
    except CommandError as exc:
        raise UsageError(str(exc)) from None


_COMMANDS = {
    "new": cmd_new,
    "validate": cmd_validate,
    "score": cmd_score,
    "office": cmd_office,
    "merge": cmd_merge,
    "demo": cmd_demo,
    "serve": cmd_serve,
    "token": cmd_token,
}
