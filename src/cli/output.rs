//! Output formats of `evaluate`: NDJSON for machines (fast), JSON with details, a table for
//! people.

use std::collections::BTreeMap;
use std::io::{self, Write};

use rustc_hash::FxHashMap;
use serde_json::{Value, json};

use super::evaluate::Scored;
use crate::catalog::EntityRef;
use crate::evaluate::{Engine, Evaluation};
use crate::json_out;
use crate::rules::{Severity, Status};

/// Writes `{"entity", "results", "levels", "golden", "eligible", "blocking"}` lines, with what
/// is the same on every line encoded once.
pub struct NdjsonWriter<'e> {
    engine: &'e Engine,
    /// Per check, per status (in `STATUSES` order): `"<check>":"<status>"`.
    results: Vec<Vec<Vec<u8>>>,
    track_keys: Vec<Vec<u8>>,
}

const STATUSES: [Status; 5] = [
    Status::Pass,
    Status::Fail,
    Status::NotApplicable,
    Status::Unknown,
    Status::Exempt,
];

/// A status's place in `STATUSES`.
fn status_index(status: Status) -> usize {
    match status {
        Status::Pass => 0,
        Status::Fail => 1,
        Status::NotApplicable => 2,
        Status::Unknown => 3,
        Status::Exempt => 4,
    }
}

impl<'e> NdjsonWriter<'e> {
    pub fn new(engine: &'e Engine) -> Self {
        let key = |s: &str| {
            let mut k = Vec::new();
            json_out::string(&mut k, s);
            k.push(b':');
            k
        };
        let results = engine
            .checks
            .iter()
            .map(|c| {
                STATUSES
                    .iter()
                    .map(|st| {
                        let mut r = key(c.id());
                        json_out::string(&mut r, st.as_str());
                        r
                    })
                    .collect()
            })
            .collect();
        NdjsonWriter {
            engine,
            results,
            track_keys: engine.tracks.iter().map(|t| key(&t.def.id)).collect(),
        }
    }

    pub fn write(&self, buf: &mut Vec<u8>, entity: &EntityRef, ev: &Evaluation) {
        self.head(buf, entity);
        self.results(buf, ev.statuses.iter().map(|s| status_index(*s)));
        self.tail(buf, ev);
    }

    /// Writes the line in a compact form for [`Self::expand`] to write out in full: the
    /// entity, its results one byte per check, and the number of its tail (levels, golden,
    /// eligible, blocking), which lines share — each distinct tail is held once per
    /// [`CompactLines`]. Lines held until every record is read take a third of the memory.
    pub fn write_compact(&self, lines: &mut CompactLines, entity: &EntityRef, ev: &Evaluation) {
        with_length(&mut lines.bytes, |buf| json_out::entity_ref(buf, entity));
        lines
            .bytes
            .extend(ev.statuses.iter().map(|s| status_index(*s) as u8));
        let mut tail = std::mem::take(&mut lines.scratch);
        tail.clear();
        self.tail(&mut tail, ev);
        let number = match lines.numbers.get(tail.as_slice()) {
            Some(&n) => {
                lines.scratch = tail;
                n
            }
            None => {
                let n = u32::try_from(lines.tails.len()).unwrap_or(u32::MAX);
                lines.tails.push(tail.clone());
                lines.numbers.insert(tail, n);
                n
            }
        };
        lines.bytes.extend_from_slice(&number.to_le_bytes());
    }

    /// Appends to `out` in full the lines that [`Self::write_compact`] wrote into `compact`.
    pub fn expand(&self, compact: &CompactLines, out: &mut Vec<u8>) {
        let checks = self.results.len();
        let mut rest = compact.bytes.as_slice();
        while !rest.is_empty() {
            let entity;
            (entity, rest) = take_with_length(rest);
            out.extend_from_slice(HEAD_START);
            out.extend_from_slice(entity);
            out.extend_from_slice(HEAD_END);
            let (statuses, after) = rest.split_at(checks);
            self.results(out, statuses.iter().map(|s| usize::from(*s)));
            let (number, after) = after.split_at(4);
            let number = u32::from_le_bytes([number[0], number[1], number[2], number[3]]);
            out.extend_from_slice(&compact.tails[number as usize]);
            rest = after;
        }
    }

    fn head(&self, buf: &mut Vec<u8>, entity: &EntityRef) {
        buf.extend_from_slice(HEAD_START);
        json_out::entity_ref(buf, entity);
        buf.extend_from_slice(HEAD_END);
    }

    /// The results of the checks, given the index of each one's status in `STATUSES`.
    fn results(&self, buf: &mut Vec<u8>, statuses: impl Iterator<Item = usize>) {
        for (i, status) in statuses.enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(&self.results[i][status]);
        }
    }

    fn tail(&self, buf: &mut Vec<u8>, ev: &Evaluation) {
        buf.extend_from_slice(b"},\"levels\":{");
        let mut first = true;
        for (i, standing) in ev.standings.iter().enumerate() {
            let Some(standing) = standing else { continue };
            if !first {
                buf.push(b',');
            }
            first = false;
            buf.extend_from_slice(&self.track_keys[i]);
            match self.engine.tracks[i].level_id(standing.level) {
                Some(level) => json_out::string(buf, level),
                None => buf.extend_from_slice(b"null"),
            }
        }
        buf.extend_from_slice(b"},\"golden\":");
        buf.extend_from_slice(if ev.golden { b"true" } else { b"false" });
        buf.extend_from_slice(b",\"eligible\":");
        buf.extend_from_slice(if ev.eligibility.eligible {
            b"true"
        } else {
            b"false"
        });
        buf.extend_from_slice(b",\"blocking\":[");
        for (i, r) in ev.eligibility.reasons.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            json_out::string(buf, &r.code);
        }
        buf.extend_from_slice(b"]}\n");
    }
}

/// What an NDJSON line holds before and after its entity ref.
const HEAD_START: &[u8] = b"{\"entity\":";
const HEAD_END: &[u8] = b",\"results\":{";

/// NDJSON lines in the compact form of [`NdjsonWriter::write_compact`].
#[derive(Default)]
pub struct CompactLines {
    bytes: Vec<u8>,
    /// Each distinct tail once, by its number.
    tails: Vec<Vec<u8>>,
    numbers: FxHashMap<Vec<u8>, u32>,
    /// A tail being written.
    scratch: Vec<u8>,
}

impl CompactLines {
    /// Room for `bytes` of lines before the buffer grows.
    pub fn with_capacity(bytes: usize) -> Self {
        CompactLines {
            bytes: Vec::with_capacity(bytes),
            ..Self::default()
        }
    }

    /// Done writing: what only writing needs is let go.
    pub fn finish(&mut self) {
        self.numbers = FxHashMap::default();
        self.scratch = Vec::new();
    }
}

/// Appends what `write` appends, preceded by its length (4 bytes).
fn with_length(buf: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let at = buf.len();
    buf.extend_from_slice(&[0; 4]);
    write(buf);
    let len = u32::try_from(buf.len() - at - 4).unwrap_or(u32::MAX);
    buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// The bytes [`with_length`] appended, and what follows them.
fn take_with_length(buf: &[u8]) -> (&[u8], &[u8]) {
    let (len, rest) = buf.split_at(4);
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    rest.split_at(len)
}

/// One entity in detail.
fn entity_json(engine: &Engine, s: &Scored, ev: &Evaluation) -> Value {
    let checks: Vec<Value> = engine
        .checks
        .iter()
        .zip(&ev.statuses)
        .map(|(c, status)| {
            let mut v = json!({"id": c.id(), "name": c.def.name, "status": status, "severity": c.def.severity});
            match status {
                Status::Fail => {
                    if let Some(h) = &c.def.how_to_fix {
                        v["howToFix"] = json!(h);
                    }
                }
                Status::Unknown => v["missingFacts"] = json!(c.missing_facts(&s.facts, &engine.facts)),
                _ => {}
            }
            v
        })
        .collect();
    let tracks: Vec<Value> = engine
        .tracks
        .iter()
        .zip(&ev.standings)
        .filter_map(|(t, standing)| {
            let standing = standing.as_ref()?;
            Some(json!({
                "id": t.def.id,
                "name": t.def.name,
                "required": t.def.required,
                "level": t.level_id(standing.level),
                "nextLevel": t.level_id(standing.next_level(t)),
                "blockingChecks": t
                    .blocking(&engine.checks, &ev.statuses, standing)
                    .into_iter()
                    .map(|c| engine.checks[c].id())
                    .collect::<Vec<_>>(),
            }))
        })
        .collect();
    json!({
        "entity": s.entity.to_string(),
        "tracks": tracks,
        "golden": ev.golden,
        "eligibility": ev.eligibility,
        "checks": checks,
    })
}

/// Fleet-wide counts: entities per level per track, golden and eligible shares, the most
/// common blocking reasons and failing checks.
fn summary(engine: &Engine, rows: &[(&Scored, &Evaluation)]) -> Value {
    let mut levels: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failing: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, ev) in rows {
        for (t, s) in engine.tracks.iter().zip(&ev.standings) {
            if let Some(s) = s {
                let level = t.level_id(s.level).unwrap_or("none").to_string();
                *levels
                    .entry(&t.def.id)
                    .or_default()
                    .entry(level)
                    .or_default() += 1;
            }
        }
        for r in &ev.eligibility.reasons {
            *reasons.entry(&r.code).or_default() += 1;
        }
        for (c, st) in engine.checks.iter().zip(&ev.statuses) {
            if *st == Status::Fail {
                *failing.entry(c.id()).or_default() += 1;
            }
        }
    }
    let n = rows.len();
    let golden = rows.iter().filter(|(_, e)| e.golden).count();
    let eligible = rows.iter().filter(|(_, e)| e.eligibility.eligible).count();
    json!({
        "entities": n,
        "golden": golden,
        "eligible": eligible,
        "levels": levels,
        "blockingReasons": reasons,
        "failingChecks": failing,
    })
}

pub fn json_report(engine: &Engine, rows: &[(&Scored, &Evaluation)]) -> Value {
    json!({
        "summary": summary(engine, rows),
        "entities": rows.iter().map(|(s, ev)| entity_json(engine, s, ev)).collect::<Vec<_>>(),
    })
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.0}%", 100.0 * part as f64 / whole as f64)
    }
}

/// A table for people: one row per entity, then the fleet summary.
pub fn write_table(
    out: &mut dyn Write,
    engine: &Engine,
    rows: &[(&Scored, &Evaluation)],
) -> io::Result<()> {
    let short = |r: &EntityRef| {
        if r.namespace() == "default" {
            format!("{}:{}", r.kind(), r.name())
        } else {
            r.to_string()
        }
    };
    let mut header: Vec<String> = vec!["ENTITY".into()];
    header.extend(engine.tracks.iter().map(|t| t.def.id.to_uppercase()));
    header.extend([
        "GOLDEN".into(),
        "ELIGIBLE".into(),
        "FAILING (ERRORS FIRST)".into(),
    ]);
    let mut table: Vec<Vec<String>> = vec![header];
    for (s, ev) in rows {
        let mut row = vec![short(&s.entity)];
        for (t, st) in engine.tracks.iter().zip(&ev.standings) {
            row.push(match st {
                None => "n/a".into(),
                Some(st) => t.level_id(st.level).unwrap_or("none").into(),
            });
        }
        row.push(if ev.golden { "yes".into() } else { "no".into() });
        row.push(if ev.eligibility.eligible {
            "yes".into()
        } else {
            let codes: Vec<&str> = ev.eligibility.reasons.iter().map(|r| &*r.code).collect();
            format!("no: {}", codes.join(", "))
        });
        let mut bad: Vec<(u8, &str)> = engine
            .checks
            .iter()
            .zip(&ev.statuses)
            .filter(|(_, st)| matches!(st, Status::Fail | Status::Unknown))
            .map(|(c, st)| {
                let rank = u8::from(c.def.severity == Severity::Warning) * 2
                    + u8::from(*st == Status::Unknown);
                (rank, c.id())
            })
            .collect();
        bad.sort();
        let shown: Vec<String> = bad
            .iter()
            .take(3)
            .map(|(rank, id)| {
                if rank % 2 == 1 {
                    format!("{id}?")
                } else {
                    id.to_string()
                }
            })
            .collect();
        let more = bad.len().saturating_sub(3);
        row.push(if more > 0 {
            format!("{} +{more}", shown.join(", "))
        } else {
            shown.join(", ")
        });
        table.push(row);
    }
    let widths: Vec<usize> = (0..table[0].len())
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &table {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i + 1 == row.len() {
                    cell.clone()
                } else {
                    format!("{cell:<w$}", w = widths[i])
                }
            })
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    let sum = summary(engine, rows);
    let n = rows.len();
    writeln!(out)?;
    writeln!(
        out,
        "{n} entities · golden {} ({}) · eligible for automated changes {} ({})   (`check?` = unknown: a fact is missing)",
        sum["golden"],
        percent(sum["golden"].as_u64().unwrap_or(0) as usize, n),
        sum["eligible"],
        percent(sum["eligible"].as_u64().unwrap_or(0) as usize, n)
    )?;
    for t in &engine.tracks {
        let counts = &sum["levels"][&t.def.id];
        let mut parts = vec![format!("none {}", counts["none"].as_u64().unwrap_or(0))];
        for l in &t.def.levels {
            parts.push(format!("{} {}", l.id, counts[&l.id].as_u64().unwrap_or(0)));
        }
        writeln!(out, "  {:<18} {}", t.def.id, parts.join(" · "))?;
    }
    if let Some(reasons) = sum["blockingReasons"].as_object().filter(|r| !r.is_empty()) {
        let mut r: Vec<(&String, u64)> = reasons
            .iter()
            .map(|(k, v)| (k, v.as_u64().unwrap_or(0)))
            .collect();
        r.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let parts: Vec<String> = r.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(out, "  blocking reasons:  {}", parts.join(" · "))?;
    }
    Ok(())
}
