//! Bounds a GraphQL request must keep before it is parsed or run. The parser recurses once per
//! nesting level of a value (`[[[…]]]` in an argument, a variable's default or a directive), so a
//! few kilobytes nested deep would overflow the worker's stack and abort the whole process: the
//! nesting is measured on the text first, without recursion. Aliases multiply work at no cost in
//! depth, and fragments spread within fragments multiply it exponentially, so both are counted
//! on the parsed document before the validator walks it.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use rustc_hash::{FxHashMap, FxHashSet};

/// The deepest `{`, `[` or `(` nesting a document may have. The selection depth limit
/// (`graphqlMaxDepth`, 12 by default) with arguments and input values needs far fewer.
pub const MAX_NESTING: usize = 64;

/// The most selections the operations of a document may expand to through fragment spreads:
/// ten fragments each spreading the next ten times are ten billion, and the validator walks
/// every one before any limit applies.
pub const MAX_EXPANDED: usize = 10_000;

/// Why a request is refused before it runs.
#[derive(Debug, PartialEq)]
pub enum Refused {
    Nesting(usize),
    Aliases { found: usize, max: usize },
    Expanded,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Nesting(line) => write!(
                f,
                "the GraphQL document nests brackets more than {MAX_NESTING} levels deep \
                 (line {line}); write values and selections less deep"
            ),
            Refused::Aliases { found, max } => write!(
                f,
                "the GraphQL document has {found} aliased fields; at most {max} are allowed \
                 (graphqlMaxAliases)"
            ),
            Refused::Expanded => write!(
                f,
                "the GraphQL document expands to more than {MAX_EXPANDED} selections through \
                 its fragment spreads; spread fewer fragments"
            ),
        }
    }
}

/// Checks the nesting of `{`, `[` and `(` outside strings and comments, in one pass.
pub fn check_nesting(query: &str) -> Result<(), Refused> {
    let b = query.as_bytes();
    let (mut depth, mut line, mut i) = (0usize, 1usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'\n' => line += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                // A block string ends at the next `"""` not escaped as `\"""`.
                i += 3;
                while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                    if b[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                        continue;
                    }
                    line += usize::from(b[i] == b'\n');
                    i += 1;
                }
                i += 3;
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(Refused::Nesting(line));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Counts the aliased fields of every operation and fragment (each as written), and the
/// selections the operations expand to through their fragment spreads.
pub fn check_document(doc: &ExecutableDocument, max_aliases: usize) -> Result<(), Refused> {
    let operations: Vec<Shape> = doc
        .operations
        .iter()
        .map(|(_, op)| Shape::of(&op.node.selection_set.node))
        .collect();
    let fragments: FxHashMap<&str, Shape> = doc
        .fragments
        .iter()
        .map(|(name, f)| (name.as_str(), Shape::of(&f.node.selection_set.node)))
        .collect();
    let aliases = operations
        .iter()
        .chain(fragments.values())
        .map(|s| s.aliases)
        .sum();
    if aliases > max_aliases {
        return Err(Refused::Aliases {
            found: aliases,
            max: max_aliases,
        });
    }
    let sizes = expanded_sizes(&fragments);
    let expanded = operations.iter().fold(0usize, |total, op| {
        op.spreads
            .iter()
            .fold(total.saturating_add(op.selections), |t, s| {
                t.saturating_add(sizes.get(s).copied().unwrap_or(0))
            })
    });
    if expanded > MAX_EXPANDED {
        return Err(Refused::Expanded);
    }
    Ok(())
}

/// What a selection set holds, the contents of the fragments it spreads aside.
#[derive(Default)]
struct Shape<'a> {
    /// Fields, inline fragments and spreads, at any depth.
    selections: usize,
    aliases: usize,
    /// The fragments spread, once per spread.
    spreads: Vec<&'a str>,
}

impl<'a> Shape<'a> {
    fn of(set: &'a SelectionSet) -> Shape<'a> {
        fn walk<'a>(set: &'a SelectionSet, out: &mut Shape<'a>) {
            // Recursion is bounded: the document passed `check_nesting`.
            for s in &set.items {
                out.selections += 1;
                match &s.node {
                    Selection::Field(f) => {
                        out.aliases += usize::from(f.node.alias.is_some());
                        walk(&f.node.selection_set.node, out);
                    }
                    Selection::InlineFragment(i) => walk(&i.node.selection_set.node, out),
                    Selection::FragmentSpread(f) => {
                        out.spreads.push(f.node.fragment_name.node.as_str())
                    }
                }
            }
        }
        let mut out = Shape::default();
        walk(set, &mut out);
        out
    }
}

/// Each fragment's selections with those of the fragments it spreads, saturating, without
/// recursion (a chain of spreads may be as long as the document). A fragment in a cycle counts
/// what it reaches before the cycle closes; the validator refuses the cycle itself.
fn expanded_sizes<'a>(fragments: &FxHashMap<&'a str, Shape<'a>>) -> FxHashMap<&'a str, usize> {
    let mut sizes: FxHashMap<&str, usize> = FxHashMap::default();
    let mut entered: FxHashSet<&str> = FxHashSet::default();
    for &root in fragments.keys() {
        let mut todo = vec![(root, false)];
        while let Some((name, children_done)) = todo.pop() {
            let Some(shape) = fragments.get(name) else {
                continue; // an unknown fragment: the validator names it
            };
            if children_done {
                let size = shape.spreads.iter().fold(shape.selections, |t, s| {
                    t.saturating_add(sizes.get(s).copied().unwrap_or(0))
                });
                sizes.insert(name, size);
            } else if entered.insert(name) {
                todo.push((name, true));
                todo.extend(
                    shape
                        .spreads
                        .iter()
                        .filter(|s| !entered.contains(*s))
                        .map(|s| (*s, false)),
                );
            }
        }
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(n: usize) -> String {
        format!(
            "{{__typename @skip(if:{}{})}}",
            "[".repeat(n),
            "]".repeat(n)
        )
    }

    #[test]
    fn nesting_is_measured_outside_strings_and_comments() {
        assert_eq!(check_nesting(&nested(MAX_NESTING - 2)), Ok(()));
        assert_eq!(check_nesting(&nested(2000)), Err(Refused::Nesting(1)));
        let quoted = format!(
            "{{ entity(ref: \"{}\\\"{}\") {{ ref }} }} # {}\n",
            "[".repeat(500),
            "{".repeat(500),
            "(".repeat(500)
        );
        assert_eq!(check_nesting(&quoted), Ok(()));
        let block = format!(
            "{{ a(x: \"\"\"{}\\\"\"\"\n{}\"\"\") }}",
            "[".repeat(99),
            "{".repeat(99)
        );
        assert_eq!(check_nesting(&block), Ok(()));
        let late = format!("{{ a }}\n\n{}", "(".repeat(MAX_NESTING + 1));
        assert_eq!(check_nesting(&late), Err(Refused::Nesting(3)));
    }

    #[test]
    fn aliases_are_counted_in_operations_and_fragments() {
        let doc = async_graphql::parser::parse_query(
            "{ a: entity(ref: \"x\") { b: ref ...F } } fragment F on Entity { c: name d: kind }",
        )
        .unwrap();
        assert_eq!(check_document(&doc, 4), Ok(()));
        assert_eq!(
            check_document(&doc, 3),
            Err(Refused::Aliases { found: 4, max: 3 })
        );
    }

    /// `levels` fragments, each spreading the next `fan` times, the last one a field.
    fn fan_out(levels: usize, fan: usize) -> String {
        let mut doc = String::from("{ ...F0 }");
        for i in 0..levels {
            let spreads = format!(" ...F{}", i + 1).repeat(fan);
            doc.push_str(&format!(" fragment F{i} on Query {{{spreads} }}"));
        }
        doc + &format!(" fragment F{levels} on Query {{ __typename }}")
    }

    #[test]
    fn fragments_are_counted_as_expanded_without_recursion() {
        let check =
            |text: &str| check_document(&async_graphql::parser::parse_query(text).unwrap(), 100);
        // 1 + 10 + 100 + 1000 spreads and 1000 fields below them.
        assert_eq!(check(&fan_out(3, 10)), Ok(()));
        assert_eq!(check(&fan_out(4, 10)), Err(Refused::Expanded));
        assert_eq!(check(&fan_out(40, 10)), Err(Refused::Expanded));
        // A chain as long as the document, and cycles, end (the validator refuses cycles).
        assert_eq!(check(&fan_out(50_000, 1)), Err(Refused::Expanded));
        let cycle = "{ ...A } fragment A on Query { ...B x } fragment B on Query { ...A ...A }";
        assert_eq!(check(cycle), Ok(()));
    }
}
