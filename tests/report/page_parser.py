"""A small HTML reader for the report and page tests: every element with its attributes and
text, from the standard library's parser (what a browser would build, minus scripts)."""

import base64
from dataclasses import dataclass, field
from html.parser import HTMLParser

import numpy as np

VOID = {"img", "meta", "br", "input", "hr", "link", "circle", "rect", "line"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list["Element"] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.all: list[Element] = []
        self.stack: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        if self.stack:
            self.stack[-1].children.append(el)
        self.all.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self.stack:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for el in self.stack:
            el.text += data


def parse(html: str) -> list[Element]:
    """Every element of `html`, in document order."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.all


def select(elements: list[Element], tag: str, cls: str | None = None) -> list[Element]:
    return [e for e in elements if e.tag == tag and (cls is None or cls in e.classes)]


def decode_data_uri(uri: str) -> np.ndarray | None:
    """The image of a data:image/jpeg;base64 URI decoded by OpenCV (None if it does not
    decode)."""
    import cv2

    head, _, payload = uri.partition(",")
    if head != "data:image/jpeg;base64":
        return None
    buf = np.frombuffer(base64.b64decode(payload), np.uint8)
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)
