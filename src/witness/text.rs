//! String fields: the languages their literals ask for, and a value for one field (or for
//! `OutputUrl` and its members) that meets its literals: the seed's, a value the policies
//! mention, or one found by walking the automata; else a proof that there is none.

use serde_json::{Value as Json, json};

use super::automaton::{self, Constraint, Found, Product};
use super::literal::{Atom, Literal};
use super::solve::{Solution, session_of};
use super::{Context, Meter};
use crate::model::{Field, JsonType, Session, Timestamp};
use crate::operator::Operator;

/// The part of a conjunction that a string value decides, as automata and a length.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextSpec {
    pub product: Product,
    pub min: usize,
    pub max: Option<usize>,
    /// False when a literal that no string meets is among them (`type: number`).
    pub possible: bool,
    /// A literal had to be left out (its automaton could not be built, or it judges numbers):
    /// an empty search then proves nothing.
    pub relaxed: bool,
}

impl TextSpec {
    /// The spec of the literals on one field, for a value that is a JSON string. Literals
    /// that read the text as a number (`lte` on `MaxSessionDuration`, `in: [60]`) are left
    /// out, and the spec says so.
    pub(crate) fn of(literals: &[&Literal<'_>], cx: &mut Context) -> Self {
        let mut spec = Self {
            possible: true,
            ..Self::default()
        };
        for literal in literals {
            let Atom::Check { operator, .. } = literal.atom else {
                spec.relaxed = true;
                continue;
            };
            let want = literal.want;
            match operator {
                Operator::Exists(expected) => spec.possible &= *expected == want,
                Operator::Type(expected) => {
                    spec.possible &= (*expected == JsonType::String) == want
                }
                Operator::Present(expected) => spec.add(cx, r"\S", *expected == want),
                // Numbers of minutes: the texts that read as them most plainly (`030`, `30.0`),
                // a part of what the operator accepts; the spec then proves nothing empty.
                Operator::Membership(set) if want && !set.is_negated() => {
                    let mut alternatives: Vec<String> =
                        set.texts().iter().map(|t| regex::escape(t)).collect();
                    alternatives.extend(set.numbers().iter().filter_map(|n| number_regex(*n)));
                    spec.add(cx, &format!("^(?:{})$", alternatives.join("|")), true);
                    spec.relaxed |= !set.numbers().is_empty();
                }
                Operator::Membership(set) if set.numbers().is_empty() => {
                    let texts = set.texts();
                    let alternatives: Vec<String> =
                        texts.iter().map(|t| regex::escape(t)).collect();
                    let pattern = format!("^(?:{})$", alternatives.join("|"));
                    spec.add(cx, &pattern, want != set.is_negated());
                }
                Operator::Glob(globs) => {
                    let regexes: Vec<String> =
                        globs.regexes().iter().map(|r| format!("(?:{r})")).collect();
                    if regexes.len() == globs.patterns().len() {
                        spec.add(cx, &regexes.join("|"), want != globs.is_negated());
                    } else {
                        spec.relaxed = true;
                    }
                }
                Operator::Pattern(pattern) => {
                    spec.add(cx, pattern.source(), want != pattern.is_negated());
                }
                Operator::Length { bound, max } => {
                    let (bound, max, want) = (*bound, *max, want);
                    match (max, want) {
                        (true, true) => spec.max = Some(spec.max.map_or(bound, |m| m.min(bound))),
                        (false, true) => spec.min = spec.min.max(bound),
                        (true, false) => spec.min = spec.min.max(bound.saturating_add(1)),
                        (false, false) => match bound.checked_sub(1) {
                            Some(below) => {
                                spec.max = Some(spec.max.map_or(below, |m| m.min(below)));
                            }
                            None => spec.possible = false,
                        },
                    }
                }
                Operator::Membership(_)
                | Operator::Compare(_)
                | Operator::Time(_)
                | Operator::During(_)
                | Operator::SameAs(_) => spec.relaxed = true,
            }
        }
        if spec.max.is_some_and(|max| max < spec.min) {
            spec.possible = false;
        }
        spec
    }

    fn add(&mut self, cx: &mut Context, pattern: &str, positive: bool) {
        match cx.lang(pattern) {
            Some(lang) => self.product.constraints.push(Constraint { lang, positive }),
            None => self.relaxed = true,
        }
    }

    /// A string the spec accepts (preferring a non-empty one), or why there is none.
    pub(crate) fn search(&self, meter: &mut Meter) -> Found {
        if !self.possible {
            return Found::None;
        }
        // Only a length: no need to walk one state per character.
        if self.product.constraints.is_empty() && !self.relaxed {
            return Found::Text("a".repeat(self.min.max(usize::from(self.max != Some(0)))));
        }
        match self.shortest(&self.product, meter) {
            Found::None if self.relaxed => Found::Unknown,
            // Some automaton gave up on a byte: where its bounds admit no string either, there
            // is none; a string they admit is only a candidate, judged by the caller.
            Found::Unknown if !meter.exhausted() => match self.product.loosened() {
                Some(loose) => match self.shortest(&loose, meter) {
                    Found::None if !self.relaxed => Found::None,
                    Found::Text(text) => Found::Text(text),
                    _ => Found::Unknown,
                },
                None => Found::Unknown,
            },
            found => found,
        }
    }

    /// A shortest string of the product within the lengths, preferring a non-empty one.
    fn shortest(&self, product: &Product, meter: &mut Meter) -> Found {
        if self.min == 0 && self.max != Some(0) {
            match automaton::search(product, 1, self.max, meter) {
                Found::None => {}
                Found::Text(text) => return Found::Text(text),
                // The empty string may still do.
                Found::Unknown => {
                    return match automaton::search(product, 0, Some(0), meter) {
                        Found::Text(text) => Found::Text(text),
                        _ => Found::Unknown,
                    };
                }
            }
        }
        automaton::search(product, self.min, self.max, meter)
    }
}

/// A regex of texts that read as the number of minutes `n`: its digits after any zeros, with
/// any zeros after a point.
fn number_regex(n: f64) -> Option<String> {
    if !n.is_finite() {
        return None;
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let magnitude = super::time::minutes_text(n.abs());
    let (whole, fraction) = magnitude.split_once('.').unwrap_or((&magnitude, ""));
    let whole = whole.trim_start_matches('0');
    let (zeros, whole) = if whole.is_empty() {
        ("", "0+")
    } else {
        ("0*", whole)
    };
    Some(if fraction.is_empty() {
        format!(r"{sign}{zeros}{whole}(?:\.0+)?")
    } else {
        format!(r"{sign}{zeros}{whole}\.{fraction}0*")
    })
}

/// The JSON values that stand for every value of a field that is not a string: each reads
/// alike for every operator but `type` (and, for `present`, a blank string differs).
pub(crate) fn other_values(literals: &[&Literal<'_>]) -> Vec<Option<Json>> {
    let typed = literals
        .iter()
        .any(|l| matches!(l.operator(), Some(Operator::Type(_))));
    let mut values = vec![None, Some(json!(1))];
    if typed {
        values.extend([Some(json!(true)), Some(json!([])), Some(json!({}))]);
    }
    values
}

/// Values like the seed's that differ from it: where the seed's value is ruled out, a value
/// of the same shape reads more like a record than the shortest string an automaton gives.
fn variants(seed: Option<&Json>) -> Vec<String> {
    match seed.and_then(Json::as_str) {
        Some(text) if !text.is_empty() => vec![format!("{text}-2"), format!("Custom-{text}")],
        _ => Vec::new(),
    }
}

/// Whether every literal holds with the given values of fields, the rest absent.
pub(crate) fn holds(
    values: &[(Field, Option<&Json>)],
    literals: &[&Literal<'_>],
    now: Timestamp,
) -> bool {
    let session: Session<'static> = session_of(values);
    literals.iter().all(|l| l.holds(&session, now))
}

/// A value of a string field (`None`: absent) that meets its literals.
pub(crate) fn solve_field(
    field: Field,
    literals: &[&Literal<'_>],
    seed: Option<&Json>,
    hints: &[String],
    cx: &mut Context,
) -> Solution<Option<Json>> {
    let now = cx.now;
    let fits = |value: Option<&Json>| holds(&[(field, value)], literals, now);
    if fits(seed) {
        return Solution::Sat(seed.cloned());
    }
    for hint in hints.iter().cloned().chain(variants(seed)) {
        let value = Json::String(hint);
        if fits(Some(&value)) {
            return Solution::Sat(Some(value));
        }
    }
    let mut unknown = false;
    // A string first when the seed has one: witnesses look like the records they stand for.
    let others = other_values(literals);
    let string_first = seed.is_none_or(Json::is_string);
    if !string_first && let Some(value) = others.iter().find(|v| fits(v.as_ref())) {
        return Solution::Sat(value.clone());
    }
    let spec = TextSpec::of(literals, cx);
    match spec.search(&mut cx.meter) {
        Found::Text(text) => {
            let value = Json::String(text);
            if fits(Some(&value)) {
                return Solution::Sat(Some(value));
            }
            unknown = true;
        }
        Found::Unknown => unknown = true,
        Found::None => {}
    }
    if let Some(value) = others.iter().find(|v| fits(v.as_ref())) {
        return Solution::Sat(value.clone());
    }
    if unknown {
        Solution::Unknown
    } else {
        Solution::Unsat
    }
}

/// `OutputUrl` and its members: an object whose members meet their literals, or a value that
/// is not an object (its members then absent), or none.
pub(crate) fn solve_output(
    literals: &[&Literal<'_>],
    seed: Option<&Json>,
    hints: &super::seed::Hints,
    cx: &mut Context,
) -> Solution<Option<Json>> {
    let now = cx.now;
    let fits = |value: Option<&Json>| holds(&[(Field::OutputUrl, value)], literals, now);
    if fits(seed) {
        return Solution::Sat(seed.cloned());
    }
    let own: Vec<&Literal<'_>> = literals
        .iter()
        .copied()
        .filter(|l| l.field() == Field::OutputUrl)
        .collect();
    let mut unknown = false;
    // An object, with each member solved on its own.
    if holds(&[(Field::OutputUrl, Some(&json!({})))], &own, now) {
        let mut members = serde_json::Map::new();
        let mut solved = true;
        for member in [Field::S3OutputUrl, Field::CloudWatchOutputUrl] {
            let name = member.name().trim_start_matches("OutputUrl.");
            let mine: Vec<&Literal<'_>> = literals
                .iter()
                .copied()
                .filter(|l| l.field() == member)
                .collect();
            let seeded = seed.and_then(|s| s.get(name));
            match solve_field(member, &mine, seeded, hints.of(member), cx) {
                Solution::Sat(Some(value)) => {
                    members.insert(name.to_owned(), value);
                }
                Solution::Sat(None) => {}
                Solution::Unsat => solved = false,
                Solution::Unknown => {
                    unknown = true;
                    solved = false;
                }
            }
        }
        let value = Json::Object(members);
        if solved && fits(Some(&value)) {
            return Solution::Sat(Some(value));
        }
        unknown |= solved;
    }
    for value in [
        None,
        Some(json!("")),
        Some(json!(1)),
        Some(json!(true)),
        Some(json!([])),
    ] {
        if fits(value.as_ref()) {
            return Solution::Sat(value);
        }
    }
    if unknown {
        Solution::Unknown
    } else {
        Solution::Unsat
    }
}
