"""Procedural surface patterns: the classes of the toy patterns benchmark
set (``toy_patterns.py``) and, disjoint from them, of the backbone's
pre-training set (``benchmarks/pretrain.py``), as ImageNet's classes
are not VOC's.

Every family is a pure function of a generator and the pixel grid:
``family(rng, u, v, k, phase) -> (H, W)`` mix weights in [0, 1] between an
object's two colours, where ``u, v`` are the pixel coordinates rotated by a
random angle about a random centre and ``k = 2 pi / period``. The radial
families (rings, spiral, sunburst, ...) centre on that point. Only
numpy and cv2.
"""
from typing import Callable, Dict, Tuple

import cv2
import numpy as np

Family = Callable[..., np.ndarray]
TWO_PI = 2 * np.pi


def _tri(t: np.ndarray) -> np.ndarray:
    """Triangle wave of period 1 with values in [0, 1]."""
    return 2 * np.abs(t - np.floor(t + 0.5))


def _smooth_noise(rng: np.random.Generator, shape: Tuple[int, int],
                  cell: float) -> np.ndarray:
    """(H, W) smooth noise, unit SD, features about ``cell`` px wide."""
    h, w = shape
    coarse = rng.normal(0, 1, (int(h / cell) + 3, int(w / cell) + 3))
    noise = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    return (noise - noise.mean()) / max(float(noise.std()), 1e-6)


def _scatter_points(rng: np.random.Generator, shape: Tuple[int, int],
                    period: float) -> np.ndarray:
    """(N, 2) random (x, y) points, about one per period^2 px."""
    h, w = shape
    n = max(1, int(h * w / period**2))
    return np.stack([rng.uniform(0, w, n), rng.uniform(0, h, n)], 1)


# --- families of the benchmark set ---------------------------------------
def stripes(rng, u, v, k, phase):
    return np.sin(k * u + phase) > 0


def dots(rng, u, v, k, phase):
    return np.cos(k * u + phase) + np.cos(k * v) > 1.0


def checker(rng, u, v, k, phase):
    return np.sin(k * u + phase) * np.sin(k * v) > 0


def zigzag(rng, u, v, k, phase):
    return np.sin(k * u + phase + 4 * _tri(v * k / (2 * TWO_PI))) > 0


def bricks(rng, u, v, k, phase):
    row = k * v / np.pi  # rows half a period high
    shift = (np.floor(row) % 2) * 0.5
    mortar_row = _tri(row) > 0.75
    mortar_col = _tri(k * u / TWO_PI + shift + phase / TWO_PI) > 0.8
    return mortar_row | mortar_col


def honeycomb(rng, u, v, k, phase):
    s = (np.cos(k * u + phase) + np.cos(k * (u / 2 + v * 0.866) + phase) +
         np.cos(k * (-u / 2 + v * 0.866)))
    return s < -0.8


def spiral(rng, u, v, k, phase):
    arms = int(rng.integers(1, 5))
    theta = np.arctan2(v, u)
    return np.sin(k * np.hypot(u, v) + arms * theta + phase) > 0


def herringbone(rng, u, v, k, phase):
    column = np.floor(u * k / TWO_PI / 2)  # columns two periods wide
    slant = np.where(column % 2 == 0, 1.0, -1.0)
    return np.sin(k * (v + slant * u) + phase) > 0


# --- families of the set's version 1 only (see VERSION1_FAMILIES) -------
def rings(rng, u, v, k, phase):
    return np.sin(k * np.hypot(u, v) + phase) > 0


def crosshatch(rng, u, v, k, phase):
    return (np.sin(k * u + phase) > 0.6) | (np.sin(k * v) > 0.6)


# --- families of the pre-training set ------------------------------------
def wavy(rng, u, v, k, phase):
    amp = rng.uniform(1.5, 3.5)
    return np.sin(k * u + amp * np.sin(k * v / 3) + phase) > 0


def sunburst(rng, u, v, k, phase):
    rays = int(rng.integers(6, 17))
    return np.sin(rays * np.arctan2(v, u) + phase) > 0


def scattered_discs(rng, u, v, k, phase):
    period = TWO_PI / k
    mask = np.zeros(u.shape, np.uint8)
    for x, y in np.round(_scatter_points(rng, u.shape, period)):
        cv2.circle(mask, (int(x), int(y)), max(1, round(period / 3)), 1, -1)
    return mask


def dashes(rng, u, v, k, phase):
    row = np.floor(k * v / TWO_PI)
    offset = (row * 0.618) % 1
    return (np.sin(k * v) > 0.3) & (
        _tri(k * u / (3 * TWO_PI) + offset + phase) > 0.4)


def voronoi(rng, u, v, k, phase):
    points = _scatter_points(rng, u.shape, 1.5 * TWO_PI / k)
    seeds = np.ones(u.shape, np.uint8)
    xy = np.minimum(points.astype(int), [u.shape[1] - 1, u.shape[0] - 1])
    seeds[xy[:, 1], xy[:, 0]] = 0
    _, cells = cv2.distanceTransformWithLabels(
        seeds, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_CCOMP)
    cells = cells.astype(np.float32)
    kernel = np.ones((2, 2), np.uint8)
    return cv2.dilate(cells, kernel) != cv2.erode(cells, kernel)


def plaid(rng, u, v, k, phase):
    a = (np.sin(k * u + phase) > 0).astype(np.float32)
    b = (np.sin(0.7 * k * v) > 0.3).astype(np.float32)
    return 0.5 * a + 0.5 * b


def triangle_xor(rng, u, v, k, phase):
    a = np.sin(k * u + phase) > 0
    b = np.sin(k * (u / 2 + v * 0.866)) > 0
    c = np.sin(k * (-u / 2 + v * 0.866)) > 0
    return a ^ b ^ c


def marble(rng, u, v, k, phase):
    noise = _smooth_noise(rng, u.shape, 2.5 * TWO_PI / k)
    return 0.5 + 0.5 * np.sin(k * u + 2.5 * noise + phase)


def labyrinth(rng, u, v, k, phase):
    noise = _smooth_noise(rng, u.shape, TWO_PI / k)
    return np.abs(noise) < 0.3


def streaks(rng, u, v, k, phase):
    period = TWO_PI / k
    angle = rng.uniform(0, np.pi)
    d = period * np.array([np.cos(angle), np.sin(angle)])
    points = _scatter_points(rng, u.shape, period)
    lines = np.stack([points - d, points + d], 1)
    mask = np.zeros(u.shape, np.uint8)
    cv2.polylines(mask, list(np.round(lines).astype(np.int32)), False, 1)
    return mask


def scattered_polygons(rng, u, v, k, phase):
    period = TWO_PI / k
    points = _scatter_points(rng, u.shape, period)
    corners = int(rng.integers(3, 5))
    t = rng.uniform(0, TWO_PI, (len(points), 1)) + np.arange(
        corners) * TWO_PI / corners
    polygons = points[:, None] + 0.45 * period * np.stack(
        [np.cos(t), np.sin(t)], -1)
    mask = np.zeros(u.shape, np.uint8)
    cv2.fillPoly(mask, list(np.round(polygons).astype(np.int32)), 1)
    return mask


def concentric_squares(rng, u, v, k, phase):
    return np.sin(k * np.maximum(np.abs(u), np.abs(v)) + phase) > 0


def moire(rng, u, v, k, phase):
    du, dv = rng.uniform(-12, 12, 2)
    return np.sin(k * np.hypot(u, v)) + np.sin(
        k * np.hypot(u - du, v - dv) + phase) > 0


def crosses(rng, u, v, k, phase):
    a = np.abs(_tri(k * u / TWO_PI + phase / TWO_PI) - 0.5)
    b = np.abs(_tri(k * v / TWO_PI) - 0.5)
    return ((a < 0.12) & (b < 0.35)) | ((b < 0.12) & (a < 0.35))


# --- families of the sixteen-class variant only (CLASSES16_FAMILIES) ------
# Chosen to look unlike the benchmark's eight and the pre-training's
# families at periods of 4-8 px, from contact sheets of random draws
# (docs/en/benchmarks/toy_patterns.md, "More classes"); none was trained on.
def speckle(rng, u, v, k, phase):
    """Random two-colour blocks half a period wide."""
    cell = max(1.0, TWO_PI / k / 2)
    table = rng.random((64, 64)) > 0.5
    iu = np.floor(u / cell).astype(np.int64) % 64
    iv = np.floor(v / cell).astype(np.int64) % 64
    return table[iu, iv]


def grass(rng, u, v, k, phase):
    """Short strokes, each at its own random angle."""
    period = TWO_PI / k
    points = _scatter_points(rng, u.shape, 0.8 * period)
    angle = rng.uniform(0, np.pi, len(points))
    d = 0.6 * period * np.stack([np.cos(angle), np.sin(angle)], 1)
    mask = np.zeros(u.shape, np.uint8)
    lines = np.stack([points - d, points + d], 1)
    cv2.polylines(mask, list(np.round(lines).astype(np.int32)), False, 1)
    return mask


def contours(rng, u, v, k, phase):
    """Contour lines of a smooth random height field."""
    noise = _smooth_noise(rng, u.shape, 4 * TWO_PI / k)
    return np.abs((noise * 2.5 + phase / TWO_PI) % 1.0 - 0.5) < 0.15


def stars(rng, u, v, k, phase):
    """Scattered five-pointed stars."""
    period = TWO_PI / k
    mask = np.zeros(u.shape, np.uint8)
    radius = np.where(np.arange(10) % 2 == 0, 0.7 * period, 0.28 * period)
    for x, y in _scatter_points(rng, u.shape, 1.4 * period):
        t = rng.uniform(0, TWO_PI) + np.arange(10) * TWO_PI / 10
        star = np.stack([x + radius * np.cos(t), y + radius * np.sin(t)], 1)
        cv2.fillPoly(mask, [np.round(star).astype(np.int32)], 1)
    return mask


def barcode(rng, u, v, k, phase):
    """Parallel bars of random widths (multiples of a third of a
    period)."""
    cell = max(1.0, TWO_PI / k / 3)
    table = rng.random(256) > 0.5
    return table[np.floor(u / cell).astype(np.int64) % 256]


def bullseyes(rng, u, v, k, phase):
    """Scattered targets: a ring around a dot."""
    period = TWO_PI / k
    mask = np.zeros(u.shape, np.uint8)
    for x, y in np.round(_scatter_points(rng, u.shape, 2 * period)):
        c = (int(x), int(y))
        cv2.circle(mask, c, max(3, round(period)), 1, -1)
        cv2.circle(mask, c, max(2, round(0.65 * period)), 0, -1)
        cv2.circle(mask, c, max(1, round(0.3 * period)), 1, -1)
    return mask


def scales(rng, u, v, k, phase):
    """Fish scales: rows of arcs, each row offset by half an arc."""
    p = 1.5 * TWO_PI / k
    row = np.floor(v / p)
    across = u / p + 0.5 * (row % 2) + phase / TWO_PI
    du = across - np.floor(across) - 0.5
    return np.abs(np.hypot(du, v / p - row) - 0.5) < 0.12


def scattered_rings(rng, u, v, k, phase):
    """Scattered thin circles."""
    period = TWO_PI / k
    mask = np.zeros(u.shape, np.uint8)
    for x, y in np.round(_scatter_points(rng, u.shape, 1.3 * period)):
        cv2.circle(mask, (int(x), int(y)), max(2, round(period / 2.2)), 1, 1)
    return mask


# The ten classes of the set's version 1, in its label order, which the
# supervised arm could not tell apart (docs/en/benchmarks/toy_patterns.md):
# for probes (``make_toy_patterns(..., families=VERSION1_FAMILIES)``).
VERSION1_FAMILIES: Dict[str, Family] = dict(
    stripes=stripes,
    dots=dots,
    checker=checker,
    rings=rings,
    zigzag=zigzag,
    crosshatch=crosshatch,
    bricks=bricks,
    honeycomb=honeycomb,
    spiral=spiral,
    herringbone=herringbone)
# The benchmark's classes (version 2), in label order (label = index + 1):
# version 1's without rings and crosshatch, the two a frozen pre-trained
# backbone told least well from stripes and checker.
BENCHMARK_FAMILIES: Dict[str, Family] = {
    name: family
    for name, family in VERSION1_FAMILIES.items()
    if name not in ('rings', 'crosshatch')
}
# The sixteen-class variant's classes, in label order: the benchmark's eight
# (labels 1-8 as there), then eight more (9-16), none a pre-training family.
CLASSES16_FAMILIES: Dict[str, Family] = dict(
    BENCHMARK_FAMILIES,
    speckle=speckle,
    grass=grass,
    contours=contours,
    stars=stars,
    barcode=barcode,
    bullseyes=bullseyes,
    scales=scales,
    scattered_rings=scattered_rings)
# The pre-training set's families (each in two period bands).
PRETRAIN_FAMILIES: Dict[str, Family] = dict(
    wavy=wavy,
    sunburst=sunburst,
    scattered_discs=scattered_discs,
    dashes=dashes,
    voronoi=voronoi,
    plaid=plaid,
    triangle_xor=triangle_xor,
    marble=marble,
    labyrinth=labyrinth,
    streaks=streaks,
    scattered_polygons=scattered_polygons,
    concentric_squares=concentric_squares,
    moire=moire,
    crosses=crosses)


def pattern_weights(rng: np.random.Generator, family: Family, h: int,
                    w: int, period: Tuple[float, float]) -> np.ndarray:
    """(h, w) float32 mix weights in [0, 1] of one draw of ``family``: a
    random angle, centre, phase and a period log-uniform in ``period``
    (px)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    u = (x - cx) * np.cos(angle) + (y - cy) * np.sin(angle)
    v = -(x - cx) * np.sin(angle) + (y - cy) * np.cos(angle)
    p = float(np.exp(rng.uniform(np.log(period[0]), np.log(period[1]))))
    phase = rng.uniform(0, TWO_PI)
    t = family(rng, u, v, TWO_PI / p, phase)
    return np.clip(np.asarray(t, np.float32), 0, 1)
