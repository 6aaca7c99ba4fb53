//! Adversarial facts and checks for json-rules-engine 7's quirks: every JSON type, numeric
//! strings, UTF-16 ordering, number spellings (`1.0`, `-0`, 2^53+1), arrays compared as strings,
//! JSONPath on objects and non-objects, all/any/not up to 4 deep (empty ones too), every operator
//! and decorator, fact references. Only inputs that make json-rules-engine *throw* are avoided:
//! `in`/`notIn` whose right-hand side is not an array or string, `someValue`/`everyValue` over a
//! non-array (see `leaf`).

use super::json::{J, Rng, arr, int, n, obj, s};
use super::pools::{
    CHAINS, HOT, HOT_NUMERIC, HOT_STRINGS, NUMBERS, NUMERIC_STRINGS, OPS, PATHS, STRINGS,
};

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Num,
    Str,
    Bool,
    Arr,
    Obj,
    Any,
    /// Always present, always an array of scalars (safe right-hand side of `in`).
    RefList,
    /// Always present, always a string.
    RefStr,
}

const FACTS: [(&str, Shape); 15] = [
    ("n0", Shape::Num),
    ("n1", Shape::Num),
    ("s0", Shape::Str),
    ("s1", Shape::Str),
    ("b0", Shape::Bool),
    ("a0", Shape::Arr),
    ("a1", Shape::Arr),
    ("o0", Shape::Obj),
    ("o1", Shape::Obj),
    ("x0", Shape::Any),
    ("x1", Shape::Any),
    ("hasAnnotation-backstage.io/techdocs-ref", Shape::Bool),
    ("team.name/x", Shape::Any),
    ("refList", Shape::RefList),
    ("refStr", Shape::RefStr),
];

fn hot(rng: &mut Rng, pool: &[&str]) -> J {
    let text: &&str = rng.pick(pool);
    J::parse(text).expect("hot values are JSON")
}

pub fn scalar(rng: &mut Rng) -> J {
    if rng.chance(0.5) {
        return hot(rng, HOT);
    }
    match rng.below(10) {
        0 => J::Bool(rng.chance(0.5)),
        1 => J::Null,
        2..=4 => n(rng.pick(NUMBERS)),
        5 | 6 => s(rng.pick(NUMERIC_STRINGS)),
        _ => s(rng.pick(STRINGS)),
    }
}

fn numeric(rng: &mut Rng) -> J {
    if rng.chance(0.5) {
        hot(rng, HOT_NUMERIC)
    } else if rng.chance(0.6) {
        n(rng.pick(NUMBERS))
    } else {
        s(rng.pick(NUMERIC_STRINGS))
    }
}

fn string(rng: &mut Rng) -> J {
    if rng.chance(0.5) {
        hot(rng, HOT_STRINGS)
    } else if rng.chance(0.7) {
        s(rng.pick(STRINGS))
    } else {
        s(rng.pick(NUMERIC_STRINGS))
    }
}

pub fn array(rng: &mut Rng, depth: u32) -> J {
    if rng.chance(0.25) {
        let special = [
            arr(vec![]),
            arr(vec![int(5)]),
            arr(vec![s("7"), int(8)]),
            arr(vec![int(1), int(2)]),
            arr(vec![s("java"), s("python")]),
            arr(vec![J::Null]),
            arr(vec![arr(vec![int(1)])]),
            arr(vec![J::Bool(true)]),
            arr(vec![n("1.5")]),
            arr(vec![s("10")]),
            arr(vec![n("-0.0")]),
            arr(vec![s("\u{1F600}"), s("\u{FF5E}")]),
        ];
        return rng.pick(&special).clone();
    }
    let len = rng.below(5);
    arr((0..len)
        .map(|_| match rng.below(12) {
            0 if depth > 0 => array(rng, depth - 1),
            1 if depth > 0 => obj(vec![("id", scalar(rng))]),
            _ => scalar(rng),
        })
        .collect())
}

pub fn object(rng: &mut Rng, depth: u32) -> J {
    let keys = [
        "a",
        "list",
        "k",
        "k.x",
        "weird key",
        "items",
        "id",
        "10",
        "2",
        "z",
        "length",
        // Object.keys order: array indices (< 2^32 - 1) ascending first, then insertion order.
        "01",
        "-1",
        "4294967294",
        "4294967295",
    ];
    let take = rng.range(1, 8) as usize;
    let mut fields = Vec::new();
    for key in rng.sample(&keys, take) {
        let v = match key {
            "a" if depth > 0 && rng.chance(0.7) => {
                let mut inner = vec![("b", any(rng, depth - 1)), ("c", array(rng, 0))];
                if rng.chance(0.4) {
                    inner.push(("id", scalar(rng)));
                }
                let k = rng.range(1, 3) as usize;
                obj(rng.sample(&inner, k))
            }
            "list" => array(rng, depth.min(1)),
            "items" => arr((0..rng.below(4))
                .map(|_| {
                    let mut item = vec![("id", scalar(rng))];
                    if rng.chance(0.3) {
                        item.insert(0, ("x", scalar(rng)));
                    }
                    obj(item)
                })
                .collect()),
            "length" if rng.chance(0.5) => int(4),
            _ if depth > 0 && rng.chance(0.1) => array(rng, 0),
            _ => scalar(rng),
        };
        fields.push((key, v));
    }
    obj(fields)
}

pub fn any(rng: &mut Rng, depth: u32) -> J {
    match rng.below(10) {
        0..=5 => scalar(rng),
        6 | 7 => array(rng, depth),
        _ if depth > 0 => object(rng, depth - 1),
        _ => scalar(rng),
    }
}

fn of_shape(rng: &mut Rng, shape: Shape) -> J {
    match shape {
        Shape::RefList => arr((0..rng.below(6)).map(|_| scalar(rng)).collect()),
        Shape::RefStr => string(rng),
        _ if rng.chance(0.25) => any(rng, 2),
        Shape::Num => numeric(rng),
        Shape::Str => string(rng),
        Shape::Bool => J::Bool(rng.chance(0.5)),
        Shape::Arr => array(rng, 1),
        Shape::Obj => object(rng, 2),
        Shape::Any => any(rng, 2),
    }
}

/// The random facts of one entity: ~8% of them absent, ~6% null (but `refList`/`refStr`).
pub fn facts(rng: &mut Rng) -> Vec<(String, J)> {
    let mut out = Vec::new();
    for (name, shape) in FACTS {
        let always = matches!(shape, Shape::RefList | Shape::RefStr);
        if !always && rng.chance(0.08) {
            continue;
        }
        let v = if !always && rng.chance(0.065) {
            J::Null
        } else {
            of_shape(rng, shape)
        };
        out.push((name.to_string(), v));
    }
    out
}

/// A quirky stand-in for a well-typed fact (`"80"` for 80, `"true"` for true, ...).
pub fn perturbed(rng: &mut Rng, original: &J) -> J {
    match (original, rng.below(3)) {
        (J::Num(text), 0) => s(text),
        (J::Bool(b), 0) => s(if *b { "true" } else { "false" }),
        (J::Bool(b), 1) => int(i64::from(*b)),
        (J::Str(text), 0) => arr(vec![s(text)]),
        _ => any(rng, 1),
    }
}

fn literal(rng: &mut Rng, op: &str) -> J {
    match op {
        "lessThan" | "lessThanInclusive" | "greaterThan" | "greaterThanInclusive" => {
            match rng.below(20) {
                0..=11 => numeric(rng),
                12..=16 => string(rng),
                _ => any(rng, 1),
            }
        }
        "contains" | "doesNotContain" if rng.chance(0.85) => scalar(rng),
        _ if rng.chance(0.8) => scalar(rng),
        _ => any(rng, 1),
    }
}

fn fact_ref(rng: &mut Rng, name: &str, with_path: bool) -> J {
    let mut fields = vec![("fact", s(name))];
    if with_path && rng.chance(0.3) {
        fields.push(("path", s(rng.pick(PATHS))));
    }
    obj(fields)
}

/// An operator with decorators: three times in four one that suits the fact's usual shape (so
/// its verdict varies between entities), else any.
fn operator(rng: &mut Rng, shape: Shape) -> (&'static str, &'static str) {
    const CMP: [&str; 6] = [
        "lessThan",
        "lessThanInclusive",
        "greaterThan",
        "greaterThanInclusive",
        "equal",
        "notEqual",
    ];
    let (chains, ops): (&[&str], &[&str]) = match shape {
        _ if rng.chance(0.25) => (CHAINS, OPS),
        Shape::Arr | Shape::RefList => (
            &[
                "",
                "someFact:",
                "everyFact:",
                "not:someFact:",
                "someFact:not:",
                "everyFact:someValue:",
            ],
            &[
                "contains",
                "doesNotContain",
                "equal",
                "in",
                "greaterThan",
                "lessThanInclusive",
            ],
        ),
        Shape::Num => (
            &["", "", "not:", "swap:", "someValue:", "everyValue:"],
            &CMP,
        ),
        Shape::Str | Shape::RefStr => (
            &["", "", "not:", "swap:", "someValue:"],
            &[
                "equal",
                "notEqual",
                "in",
                "notIn",
                "lessThan",
                "greaterThanInclusive",
            ],
        ),
        Shape::Bool => (&["", "not:"], &["equal", "notEqual", "in", "notIn"]),
        Shape::Obj | Shape::Any => (CHAINS, OPS),
    };
    (*rng.pick(chains), *rng.pick(ops))
}

/// A leaf condition that json-rules-engine evaluates without throwing.
fn leaf(rng: &mut Rng) -> J {
    let (mut fact, mut shape) = *rng.pick(&FACTS);
    let (chain, op) = operator(rng, shape);
    let in_family = op == "in" || op == "notIn";
    let over_values = chain.contains("Value:");
    let swapped = chain.contains("swap:");
    // Under `swap`, the fact is the right-hand side of `in`: it must be a present array/string.
    if in_family && swapped {
        (fact, shape) = *rng.pick(&[("refList", Shape::RefList), ("refStr", Shape::RefStr)]);
    }
    let value = if over_values {
        if in_family {
            arr((0..rng.below(4))
                .map(|_| {
                    if rng.chance(0.6) {
                        string(rng)
                    } else {
                        array(rng, 0)
                    }
                })
                .collect())
        } else if rng.chance(0.8) {
            arr((0..rng.below(5)).map(|_| literal(rng, op)).collect())
        } else {
            fact_ref(rng, "refList", false)
        }
    } else if in_family && !swapped {
        match rng.below(10) {
            0..=4 => arr((0..rng.below(5)).map(|_| scalar(rng)).collect()),
            5..=7 => string(rng),
            _ => {
                let name = *rng.pick(&["refList", "refStr"]);
                fact_ref(rng, name, false)
            }
        }
    } else if rng.chance(0.15) {
        let name = rng.pick(&FACTS).0;
        fact_ref(rng, name, true)
    } else if shape == Shape::Bool && rng.chance(0.6) {
        J::Bool(rng.chance(0.5))
    } else {
        literal(rng, op)
    };
    let mut fields = vec![
        ("fact", s(fact)),
        ("operator", s(format!("{chain}{op}"))),
        ("value", value),
    ];
    let path_odds = if shape == Shape::Obj { 0.85 } else { 0.2 };
    if !(in_family && swapped) && rng.chance(path_odds) {
        fields.push(("path", s(rng.pick(PATHS))));
    }
    if rng.chance(0.05) {
        fields.push(("params", obj(vec![])));
    }
    if rng.chance(0.08) {
        fields.push(("priority", int(rng.range(1, 3))));
    }
    obj(fields)
}

fn condition(rng: &mut Rng, depth: u32, root: bool) -> J {
    if !root && (depth == 0 || rng.chance(0.55)) {
        return leaf(rng);
    }
    let depth = depth.saturating_sub(1);
    let mut node = match rng.below(10) {
        0..=7 => {
            let len = if rng.chance(0.07) {
                0
            } else {
                rng.range(1, 3) as usize
            };
            let items = (0..len).map(|_| condition(rng, depth, false)).collect();
            let op = if rng.chance(0.5) { "all" } else { "any" };
            obj(vec![(op, arr(items))])
        }
        _ => obj(vec![("not", condition(rng, depth, false))]),
    };
    if !root
        && rng.chance(0.1)
        && let J::Obj(fields) = &mut node
    {
        fields.push(("priority".to_string(), int(rng.range(1, 3))));
    }
    node
}

/// The `conditions` of a random check: a root all/any/not, 1–4 levels deep.
pub fn conditions(rng: &mut Rng) -> J {
    let depth = rng.range(1, 4) as u32;
    condition(rng, depth, true)
}

/// The `conditions` of a one-leaf check, whose verdict is the leaf's (or its negation).
pub fn one_leaf(rng: &mut Rng) -> J {
    let root = *rng.pick(&["all", "any", "not"]);
    let leaf = leaf(rng);
    obj(vec![(
        root,
        if root == "not" { leaf } else { arr(vec![leaf]) },
    )])
}
