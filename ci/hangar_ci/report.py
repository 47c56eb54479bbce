"""The Markdown that hangar's CI posts: the plan comment, the drift issue, their markers, and
cutting a long plan to the size a comment may have without breaking its Markdown."""

import re
import urllib.parse

# GitHub refuses a comment or issue body over 65,536 characters; Azure DevOps takes 150,000 in
# a pull request comment. Both are given room for the header and the footer.
GITHUB_BODY_LIMIT = 65536
AZURE_DEVOPS_BODY_LIMIT = 150000
FOOTER_ROOM = 2500


def config_key(config):
    """The configuration's stable name: the directory as given, with `/`, no `./`, no trailing
    `/`. Comments and issues are found again by it."""
    key = config.replace("\\", "/").strip()
    while key.startswith("./"):
        key = key[2:]
    key = key.rstrip("/") or "."
    return key


def marker(kind, key):
    """A hidden line that identifies hangar's comment or issue for `kind` and one
    configuration: `<!-- hangar:plan config=policies/prod -->`."""
    quoted = urllib.parse.quote(key, safe="/._-")
    return f"<!-- hangar:{kind} config={quoted} -->"


def carries_marker(body, mark):
    """Whether `body` is hangar's own comment or issue for `mark`: the marker must be in its
    first lines, where hangar puts it, so that a plan quoting another configuration's marker
    (a description, a name) or a person's comment further down cannot be taken for it."""
    return mark in (body or "")[: len(mark) + 300]


def artifact_slug(key):
    """A name part GitHub artifacts and Azure DevOps artifacts both accept."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-.")
    return slug or "root"


def truncate(markdown, limit, note):
    """`markdown` cut at a line boundary to at most `limit` characters, with open code fences
    and `<details>` blocks closed and `note` appended, so the rest still renders."""
    if len(markdown) <= limit:
        return markdown, False
    budget = limit - len(note) - 200
    kept = []
    size = 0
    fence = False
    details = 0
    for line in markdown.splitlines(keepends=True):
        if size + len(line) > budget:
            break
        kept.append(line)
        size += len(line)
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = not fence
        elif not fence:
            details += stripped.count("<details") - stripped.count("</details>")
    text = "".join(kept)
    if not text.endswith("\n"):
        text += "\n"
    if fence:
        text += "```\n"
    text += "\n</details>\n" * max(details, 0)
    return text + "\n" + note + "\n", True


def diagnostics_list(diagnostics):
    """Validation findings as a Markdown list: `file:line:col` rule — message (help)."""
    lines = []
    for item in diagnostics:
        where = f"{item.get('file', '?')}:{item.get('line', '?')}:{item.get('column', '?')}"
        text = f"- **{item.get('severity', '?')}** `{item.get('rule', '?')}` at `{where}`: {item.get('message', '')}"
        if item.get("help"):
            text += f" ({item['help']})"
        lines.append(text)
    return "\n".join(lines)


def fenced(text):
    """Text in a code block that no line of it can close."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def tail(text, lines=60):
    rows = text.rstrip().splitlines()
    if len(rows) <= lines:
        return "\n".join(rows)
    return "…\n" + "\n".join(rows[-lines:])
