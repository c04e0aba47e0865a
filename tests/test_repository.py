"""What a merge can leave behind unnoticed: conflict markers in a committed file (a document read by people, where
no parser or linter would refuse them)."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)


def test_no_committed_file_holds_a_merge_conflict_marker():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    marked = []
    for name in files:
        path = ROOT / name
        if path.is_file() and path.suffix not in {".png", ".jpg", ".mp4", ".woff2", ".ico"}:
            text = path.read_text(errors="ignore")
            if MARKER.search(text):
                marked.append(name)
    assert not marked, marked
