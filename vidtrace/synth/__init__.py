"""Stage 8 of the pipeline (synth & eval): the transformation engine.

It writes query videos with exact ground truth from real footage: reference videos joined from
clips (`concat_videos`), copies cut from them and edited (`render_copy`), queries spliced from
copies and unrelated filler (`compose_query`), pan/zoom footage made from photos (`PanZoom`,
`join_footage`), and whole benchmarks (`build_benchmark`). Edits
are small frozen dataclasses (crop, scale, border, canvas, picture-in-picture and its reverse,
a foreign inset, flip, colour, grayscale, blur, noise, text, logo, rotation; speed, frame rate,
re-encoding) that round-trip through JSON (`Edit.to_json`, `edit_from_json`), which is how
ground truth records them. The metrics that score detections against this ground truth live
in `vidtrace.evaluate`.
"""

from vidtrace.synth.appearance import Blur, Color, Grayscale, Noise
from vidtrace.synth.base import Edit, EditKind, RenderEdit, SpatialEdit
from vidtrace.synth.benchmark import BenchmarkSpec, build_benchmark
from vidtrace.synth.edits import EDIT_TYPES, RenderParams, edit_from_json, split_chain
from vidtrace.synth.geometry import (
    Border,
    Canvas,
    CanvasFill,
    CanvasPattern,
    Crop,
    HFlip,
    Rotate,
    RotateFill,
    Scale,
)
from vidtrace.synth.overlay import Corner, Logo, Text
from vidtrace.synth.panzoom import (
    PanZoom,
    PanZoomReader,
    join_footage,
    random_panzoom,
    render_panzoom,
)
from vidtrace.synth.pip import Inset, PictureInPicture
from vidtrace.synth.randomize import EditPool, random_chain, random_edit
from vidtrace.synth.render import CopyPiece, FillerPiece, compose_query, concat_videos, render_copy
from vidtrace.synth.temporal import FrameRate, Reencode, Speed
from vidtrace.synth.videoio import Fit, FrameReader, VideoWriter

__all__ = [
    "EDIT_TYPES",
    "BenchmarkSpec",
    "Blur",
    "Border",
    "Canvas",
    "CanvasFill",
    "CanvasPattern",
    "Color",
    "CopyPiece",
    "Corner",
    "Crop",
    "Edit",
    "EditKind",
    "EditPool",
    "FillerPiece",
    "Fit",
    "FrameRate",
    "FrameReader",
    "Grayscale",
    "HFlip",
    "Inset",
    "Logo",
    "Noise",
    "PanZoom",
    "PanZoomReader",
    "PictureInPicture",
    "Reencode",
    "RenderEdit",
    "RenderParams",
    "Rotate",
    "RotateFill",
    "Scale",
    "SpatialEdit",
    "Speed",
    "Text",
    "VideoWriter",
    "build_benchmark",
    "compose_query",
    "concat_videos",
    "edit_from_json",
    "join_footage",
    "random_chain",
    "random_edit",
    "random_panzoom",
    "render_copy",
    "render_panzoom",
    "split_chain",
]
