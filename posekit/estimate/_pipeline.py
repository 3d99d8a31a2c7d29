"""The multi-person pipeline for one frame: track, detect on tiles, landmarks, NMS, identities.

Per frame:

1. every person found in the previous frame is *tracked*: the landmark model runs on a crop
   placed from that person's auxiliary points 33/34 (no detector needed);
2. the detector runs on the whole frame and on square tiles along the long side (people who
   are small once the whole frame is shrunk to 224 px are found in a tile); a detection whose
   crop overlaps a tracked crop is the same person and is dropped; the others get landmarks
   (twice: once on the detector's crop, once on the crop placed from those landmarks);
3. poses whose presence probability is below ``min_presence`` are ghosts and are dropped;
4. non-maximum suppression on the keypoint boxes removes duplicates (tracked poses win), but
   two bodies that share no landmark and whose heads are apart are two people however much
   their boxes overlap; when two tracks' crops land on one person (one crop drifted onto a
   neighbour), the track that moved least keeps that person and the other is looked for
   again (the detector near its last place), never on someone another track holds;
5. new poses take the identity of a recently lost track when their boxes overlap (Hungarian
   matching on box IoU), else a new ``object_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from posekit.estimate._detector import Detector
from posekit.estimate._landmarks import Frame, Landmarker, Pose39, Roi

__all__ = ["BLAZE_TO_COCO", "FramePose", "PosePipeline", "tile_regions"]

#: BlazePose landmark index of each COCO-17 joint.
BLAZE_TO_COCO = np.array([0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])
_BODY = np.arange(33)


def tile_regions(width: int, height: int, *, tiles: bool = True) -> list[tuple[int, int, int, int]]:
    """The whole frame, plus squares of the short side spread evenly along the long side.

    A 1768×994 frame gets two 994×994 tiles (left, right); a 1080×1920 one gets two 1080×1080
    tiles (top, bottom). Frames closer to square than 1.3:1 get no tiles.
    """
    regions = [(0, 0, width, height)]
    short, long = min(width, height), max(width, height)
    if not tiles or long < 1.3 * short:
        return regions
    n = int(np.ceil(long / short))
    starts = np.linspace(0, long - short, n).round().astype(int)
    for s in starts:
        regions.append((int(s), 0, short, short) if width > height else (0, int(s), short, short))
    return regions


def fine_regions(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Squares of half the short side, overlapping by half, covering the frame.

    A person ~100 px tall is ~25 px in the detector's input once the whole frame is shrunk to 224
    px, ~50 px in a tile of the short side, and ~100 px here.
    """
    short = min(width, height)
    side = max(short // 2, 1)
    xs = np.linspace(0, width - side, max(int(np.ceil(2 * width / side)) - 1, 1)).round()
    ys = np.linspace(0, height - side, max(int(np.ceil(2 * height / side)) - 1, 1)).round()
    return [(int(x), int(y), side, side) for y in ys for x in xs]


@dataclass
class FramePose:
    """A person in one frame: identity and the model's answer."""

    object_id: int
    pose: Pose39
    tracked: bool  # found by following the previous frame's pose (not a fresh detection)


@dataclass
class _Track:
    object_id: int
    pose: Pose39
    last_frame: int
    first_frame: int
    box: np.ndarray = field(default_factory=lambda: np.zeros(4))
    prev: Pose39 | None = None  # the pose one frame before ``pose``, when there was one
    seen: int = 0  # frames the person was found in


#: A pose found in this frame and the ``object_id`` of the track it continues (None: a fresh
#: detection, its identity decided in step 4).
_Candidate = tuple[Pose39, int | None]


def _overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """IoU and intersection over the smaller box."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(x1 - x0, 0.0) * max(y1 - y0, 0.0)
    area_a = max(a[2] - a[0], 0.0) * max(a[3] - a[1], 0.0)
    area_b = max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)
    union = area_a + area_b - inter
    return inter / max(union, 1e-9), inter / max(min(area_a, area_b), 1e-9)


def _similarity(new: np.ndarray, old: np.ndarray, slack: float = 1.0) -> float:
    """How likely two boxes frame the same person a few frames apart.

    Their IoU, or the closeness of centres relative to the old box's size (a person turning a flip
    changes box shape); ``slack`` > 1 allows more travel (more frames have passed).
    """
    iou = _overlap(new, old)[0]
    scale = slack * max(np.sqrt((old[2] - old[0]) * (old[3] - old[1])), 1.0)
    dist = np.hypot(
        (new[0] + new[2] - old[0] - old[2]) / 2, (new[1] + new[3] - old[1] - old[3]) / 2
    )
    return float(max(iou, 1.0 - dist / scale))


def _shared(a: Pose39, b: Pose39) -> float:
    """The share of the 33 body landmarks two poses have in common.

    Share of the 33 body landmarks of ``a`` and ``b`` that coincide (within a tenth of the
    smaller body's size).
    """
    size = min(np.ptp(a.xy[:33], axis=0).max(), np.ptp(b.xy[:33], axis=0).max())
    close = np.linalg.norm(a.xy[:33] - b.xy[:33], axis=1) < 0.1 * max(size, 1.0)
    return float(close.mean())


def _same_placement(points: np.ndarray, pose: Pose39, tol: float = 0.25) -> bool:
    """Whether a detection would crop the person of ``pose`` again.

    True when a detection's hip centre and scale point (2, 2) are where ``pose``'s
    auxiliary points 33/34 are (within ``tol`` of their distance): the detection would crop
    the same person again. (Overlapping crops are not enough: the crops of two people side by
    side, or of one close behind another, overlap by much more than a third.)
    """
    aux = pose.xy[33:35]
    scale = max(float(np.linalg.norm(aux[1] - aux[0])), 1.0)
    return bool(np.linalg.norm(points - aux, axis=1).max() < tol * scale)


def _spread(pose: Pose39, least: float = 0.5, upright: float = 1.5) -> bool:
    """Whether a small body found by the fine scan looks like a standing person.

    True when a small body found by the fine scan looks like a standing person: the
    diagonal of the 33 landmarks' box is at least ``least`` of the crop's side (people
    measured 0.9-1.1 of it; poses hallucinated on a post 0.3-0.4) and the box is at least
    ``upright`` times taller than wide (a bystander 4.7; poses hallucinated on ceiling
    cameras and lamps 0.6-0.8; Pose2Sim Demo_MultiPerson and S01).
    """
    box = pose.box(_BODY)
    w, h = box[2] - box[0], box[3] - box[1]
    return bool(np.hypot(w, h) >= least * pose.roi.size and h >= upright * w)


def _on_body(a: Pose39, b: Pose39) -> bool:
    """Whether ``a`` is a body read into ``b``'s trunk or legs.

    True when most of ``a``'s face (landmarks 0-10) lies on ``b``'s torso or legs: a body
    read into another person's trunk or legs (a detector hit on someone's thighs gives a
    "person" whose head is on them). A real person beside or behind ``b`` shows their head
    beside ``b``'s body, even when their boxes overlap (Pose2Sim Demo_MultiPerson: the woman
    standing next to the participant, whose raised arm reaches across her box).
    """
    if _face_on_torso(a, b) or _face_on_torso(a.xy[[11, 12, 23, 24]].mean(0), b):
        return True  # its face, or the middle of its trunk, on the other's trunk
    torso = float(np.linalg.norm((b.xy[11] + b.xy[12] - b.xy[23] - b.xy[24]) / 2))
    radius = 0.2 * max(torso, 1.0)
    face = a.xy[:11]
    near = np.zeros(len(face), dtype=bool)
    for i, j in ((23, 25), (25, 27), (24, 26), (26, 28), (23, 24)):
        p, q = b.xy[i], b.xy[j]
        d = q - p
        t = np.clip(((face - p) @ d) / max(float(d @ d), 1e-9), 0.0, 1.0)
        near |= np.linalg.norm(face - (p + t[:, None] * d), axis=1) < radius
    return bool(near.mean() > 0.5)


def _at_edge(box: np.ndarray, size: tuple[int, int]) -> bool:
    """True when a person's box touches the picture's border (within 2% of its long side)."""
    margin = 0.02 * max(size)
    return bool(
        box[0] < margin or box[1] < margin or box[2] > size[0] - margin or box[3] > size[1] - margin
    )


def _motion(pose: Pose39, last: Pose39) -> float:
    """How far a pose moved from the track's last one, in body sizes.

    Median landmark displacement from ``last`` (the track's pose in its last frame), as a
    share of that body's size: small for the person the track has followed, large for a
    neighbour the crop has drifted onto.
    """
    size = max(float(np.ptp(last.xy[:33], axis=0).max()), 1.0)
    return float(np.median(np.linalg.norm(pose.xy[:33] - last.xy[:33], axis=1)) / size)


def _face_on_torso(a: Pose39 | np.ndarray, b: Pose39) -> bool:
    """Whether most of ``a``'s face lies on ``b``'s torso.

    True when most of ``a``'s face (its landmarks 0-10, or given points) lies on ``b``'s
    torso (shoulders-hips quadrilateral): a head cannot be seen there, so ``a`` is a body
    hallucinated out of ``b``.
    """
    quad = b.xy[[11, 12, 24, 23]]
    quad = quad.mean(0) + 1.3 * (quad - quad.mean(0))  # a little wider: arms, clothes
    face = a.xy[:11] if isinstance(a, Pose39) else np.atleast_2d(a)
    edges = np.roll(quad, -1, axis=0) - quad  # (4, 2)
    rel = face[:, None, :] - quad[None, :, :]  # (11, 4, 2)
    cross = edges[None, :, 0] * rel[..., 1] - edges[None, :, 1] * rel[..., 0]
    inside = (cross >= 0).all(1) | (cross <= 0).all(1)
    return bool(inside.mean() > 0.5)


class PosePipeline:
    """Stateful multi-person estimator: call it on consecutive frames of one video.

    Parameters
    ----------
    detector, landmarker
        The two models.
    tiles
        Also run the detector on square tiles (finds small people; costs one detector run per
        tile).
    min_presence
        Pose presence probability below which a pose is rejected as a ghost.
    detect_every
        Run the detector every this many frames (1: every frame). Tracked people are followed
        in between; new people are picked up at the next detector frame.
    nms_iou
        Keypoint-box IoU above which two poses are the same person.
    max_lost_frames
        A lost track can be picked up again (same ``object_id``) for this many frames.
    scan_every
        Every this many frames (0: never), the detector also scans the frame in finer tiles
        (:func:`fine_regions`), for people too small for the whole frame and its big tiles;
        after the first three scans, only every third time unless someone was lost inside
        the picture recently.
    apart
        Two overlapping poses sharing fewer than this share of their landmarks (within a
        tenth of the body's size) are two people, however much their boxes overlap - unless
        one's face or the middle of its trunk lies on the other's trunk or legs (a body read
        into someone's thighs); ``0`` drops every pose whose box overlaps a kept one.
    search, search_frames, search_presence
        For this many frames after losing someone, look for them with rotated crops around
        their last place (accepting a crop whose presence reaches ``search_presence`` and
        holds when re-cropped).
    """

    def __init__(
        self,
        detector: Detector,
        landmarker: Landmarker,
        *,
        tiles: bool = True,
        min_presence: float = 0.5,
        detect_every: int = 1,
        nms_iou: float = 0.4,
        max_lost_frames: int = 30,
        min_roi_px: float = 24.0,
        search: bool = True,
        search_frames: int = 12,
        search_presence: float = 0.8,
        two_pass: bool = False,
        apart: float = 0.1,
        scan_every: int = 10,
    ) -> None:
        self.apart = apart
        self.scan_every = scan_every
        self.search = search
        self.two_pass = two_pass
        self.search_frames = search_frames
        self.search_presence = search_presence
        self.detector = detector
        self.landmarker = landmarker
        self.tiles = tiles
        self.min_presence = min_presence
        self.detect_every = max(int(detect_every), 1)
        self.nms_iou = nms_iou
        self.max_lost_frames = max_lost_frames
        self.min_roi_px = min_roi_px
        self._tracks: dict[int, _Track] = {}
        # imported here, not on the first re-identification: importing scipy.optimize takes
        # ~0.2 s, which would otherwise land in the middle of the first video's frame loop
        from scipy.optimize import linear_sum_assignment

        self._assign = linear_sum_assignment
        self._next_id = 0
        self._frame = -1

    def reset(self) -> None:
        self._tracks.clear()
        self._next_id = 0
        self._frame = -1

    def prepare(self, count: int, frame: Frame) -> None:
        """Prepare the detector's inputs for a frame ahead of processing it.

        Work for the ``count``-th frame (0-based) that can be done before it is processed,
        in the decoding thread: the detector's inputs (resized whole frame and tiles) when the
        detector is due on that frame. Results are the same as without it; the main thread
        is spared the resizing (~3-5 ms per detector frame at 1768×994), which then overlaps
        inference.
        """
        if count % self.detect_every:
            return
        regions = tile_regions(frame.width, frame.height, tiles=self.tiles)
        frame.prepared[tuple(regions)] = self.detector.prepare(frame, regions)
        frame.drop_image()  # the crops read the array; keep queued frames small

    def _landmarks(self, image: Frame, roi: Roi) -> Pose39 | None:
        if roi.size < self.min_roi_px:
            return None
        pose = self.landmarker(image, roi)
        return pose if pose.flag >= self.min_presence else None

    def _follow(self, image: Frame, track: _Track) -> Pose39 | None:
        """The tracked person in this frame, found from a crop alone.

        The crop from last frame's points 33/34 (mediapipe's way), else the same crop moved on by
        last frame's motion. Only for a person found in the previous frame.
        """
        if track.last_frame != self._frame - 1:
            return None
        aux = track.pose.xy[33:35]
        pose = self._landmarks(image, Roi.from_points(aux[0], aux[1]))
        if pose is not None and self.two_pass:
            # the crop placed from this frame's own points is better centred on the person
            pose = self._landmarks(image, Roi.from_points(pose.xy[33], pose.xy[34])) or pose
        if pose is not None:
            return pose
        if track.prev is not None:
            ahead = 2 * aux - track.prev.xy[33:35]
            pose = self._landmarks(image, Roi.from_points(ahead[0], ahead[1]))
            if pose is not None and self._plausible(pose, track):
                return pose
        return None

    def _recover(self, image: Frame, track: _Track, taken: list[Pose39]) -> Pose39 | None:
        """A tracked person the crop did not find, looked for again.

        A tracked person the crop did not find (or found on someone another track holds):
        the detector on the neighbourhood of the last crop; and, for a person lost a few
        frames ago (a flip, a fast turn), a search over rotated crops around where they were.
        A search hit must survive one round of re-cropping from its own points, which a pose
        hallucinated on background rarely does. Nobody in ``taken`` (people other tracks
        hold in this frame) is taken again.
        """

        def free(pose: Pose39) -> bool:
            return not any(_shared(pose, k) > 0.25 for k in taken)

        roi = track.pose.roi
        side = int(min(roi.size * 1.5, image.width, image.height))
        x0 = int(np.clip(roi.cx - side / 2, 0, image.width - side))
        y0 = int(np.clip(roi.cy - side / 2, 0, image.height - side))
        for det in self.detector(image, [(x0, y0, side, side)]):
            if _similarity(det.box, roi.box()) < 0.3:  # someone else in the neighbourhood
                continue
            if any(_same_placement(det.keypoints[:2], k) for k in taken):
                continue  # the person another track holds
            pose = self._confirmed(image, Roi.from_points(det.keypoints[0], det.keypoints[1]))
            if pose is not None and self._plausible(pose, track) and free(pose):
                return pose
        # Search only for someone established (not a passing ghost) who vanished inside the
        # picture; a person whose box touched the border has simply left the view.
        if not self.search or track.seen < 10 or _at_edge(track.box, image.size):
            return None
        for size in (roi.size, roi.size * 1.25):
            for k in (1, -1, 2, -2, 3, -3, 4):
                cand = Roi(roi.cx, roi.cy, size, roi.rotation + k * np.pi / 4)
                pose = self._confirmed(image, cand, first=self.search_presence)
                # a body curled up in a somersault is half as long as when it took off
                if pose is not None and self._plausible(pose, track, least=0.3) and free(pose):
                    return pose
        return None

    def _scan_due(self, size: tuple[int, int]) -> bool:
        """Whether the fine scan runs in this frame.

        Every ``scan_every`` frames over the first three scans (people are in view from the start)
        and while someone established has been lost inside the picture in the last
        ``max_lost_frames`` frames; otherwise every third time (a newcomer enters at an edge, where
        the whole frame and its big tiles see them once they are a few hundred pixels tall). The
        scan is 21 detector runs on a 16:9 frame, ~2 per frame when it runs every 10 frames.
        """
        if not (self.tiles and self.scan_every) or self._frame % self.scan_every:
            return False
        if self._frame < 3 * self.scan_every or self._frame % (3 * self.scan_every) == 0:
            return True
        return any(
            1 < self._frame - t.last_frame <= self.max_lost_frames  # not followed last frame
            and t.seen >= 5
            and not _at_edge(t.box, size)
            for t in self._tracks.values()
        )

    def _reid(self, box: np.ndarray, track: _Track) -> float:
        """The similarity of a fresh pose's box to a lost track.

        Similarity of a fresh pose's box to a lost track: more travel is allowed the longer
        the track has been lost, relative to the body's size (its crop, which a crumpled
        pose in the last frames - mid-flip, say - does not shrink).
        """
        side = np.sqrt(max((track.box[2] - track.box[0]) * (track.box[3] - track.box[1]), 1.0))
        slack = max(track.pose.roi.size / 2 / side, 1.0) * (
            1 + (self._frame - track.last_frame) / 10
        )
        return _similarity(box, track.box, slack)

    @staticmethod
    def _plausible(pose: Pose39, track: _Track, *, least: float = 0.5) -> bool:
        """Whether a pose found by a fallback route may continue ``track``.

        A pose found by a fallback route may continue ``track``: near its last place, and
        of about its size (a body does not halve or double between nearby frames: its crop,
        which follows the body's scale, stays within 0.6-1.6 of the last one; the box of its
        landmarks, which also follows its shape, within ``least``-2 of the last one).
        """
        box = pose.box(_BODY)
        if _similarity(box, track.box) <= 0.3:
            return False
        diag = np.hypot(box[2] - box[0], box[3] - box[1])
        last = np.hypot(track.box[2] - track.box[0], track.box[3] - track.box[1])
        ratio = pose.roi.size / max(track.pose.roi.size, 1.0)
        return least < diag / max(last, 1.0) < 2.0 and 0.6 < ratio < 1.6

    def _confirmed(self, image: Frame, roi: Roi, *, first: float | None = None) -> Pose39 | None:
        """Landmarks on a crop, confirmed on the crop placed from them.

        Landmarks on ``roi``, then again on the crop placed from those landmarks; the second
        answer when it holds, else the first (None if the first does not reach ``first``).
        """
        if roi.size < self.min_roi_px:
            return None
        pose = self.landmarker(image, roi)
        if pose.flag < (first if first is not None else self.min_presence):
            return None
        again = self._landmarks(image, Roi.from_points(pose.xy[33], pose.xy[34]))
        if first is not None:  # a search hit must hold when re-cropped, as convincingly
            return again if again is not None and again.flag >= first else None
        return again or pose

    def __call__(
        self, frame: Frame | np.ndarray | Image.Image, *, video: bool = True
    ) -> list[FramePose]:
        """The people in ``frame`` (RGB), found by the steps of the module's docstring.

        Parameters
        ----------
        frame
            The next frame of the video (or a picture).
        video
            False forgets earlier frames (an image: nobody is tracked from before).

        Returns
        -------
        list of FramePose
            One per person found, in ``object_id`` order.
        """
        if not video:
            self.reset()
        self._frame += 1
        image = Frame.of(frame)
        candidates = self._tracked(image)
        if self._frame % self.detect_every == 0 or not candidates:
            self._add_detections(image, candidates)
        kept, boxes = self._deduplicated(candidates)
        out = self._identified(kept, boxes)
        self._forget_lost()
        out.sort(key=lambda p: p.object_id)
        return out

    def _tracked(self, image: Frame) -> list[_Candidate]:
        """Step 1: the people of the previous frames, each under their track's ``object_id``.

        Everyone seen in the previous frame is followed from the crop of their last pose. When
        two crops land on one person (a crop drifts onto a neighbour when two people overlap in
        the picture), the track that moved least keeps that person; the other tracks, and those
        lost in the last ``search_frames`` frames, are looked for again (:meth:`_recover`),
        oldest track first, never on someone another track holds.
        """
        candidates: list[_Candidate] = []
        followed: list[tuple[Pose39, _Track]] = []
        pending: list[_Track] = []
        for track in self._tracks.values():
            if self._frame - track.last_frame > self.search_frames:
                continue
            pose = self._follow(image, track)
            if pose is not None:
                followed.append((pose, track))
            else:
                pending.append(track)
        followed.sort(key=lambda pt: _motion(pt[0], pt[1].pose))
        for pose, track in followed:
            if any(_shared(pose, k) > 0.25 or _face_on_torso(pose, k) for k, _ in candidates):
                pending.append(track)
            else:
                candidates.append((pose, track.object_id))
        for track in sorted(pending, key=lambda t: t.first_frame):
            pose = self._recover(image, track, [k for k, _ in candidates])
            if pose is not None:
                candidates.append((pose, track.object_id))
        return candidates

    def _detections(self, image: Frame) -> list[tuple[Any, float | None]]:
        """The detector's hits on the whole frame and its tiles (and the fine scan's, when due).

        Each hit comes with the presence its landmarks must reach and hold when re-cropped:
        None (``min_presence``) for the whole frame and its tiles, ``search_presence`` for a hit
        only the fine scan makes: it is small, must convince more (a pose is easily
        hallucinated on a small dark object) and hold when re-cropped.
        """
        width, height = image.size
        regions = tile_regions(width, height, tiles=self.tiles)
        found: list[tuple[Any, float | None]] = [
            (det, None) for det in self.detector(image, regions)
        ]
        if self._scan_due(image.size):
            found += [
                (det, self.search_presence)
                for det in self.detector(image, fine_regions(width, height))
            ]
        return found

    def _add_detections(self, image: Frame, candidates: list[_Candidate]) -> None:
        """Step 2: append to ``candidates`` the people the detector finds (no ``object_id``).

        A detection placed where a candidate already is (one found earlier in this loop
        included), or whose face lies on a tracked person's torso (it would only give a ghost),
        is skipped; the others get landmarks, confirmed on the crop placed from those landmarks.
        """
        for det, first in self._detections(image):
            roi = Roi.from_points(det.keypoints[0], det.keypoints[1])
            if any(_same_placement(det.keypoints[:2], p) for p, _ in candidates):
                continue
            face = (det.box[:2] + det.box[2:]) / 2
            if any(_face_on_torso(face, p) for p, oid in candidates if oid is not None):
                continue
            pose = self._confirmed(image, roi, first=first)
            if pose is not None and first is not None and not _spread(pose):
                pose = None  # a pose hallucinated on a small object (a post, a lamp)
            if pose is not None:
                candidates.append((pose, None))

    def _rank(self, item: _Candidate) -> tuple[int, float]:
        """The order in which duplicates are resolved.

        Tracked poses first (oldest track first), then fresh ones by presence.
        """
        pose, oid = item
        if oid is not None:
            return (0, float(self._tracks[oid].first_frame))
        return (1, -pose.flag)

    def _deduplicated(
        self, candidates: list[_Candidate]
    ) -> tuple[list[_Candidate], list[np.ndarray]]:
        """Step 4: the candidates without duplicates, and their keypoint boxes.

        In :meth:`_rank` order, a pose is dropped when it overlaps a kept one (box IoU above
        ``nms_iou``, or mostly inside it) and the two share at least ``apart`` of their
        landmarks or its face or trunk lies on the other's trunk or legs; or when it shares
        several landmarks with a kept one, however different its box.
        """
        candidates.sort(key=self._rank)
        kept: list[_Candidate] = []
        boxes: list[np.ndarray] = []
        for pose, oid in candidates:
            box = pose.box(_BODY)
            # a fresh pose that lies mostly inside a kept one is a part of that person seen
            # again (a detector hit on the legs, say), not a second person
            # - unless the two bodies share (almost) no landmark: one person standing
            # close behind another (Pose2Sim Demo_MultiPerson) overlaps the other's box
            # just as much
            inside_max = 0.8 if oid is not None else 0.5
            if any(
                (iou > self.nms_iou or inside > inside_max)
                and (_shared(pose, k) >= self.apart or _on_body(pose, k))
                for (iou, inside), (k, _) in zip(
                    (_overlap(box, b) for b in boxes), kept, strict=True
                )
            ):
                continue
            # a pose sharing several landmarks with a kept one is that person again, however
            # different its box (a "second body" grown out of someone's head and shoulders)
            if any(_shared(pose, k) > 0.25 or _face_on_torso(pose, k) for k, _ in kept):
                continue
            kept.append((pose, oid))
            boxes.append(box)
        return kept, boxes

    def _reidentified(self, kept: list[_Candidate], boxes: list[np.ndarray]) -> dict[int, int]:
        """The ``object_id`` of a recently lost track for the fresh poses that continue one.

        Keys are indices into ``kept``. Fresh poses and lost tracks are matched by Hungarian
        assignment on :meth:`_reid` (a match needs more than 0.2). Only established tracks
        (seen in 5 frames or more) are picked up again: a ghost seen for a frame or two must
        not lend its id to the next person who appears.
        """
        used = {oid for _, oid in kept if oid is not None}
        lost = [
            t
            for t in self._tracks.values()
            if t.object_id not in used
            and self._frame - t.last_frame <= self.max_lost_frames
            and t.seen >= 5
        ]
        fresh = [i for i, (_, oid) in enumerate(kept) if oid is None]
        assigned: dict[int, int] = {}
        if fresh and lost:
            sim = np.array([[self._reid(boxes[i], t) for t in lost] for i in fresh])
            rows, cols = self._assign(-sim)
            for r, c in zip(rows, cols, strict=True):
                if sim[r, c] > 0.2:
                    assigned[fresh[r]] = lost[c].object_id
        return assigned

    def _identified(self, kept: list[_Candidate], boxes: list[np.ndarray]) -> list[FramePose]:
        """Step 5: every kept pose under an ``object_id``, the tracks updated.

        A fresh pose takes the id of the lost track it continues (:meth:`_reidentified`), else
        a new id (and a new track).
        """
        assigned = self._reidentified(kept, boxes)
        out = []
        for i, (pose, oid) in enumerate(kept):
            tracked = oid is not None
            if oid is None:
                oid = assigned.get(i)
            if oid is None:
                oid = self._next_id
                self._next_id += 1
                self._tracks[oid] = _Track(oid, pose, self._frame, self._frame)
            track = self._tracks[oid]
            track.prev = track.pose if track.last_frame == self._frame - 1 else None
            track.pose, track.last_frame, track.box = pose, self._frame, boxes[i]
            track.seen += 1
            out.append(FramePose(oid, pose, tracked))
        return out

    def _forget_lost(self) -> None:
        """Forget the tracks lost for more than ``max_lost_frames`` frames."""
        for oid in [
            o for o, t in self._tracks.items() if self._frame - t.last_frame > self.max_lost_frames
        ]:
            del self._tracks[oid]
