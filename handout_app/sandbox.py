"""What a template may do: the immutable sandbox every handout template and wording runs in.

Jinja's own sandbox only hides `_`-prefixed attributes, so any public method of a value is callable
(`Path.read_text`, `dict.update`). Here it is the other way round: a template may read the attributes
and call the methods on an explicit allowlist, per type, and nothing else. With the context reduced to
plain immutable data (template_data.py) a template can neither touch a file nor change what the next
sheet says. Operators and filters that can multiply text are capped, so one expression cannot make
gigabytes; what is left (a loop that doubles a string) is stopped by the worker's memory limit.
"""

from __future__ import annotations

import contextlib
import functools
import re
import types
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import BlockReference, Context, LoopContext, Macro, TemplateReference
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup

from .limits import MAX_EXPRESSION_CHARS, MAX_FORMAT_WIDTH
from .template_data import FrozenMap

# Methods of text a template may call: reading, case, trimming, splitting. Not format/format_map (they
# reach attributes by name), not center/ljust/zfill/expandtabs (padding to any width), not encode.
TEXT_METHODS = frozenset(
    {
        "capitalize",
        "casefold",
        "count",
        "endswith",
        "find",
        "index",
        "isalnum",
        "isalpha",
        "isdigit",
        "islower",
        "isspace",
        "istitle",
        "isupper",
        "join",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "replace",
        "rfind",
        "rindex",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
        "striptags",
        "unescape",
    }
)
MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})
SEQUENCE_METHODS = frozenset({"count", "index"})
DATE_ATTRIBUTES = frozenset({"year", "month", "day", "isoformat", "weekday", "isoweekday"})
CYCLER_ATTRIBUTES = frozenset({"current", "next", "reset"})
MACRO_ATTRIBUTES = frozenset({"name", "arguments", "catch_kwargs", "catch_varargs", "caller"})
GROUP_ATTRIBUTES = frozenset({"grouper", "list"})

# Filters that only read, reorder or escape what they are given, and cannot enlarge it much.
SAFE_FILTERS = (
    "abs",
    "attr",
    "capitalize",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "filesizeformat",
    "first",
    "float",
    "forceescape",
    "groupby",
    "int",
    "items",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "sort",
    "string",
    "striptags",
    "sum",
    "title",
    "tojson",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "wordcount",
    "xmlattr",
)
# Left out on purpose: pprint (shows Python internals), random (the same sheet must give the same
# bytes), urlize (makes links; only the clinic's own links may reach the PDF).

_FLAGS_AND_WIDTH = re.compile(r"[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _percent_specs(template: str) -> list[tuple[str, str]]:
    """(width, precision) of each conversion in a %-format, parsed as Python does (a `%(key)` may
    hold nested brackets, which a simple pattern would miss)."""
    specs = []
    index = template.find("%")
    while index != -1 and index + 1 < len(template):
        index += 1
        if template[index] == "(":
            depth = 1
            while depth and index + 1 < len(template):
                index += 1
                depth += {"(": 1, ")": -1}.get(template[index], 0)
            index += 1
        match = _FLAGS_AND_WIDTH.match(template, index)
        assert match is not None  # every part of the pattern is optional
        specs.append((match.group(1) or "", match.group(2) or ""))
        index = template.find("%", match.end() + 1)
    return specs


def _refuse(message: str) -> None:
    raise SecurityError(message)


def _check_length(size: int, what: str) -> None:
    if size > MAX_EXPRESSION_CHARS:
        _refuse(f"{what} would make more than {MAX_EXPRESSION_CHARS:,} characters; that is not allowed in a template")


def _check_width(value: Any, what: str) -> None:
    if isinstance(value, str):
        _check_length(len(value) * 100, what)  # an indent string is repeated once per line
    elif isinstance(value, (int, float)) and abs(value) > MAX_FORMAT_WIDTH:
        _refuse(f"{what} wider than {MAX_FORMAT_WIDTH} is not allowed in a template")


def _check_percent_format(template: Any, values: Any = ()) -> None:
    """Refuse `'%0999999999d' % 1` style widths, which allocate the whole width at once, and a
    format whose values add up to more than the expression limit (`'%s' * 1000 % ((big,) * 1000)`)."""
    specs = _percent_specs(str(template))
    for width, precision in specs:
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                _refuse(f"a format width or precision above {MAX_FORMAT_WIDTH} is not allowed in a template")
    items = (
        values.values() if isinstance(values, Mapping) else values if isinstance(values, (tuple, list)) else (values,)
    )
    longest = max((len(str(item)) for item in items), default=0)
    # Each conversion may print the longest value once more (a mapping key can be used many times).
    _check_length(len(str(template)) + len(specs) * (longest + MAX_FORMAT_WIDTH), "formatting text")


def _replace_size(text: str, old: str, new: str, count: int = -1) -> int:
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(0, len(new) - len(old))


def _join_size(items: Any, separator: str) -> int:
    parts = list(items)
    return sum(len(str(part)) for part in parts) + len(separator) * max(0, len(parts) - 1)


def _capped_filter(name: str, check: Callable[..., None]) -> Callable[..., Any]:
    """The built-in filter `name`, with `check(*arguments)` run first (without Jinja's passed context).

    The filtered value is made a list first when it is a one-pass iterable (map(), select()...), so the
    check can measure it and the filter still gets every item.
    """
    original = FILTERS[name]
    passes_context = getattr(original, "jinja_pass_arg", None) is not None

    @functools.wraps(original)
    def capped(*args: Any, **kwargs: Any) -> Any:
        arguments = list(args)
        value_at = 1 if passes_context else 0
        if (
            name in MEASURED_INPUT
            and len(arguments) > value_at
            and not isinstance(arguments[value_at], (str, list, tuple, FrozenMap, dict))
        ):
            with contextlib.suppress(TypeError):  # not iterable: the filter reports that itself
                arguments[value_at] = list(arguments[value_at])
        check(*arguments[value_at:], **kwargs)
        result = original(*arguments, **kwargs)
        if isinstance(result, str):
            _check_length(len(result), f"the '{name}' filter")  # escaping and quoting grow text too
        return result

    return capped


def _check_center(value: Any, width: Any = 80) -> None:
    _check_width(width, "centering text")


def _check_format(value: Any, *args: Any, **kwargs: Any) -> None:
    _check_percent_format(value, kwargs or args)


def _check_indent(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    _check_width(width, "an indent")
    step = len(width) if isinstance(width, str) else int(width) if isinstance(width, (int, float)) else 0
    _check_length(len(str(value)) + (str(value).count("\n") + 1) * step, "indenting text")


def _check_wordwrap(
    value: Any, width: Any = 79, break_long_words: bool = True, wrapstring: Any = None, **kwargs: Any
) -> None:
    _check_width(width, "a wrap width")
    if wrapstring is not None:
        text = str(value)
        lines = text.count("\n") + len(text) // max(1, int(width) if isinstance(width, int) else 1) + 1
        _check_length(len(text) + lines * len(str(wrapstring)), "wrapping text")


def _check_replace(value: Any, old: Any, new: Any, count: Any = None) -> None:
    _check_length(
        _replace_size(str(value), str(old), str(new), count if isinstance(count, int) else -1), "replacing text"
    )


def _check_join(value: Any, d: Any = "", attribute: Any = None) -> None:
    if isinstance(value, (str, list, tuple, FrozenMap, dict)):
        _check_length(_join_size(value, str(d)), "joining text")


def _check_batch(value: Any, linecount: Any, fill_with: Any = None) -> None:
    if not isinstance(linecount, int) or not 0 < linecount <= MAX_FORMAT_WIDTH:
        _refuse(f"batch sizes above {MAX_FORMAT_WIDTH} are not allowed in a template")


def _check_slice(value: Any, slices: Any, fill_with: Any = None) -> None:
    if not isinstance(slices, int) or not 0 < slices <= MAX_FORMAT_WIDTH:
        _refuse(f"more than {MAX_FORMAT_WIDTH} slices are not allowed in a template")


def _check_tojson(value: Any, indent: Any = None) -> None:
    if indent is not None and not (isinstance(indent, int) and 0 <= indent <= 8):
        _refuse("tojson's indent must be a number from 0 to 8 in a template")


def _check_sum(iterable: Any, attribute: Any = None, start: Any = 0) -> None:
    if isinstance(start, (list, tuple)) or any(isinstance(item, (list, tuple)) for item in iterable):
        # Adding lists copies them again at every step: a few thousand short lists take minutes.
        _check_length(sum(len(item) for item in iterable if isinstance(item, (list, tuple))), "adding lists")


# Filters whose check reads every item: a one-pass input (map(), select()) is made a list first.
MEASURED_INPUT = frozenset({"join", "sum", "batch", "slice"})


def _no_check(*args: Any, **kwargs: Any) -> None:
    pass


CAPPED_FILTERS: dict[str, Callable[..., None]] = {
    "center": _check_center,
    "format": _check_format,
    "indent": _check_indent,
    "wordwrap": _check_wordwrap,
    "replace": _check_replace,
    "join": _check_join,
    "batch": _check_batch,
    "slice": _check_slice,
    "tojson": _check_tojson,
    "sum": _check_sum,
}


def _safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_EXPRESSION_CHARS // 10:
        _refuse(f"a range of more than {MAX_EXPRESSION_CHARS // 10:,} numbers is not allowed in a template")
    return result


# What a template may call by name. `dict()` makes a template-local dict whose methods stay blocked.
TEMPLATE_GLOBALS: dict[str, Any] = {
    "range": _safe_range,
    "dict": dict,
    "cycler": Cycler,
    "joiner": Joiner,
    "namespace": Namespace,
}
_CALLABLE_GLOBALS = tuple(TEMPLATE_GLOBALS.values())


class FreshModuleTemplate(jinja2.Template):
    """A template whose imported module is made again for every render.

    Jinja caches an imported template's module on the template object, so a `namespace()` set at the
    top of a macro file would otherwise carry values from one patient's sheet to the next.
    """

    def _get_default_module(self, ctx: Context | None = None) -> Any:
        return self.make_module()


def allowed_attribute(obj: Any, attr: str) -> bool:
    """True if a template may read `obj.attr` (a method it may then call, or a value)."""
    if attr.startswith("_"):
        return False
    if isinstance(obj, str):
        return attr in TEXT_METHODS
    if isinstance(obj, (FrozenMap, dict)):
        return attr in MAPPING_METHODS
    if isinstance(obj, (tuple, list)):
        return attr in GROUP_ATTRIBUTES if hasattr(type(obj), "_fields") else attr in SEQUENCE_METHODS
    if isinstance(obj, (LoopContext, Namespace)):
        return True  # loop.index, loop.cycle(...); a namespace's own values
    if isinstance(obj, Cycler):
        return attr in CYCLER_ATTRIBUTES
    if isinstance(obj, Macro):
        return attr in MACRO_ATTRIBUTES
    if isinstance(obj, BlockReference):
        return attr == "super"
    if isinstance(obj, jinja2.environment.TemplateModule):
        return True  # the macros and values an imported template exports; each is checked when used
    if hasattr(obj, "isoformat") and hasattr(obj, "year"):
        return attr in DATE_ATTRIBUTES
    return False


def allowed_call(obj: Any) -> bool:
    """True if a template may call `obj`."""
    if isinstance(obj, (Macro, BlockReference, LoopContext, Joiner)):
        return True
    if any(obj is allowed for allowed in _CALLABLE_GLOBALS):
        return True
    if isinstance(obj, (types.MethodType, types.BuiltinMethodType)):
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, (TemplateReference, type)):
            return False
        return owner is not None and allowed_attribute(owner, obj.__name__)
    return False


class CheckedConcatGenerator(CodeGenerator):
    """Compiles `a ~ b` so the sandbox measures the joined text (Jinja has no hook for `~`)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_text(")
        super().visit_Concat(node, frame)
        self.write(")")

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        # Jinja escapes an output it can work out while compiling before it finalises it, so a function
        # worked out then (''|attr('join')) would reach the sheet as text: left to run time, where
        # _printable refuses it. as_const raises Impossible for what only run time knows, as Jinja expects.
        if callable(node.as_const(frame.eval_ctx)):
            raise nodes.Impossible()
        result: str = super()._output_child_to_const(node, frame, finalize)
        return result


# Every name a FrozenMap has as an attribute (its methods, its slots, object's own).
_FROZEN_MAP_NAMES = frozenset(dir(FrozenMap))


def _printable(value: Any) -> Any:
    """What `{{ ... }}` prints: anything but a function, method, macro or class, which would print as
    "<built-in method upper of str object at 0x7f...>" on a patient's sheet (a name written without its
    brackets), different on every run."""
    if callable(value) and not isinstance(value, jinja2.Undefined):  # an Undefined fails or prints as before
        raise SecurityError(
            f"a template prints {_describe(value)} itself, not its result; add the brackets, as in "
            "clinic.name.upper(), or leave it out"
        )
    return value


class HandoutSandbox(ImmutableSandboxedEnvironment):
    """The handout's sandbox: allowlisted attributes and calls, capped operators and filters."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    template_class = FreshModuleTemplate
    code_generator_class = CheckedConcatGenerator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, finalize=_printable, **kwargs)
        self.globals.clear()
        self.globals.update(TEMPLATE_GLOBALS)
        # Every filter's text result is measured; those that can multiply text are checked first too.
        self.filters = {
            name: _capped_filter(name, CAPPED_FILTERS.get(name, _no_check)) for name in (*SAFE_FILTERS, *CAPPED_FILTERS)
        }

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return allowed_attribute(obj, attr) and super().is_safe_attribute(obj, attr, value)

    def getattr(self, obj: Any, attribute: str) -> Any:
        # `labels.title`, `clinic.phone`: a FrozenMap has no attribute of that name, so Jinja's rule (the
        # attribute first, else the item) gives the item. Taken here at once, without the AttributeError that
        # Jinja raises and catches first (a sheet reads hundreds); any other name goes the usual way.
        if type(obj) is FrozenMap and attribute not in _FROZEN_MAP_NAMES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def wrap_str_format(self, value: Any) -> None:
        # str.format is not on the allowlist at all, so there is nothing to wrap.
        return None

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(__obj, jinja2.Undefined):
            __obj._fail_with_undefined_error()  # says which name is undefined or which attribute is refused
        if not allowed_call(__obj):
            raise SecurityError(f"calling {_describe(__obj)} is not allowed in a template")
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str) and name == "replace" and len(args) >= 2:
            _check_replace(owner, args[0], args[1], args[2] if len(args) > 2 else -1)
        if isinstance(owner, str) and name == "join" and args:
            args = (list(args[0]) if not isinstance(args[0], str) else args[0], *args[1:])
            _check_join(args[0], owner)
        result = __context.call(__obj, *args, **kwargs)
        if isinstance(result, str):
            _check_length(len(result), _describe(__obj))
        return result

    def checked_text(self, text: Any) -> Any:
        """The result of a `~` join, refused when it passes the expression limit (a doubling loop)."""
        if isinstance(text, str):
            _check_length(len(text), "joining text with ~")
        return text

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
                    _check_length(len(seq) * count, "repeating text or a list")
        elif operator == "**" and isinstance(right, (int, float)) and abs(right) > 100:
            _refuse("powers above 100 are not allowed in a template")
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left, right)
        elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            _check_length(len(left) + len(right), "joining text")
        return super().call_binop(context, operator, left, right)


def _describe(obj: Any) -> str:
    name = getattr(obj, "__name__", None)
    owner = getattr(obj, "__self__", None)
    if name and owner is not None:
        return f"'{name}' of a {type(owner).__name__}"
    return f"a {type(obj).__name__}" if name is None else f"'{name}'"


__all__ = ["HandoutSandbox", "Markup", "SecurityError", "allowed_attribute", "allowed_call"]
