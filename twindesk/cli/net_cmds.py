"""DICOM network commands: ``receive``, ``inbox``, ``pacs find|get``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from twindesk.cli.output import CommandResult, ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("receive", parents=[common],
                       help="run a DICOM receiver (C-STORE SCP) until Ctrl+C")
    p.add_argument("--port", type=int, required=True, metavar="P")
    p.add_argument("--ae-title", default="TWINDESK", metavar="T")
    p.add_argument("--allow", nargs="+", action="extend", default=[], metavar="CALLING_AE",
                   help="accept only these calling AE titles")
    p.add_argument("--bind", default="127.0.0.1",
                   help="address to listen on (default localhost only)")
    p.add_argument("--inbox", type=Path, default=None, metavar="DIR")
    p.set_defaults(handler=cmd_receive)

    p = sub.add_parser("inbox", parents=[common], help="list series in the DICOM inbox")
    p.add_argument("--inbox", type=Path, default=None, metavar="DIR")
    p.set_defaults(handler=cmd_inbox)

    p = sub.add_parser("pacs", parents=[common], help="query/retrieve from a PACS")
    p.add_argument("action", choices=["find", "get"])
    p.add_argument("--host", required=True, metavar="H")
    p.add_argument("--port", type=int, required=True, metavar="P")
    p.add_argument("--ae-title", default="TWINDESK", metavar="T", help="our (calling) AE title")
    p.add_argument("--called-ae", default="ANY-SCP", help="the PACS's AE title")
    p.add_argument("--patient-id", default="")
    p.add_argument("--patient-name", default="")
    p.add_argument("--study-date", default="", help="YYYYMMDD or YYYYMMDD-YYYYMMDD")
    p.add_argument("--modality", default="")
    p.add_argument("--study-uid", default="")
    p.add_argument("--series-uid", default="")
    p.add_argument("--inbox", type=Path, default=None, metavar="DIR")
    p.add_argument("--timeout-s", type=float, default=30.0)
    p.set_defaults(handler=cmd_pacs)


def _inbox(args: argparse.Namespace) -> Path:
    from twindesk.io.dicom_net.inbox import default_inbox

    return (args.inbox or default_inbox()).resolve()


def cmd_receive(args: argparse.Namespace) -> CommandResult:
    from twindesk.io.dicom_net.receiver import DicomReceiver, ReceiverParams

    params = ReceiverParams(inbox=_inbox(args), port=args.port, ae_title=args.ae_title,
                            bind=args.bind, allow=tuple(args.allow))
    receiver = DicomReceiver(params)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    receiver.start()
    allow = f", accepting only {', '.join(params.allow)}" if params.allow else ""
    print(f"twindesk receive: listening on {params.bind}:{params.port} as {params.ae_title}"
          f"{allow}; inbox {params.inbox}. Ctrl+C stops.", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
        signal.signal(signal.SIGTERM, previous)
    st = receiver.stats
    result = {"inbox": str(params.inbox), "port": params.port, "bind": params.bind,
              "ae_title": params.ae_title, "allow": list(params.allow), "files": st.files,
              "failures": st.failures,
              "series": [{"folder": k, "n_files": v} for k, v in sorted(st.series.items())]}
    return CommandResult(result, lambda d: f"Received {d['files']} files into {d['inbox']}"
                         f" ({len(d['series'])} series, {d['failures']} failures)")


def cmd_inbox(args: argparse.Namespace) -> CommandResult:
    from twindesk.io.dicom_net.inbox import list_inbox

    inbox = _inbox(args)
    series = list_inbox(inbox)

    def human(d: dict) -> str:
        if not d["series"]:
            return f"Inbox {d['inbox']} is empty"
        rows = [f"{s['n_files']:5d} files  {s.get('modality', '?'):3s} "
                f"{s.get('description', '')[:40]:40s} {s['folder']}" for s in d["series"]]
        return "\n".join([f"Inbox {d['inbox']}:"] + rows +
                         ["Import one with: twindesk import FOLDER CASE"])

    return CommandResult({"inbox": str(inbox), "series": series}, human)


def cmd_pacs(args: argparse.Namespace) -> CommandResult:
    from twindesk.io.dicom_net.pacs import PacsPeer, find_studies, get_study

    peer = PacsPeer(host=args.host, port=args.port, called_ae=args.called_ae,
                    calling_ae=args.ae_title, timeout_s=args.timeout_s)
    if args.action == "find":
        studies = find_studies(peer, patient_id=args.patient_id, patient_name=args.patient_name,
                               study_date=args.study_date, modality=args.modality,
                               study_uid=args.study_uid)
        human = (lambda d: "\n".join(
            f"{s['StudyDate']}  {s['PatientID']:12s} {s['StudyDescription'][:30]:30s} "
            f"{s['StudyInstanceUID']}" for s in d["studies"]) or "No studies found")
        return CommandResult({"action": "find", "studies": studies}, human)
    bar = ProgressBar(args, "retrieve")
    got = get_study(peer, _inbox(args), args.study_uid, args.series_uid, progress=bar)
    bar.done()
    return CommandResult({"action": "get", "inbox": str(_inbox(args)), **got},
                         lambda d: f"Retrieved {d['files']} files into {d['inbox']}")
