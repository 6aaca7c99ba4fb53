//! Reading one record of a facts file straight from the bytes, finding its end while reading
//! it, so that the file is read once. The fact row is reused from record to record (strings
//! rewritten in place). Only the plain shapes facts files are made of are read here; anything
//! else (an escape in a string, a syntax error, no `entity`) is declined and the record is
//! read again by the general serde_json reader, so results and error messages never differ.

use serde::de::IgnoredAny;
use serde_json::{Deserializer, Number, Value};

use super::split::quote_or_backslash;
use crate::catalog::EntityRef;
use crate::rules::FactTable;

/// The fast reader does not take this record: the general reader reads it again.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Declined;

/// A fact row filled record after record.
pub(super) struct RowReader<'t> {
    table: &'t FactTable,
    row: Vec<Option<Value>>,
    /// The pass that last set each slot; slots the current pass did not set are cleared.
    set_in: Vec<u64>,
    pass: u64,
    /// The slot of the n-th fact of the last record: files mostly list facts in one order, so
    /// comparing the key with that fact's name saves a hash lookup.
    order: Vec<Option<u32>>,
    /// Per slot, its name as a JSON string when it needs no escapes (else empty).
    quoted: Vec<Vec<u8>>,
}

impl<'t> RowReader<'t> {
    pub fn new(table: &'t FactTable) -> Self {
        RowReader {
            table,
            row: vec![None; table.len()],
            set_in: vec![0; table.len()],
            pass: 0,
            order: Vec::new(),
            quoted: table
                .names()
                .iter()
                .map(|name| {
                    let plain = name.bytes().all(|c| c >= 0x20 && c != b'"' && c != b'\\');
                    if plain {
                        format!("\"{name}\"").into_bytes()
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
        }
    }

    pub fn table(&self) -> &'t FactTable {
        self.table
    }

    /// The row of the record read last.
    pub fn row(&self) -> &[Option<Value>] {
        &self.row
    }

    /// The row, for the general reader to rewrite.
    pub fn row_mut(&mut self) -> &mut [Option<Value>] {
        &mut self.row
    }

    /// Reads the record (an object) starting at `start` (whitespace allowed before it) and
    /// ending before `limit`; returns its entity and the offset just after its `}`.
    pub fn read(
        &mut self,
        bytes: &[u8],
        start: usize,
        limit: usize,
    ) -> Result<(EntityRef, usize), Declined> {
        let b = &bytes[..limit];
        let mut p = expect(b, ws(b, start), b'{')?;
        self.pass += 1;
        let mut entity = None;
        let mut facts_seen = false;
        p = ws(b, p);
        if b.get(p) != Some(&b'}') {
            loop {
                let (key, at) = string(b, p)?;
                p = ws(b, expect(b, ws(b, at), b':')?);
                p = match key {
                    "entity" => {
                        let (e, at) = string(b, p)?;
                        entity = Some(e);
                        at
                    }
                    "facts" => {
                        // A later `facts` object replaces an earlier one as a whole.
                        if facts_seen {
                            self.pass += 1;
                        }
                        facts_seen = true;
                        self.facts(b, p)?
                    }
                    _ => skip(b, p)?,
                };
                p = ws(b, p);
                match b.get(p) {
                    Some(b',') => p = ws(b, p + 1),
                    Some(b'}') => break,
                    _ => return Err(Declined),
                }
            }
        }
        for (slot, set_in) in self.row.iter_mut().zip(&self.set_in) {
            if *set_in != self.pass {
                *slot = None;
            }
        }
        let entity: EntityRef = entity.ok_or(Declined)?.parse().map_err(|_| Declined)?;
        Ok((entity, p + 1))
    }

    /// Reads the `facts` object at `p` into the row; returns the offset after its `}`.
    fn facts(&mut self, b: &[u8], p: usize) -> Result<usize, Declined> {
        let mut p = ws(b, expect(b, p, b'{')?);
        if b.get(p) == Some(&b'}') {
            return Ok(p + 1);
        }
        let mut n = 0;
        loop {
            let (slot, at) = self.key(n, b, p)?;
            p = ws(b, expect(b, ws(b, at), b':')?);
            p = match slot {
                Some(slot) => self.value(slot, b, p)?,
                None => skip(b, p)?,
            };
            n += 1;
            p = ws(b, p);
            match b.get(p) {
                Some(b',') => p = ws(b, p + 1),
                Some(b'}') => return Ok(p + 1),
                _ => return Err(Declined),
            }
        }
    }

    /// The slot of the `n`-th fact of a record, whose key starts at `p` (`None`: no check
    /// reads it), and the offset after the key.
    fn key(&mut self, n: usize, b: &[u8], p: usize) -> Result<(Option<u32>, usize), Declined> {
        // Most likely the fact at the same place in the last record: its quoted name is here.
        if let Some(Some(slot)) = self.order.get(n) {
            let quoted = &self.quoted[*slot as usize];
            if !quoted.is_empty() && starts_with(&b[p..], quoted) {
                return Ok((Some(*slot), p + quoted.len()));
            }
        }
        let (key, at) = string(b, p)?;
        let slot = self.table.slot(key);
        if n >= self.order.len() {
            self.order.resize(n + 1, None);
        }
        self.order[n] = slot;
        Ok((slot, at))
    }

    /// Reads the value at `p` into `slot`; returns the offset after it.
    fn value(&mut self, slot: u32, b: &[u8], p: usize) -> Result<usize, Declined> {
        let i = slot as usize;
        self.set_in[i] = self.pass;
        read_into(self.row[i].get_or_insert(Value::Null), b, p, 0)
    }
}

/// Whether `hay` starts with `prefix`, compared eight bytes at a time: keys are short, and
/// the general comparison's call costs more than the comparing.
fn starts_with(hay: &[u8], prefix: &[u8]) -> bool {
    let Some(hay) = hay.get(..prefix.len()) else {
        return false;
    };
    let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let n = prefix.len();
    if n < 8 {
        return hay == prefix;
    }
    // Whole words, then the last word (overlapping the one before it).
    (0..n / 8).all(|i| word(hay, i * 8) == word(prefix, i * 8))
        && word(hay, n - 8) == word(prefix, n - 8)
}

/// Arrays nested deeper than this are read by serde_json (which limits nesting).
const MAX_NESTING: usize = 2;

/// Reads the value at `p` into `v`, reusing its strings and arrays; returns the offset after
/// it. `nesting` is the number of arrays around it.
fn read_into(v: &mut Value, b: &[u8], p: usize, nesting: usize) -> Result<usize, Declined> {
    let (value, end) = match b.get(p) {
        Some(b'"') => {
            let (s, end) = string(b, p)?;
            if let Value::String(old) = v {
                old.clear();
                old.push_str(s);
                return Ok(end);
            }
            (Value::String(s.to_owned()), end)
        }
        Some(b'[') if nesting < MAX_NESTING => return array_into(v, b, p, nesting + 1),
        Some(b't') if b[p..].starts_with(b"true") => return Ok(set_bool(v, true, p + 4)),
        Some(b'f') if b[p..].starts_with(b"false") => return Ok(set_bool(v, false, p + 5)),
        Some(b'n') if b[p..].starts_with(b"null") => (Value::Null, p + 4),
        Some(b'0'..=b'9') => match whole_number(b, p) {
            Some((n, end)) => (Value::Number(Number::from(n)), end),
            None => general_value(b, p, nesting)?,
        },
        _ => general_value(b, p, nesting)?,
    };
    *v = value;
    Ok(end)
}

/// Sets `v` to a boolean; returns `end`. (Most facts are booleans, and most were booleans in
/// the record before: a value that holds nothing to free is not dropped.)
fn set_bool(v: &mut Value, value: bool, end: usize) -> usize {
    match v {
        Value::Bool(old) => *old = value,
        _ => *v = Value::Bool(value),
    }
    end
}

/// Reads the array at `p` into `v`, element by element into the elements it had.
fn array_into(v: &mut Value, b: &[u8], p: usize, nesting: usize) -> Result<usize, Declined> {
    if !v.is_array() {
        *v = Value::Array(Vec::new());
    }
    let Value::Array(items) = v else {
        return Err(Declined);
    };
    let mut p = ws(b, p + 1);
    let mut n = 0;
    if b.get(p) != Some(&b']') {
        loop {
            if n == items.len() {
                items.push(Value::Null);
            }
            p = ws(b, read_into(&mut items[n], b, p, nesting)?);
            n += 1;
            match b.get(p) {
                Some(b',') => p = ws(b, p + 1),
                Some(b']') => break,
                _ => return Err(Declined),
            }
        }
    }
    items.truncate(n);
    Ok(p + 1)
}

/// A value read by serde_json, within the nesting the general reader allows (it reads the
/// record as a whole, two levels deep already, so less is left for the value).
fn general_value(b: &[u8], p: usize, nesting: usize) -> Result<(Value, usize), Declined> {
    let (value, end) = general::<Value>(b, p)?;
    if nesting + depth(&value) > 100 {
        return Err(Declined);
    }
    Ok((value, end))
}

/// How many arrays and objects deep a value is.
fn depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The offset of the first byte at or after `p` that is not JSON white space.
pub(super) fn ws(b: &[u8], mut p: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(p) {
        p += 1;
    }
    p
}

/// The offset after `byte`, which must be at `p`.
fn expect(b: &[u8], p: usize, byte: u8) -> Result<usize, Declined> {
    if b.get(p) == Some(&byte) {
        Ok(p + 1)
    } else {
        Err(Declined)
    }
}

/// The string starting at `p` (its opening quote) and the offset after it. Declines escapes,
/// control characters and bad UTF-8 (the general reader unescapes or reports them).
fn string(b: &[u8], p: usize) -> Result<(&str, usize), Declined> {
    let from = expect(b, p, b'"')?;
    // Short ASCII strings are the rule: one look at each byte.
    let mut end = from;
    while let Some(&c) = b.get(end) {
        match c {
            b'"' => break,
            0x20..=0x7f if c != b'\\' => end += 1,
            _ => return non_ascii_string(b, from),
        }
    }
    let end_quote = expect(b, end, b'"')?;
    // SAFETY: every byte of the string was looked at above and is ASCII, so it is UTF-8.
    let s = unsafe { std::str::from_utf8_unchecked(&b[from..end]) };
    Ok((s, end_quote))
}

/// [`string`] for strings with other bytes than printable ASCII.
fn non_ascii_string(b: &[u8], from: usize) -> Result<(&str, usize), Declined> {
    let len = quote_or_backslash(&b[from..]).ok_or(Declined)?;
    let raw = &b[from..from + len];
    if b[from + len] != b'"' || raw.iter().any(|&c| c < 0x20) {
        return Err(Declined);
    }
    let s = std::str::from_utf8(raw).map_err(|_| Declined)?;
    Ok((s, from + len + 1))
}

/// A non-negative whole number of at most 19 digits (so it fits in a u64), read as serde_json
/// reads it; `None` for anything else (a fraction, an exponent, a leading zero).
fn whole_number(b: &[u8], p: usize) -> Option<(u64, usize)> {
    let digits = b[p..].iter().take_while(|c| c.is_ascii_digit()).count();
    let end = p + digits;
    if digits > 19 || (digits > 1 && b[p] == b'0') || matches!(b.get(end), Some(b'.' | b'e' | b'E'))
    {
        return None;
    }
    let n = b[p..end]
        .iter()
        .fold(0u64, |n, c| n * 10 + u64::from(c - b'0'));
    Some((n, end))
}

/// A value read by serde_json (checked for UTF-8 like everything the general reader reads),
/// and the offset after it.
fn general<T: serde::de::DeserializeOwned>(b: &[u8], p: usize) -> Result<(T, usize), Declined> {
    let mut values = Deserializer::from_slice(&b[p..]).into_iter::<T>();
    match values.next() {
        Some(Ok(v)) => Ok((v, p + values.byte_offset())),
        _ => Err(Declined),
    }
}

/// Skips the value at `p` (a fact no check reads, a key of the record we do not use).
fn skip(b: &[u8], p: usize) -> Result<usize, Declined> {
    let ((), end) = general::<IgnoredAny>(b, p).map(|(IgnoredAny, end)| ((), end))?;
    // serde_json skips strings without checking their UTF-8; the general reader of a record
    // that is not UTF-8 checks more than that, so such a record is left to it.
    std::str::from_utf8(&b[p..end]).map_err(|_| Declined)?;
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::file::parse_record;

    fn table() -> FactTable {
        let mut t = FactTable::default();
        for name in ["a", "b", "s", "n", "l"] {
            t.intern(name);
        }
        t
    }

    /// Reads `records` one after the other with one reader, then each with the general reader:
    /// the fast reader either declines or gives exactly what the general one gives.
    fn same_as_general(records: &[&str]) -> usize {
        let t = table();
        let mut fast = RowReader::new(&t);
        let mut taken = 0;
        for r in records {
            let mut row = vec![None; t.len()];
            let general = parse_record(r.as_bytes(), &t, &mut row);
            match fast.read(r.as_bytes(), 0, r.len()) {
                Ok((entity, end)) => {
                    taken += 1;
                    assert_eq!(Ok(&entity), general.as_ref(), "{r}");
                    assert_eq!(fast.row(), &row[..], "{r}");
                    assert!(r[end..].trim().is_empty(), "{r}");
                }
                Err(Declined) => {
                    // The general reader starts from a clean row whatever the fast one left.
                    fast.row_mut().fill(None);
                }
            }
        }
        taken
    }

    #[test]
    fn plain_records_read_as_serde_json_reads_them() {
        let records = [
            r#"{"entity": "component:default/x", "facts": {"a": true, "b": false, "s": "go", "n": 17, "l": ["a", 1]}}"#,
            // Same order, other values: strings rewritten in place, absent facts cleared.
            r#" {"entity":"Component:Default/Y","facts":{"a":null,"s":"python","n":0}} "#,
            r#"{"facts": {"n": 18446744073709551615, "s": ""}, "entity": "component:default/z", "x": {"y": [1, "}"]}}"#,
            r#"{"entity": "component:default/z", "facts": {"n": 1.5, "b": -3, "zz": {"s": 1}, "s": "é"}}"#,
            r#"{"entity": "component:default/z", "facts": {"n": 1e3, "a": 12345678901234567890, "b": 1234567890123456789}}"#,
            r#"{"entity": "component:default/z", "facts": {"a": 1}, "facts": {"b": 2}}"#,
            r#"{"entity": "component:default/a", "entity": "component:default/b", "facts": {}}"#,
            r#"{"entity": "component:default/z", "facts": {"s": "x", "s": 2, "a": 0}}"#,
            r#"{ "entity" : "component:default/z" , "facts" : { "a" : [ ] , "s" : { } } }"#,
            // Arrays rewritten in place, longer and shorter, nested.
            r#"{"entity": "component:default/z", "facts": {"l": ["go", "java", true]}}"#,
            r#"{"entity": "component:default/z", "facts": {"l": ["rust", 2, null, "x", [1]]}}"#,
            r#"{"entity": "component:default/z", "facts": {"l": [["a"], [[1, 2.5], {"b": [3]}]]}}"#,
            r#"{"entity": "component:default/z", "facts": {"l": "s", "a": ["x"]}}"#,
        ];
        assert_eq!(same_as_general(&records), records.len());
    }

    #[test]
    fn anything_unusual_is_left_to_the_general_reader() {
        let declined = [
            r#"{"entity": "component:default/x", "facts": {"s": "a\"b"}}"#,
            r#"{"entity": "component:default/x", "facts": {"s\u0061": 1}}"#,
            r#"{"entity": "component:default/x", "facts": {"n": 01}}"#,
            r#"{"entity": "component:default/x", "facts": {"a": truex}}"#,
            r#"{"entity": "component:default/x", "facts": {"a": 1,}}"#,
            r#"{"entity": "component:default/x", "facts": {"a": 1} "#,
            r#"{"entity": "nokind", "facts": {}}"#,
            r#"{"facts": {"a": 1}}"#,
            "{\"entity\": \"component:default/x\", \"facts\": {\"s\": \"a\tb\"}}",
            r#"[{"entity": "component:default/x"}]"#,
            r#"{"entity": 1}"#,
            r#"{"entity": "component:default/x", "facts": {"l": [1 2]}}"#,
            r#"{"entity": "component:default/x", "facts": {"l": [1,]}}"#,
        ];
        let deep = format!(
            r#"{{"entity": "component:default/x", "facts": {{"l": {}1{}}}}}"#,
            "[".repeat(120),
            "]".repeat(120)
        );
        assert_eq!(same_as_general(&declined), 0);
        // Deep nesting is left to serde_json, which limits it.
        assert_eq!(same_as_general(&[deep.as_str()]), 0);
        // Bad UTF-8 even in a value nobody reads.
        let t = table();
        let mut fast = RowReader::new(&t);
        let bytes = b"{\"entity\": \"component:default/x\", \"y\": \"\xff\"}";
        assert_eq!(fast.read(bytes, 0, bytes.len()).unwrap_err(), Declined);
    }

    #[test]
    fn a_record_ends_where_its_object_does() {
        let t = table();
        let mut fast = RowReader::new(&t);
        let text = r#"  {"entity": "component:default/x", "facts": {"s": "}, {"}} , {"entity""#;
        let (_, end) = fast.read(text.as_bytes(), 0, text.len()).unwrap();
        assert_eq!(&text[end..end + 3], " , ");
        // The limit ends the record (an NDJSON line).
        assert_eq!(
            fast.read(text.as_bytes(), 0, end - 1).unwrap_err(),
            Declined
        );
    }
}
