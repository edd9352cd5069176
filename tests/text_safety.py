"""What a page sends, inspected for user text rendered as markup.

Every element an AppTest run produced is walked (its protobuf message, field by field, and the
cells, headers and index of every ``st.table``); each string Streamlit renders as markdown is
parsed with markdown-it (CommonMark + GFM tables, strikethrough, autolinks, raw HTML, and
``$``/``$$`` math as Streamlit's KaTeX plugin reads it). A payload marker (``Zq``) inside a
link, image, emphasis, code span, math, raw HTML or a Streamlit directive (``:red[…]``) means
user text was rendered, not shown.
"""

from __future__ import annotations

import re
from html import unescape

import pyarrow as pa
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

MARKER = "Zq"
# Payloads as an attacker would write them, each carrying the marker inside its markup.
PAYLOADS = (
    f"[{MARKER}link](https://example.com/p)",
    f"![{MARKER}img](http://127.0.0.1:9/t.png)",
    f"**{MARKER}bold**", f"__{MARKER}bold__", f"*{MARKER}em*", f"_{MARKER}em_",
    f"~~{MARKER}del~~", f"`{MARKER}code`",
    f"$${MARKER}^2$$", f"${MARKER}_1$",
    f"<b>{MARKER}html</b>", f"<img src='http://127.0.0.1:9/{MARKER}.png'>",
    f"https://example.com/{MARKER}auto", f"www.example.com/{MARKER}www",
    f"<https://example.com/{MARKER}angle>",
    f":red[{MARKER}color]", f":blue-background[{MARKER}bg]",
    f"# {MARKER}head", f"'http://127.0.0.1:9/{MARKER}.png", f"me@example.com {MARKER}",
    f":smile: {MARKER}", f":material/home: {MARKER}",
)

_MD = (MarkdownIt("commonmark", {"html": True, "linkify": True})
       .enable(["table", "strikethrough", "linkify"]).use(dollarmath_plugin,
                                                           double_inline=True))
_RENDERED = [  # HTML that only markup in user text makes (the page's own text has none)
    re.compile(p) for p in (
        rf"<a [^>]*href=\"[^\"]*{MARKER}", rf"<a [^>]*>[^<]*{MARKER}", rf"<img [^>]*{MARKER}",
        rf"<s>[^<]*{MARKER}", rf"<code>[^<]*{MARKER}", rf"class=\"math[^\"]*\">[^<]*{MARKER}",
        rf"<b>{MARKER}", rf"<img src='[^']*{MARKER}", rf"<h\d>[^<]*{MARKER}")]
# What the browser's markdown makes from the text *after* escapes are read (remark-gfm's
# literal autolinks and e-mail addresses, emoji and icon short codes), found in what the
# reader would see: a URL or address start not glued to a word character or word joiner.
_AFTER_ESCAPES = re.compile(
    rf"(?<![\w\u2060])(?:https?://|www\.)\S*{MARKER}|[\w.+-]@[\w-]+\.\w|:[\w+-]+:|:material/")
_DIRECTIVE = re.compile(rf"(?<!\\):[a-z-]+(?<!\\)\[{MARKER}")

# Elements (and fields) Streamlit draws as plain text: never parsed as markdown.
_PLAIN = {"selectbox": {"options", "default", "raw_values", "placeholder"},
          "multiselect": {"options", "default", "raw_values", "placeholder"},
          "text_input": {"value", "default", "placeholder"},
          "text_area": {"value", "default", "placeholder"},
          "number_input": {"format", "placeholder"}, "slider": {"format", "options"},
          "select_slider": {"options"}}
_SKIP = {"vega_lite_chart", "dataframe", "download_button", "code", "text", "json",
         "exception", "empty", "file_uploader", "skeleton", "imgs", "favicon"}


def _strings(message, path=()):
    """(field path, text) for every string in a protobuf message, at any depth."""
    for fd, value in message.ListFields():
        values = value if fd.is_repeated else [value]
        for v in values:
            if fd.type == fd.TYPE_MESSAGE:
                yield from _strings(v, (*path, fd.name))
            elif fd.type == fd.TYPE_STRING:
                yield (*path, fd.name), v


def _table_texts(arrow_bytes: bytes):
    table = pa.ipc.open_stream(arrow_bytes).read_all()
    yield from table.column_names
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            yield from (v for v in column.to_pylist() if isinstance(v, str))


def _nodes(node):
    children = getattr(node, "children", None)
    yield node
    if children is not None:
        for child in children.values():
            yield from _nodes(child)


def markdown_fields(at) -> list[tuple[str, str]]:
    """(where, text) of every string the page's elements render as markdown, plus the bodies
    of ``st.html`` elements (rendered as HTML: no user text may reach one at all)."""
    out = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        kind = type(proto).__name__
        if kind == "Block":  # expander, tab and popover labels, help
            out += [(f"block.{'.'.join(p)}", s) for p, s in _strings(proto)
                    if p[-1] in ("label", "help")]
            continue
        field = _field_name(kind)
        if field in _SKIP:
            continue
        if field == "table":
            out += [("table", s) for s in _table_texts(proto.arrow_data.data)]
            continue
        plain = _PLAIN.get(field, set())
        out += [(f"{field}.{'.'.join(p)}", s) for p, s in _strings(proto)
                if p[-1] not in plain and p[-1] not in ("id", "form_id", "type", "icon")]
    return out


def _field_name(kind: str) -> str:
    """Element proto class name → its field in ``Element`` (``ButtonGroup`` → button_group)."""
    names = {"Markdown": "markdown", "Alert": "alert", "Heading": "heading", "Table": "table",
             "VegaLiteChart": "vega_lite_chart", "Arrow": "dataframe", "Html": "html",
             "ButtonGroup": "button_group", "MultiSelect": "multiselect",
             "DownloadButton": "download_button", "TextInput": "text_input",
             "TextArea": "text_area", "NumberInput": "number_input", "FileUploader":
             "file_uploader", "Exception": "exception", "Empty": "empty", "Toast": "toast"}
    return names.get(kind, re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower())


def _visible(html: str) -> str:
    """The text a reader sees in rendered HTML (tags dropped, entities decoded)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def rendered_markup(fields, texts=()) -> list[tuple[str, str]]:
    """The fields in which user text (the marker) was rendered as markup. ``texts``: the user
    texts put in; where one is in a field (as typed, or escaped), the reader must see it
    exactly as typed (emphasis the page puts around a name is the page's own)."""
    from ui.text import md

    bad = []
    for where, text in fields:
        if MARKER not in text:
            continue
        if where == "html" or _DIRECTIVE.search(text):
            bad.append((where, text))
            continue
        html = _MD.render(text)
        seen = _visible(html)
        pieces = [unescape(t) for t in re.split(r"<[^>]+>", html)]  # one text node each
        if any(p.search(html) for p in _RENDERED) or any(
                _AFTER_ESCAPES.search(t) for t in pieces) or any(
                " ".join(t.split()) not in seen.replace("\u2060", "") for t in texts
                if MARKER in t and (t in text or md(t) in text)):
            bad.append((where, text))
    return bad
