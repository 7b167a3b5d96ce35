#!/usr/bin/env python3
"""Every relative link and #anchor in README.md and docs/*.md resolves, and
the README stays the front door: at most 300 lines.

Usage: docs_links.py SOURCE_DIR. Prints one line per broken link
(file:line: link: why) and exits 1 when there is any."""
import glob
import os
import re
import sys

root = sys.argv[1]
link_re = re.compile(r'\]\(([^)\s]+)\)')


def slug(heading):
    # GitHub's anchors: lower case, punctuation other than - and _ dropped,
    # spaces to -.
    s = heading.strip().lower()
    s = re.sub(r'[^\w\- ]', '', s)
    return s.replace(' ', '-')


def anchors(path):
    out, fence = set(), False
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'):
            fence = not fence
        elif not fence and line.startswith('#'):
            out.add(slug(line.lstrip('#')))
    return out


bad = []
files = [os.path.join(root, 'README.md')] + sorted(glob.glob(os.path.join(root, 'docs', '*.md')))
for path in files:
    fence = False
    for no, line in enumerate(open(path, encoding='utf-8'), 1):
        if line.startswith('```'):
            fence = not fence
            continue
        if fence:
            continue
        for target in link_re.findall(line):
            if re.match(r'[a-z]+:', target):
                continue  # http:, mailto: ... not checked offline
            file_part, _, anchor = target.partition('#')
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            where = f'{os.path.relpath(path, root)}:{no}: {target}'
            if not os.path.exists(dest):
                bad.append(f'{where}: no such file')
            elif anchor and (not dest.endswith('.md') or anchor not in anchors(dest)):
                bad.append(f'{where}: no heading with that anchor')

readme_lines = sum(1 for _ in open(os.path.join(root, 'README.md'), encoding='utf-8'))
if readme_lines > 300:
    bad.append(f'README.md: {readme_lines} lines, over 300: move detail to a docs/ page')
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
