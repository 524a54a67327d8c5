#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""abi/design_refs: what the code cites of docs/design.md exists there.

Scans every .c and .h file under the directories given (relative to --root)
for three kinds of citation, which may wrap across comment lines:

  DESIGN <n>[.<m>...]             a heading of the design document whose
                                  title starts with that number ("### 4.1 ...")
  DESIGN <n>.<m> rule N           and that section has a numbered list item N
  DESIGN <n>.<m> rules N, M[-K]   (a line "N. ..." at the start of a line,
                                  before the next heading of its level)
  docs/design.md, "Some title"    a heading whose title contains the text

"DESIGN 4.4, 4.5" cites both sections. Every citation without a target is
reported as file:line and the test fails; it fails too when no citation is
found at all (a scan that finds nothing proves nothing).

Usage: design_refs.py --design docs/design.md --root SRC_ROOT DIR...
       design_refs.py --selftest   (the checker finds planted bad citations)
"""
import argparse
import os
import re
import sys
import tempfile

# Whitespace between the words of a citation: blanks, or a line break
# followed by a C comment leader (" * " or "// ").
_SP = r'(?:[ \t]|\n[ \t]*(?:\*(?!/)|//)?)'
SP = _SP + '+'
OSP = _SP + '*'
SECTION = r'\d+(?:\.\d+)*'
RULE = r'\d+(?:-\d+)?'

CITE = re.compile(
    r'\bDESIGN' + SP + r'(?P<sec>' + SECTION + r')'
    + r'(?P<more>(?:' + OSP + r',' + OSP + r'\d+\.\d+(?:\.\d+)*)*)'
    + r'(?:' + OSP + r',?' + OSP + r'[Rr]ules?' + SP
    + r'(?P<rules>' + RULE + r'(?:' + OSP + r'(?:,|and)' + OSP + RULE + r')*))?')
TITLE = re.compile(r'design\.md' + OSP + r',?' + OSP + r'"(?P<title>[^"]+)"')
HEADING = re.compile(r'^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$')
HEADING_NUM = re.compile(r'^(\d+(?:\.\d+)*)\.?(?:\s|$)')
ITEM = re.compile(r'^(\d+)\.[ \t]')
LEADERS = re.compile(r'\s*\n[ \t]*(?:\*(?!/)|//)?[ \t]*')


class Design:
    """The headings of the design document and the numbered items under each."""

    def __init__(self, text):
        self.sections = {}  # number -> set of top-level list item numbers
        self.titles = []
        stack = []  # (level, number or None) of the enclosing headings
        fenced = False
        for line in text.splitlines():
            if line.lstrip().startswith('```'):
                fenced = not fenced
                continue
            if fenced:
                continue
            m = HEADING.match(line)
            if m:
                level, title = len(m.group(1)), m.group(2)
                self.titles.append(title)
                while stack and stack[-1][0] >= level:
                    stack.pop()
                n = HEADING_NUM.match(title)
                num = n.group(1) if n else None
                if num is not None:
                    self.sections.setdefault(num, set())
                stack.append((level, num))
                continue
            m = ITEM.match(line)
            if m:
                # a numbered item belongs to every enclosing numbered section
                for _, num in stack:
                    if num is not None:
                        self.sections[num].add(int(m.group(1)))


def rule_numbers(text):
    out = []
    for part in re.split(r'\s*(?:,|and)\s*', text):
        if '-' in part:
            a, b = (int(x) for x in part.split('-'))
            out.extend(range(a, b + 1))
        elif part:
            out.append(int(part))
    return out


def check_text(design, text, where):
    """Problems (line, message) and the number of citations in one file."""
    problems, count = [], 0
    for m in CITE.finditer(text):
        line = text.count('\n', 0, m.start()) + 1
        secs = [m.group('sec')] + re.findall(r'\d+\.\d+(?:\.\d+)*', m.group('more') or '')
        for sec in secs:
            count += 1
            if sec not in design.sections:
                problems.append((line, 'DESIGN %s: no heading numbered %s in %s'
                                 % (sec, sec, where)))
        rules = m.group('rules')
        if rules:
            sec = secs[-1]
            have = design.sections.get(sec, set())
            for n in rule_numbers(LEADERS.sub(' ', rules)):
                count += 1
                if sec in design.sections and n not in have:
                    problems.append((line, 'DESIGN %s rule %d: section %s of %s has no '
                                     'numbered item %d' % (sec, n, sec, where, n)))
    for m in TITLE.finditer(text):
        line = text.count('\n', 0, m.start()) + 1
        want = ' '.join(LEADERS.sub(' ', m.group('title')).split())
        count += 1
        if not any(want in ' '.join(t.split()) for t in design.titles):
            problems.append((line, '"%s": no heading of %s contains it' % (want, where)))
    return problems, count


def scan(design_path, root, dirs):
    with open(design_path, encoding='utf-8') as f:
        design = Design(f.read())
    where = os.path.relpath(design_path, root)
    problems, count = [], 0
    for d in dirs:
        top = os.path.join(root, d)
        if not os.path.isdir(top):
            problems.append(('%s' % d, 0, 'no such directory under %s' % root))
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith(('.c', '.h')):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding='utf-8', errors='replace') as f:
                    p, n = check_text(design, f.read(), where)
                count += n
                rel = os.path.relpath(path, root)
                problems.extend((rel, line, msg) for line, msg in p)
    return problems, count


def run(design_path, root, dirs, out=sys.stdout):
    if not os.path.isfile(design_path):
        out.write('FAIL: %s does not exist\n' % design_path)
        return 1
    problems, count = scan(design_path, root, dirs)
    for path, line, msg in problems:
        out.write('%s:%d: %s\n' % (path, line, msg))
    if problems:
        out.write('FAIL: %d citation(s) of the design document have no target\n'
                  % len(problems))
        return 1
    if count == 0:
        out.write('FAIL: no citation of the design document found under %s: '
                  'is the scan broken?\n' % ', '.join(dirs))
        return 1
    out.write('ok: %d citations of %s checked under %s\n'
              % (count, os.path.relpath(design_path, root), ', '.join(dirs)))
    return 0


SELFTEST_DESIGN = """# t

## 2. Architecture

```
## 7. inside a code block: not a heading
1. not an item
```

### 3.6 Hook structs grow at the end

### 4.1 Configuration space

1. one
2. two
   3. nested: not an item of 4.1
5. five
6. six

Precise choices:

- 7. a bullet, not a numbered item

### 4.2 Table

3. three
"""

SELFTEST_SOURCE = """/* good: DESIGN 2, issue 4; DESIGN 4.1; DESIGN 4.1 rules 5, 6; (DESIGN
 * 4.1 rule 1); DESIGN 4.2 rule 3; DESIGN 4.1 rule
 * 2; DESIGN 4.1 rules 1-2 and 5; (docs/design.md,
 * "Hook structs grow at the end") */
/* bad, line 5: */ /* DESIGN 9.9 */
/* bad, line 6: */ /* DESIGN 4.1 rule 3 */
/* bad, line 7: */ /* DESIGN 4.1 rules 5, 7 */
/* bad, line 8: */ /* DESIGN 4.4, 4.1 */
/* bad, line 9: */ /* DESIGN 4.2 rule 1 and (docs/design.md, "No such title") */
/* bad, line 10 (wrapped): DESIGN
 * 4.1 rules 6,
 * 4 */
// bad, line 13: DESIGN 7
"""

SELFTEST_EXPECTED = {
    (5, 'DESIGN 9.9: no heading'),
    (6, 'DESIGN 4.1 rule 3: section 4.1'),
    (7, 'DESIGN 4.1 rule 7: section 4.1'),
    (8, 'DESIGN 4.4: no heading'),
    (9, 'DESIGN 4.2 rule 1: section 4.2'),
    (9, '"No such title": no heading'),
    (10, 'DESIGN 4.1 rule 4: section 4.1'),
    (13, 'DESIGN 7: no heading'),
}


def selftest():
    """The checker must report exactly the planted bad citations."""
    with tempfile.TemporaryDirectory(prefix='vmsix-design-refs.') as tmp:
        os.makedirs(os.path.join(tmp, 'docs'))
        os.makedirs(os.path.join(tmp, 'src'))
        design = os.path.join(tmp, 'docs', 'design.md')
        with open(design, 'w', encoding='utf-8') as f:
            f.write(SELFTEST_DESIGN)
        with open(os.path.join(tmp, 'src', 'cites.c'), 'w', encoding='utf-8') as f:
            f.write(SELFTEST_SOURCE)
        problems, count = scan(design, tmp, ['src'])
        got = set()
        for path, line, msg in problems:
            hit = [e for e in SELFTEST_EXPECTED if e[0] == line and msg.startswith(e[1])]
            got.add(hit[0] if hit else (line, 'UNEXPECTED ' + msg))
        if got != SELFTEST_EXPECTED or len(problems) != len(SELFTEST_EXPECTED):
            for e in sorted(SELFTEST_EXPECTED - got):
                print('selftest: missed %d: %s' % e)
            for e in sorted(got - SELFTEST_EXPECTED):
                print('selftest: %d: %s' % e)
            print('FAIL: the checker does not report exactly the planted citations')
            return 1
        # a tree without any citation fails too
        with open(os.path.join(tmp, 'src', 'cites.c'), 'w', encoding='utf-8') as f:
            f.write('/* nothing cited */\n')
        with open(os.devnull, 'w') as null:
            if run(design, tmp, ['src'], out=null) == 0:
                print('FAIL: a tree without citations passed')
                return 1
    print('ok: the checker reports the %d planted bad citations (%d citations seen) '
          'and refuses a tree without any' % (len(SELFTEST_EXPECTED), count))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--design', help='the design document')
    ap.add_argument('--root', help='the source root the directories are relative to')
    ap.add_argument('--selftest', action='store_true')
    ap.add_argument('dirs', nargs='*')
    a = ap.parse_args()
    if a.selftest:
        return selftest()
    if not a.design or not a.root or not a.dirs:
        ap.error('--design, --root and at least one directory are needed')
    return run(a.design, a.root, a.dirs)


if __name__ == '__main__':
    sys.exit(main())
