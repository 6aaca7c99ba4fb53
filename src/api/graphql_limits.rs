//! Bounds a GraphQL request must keep before it is parsed or run. The parser recurses once per
//! nesting level of a value (`[[[…]]]` in an argument, a variable's default or a directive), so a
//! few kilobytes nested deep would overflow the worker's stack and abort the whole process: the
//! nesting is measured on the text first, without recursion. Aliases multiply work at no cost in
//! depth, so they are counted too.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// The deepest `{`, `[` or `(` nesting a document may have. The selection depth limit
/// (`graphqlMaxDepth`, 12 by default) with arguments and input values needs far fewer.
pub const MAX_NESTING: usize = 64;

/// Why a request is refused before it runs.
#[derive(Debug, PartialEq)]
pub enum Refused {
    Nesting(usize),
    Aliases { found: usize, max: usize },
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

/// Counts the aliased fields of every operation and fragment (each written once; spreads are
/// counted by the complexity limit).
pub fn check_aliases(doc: &ExecutableDocument, max: usize) -> Result<(), Refused> {
    fn count(set: &SelectionSet) -> usize {
        // Recursion is bounded: the document passed `check_nesting`.
        set.items
            .iter()
            .map(|s| match &s.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + count(&f.node.selection_set.node)
                }
                Selection::InlineFragment(i) => count(&i.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let found: usize = doc
        .operations
        .iter()
        .map(|(_, op)| count(&op.node.selection_set.node))
        .chain(
            doc.fragments
                .values()
                .map(|f| count(&f.node.selection_set.node)),
        )
        .sum();
    if found > max {
        return Err(Refused::Aliases { found, max });
    }
    Ok(())
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
        assert_eq!(check_aliases(&doc, 4), Ok(()));
        assert_eq!(
            check_aliases(&doc, 3),
            Err(Refused::Aliases { found: 4, max: 3 })
        );
    }
}
