"""``posekit fetch`` (analyse an image or video through the REST API) and ``posekit job``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]

_IMAGE_SUFFIXES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".heic",
    ".heif",
    ".bmp",
    ".gif",
    ".tif",
    ".tiff",
}
EXIT_NOT_DONE = 3


def _api_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("API")
    g.add_argument(
        "--api-key", help="REST API key (default: $KAKAO_REST_API_KEY or $POSEKIT_API_KEY)"
    )
    g.add_argument("--base-url", help="API base URL (default: $POSEKIT_BASE_URL, else Kakao's)")
    g.add_argument("--cache-dir", type=Path, help="keep job results in this folder")
    # the flags say their unit, as the API's names do; --timeout and --poll still work
    g.add_argument(
        "--timeout-s",
        "--timeout",
        dest="timeout",
        type=float,
        default=3600.0,
        help="seconds to wait for a job (3600)",
    )
    g.add_argument(
        "--poll-s",
        "--poll",
        dest="poll",
        type=float,
        default=2.0,
        help="first poll interval in seconds (2)",
    )
    g.add_argument("-o", "--output", type=Path, help="write the result JSON here (default: stdout)")
    g.add_argument("--indent", type=int, default=None, help="indent the JSON by this many spaces")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "fetch",
        help="analyse an image or a video through the Kakao Pose API (or a posekit server)",
        description="Upload an image or video (or pass its URL), wait for the result, save it.",
    )
    p.add_argument("input", help="image or video file, or an http(s) URL")
    p.add_argument(
        "--kind",
        choices=("auto", "image", "video"),
        default="auto",
        help="what the input is (auto: from the file name)",
    )
    p.add_argument("--no-smoothing", action="store_true", help="video: no smoothing between frames")
    p.add_argument("--callback", metavar="URL", help="video: URL the API calls when the job ends")
    p.add_argument("--no-wait", action="store_true", help="video: print the job id and exit")
    p.add_argument(
        "--prepare",
        action="store_true",
        help="image: resize/re-encode an image that breaks the API's limits",
    )
    _api_options(p)
    p.set_defaults(func=_fetch)

    j = subparsers.add_parser(
        "job",
        help="status (and result) of a video job",
        description=f"Print a job's status; write its result when it succeeded. Exit status: 0 "
        f"success, 1 failed or not found, {EXIT_NOT_DONE} still waiting/processing.",
    )
    j.add_argument("job_id")
    j.add_argument("--wait", action="store_true", help="wait for the job to end")
    _api_options(j)
    j.set_defaults(func=_job)


def _client(args: argparse.Namespace) -> Any:
    from posekit.client import Client

    return Client(args.api_key, args.base_url, cache_dir=args.cache_dir)


def _is_image(source: str, kind: str) -> bool:
    if kind != "auto":
        return kind == "image"
    from posekit.client._inputs import is_url, sniff_format

    suffix = Path(source.split("?")[0]).suffix.lower()
    if suffix in _IMAGE_SUFFIXES or is_url(source):
        return suffix in _IMAGE_SUFFIXES
    path = Path(source)
    if path.is_file():
        with path.open("rb") as f:
            return sniff_format(f.read(16)) is not None
    return False


def _write(result: Any, args: argparse.Namespace) -> None:
    if args.output is None:
        import msgspec

        data = result.to_json()
        if args.indent:
            data = msgspec.json.format(data, indent=args.indent)
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.flush()
    else:
        result.save(args.output, indent=args.indent)
        print(f"wrote {args.output}: {result!r}", file=sys.stderr)


def _fetch(args: argparse.Namespace) -> int:
    from posekit.client._inputs import is_url

    source: str = args.input
    if not is_url(source) and not Path(source).is_file():
        raise FileNotFoundError(f"no such file: {source}")
    with _client(args) as client:
        if _is_image(source, args.kind):
            result = client.analyze_image(source, prepare=args.prepare)
        elif args.no_wait:
            job_id = client.submit_video(
                source, smoothing=not args.no_smoothing, callback_url=args.callback
            )
            print(job_id)
            return 0
        else:
            from posekit.client._videos import run_video

            # with --cache-dir, running the command again waits for the same job: no re-upload
            result = run_video(
                client,
                source,
                None,
                smoothing=not args.no_smoothing,
                callback_url=args.callback,
                poll=args.poll,
                max_poll=max(10.0, args.poll),
                timeout=args.timeout,
                progress=None,
                on_job=lambda job_id: print(f"job {job_id}", file=sys.stderr),
            )
        _write(result, args)
    return 0


def _job(args: argparse.Namespace) -> int:
    with _client(args) as client:
        if args.wait:
            result = client.wait(args.job_id, poll_s=args.poll, timeout_s=args.timeout)
        else:
            info = client.job(args.job_id)
            line = f"{info.job_id} {info.status}"
            if info.description:
                line += f": {info.description}"
            if info.from_cache:
                line += " (cached)"
            print(line, file=sys.stderr)
            if not info.done:
                return EXIT_NOT_DONE
            result = info.result  # raises JobFailedError / JobNotFoundError
        _write(result, args)
    return 0
