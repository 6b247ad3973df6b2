"""Regenerate (or check) the README's sample output of `scripts/demo`, so it cannot drift.

    scripts/readme-samples           run the demo, write its output into README.md
    scripts/readme-samples --check   run it, exit 1 when README.md differs beyond what varies

What varies from run to run and machine to machine is masked when checking: timings (seconds
of work, x real time) and the last digits of scores and segment ends (they move with the CPU's
floating point and the ffmpeg build that re-encodes the query).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- demo-output: written by scripts/readme-samples -->", "<!-- demo-output end -->"
_VARIES = [
    (re.compile(r"in \d+(\.\d+)? s, \d+(\.\d+)?x real time"), "in # s, #x real time"),
    (re.compile(r"\d+\.\d+(?=-)|(?<=-)\s*\d+\.\d+(?= s)"), "#"),
    (re.compile(r"score \d\.\d+"), "score #"),
]


def demo_output(out_dir: str = "demo-out") -> str:
    """Run scripts/demo (in this interpreter's venv) and return its stdout from step 1 on."""
    env = {**os.environ, "VIDTRACE_DEMO_OUT": out_dir, "VIDTRACE_VENV": sys.prefix}
    done = subprocess.run([str(ROOT / "scripts" / "demo")], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    text = done.stdout.replace(out_dir, "demo-out")
    return text[text.index("== 1."):].rstrip("\n")


def readme_block(readme: str) -> str:
    """The sample output currently in the README (between the markers, without the fence)."""
    inner = readme[readme.index(START) + len(START):readme.index(END)]
    return inner.strip().removeprefix("```").removesuffix("```").strip("\n")


def masked(text: str) -> str:
    """The text with what varies between runs replaced by `#`."""
    for pattern, replacement in _VARIES:
        text = pattern.sub(replacement, text)
    return text


def _segment_ends(text: str) -> list[float]:
    """The four ends of every printed segment (`query A- B s  <-  ref C- D s`), in order."""
    found = re.findall(r"query\s+([\d.]+)-\s*([\d.]+) s\s+<-\s+\S+\s+([\d.]+)-\s*([\d.]+) s",
                       text)
    return [float(v) for ends in found for v in ends]


def agrees(output: str, readme_text: str, tolerance_s: float = 0.5) -> bool:
    """Same lines up to what varies, and every segment end within `tolerance_s` seconds."""
    ours, theirs = _segment_ends(output), _segment_ends(readme_text)
    return masked(output) == masked(readme_text) and len(ours) == len(theirs) and all(
        abs(a - b) <= tolerance_s for a, b in zip(ours, theirs, strict=True))


def main(argv: list[str]) -> int:
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text()
    output = demo_output()
    if "--check" in argv:
        if agrees(output, readme_block(readme)):
            print("README.md's demo output is current")
            return 0
        print("README.md's demo output differs from the demo's; run scripts/readme-samples",
              file=sys.stderr)
        return 1
    head, tail = readme[:readme.index(START) + len(START)], readme[readme.index(END):]
    readme_path.write_text(f"{head}\n```\n{output}\n```\n{tail}")
    print("wrote the demo's output into README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
