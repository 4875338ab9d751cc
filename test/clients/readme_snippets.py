"""Check that the README's snippets are the code the client tests run.

Usage: readme_snippets.py README.md FILE...

Every block in a FILE between a line "# README: name" (or "// README:
name", "-- README: name") and a line "# END README" (or "// END README",
"-- END README") must appear in
README.md word for word, as consecutive lines (the README may indent them
no differently).  Exits non-zero, naming the block, if one does not.
"""

import re
import sys

START = re.compile(r"^\s*(#|//|--) README: (\S+)\s*$")
END = re.compile(r"^\s*(#|//|--) END README\s*$")


def blocks(path):
    name, lines = None, []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if name is None:
                m = START.match(line)
                if m:
                    name, lines = m.group(2), []
            elif END.match(line):
                yield name, "\n".join(lines)
                name = None
            else:
                lines.append(line)


def main():
    readme = open(sys.argv[1]).read()
    ok, count = True, 0
    for path in sys.argv[2:]:
        for name, text in blocks(path):
            count += 1
            if "\n" + text + "\n" in readme:
                print("ok: README snippet %s (%s)" % (name, path.split("/test/")[-1]))
            else:
                ok = False
                print("FAILED: README snippet %s (%s) is not in README.md "
                      "word for word" % (name, path.split("/test/")[-1]))
    if count == 0:
        print("FAILED: no README snippets found")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
