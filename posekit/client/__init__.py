"""The REST client for the Kakao Pose API and the posekit server (which speaks the same API).

>>> import posekit as pk
>>> client = pk.Client(api_key="...", base_url="http://127.0.0.1:8000")  # doctest: +SKIP
>>> res = client.analyze_video("clip.mp4", smoothing=False)  # doctest: +SKIP
"""

from __future__ import annotations

from posekit.client._callback import CallbackReceiver, Delivery, callback_receiver, parse_callback
from posekit.client._client import DEFAULT_BASE_URL, Client, JobInfo, check_job_id
from posekit.client._http import KAKAO_ERRORS, RetryPolicy, error_from_response
from posekit.client._inputs import (
    MAX_IMAGE_BYTES,
    MAX_LONG_SIDE,
    MAX_VIDEO_BYTES,
    MIN_SHORT_SIDE,
    ImageCheck,
    PreparedImage,
    check_image,
    prepare_image,
)
from posekit.client._videos import VideoOutcome

__all__ = [
    "DEFAULT_BASE_URL",
    "KAKAO_ERRORS",
    "MAX_IMAGE_BYTES",
    "MAX_LONG_SIDE",
    "MAX_VIDEO_BYTES",
    "MIN_SHORT_SIDE",
    "CallbackReceiver",
    "Client",
    "Delivery",
    "ImageCheck",
    "JobInfo",
    "PreparedImage",
    "RetryPolicy",
    "VideoOutcome",
    "callback_receiver",
    "check_image",
    "check_job_id",
    "error_from_response",
    "parse_callback",
    "prepare_image",
]
