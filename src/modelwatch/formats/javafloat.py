"""Java's ``Double.toString`` text for Python floats (the number format of SageMaker's JSON files).

Java writes integral doubles with ``.0`` (``231.0``), uses plain decimal notation for
``1e-3 <= |x| < 1e7`` and computerised scientific notation otherwise (``1.0E-4``, ``1.234E7``,
``-2.5E-5``: a mantissa with at least one fractional digit, ``E``, an exponent without ``+``).

The digits are the shortest ones that read back to the same double (Python's ``repr`` digits), which
is what Java specifies since JDK 19 (JDK-4302244): when one digit would do, the closest decimal of one
or two digits is chosen, so ``Double.MIN_VALUE`` is ``4.9E-324``. JDK 8–18 use an older algorithm
that sometimes prints extra digits (``1.0E23`` as ``9.999999999999999E22``, ``1e17 + 16`` as
``1.00000000000000016E17``); those texts read back to the same double. ``tests/formats`` compares
this function with a JDK 17 table and pins the differences.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

__all__ = ["format_double"]

_MIN_NORMAL = 2.2250738585072014e-308
_TWO_DIGITS = Context(prec=2, rounding=ROUND_HALF_EVEN)


def format_double(x: float) -> str:
    """Return ``x`` formatted as Java's ``Double.toString`` does (shortest round-trip digits).

    NaN and the infinities give Java's ``NaN``, ``Infinity`` and ``-Infinity``.
    """
    if x != x:
        return "NaN"
    ax = -x if x < 0.0 else x
    if 1e-3 <= ax < 1e7 or ax == 0.0:
        # Python's repr is positional with a '.' in [1e-4, 1e16), so it is Java's text here.
        return repr(x)
    if ax == float("inf"):
        return "Infinity" if x > 0.0 else "-Infinity"
    digits, exp = _shortest_digits(ax)
    if len(digits) == 1 and ax < _MIN_NORMAL:
        digits, exp = _closest_two_digits(ax, digits, exp)
    sign = "-" if x < 0.0 else ""
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exp}"


def _shortest_digits(ax: float) -> tuple[str, int]:
    """Return the significant digits of ``repr(ax)`` and the decimal exponent of the first one."""
    coef, _, exp_text = repr(ax).partition("e")
    int_part, _, frac_part = coef.partition(".")
    all_digits = int_part + frac_part
    significant = all_digits.lstrip("0")
    exp = (int(exp_text) if exp_text else 0) + len(int_part) - 1 - (len(all_digits) - len(significant))
    return significant.rstrip("0") or "0", exp


def _closest_two_digits(ax: float, digits: str, exp: int) -> tuple[str, int]:
    """Apply JDK 19's rule for one-digit results: take the closest decimal of one or two digits.

    Only subnormals are affected (``4.9E-324`` rather than ``5.0E-324``); for normal doubles the
    one-digit decimal is already the closest.
    """
    candidate = _TWO_DIGITS.plus(Decimal(ax))
    if float(candidate) != ax:
        return digits, exp
    _, cand_digits, cand_exp = candidate.as_tuple()
    text = "".join(map(str, cand_digits)).rstrip("0") or "0"
    assert isinstance(cand_exp, int)
    return text, cand_exp + len(cand_digits) - 1
