//! Facts files: a JSON array or NDJSON of `{"entity": "<ref>", "facts": {...}}`. Large files
//! (100k entities) are cut into chunks read on every core, each record parsed straight into
//! the fact slots the standards read (its end found while parsing it); facts no check reads
//! are skipped unparsed.

use std::borrow::Cow;
use std::fmt;

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::record::{RowReader, ws};
use super::split;
use crate::catalog::EntityRef;
use crate::rules::FactTable;

/// One record of a facts file.
#[derive(Debug, Clone, PartialEq)]
pub struct FactRecord {
    pub entity: EntityRef,
    /// One slot per fact of the table it was read with.
    pub facts: Vec<Option<Value>>,
}

/// A record that could not be read: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: record {record}: {message}")]
pub struct FactsError {
    pub line: usize,
    pub record: usize,
    pub message: String,
}

/// Reads every record of a facts file (JSON array or NDJSON).
pub fn parse_facts(bytes: &[u8], table: &FactTable) -> Result<Vec<FactRecord>, FactsError> {
    parse_facts_in_chunks(bytes, table, split::CHUNK)
}

/// Reads a facts file on every core: it is cut into chunks, and each chunk's records are read
/// one by one, straight from the bytes, into one reused fact row that is handed to `visit`
/// with the chunk's own `T` (made by `init` from the chunk's length in bytes). The `T`s come
/// back in file order. The first bad record in file order is the error.
pub fn read_chunks<T: Send>(
    bytes: &[u8],
    table: &FactTable,
    init: impl Fn(usize) -> T + Sync,
    visit: impl Fn(&mut T, EntityRef, &[Option<Value>]) + Sync,
) -> Result<Vec<T>, FactsError> {
    read_chunks_of(bytes, table, split::CHUNK, init, visit)
}

/// [`parse_facts`] with chunks of `chunk` bytes (the fuzz target `facts_file` cuts small
/// inputs into many chunks, so that the guessed boundaries of arrays are tried too).
pub fn parse_facts_in_chunks(
    bytes: &[u8],
    table: &FactTable,
    chunk: usize,
) -> Result<Vec<FactRecord>, FactsError> {
    let chunks = read_chunks_of(
        bytes,
        table,
        chunk,
        |_| Vec::new(),
        |out, entity, facts| {
            out.push(FactRecord {
                entity,
                facts: facts.to_vec(),
            });
        },
    )?;
    Ok(chunks.concat())
}

/// Reads a facts file with the general serde_json reader alone, record after record: what
/// [`parse_facts`] (whose fast reader declines what it does not take) must agree with, the
/// same records or an error of the same record (the fuzz target `facts_file` compares them).
pub fn parse_facts_general(bytes: &[u8], table: &FactTable) -> Result<Vec<FactRecord>, FactsError> {
    let mut out = Vec::new();
    let mut row = vec![None; table.len()];
    let fail = |offset: usize, record: usize, message: String| FactsError {
        line: line_of(bytes, offset),
        record,
        message,
    };
    let start = ws(bytes, 0);
    if bytes.get(start) == Some(&b'[') {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let records = GeneralArray {
            table,
            row: &mut row,
            out: &mut out,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| e.to_string());
        return match records {
            Ok(()) => Ok(out),
            Err(message) => Err(fail(bytes.len(), out.len() + 1, message)),
        };
    }
    let mut at = 0;
    while at < bytes.len() {
        let eol = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        let line = at;
        at = eol + 1;
        if bytes[line..eol].iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entity = parse_record(&bytes[line..eol], table, &mut row)
            .map_err(|message| fail(line, out.len() + 1, message))?;
        out.push(FactRecord {
            entity,
            facts: row.clone(),
        });
    }
    Ok(out)
}

/// A whole facts array for [`parse_facts_general`]: each element read by [`RecordSeed`].
struct GeneralArray<'a> {
    table: &'a FactTable,
    row: &'a mut [Option<Value>],
    out: &'a mut Vec<FactRecord>,
}

impl<'de> DeserializeSeed<'de> for GeneralArray<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for GeneralArray<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            self.row.fill(None);
            let seed = RecordSeed {
                table: self.table,
                row: &mut *self.row,
            };
            let Some(entity) = seq.next_element_seed(seed)? else {
                return Ok(());
            };
            let entity = entity
                .ok_or_else(|| de::Error::custom("the record has no `entity`"))?
                .0
                .parse()
                .map_err(de::Error::custom)?;
            self.out.push(FactRecord {
                entity,
                facts: self.row.to_vec(),
            });
        }
    }
}

fn read_chunks_of<T: Send>(
    bytes: &[u8],
    table: &FactTable,
    chunk: usize,
    init: impl Fn(usize) -> T + Sync,
    visit: impl Fn(&mut T, EntityRef, &[Option<Value>]) + Sync,
) -> Result<Vec<T>, FactsError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let array = bytes.get(start) == Some(&b'[');
    let read = |from: usize, to: usize| Chunk::read(bytes, from, to, array, table, &init, &visit);
    let cuts = if array {
        split::chunks(start + 1, bytes.len(), chunk, |at| {
            split::guess_boundary(bytes, at)
        })
    } else {
        split::chunks(0, bytes.len(), chunk, |at| split::after_newline(bytes, at))
    };
    let chunks: Vec<Chunk<T>> = cuts.par_iter().map(|&(from, to)| read(from, to)).collect();
    // A chunk of an array was read from a guessed start; the guess was right when the chunk
    // before it stopped exactly there. Otherwise it is read again from where that one stopped.
    let mut out = Vec::with_capacity(chunks.len());
    let mut records = 0;
    let mut next = if array { start + 1 } else { 0 };
    for (&(from, to), chunk) in cuts.iter().zip(chunks) {
        if next >= to {
            // The chunk before read a record that ends past this whole chunk (a record longer
            // than a chunk): nothing of it is left to read. Found by the fuzz target facts_file.
            continue;
        }
        let chunk = if from == next { chunk } else { read(next, to) };
        let end = chunk.end.map_err(|mut e| {
            if e.record > 0 {
                e.record += records;
            }
            e
        })?;
        records += chunk.records;
        out.push(chunk.value);
        match end {
            End::Between(at) => next = at,
            End::Closed(at) if bytes[at + 1..].iter().all(u8::is_ascii_whitespace) => {
                return Ok(out);
            }
            End::Closed(at) => {
                return Err(split::fail(
                    bytes,
                    at + 1,
                    "unexpected content after the facts array",
                ));
            }
        }
    }
    if array {
        return Err(split::fail(
            bytes,
            bytes.len(),
            "the facts array is not closed",
        ));
    }
    Ok(out)
}

/// One chunk read: what `visit` made of its records, how many there were, where it stopped.
pub(super) struct Chunk<T> {
    pub value: T,
    pub records: usize,
    pub end: Result<End, FactsError>,
}

impl<T> Chunk<T> {
    /// Reads the records of `bytes[from..to]` — array elements when `array`, else NDJSON
    /// lines — one by one into one reused fact row handed to `visit`, with the chunk's `T`
    /// made by `init` from the length; `end` says where reading stopped, or the first error.
    pub(super) fn read(
        bytes: &[u8],
        from: usize,
        to: usize,
        array: bool,
        table: &FactTable,
        init: impl FnOnce(usize) -> T,
        visit: impl Fn(&mut T, EntityRef, &[Option<Value>]),
    ) -> Chunk<T> {
        let mut chunk = Chunk {
            value: init(to.saturating_sub(from)),
            records: 0,
            end: Ok(End::Between(to)),
        };
        let mut reader = RowReader::new(table);
        let mut visit = |entity, facts: &[Option<Value>]| visit(&mut chunk.value, entity, facts);
        chunk.end = if array {
            read_elements(bytes, from, to, &mut reader, &mut chunk.records, &mut visit)
        } else {
            read_lines(bytes, from, to, &mut reader, &mut chunk.records, &mut visit)
        };
        chunk
    }
}

/// Where reading a chunk stopped: between two elements (just after a comma, at or after the
/// chunk's end), or at the `]` closing the array.
pub(super) enum End {
    Between(usize),
    Closed(usize),
}

/// Reads the array elements of `[from, to)`; `from` is just after `[` or a comma. An element
/// that starts before `to` is read to its end, wherever that is.
fn read_elements(
    bytes: &[u8],
    from: usize,
    to: usize,
    reader: &mut RowReader,
    records: &mut usize,
    visit: &mut dyn FnMut(EntityRef, &[Option<Value>]),
) -> Result<End, FactsError> {
    let mut at = from;
    while at < to {
        let start = ws(bytes, at);
        match bytes.get(start) {
            None => return Err(split::fail(bytes, start, "the facts array is not closed")),
            Some(b']') => return Ok(End::Closed(start)),
            Some(b',') => {
                return Err(split::fail(
                    bytes,
                    start,
                    "empty element in the facts array",
                ));
            }
            Some(_) => {}
        }
        *records += 1;
        let fast = reader
            .read(bytes, start, bytes.len())
            .ok()
            .and_then(|(entity, end)| {
                let end = ws(bytes, end);
                matches!(bytes.get(end), Some(b',' | b']')).then_some((entity, end))
            });
        let (entity, end) = match fast {
            Some(read) => read,
            None => {
                let end = split::element_end(bytes, start)?;
                let entity = parse_record(&bytes[start..end], reader.table(), reader.row_mut())
                    .map_err(|message| FactsError {
                        line: line_of(bytes, start),
                        record: *records,
                        message,
                    })?;
                (entity, end)
            }
        };
        visit(entity, reader.row());
        if bytes[end] == b']' {
            return Ok(End::Closed(end));
        }
        at = end + 1;
    }
    Ok(End::Between(at))
}

/// Reads the non-blank lines of `[from, to)`, each one record.
fn read_lines(
    bytes: &[u8],
    from: usize,
    to: usize,
    reader: &mut RowReader,
    records: &mut usize,
    visit: &mut dyn FnMut(EntityRef, &[Option<Value>]),
) -> Result<End, FactsError> {
    let mut at = from;
    while at < to {
        let eol = memchr::memchr(b'\n', &bytes[at..to]).map_or(to, |i| at + i);
        let line = at;
        at = eol + 1;
        if bytes[line..eol].iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        *records += 1;
        let entity = match reader.read(bytes, line, eol) {
            Ok((entity, end)) if ws(bytes, end) == eol => entity,
            _ => parse_record(&bytes[line..eol], reader.table(), reader.row_mut()).map_err(
                |message| FactsError {
                    line: line_of(bytes, line),
                    record: *records,
                    message,
                },
            )?,
        };
        visit(entity, reader.row());
    }
    Ok(End::Between(to))
}

pub(super) fn line_of(bytes: &[u8], offset: usize) -> usize {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count()
}

/// Parses one record into `row` (every slot rewritten) and returns its entity: the general
/// reader, for whatever the fast one ([`RowReader`]) declines.
pub(super) fn parse_record(
    bytes: &[u8],
    table: &FactTable,
    row: &mut [Option<Value>],
) -> Result<EntityRef, String> {
    row.fill(None);
    // serde_json checks the UTF-8 of every string it reads from bytes, but not from a `str`:
    // checking the record once is cheaper. Bytes that are not UTF-8 get serde_json's error.
    let entity = match std::str::from_utf8(bytes) {
        Ok(text) => deserialize(&mut serde_json::Deserializer::from_str(text), table, row),
        Err(_) => deserialize(&mut serde_json::Deserializer::from_slice(bytes), table, row),
    }
    .map_err(|e| e.to_string())?;
    let entity = entity.ok_or("the record has no `entity`")?;
    entity.0.parse().map_err(|e| format!("{e}"))
}

fn deserialize<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    table: &FactTable,
    row: &mut [Option<Value>],
) -> Result<Option<Key<'de>>, serde_json::Error> {
    let entity = RecordSeed { table, row }.deserialize(&mut *de)?;
    de.end()?;
    Ok(entity)
}

/// A record: its entity is returned, its facts are written into `row` (all `None` before).
struct RecordSeed<'a> {
    table: &'a FactTable,
    row: &'a mut [Option<Value>],
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Option<Key<'de>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Option<Key<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"an object {"entity": "<ref>", "facts": {...}}"#)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut entity, mut facts_seen) = (None, false);
        while let Some(key) = map.next_key::<Key>()? {
            match key.0.as_ref() {
                "entity" => entity = Some(map.next_value::<Key>()?),
                "facts" => {
                    // A later `facts` object replaces an earlier one as a whole.
                    if facts_seen {
                        self.row.fill(None);
                    }
                    facts_seen = true;
                    map.next_value_seed(FactsSeed {
                        table: self.table,
                        row: &mut *self.row,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(entity)
    }
}

struct FactsSeed<'a> {
    table: &'a FactTable,
    row: &'a mut [Option<Value>],
}

impl<'de> DeserializeSeed<'de> for FactsSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FactsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of facts")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            match self.table.slot(&key.0) {
                Some(slot) => self.row[slot as usize] = Some(map.next_value::<Value>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A string (a map key or the entity), borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> FactTable {
        let mut t = FactTable::default();
        t.intern("hasOwner");
        t.intern("lang/uage");
        t
    }

    #[test]
    fn arrays_and_ndjson_read_alike() {
        let array = br#" [ {"entity": "component:default/a", "facts": {"hasOwner": true, "unused": [1, {"x": "]"}], "lang/uage": "go"}},
            {"entity": "Component:default/B", "collector": "ci", "facts": {}} ] "#;
        let ndjson = b"{\"entity\": \"component:default/a\", \"facts\": {\"hasOwner\": true, \"lang/uage\": \"go\"}}\n\n{\"entity\": \"component:default/b\", \"facts\": {}}\n";
        let t = table();
        let a = parse_facts(array, &t).unwrap();
        let b = parse_facts(ndjson, &t).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a[0].facts,
            vec![Some(Value::Bool(true)), Some(Value::from("go"))]
        );
        assert_eq!(a[1].entity.to_string(), "component:default/b");
    }

    #[test]
    fn bad_records_name_their_line() {
        let t = table();
        let err = parse_facts(
            b"[\n{\"entity\": \"component:default/a\", \"facts\": {}},\n{\"facts\": {}}\n]",
            &t,
        )
        .unwrap_err();
        assert_eq!((err.line, err.record), (3, 2), "{err}");
        let err = parse_facts(b"{\"entity\": \"nokind\", \"facts\": {}}", &t).unwrap_err();
        assert!(err.message.contains("no kind"), "{err}");
        assert!(parse_facts(b"[{\"entity\": \"component:default/a\"}", &t).is_err());
    }

    /// A file of many chunks, with record-like text inside strings and nested arrays of
    /// objects (so that some guessed chunk starts are wrong) and escapes (which the fast
    /// reader leaves to the general one).
    fn big_array(n: usize) -> (String, Vec<String>) {
        let records: Vec<String> = (0..n)
            .map(|i| match i % 3 {
                0 => format!(r#"{{"entity": "component:default/a{i}", "facts": {{"s": "}}, {{\"x\\"}}}}"#),
                1 => format!(r#"{{"entity": "component:default/b{i}", "facts": {{"l": [{{"a": 1}}, {{"b": "]"}}]}}}}"#),
                _ => format!(r#"{{"entity": "component:default/c{i}", "facts": {{"s": "{i}"}}}}"#),
            })
            .collect();
        (format!("[\n{}\n]\n", records.join(" ,\n ")), records)
    }

    #[test]
    fn chunks_read_every_record_in_order() {
        let (text, records) = big_array(60_000);
        assert!(text.len() > 6 * split::CHUNK);
        let mut t = FactTable::default();
        t.intern("s");
        t.intern("l");
        let expected: Vec<FactRecord> = records
            .iter()
            .map(|r| {
                let mut facts = vec![None; t.len()];
                let entity = parse_record(r.as_bytes(), &t, &mut facts).unwrap();
                FactRecord { entity, facts }
            })
            .collect();
        assert_eq!(parse_facts(text.as_bytes(), &t).unwrap(), expected);
        let ndjson = records.join("\n \n");
        assert_eq!(parse_facts(ndjson.as_bytes(), &t).unwrap(), expected);
        // A bad record deep in the file is named by its number and line.
        let bad = text.replacen("component:default/c29999", "nokind", 1);
        let err = parse_facts(bad.as_bytes(), &t).unwrap_err();
        assert_eq!((err.line, err.record), (30_001, 30_000), "{err}");
    }

    #[test]
    fn array_errors_name_their_line() {
        let t = table();
        let a = r#"{"entity": "component:default/a"}"#;
        let err = parse_facts(format!("[\n{a},\n,{a}]").as_bytes(), &t).unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (3, "empty element in the facts array")
        );
        let err = parse_facts(format!("[{a}]\n x").as_bytes(), &t).unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (1, "unexpected content after the facts array")
        );
        let unclosed = format!(r#"[{a}, {{"entity": "component:default/b", "x": "]"}}"#);
        let err = parse_facts(unclosed.as_bytes(), &t).unwrap_err();
        assert_eq!(err.message, "the facts array is not closed");
        assert_eq!(parse_facts(b" [ ] ", &t).unwrap(), vec![]);
        assert_eq!(
            parse_facts(format!("[{a} ,]").as_bytes(), &t)
                .unwrap()
                .len(),
            1
        );
    }
}
