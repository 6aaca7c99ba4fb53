//! The JSONPath subset a condition's `path` may use — `$.a.b`, `$['key']`, `$.list[0]`,
//! `$.list[*].id`, `$..name` — with jsonpath-plus' results as json-rules-engine reads them
//! (`wrap: false`): no match is `undefined`, one plain match is the value itself, a match through
//! a wildcard or descent (or several matches) is an array.

use std::borrow::Cow;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Property(String),
    Wildcard,
    Descend,
}

/// The most segments a path may have: resolving recurses once per segment.
pub const MAX_SEGMENTS: usize = 32;
/// The most descents (`..`) a path may use: each one multiplies the work by the size of the value.
pub const MAX_DESCENTS: usize = 2;

/// A compiled path.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    text: String,
    segments: Vec<Segment>,
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let mut segments = Vec::new();
        let body = text.trim();
        let mut rest = body.strip_prefix('$').unwrap_or(body);
        let mut first = true;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("..") {
                segments.push(Segment::Descend);
                rest = r;
                if rest.starts_with('[') {
                    continue;
                }
                let (name, r) = take_name(rest);
                segments.push(name_segment(name, text)?);
                rest = r;
            } else if let Some(r) = rest.strip_prefix('.') {
                let (name, r) = take_name(r);
                segments.push(name_segment(name, text)?);
                rest = r;
            } else if let Some(r) = rest.strip_prefix('[') {
                let close = r
                    .find(']')
                    .ok_or_else(|| format!("JSONPath `{text}`: `[` without `]`"))?;
                let inner = r[..close].trim();
                rest = &r[close + 1..];
                let quoted = (inner.starts_with('\'') && inner.ends_with('\''))
                    || (inner.starts_with('"') && inner.ends_with('"'));
                if quoted && inner.len() >= 2 {
                    segments.push(Segment::Property(inner[1..inner.len() - 1].to_string()));
                } else if inner == "*" {
                    segments.push(Segment::Wildcard);
                } else if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
                    segments.push(Segment::Property(inner.to_string()));
                } else {
                    return Err(format!(
                        "JSONPath `{text}`: `[{inner}]` is not supported (use names, indices, \
                         quoted keys, `*` or `..`)"
                    ));
                }
            } else if first {
                // jsonpath-plus reads `a.b` as `$.a.b`.
                let (name, r) = take_name(rest);
                segments.push(name_segment(name, text)?);
                rest = r;
            } else {
                return Err(format!("JSONPath `{text}`: unexpected `{rest}`"));
            }
            first = false;
        }
        if segments.len() > MAX_SEGMENTS {
            return Err(format!(
                "JSONPath `{}…`: more than {MAX_SEGMENTS} steps",
                text.chars().take(40).collect::<String>()
            ));
        }
        let descents = segments.iter().filter(|s| **s == Segment::Descend).count();
        if descents > MAX_DESCENTS {
            return Err(format!(
                "JSONPath `{text}`: `..` is used {descents} times; at most {MAX_DESCENTS} are allowed"
            ));
        }
        if matches!(segments.last(), Some(Segment::Descend)) {
            return Err(format!(
                "JSONPath `{text}`: `..` must be followed by a name"
            ));
        }
        Ok(JsonPath {
            text: text.to_string(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value the path selects in `root` (`None` = undefined).
    pub fn resolve<'a>(&self, root: &'a Value) -> Option<Cow<'a, Value>> {
        if self.segments.is_empty() {
            return Some(Cow::Borrowed(root));
        }
        let mut out = Vec::new();
        trace(&self.segments, Cow::Borrowed(root), false, &mut out);
        match out.len() {
            0 => None,
            1 if !out[0].1 => out.pop().map(|(v, _)| v),
            _ => Some(Cow::Owned(Value::Array(
                out.into_iter().map(|(v, _)| v.into_owned()).collect(),
            ))),
        }
    }
}

fn take_name(s: &str) -> (&str, &str) {
    let end = s.find(['.', '[']).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

fn name_segment(name: &str, text: &str) -> Result<Segment, String> {
    match name {
        "" => Err(format!("JSONPath `{text}`: empty name")),
        "*" => Ok(Segment::Wildcard),
        n if n.starts_with(['?', '(', '@', '^', '~']) => Err(format!(
            "JSONPath `{text}`: `{n}` is not supported (no filters or script expressions)"
        )),
        n => Ok(Segment::Property(n.to_string())),
    }
}

fn child<'a>(value: &Cow<'a, Value>, prop: &str) -> Option<Cow<'a, Value>> {
    match value {
        Cow::Borrowed(v) => child_of(v, prop),
        Cow::Owned(v) => child_of(v, prop).map(|c| Cow::Owned(c.into_owned())),
    }
}

fn child_of<'a>(value: &'a Value, prop: &str) -> Option<Cow<'a, Value>> {
    match value {
        Value::Object(map) => map.get(prop).map(Cow::Borrowed),
        Value::Array(items) => {
            if prop == "length" {
                return Some(Cow::Owned(Value::from(items.len())));
            }
            canonical_index(prop)
                .and_then(|i| items.get(i))
                .map(Cow::Borrowed)
        }
        // jsonpath-plus skips falsy values, so the empty string has no properties.
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => {
            let units: Vec<u16> = s.encode_utf16().collect();
            if prop == "length" {
                return Some(Cow::Owned(Value::from(units.len())));
            }
            canonical_index(prop)
                .and_then(|i| units.get(i))
                .map(|u| Cow::Owned(Value::String(String::from_utf16_lossy(&[*u]))))
        }
        _ => None,
    }
}

fn canonical_index(prop: &str) -> Option<usize> {
    let i: usize = prop.parse().ok()?;
    (i.to_string() == prop).then_some(i)
}

/// An object's values in JavaScript's property order: array-index keys (canonical integers
/// below 2^32 - 1) ascending, then the others in insertion order.
fn js_ordered(map: &serde_json::Map<String, Value>) -> Vec<&Value> {
    let mut entries: Vec<(Option<u32>, usize, &Value)> = map
        .iter()
        .enumerate()
        .map(|(i, (k, v))| {
            (
                k.parse::<u32>()
                    .ok()
                    .filter(|n| *n < u32::MAX && n.to_string() == *k),
                i,
                v,
            )
        })
        .collect();
    entries.sort_by_key(|(n, i, _)| (n.is_none(), n.unwrap_or(0), *i));
    entries.into_iter().map(|(_, _, v)| v).collect()
}

fn children<'a>(value: &Cow<'a, Value>) -> Vec<Cow<'a, Value>> {
    match value {
        Cow::Borrowed(Value::Object(map)) => {
            js_ordered(map).into_iter().map(Cow::Borrowed).collect()
        }
        Cow::Borrowed(Value::Array(items)) => items.iter().map(Cow::Borrowed).collect(),
        Cow::Owned(Value::Object(map)) => js_ordered(map)
            .into_iter()
            .cloned()
            .map(Cow::Owned)
            .collect(),
        Cow::Owned(Value::Array(items)) => items.iter().cloned().map(Cow::Owned).collect(),
        _ => Vec::new(),
    }
}

/// Collects matches; the flag says whether a match came through a wildcard or from below a
/// descent's starting point (jsonpath-plus then always returns an array).
fn trace<'a>(
    segments: &[Segment],
    value: Cow<'a, Value>,
    arr: bool,
    out: &mut Vec<(Cow<'a, Value>, bool)>,
) {
    let Some((head, rest)) = segments.split_first() else {
        out.push((value, arr));
        return;
    };
    match head {
        Segment::Property(p) => {
            if let Some(c) = child(&value, p) {
                trace(rest, c, arr, out);
            }
        }
        Segment::Wildcard => {
            for c in children(&value) {
                trace(rest, c, true, out);
            }
        }
        Segment::Descend => {
            trace(rest, value.clone(), arr, out);
            for c in children(&value) {
                if matches!(c.as_ref(), Value::Object(_) | Value::Array(_)) {
                    trace(segments, c, true, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn get(path: &str, v: &Value) -> Option<Value> {
        JsonPath::parse(path)
            .unwrap()
            .resolve(v)
            .map(Cow::into_owned)
    }

    #[test]
    fn plain_paths_return_the_value() {
        let v = json!({"a": {"b": [10, 20]}, "k.x": 1});
        assert_eq!(get("$.a.b[1]", &v), Some(json!(20)));
        assert_eq!(get("$['k.x']", &v), Some(json!(1)));
        assert_eq!(get("a.b", &v), Some(json!([10, 20])));
        assert_eq!(get("$.a.b.length", &v), Some(json!(2)));
        assert_eq!(get("$.a.missing", &v), None);
        assert_eq!(get("$", &v), Some(v.clone()));
    }

    #[test]
    fn wildcards_and_descent_return_arrays() {
        let v = json!({"items": [{"id": "x"}, {"id": "y", "sub": {"id": "z"}}]});
        assert_eq!(get("$.items[*].id", &v), Some(json!(["x", "y"])));
        assert_eq!(get("$.items[0].*", &v), Some(json!(["x"])));
        assert_eq!(get("$..id", &v), Some(json!(["x", "y", "z"])));
        assert_eq!(
            get("$.items[1].sub..id", &v),
            Some(json!("z")),
            "one match through `..` is not wrapped"
        );
        assert_eq!(get("$.nothing[*]", &v), None);
    }

    #[test]
    fn unsupported_syntax_is_rejected_with_the_path() {
        let err = JsonPath::parse("$.items[?(@.id=='x')]").unwrap_err();
        assert!(err.contains("$.items[?(@.id=='x')]"), "{err}");
        assert!(JsonPath::parse("$.a[").is_err());
    }

    #[test]
    fn steps_and_descents_are_bounded() {
        assert!(JsonPath::parse(&format!("${}", ".a".repeat(MAX_SEGMENTS))).is_ok());
        let long = format!("${}", ".a".repeat(100_000));
        let err = JsonPath::parse(&long).unwrap_err();
        assert!(
            err.contains("more than 32 steps") && err.len() < 200,
            "{err}"
        );
        assert!(JsonPath::parse("$..a..b").is_ok());
        let err = JsonPath::parse("$..a..b..c").unwrap_err();
        assert!(err.contains("3 times"), "{err}");
    }
}
