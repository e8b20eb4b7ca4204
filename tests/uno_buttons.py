"""Drive LibreOffice over UNO: open .xlsm workbooks, list their VBA modules, press their buttons.

Run by ``tests/test_workbooks.py`` with Debian's ``/usr/bin/python3`` (package python3-uno), against
a ``soffice`` that the test started with ``--accept=socket,host=127.0.0.1,port=PORT;urp;``; the
test also stops it. Prints one JSON document on stdout::

    {"files": {"PATH": {"vba_compatibility": true, "modules": ["Dictionary", ...],
                        "buttons": [{"sheet": "使用说明", "caption": "校验台账",
                                     "events": [{"listener": "...", "method": "...",
                                                 "type": "Script", "code": "vnd.sun.star..."}],
                                     "invoked": "...", "clicked": "..."}]}}}

For each Form Control on each sheet's draw page it reads the script events bound to the control
through its form (``XEventAttacherManager.getScriptEvents``). For each workbook given with
``--press`` it then runs each button twice, clearing the cell ``--record SHEET!CELL`` before each
run and reading it after:

- ``invoked``: the script URL of the control's ``actionPerformed`` event, invoked through the
  document's script provider;
- ``clicked``: the button pressed through its view control's accessibility action (what a mouse
  click does: LibreOffice's form layer fires the bound event).

The workbook's VBA stub of ``RunPython`` writes its command into that cell. Workbooks given only
as ``FILE`` are opened and inspected, their buttons not run.

usage: uno_buttons.py --port PORT [--record SHEET!CELL --press XLSM]... [--timeout S] [FILE]...
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

#: com.sun.star.document.MacroExecMode.ALWAYS_EXECUTE_NO_WARN
ALWAYS_EXECUTE_NO_WARN = 4
CONTROL_SHAPE = "com.sun.star.drawing.ControlShape"


def prop(name: str, value: Any) -> PropertyValue:
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def connect(port: int, wait: float) -> Any:
    """The remote component context, retrying while soffice starts."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    url = f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
    deadline = time.monotonic() + wait
    while True:
        try:
            return resolver.resolve(url)
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def vba_modules(doc: Any) -> tuple[bool, list[str]]:
    """Whether the document runs Basic in VBA mode, and the modules of its VBAProject library."""
    libs = doc.BasicLibraries
    if not libs.hasByName("VBAProject"):
        return bool(libs.VBACompatibilityMode), []
    if not libs.isLibraryLoaded("VBAProject"):
        libs.loadLibrary("VBAProject")
    return bool(libs.VBACompatibilityMode), sorted(libs.getByName("VBAProject").getElementNames())


def controls(doc: Any) -> list[tuple[Any, Any, list[dict[str, str]]]]:
    """(sheet, control model, script events) for every form control, in sheet and page order."""
    found = []
    for sheet in doc.Sheets:
        page = sheet.DrawPage
        for i in range(page.Count):
            shape = page.getByIndex(i)
            if not shape.supportsService(CONTROL_SHAPE):
                continue
            model = shape.Control
            form = model.Parent
            index = next(k for k in range(form.Count) if form.getByIndex(k) == model)
            events = [
                {
                    "listener": e.ListenerType,
                    "method": e.EventMethod,
                    "type": e.ScriptType,
                    "code": e.ScriptCode,
                }
                for e in form.getScriptEvents(index)
            ]
            found.append((sheet, model, events))
    return found


def action_url(events: list[dict[str, str]]) -> str | None:
    for e in events:
        if e["method"] == "actionPerformed" and e["type"] == "Script":
            return e["code"]
    return None


def run_and_read(cell: Any, action: Any) -> str | None:
    """Clear the record cell, run ``action``, return what the stub wrote there."""
    cell.setString("")
    try:
        action()
    except Exception as exc:  # reported, the test fails on it
        return f"!{type(exc).__name__}: {exc}"
    return cell.getString()


def inspect(desktop: Any, path: Path, record: str | None) -> dict[str, Any]:
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(str(path.resolve())),
        "_blank",
        0,
        (prop("Hidden", True), prop("MacroExecutionMode", ALWAYS_EXECUTE_NO_WARN)),
    )
    if doc is None:
        raise RuntimeError(f"LibreOffice could not open {path}")
    try:
        compat, modules = vba_modules(doc)
        cell = None
        if record:
            sheet_name, address = record.rsplit("!", 1)
            cell = doc.Sheets.getByName(sheet_name).getCellRangeByName(address)
        buttons = []
        controller = doc.CurrentController
        for sheet, model, events in controls(doc):
            entry: dict[str, Any] = {
                "sheet": sheet.Name,
                "caption": model.Label,
                "events": events,
                "invoked": None,
                "clicked": None,
            }
            url = action_url(events)
            if cell is not None and url:
                script = doc.getScriptProvider().getScript(url)
                entry["invoked"] = run_and_read(cell, lambda s=script: s.invoke((), (), ()))

                def press(sheet: Any = sheet, model: Any = model) -> None:
                    controller.setActiveSheet(sheet)
                    view = controller.getControl(model)
                    view.getAccessibleContext().doAccessibleAction(0)

                entry["clicked"] = run_and_read(cell, press)
            buttons.append(entry)
        return {"vba_compatibility": compat, "modules": modules, "buttons": buttons}
    finally:
        doc.close(True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", help="SHEET!CELL where the RunPython stub writes its command")
    parser.add_argument("--press", action="append", type=Path, default=[],
                        help="a workbook whose buttons are run (needs --record)")  # fmt: skip
    parser.add_argument("--timeout", type=int, default=240, help="give up after this many seconds")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.press and not args.record:
        parser.error("--press needs --record")
    signal.alarm(args.timeout)  # never hang the test run: SIGALRM ends the process
    ctx = connect(args.port, wait=min(120, args.timeout / 2))
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    jobs = [(p, args.record) for p in args.press] + [(p, None) for p in args.files]
    result = {"files": {str(p): inspect(desktop, p, record) for p, record in jobs}}
    json.dump(result, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
