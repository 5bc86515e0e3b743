#!/usr/bin/env python3
"""Writes the crates scripts/bench-compile measures, from the templates in workspace/.

    generate.py init WORK GUARDED_PATH   # the whole workspace, every handler unedited
    generate.py edit WORK CRATE K        # CRATE's lib.rs again, handler 50 with K

Template lines starting with `//#` (Rust) or `##` (TOML) are notes and are dropped;
`{GUARDED_PATH}` in a manifest becomes the checkout being measured. A handlers crate's
src/lib.rs is its head (everything above the `//# shapes:` line) and, below it, one fn per
handler shape; see workspace/guarded_handlers/src/lib.rs.
"""

import re
import sys
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "workspace"
HANDLERS = 100
MODULE = 10  # handlers per module, as routes are usually grouped
EDITED = 50  # the handler an incremental rebuild edits

# crate -> (crate whose template holds its shapes, line put above every handler)
CRATES = {
    "guarded_handlers": ("guarded_handlers", ""),
    "hand_handlers": ("hand_handlers", ""),
    "attr_handlers": ("hand_handlers", "#[noop]\n"),
}

NOTE = re.compile(r"^(//#|##)")


def read(path):
    """A template without its notes."""
    return "".join(line for line in path.open() if not NOTE.match(line))


def split(crate):
    """(head, shapes) of a crate's lib.rs template; a shape ends with a line that is `}`."""
    head, shapes, shape, below = "", [], "", False
    for line in (TEMPLATES / crate / "src" / "lib.rs").open():
        if line.startswith("//# shapes:"):
            below = True
        elif NOTE.match(line):
            continue
        elif not below:
            head += line
        elif shape or line.strip():  # blank lines between shapes are layout, not shape
            shape += line
            if line == "}\n":
                shapes.append(shape)
                shape = ""
    if not below or shape:
        sys.exit(f"{crate}/src/lib.rs: no `//# shapes:` line, or a shape without its `}}` line")
    return head, shapes


def lib_rs(crate, edited):
    """The crate's lib.rs: its head, then the handlers in modules, handler 50 with `edited`."""
    head, _ = split(crate)
    source, above = CRATES[crate]
    _, shapes = split(source)
    out = [head]
    for i in range(HANDLERS):
        if i % MODULE == 0:
            out.append(f"pub mod routes_{i // MODULE} {{\n")
            out.append("    #[allow(clippy::wildcard_imports)]\n    use super::*;\n\n")
        k = edited if i == EDITED else i + 1
        shape = shapes[i % len(shapes)]
        shape = re.sub(r"\bhandler_N\b", f"handler_{i}", shape).replace("{K}", str(k))
        out.append(above + shape)
        if i % MODULE == MODULE - 1:
            out.append("}\n")
        out.append("\n")
    return "".join(out)


def init(work, guarded_path):
    for template in sorted(TEMPLATES.rglob("*")):
        if template.is_dir():
            continue
        relative = template.relative_to(TEMPLATES)
        target = work / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative.parts[0] in CRATES and relative.name == "lib.rs":
            continue  # written below
        target.write_text(read(template).replace("{GUARDED_PATH}", guarded_path))
    for crate in CRATES:
        edit(work, crate, EDITED + 1)


def edit(work, crate, edited):
    (work / crate / "src" / "lib.rs").write_text(lib_rs(crate, edited))


def main(args):
    match args:
        case ["init", work, guarded_path]:
            init(Path(work), guarded_path)
        case ["edit", work, crate, k] if crate in CRATES:
            edit(Path(work), crate, int(k))
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
