"""A small parser and evaluator for the subset of Sendsay's template language we support.

Sendsay evaluates its ``[% … %]`` tags itself, per subscriber. Everywhere else a reader would
see them raw (the web archive, feeds, search, ``serve`` previews, outbox and SMTP sends), so
publisher evaluates them: variables known per recipient are filled, ``IF``/``ELSIF``/``ELSE``/
``UNLESS``/``END`` take the branch the known values decide, unknown variables are empty.
publisher's own ``*|NAME|*`` tags are read as plain variables of the same language.

The supported subset (README, "Personalisation tags"):

* output: ``[% anketa.base.firstName %]``, string and number literals;
* conditionals: ``IF expr``, ``ELSIF expr``, ``ELSE``, ``UNLESS expr``, ``END``;
* expressions: ``==``, ``!=``, ``<``, ``>``, ``<=``, ``>=``, ``AND``/``&&``, ``OR``/``||``
  (``a || 'друг'`` gives ``a`` when it is set, else ``'друг'``), ``NOT``/``!``, parentheses;
* functions, called ``upper(x)`` or piped ``x | upper``: see :data:`FUNCTIONS`;
* comments ``[%# … %]`` and whitespace chomping ``[%- … -%]``.

Anything else (``FOREACH``, ``SET``, ``INCLUDE``, unknown functions, an unclosed ``IF``) is a
:class:`TemplateError` with the offset of the tag, which ``check`` turns into ``path:line``.

Everything is bounded: the text is scanned once with ``str.find``; expressions are parsed by
recursive descent with a depth limit; blocks nest at most :data:`MAX_NESTING` deep; the output
is never longer than the input plus the values filled in. Hostile input gets an error, never a
hang or a RecursionError.
"""

from __future__ import annotations

import contextlib
import html as html_lib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

MAX_NESTING = 32  # IF blocks inside IF blocks
MAX_EXPRESSION_DEPTH = 32  # parentheses / NOT inside one tag
MAX_TOKENS = 200  # per tag: bounds the expression tree (OR/AND/| chains) and its evaluation
GENERIC_NAMES = {  # publisher's own tags and the Sendsay variables they stand for
    "NAME": "anketa.base.firstName",
    "EMAIL": "anketa.member.email",
    "UNSUBSCRIBE_URL": "param.url_unsub",
}


def _ucfirst(value: str) -> str:
    return value[:1].upper() + value[1:]


def _lcfirst(value: str) -> str:
    return value[:1].lower() + value[1:]


FUNCTIONS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "ucfirst": _ucfirst,
    "lcfirst": _lcfirst,
    "trim": str.strip,
    "uri": lambda value: quote(value, safe=""),
    "url": lambda value: quote(value, safe=":/?#[]@!$&'()*+,;=%"),
    "html": lambda value: value,  # every value is HTML-escaped in HTML anyway
}
_KEYWORDS = {"IF", "ELSIF", "ELSE", "UNLESS", "END", "AND", "OR", "NOT"}
_UNSUPPORTED = {"FOREACH", "FOR", "WHILE", "SET", "GET", "CALL", "DEFAULT", "INCLUDE",
                "INSERT", "PROCESS", "WRAPPER", "BLOCK", "MACRO", "FILTER", "SWITCH", "CASE",
                "TRY", "CATCH", "THROW", "NEXT", "LAST", "RETURN", "STOP", "USE", "PERL",
                "RAWPERL", "META", "TAGS", "CLEAR"}


class TemplateError(ValueError):
    """A tag outside the supported subset; ``offset`` is where the tag starts in the text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


# ----------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class Tag:
    """One tag as written: its place in the text and its inside (``[%`` … ``%]`` stripped)."""

    start: int
    end: int
    inner: str
    generic: bool = False  # publisher's *|NAME|* form
    chomp_left: bool = False
    chomp_right: bool = False


def scan(text: str) -> tuple[list[str | Tag], list[TemplateError]]:
    """Split ``text`` into literal pieces and tags, in one pass; unclosed ``[%`` is an error
    (its text is kept literally, so nothing is lost).

    Linear: each ``find`` result is kept until the scan passes it, so no search is repeated
    over the same stretch of text (thousands of unclosed ``[%`` cost one pass, not one each).
    """
    pieces: list[str | Tag] = []
    errors: list[TemplateError] = []
    position = 0
    length = len(text)
    cached: dict[str, int] = {}

    def next_at(needle: str, start: int) -> int:
        found = cached.get(needle, -2)
        if found == -1 or start <= found:
            return found
        found = text.find(needle, start)
        cached[needle] = found
        return found

    while position < length:
        sendsay = next_at("[%", position)
        generic = next_at("*|", position)
        if sendsay < 0 and generic < 0:
            break
        if generic >= 0 and (sendsay < 0 or generic < sendsay):
            end = _generic_end(text, generic)
            if end < 0:
                pieces.append(text[position:generic + 2])
                position = generic + 2
                continue
            pieces.append(text[position:generic])
            pieces.append(Tag(generic, end, text[generic + 2:end - 2], generic=True))
            position = end
            continue
        close = next_at("%]", sendsay + 2)
        reopen = next_at("[%", sendsay + 2)
        if close < 0 or 0 <= reopen < close:
            errors.append(TemplateError("'[%' without its closing '%]'", sendsay))
            pieces.append(text[position:sendsay + 2])
            position = sendsay + 2
            continue
        inner = text[sendsay + 2:close]
        chomp_left = inner.startswith("-")
        chomp_right = inner.endswith("-") and len(inner) > 1
        inner = inner[1 if chomp_left else 0:len(inner) - 1 if chomp_right else len(inner)]
        pieces.append(text[position:sendsay])
        pieces.append(Tag(sendsay, close + 2, inner, chomp_left=chomp_left,
                          chomp_right=chomp_right))
        position = close + 2
    pieces.append(text[position:])
    return [p for p in pieces if p != ""], errors


def _generic_end(text: str, start: int) -> int:
    """End of a ``*|NAME|*`` tag starting at ``start``, or -1 (names: A-Z, 0-9, _)."""
    index = start + 2
    limit = min(len(text), index + 64)
    while index < limit and (text[index].isascii() and (text[index].isupper()
                                                         or text[index].isdigit()
                                                         or text[index] == "_")):
        index += 1
    if index > start + 2 and text.startswith("|*", index):
        return index + 2
    return -1


# ----------------------------------------------------------------------------- lexing

_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "|", ",", "=")


@dataclass(frozen=True)
class Token:
    kind: str  # name | string | number | op | word (keyword)
    value: str


def tokenize(inner: str, offset: int) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    length = len(inner)
    while index < length:
        char = inner[index]
        if char.isspace():
            index += 1
            continue
        if char in "'\"":
            close = inner.find(char, index + 1)
            if close < 0:
                raise TemplateError("a string without its closing quote", offset)
            tokens.append(Token("string", inner[index + 1:close]))
            index = close + 1
            continue
        if char.isdigit():
            start = index
            while index < length and (inner[index].isdigit() or inner[index] == "."):
                index += 1
            tokens.append(Token("number", inner[start:index]))
            continue
        if char.isalpha() or char == "_":
            start = index
            while index < length and (inner[index].isalnum() or inner[index] in "_."):
                index += 1
            word = inner[start:index].rstrip(".")
            index = start + len(word)
            if word in _KEYWORDS:
                tokens.append(Token("word", word))
            elif word.upper() in _UNSUPPORTED and word.isupper():
                raise TemplateError(f"'{word}' is not supported (supported: IF, ELSIF, ELSE, "
                                    "UNLESS, END and output of variables)", offset)
            else:
                tokens.append(Token("name", word))
            continue
        for operator in _OPERATORS:
            if inner.startswith(operator, index):
                if operator == "=":
                    raise TemplateError("'=' assigns (SET), which is not supported; compare "
                                        "with '=='", offset)
                tokens.append(Token("op", operator))
                index += len(operator)
                break
        else:
            raise TemplateError(f"unexpected {char!r} in a tag", offset)
    return tokens


# ----------------------------------------------------------------------------- expressions

Expression = tuple  # ("var", name) | ("lit", text) | ("call", fn, arg) | ("not", e) | (op, a, b)


class _Parser:
    """Recursive descent over one tag's tokens, depth-limited."""

    def __init__(self, tokens: list[Token], offset: int) -> None:
        self.tokens = tokens
        self.index = 0
        self.offset = offset
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("the tag ends in the middle of an expression")
        self.index += 1
        return token

    def error(self, message: str) -> TemplateError:
        return TemplateError(message, self.offset)

    def accept(self, kind: str, *values: str) -> Token | None:
        token = self.peek()
        if token is not None and token.kind == kind and (not values or token.value in values):
            self.index += 1
            return token
        return None

    def finish(self, expression: Expression) -> Expression:
        token = self.peek()
        if token is not None:
            raise self.error(f"unexpected {token.value!r} in a tag")
        return expression

    def expression(self) -> Expression:
        self.depth += 1
        if self.depth > MAX_EXPRESSION_DEPTH:
            raise self.error(f"expression nested more than {MAX_EXPRESSION_DEPTH} deep")
        left = self.conjunction()
        while self.accept("word", "OR") or self.accept("op", "||"):
            left = ("or", left, self.conjunction())
        self.depth -= 1
        return left

    def conjunction(self) -> Expression:
        left = self.negation()
        while self.accept("word", "AND") or self.accept("op", "&&"):
            left = ("and", left, self.negation())
        return left

    def negation(self) -> Expression:
        if self.accept("word", "NOT") or self.accept("op", "!"):
            self.depth += 1
            if self.depth > MAX_EXPRESSION_DEPTH:
                raise self.error(f"expression nested more than {MAX_EXPRESSION_DEPTH} deep")
            inner = self.negation()
            self.depth -= 1
            return ("not", inner)
        return self.comparison()

    def comparison(self) -> Expression:
        left = self.filtered()
        operator = self.accept("op", "==", "!=", "<", ">", "<=", ">=")
        if operator is not None:
            return (operator.value, left, self.filtered())
        return left

    def filtered(self) -> Expression:
        value = self.primary()
        while self.accept("op", "|"):
            name = self.take()
            if name.kind != "name" or name.value not in FUNCTIONS:
                raise self.error(self._unknown_function(name.value))
            value = ("call", name.value, value)
        return value

    def primary(self) -> Expression:
        token = self.take()
        if token.kind == "string" or token.kind == "number":
            return ("lit", token.value)
        if token.kind == "op" and token.value == "(":
            inner = self.expression()
            if not self.accept("op", ")"):
                raise self.error("'(' without its ')'")
            return inner
        if token.kind == "name":
            if self.accept("op", "("):
                if token.value not in FUNCTIONS:
                    raise self.error(self._unknown_function(token.value))
                argument = self.expression()
                if not self.accept("op", ")"):
                    raise self.error(f"{token.value}(…) without its ')'")
                return ("call", token.value, argument)
            return ("var", token.value)
        raise self.error(f"unexpected {token.value!r} in a tag")

    @staticmethod
    def _unknown_function(name: str) -> str:
        return (f"unknown function {name!r} (supported: {', '.join(sorted(FUNCTIONS))})")


def parse_expression(inner: str, offset: int) -> Expression:
    tokens = tokenize(inner, offset)
    if len(tokens) > MAX_TOKENS:
        raise TemplateError(f"a tag of more than {MAX_TOKENS} words and signs", offset)
    parser = _Parser(tokens, offset)
    if parser.peek() is None:
        raise TemplateError("an empty tag", offset)
    return parser.finish(parser.expression())


# ----------------------------------------------------------------------------- blocks


@dataclass
class Block:
    """``IF``/``UNLESS`` with its branches: (condition or None for ELSE, body) in order."""

    branches: list[tuple[Expression | None, list[Node]]] = field(default_factory=list)
    start: int = 0


Node = str | Expression | Block  # literal text | output | conditional


@dataclass(frozen=True)
class Template:
    """A parsed text: literal pieces, outputs and conditionals, ready to be evaluated."""

    nodes: tuple[Node, ...]
    has_tags: bool
    has_blocks: bool


def parse(text: str, *, html: bool = False) -> Template:
    """Parse ``text``; raises the first :class:`TemplateError` (see :func:`errors_in`)."""
    template, errors = _parse(text, html=html)
    if errors:
        raise errors[0]
    return template


def parse_leniently(text: str, *, html: bool = False) -> Template:
    """Parse ``text`` skipping bad tags (they evaluate to nothing; ``check`` reports them)."""
    return _parse(text, html=html)[0]


def errors_in(text: str) -> list[TemplateError]:
    """Every problem in ``text`` (one per bad tag, plus unbalanced blocks), in text order."""
    return _parse(text, html=False)[1]


def _is_control(piece: str | Tag) -> bool:
    if not isinstance(piece, Tag) or piece.generic:
        return False
    inner = piece.inner.strip()
    return inner.startswith("#") or inner.partition(" ")[0] in ("IF", "UNLESS", "ELSIF",
                                                                 "ELSE", "END")


def _unwrap_control_paragraphs(pieces: list[str | Tag]) -> list[str | Tag]:
    """``<p>[% IF x %]</p>`` (Markdown's paragraph around a tag on its own line) would leave
    an empty paragraph: drop the ``<p>``/``</p>`` around runs of control tags."""
    out = list(pieces)
    index = 0
    while index < len(out):
        piece = out[index]
        opening = piece.rfind("<p") if isinstance(piece, str) else -1
        if opening < 0 or not piece.endswith(">") or ">" in piece[opening:-1] \
                or piece[opening + 2:opening + 3] not in (">", " "):
            index += 1
            continue
        after = index + 1
        controls = 0
        while after < len(out) and (_is_control(out[after]) or
                                    (isinstance(out[after], str) and out[after].isspace())):
            controls += _is_control(out[after])
            after += 1
        closing = out[after] if after < len(out) else None
        if controls and isinstance(closing, str) and closing.lstrip().startswith("</p>"):
            out[index] = piece[:opening]
            out[after] = closing.lstrip()[4:]
        index = after if after > index else index + 1
    return out


def _parse(text: str, *, html: bool) -> tuple[Template, list[TemplateError]]:
    pieces, errors = scan(text)
    if html:
        pieces = _unwrap_control_paragraphs(pieces)
    root: list[Node] = []
    stack: list[tuple[Block, list[Node]]] = []  # open blocks and the list holding each
    current = root
    has_tags = has_blocks = False
    chomp_next = False
    for piece in pieces:
        if isinstance(piece, str):
            if chomp_next:
                piece = piece.lstrip()
                chomp_next = False
            current.append(piece)
            continue
        has_tags = True
        if piece.chomp_left and current and isinstance(current[-1], str):
            current[-1] = current[-1].rstrip()
        chomp_next = piece.chomp_right
        inner = html_lib.unescape(piece.inner) if html else piece.inner
        if piece.generic:
            current.append(("var", GENERIC_NAMES.get(piece.inner, piece.inner.lower())))
            continue
        stripped = inner.strip()
        if stripped.startswith("#"):
            continue  # a comment
        head, _, rest = stripped.partition(" ")
        try:
            if head in ("IF", "UNLESS"):
                if len(stack) >= MAX_NESTING:
                    raise TemplateError(f"IF blocks nested more than {MAX_NESTING} deep",
                                        piece.start)
                condition = parse_expression(rest, piece.start)
                if head == "UNLESS":
                    condition = ("not", condition)
                block = Block(branches=[(condition, [])], start=piece.start)
                current.append(block)
                stack.append((block, current))
                current = block.branches[0][1]
                has_blocks = True
            elif head in ("ELSIF", "ELSE"):
                if not stack or stack[-1][0].branches[-1][0] is None:
                    raise TemplateError(f"{head} without an IF before it"
                                        if not stack else f"{head} after ELSE", piece.start)
                if head == "ELSE" and rest.strip():
                    raise TemplateError("ELSE takes no condition (ELSIF does)", piece.start)
                condition = parse_expression(rest, piece.start) if head == "ELSIF" else None
                block = stack[-1][0]
                block.branches.append((condition, []))
                current = block.branches[-1][1]
            elif head == "END":
                if rest.strip():
                    raise TemplateError("END takes nothing after it", piece.start)
                if not stack:
                    raise TemplateError("END without an IF before it", piece.start)
                _, current = stack.pop()
            else:
                current.append(parse_expression(stripped, piece.start))
        except TemplateError as exc:
            errors.append(exc)
    for block, _ in stack:
        errors.append(TemplateError("IF without its END", block.start))
    errors.sort(key=lambda e: e.offset)
    return Template(tuple(root), has_tags, has_blocks), errors


# ----------------------------------------------------------------------------- evaluation

Lookup = Callable[[str], str | None]


def values_lookup(values: Mapping[str, str], fields: Mapping[str, str] | None = None) -> Lookup:
    """A lookup over exact variable names, then extra fields by their last name segment,
    case-insensitively (a CSV column ``city`` fills ``anketa.base.city``)."""
    lowered = {key.lower(): value for key, value in (fields or {}).items()}

    def lookup(name: str) -> str | None:
        if name in values:
            return values[name]
        low = name.lower()
        if low in lowered:
            return lowered[low]
        if low.startswith("anketa."):
            return lowered.get(low.rpartition(".")[2])
        return None

    return lookup


def render(template: Template, lookup: Lookup, *, html: bool = False) -> str:
    """Evaluate ``template``; unknown variables are empty; values are HTML-escaped in HTML."""
    out: list[str] = []
    escape = html_lib.escape if html else None
    _render_nodes(template.nodes, lookup, escape, out)
    return "".join(out)


def _render_nodes(nodes: tuple[Node, ...] | list[Node], lookup: Lookup,
                  escape: Callable[[str], str] | None, out: list[str]) -> None:
    for node in nodes:  # recursion depth is bounded by MAX_NESTING
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Block):
            for condition, body in node.branches:
                if condition is None or _truthy(_value(condition, lookup)):
                    _render_nodes(body, lookup, escape, out)
                    break
        else:
            value = _value(node, lookup)
            out.append(escape(value) if escape else value)


def _truthy(value: str) -> bool:
    return value != "" and value != "0"


def _value(expression: Expression, lookup: Lookup) -> str:
    kind = expression[0]
    if kind == "var":
        return lookup(expression[1]) or ""
    if kind == "lit":
        return expression[1]
    if kind == "call":
        return FUNCTIONS[expression[1]](_value(expression[2], lookup))
    if kind == "not":
        return "" if _truthy(_value(expression[1], lookup)) else "1"
    if kind == "or":
        left = _value(expression[1], lookup)
        return left if _truthy(left) else _value(expression[2], lookup)
    if kind == "and":
        left = _value(expression[1], lookup)
        return _value(expression[2], lookup) if _truthy(left) else left
    left, right = _value(expression[1], lookup), _value(expression[2], lookup)
    return "1" if _compare(kind, left, right) else ""


def _compare(operator: str, left: str, right: str) -> bool:
    a: float | str = left
    b: float | str = right
    with contextlib.suppress(ValueError):
        a, b = float(left), float(right)
    if operator == "==":
        return a == b
    if operator == "!=":
        return a != b
    if type(a) is not type(b):
        a, b = str(a), str(b)
    if operator == "<":
        return a < b  # type: ignore[operator]
    if operator == ">":
        return a > b  # type: ignore[operator]
    if operator == "<=":
        return a <= b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


def variables(template: Template) -> list[str]:
    """Every variable name the template reads, in order, once each."""
    seen: dict[str, None] = {}
    stack: list[object] = list(reversed(template.nodes))
    while stack:
        node = stack.pop()
        if isinstance(node, Block):
            for condition, body in reversed(node.branches):
                stack.extend(reversed(body))
                if condition is not None:
                    stack.append(condition)
        elif isinstance(node, tuple):
            if node[0] == "var":
                seen.setdefault(node[1])
            else:
                stack.extend(reversed([part for part in node[1:] if isinstance(part, tuple)]))
    return list(seen)
