//! JavaScript's value semantics, as far as json-rules-engine's operators reach them: strict
//! equality, `String(x)`, `parseFloat`, `Number(x)` and the relational operators. Tech Insights
//! users wrote their checks against these semantics; we reproduce them exactly.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

/// A value as an operator sees it: `None` is JavaScript's `undefined` (a path that matched
/// nothing). Borrowed values keep their identity, which matters for `===` on objects.
pub type JsRef<'a> = Option<&'a Value>;

/// `a === b`. Objects and arrays are equal only when they are the same object (the same fact
/// value read twice), never by content.
#[inline]
pub fn strict_equal(a: JsRef, b: JsRef) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => match (a, b) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Number(x), Value::Number(y)) => num(x) == num(y),
            (Value::String(x), Value::String(y)) => x == y,
            (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
                std::ptr::eq(a, b)
            }
            _ => false,
        },
        _ => false,
    }
}

/// A JSON number as JavaScript holds it.
pub fn num(n: &serde_json::Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// `String(x)`.
pub fn to_js_string(v: JsRef<'_>) -> Cow<'_, str> {
    match v {
        None => Cow::Borrowed("undefined"),
        Some(Value::Null) => Cow::Borrowed("null"),
        Some(Value::Bool(true)) => Cow::Borrowed("true"),
        Some(Value::Bool(false)) => Cow::Borrowed("false"),
        Some(Value::Number(n)) => Cow::Owned(number_to_string(num(n))),
        Some(Value::String(s)) => Cow::Borrowed(s),
        Some(Value::Array(items)) => Cow::Owned(join(items)),
        Some(Value::Object(_)) => Cow::Borrowed("[object Object]"),
    }
}

/// `Array.prototype.join(",")`: null and undefined elements become empty strings.
fn join(items: &[Value]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if !item.is_null() {
            out.push_str(&to_js_string(Some(item)));
        }
    }
    out
}

/// `Number.prototype.toString()`.
pub fn number_to_string(n: f64) -> String {
    let mut buf = ryu_js::Buffer::new();
    buf.format(n).to_string()
}

/// JavaScript's white space and line terminators, which `parseFloat` and `Number` trim.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{A}' | '\u{B}' | '\u{C}' | '\u{D}' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// Length of the longest prefix of `s` that is a StrDecimalLiteral (without sign handling of
/// `Infinity`, which callers do first). Returns 0 when there is none.
fn decimal_prefix_len(s: &[u8]) -> usize {
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int_digits = digits(&mut i);
    let mut frac_digits = 0;
    if i < s.len() && s[i] == b'.' {
        let mut j = i + 1;
        frac_digits = digits(&mut j);
        if int_digits > 0 || frac_digits > 0 {
            i = j;
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return 0;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        if digits(&mut j) > 0 {
            i = j;
        }
    }
    i
}

/// `parseFloat(String(x))`.
pub fn parse_float(v: JsRef) -> f64 {
    if let Some(Value::Number(n)) = v {
        return num(n);
    }
    let s = to_js_string(v);
    let t = s.trim_start_matches(is_js_space);
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    if body.starts_with("Infinity") {
        return sign * f64::INFINITY;
    }
    let len = decimal_prefix_len(body.as_bytes());
    if len == 0 {
        return f64::NAN;
    }
    body[..len].parse::<f64>().map_or(f64::NAN, |x| sign * x)
}

/// `Number(s)` for a string: the whole (trimmed) string must be a numeric literal.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let b = t.as_bytes();
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            let digits = &t[2..];
            if !digits.chars().all(|c| c.is_digit(radix)) {
                return f64::NAN;
            }
            return digits.chars().fold(0.0, |acc, c| {
                acc * radix as f64 + c.to_digit(radix).unwrap_or(0) as f64
            });
        }
    }
    let (sign, body) = match b[0] {
        b'-' => (-1.0, &t[1..]),
        b'+' => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    if decimal_prefix_len(body.as_bytes()) != body.len() {
        return f64::NAN;
    }
    body.parse::<f64>().map_or(f64::NAN, |x| sign * x)
}

/// The result of ToPrimitive with hint "number" for JSON values.
enum Primitive<'a> {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    Str(Cow<'a, str>),
}

fn to_primitive(v: JsRef<'_>) -> Primitive<'_> {
    match v {
        None => Primitive::Undefined,
        Some(Value::Null) => Primitive::Null,
        Some(Value::Bool(b)) => Primitive::Bool(*b),
        Some(Value::Number(n)) => Primitive::Number(num(n)),
        Some(Value::String(s)) => Primitive::Str(Cow::Borrowed(s)),
        Some(other) => Primitive::Str(to_js_string(Some(other))),
    }
}

fn primitive_to_number(p: &Primitive) -> f64 {
    match p {
        Primitive::Undefined => f64::NAN,
        Primitive::Null => 0.0,
        Primitive::Bool(b) => f64::from(u8::from(*b)),
        Primitive::Number(n) => *n,
        Primitive::Str(s) => string_to_number(s),
    }
}

/// Compares two strings by UTF-16 code units, as JavaScript does.
fn compare_utf16(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.as_bytes().cmp(b.as_bytes());
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The abstract relational comparison: `Some(ordering)`, or `None` when a NaN is involved
/// (every comparison is then false).
fn relate(a: JsRef, b: JsRef) -> Option<Ordering> {
    // Two numbers, the usual case, compare as they are.
    if let (Some(Value::Number(x)), Some(Value::Number(y))) = (a, b) {
        return num(x).partial_cmp(&num(y));
    }
    let (pa, pb) = (to_primitive(a), to_primitive(b));
    if let (Primitive::Str(x), Primitive::Str(y)) = (&pa, &pb) {
        return Some(compare_utf16(x, y));
    }
    primitive_to_number(&pa).partial_cmp(&primitive_to_number(&pb))
}

pub fn less_than(a: JsRef, b: JsRef) -> bool {
    relate(a, b) == Some(Ordering::Less)
}

pub fn less_or_equal(a: JsRef, b: JsRef) -> bool {
    matches!(relate(a, b), Some(Ordering::Less | Ordering::Equal))
}

pub fn greater_than(a: JsRef, b: JsRef) -> bool {
    relate(a, b) == Some(Ordering::Greater)
}

pub fn greater_or_equal(a: JsRef, b: JsRef) -> bool {
    matches!(relate(a, b), Some(Ordering::Greater | Ordering::Equal))
}

/// `haystack.indexOf(needle) > -1` for a haystack that is an array (strict equality) or a
/// string (substring search on `String(needle)`). Other haystacks throw in JavaScript; the
/// caller reports them, here they do not match.
pub fn index_of(haystack: JsRef, needle: JsRef) -> bool {
    match haystack {
        Some(Value::Array(items)) => items.iter().any(|item| strict_equal(Some(item), needle)),
        Some(Value::String(s)) => s.contains(&*to_js_string(needle)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pf(v: Value) -> f64 {
        parse_float(Some(&v))
    }

    #[test]
    fn parse_float_reads_prefixes_like_javascript() {
        assert_eq!(pf(json!("10abc")), 10.0);
        assert_eq!(pf(json!("  -5.5e2x")), -550.0);
        assert_eq!(pf(json!(".5")), 0.5);
        assert_eq!(pf(json!("5.")), 5.0);
        assert_eq!(pf(json!("1e")), 1.0);
        assert_eq!(pf(json!("0x10")), 0.0);
        assert_eq!(pf(json!("-Infinity")), f64::NEG_INFINITY);
        assert_eq!(pf(json!([7, 8])), 7.0);
        assert!(pf(json!(null)).is_nan());
        assert!(pf(json!(true)).is_nan());
        assert!(pf(json!("")).is_nan());
        assert!(pf(json!({"a": 1})).is_nan());
        assert!(pf(json!("inf")).is_nan());
        assert!(parse_float(None).is_nan());
    }

    #[test]
    fn number_reads_whole_strings_like_javascript() {
        assert_eq!(string_to_number(" 12 "), 12.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x10"), 16.0);
        assert!(string_to_number("10abc").is_nan());
        assert!(string_to_number("-0x10").is_nan());
        assert!(string_to_number("infinity").is_nan());
    }

    #[test]
    fn relational_operators_follow_javascript() {
        let (ten_s, five, nine_s) = (json!("10"), json!(5), json!("9"));
        assert!(greater_than(Some(&ten_s), Some(&five)));
        assert!(
            !greater_than(Some(&ten_s), Some(&nine_s)),
            "strings compare as strings"
        );
        assert!(less_or_equal(Some(&json!(null)), Some(&json!(0))));
        assert!(!less_than(Some(&json!("abc")), Some(&five)));
        assert!(greater_or_equal(Some(&json!([5])), Some(&five)));
        assert!(
            less_than(Some(&json!("😀")), Some(&json!("\u{FFFF}"))),
            "UTF-16 order"
        );
        assert!(!less_or_equal(None, Some(&five)));
    }

    #[test]
    fn equality_is_strict_and_by_identity_for_objects() {
        let a = json!({"x": 1});
        let b = json!({"x": 1});
        assert!(!strict_equal(Some(&a), Some(&b)));
        assert!(strict_equal(Some(&a), Some(&a)));
        assert!(!strict_equal(Some(&json!(1)), Some(&json!("1"))));
        assert!(strict_equal(Some(&json!(1)), Some(&json!(1.0))));
    }

    #[test]
    fn index_of_covers_arrays_and_strings() {
        assert!(index_of(Some(&json!("production")), Some(&json!("duct"))));
        assert!(index_of(Some(&json!("a1")), Some(&json!(1))));
        assert!(index_of(Some(&json!(["a", 1])), Some(&json!(1))));
        assert!(!index_of(Some(&json!(["1"])), Some(&json!(1))));
        assert!(index_of(Some(&json!("xundefinedx")), None));
    }

    #[test]
    fn strings_of_values_match_javascript() {
        assert_eq!(
            to_js_string(Some(&json!([1, null, [2, 3], "a"]))),
            "1,,2,3,a"
        );
        assert_eq!(to_js_string(Some(&json!(1e21))), "1e+21");
        assert_eq!(to_js_string(Some(&json!(17.0))), "17");
    }
}
