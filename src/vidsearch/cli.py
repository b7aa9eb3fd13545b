"""`vidsearch` command line: parse, call the engine, format. No logic a notebook user would miss."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

from . import environment
from .config import ReduceConfig, Settings, default_db
from .model import WeightsNotFoundError
from .model.features import DEFAULT_FEATURE, Feature
from .model.stream import CONTEXTS, DEFAULT_CONTEXT
from .progress import IndexProgress
from .sources import SourceError, parse_id, shown
from .store import INDEX_TYPES, MAX_K, IndexConfig, StoreError, VideoFilter, check_collection_name
from .ingest import StrictModeError
from .display import clock
from .retrieval.duplicates import BATCH_VIDEOS, DEFAULT_MIN_OVERLAP, MAX_RATIO, PROPOSAL_RATIO
from .retrieval.search import BACKGROUND_RANK, COPY_THRESHOLD, MAX_PER_VIDEO
from .video import DecodeOptions, VideoDecodeError
from .video.decode import MAX_FRAMES
from .version import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def _printable(text: object) -> str:
    """Text as one printable line: control characters (a newline in a file name) and bytes that are not UTF-8
    escaped, so a table row or an error stays one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in shown(text))


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error in one line (exit 2) instead of the whole usage block."""

    def error(self, message: str):
        message = _printable(message)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _bounded(kind, low, high=None, name=""):
    """An argparse type: `kind` within [low, high], rejected by argparse (exit 2, one error line) otherwise."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if value != value or not low <= value <= (high if high is not None else float("inf")):  # NaN too
            upper = f" to {high}" if high is not None else " or more"
            raise argparse.ArgumentTypeError(f"{text!r} is out of range: use {low}{upper}")
        return value

    parse.__name__ = name or kind.__name__
    return parse


positive_int = _bounded(int, 1, name="positive integer")
positive_float = _bounded(float, 1e-3, 1e9, name="positive number")
port_number = _bounded(int, 0, 65535, name="port")


def _collection_name(text: str) -> str:
    try:
        return check_collection_name(text)
    except StoreError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _index_type(text: str) -> str:
    if text.upper() not in INDEX_TYPES:
        raise argparse.ArgumentTypeError(f"{text!r}: choose one of {', '.join(INDEX_TYPES)}")
    return text.upper()


def _write(path: str, text: str) -> None:
    """Writes a file the user named; a failure (a full disk, /dev/full) names it."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise OSError(e.errno, e.strerror, path) from None


def _user_path(text: str) -> str:
    """Every path option and argument: `~` and `~user` expanded here, once (an unknown user is a usage error)."""
    try:
        return str(Path(text).expanduser()) if text.startswith("~") else text
    except RuntimeError:
        raise argparse.ArgumentTypeError(f"{text!r}: no such user's home folder") from None


def _writable_file(text: str) -> str:
    """--report, --html: checked before the run, so a typo in the folder costs nothing."""
    text = _user_path(text)
    folder = Path(text).resolve().parent
    if Path(text).is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"cannot write {text}: {'it is a folder' if Path(text).is_dir() else 'no such writable folder ' + str(folder)}")
    return text


def _feature(text: str) -> str:
    try:
        return Feature.parse(text).name
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings(db=args.db, collection=args.collection, precision=args.precision, device=args.device,
                        feature=args.feature, context=args.context)
    if args.token:
        settings.token = args.token
    if getattr(args, "frames", None) is not None:
        settings.decode = replace(settings.decode, num_frames=args.frames)
    if getattr(args, "window_fps", None) is not None:
        settings.decode = replace(settings.decode, window_fps=args.window_fps)
    if getattr(args, "stride", None) is not None:
        settings.decode = replace(settings.decode, stride=args.stride)
    if getattr(args, "max_pixels", None):
        settings.decode = replace(settings.decode, max_pixels=args.max_pixels)
    if getattr(args, "max_seconds", None):
        settings.decode = replace(settings.decode, max_seconds=args.max_seconds)
    if getattr(args, "workers", None) is not None:
        settings.ingest.workers = args.workers
    if getattr(args, "insert_batch", None):
        settings.ingest.insert_batch = args.insert_batch
    if getattr(args, "decode_timeout", None):
        settings.ingest.decode_timeout = args.decode_timeout
    index = {name: getattr(args, name, None) for name in ("index_type", "nlist", "nprobe")}
    if any(index.values()):  # the rest from IndexConfig's own defaults, as in a notebook
        settings.index = IndexConfig(**{name: value for name, value in index.items() if value})
    if getattr(args, "dim", None) or getattr(args, "centre", None) is not None:
        settings.reduce = ReduceConfig(dim=args.dim, method=args.reduce, centre=args.centre, seed=args.seed)
    return settings


def _engine(args):
    from .engine import VideoSearch

    return VideoSearch(settings=_settings(args))


def cmd_index(args) -> int:
    with _engine(args) as engine:
        bar = IndexProgress(args.quiet)
        try:
            report = engine.index(args.source, progress=bar, on_plan=bar.plan, strict=args.strict, prune=args.prune,
                                  ray=args.ray, ray_actors=args.ray_actors)
        finally:
            bar.close()
        if args.report:
            try:
                _write(args.report, json.dumps(report.to_json(), indent=2) + "\n")
            except OSError as e:
                report.problems.append(f"the report could not be written to {args.report} ({e.strerror or e})")
        if args.json:
            print(json.dumps(report.to_json(), indent=2))
        else:
            print(f"indexed {report.indexed}, skipped {report.skipped} (unchanged), failed {len(report.failed)} "
                  f"of {report.total} in {report.seconds:.1f} s ({report.rate:.2f} clips/s) -> "
                  f"{engine.location} [{engine.collection.name}]"
                  + (f"; pruned {report.removed} whose files are gone" if args.prune else ""))
            for f in report.failed:
                print(f"  FAILED [{f.stage}] {_printable(f.path)}: {f.error}: {_printable(f.message)}")
        for problem in report.problems:
            print(f"vidsearch: error: {problem}", file=sys.stderr)
    return EXIT_OK if report.complete else EXIT_PARTIAL


def cmd_search(args) -> int:
    with _engine(args) as engine:
        result = engine.search(args.video, k=args.k, per_video=args.per_video, where=args.where,
                               copies_only=args.copies_only, expand=args.expand, alpha=args.alpha)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return EXIT_OK
    print(f"query: {_printable(result.query)}  ({result.seconds * 1000:.0f} ms)")
    print("tags:  " + ", ".join(f"{t.label} {t.score:.2f}" for t in result.tags))
    if not result.results:
        print("no video of this library holds a copy of it" if args.copies_only else "no video found")
        return EXIT_OK
    print(f"{'rank':>4}  {'id':>16}  {'distance':>8}  {'copy':<4}  {'matched at':<21}  {'label':<16}  path")
    for rank, hit in enumerate(result.results, start=1):
        where = [f"{clock(s.start)}-{clock(s.end)}" for s in hit.segments]
        print(f"{rank:>4}  {hit.id:>16}  {hit.distance:8.4f}  {'COPY' if hit.copy else '':<4}  "
              f"{where[0] if where else '':<21}  {_printable(hit.label)[:16]:<16}  {_printable(hit.path)}")
        for more in where[1:]:
            print(f"{'':>4}  {'':>16}  {'':>8}  {'':<4}  {more:<21}  (also)")
    return EXIT_OK


def cmd_duplicates(args) -> int:
    from .duplicates_html import render
    from .progress import progress

    with _engine(args) as engine:
        total = -(-engine.count() // BATCH_VIDEOS)
        report = engine.duplicates(args.threshold, args.min_overlap, check_frames=not args.no_frame_check,
                                   batches=lambda it: progress(it, total=total, desc="duplicates", unit="batch"))
        if args.html:
            _write(args.html, render(report))
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return EXIT_OK
    paths = report.paths
    print(f"{len(report.pairs)} pairs of videos share footage, in {len(report.groups)} groups "
          f"(threshold {report.threshold:g}, at least {report.min_overlap:g} s; {report.segments_searched} segments "
          f"in {report.seconds:.1f} s" + (f"; {report.blank_windows} low-information windows left out" if report.blank_windows else "")
          + ")" + (f" -> {args.html}" if args.html else ""))
    for n, group in enumerate(report.groups, start=1):
        print(f"group {n}: " + ", ".join(f"#{v}" for v in group))
        for pair in (p for p in report.pairs if p.a in group):
            print(f"  #{pair.a} {paths[pair.a]}\n  #{pair.b} {paths[pair.b]}\n    distance {pair.distance:.4f}, "
                  f"{pair.overlap:.1f} s shared: " + "; ".join(
                      f"{clock(s.a_start)}-{clock(s.a_end)} = {clock(s.b_start)}-{clock(s.b_end)}" for s in pair.segments))
    return EXIT_OK


def cmd_find_action(args) -> int:
    if args.list:
        from .model.labels import kinetics400_labels

        labels = kinetics400_labels()
        print(json.dumps({"actions": list(labels)}) if args.json else "\n".join(labels))
        return EXIT_OK
    with _engine(args) as engine:
        found = engine.find_action(args.action, k=args.k, where=args.where)
    if args.json:
        print(json.dumps(found.to_json(), indent=2))
        return EXIT_OK
    print(f"action: {found.action}  ({found.seconds * 1000:.0f} ms)"
          + (f"   closest to {args.action!r}: {', '.join(found.suggestions)}" if found.suggestions else ""))
    if not found.results:
        print("no video of this library shows it among its likely classes")
    else:
        print(f"{'rank':>4}  {'id':>16}  {'score':>6}  {'best moment':<21}  {'label':<16}  path")
    for rank, hit in enumerate(found.results, start=1):
        print(f"{rank:>4}  {hit.id:>16}  {hit.score:6.3f}  {clock(hit.start) + '-' + clock(hit.end):<21}  "
              f"{_printable(hit.label)[:16]:<16}  {_printable(hit.path)}")
    return EXIT_OK


def cmd_info(args) -> int:
    with _engine(args) as engine:
        info = engine.info().to_json()
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            print(f"{key:>11}: {value}")
    return EXIT_OK


def cmd_remove(args) -> int:
    targets = [_target(t) for t in args.targets]
    with _engine(args) as engine:
        removed = engine.remove(targets)
    if args.json:
        print(json.dumps({"requested": len(targets), "removed": removed}))
    else:
        print(f"removed {removed} of {len(targets)}")
    return EXIT_OK if removed == len(targets) else EXIT_PARTIAL


def _target(text: str) -> int | str:
    """`remove` takes ids (ASCII digits) and paths: a number out of the id range is refused, never a path."""
    if text.strip().isdigit():
        try:
            return parse_id(text.strip())
        except ValueError as e:
            raise ValueError(f"remove: {e}") from None
    return text


def cmd_migrate(args) -> int:
    from .progress import progress

    with _engine(args) as engine:
        bar = progress(total=engine.count(), desc="copying", unit="video", quiet=args.json)
        try:
            report = engine.migrate_to(args.to, args.to_collection, bar.update, option="--to")
        finally:
            bar.close()
    if args.json:
        print(json.dumps({"from": args.db, "to": args.to, **report.to_json()}))
    else:
        print(f"copied {report.videos} videos ({report.segments} segments) from {args.db} [{args.collection}] to "
              f"{args.to} [{args.to_collection or args.collection}] in {report.seconds:.1f} s, without re-embedding"
              + (f"; {report.index_note}" if report.index_note else ""))
    return EXIT_OK


def cmd_demo(args) -> int:
    from .demo import run_demo

    with _engine(args) as engine:
        run_demo(engine, Path(args.data))
    return EXIT_OK


def cmd_dataset(args) -> int:
    out = Path(args.out)
    if args.name == "synthetic":
        from .datasets.build_synthetic import build_synthetic

        summary = build_synthetic(out, per_class=args.per_class, queries=args.queries, seed=args.seed)
    elif args.name == "real":
        from .datasets.real import build_real

        summary = build_real(out)
    elif args.name == "dev":
        from .datasets.dev import build_dev

        summary = build_dev(out)
    elif args.name == "long":
        from .datasets.long import build_long

        summary = build_long(out)
    elif args.name == "copies-hard":
        from .datasets.copies_hard import build_copies_hard

        summary = build_copies_hard(out)
    else:
        from .datasets.copies import build_copies

        summary = build_copies(out)
    print(f"{args.name}: {summary.train} library videos, {summary.test} queries, {len(summary.labels)} labels -> "
          f"{summary.csv}\nnext: vidsearch index {summary.csv} && vidsearch eval {summary.queries}")
    return EXIT_OK


def cmd_eval(args) -> int:
    from .evaluation.evaluate import evaluate, query_files

    with _engine(args) as engine:
        report = evaluate(engine, query_files(args.queries), k=args.k)
    print(json.dumps(report.to_json(), indent=2) if args.json else report.table())
    return EXIT_OK


def cmd_bench(args) -> int:
    from .evaluation.bench import SUITES, markdown, run_bench, write_outputs

    dataset = Path(args.dataset)
    rows = run_bench(dataset, SUITES[args.suite](), k=args.k, say=lambda line: print(line, file=sys.stderr),
                     precision=args.precision)
    out = Path(args.out or dataset / "bench")
    write_outputs(rows, out, f"{dataset.name}: quality against dimension (k={args.k})")  # the plot: reduction rows
    print(markdown(rows))
    print(f"\nwritten: {out / 'bench.md'}, {out / 'bench.json'}, {out / 'bench.png'}", file=sys.stderr)
    return EXIT_OK


def _listen(host: str, port: int):
    """Binds the server's socket before anything is announced: a busy port is one line and exit 1."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ValueError(f"cannot listen on {host}: {e.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise ValueError(f"cannot listen on {host}:{port}: {e.strerror} (is another server using it? try --port)") from None
    return sock


def cmd_serve(args) -> int:
    import uvicorn

    from .server.app import ServerConfig, create_app
    from .server.http import server_config

    config = ServerConfig(token=args.api_token, max_upload_bytes=args.max_upload_mb << 20, data_dir=Path(args.data_dir),
                          host=args.host, allowed_hosts=tuple(args.allowed_host))
    sock = _listen(args.host, args.port)
    engine = _engine(args)  # owns a Milvus Lite database for as long as it runs
    try:
        app = create_app(engine, config)
        port = sock.getsockname()[1]
        print(f"vidsearch serving {engine.location} [{engine.collection.name}] on http://{args.host}:{port}"
              + (f" (write endpoints need the token: {config.token})" if config.token_generated else
                 " (write endpoints need the token)" if config.token else ""), file=sys.stderr)
        server = uvicorn.Server(server_config(app))
        server.run(sockets=[sock])
    finally:
        sock.close()
        engine.close()
    return EXIT_OK


def _common(suppress: bool) -> argparse.ArgumentParser:
    """Global options, accepted before or after the command (after wins; subcommands never reset them)."""
    default = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
    common = Parser(add_help=False)
    common.add_argument("--db", default=default(default_db()),
                        help=f"a database path (the embedded store; milvus-lite:PATH for Milvus Lite), a Milvus server URI "
                             f"(http://HOST:19530) or *.npz (default: ${environment.DB} or ./vidsearch.db)")
    common.add_argument("--collection", type=_collection_name, default=default("videos"),
                        help="collection name: letters, digits, underscores (default videos)")
    common.add_argument("--token", default=default(None), help="Milvus server token (user:password)")
    common.add_argument("--precision", choices=["auto", "int8", "bf16", "fp32"], default=default(None),
                        help="model arithmetic (default: auto = int8 where the CPU has VNNI, else bf16 where it has "
                             "it natively, else fp32; bf16 on a GPU; see docs/measured.md)")
    common.add_argument("--device", choices=["auto", "cpu", "cuda"], default=default(None),
                        help="where the model runs (default: auto = CUDA when PyTorch sees a GPU, else the CPU)")
    common.add_argument("--feature", type=_feature, default=default(None), metavar="BLOCKS",
                        help=f"the I3D blocks a NEW collection's vectors are made of, joined with + (default "
                             f"{DEFAULT_FEATURE}; the tutorial's is Mixed_5c); an existing collection keeps its own")
    common.add_argument("--context", choices=CONTEXTS, default=default(None),
                        help=f"how a NEW collection's windows are embedded (default {DEFAULT_CONTEXT}): stream: "
                             f"from one pass over the video, each frame through the network once (1.7x faster "
                             f"indexing, see docs/measured.md); window: each window alone; an existing "
                             f"collection keeps its own")
    common.add_argument("--json", action="store_true", default=default(False), help="machine-readable output")
    return common


def _filter_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("filters (all must hold; applied inside the search, so k results come back "
                                 "when k videos match)")
    group.add_argument("--label", help="only videos with this label")
    group.add_argument("--tag", help="only videos tagged with this Kinetics-400 class, e.g. \"playing cricket\"")
    group.add_argument("--min-duration", type=_bounded(float, 0, 1e9, "seconds"), metavar="S",
                       help="only videos at least S seconds long")
    group.add_argument("--max-duration", type=_bounded(float, 0, 1e9, "seconds"), metavar="S",
                       help="only videos at most S seconds long")
    group.add_argument("--path-prefix", metavar="P", help="only videos whose path starts with P (relative: from here)")


def _where(args: argparse.Namespace) -> VideoFilter | None:
    """The filter options as one VideoFilter (ValueError for contradictory ones)."""
    where = VideoFilter(label=args.label, tag=args.tag, min_duration=args.min_duration,
                        max_duration=args.max_duration, path_prefix=args.path_prefix)
    return where or None


def build_parser() -> argparse.ArgumentParser:
    common = _common(suppress=True)
    parser = Parser(prog="vidsearch", description="Reverse video search: find similar videos.",
                    parents=[_common(suppress=False)])
    parser.add_argument("--version", action="version", version=f"vidsearch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", parents=[common], help="add the videos of a CSV (id,path,label) or a folder")
    p.add_argument("source", type=_user_path)
    p.add_argument("--frames", type=_bounded(int, 1, MAX_FRAMES, "frame count"),
                   help=f"frames per window (one vector) for a new collection (default {DecodeOptions.num_frames})")
    p.add_argument("--window-fps", type=_bounded(float, 0.25, 60, "frame rate"),
                   help=f"frames per second inside a window, new collection (default {DecodeOptions.window_fps:g}: "
                        f"{DecodeOptions.num_frames} frames = a {DecodeOptions.num_frames / DecodeOptions.window_fps:g}-s window)")
    p.add_argument("--stride", type=_bounded(float, 0, 3600, "stride"),
                   help=f"seconds between window starts, new collection (default {DecodeOptions.stride:g}; "
                        f"0 = one vector per whole video)")
    p.add_argument("--dim", type=positive_int, help="reduce vectors to this dimension (new collection)")
    p.add_argument("--reduce", choices=["random", "pca"], help="reduction method with --dim (default random)")
    p.add_argument("--centre", action=argparse.BooleanOptionalAction, default=None,
                   help="subtract the library mean before normalising (default: on when the first index has >= 32 videos)")
    p.add_argument("--seed", type=int, default=0, help="random projection seed")
    p.add_argument("--index-type", type=_index_type,
                   help=f"index of a new collection: {', '.join(INDEX_TYPES)} (default IVF_FLAT; SCANN needs a server)")
    p.add_argument("--nlist", type=_bounded(int, 1, 65536, "nlist"), help="IVF clusters (default 400)")
    p.add_argument("--nprobe", type=_bounded(int, 1, 65536, "nprobe"), help="IVF clusters searched (default 32, or nlist when smaller)")
    p.add_argument("--report", type=_writable_file, help="write the JSON report (with every failure) to this file")
    p.add_argument("--workers", type=_bounded(int, 0, 1024, "worker count"),
                   help="decoding processes (default: CPU cores; 0 = in this process)")
    p.add_argument("--insert-batch", type=_bounded(int, 1, 100000, "batch size"),
                   help="rows per insert (default 32; a killed run redoes at most this many)")
    p.add_argument("--decode-timeout", type=positive_float, help="seconds one file may take to decode (default 120)")
    p.add_argument("--max-pixels", type=positive_int, help="refuse frames larger than this many pixels (default 8192x4320)")
    p.add_argument("--max-seconds", type=positive_float, help="refuse videos longer than this (default 6 h)")
    p.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="decode and embed on Ray: alone, a local Ray runtime; with an address (e.g. 10.0.0.5:6379, "
                        "auto) join that cluster (needs pip install 'vidsearch[ray]')")
    p.add_argument("--ray-actors", type=_bounded(int, 1, 4096, "actor count"),
                   help="models running at once on Ray (default: the cluster's CPUs / 2)")
    p.add_argument("--strict", action="store_true", help="stop at the first failure (exit 1)")
    p.add_argument("--prune", action="store_true", help="also remove entries whose files are gone")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", parents=[common], help="the most similar videos to VIDEO")
    p.add_argument("video", type=_user_path)
    p.add_argument("-k", type=_bounded(int, 1, MAX_K, "k"), default=10, help="how many results (default 10)")
    p.add_argument("--per-video", type=_bounded(int, 1, MAX_PER_VIDEO, "count"), default=3,
                   help="matched intervals shown per video (default 3)")
    p.add_argument("--copies-only", action="store_true",
                   help="only the videos the query is a copy of (the vectors propose, the frames decide: "
                        "docs/copies.md)")
    p.add_argument("--expand", type=_bounded(int, 0, 100, "count"), default=0, metavar="N",
                   help="query expansion: search again with each query window averaged with its N nearest "
                        "library segments (default 0: off; no gain beyond the noise on the dev benchmark)")
    p.add_argument("--alpha", type=_bounded(float, 0, 100, "alpha"), default=0.0,
                   help="with --expand: weight neighbours by similarity**ALPHA (alpha-QE; default 0: plain average)")
    _filter_options(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("duplicates", parents=[common], help="which videos of the library are copies of one another")
    p.add_argument("--threshold", type=_bounded(float, 1e-6, MAX_RATIO, "ratio"), default=None,
                   help=f"propose a match when a segment's distance is under this fraction of its background, the "
                        f"distance to the {BACKGROUND_RANK}th nearest other video after the segment's group of copies; "
                        f"the frames then decide (default {PROPOSAL_RATIO:g}; with --no-frame-check the vectors decide "
                        f"alone: default {COPY_THRESHOLD:g}, calibrated)")
    p.add_argument("--min-overlap", type=_bounded(float, 0, 1e9, "seconds"), default=DEFAULT_MIN_OVERLAP, metavar="SECONDS",
                   help=f"seconds of footage two videos must share (default {DEFAULT_MIN_OVERLAP:g})")
    p.add_argument("--html", type=_writable_file, metavar="REPORT.html", help="also write a self-contained HTML report")
    p.add_argument("--no-frame-check", action="store_true",
                   help="do not read frames (to leave out black, white, fades and plain cards, and to tell copied "
                        "footage from another moment of the same scene): faster, less precise")
    p.set_defaults(func=cmd_duplicates)

    p = sub.add_parser("find-action", parents=[common],
                       help="the videos most likely to show a Kinetics-400 action, e.g. \"playing cricket\"")
    p.add_argument("action", nargs="?", help="a class name, or part of one (the closest classes are suggested)")
    p.add_argument("-k", type=_bounded(int, 1, MAX_K, "k"), default=10, help="how many results (default 10)")
    p.add_argument("--list", action="store_true", help="print the 400 class names")
    _filter_options(p)
    p.set_defaults(func=cmd_find_action)

    p = sub.add_parser("info", parents=[common], help="what the collection holds")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("eval", parents=[common], help="score the collection on labelled queries (test/<label>/*)")
    p.add_argument("queries", type=_user_path, help="a folder of test/<label>/ videos or a glob")
    p.add_argument("-k", type=_bounded(int, 1, MAX_K, "k"), default=10)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("dataset", help="build a benchmark dataset in the tutorial's layout")
    dataset_sub = p.add_subparsers(dest="dataset_command", required=True)
    p = dataset_sub.add_parser("build", help="synthetic | real | dev | copies | copies-hard | long")
    p.add_argument("name", choices=["synthetic", "real", "dev", "copies", "copies-hard", "long"])
    p.add_argument("out", type=_user_path)
    p.add_argument("--per-class", type=_bounded(int, 1, 1000, "count"), default=10, help="synthetic: library clips per class")
    p.add_argument("--queries", type=_bounded(int, 1, 1000, "count"), default=1, help="synthetic: query clips per class")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_dataset)

    p = sub.add_parser("bench", help="compare configurations on a dataset, with 95 %% intervals")
    p.add_argument("dataset", type=_user_path, help="a folder made by `vidsearch dataset build`")
    p.add_argument("--suite", choices=["reduction", "defaults", "candidates", "features", "context", "size"], default="reduction",
                   help="reduction: dimensions, reductions, frame counts, centring (default); defaults: the "
                        "previous defaults against today's, other I3D features, centring, mirroring, query expansion, "
                        "class scores, database-side augmentation and frame count; candidates: the previous defaults "
                        "against today's (for the held-out sets); features: every I3D block alone as the vector; "
                        "context: windows embedded each alone against windows from one pass over the video; size: "
                        "smaller crops than 224² as the network's input")
    p.add_argument("-k", type=_bounded(int, 1, MAX_K, "k"), default=10)
    p.add_argument("--out", type=_user_path, help="where bench.md/.json/.png go (default DATASET/bench)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("serve", parents=[common], help="web page and HTTP API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port_number, default=8000, help="TCP port (default 8000; 0 picks a free one)")
    p.add_argument("--api-token", help="token the write endpoints require (or $VIDSEARCH_API_TOKEN)")
    p.add_argument("--max-upload-mb", type=_bounded(int, 1, 1 << 20, "size"), default=200,
                   help="largest upload accepted, MiB (default 200)")
    p.add_argument("--data-dir", type=_user_path, default="vidsearch-server", help="uploaded videos and preview cache")
    p.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                   help="a further host name requests may be addressed to (repeatable), e.g. the public name a "
                        "reverse proxy forwards; any other Host header is refused (DNS rebinding)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", parents=[common], help="build a small library, index it, search it")
    p.add_argument("--data", type=_user_path, default="demo-data", help="where the demo library is built (default ./demo-data)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("migrate", parents=[common],
                       help="copy the collection to another database (e.g. a Milvus server), without re-embedding")
    p.add_argument("--to", required=True, metavar="DB", help="the target: a path, milvus-lite:PATH or http://HOST:19530")
    p.add_argument("--to-collection", type=_collection_name, help="the target collection (default: the same name)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("remove", parents=[common], help="delete videos by id or path")
    p.add_argument("targets", nargs="+", metavar="ID|PATH")
    p.set_defaults(func=cmd_remove)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if environment.debug():  # what vidsearch logs (e.g. Milvus Lite's own output) on stderr
        logging.basicConfig(format="%(name)s: %(message)s")
        logging.getLogger("vidsearch").setLevel(logging.DEBUG)
    elif not any(isinstance(h, _Notes) for h in logging.getLogger("vidsearch").handlers):
        logging.getLogger("vidsearch").addHandler(_Notes(logging.WARNING))
    if hasattr(args, "path_prefix"):  # filters: contradictions are usage errors, like any bad option
        try:
            args.where = _where(args)
        except ValueError as e:
            parser.error(str(e))
    if args.command == "find-action" and not args.list and not (args.action or "").strip():
        parser.error("find-action needs an action name (or --list)")
    try:
        return args.func(args)
    except (StoreError, SourceError, VideoDecodeError, WeightsNotFoundError, StrictModeError, ValueError) as e:
        return _fail(e)
    except OSError as e:  # a file or folder the command was pointed at: permissions, a full disk, ...
        return _fail(f"{e.strerror or e}" + (f": {e.filename}" if e.filename else ""))
    except KeyboardInterrupt:
        print("vidsearch: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - never a traceback for the user; VIDSEARCH_DEBUG=1 shows it
        if environment.debug():
            raise
        return _fail(f"unexpected {type(e).__name__}: {e} (VIDSEARCH_DEBUG=1 shows the traceback; please report it)")


class _Notes(logging.Handler):
    """What a user should know though nothing failed (an index rebuilt after damage): one line each, on the
    stderr of the moment."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"vidsearch: note: {' '.join(record.getMessage().split())}", file=sys.stderr)


def _fail(error) -> int:
    """One line on stderr, whatever the error's message holds."""
    message = " ".join(str(error).split())
    print(f"vidsearch: error: {message}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
