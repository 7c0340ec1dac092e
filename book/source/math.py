"""Math in the Markdown: `$…$` and `$$…$$` (mdit-py-plugins' dollarmath), GitHub's
`` $`…`$ `` and ```` ```math ```` blocks, read before anything else can take them apart
(`$[a]([b]G)$` was a link). Each formula becomes an element holding its TeX as text
(`<span class="math-tex">`, `<div class="math-tex display">`), which render typesets for
each edition (render/math.py). TeX that cannot be read is a located error here. A display
formula is labelled as Quarto labels one, `$$…$$ {#eq-energy}`: the label after the closing
dollars, on the same line; references.py numbers it."""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

MATH_CLASS = "math-tex"
DISPLAY_CLASS = "display"
_GITHUB = re.compile(r"\$(`+)(.+?)\1\$", re.S)
_EQ_CLOSE = re.compile(r"(.*?)\$\$\s*\{#(eq-[\w.:-]+)\}\s*")  # `… $$ {#eq-energy}`


def _github_inline(state: StateInline, silent: bool) -> bool:
    """GitHub's `` $`a^2`$ ``: a code span between dollars is inline math."""
    if state.src[state.pos] != "$":
        return False
    found = _GITHUB.match(state.src, state.pos)
    if not found:
        return False
    if not silent:
        token = state.push("math_inline", "math", 0)
        token.content, token.markup = found.group(2).strip(), "$`"
    state.pos = found.end()
    return True


def _math_fences(state: StateCore) -> None:
    """A ```` ```math ```` block is display math."""
    for token in state.tokens:
        if token.type == "fence" and token.info.strip() == "math":
            token.type = "math_block"


def _labelled_display(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """`$$` … `$$ {#eq-energy}`: display math whose closing line carries a label (on one
    line too: `$$ E = mc^2 $$ {#eq-energy}`). A closing `$$` with no label first is
    dollarmath's to read."""
    first = state.bMarks[start] + state.tShift[start]
    if state.sCount[start] - state.blkIndent >= 4 or not state.src.startswith("$$", first):
        return False
    for line in range(start, end):
        text = state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]]
        if line == start:
            text = text[2:]
        found = _EQ_CLOSE.fullmatch(text)
        if found:
            break
        if text.rstrip().endswith("$$"):
            return False
    else:
        return False
    if silent:
        return True
    lines = [state.src[state.bMarks[n] + state.tShift[n]:state.eMarks[n]]
             for n in range(start, line)] + [found.group(1)]
    lines[0] = lines[0][2:] if line > start else found.group(1)
    token = state.push("math_block", "math", 0)
    token.block, token.markup, token.map = True, "$$", [start, line + 1]
    token.content = "\n".join(lines[:1] if line == start else lines)
    token.meta["label"] = (found.group(2), Token("math_label", "", 0, map=[line, line + 1]))
    state.line = line + 1
    return True


def _inline(renderer, tokens: list[Token], index: int, options, env) -> str:
    return f'<span class="{MATH_CLASS}">{html.escape(tokens[index].content.strip())}</span>'


def _display(renderer, tokens: list[Token], index: int, options, env) -> str:
    anchor = tokens[index].attrGet("id")
    id_attr = f' id="{html.escape(str(anchor))}"' if anchor else ""
    return (f'<div class="{MATH_CLASS} {DISPLAY_CLASS}"{id_attr}>'
            f"{html.escape(tokens[index].content.strip())}</div>\n")


def math_plugin(md: MarkdownIt) -> None:
    """Dollar math (not `$5 and $10`: no space inside the dollars, no digit after the
    closing one), GitHub's forms, and the elements render typesets."""
    md.use(dollarmath_plugin, allow_labels=False, allow_space=False, allow_digits=False,
           double_inline=True)
    md.inline.ruler.before("math_inline", "math_github", _github_inline)
    md.core.ruler.push("math_fence", _math_fences)
    md.block.ruler.before("math_block", "math_label", _labelled_display)
    md.add_render_rule("math_inline", _inline)
    for name in ("math_inline_double", "math_block"):
        md.add_render_rule(name, _display)


def formulas(tokens: list[Token]) -> list[tuple[str, Token]]:
    """Every formula of the tokens as (TeX, the block token it is in, for its line)."""
    found = []
    for tok in tokens:
        if tok.type == "math_block":
            found.append((tok.content, tok))
        for child in tok.children or []:
            if child.type in ("math_inline", "math_inline_double"):
                found.append((child.content, tok))
    return found


def problem(tex: str) -> str | None:
    """Why TeX cannot be typeset, or None (latex2mathml reads what the editions show)."""
    try:
        convert(tex)
    except Exception as exc:  # noqa: BLE001  # latex2mathml raises many kinds on bad TeX
        return str(exc) or type(exc).__name__
    return None
