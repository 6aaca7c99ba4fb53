//! Splitting a facts file into records: the elements of a top-level JSON array, or the
//! non-empty lines of NDJSON. Large files are cut into chunks scanned on every core; a chunk
//! of an array starts at a guessed element boundary, and the guess is checked against where
//! the scan of the chunk before it ended (a wrong guess, e.g. inside a string, is rescanned).

use memchr::{memchr, memchr_iter};
use rayon::prelude::*;

use super::file::{FactsError, line_of};

/// Bytes per chunk: large enough that guessing a boundary costs nothing, small enough to
/// spread 100 MB over the cores.
const CHUNK: usize = 1 << 20;

/// Byte ranges of the records, in file order.
pub fn split_records(bytes: &[u8]) -> Result<Vec<(usize, usize)>, FactsError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if bytes.get(start) == Some(&b'[') {
        split_array(bytes, start + 1)
    } else {
        Ok(split_lines(bytes))
    }
}

/// `[from, to)` cut into chunks, each starting where `boundary` (given a nominal cut) says.
fn chunks(from: usize, to: usize, boundary: impl Fn(usize) -> usize) -> Vec<(usize, usize)> {
    let mut cuts = vec![from];
    let mut at = from + CHUNK;
    while at < to {
        let cut = boundary(at).min(to);
        if cut > *cuts.last().unwrap_or(&from) {
            cuts.push(cut);
        }
        at = at.max(cut) + CHUNK;
    }
    cuts.push(to);
    cuts.windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|(a, b)| a < b)
        .collect()
}

fn split_lines(bytes: &[u8]) -> Vec<(usize, usize)> {
    // Every newline ends a record, so any cut just after one is exact.
    let after_newline = |at: usize| memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i + 1);
    let parts: Vec<Vec<(usize, usize)>> = chunks(0, bytes.len(), after_newline)
        .into_par_iter()
        .map(|(from, to)| {
            let mut out = Vec::new();
            let mut pos = from;
            let ends = memchr_iter(b'\n', &bytes[from..to]).map(|i| from + i);
            for end in ends.chain(std::iter::once(to)) {
                if end > pos && bytes[pos..end].iter().any(|b| !b.is_ascii_whitespace()) {
                    out.push((pos, end));
                }
                pos = end + 1;
            }
            out
        })
        .collect();
    parts.concat()
}

/// Where a scan of the array stands after a byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scan {
    depth: usize,
    in_string: bool,
    escaped: bool,
    element_start: Option<usize>,
}

/// Between two elements, outside any string: the state after `[` or a top-level `,`.
const BETWEEN: Scan = Scan {
    depth: 0,
    in_string: false,
    escaped: false,
    element_start: None,
};

/// How a scanned chunk ends: still inside the array, or closed by the `]` at an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Open(Scan),
    Closed(usize),
}

fn split_array(bytes: &[u8], from: usize) -> Result<Vec<(usize, usize)>, FactsError> {
    let chunks = chunks(from, bytes.len(), |at| guess_boundary(bytes, at));
    // Every chunk is scanned as if it began between two elements ...
    let scanned: Vec<_> = chunks
        .par_iter()
        .map(|&(a, b)| {
            let mut out = Vec::new();
            scan(bytes, a, b, BETWEEN, &mut out).map(|end| (out, end))
        })
        .collect();
    // ... which holds when the chunk before it ended there; otherwise it is scanned again.
    let mut records = Vec::new();
    let mut state = End::Open(BETWEEN);
    for (&(a, b), guessed) in chunks.iter().zip(scanned) {
        let End::Open(s) = state else { break };
        state = if s == BETWEEN {
            let (out, end) = guessed?;
            records.extend(out);
            end
        } else {
            scan(bytes, a, b, s, &mut records)?
        };
    }
    match state {
        End::Closed(i) if bytes[i + 1..].iter().all(u8::is_ascii_whitespace) => Ok(records),
        End::Closed(i) => Err(fail(
            bytes,
            i + 1,
            "unexpected content after the facts array",
        )),
        End::Open(_) => Err(fail(bytes, bytes.len(), "the facts array is not closed")),
    }
}

/// Just after the first `,` at or after `at` that sits between `}` and `{` (whitespace
/// aside): most likely the comma between two records.
fn guess_boundary(bytes: &[u8], at: usize) -> usize {
    let mut i = at;
    while let Some(j) = memchr(b',', &bytes[i..]) {
        let comma = i + j;
        let before = bytes[..comma]
            .iter()
            .rev()
            .find(|b| !b.is_ascii_whitespace());
        let after = bytes[comma + 1..].iter().find(|b| !b.is_ascii_whitespace());
        if before == Some(&b'}') && after == Some(&b'{') {
            return comma + 1;
        }
        i = comma + 1;
    }
    bytes.len()
}

fn fail(bytes: &[u8], offset: usize, message: &str) -> FactsError {
    FactsError {
        line: line_of(bytes, offset),
        record: 0,
        message: message.to_string(),
    }
}

/// Scans `[from, to)` from state `s`, pushing the ranges of the elements that end in it.
fn scan(
    bytes: &[u8],
    from: usize,
    to: usize,
    mut s: Scan,
    out: &mut Vec<(usize, usize)>,
) -> Result<End, FactsError> {
    let mut i = from;
    while i < to {
        if s.in_string {
            if s.escaped {
                s.escaped = false;
                i += 1;
                continue;
            }
            match quote_or_backslash(&bytes[i..to]) {
                None => i = to,
                Some(j) => {
                    i += j;
                    if bytes[i] == b'"' {
                        s.in_string = false;
                    } else {
                        s.escaped = true;
                    }
                    i += 1;
                }
            }
            continue;
        }
        match bytes[i] {
            b'"' => {
                s.in_string = true;
                s.element_start.get_or_insert(i);
            }
            b'{' | b'[' => {
                s.depth += 1;
                s.element_start.get_or_insert(i);
            }
            b'}' | b']' if s.depth > 0 => s.depth -= 1,
            b @ (b',' | b']') if s.depth == 0 => {
                match s.element_start.take() {
                    Some(start) => out.push((start, i)),
                    None if b == b',' => {
                        return Err(fail(bytes, i, "empty element in the facts array"));
                    }
                    None => {}
                }
                if b == b']' {
                    return Ok(End::Closed(i));
                }
            }
            b if b.is_ascii_whitespace() => {}
            _ => {
                s.element_start.get_or_insert(i);
            }
        }
        i += 1;
    }
    Ok(End::Open(s))
}

/// Where the first `"` or `\` is, eight bytes at a time: the strings of facts files are
/// mostly too short for memchr to pay off.
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // The lowest marked byte is exactly the first zero byte (marks above it may be false).
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & (ONES << 7);
    let mut words = bytes.chunks_exact(8);
    for (k, word) in (&mut words).enumerate() {
        let mut w = [0; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        let hits =
            zero_bytes(w ^ (ONES * u64::from(b'"'))) | zero_bytes(w ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return Some(k * 8 + hits.trailing_zeros() as usize / 8);
        }
    }
    let rest = words.remainder();
    let at = bytes.len() - rest.len();
    rest.iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|p| at + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(bytes: &[u8]) -> Vec<&str> {
        split_records(bytes)
            .unwrap()
            .into_iter()
            .map(|(a, b)| std::str::from_utf8(&bytes[a..b]).unwrap().trim())
            .collect()
    }

    /// A file of many chunks, with record-like text inside strings and nested arrays of
    /// objects, so that some guessed boundaries are wrong.
    fn big_array(n: usize) -> (String, Vec<String>) {
        let records: Vec<String> = (0..n)
            .map(|i| match i % 3 {
                0 => format!(r#"{{"entity": "component:default/a{i}", "facts": {{"s": "}}, {{\"x\\\\"}}}}"#),
                1 => format!(r#"{{"entity": "component:default/b{i}", "facts": {{"l": [{{"a": 1}}, {{"b": "]"}}]}}}}"#),
                _ => format!(r#"{{"entity": "component:default/c{i}", "facts": {{}}}}"#),
            })
            .collect();
        (format!("[\n{}\n]\n", records.join(" ,\n ")), records)
    }

    #[test]
    fn chunked_scans_find_every_record() {
        let (text, records) = big_array(60_000);
        assert!(text.len() > 3 * CHUNK);
        assert_eq!(texts(text.as_bytes()), records);
        let ndjson = records.join("\n \n");
        assert_eq!(texts(ndjson.as_bytes()), records);
    }

    #[test]
    fn quotes_and_backslashes_are_found_at_every_offset() {
        for len in 0..20 {
            for at in 0..len {
                for b in [b'"', b'\\'] {
                    let mut text = vec![b'a'; len];
                    text[at] = b;
                    if at + 1 < len {
                        text[at + 1] = b'"';
                    }
                    assert_eq!(quote_or_backslash(&text), Some(at), "{len} {at}");
                }
            }
            assert_eq!(quote_or_backslash(&vec![0x80 | b'"'; len]), None);
        }
    }

    #[test]
    fn array_errors_name_their_line() {
        let err = split_records(b"[\n{},\n,{}]").unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (3, "empty element in the facts array")
        );
        let err = split_records(b"[{}]\n x").unwrap_err();
        assert_eq!(err.line, 1);
        let err = split_records(b"[{}, {\"a\": \"]\"}").unwrap_err();
        assert_eq!(err.message, "the facts array is not closed");
        assert_eq!(texts(b" [ ] "), Vec::<&str>::new());
        assert_eq!(texts(b"[{}, 1 ,]"), vec!["{}", "1"]);
    }
}
