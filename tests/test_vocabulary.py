"""One name per concept in the public API: a parameter name outside the vocabulary fails.

Walks every public function, class and method (``__all__`` of every public module) and checks
each parameter name against :data:`VOCABULARY`. A name listed in :data:`SYNONYMS` is a second name
for a concept that already has one and fails with the name to use. A name in neither is new: if
it names a new concept, add it to :data:`VOCABULARY` (here is where it gets agreed); otherwise use
the existing name.

The agreed names: the sampling rate is ``fps``; a confidence threshold is ``min_score``; choosing
people is ``object_id`` (``object_ids`` for several); a frequency says ``_hz``; a duration in
seconds says ``_s`` and a length in frames ``_frames``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any

import posekit

#: A second name for a concept that has one: the name to use instead.
SYNONYMS: dict[str, str] = {
    "fs": "fps",
    "rate": "fps (frames) or rate_hz (a movement's rate)",
    "sampling_rate": "fps",
    "threshold": "min_score",
    "score_threshold": "min_score",
    "person": "object_id",
    "people": "object_id / object_ids",
    "track": "object_id",
    "min_cutoff": "min_cutoff_hz",
    "d_cutoff": "d_cutoff_hz",
    "cutoff": "cutoff_hz",
    "window": "window_frames (or window_s)",
    "timeout": "timeout_s",
    "poll": "poll_s",
    "max_poll": "max_poll_s",
    "backoff": "backoff_s",
    "max_backoff": "max_backoff_s",
    "max_retry_after": "max_retry_after_s",
    "deadline": "deadline_s",
}

#: Where a synonym is the right word after all (the data, not a choice). ``qualname(param)``.
#: A renamed parameter keeps its old keyword working with a DeprecationWarning
#: (:func:`posekit._renamed.renamed`; tests/test_renamed.py).
EXCEPTIONS: dict[str, str] = {
    "PoseResult.__init__(people)": "Kakao's image answer is a list of people",
    "PoseResult.from_image(people)": "Kakao's image answer is a list of people",
}

#: Every parameter name of the public API, one concept each.
VOCABULARY: frozenset[str] = frozenset({
    # missing data (issue 12): filled points' marks, what a table does with score-0 points,
    # how many people a report analyses
    "filled", "undetected", "max_people",
    "a", "activity", "addresses", "allow_private", "allow_private_urls", "amp_th", "angles",
    "angles_csv", "ann_index", "annotations", "api_key", "app", "area", "args", "argv", "attempt",
    "attempts", "attribution", "attrs", "ax", "axis", "b", "base_url", "batch_size", "bbox",
    "beta", "body", "body_timeout_s", "by", "c", "ca_file", "cache_dir", "cache_size", "callback",
    "callback_attempts", "callback_backoff_s", "callback_threads", "callback_timeout_s",
    "callback_tries", "callback_url", "candidates", "check", "check_limits", "client", "clock",
    "cmap", "code", "codec", "colorbar", "columns", "compare", "config", "connect_timeout_s",
    "convention", "coord", "created", "crf", "cutoff_hz", "d1", "d2", "data", "data_dir",
    "definitions", "dense", "description", "dest", "detect_every", "detected", "detector", "df",
    "direction", "direction_deg", "distance", "download_timeout_s", "dropout", "dropped",
    "duration", "duration_s", "env", "error", "errors", "estimator", "events", "every_s", "extra",
    "facing", "faded_alpha", "far_side", "fc", "fields", "file", "file_path", "file_size",
    "filename", "fill_gaps", "filters", "fit_range_hz", "fontsize", "force", "format", "fps",
    "frame", "frames", "frames_read", "from_cache", "func", "grace_s", "ground_y",
    "header_timeout_s", "headers", "height", "height_px", "heights_px", "hf_cutoff_hz", "host",
    "host_header", "id", "idle_s", "image", "image_fetch_threads", "in_view", "indent", "index",
    "info", "input", "ip", "job", "job_id", "joint", "joints", "key", "keypoints", "keys", "kind",
    "kp", "kp_a", "kp_b", "kwargs", "label", "labels", "landmark", "layout", "left", "left_right",
    "left_shade", "legend", "like", "limits", "linewidth", "log_level", "map_options",
    "markersize", "mask_or_keys", "max_answer_bytes", "max_attempts", "max_bytes", "max_columns",
    "max_connections", "max_distance", "max_file_bytes", "max_frames", "max_gap_frames",
    "max_image_bytes", "max_image_pixels", "max_image_requests", "max_job_s", "max_lag_frames",
    "max_lines", "max_missed_frames", "max_queue", "max_video_bytes", "max_video_frames",
    "max_video_pixels", "max_workers", "measurement_noise", "member", "message", "method",
    "methods", "metric", "metrics", "mime", "min_download_rate_bytes_s", "min_keypoints",
    "min_period_s", "min_presence", "min_prominence", "min_px", "min_rate_bytes_s", "min_score",
    "min_step_length", "min_step_s", "min_track_frames", "min_upload_rate_bytes_s", "minutes",
    "missing_frames", "models_dir", "msg", "n", "n_people", "name", "names", "nbytes", "neutral",
    "noise_px", "normalize", "note", "now", "num_threads", "obj_index", "object_id", "object_ids",
    "objects", "obs", "older_than_s", "on_frame", "on_mismatch", "options", "order",
    "original_size", "out_dir", "out_path", "overrides", "padlevel", "params", "params_json",
    "partial", "partition_on", "path", "paths", "person_height_px", "person_score", "phase0",
    "points", "policy", "polyorder", "port", "ports", "pose", "pose_a", "pose_b", "predict",
    "prepare", "present", "problems", "process_noise", "progress", "prominence", "public_url",
    "quality", "rate_hz", "ratio", "raw", "read_timeout_s", "reader", "reason", "received_at",
    "reference", "refresh", "rel_height", "rel_prominence", "reps", "reps_angle", "resolver",
    "resp", "result", "result_json", "retention_s", "retries", "right", "right_tint", "rng",
    "rngs", "root", "s", "scale_x", "scale_y", "scheme", "score", "scores", "seed", "sent_size",
    "series", "series_a", "series_b", "session", "sha256", "side", "side_legend", "sigma_frames",
    "sigmas", "signed", "signed_trunk", "size", "skeleton", "smooth_s", "smoothed", "smoothing",
    "sock", "source", "spec", "speed", "speed_h_per_s", "speed_point", "src", "stamp", "start",
    "start_s", "state", "status", "step", "stop", "stream", "study", "suffix", "summary", "t",
    "table", "target", "text", "threads", "tiles", "timeout_s", "total_s", "total_timeout_s",
    "trail", "trail_joints", "transfer", "truncate", "trunk_points", "truth", "truth_csv",
    "unwrap", "updated", "url", "url_check_threads", "url_ports", "valid", "values", "video",
    "video_download_threads", "videos", "view", "walk_path", "want", "what", "wheel", "wide",
    "width", "worker_kind", "workers", "x", "x0", "xy", "y",
    # issue 14, interop and metres: other tools' names (mapping: {their name: COCO joint}; ds:
    # an xarray Dataset; individual: DeepLabCut's; scorer, markers: DeepLabCut's and OpenSim's
    # column names; NWB's own session fields), lengths in metres with _m, the units a file says
    "column", "distance_m", "ds", "for_writing", "height_m", "identifier", "individual",
    "length_m", "mapping", "markers", "p1", "p2", "percentile", "scale", "scorer",
    "session_description", "session_start_time", "units", "where",
    # issue 15: a colour scheme's hue per person (was people=, which chooses people elsewhere);
    # the renamed ones (the synonyms' agreed names)
    # issue 15: the dense form's frame axis holds every frame from the first to the last
    "contiguous",
    # issue 15: server.testing's helpers (moved from tests/): a count of frames as n_people
    # counts people; where a slow test peer stalls (body, headers or silent)
    "n_frames", "stage",
    "hues", "window_frames", "min_cutoff_hz", "d_cutoff_hz", "poll_s", "max_poll_s",
    "deadline_s", "backoff_s", "max_backoff_s", "max_retry_after_s",
})  # fmt: skip


def _public_modules() -> Iterator[Any]:
    yield posekit
    for info in pkgutil.walk_packages(posekit.__path__, "posekit."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        yield importlib.import_module(info.name)


def _public_callables() -> Iterator[Callable[..., Any]]:
    seen: set[int] = set()
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if obj is None or id(obj) in seen:
                continue
            seen.add(id(obj))
            if inspect.isfunction(obj):
                yield obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr != "__init__":
                        continue
                    if isinstance(member, classmethod | staticmethod):
                        member = member.__func__
                    if inspect.isfunction(member):
                        yield member


def _parameters() -> list[tuple[str, str]]:
    out = []
    for func in _public_callables():
        try:
            params = inspect.signature(func).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins
            continue
        for p in params.values():
            if p.name not in ("self", "cls") and not p.name.startswith("_"):
                out.append((func.__qualname__, p.name))
    return out


PARAMETERS = _parameters()


def test_the_api_is_walked():
    names = {name for _, name in PARAMETERS}
    assert {"fps", "min_score", "object_id", "kp"} <= names
    assert len(PARAMETERS) > 300


def test_no_synonyms():
    found = {f"{q}({name})" for q, name in PARAMETERS if name in SYNONYMS}
    bad = sorted(
        f"{where}: say {SYNONYMS[where.rsplit('(', 1)[1][:-1]]}"
        for where in found - set(EXCEPTIONS)
    )
    assert not bad, "a second name for a concept that has one:\n" + "\n".join(bad)


def test_exceptions_are_still_needed():
    found = {f"{q}({name})" for q, name in PARAMETERS}
    gone = sorted(set(EXCEPTIONS) - found)
    assert not gone, f"renamed or gone, take them off EXCEPTIONS: {gone}"


def test_every_name_is_in_the_vocabulary():
    new = sorted(
        {
            f"{q}({name})"
            for q, name in PARAMETERS
            if name not in VOCABULARY and name not in SYNONYMS
        }
    )
    assert not new, (
        "parameter names outside the vocabulary (tests/test_vocabulary.py): use the agreed name, "
        "or add a new concept to VOCABULARY:\n" + "\n".join(new)
    )
