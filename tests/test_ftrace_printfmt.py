"""print_fmt: tokenizer, the libtraceevent-shaped AST, and the format scan.

Tree shapes here are the ones real perf 6.1 evaluates (checked against perf's
output in test_ftrace_perf_oracle.py)."""

import pytest

from perfscript.ftrace import lexer as lx
from perfscript.ftrace import parse_format
from perfscript.ftrace.printast import (
    NULL, Atom, Bitmask, Call, Cast, DynamicArray, DynamicArrayLen, FieldRef, FlagEntry,
    Flags, Hex, HexStr, IntArray, Op, StrRef, Symbolic,
)
from perfscript.ftrace.printitems import NUMBER, POINTER, STRING, TEXT, scan_print_format
from test_ftrace_helpers import format_text

FIELDS = ("\tfield:long a;\toffset:8;\tsize:8;\tsigned:1;\n"
          "\tfield:long b;\toffset:16;\tsize:8;\tsigned:1;\n"
          "\tfield:__data_loc char[] s;\toffset:24;\tsize:4;\tsigned:0;\n"
          "\tfield:u8 buf[8];\toffset:28;\tsize:8;\tsigned:0;\n")
A, B = FieldRef("a"), FieldRef("b")


def parse(args, fmt=None, **kwargs):
    if fmt is None:
        fmt = '"%d"' if args else '"x"'
    text = format_text("e", 1, FIELDS, fmt + (", " + args if args else ""))
    return parse_format(text, "s", **kwargs)


def one(args, **kwargs):
    event = parse(args, **kwargs)
    assert not event.failed, event.error
    assert len(event.print_args) == 1
    return event.print_args[0]


def tokens(text):
    lexer = lx.Lexer(text)
    out = []
    while True:
        kind, tok = lexer.token()
        if kind in (lx.NONE, lx.ERROR):
            out.append(kind)
            return out
        out.append(tok if kind != lx.NEWLINE else "\\n")


def test_tokenizer_operators_and_words():
    assert tokens("REC->x[1] >>= a<=b != c&&d||e ++ -- ~!") == [
        "REC", "->", "x", "[", "1", "]", ">>=", "a", "<=", "b", "!=", "c", "&&", "d",
        "||", "e", "++", "--", "~", "!", lx.NONE]
    assert tokens("0x40UL 1e5") == ["0x40UL", "1e5", lx.NONE]


def test_tokenizer_strings_keep_escapes_and_join():
    lexer = lx.Lexer('"a\\"b" \n "c" \'d\' "x\\\\"')
    assert lexer.token() == (lx.DQUOTE, 'a\\"bc')
    assert lexer.token() == (lx.SQUOTE, "d")
    # perf 6.1's quirk: a backslash before the quote always escapes it.
    assert lexer.token() == (lx.ERROR, None)


def test_tokenizer_stops_at_non_ascii_and_forces_old_macros():
    assert tokens("a \xe9 b") == ["a", lx.NONE]
    assert lx.Lexer("LOCAL_PR_FMT").token() == (lx.DQUOTE, "%s")
    assert lx.Lexer('"unterminated').token() == (lx.ERROR, None)


def test_field_and_index():
    assert one("REC->a") == A
    assert one("REC->buf[3]") == Op("[", FieldRef("buf"), Atom("3"))


def test_equal_priority_groups_to_the_right():
    assert one("REC->a - REC->b - 1") == Op("-", A, Op("-", B, Atom("1")))
    assert one("1 << 3 << 1") == Op("<<", Atom("1"), Op("<<", Atom("3"), Atom("1")))


def test_looser_right_operand_is_rotated_up():
    assert one("REC->a * (REC->b + 1)") == Op("+", Op("*", A, B), Atom("1"))
    assert one("REC->a * -1") == Op("-", Op("*", A, NULL), Atom("1"))
    assert one("REC->a + REC->b * 2") == Op("+", A, Op("*", B, Atom("2")))
    assert one("REC->a * REC->b + 2") == Op("+", Op("*", A, B), Atom("2"))


def test_conditional_shapes():
    cond = one("REC->a ? 5 : 6 + 1")
    assert cond == Op("+", Op("?", A, Op(":", Atom("5"), Atom("6"))), Atom("1"))
    assert one("REC->a > 0 ? \"x\" : \"y\"") == Op(
        "?", Op(">", A, Atom("0")), Op(":", Atom("x", '"'), Atom("y", '"')))


def test_unary_operators():
    assert one("-REC->a") == Op("-", NULL, A)
    assert one("!REC->a + 5") == Op("+", Op("!", NULL, A), Atom("5"))


def test_casts():
    assert one("(unsigned long)REC->a") == Cast("unsigned long", A)
    assert one("(char *)REC->a") == Cast("char *", A)
    assert one("(int)(REC->a)") == Cast("int", A)
    # Not a cast: an operator follows ')'.
    assert one("(unsigned long)-1") == Op("-", Atom("unsigned long"), Atom("1"))
    assert one("(REC->a) - 1") == Op("-", A, Atom("1"))


def test_literals_stay_as_written():
    assert one("'a'") == Atom("a", "'")
    assert one("0x10UL") == Atom("0x10UL")
    assert one('""') == Atom("", '"')


def test_helpers():
    flags = one('__print_flags(REC->a & 3, "|", {1, "A"}, {0x2, "B"})')
    assert flags == Flags(Op("&", A, Atom("3")), "|",
                          (FlagEntry("1", "A"), FlagEntry("0x2", "B")))
    sym = one('__print_symbolic(REC->a, {HI_SOFTIRQ, "hi"}, {1 << 4 | 2, "e"}, {-1, "m"})')
    assert sym == Symbolic(A, (FlagEntry("HI_SOFTIRQ", "hi"), FlagEntry("18", "e"),
                               FlagEntry("-1", "m")))
    assert one("__print_hex(REC->buf, 8)") == Hex(FieldRef("buf"), Atom("8"))
    assert one("__print_hex_str(REC->buf, REC->a)") == HexStr(FieldRef("buf"), A)
    assert one("__print_array(REC->buf, 2, 4)") == IntArray(FieldRef("buf"), Atom("2"), Atom("4"))
    assert one("__get_str(s)") == StrRef("__get_str", "s")
    assert one("__get_rel_str(s)") == StrRef("__get_rel_str", "s")
    assert one("__get_bitmask(s)") == Bitmask("__get_bitmask", "s")
    assert one("__get_dynamic_array(s)") == DynamicArray("__get_dynamic_array", "s")
    assert one("__get_dynamic_array_len(s)") == DynamicArrayLen("__get_dynamic_array_len", "s")
    assert one("__builtin_expect(!!(REC->a), 0)") == Op("!", NULL, Op("!", NULL, A))


def test_flag_table_values_follow_libtraceevents_arg_eval():
    sym = one('__print_symbolic(REC->a, {(u8)-1, "c"}, {(u8)(-1), "d"}, '
              '{(u8)(-1) | 0, "e"}, {(unsigned long)(1 | 2), "f"}, {~0, "g"})')
    # "(u8)-1" is "u8 - 1"; a cast on top is not applied; inside an operation
    # it masks (never sign-extends).
    assert [e.value for e in sym.entries] == ["-1", "-1", "255", "3", "-1"]


@pytest.mark.parametrize("args", [
    "sizeof(long)", "__get_cpumask(s)", "__get_sockaddr(s)", "nosuch(REC->a)",
    "__print_hex(REC->buf, REC->a + 1)", "__get_dynamic_array(s)[0]", "(REC->a)(REC->b)",
    "REC->a = 1", "REC->a ?", "REC->a +", '__print_flags(REC->a, "|", {1 * 2, "a"})',
    '__print_symbolic(REC->a, {REC->b, "a"})', "__get_dynamic_array(nofield)",
])
def test_rejected_like_perf_6_1(args):
    event = parse(args)
    assert event.failed


def test_failed_args_keep_the_parsed_prefix():
    event = parse("REC->a, 7, jiffies_to_msecs(REC->b), REC->b", fmt='"%d %d %d %d"')
    assert event.failed and event.error == "print fmt: function jiffies_to_msecs not defined"
    assert event.print_args == (A, Atom("7"))
    assert event.warnings == ("[s:e] function jiffies_to_msecs not defined",)


def test_extended_mode_and_generic_calls():
    assert one("sizeof(long)", extended=True) == Atom("8")
    assert one("sizeof(REC->b)", extended=True) == Atom("8")
    assert one("__get_sockaddr(s)", extended=True) == DynamicArray("__get_sockaddr", "s")
    call = one("jiffies_to_msecs(REC->a + 1, 2)", functions={"jiffies_to_msecs"})
    assert call == Call("jiffies_to_msecs", (Op("+", A, Atom("1")), Atom("2")))


def test_odd_but_accepted_argument_lists():
    assert parse("REC->a REC->b").print_args == (A,)
    assert parse("").print_args == ()
    event = parse('__print_flags(REC->a, , {1, "a"})', fmt='"%s"')
    assert event.print_args[0].delim is None


def test_deep_nesting_fails_cleanly():
    event = parse("(" * 2000 + "REC->a" + ")" * 2000)
    assert event.failed
    event = parse(" + ".join(["REC->a"] * 3000))
    assert event.failed


def test_scan_items():
    event = parse("REC->a, REC->b, __get_str(s), REC->a",
                  fmt='"a=%ld\\tb=%08llx %% %s %pISpc end\\n"')
    items = event.print_items
    assert [(i.kind, i.text) for i in items] == [
        (TEXT, "a="), (NUMBER, "%ld"), (TEXT, "\tb="), (NUMBER, "%08llx"),
        (TEXT, " % "), (STRING, "%s"), (TEXT, " "), (POINTER, "%pISpc"), (TEXT, " end\n")]
    assert [i.length for i in items if i.kind == NUMBER] == [1, 2]
    assert items[1].arg == A and items[7].arg == A


def test_scan_unsupported_conversion_is_literal_and_takes_no_argument():
    items, problems = scan_print_format("%c%d", (Atom("1"),))
    assert [(i.kind, i.text, i.arg) for i in items] == [
        (TEXT, ">c<", None), (NUMBER, "%d", Atom("1"))]
    assert problems == ()


@pytest.mark.parametrize("fmt,count,problem", [
    ("%d", 0, "no argument match"), ("%s %s", 1, "no matching argument"),
    ("%*d", 1, "no argument match"), ("%llld", 1, "bad count (3)"),
    ("%" + "1" * 40 + "d", 1, "bad format!"),
])
def test_scan_problems_fail_the_event(fmt, count, problem):
    _, problems = scan_print_format(fmt, tuple(Atom(str(i)) for i in range(count)))
    assert problems and problems[0] == problem


def test_scan_width_star_binds_an_argument():
    items, problems = scan_print_format("%*d", (Atom("4"), A))
    assert not problems and items[0].width_arg == Atom("4") and items[0].arg == A
