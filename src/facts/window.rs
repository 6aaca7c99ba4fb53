//! Reading a facts file from the disk chunk by chunk, each chunk into a buffer recycled from
//! one chunk to the next, so the file is never held whole: on a first run the pages of a
//! fresh 100 MB buffer cost as much to fill as the records cost to read. A file this cannot
//! read — a record longer than a window, a chunk cut where no record ends, any error — is
//! left to the whole-file reader ([`super::read_chunks`]), which reads it with the same
//! results and reports its errors with their line.

use std::fs::File;
use std::ops::ControlFlow;

use parking_lot::{Condvar, Mutex};

use serde_json::Value;

use super::file::{Chunk, End};
use super::split;
use crate::catalog::EntityRef;
use crate::rules::FactTable;

/// Bytes read before a chunk's nominal start: the guess at an array's record boundary looks
/// back at what precedes a comma.
const BACK: usize = 4 << 10;
/// Bytes per chunk read from a file: small, so that the buffers a core fills and the lines
/// made of them stay few pages (fresh pages cost as much as the reading), and the cores
/// finish close together.
const CHUNK: usize = 128 << 10;
/// Bytes read after a chunk's nominal end: its last record ends, and the next chunk's start is
/// found, in them. At first only `MARGIN` of them are read, enough for records of the usual
/// size.
const TAIL: usize = 128 << 10;
const MARGIN: usize = 16 << 10;

/// [`super::read_chunks`] over `file`, read in windows of a chunk and a little more, each into
/// a recycled buffer, on the cores of the pool, while this thread hands each chunk, in the
/// file's order, to `take` as soon as it and every chunk before it are read (so that what is
/// made of the first chunks can be written out while the last are still being read). `take`
/// may stop the reading early with [`ControlFlow::Break`], whose value is returned. `None`
/// when the file is to be read whole instead (see the module); the chunks taken until then are
/// not to be used.
pub fn read_file_chunks<T: Send, B>(
    file: &File,
    table: &FactTable,
    init: impl Fn(usize) -> T + Sync,
    visit: impl Fn(&mut T, EntityRef, &[Option<Value>]) + Sync,
    mut take: impl FnMut(T) -> ControlFlow<B>,
) -> Option<ControlFlow<B>> {
    let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
    let mut head = vec![0; len.min(BACK)];
    read_at(file, &mut head, 0)?;
    // The records start after the array's `[`, or at the start of an NDJSON file.
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let array = head[start] == b'[';
    let first = if array { start + 1 } else { 0 };
    let window = Window {
        file,
        len,
        array,
        table,
        init: &init,
        visit: &visit,
    };
    let nominal: Vec<usize> = (first..len).step_by(CHUNK).collect();
    let end_of = |k: usize| nominal.get(k + 1).copied().unwrap_or(len);
    let buffers = Mutex::new(Vec::<Vec<u8>>::new());
    let read = |from: usize, exact: bool, to: usize| {
        // Room for any window from the start: growing a buffer moves it to fresh pages.
        let buf = buffers.lock().pop();
        let mut buf = buf.unwrap_or_else(|| Vec::with_capacity(BACK + CHUNK + TAIL));
        let chunk = window.read(&mut buf, from, exact, to);
        buffers.lock().push(buf);
        chunk
    };
    let turns = Turns::new(rayon::current_num_threads());
    let (done, read_chunks) = std::sync::mpsc::channel();
    rayon::in_place_scope(|scope| {
        for _ in 0..rayon::current_num_threads() {
            let done = done.clone();
            let (turns, read, end_of, nominal) = (&turns, &read, &end_of, &nominal);
            scope.spawn(move |_| {
                // A core that fails stops the others, which would wait for its chunk.
                let _stop = StopOnPanic(turns);
                while let Some(k) = turns.next(nominal.len()) {
                    if done.send((k, read(nominal[k], k == 0, end_of(k)))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done);
        // Should taking a chunk fail, the cores waiting for it to be taken stop too.
        let _stop = StopOnPanic(&turns);
        // A chunk's start was guessed; the guess was right when the chunk before it stopped
        // exactly there. Otherwise it is read again from where that one stopped.
        let mut waiting: Vec<Option<Guess<T>>> = nominal.iter().map(|_| None).collect();
        let mut next = first;
        let mut k = 0;
        let taken = (|| {
            for (at, guess) in &read_chunks {
                waiting[at] = Some(guess);
                while let Some((from, chunk)) = waiting.get_mut(k).and_then(Option::take) {
                    let chunk = match chunk {
                        Some(chunk) if from == Some(next) => chunk,
                        _ => read(next, true, end_of(k)).1?,
                    };
                    let end = chunk.end.ok()?;
                    if let ControlFlow::Break(b) = take(chunk.value) {
                        return Some(ControlFlow::Break(b));
                    }
                    match end {
                        End::Between(at) => next = at,
                        // The window reached the end of the file: the rest of it was checked.
                        End::Closed(_) => return Some(ControlFlow::Continue(())),
                    }
                    k += 1;
                    turns.taken(k);
                }
            }
            // An NDJSON file ends after its last chunk; an array not closed is an error to
            // report.
            (!array && k == nominal.len()).then_some(ControlFlow::Continue(()))
        })();
        turns.stop();
        taken
    })
}

/// Where a chunk was read from (`None`: no record starts in its window), and the chunk.
type Guess<T> = (Option<usize>, Option<Chunk<T>>);

/// Which chunk a core reads next: the chunks are read in the file's order, at most `ahead`
/// beyond the last one taken, so that read chunks do not pile up should taking them be slow
/// (yet the cores go on while the first waits, as for the standards' schema check).
struct Turns {
    ahead: usize,
    state: Mutex<TurnState>,
    moved: Condvar,
}

#[derive(Default)]
struct TurnState {
    next: usize,
    taken: usize,
    stopped: bool,
}

impl Turns {
    fn new(cores: usize) -> Self {
        Turns {
            // As many bytes ahead as chunks four times larger would be.
            ahead: 4 * (4 * cores + 8),
            state: Mutex::default(),
            moved: Condvar::new(),
        }
    }

    /// The next of `count` chunks to read, once it is near enough the chunks taken; `None`
    /// when every chunk is read or the reading stopped.
    fn next(&self, count: usize) -> Option<usize> {
        let mut state = self.state.lock();
        self.moved.wait_while(&mut state, |s| {
            !s.stopped && s.next < count && s.next >= s.taken + self.ahead
        });
        if state.stopped || state.next >= count {
            return None;
        }
        state.next += 1;
        Some(state.next - 1)
    }

    /// The first `count` chunks are taken.
    fn taken(&self, count: usize) {
        self.state.lock().taken = count;
        self.moved.notify_all();
    }

    /// No more chunks are to be read.
    fn stop(&self) {
        self.state.lock().stopped = true;
        self.moved.notify_all();
    }
}

/// Stops the reading when the thread holding it fails.
struct StopOnPanic<'a>(&'a Turns);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

type Visit<'a, T> = &'a (dyn Fn(&mut T, EntityRef, &[Option<Value>]) + Sync);

/// What every chunk is read with.
struct Window<'a, T> {
    file: &'a File,
    len: usize,
    array: bool,
    table: &'a FactTable,
    init: &'a (dyn Fn(usize) -> T + Sync),
    visit: Visit<'a, T>,
}

impl<T> Window<'_, T> {
    /// Reads the records of the chunk nominally `[from, to)` of the file: it starts at the
    /// first record boundary at or after `from` (at `from` when `exact`) and ends at the first
    /// one at or after `to`. Returns where it started (`None`: no boundary in the window) and
    /// the chunk, its end in file offsets (`None`: the window holds no end, a record runs
    /// past it, or a record is bad — which, from a wrong guess, may be no error at all).
    fn read(
        &self,
        buf: &mut Vec<u8>,
        from: usize,
        exact: bool,
        to: usize,
    ) -> (Option<usize>, Option<Chunk<T>>) {
        let lo = if exact {
            from
        } else {
            from.saturating_sub(BACK)
        };
        let nominal_end = to.max(from);
        if self.fill(buf, lo, 0, nominal_end + MARGIN).is_none() {
            return (None, None);
        }
        let start = if exact {
            Some(0)
        } else {
            self.boundary(buf, from - lo, self.at_eof(buf, lo))
        };
        let Some(start) = start else {
            return (None, None);
        };
        let end = if to <= from {
            Some(start) // read again from beyond its end: nothing left to read
        } else if to == self.len {
            Some(buf.len())
        } else {
            // A record longer than the margin: the rest of the tail is read.
            self.boundary(buf, to - lo, self.at_eof(buf, lo))
                .or_else(|| {
                    let read = buf.len();
                    self.fill(buf, lo, read, nominal_end + TAIL)?;
                    self.boundary(buf, to - lo, self.at_eof(buf, lo))
                })
        };
        let at_eof = self.at_eof(buf, lo);
        let chunk = end.and_then(|end| self.records(buf, lo, start, end, at_eof));
        (Some(lo + start), chunk)
    }

    /// Reads the file into `buf`, the window from `lo`, from its byte `from` up to `hi` (or the
    /// file's end). What the buffer held is written over, not cleared first.
    fn fill(&self, buf: &mut Vec<u8>, lo: usize, from: usize, hi: usize) -> Option<()> {
        buf.resize(self.len.min(hi).max(lo + from) - lo, 0);
        read_at(self.file, &mut buf[from..], lo + from)
    }

    /// Whether the window `buf` from `lo` reaches the end of the file.
    fn at_eof(&self, buf: &[u8], lo: usize) -> bool {
        lo + buf.len() == self.len
    }

    /// The record boundary at or after `at` in the window `bytes`; `None` when it may lie
    /// beyond the window.
    fn boundary(&self, bytes: &[u8], at: usize, at_eof: bool) -> Option<usize> {
        let b = if self.array {
            split::guess_boundary(bytes, at)
        } else {
            split::after_newline(bytes, at)
        };
        (b < bytes.len() || at_eof).then_some(b)
    }

    /// The records of `[start, end)` of the window `bytes`, which starts at `lo` in the file.
    fn records(
        &self,
        bytes: &[u8],
        lo: usize,
        start: usize,
        end: usize,
        at_eof: bool,
    ) -> Option<Chunk<T>> {
        let mut chunk = Chunk::read(
            bytes,
            start,
            end,
            self.array,
            self.table,
            &self.init,
            &self.visit,
        );
        // What follows the closing `]` is checked only when the window holds all of it.
        chunk.end = Ok(match chunk.end.ok()? {
            End::Between(at) => End::Between(lo + at),
            End::Closed(at) if at_eof && bytes[at + 1..].iter().all(u8::is_ascii_whitespace) => {
                End::Closed(lo + at)
            }
            End::Closed(_) => return None,
        });
        Some(chunk)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: usize) -> Option<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset as u64).ok()
}

/// Elsewhere the file is read whole.
#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8], _: usize) -> Option<()> {
    None
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::facts::{FactRecord, parse_facts};

    fn table() -> FactTable {
        let mut t = FactTable::default();
        for name in ["s", "l", "hasOwner"] {
            t.intern(name);
        }
        t
    }

    /// The records of `text` read through windows of a file (`None`: left to the whole-file
    /// reader), and in how many chunks.
    fn through_file(text: &str, t: &FactTable) -> Option<(Vec<FactRecord>, usize)> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        let mut chunks = Vec::new();
        let flow = read_file_chunks(
            &file,
            t,
            |_| Vec::new(),
            |out: &mut Vec<FactRecord>, entity, facts| {
                out.push(FactRecord {
                    entity,
                    facts: facts.to_vec(),
                })
            },
            |chunk| {
                chunks.push(chunk);
                ControlFlow::<()>::Continue(())
            },
        )?;
        assert!(flow.is_continue());
        let n = chunks.len();
        Some((chunks.concat(), n))
    }

    /// Records with record-like text in strings and nested arrays of objects (so some guessed
    /// chunk starts are wrong), escapes (left to serde_json) and fractions.
    fn records(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| match i % 4 {
                0 => format!(r#"{{"entity": "component:default/a{i}", "facts": {{"s": "}}, {{\"x\\"}}}}"#),
                1 => format!(r#"{{"entity": "component:default/b{i}", "facts": {{"l": [{{"a": 1}}, {{"b": "]"}}]}}}}"#),
                2 => format!(r#"{{"entity": "component:default/c{i}", "facts": {{"s": "{i}", "hasOwner": {}.5}}}}"#, i % 9),
                _ => format!(r#"{{"entity": "component:default/d{i}", "collector": "ci", "facts": {{"hasOwner": true, "l": ["x", 1]}}}}"#),
            })
            .collect()
    }

    #[test]
    fn a_file_read_in_windows_gives_what_the_whole_file_gives() {
        let t = table();
        let records = records(60_000);
        for text in [
            format!(" \n[\n{}\n]\n", records.join(" ,\n ")),
            format!("[{}]", records.join(",")),
            records.join("\n"),
            format!("\n{}\n\n", records.join("\n \n")),
        ] {
            assert!(text.len() > 6 * CHUNK);
            let whole = parse_facts(text.as_bytes(), &t).unwrap();
            let (windowed, chunks) = through_file(&text, &t).expect("read in windows");
            assert!(chunks > 6, "{chunks} chunks");
            assert_eq!(windowed.len(), records.len());
            assert_eq!(windowed, whole);
        }
        // Records longer than the margin read after a chunk, some across a chunk's end.
        let mut long = records[..3000].to_vec();
        for (i, r) in long.iter_mut().enumerate().step_by(40) {
            let s = "y".repeat(MARGIN + i * 7);
            *r = format!(r#"{{"entity": "component:default/long{i}", "facts": {{"s": "{s}"}}}}"#);
        }
        let long = format!("[{}]", long.join(","));
        let (windowed, chunks) = through_file(&long, &t).expect("read in windows");
        assert!(chunks > 6, "{chunks} chunks");
        assert_eq!(windowed, parse_facts(long.as_bytes(), &t).unwrap());
        // Small files are one chunk; an empty array is no record.
        let one = format!("[{}]", records[..3].join(","));
        assert_eq!(
            through_file(&one, &t).unwrap().0,
            parse_facts(one.as_bytes(), &t).unwrap()
        );
        assert_eq!(through_file(" [ ] ", &t).unwrap().0, vec![]);
    }

    #[test]
    fn chunks_come_in_order_and_the_taker_can_stop_them() {
        let t = table();
        let text = records(60_000).join("\n");
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        let whole = parse_facts(text.as_bytes(), &t).unwrap();
        let mut taken = Vec::new();
        let flow = read_file_chunks(
            &file,
            &t,
            |_| Vec::new(),
            |out: &mut Vec<String>, entity, _| out.push(entity.to_string()),
            |chunk| {
                taken.extend(chunk);
                match taken.len() > whole.len() / 2 {
                    true => ControlFlow::Break(taken.len()),
                    false => ControlFlow::Continue(()),
                }
            },
        );
        let Some(ControlFlow::Break(at)) = flow else {
            panic!("stopped: {flow:?}")
        };
        assert!(at < whole.len(), "{at} of {}", whole.len());
        let first: Vec<String> = whole[..at].iter().map(|r| r.entity.to_string()).collect();
        assert_eq!(taken, first);
    }

    #[test]
    fn what_windows_cannot_read_is_left_to_the_whole_file_reader() {
        let t = table();
        let records = records(20_000);
        let long = format!(
            r#"{{"entity": "component:default/long", "facts": {{"s": "{}"}}}}"#,
            "x".repeat(TAIL + CHUNK)
        );
        let mut with_long = records.clone();
        with_long.insert(records.len() / 2, long);
        let with_long = format!("[{}]", with_long.join(","));
        assert!(through_file(&with_long, &t).is_none());
        assert_eq!(parse_facts(with_long.as_bytes(), &t).unwrap().len(), 20_001);
        // Errors, wherever they are, are for the whole-file reader to report.
        let bad =
            format!("[{}]", records.join(",")).replacen("component:default/c10002", "nokind", 1);
        assert!(through_file(&bad, &t).is_none());
        let unclosed = format!("[{}", records.join(","));
        assert!(through_file(&unclosed, &t).is_none());
        let after = format!("[{}] x", records.join(","));
        assert!(through_file(&after, &t).is_none());
        assert!(through_file("", &t).is_none());
        assert!(through_file("   ", &t).is_none());
    }
}
