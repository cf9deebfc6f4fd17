"""README.md and docs/: short README with the two set-up commands first,
and no broken relative link (file or heading) anywhere."""
import glob
import os.path as osp
import re

from .conftest import REPO

README = osp.join(REPO, 'README.md')
MAX_README_LINES = 250
LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)\)')
FENCE = re.compile(r'^\s*(```|~~~)')


def _markdown_files():
    docs = glob.glob(osp.join(REPO, 'docs', '**', '*.md'), recursive=True)
    return [README] + sorted(docs)


def _outside_code(text):
    """The lines of a markdown text outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def _slug(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', heading.strip())
    text = re.sub(r'[^\w\- ]', '', text.lower())
    return text.replace(' ', '-')


def _anchors(path):
    seen, anchors = {}, set()
    with open(path) as f:
        for line in _outside_code(f.read()):
            match = re.match(r'^#{1,6}\s+(.*)$', line)
            if match:
                slug = _slug(match.group(1))
                n = seen.get(slug, 0)
                seen[slug] = n + 1
                anchors.add(slug if n == 0 else f'{slug}-{n}')
    return anchors


def broken_links(path):
    """Relative links of a markdown file whose file, or heading in a
    markdown file, does not exist."""
    broken = []
    with open(path) as f:
        lines = _outside_code(f.read())
    for line in lines:
        for target in LINK.findall(line):
            if re.match(r'^[a-z][a-z0-9+.-]*:', target):  # http:, mailto:
                continue
            file_part, _, anchor = target.partition('#')
            dest = osp.normpath(osp.join(osp.dirname(path), file_part)) \
                if file_part else path
            if not osp.exists(dest):
                broken.append(target)
            elif anchor and dest.endswith('.md') and \
                    anchor not in _anchors(dest):
                broken.append(target)
    return broken


def test_readme_is_short_and_starts_with_the_two_commands():
    with open(README) as f:
        text = f.read()
    lines = text.splitlines()
    assert len(lines) <= MAX_README_LINES, len(lines)
    first_block = text.split('```', 2)[1].splitlines()
    assert first_block[0] == 'bash'
    commands = [line.split('#')[0].strip() for line in first_block[1:]]
    assert commands == ['bash tools/run_demo.sh', 'bash tools/run_tests.sh']
    # The README links into docs/: every page of the user guides.
    for page in glob.glob(osp.join(REPO, 'docs/en/user_guides/*.md')):
        assert osp.relpath(page, REPO) in text, page


def test_every_relative_link_points_to_something():
    files = _markdown_files()
    assert len(files) >= 15
    broken = {
        osp.relpath(path, REPO): links
        for path in files for links in [broken_links(path)] if links
    }
    assert not broken, broken


def test_link_check_catches_a_broken_file_and_heading(tmp_path):
    (tmp_path / 'a.md').write_text('# Top\n\n## A `code` heading (1/2)\n')
    page = tmp_path / 'b.md'
    page.write_text(
        '[ok](a.md) [ok](a.md#a-code-heading-12) [ok](#here)\n'
        '![missing](img.png) [bad](a.md#nowhere) '
        '[web](https://example.com)\n\n# Here\n\n```\n[x](in-code.md)\n```\n')
    assert broken_links(str(page)) == ['img.png', 'a.md#nowhere']
