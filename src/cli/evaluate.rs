//! `tech-health evaluate`: load standards, catalog and facts; evaluate every entity on every
//! core; print a table, JSON or NDJSON.

use std::hash::BuildHasher;
use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};
use serde_json::Value;

use super::{
    ConfigArgs, EXAMPLE_CATALOG, EXAMPLE_FACTS, Format, Unchecked, cannot_write,
    load_standards_unchecked, output,
};
use crate::catalog::{Catalog, EntityRef, Severity};
use crate::evaluate::{Engine, Evaluation, Exemption, Subject};
use crate::facts::{self, FactRecord};
use crate::source::{BundledFiles, DiskFiles, Files, parse_documents};

#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Catalog files, folders or globs (Locations are followed)
    #[arg(long = "catalog", value_name = "PATH")]
    pub catalog: Vec<PathBuf>,
    /// Facts file: JSON array or NDJSON of {"entity": "<ref>", "facts": {...}}
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// Checks file or folder replacing the standards' checks and tracks (a JSON array of
    /// Tech Insights checks is accepted as is)
    #[arg(long, value_name = "PATH")]
    pub checks: Option<PathBuf>,
    /// Exemptions file (YAML or JSON list of {entity, check | track+level, justification, expires})
    #[arg(long, value_name = "FILE")]
    pub exemptions: Option<PathBuf>,
    /// Kinds of catalog entities to score (entities in the facts file are always scored)
    #[arg(long = "kind", value_name = "KIND", default_values_t = vec!["component".to_string()])]
    pub kinds: Vec<String>,
    /// The time exemptions are judged at (RFC 3339) [default: now]
    #[arg(long)]
    pub now: Option<DateTime<Utc>>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// An entity to score and its facts, one slot per fact the standards read.
pub(super) struct Scored {
    pub entity: EntityRef,
    pub facts: Vec<Option<Value>>,
    pub owner_in_catalog: Option<bool>,
}

pub fn run(args: EvaluateArgs) -> Result<ExitCode, String> {
    // NDJSON for a facts file alone is streamed from the disk, chunk by chunk.
    let stream_from = args
        .facts
        .as_deref()
        .filter(|p| args.format == Format::Ndjson && args.catalog.is_empty() && p.is_file());
    // Otherwise loading the standards and reading a large facts file take a while each: both
    // at once.
    let (loaded, facts_file) = rayon::join(
        || load_standards_unchecked(&args.config, args.checks.as_deref()),
        || match stream_from {
            Some(_) => None,
            None => args.facts.as_deref().map(read_facts_from_disk),
        },
    );
    let (loaded, unchecked) = loaded?;
    let engine = &loaded.engine;
    // The standards are used before their schema check ends; it must pass before anything is
    // printed (a facts file's errors included), or its errors are what is printed.
    let mut unchecked = Some(unchecked);
    let mut confirm = || unchecked.take().map_or(Ok(()), Unchecked::confirm);
    // Read now, reported after the facts (whose errors come first), as they always were.
    let exemptions = match &args.exemptions {
        Some(p) => read_exemptions(p),
        None => Ok(Vec::new()),
    };
    let mut by_entity: FxHashMap<&EntityRef, Vec<Exemption>> = FxHashMap::default();
    for e in exemptions.iter().flatten() {
        by_entity.entry(&e.entity).or_default().push(e.clone());
    }
    let now = args.now.unwrap_or_else(Utc::now);
    let evaluate = |entity: &EntityRef, facts: &[Option<Value>], owner_in_catalog| {
        let ex = by_entity.get(entity).map_or(&[][..], Vec::as_slice);
        engine.evaluate(
            &Subject {
                entity,
                facts,
                owner_in_catalog,
                exemptions: ex,
                // NDJSON prints only the codes of blocking reasons.
                messages: args.format != Format::Ndjson,
            },
            now,
        )
    };
    // The rest of what streamed NDJSON held back: the exemptions file's error, or the lines.
    let finish = |out: Out, confirm: &mut dyn FnMut() -> Result<(), String>| {
        confirm()?;
        exemptions.as_ref().map_err(String::clone)?;
        out.finish(engine).map_err(cannot_write)?;
        Ok(ExitCode::SUCCESS)
    };
    // Streamed lines (NDJSON) go out chunk by chunk when stdout is a file (cut back should the
    // stream fail), else all at the end. An exemptions file's error is reported only after the
    // facts file's, so nothing is written before the end then.
    let mut out = match (&exemptions, args.format) {
        (Ok(_), Format::Ndjson) => Out::stdout(),
        _ => Out::Held(Vec::new()),
    };
    let stream =
        |input: FactsInput<'_>, out: &mut Out, confirm: &mut dyn FnMut() -> Result<(), String>| {
            stream_ndjson(engine, input, |e, f| evaluate(e, f, None), out, confirm)
        };
    let mut repeated = false;
    if let Some(path) = stream_from
        && let Ok(file) = std::fs::File::open(path)
    {
        let at = |e| format!("{}:{e}", path.display());
        let streamed = stream(FactsInput::File(&file), &mut out, &mut confirm);
        match streamed.map_err(|e| out.fail(e.message(at)))? {
            Stream::Done => return finish(out, &mut confirm),
            Stream::Repeated => repeated = true,
            Stream::ReadWhole => {}
        }
        out.undo().map_err(cannot_write)?;
    }
    confirm()?;
    let FleetInput {
        catalog,
        bytes,
        facts_path,
    } = fleet_input_with(
        &args.catalog,
        args.facts.as_deref(),
        |files, path| match facts_file {
            Some(read) => read,
            None if stream_from.is_some() => read_facts_from_disk(path),
            None => read_facts(files, path),
        },
    )?;
    let facts_error = |e: facts::FactsError| match &facts_path {
        Some(path) => format!("{}:{e}", path.display()),
        None => e.to_string(),
    };
    if args.format == Format::Ndjson && catalog.is_none() && !repeated {
        let streamed = stream(FactsInput::Bytes(&bytes), &mut out, &mut confirm);
        match streamed.map_err(|e| out.fail(e.message(facts_error)))? {
            Stream::Done => return finish(out, &mut confirm),
            Stream::Repeated | Stream::ReadWhole => out.undo().map_err(cannot_write)?,
        }
    }
    let records = facts::parse_facts(&bytes, &engine.facts).map_err(facts_error)?;
    drop(bytes);
    exemptions.as_ref().map_err(String::clone)?;
    let subjects = subjects(engine, catalog.as_ref(), records, &args.kinds);
    let evaluate = |s: &Scored| evaluate(&s.entity, &s.facts, s.owner_in_catalog);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let progress = progress_bar(subjects.len());
    match args.format {
        Format::Ndjson => {
            let writer = output::NdjsonWriter::new(engine);
            // Evaluate and format in parallel blocks, write them in order.
            for block in subjects.chunks(1 << 16) {
                let parts: Vec<Vec<u8>> = block
                    .par_chunks(2048)
                    .map(|chunk| {
                        let mut buf = Vec::with_capacity(chunk.len() * 800);
                        for s in chunk {
                            writer.write(&mut buf, &s.entity, &evaluate(s));
                        }
                        progress.inc(chunk.len() as u64);
                        buf
                    })
                    .collect();
                for p in parts {
                    out.write_all(&p).map_err(cannot_write)?;
                }
            }
        }
        Format::Json | Format::Table => {
            let evaluations: Vec<Evaluation> = subjects
                .par_iter()
                .map(|s| {
                    progress.inc(1);
                    evaluate(s)
                })
                .collect();
            progress.finish_and_clear();
            let rows: Vec<(&Scored, &Evaluation)> = subjects.iter().zip(&evaluations).collect();
            if args.format == Format::Json {
                let doc = output::json_report(engine, &rows);
                serde_json::to_writer_pretty(&mut out, &doc).map_err(|e| e.to_string())?;
                writeln!(out).map_err(cannot_write)?;
            } else {
                output::write_table(&mut out, engine, &rows).map_err(cannot_write)?;
            }
        }
    }
    progress.finish_and_clear();
    out.flush().map_err(cannot_write)?;
    Ok(ExitCode::SUCCESS)
}

/// The fleet to evaluate: catalog and facts file as given, or the bundled example fleet when
/// neither is.
pub(super) struct FleetInput {
    pub catalog: Option<Catalog>,
    pub bytes: Vec<u8>,
    /// The facts file, for error messages.
    pub facts_path: Option<PathBuf>,
}

pub(super) fn fleet_input(catalog: &[PathBuf], facts: Option<&Path>) -> Result<FleetInput, String> {
    fleet_input_with(catalog, facts, read_facts)
}

/// [`fleet_input`], the facts file read by `read`.
fn fleet_input_with(
    catalog: &[PathBuf],
    facts: Option<&Path>,
    read: impl FnOnce(&dyn Files, &Path) -> Result<Vec<u8>, String>,
) -> Result<FleetInput, String> {
    let example = catalog.is_empty() && facts.is_none();
    let catalog = if example {
        Some(load_catalog(
            &BundledFiles,
            &[PathBuf::from(EXAMPLE_CATALOG)],
        )?)
    } else if catalog.is_empty() {
        None
    } else {
        Some(load_catalog(&DiskFiles, catalog)?)
    };
    let facts_file = if example {
        Some((&BundledFiles as &dyn Files, Path::new(EXAMPLE_FACTS)))
    } else {
        facts.map(|f| (&DiskFiles as &dyn Files, f))
    };
    let bytes = match facts_file {
        Some((files, path)) => read(files, path)?,
        None => Vec::new(),
    };
    Ok(FleetInput {
        catalog,
        bytes,
        facts_path: facts_file.map(|(_, p)| p.to_path_buf()),
    })
}

/// One streamed chunk of the facts file: its NDJSON lines and a hash of each of its entities.
struct Streamed {
    lines: Lines,
    entities: Vec<u64>,
}

/// A chunk's NDJSON lines: in full, to be written at once, or compact, to be held.
enum Lines {
    Full(Vec<u8>),
    Compact(output::CompactLines),
}

impl Lines {
    /// Appends the lines in full to `out`.
    fn expand(&self, writer: &output::NdjsonWriter, out: &mut Vec<u8>) {
        match self {
            Lines::Full(lines) => out.extend_from_slice(lines),
            Lines::Compact(lines) => writer.expand(lines, out),
        }
    }
}

/// Where streamed NDJSON lines go.
enum Out {
    /// Stdout is a file: each chunk's lines are written as soon as every chunk before them
    /// is. `start` is where the file stood before the first write (`None`: nothing written),
    /// what it is cut back to should the stream have to be read again.
    File {
        file: std::fs::File,
        /// Opened to append (`>>`): every write goes to the end, wherever the offset stands.
        append: bool,
        start: Option<u64>,
    },
    /// Anywhere else, nothing can be taken back: the lines are held (compact: each distinct
    /// ending of a line once per chunk) until the last record is read.
    Held(Vec<Lines>),
}

impl Out {
    /// Lines written to stdout as they come when it is a file, held otherwise.
    fn stdout() -> Out {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::{AsFd, AsRawFd};
            let file = std::io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .map(std::fs::File::from);
            if let Ok(file) = file
                && file.metadata().is_ok_and(|m| m.is_file())
            {
                // SAFETY: F_GETFL only reads the flags of a descriptor we own.
                let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
                if flags >= 0 {
                    let append = flags & libc::O_APPEND != 0;
                    return Out::File {
                        file,
                        append,
                        start: None,
                    };
                }
            }
        }
        Out::Held(Vec::new())
    }

    /// Whether lines are being written as they come.
    fn writing(&self) -> bool {
        matches!(self, Out::File { start: Some(_), .. })
    }

    /// Takes a chunk's lines, in order; `confirm` is asked before the first is written.
    /// Compact lines are written out in full through `expanded`. Gives back the buffer of
    /// full lines written, emptied.
    fn take(
        &mut self,
        lines: Lines,
        expanded: &mut Vec<u8>,
        writer: &output::NdjsonWriter,
        confirm: &mut dyn FnMut() -> Result<(), String>,
    ) -> Result<Option<Vec<u8>>, StreamError> {
        use std::io::Seek;
        let io = |e| StreamError::Other(cannot_write(e));
        match self {
            Out::File {
                file,
                append,
                start,
            } => {
                if start.is_none() {
                    confirm().map_err(StreamError::Other)?;
                    let at = match append {
                        true => file.metadata().map(|m| m.len()),
                        false => file.stream_position(),
                    };
                    *start = Some(at.map_err(io)?);
                }
                match lines {
                    Lines::Full(mut buf) => {
                        file.write_all(&buf).map_err(io)?;
                        buf.clear();
                        Ok(Some(buf))
                    }
                    compact => {
                        expanded.clear();
                        compact.expand(writer, expanded);
                        file.write_all(expanded).map_err(io)?;
                        Ok(None)
                    }
                }
            }
            Out::Held(held) => {
                held.push(match lines {
                    Lines::Compact(mut compact) => {
                        compact.finish();
                        Lines::Compact(compact)
                    }
                    full => full,
                });
                Ok(None)
            }
        }
    }

    /// Takes back what was written: the stream is to be read again.
    fn undo(&mut self) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        match self {
            Out::File { file, start, .. } => {
                if let Some(at) = start.take() {
                    file.set_len(at)?;
                    file.seek(SeekFrom::Start(at))?;
                }
            }
            Out::Held(held) => held.clear(),
        }
        Ok(())
    }

    /// `message`, what was written taken back (as far as it can be: the output failed).
    fn fail(&mut self, message: String) -> String {
        let _ = self.undo();
        message
    }

    /// Writes out what is held.
    fn finish(self, engine: &Engine) -> std::io::Result<()> {
        match self {
            Out::File { .. } => Ok(()),
            Out::Held(held) => {
                let writer = output::NdjsonWriter::new(engine);
                write_expanded(&mut std::io::stdout().lock(), &writer, &held)
            }
        }
    }
}

/// A facts file to stream: read whole, or on the disk.
enum FactsInput<'a> {
    Bytes(&'a [u8]),
    File(&'a std::fs::File),
}

/// What streaming a facts file gave.
enum Stream {
    /// Every entity's line is written, or held in the [`Out`].
    Done,
    /// An entity has several records: they merge (later facts winning) into its first line,
    /// so the caller takes the general path for such a file.
    Repeated,
    /// The file is to be read whole first (see [`facts::read_file_chunks`]).
    ReadWhole,
}

/// Why streaming stopped short.
enum StreamError {
    Facts(facts::FactsError),
    /// The standards' schema check failed, or the output could not be written.
    Other(String),
}

impl StreamError {
    fn message(self, facts: impl FnOnce(facts::FactsError) -> String) -> String {
        match self {
            StreamError::Facts(e) => facts(e),
            StreamError::Other(message) => message,
        }
    }
}

/// NDJSON straight from the facts file: each chunk of the file is read, evaluated and
/// formatted on one core, one fact row reused, so the fleet's facts are never all held at
/// once; the chunks go to `out` in order. After [`Stream::Repeated`] or [`Stream::ReadWhole`]
/// what `out` took is to be undone.
fn stream_ndjson(
    engine: &Engine,
    input: FactsInput,
    evaluate: impl Fn(&EntityRef, &[Option<Value>]) -> Evaluation + Sync,
    out: &mut Out,
    confirm: &mut dyn FnMut() -> Result<(), String>,
) -> Result<Stream, StreamError> {
    let progress = stream_progress(match input {
        FactsInput::Bytes(bytes) => bytes.len() as u64,
        FactsInput::File(file) => file.metadata().map_or(0, |m| m.len()),
    });
    let writer = output::NdjsonWriter::new(engine);
    // Lines are made in full, to be written as they are, once the first are written, into
    // one of a few buffers, recycled. Until then (the standards' schema check may still run),
    // and while every buffer waits to be written, the cores make compact lines, a tenth as
    // large, that the writing expands: fresh pages are slow to touch.
    let writing = AtomicBool::new(false);
    let spare = parking_lot::Mutex::new(Vec::new());
    let buffers = AtomicUsize::new(0);
    let full_buffer = |len: usize| {
        if !writing.load(Ordering::Relaxed) {
            return None;
        }
        spare.lock().pop().or_else(|| {
            let made = buffers.fetch_add(1, Ordering::Relaxed);
            // A line is about as long as its record (the bench's: 830 of 657 bytes).
            (made < 2 * rayon::current_num_threads() + 2).then(|| Vec::with_capacity(len + len / 2))
        })
    };
    let init = |len: usize| Streamed {
        lines: match full_buffer(len) {
            Some(buf) => Lines::Full(buf),
            // A compact line is about a tenth as long as its record (the bench's: 68 of 657
            // bytes): room for a fifth seldom grows (a copy, and fresh pages, on every chunk).
            None => Lines::Compact(output::CompactLines::with_capacity(len / 5)),
        },
        entities: Vec::new(),
    };
    let visit = |chunk: &mut Streamed, entity: EntityRef, facts: &[Option<Value>]| {
        chunk.entities.push(FxBuildHasher.hash_one(&entity));
        let evaluation = evaluate(&entity, facts);
        match &mut chunk.lines {
            Lines::Full(buf) => writer.write(buf, &entity, &evaluation),
            Lines::Compact(lines) => writer.write_compact(lines, &entity, &evaluation),
        }
        if chunk.entities.len().is_multiple_of(PROGRESS_STEP) {
            progress.inc(PROGRESS_STEP as u64);
        }
    };
    // A repeated hash is almost surely a repeated entity; a rare false alarm costs only time.
    let mut seen = FxHashSet::default();
    let mut expanded = Vec::new();
    let mut take = |chunk: Streamed| {
        if !chunk.entities.into_iter().all(|id| seen.insert(id)) {
            return ControlFlow::Break(Ok(Stream::Repeated));
        }
        match out.take(chunk.lines, &mut expanded, &writer, confirm) {
            Ok(written) => {
                writing.store(out.writing(), Ordering::Relaxed);
                spare.lock().extend(written);
                ControlFlow::Continue(())
            }
            Err(e) => ControlFlow::Break(Err(e)),
        }
    };
    let flow = match input {
        FactsInput::Bytes(bytes) => facts::read_chunks(bytes, &engine.facts, init, visit)
            .map_err(StreamError::Facts)?
            .into_iter()
            .try_for_each(take),
        FactsInput::File(file) => {
            match facts::read_file_chunks(file, &engine.facts, init, visit, &mut take) {
                Some(flow) => flow,
                None => return Ok(Stream::ReadWhole),
            }
        }
    };
    progress.finish_and_clear();
    match flow {
        ControlFlow::Continue(()) => Ok(Stream::Done),
        ControlFlow::Break(stopped) => stopped,
    }
}

/// Writes out in full, in order, the lines of `chunks`: a few chunks at a time are expanded
/// on the cores while the ones before are written, each into a recycled buffer (so the full
/// output, five times larger than the compact, is never held, and fresh memory is slow to
/// touch).
fn write_expanded(
    out: &mut impl Write,
    writer: &output::NdjsonWriter,
    chunks: &[Lines],
) -> std::io::Result<()> {
    let (full, written) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
    let (recycle, empty) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|s| {
        s.spawn(move || {
            for batch in chunks.chunks(rayon::current_num_threads()) {
                let mut bufs: Vec<Vec<u8>> = batch
                    .iter()
                    .map(|_| empty.try_recv().unwrap_or_default())
                    .collect();
                bufs.par_iter_mut().zip(batch).for_each(|(buf, lines)| {
                    buf.clear();
                    lines.expand(writer, buf);
                });
                for buf in bufs {
                    if full.send(buf).is_err() {
                        return; // the writer failed
                    }
                }
            }
        });
        // Owned here, so that a failed write drops it and the expanding thread stops.
        let written = written;
        for buf in &written {
            out.write_all(&buf)?;
            let _ = recycle.send(buf);
        }
        out.flush()
    })
}

/// Entities counted at once by the streaming path's progress bar.
const PROGRESS_STEP: usize = 256;

/// A progress bar over `len` entities on stderr, when it is a terminal and the fleet large.
fn progress_bar(len: usize) -> indicatif::ProgressBar {
    if len < 10_000 {
        return indicatif::ProgressBar::hidden();
    }
    progress(
        indicatif::ProgressBar::new(len as u64),
        "{bar:40} {pos}/{len} entities {elapsed}",
    )
}

/// A count of the entities streamed from a facts file of `len` bytes (how many there are is
/// known only at the end).
fn stream_progress(len: u64) -> indicatif::ProgressBar {
    if len < 4 << 20 {
        return indicatif::ProgressBar::hidden();
    }
    progress(
        indicatif::ProgressBar::no_length(),
        "{spinner} {pos} entities {elapsed}",
    )
}

fn progress(bar: indicatif::ProgressBar, template: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

fn load_catalog(files: &dyn Files, roots: &[PathBuf]) -> Result<Catalog, String> {
    let catalog = Catalog::load(files, roots);
    let errors = catalog
        .problems()
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    for p in catalog.problems() {
        let label = if p.severity == Severity::Error {
            "error"
        } else {
            "warning"
        };
        eprintln!("catalog {label}: {p}");
    }
    if catalog.entities().is_empty() && errors > 0 {
        return Err(format!(
            "no entity could be loaded from the catalog ({errors} errors above)"
        ));
    }
    Ok(catalog)
}

fn read_facts(files: &dyn Files, path: &Path) -> Result<Vec<u8>, String> {
    if files.is_dir(path) {
        return Err(format!(
            "{}: is a folder; --facts takes a file",
            path.display()
        ));
    }
    files
        .read_bytes(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

/// [`read_facts`] from the disk, in pieces read on every core: the pages of a 100 MB buffer
/// take as long to fill as the rest of the start-up.
#[cfg(not(unix))]
fn read_facts_from_disk(path: &Path) -> Result<Vec<u8>, String> {
    read_facts(&DiskFiles, path)
}

/// [`read_facts`] from the disk, in pieces read on every core: the pages of a 100 MB buffer
/// take as long to fill as the rest of the start-up.
#[cfg(unix)]
fn read_facts_from_disk(path: &Path) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::FileExt;
    const PIECE: usize = 4 << 20;
    let cannot = |e: std::io::Error| format!("{}: cannot read: {e}", path.display());
    if path.is_dir() {
        return read_facts(&DiskFiles, path);
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    let len = file.metadata().map_err(cannot)?.len();
    let mut bytes = vec![0; usize::try_from(len).map_err(|e| format!("{}: {e}", path.display()))?];
    bytes
        .par_chunks_mut(PIECE)
        .enumerate()
        .try_for_each(|(i, piece)| file.read_exact_at(piece, (i * PIECE) as u64))
        .map_err(cannot)?;
    Ok(bytes)
}

fn read_exemptions(path: &Path) -> Result<Vec<Exemption>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let docs = parse_documents(path, &text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for doc in &docs {
        let (items, base) = match &doc.value {
            Value::Object(m) if m.contains_key("exemptions") => {
                (m["exemptions"].clone(), "/exemptions")
            }
            other => (other.clone(), ""),
        };
        let list: Vec<Exemption> =
            crate::config::deserialize_at(doc, &items, base).map_err(|e| e.to_string())?;
        out.extend(list);
    }
    Ok(out)
}

/// Merges catalog entities (of the scored kinds) and facts records into the entities to score:
/// catalog entities first, in catalog order, then entities known only from the facts file.
pub(super) fn subjects(
    engine: &Engine,
    catalog: Option<&Catalog>,
    records: Vec<FactRecord>,
    kinds: &[String],
) -> Vec<Scored> {
    // Several records for one entity merge, later facts winning.
    let mut index: FxHashMap<EntityRef, usize> = FxHashMap::default();
    let mut merged: Vec<FactRecord> = Vec::with_capacity(records.len());
    for r in records {
        match index.get(&r.entity) {
            Some(&i) => {
                for (slot, v) in r.facts.into_iter().enumerate() {
                    if v.is_some() {
                        merged[i].facts[slot] = v;
                    }
                }
            }
            None => {
                index.insert(r.entity.clone(), merged.len());
                merged.push(r);
            }
        }
    }
    let Some(catalog) = catalog else {
        return merged
            .into_iter()
            .map(|r| Scored {
                entity: r.entity,
                facts: r.facts,
                owner_in_catalog: None,
            })
            .collect();
    };
    let all_kinds = kinds.iter().any(|k| k == "all");
    let mut taken = vec![false; merged.len()];
    let mut out = Vec::new();
    for entity in catalog.entities() {
        if !all_kinds
            && !kinds
                .iter()
                .any(|k| k.eq_ignore_ascii_case(entity.entity_ref.kind()))
        {
            continue;
        }
        let mut row = engine.empty_facts();
        facts::catalog::fill(entity, &engine.facts, &mut row);
        if let Some(&i) = index.get(&entity.entity_ref) {
            taken[i] = true;
            for (slot, v) in merged[i].facts.iter().enumerate() {
                if v.is_some() {
                    row[slot] = v.clone();
                }
            }
        }
        let owner_in_catalog = entity.owner().map(|o| catalog.get(o).is_some());
        out.push(Scored {
            entity: entity.entity_ref.clone(),
            facts: row,
            owner_in_catalog,
        });
    }
    for (r, taken) in merged.into_iter().zip(taken) {
        if !taken {
            out.push(Scored {
                entity: r.entity,
                facts: r.facts,
                owner_in_catalog: None,
            });
        }
    }
    out
}
