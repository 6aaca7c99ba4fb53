//! Cutting a facts file into chunks for the cores: an NDJSON file just after a newline (exact),
//! a JSON array just after a comma that looks like the one between two records (a guess: the
//! reader of the chunk before checks it). Also finding where an array element ends without
//! parsing it, for records the fast reader leaves to the general one.

use memchr::memchr;

use super::file::{FactsError, line_of};

/// Bytes per chunk: large enough that guessing a boundary costs nothing, small enough to
/// spread 100 MB evenly over the cores.
pub(super) const CHUNK: usize = 1 << 19;

/// `[from, to)` cut into chunks, each starting where `boundary` (given a nominal cut) says.
pub(super) fn chunks(
    from: usize,
    to: usize,
    chunk: usize,
    boundary: impl Fn(usize) -> usize,
) -> Vec<(usize, usize)> {
    let chunk = chunk.max(1);
    let mut cuts = vec![from];
    let mut at = from + chunk;
    while at < to {
        let cut = boundary(at).min(to);
        if cut > *cuts.last().unwrap_or(&from) {
            cuts.push(cut);
        }
        at = at.max(cut) + chunk;
    }
    cuts.push(to);
    cuts.windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|(a, b)| a < b)
        .collect()
}

/// Just after the first newline at or after `at`: every newline ends an NDJSON record.
pub(super) fn after_newline(bytes: &[u8], at: usize) -> usize {
    memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i + 1)
}

/// Just after the first `,` at or after `at` that sits between `}` and `{` (whitespace
/// aside): most likely the comma between two records.
pub(super) fn guess_boundary(bytes: &[u8], at: usize) -> usize {
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

/// A problem with the array itself (not with one record), at `offset`.
pub(super) fn fail(bytes: &[u8], offset: usize, message: &str) -> FactsError {
    FactsError {
        line: line_of(bytes, offset),
        record: 0,
        message: message.to_string(),
    }
}

/// The offset of the `,` or `]` that ends the array element starting at `start`, found by
/// following strings and nesting only.
pub(super) fn element_end(bytes: &[u8], start: usize) -> Result<usize, FactsError> {
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // To the closing quote, stepping over escaped characters.
                i += 1;
                loop {
                    let Some(j) = quote_or_backslash(&bytes[i.min(bytes.len())..]) else {
                        i = bytes.len();
                        break;
                    };
                    i += j;
                    if bytes[i] == b'"' {
                        break;
                    }
                    i += 2;
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => depth -= 1,
            b',' | b']' if depth == 0 => return Ok(i),
            _ => {}
        }
        i += 1;
    }
    Err(fail(bytes, bytes.len(), "the facts array is not closed"))
}

/// Where the first `"` or `\` is, eight bytes at a time: the strings of facts files are
/// mostly too short for memchr to pay off.
pub(super) fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
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
    fn elements_end_outside_strings_and_nesting() {
        let text = br#"{"a": "x\"],", "b": [1, {"c": "\\"}]} , 2]"#;
        let end = element_end(text, 0).unwrap();
        assert_eq!(&text[end - 2..end + 1], b"} ,");
        assert_eq!(element_end(b"1]", 0).unwrap(), 1);
        let err = element_end(b"\n{\"a\": \"],", 1).unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (2, "the facts array is not closed")
        );
    }
}
