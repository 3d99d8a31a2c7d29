"""The served OpenAPI document, written out by hand.

The request bodies are read as streams, so FastAPI cannot infer them, and the response schemas
come from :mod:`posekit.schema`.
"""

from __future__ import annotations

import copy
from typing import Any

import msgspec

from posekit import __version__
from posekit.schema import N_JOINTS, STATUSES, ErrorBody, JobResult, JobSubmitted, Person
from posekit.server.config import ServerConfig

__all__ = ["openapi_document"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Bad parameter (code -2), internal error (code -1)",
        401: "Missing or wrong app key (code -401)",
        413: "Upload or download larger than the limit (code -2)",
        429: "Queue full or too many requests in flight (code -10); see Retry-After",
    }
    return {str(s): _json(_ref("ErrorBody"), text[s]) for s in statuses}


def openapi_document(config: ServerConfig) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the three endpoints, with ``config``'s limits.

    The server answers it at ``/openapi.json``.

    Parameters
    ----------
    config
        The server's configuration (its upload limits appear in the descriptions).

    Returns
    -------
    dict
        The document, ready for ``json.dumps``.

    Examples
    --------
    >>> from posekit.server import ServerConfig
    >>> from posekit.server.openapi import openapi_document
    >>> doc = openapi_document(ServerConfig(keys=("my-key",), data_dir="/tmp/pk-server"))
    >>> doc["openapi"], sorted(doc["paths"])
    ('3.1.0', ['/pose', '/pose/job', '/pose/job/{job_id}'])
    >>> doc["components"]["schemas"]["Person"]["properties"]["keypoints"]["maxItems"]
    51
    """
    _, components = msgspec.json.schema_components(
        [list[Person], JobResult, JobSubmitted, ErrorBody],
        ref_template="#/components/schemas/{name}",
    )
    components = copy.deepcopy(components)
    person = components["Person"]["properties"]
    person["keypoints"].update(minItems=3 * N_JOINTS, maxItems=3 * N_JOINTS)
    person["bbox"].update(minItems=4, maxItems=4)
    person["category_id"]["const"] = 1
    components["JobResult"]["properties"]["status"]["enum"] = list(STATUSES)
    components["ErrorBody"]["description"] = (
        "Kakao's error body: -1 internal, -2 bad parameter, -10 quota (queue full), "
        "-401 wrong app key."
    )
    smoothing = {
        "type": "string",
        "enum": ["true", "false"],
        "default": "true",
        "description": "Smooth keypoints between frames.",
    }
    callback = {
        "type": "string",
        "format": "uri",
        "description": "Called once (POST, the job result) when the job ends; never retried.",
    }
    binary = {"type": "string", "format": "binary"}
    image_mb = config.max_image_bytes / 2**20
    video_mb = config.max_video_bytes / 2**20
    security: list[dict[str, list[str]]] = [{"KakaoAK": []}]
    paths = {
        "/pose": {
            "post": {
                "summary": "Estimate the poses of the people in one image",
                "operationId": "pose_image",
                "security": security,
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": binary},
                                "required": ["file"],
                            }
                        },
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"image_url": {"type": "string", "format": "uri"}},
                                "required": ["image_url"],
                            }
                        },
                    },
                    "description": f"JPEG, PNG or WebP image, at most {image_mb:g} MB.",
                },
                "responses": {
                    "200": _json({"type": "array", "items": _ref("Person")}, "The people found"),
                    **_errors(400, 401, 413, 429),
                },
            }
        },
        "/pose/job": {
            "post": {
                "summary": "Start a pose estimation job on a video",
                "operationId": "pose_job",
                "security": security,
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": binary,
                                    "smoothing": smoothing,
                                    "callback_url": callback,
                                },
                                "required": ["file"],
                            }
                        },
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "video_url": {"type": "string", "format": "uri"},
                                    "smoothing": smoothing,
                                    "callback_url": callback,
                                },
                                "required": ["video_url"],
                            }
                        },
                    },
                    "description": f"A video file or URL, at most {video_mb:g} MB.",
                },
                "responses": {
                    "200": _json(_ref("JobSubmitted"), "The job was accepted"),
                    **_errors(400, 401, 413, 429),
                },
            }
        },
        "/pose/job/{job_id}": {
            "get": {
                "summary": "The status, and when done the result, of a job",
                "operationId": "pose_job_status",
                "security": security,
                "parameters": [
                    {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": _json(
                        _ref("JobResult"),
                        "waiting, processing, success (with the result), failed (with "
                        "description) or not found (unknown, or older than the retention)",
                    ),
                    **_errors(400, 401),
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "posekit Pose API (Kakao-compatible)",
            "version": __version__,
            "description": "Kakao Brain's Pose API (cv-api.kakaobrain.com) served by posekit.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "KakaoAK": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`KakaoAK <REST API key>`",
                }
            },
        },
    }
