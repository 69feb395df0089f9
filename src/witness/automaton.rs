//! Strings by walking automata: each string condition (`matches`, `glob`, `equals`/`in` on
//! text, `present`) is a regular language, compiled to a regex-automata DFA, the engine the
//! regex crate itself runs; their product, with a UTF-8 decoder and a count of characters, is
//! searched breadth-first by characters, so the first string found is a shortest one and an
//! exhausted search proves that no string exists.
//!
//! A DFA built with Unicode word boundaries (`\b`) gives up on non-ASCII bytes (a "quit"
//! state); a path that reaches one is cut, and a search with a cut path can only say "unknown".

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use regex_syntax::hir::{Capture, Hir, HirKind, Look, Repetition};

use super::Meter;

/// The most a DFA may take, built or while building: the policies' own regexes are limited to
/// 1 MiB compiled by the regex crate, and their DFAs are far smaller; one that is not is left
/// out of a search (which can then only say "unknown" where it finds nothing).
const DFA_LIMIT: usize = 8 << 20;

/// A marker for a component whose outcome is settled for every continuation.
const SETTLED: u32 = u32::MAX;

/// A regular language: the strings in which a regex finds a match.
#[derive(Debug)]
pub(crate) struct Lang {
    dfa: dense::DFA<Vec<u32>>,
    start: StateID,
    /// For a regex with Unicode word boundaries (whose DFA gives up on non-ASCII bytes), the
    /// languages of the regex with each boundary always met and never met: a superset and a
    /// subset of it, which automata decide for every byte.
    bounds: Option<[Arc<Lang>; 2]>,
}

impl Lang {
    /// Compiles a regex as the regex crate reads it (Unicode, `.` without `\n` unless `(?s)`).
    pub(crate) fn compile(pattern: &str) -> Result<Self, String> {
        let mut lang = Self::build(pattern)?;
        let hir = regex_syntax::Parser::new()
            .parse(pattern)
            .map_err(|e| e.to_string())?;
        if has_unicode_word_look(&hir) {
            let superset = Self::build(&without_word_looks(&hir, true).to_string())?;
            let subset = Self::build(&without_word_looks(&hir, false).to_string())?;
            lang.bounds = Some([Arc::new(superset), Arc::new(subset)]);
        }
        Ok(lang)
    }

    fn build(pattern: &str) -> Result<Self, String> {
        let config = dense::Config::new()
            .match_kind(MatchKind::LeftmostFirst)
            .start_kind(StartKind::Unanchored)
            .unicode_word_boundary(true)
            .dfa_size_limit(Some(DFA_LIMIT))
            .determinize_size_limit(Some(DFA_LIMIT));
        let dfa = dense::Builder::new()
            .configure(config)
            .build(pattern)
            .map_err(|e| e.to_string())?;
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::No))
            .map_err(|e| e.to_string())?;
        Ok(Self {
            dfa,
            start,
            bounds: None,
        })
    }

    /// Whether the language is bounded by others that its automaton's quits do not limit.
    pub(crate) fn has_bounds(&self) -> bool {
        self.bounds.is_some()
    }

    /// Whether the regex finds a match in `text`, judged by this automaton (for tests).
    #[cfg(test)]
    pub(crate) fn finds(&self, text: &str) -> Option<bool> {
        let mut state = self.start;
        for &byte in text.as_bytes() {
            state = self.dfa.next_state(state, byte);
            if self.dfa.is_quit_state(state) {
                return None;
            }
            if self.dfa.is_match_state(state) {
                return Some(true);
            }
        }
        Some(self.dfa.is_match_state(self.dfa.next_eoi_state(state)))
    }
}

fn is_unicode_word_look(look: Look) -> bool {
    matches!(
        look,
        Look::WordUnicode
            | Look::WordUnicodeNegate
            | Look::WordStartUnicode
            | Look::WordEndUnicode
            | Look::WordStartHalfUnicode
            | Look::WordEndHalfUnicode
    )
}

fn has_unicode_word_look(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Look(look) => is_unicode_word_look(*look),
        HirKind::Repetition(repetition) => has_unicode_word_look(&repetition.sub),
        HirKind::Capture(capture) => has_unicode_word_look(&capture.sub),
        HirKind::Concat(list) | HirKind::Alternation(list) => {
            list.iter().any(has_unicode_word_look)
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) => false,
    }
}

/// The regex with each Unicode word boundary replaced by one that always holds (`met`), or
/// one that never does.
fn without_word_looks(hir: &Hir, met: bool) -> Hir {
    match hir.kind() {
        HirKind::Look(look) if is_unicode_word_look(*look) => {
            if met {
                Hir::empty()
            } else {
                Hir::fail()
            }
        }
        HirKind::Repetition(repetition) => Hir::repetition(Repetition {
            sub: Box::new(without_word_looks(&repetition.sub, met)),
            ..repetition.clone()
        }),
        HirKind::Capture(capture) => Hir::capture(Capture {
            sub: Box::new(without_word_looks(&capture.sub, met)),
            ..capture.clone()
        }),
        HirKind::Concat(list) => {
            Hir::concat(list.iter().map(|h| without_word_looks(h, met)).collect())
        }
        HirKind::Alternation(list) => {
            Hir::alternation(list.iter().map(|h| without_word_looks(h, met)).collect())
        }
        _ => hir.clone(),
    }
}

/// A language a string must be in (`positive`) or out of.
#[derive(Debug, Clone)]
pub(crate) struct Constraint {
    pub lang: Arc<Lang>,
    pub positive: bool,
}

/// How a component fares after a byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Live,
    /// No continuation can be accepted.
    Dead,
    /// The automaton cannot judge this byte (a quit byte): the path is left unexplored.
    Cut,
}

/// The states of a set of constraints read side by side, one `u32` each.
#[derive(Debug, Clone, Default)]
pub(crate) struct Product {
    pub constraints: Vec<Constraint>,
}

impl Product {
    /// The product with each language that has bounds replaced by the bound that admits more
    /// strings (its superset where the string must be in it, its subset where it must not):
    /// what it accepts includes what this one accepts, and no byte makes it give up. `None`
    /// when no language has bounds.
    pub(crate) fn loosened(&self) -> Option<Product> {
        if !self.constraints.iter().any(|c| c.lang.has_bounds()) {
            return None;
        }
        let constraints = self
            .constraints
            .iter()
            .map(|c| {
                let bound = c.lang.bounds.as_ref().map(|[superset, subset]| {
                    if c.positive {
                        superset.clone()
                    } else {
                        subset.clone()
                    }
                });
                Constraint {
                    lang: bound.unwrap_or_else(|| c.lang.clone()),
                    positive: c.positive,
                }
            })
            .collect();
        Some(Product { constraints })
    }

    pub(crate) fn start(&self, out: &mut Vec<u32>) {
        out.extend(self.constraints.iter().map(|c| c.lang.start.as_u32()));
    }

    /// Steps every component on a byte, writing the new states; `Dead` as soon as one rules
    /// out every continuation.
    pub(crate) fn step(&self, state: &[u32], byte: u8, out: &mut Vec<u32>) -> Step {
        for (constraint, &current) in self.constraints.iter().zip(state) {
            if current == SETTLED {
                out.push(SETTLED);
                continue;
            }
            let Some(id) = state_id(current) else {
                return Step::Cut;
            };
            let dfa = &constraint.lang.dfa;
            let next = dfa.next_state(id, byte);
            if dfa.is_quit_state(next) {
                return Step::Cut;
            }
            // A match anywhere settles a positive constraint and kills a negative one; a dead
            // state (no match can follow) does the reverse.
            let matched = dfa.is_match_state(next);
            let dead = !matched && dfa.is_dead_state(next);
            match (matched, dead, constraint.positive) {
                (true, _, true) | (false, true, false) => out.push(SETTLED),
                (true, _, false) | (false, true, true) => return Step::Dead,
                _ => out.push(next.as_u32()),
            }
        }
        Step::Live
    }

    /// Whether the text read so far, ending here, meets every constraint.
    pub(crate) fn accepts(&self, state: &[u32]) -> bool {
        self.constraints
            .iter()
            .zip(state)
            .all(|(constraint, &current)| {
                if current == SETTLED {
                    return true;
                }
                let Some(id) = state_id(current) else {
                    return false;
                };
                let dfa = &constraint.lang.dfa;
                dfa.is_match_state(dfa.next_eoi_state(id)) == constraint.positive
            })
    }

    /// Each component's class of `byte`: bytes with equal signatures step alike.
    pub(crate) fn signature(&self, byte: u8, out: &mut Vec<u32>) {
        out.extend(
            self.constraints
                .iter()
                .map(|c| u32::from(c.lang.dfa.byte_classes().get(byte))),
        );
    }
}

fn state_id(value: u32) -> Option<StateID> {
    StateID::new(usize::try_from(value).ok()?).ok()
}

/// What a search is over: a state machine on bytes.
pub(crate) trait Machine {
    fn start(&self, out: &mut Vec<u32>);
    fn step(&self, state: &[u32], byte: u8, out: &mut Vec<u32>) -> Step;
    fn accepts(&self, state: &[u32]) -> bool;
    fn signature(&self, byte: u8, out: &mut Vec<u32>);
}

impl Machine for Product {
    fn start(&self, out: &mut Vec<u32>) {
        Product::start(self, out);
    }
    fn step(&self, state: &[u32], byte: u8, out: &mut Vec<u32>) -> Step {
        Product::step(self, state, byte, out)
    }
    fn accepts(&self, state: &[u32]) -> bool {
        Product::accepts(self, state)
    }
    fn signature(&self, byte: u8, out: &mut Vec<u32>) {
        Product::signature(self, byte, out);
    }
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    Text(String),
    /// No string is accepted: proved, since nothing was cut.
    None,
    /// The budget ran out, or a path was cut.
    Unknown,
}

/// The UTF-8 decoder's step: the next state (0 between characters) and whether the byte
/// starts a character; `None` for a byte that cannot come next.
fn utf8_step(state: u32, byte: u8) -> Option<(u32, bool)> {
    let continuation = |range: std::ops::RangeInclusive<u8>, next: u32| {
        range.contains(&byte).then_some((next, false))
    };
    match state {
        0 => match byte {
            0x00..=0x7f => Some((0, true)),
            0xc2..=0xdf => Some((1, true)),
            0xe0 => Some((4, true)),
            0xe1..=0xec | 0xee..=0xef => Some((2, true)),
            0xed => Some((5, true)),
            0xf0 => Some((6, true)),
            0xf1..=0xf3 => Some((3, true)),
            0xf4 => Some((7, true)),
            _ => None,
        },
        1 => continuation(0x80..=0xbf, 0),
        2 => continuation(0x80..=0xbf, 1),
        3 => continuation(0x80..=0xbf, 2),
        4 => continuation(0xa0..=0xbf, 1),
        5 => continuation(0x80..=0x9f, 1),
        6 => continuation(0x90..=0xbf, 2),
        7 => continuation(0x80..=0x8f, 2),
        _ => None,
    }
}

/// The decoder's class of a byte, so that representatives of a class decode alike.
fn utf8_class(byte: u8) -> u32 {
    match byte {
        0x00..=0x7f => 0,
        0x80..=0x8f => 1,
        0x90..=0x9f => 2,
        0xa0..=0xbf => 3,
        0xc0..=0xc1 | 0xf5..=0xff => 4,
        0xc2..=0xdf => 5,
        0xe0 => 6,
        0xe1..=0xec | 0xee..=0xef => 7,
        0xed => 8,
        0xf0 => 9,
        0xf1..=0xf3 => 10,
        0xf4 => 11,
    }
}

/// How much a byte is preferred in a witness: letters, digits and the punctuation of ids
/// first, then other printable ASCII, then control characters, then the rest of Unicode.
fn rank(byte: u8) -> u32 {
    let byte32 = u32::from(byte);
    match byte {
        b'a'..=b'z' => byte32 - u32::from(b'a'),
        b'0'..=b'9' => 100 + byte32,
        b'A'..=b'Z' => 200 + byte32,
        b'-' | b'_' | b'.' | b'/' | b':' | b'@' => 300 + byte32,
        b' ' => 400,
        0x21..=0x7e => 500 + byte32,
        b'\n' | b'\t' => 600 + byte32,
        0x00..=0x7f => 700 + byte32,
        // Latin-1 supplement and the like before rarer planes.
        0xc3 => 800,
        _ => 900 + byte32,
    }
}

/// One byte for each class of bytes that step alike, preferred ones first.
fn representatives(machine: &impl Machine) -> Vec<u8> {
    let mut by_signature: HashMap<Vec<u32>, u8> = HashMap::new();
    let mut signature = Vec::new();
    for byte in 0..=u8::MAX {
        signature.clear();
        signature.push(utf8_class(byte));
        machine.signature(byte, &mut signature);
        by_signature
            .entry(signature.clone())
            .and_modify(|chosen| {
                if rank(byte) < rank(*chosen) {
                    *chosen = byte;
                }
            })
            .or_insert(byte);
    }
    let mut bytes: Vec<u8> = by_signature.into_values().collect();
    bytes.sort_by_key(|b| rank(*b));
    bytes
}

/// A node of the search: the decoder's state, the count of characters (capped at the
/// minimum wanted), and the machine's state.
struct Node {
    parent: usize,
    byte: u8,
    chars: usize,
}

/// Finds a shortest string (in characters) whose length is within `min..=max` and that the
/// machine accepts, or proves that there is none.
pub(crate) fn search(
    machine: &impl Machine,
    min: usize,
    max: Option<usize>,
    meter: &mut Meter,
) -> Found {
    if max.is_some_and(|max| max < min) {
        return Found::None;
    }
    let bytes = representatives(machine);
    let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut done: Vec<bool> = Vec::new();
    let mut queue: VecDeque<usize> = VecDeque::new();
    let mut key = vec![0, 0];
    machine.start(&mut key);
    index.insert(key.clone(), 0);
    nodes.push(Node {
        parent: usize::MAX,
        byte: 0,
        chars: 0,
    });
    done.push(false);
    queue.push_back(0);
    let mut keys: Vec<Vec<u32>> = vec![key];
    let mut cut = false;
    let mut next = Vec::new();
    while let Some(at) = queue.pop_front() {
        if done.get(at).copied().unwrap_or(true) {
            continue;
        }
        if let Some(flag) = done.get_mut(at) {
            *flag = true;
        }
        if !meter.tick(1) {
            return Found::Unknown;
        }
        let (Some(node), Some(key)) = (nodes.get(at), keys.get(at)) else {
            return Found::Unknown;
        };
        let chars = node.chars;
        if max.is_some_and(|max| chars > max) {
            break;
        }
        let (utf8, state) = (
            key.first().copied().unwrap_or(0),
            key.get(2..).unwrap_or(&[]),
        );
        if utf8 == 0 && chars >= min && machine.accepts(state) {
            return rebuild(&nodes, at);
        }
        let state = state.to_vec();
        for &byte in &bytes {
            let Some((decoder, starts)) = utf8_step(utf8, byte) else {
                continue;
            };
            let count = chars + usize::from(starts);
            if max.is_some_and(|max| count > max) {
                continue;
            }
            next.clear();
            next.push(decoder);
            next.push(u32::try_from(count.min(min)).unwrap_or(u32::MAX));
            match machine.step(&state, byte, &mut next) {
                Step::Live => {}
                Step::Dead => continue,
                Step::Cut => {
                    cut = true;
                    continue;
                }
            }
            match index.get(&next) {
                Some(&seen) => {
                    // Reached again: keep the path with fewer characters.
                    if let Some(old) = nodes.get_mut(seen)
                        && count < old.chars
                        && !done.get(seen).copied().unwrap_or(true)
                    {
                        *old = Node {
                            parent: at,
                            byte,
                            chars: count,
                        };
                        push(&mut queue, seen, starts);
                    }
                }
                None => {
                    let id = nodes.len();
                    index.insert(next.clone(), id);
                    keys.push(next.clone());
                    nodes.push(Node {
                        parent: at,
                        byte,
                        chars: count,
                    });
                    done.push(false);
                    push(&mut queue, id, starts);
                }
            }
        }
    }
    if cut { Found::Unknown } else { Found::None }
}

/// A step within a character costs nothing and goes first; a new character costs one.
fn push(queue: &mut VecDeque<usize>, id: usize, starts: bool) {
    if starts {
        queue.push_back(id);
    } else {
        queue.push_front(id);
    }
}

fn rebuild(nodes: &[Node], mut at: usize) -> Found {
    let mut bytes = Vec::new();
    while let Some(node) = nodes.get(at) {
        if node.parent == usize::MAX {
            break;
        }
        bytes.push(node.byte);
        at = node.parent;
    }
    bytes.reverse();
    match String::from_utf8(bytes) {
        Ok(text) => Found::Text(text),
        Err(_) => Found::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(parts: &[(&str, bool)]) -> Product {
        Product {
            constraints: parts
                .iter()
                .map(|(pattern, positive)| Constraint {
                    lang: Arc::new(Lang::compile(pattern).unwrap()),
                    positive: *positive,
                })
                .collect(),
        }
    }

    fn find(parts: &[(&str, bool)], min: usize, max: Option<usize>) -> Found {
        search(&product(parts), min, max, &mut Meter::unlimited())
    }

    #[test]
    fn automata_judge_as_the_regex_crate_does() {
        for (pattern, texts) in [
            ("^i-0", &["i-0abc", "xi-0", "i-"][..]),
            (
                r"\b(CHG|INC)-[0-9]{3}\b",
                &["see CHG-123", "CHG-1234", "xCHG-123", "é CHG-123"][..],
            ),
            ("^.{1,3}$", &["", "a", "abc", "abcd", "a\nb"][..]),
            ("(?s)^ab.*$", &["ab", "ab\ncd", "b"][..]),
        ] {
            let lang = Lang::compile(pattern).unwrap();
            let regex = regex::Regex::new(pattern).unwrap();
            for text in texts {
                if let Some(found) = lang.finds(text) {
                    assert_eq!(found, regex.is_match(text), "{pattern} on {text:?}");
                }
            }
        }
    }

    #[test]
    fn the_shortest_string_in_every_language_is_found() {
        assert_eq!(
            find(&[("^i-", true), ("^i-0", false)], 0, None),
            Found::Text("i-".to_owned())
        );
        assert_eq!(
            find(&[(r"\b(CHG|INC)-[0-9]{3}\b", true)], 0, None),
            Found::Text("CHG-000".to_owned())
        );
        // `.` does not match a line feed.
        assert_eq!(
            find(&[("^.{1,3}$", false)], 1, None),
            Found::Text("\n".to_owned())
        );
        assert_eq!(
            find(&[("(?s)^.{1,3}$", false)], 1, None),
            Found::Text("aaaa".to_owned())
        );
    }

    #[test]
    fn an_empty_intersection_is_proved_empty() {
        assert_eq!(find(&[("^a", true), ("^b", true)], 0, None), Found::None);
        assert_eq!(find(&[("^a.*$", true)], 0, Some(0)), Found::None);
        assert_eq!(find(&[("(?s)^.*$", false)], 0, None), Found::None);
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        // One character, two bytes, is the only string of length 1 that is not ASCII.
        assert_eq!(
            find(&[("^[ -~]*$", false)], 0, Some(1)),
            Found::Text("\t".to_owned())
        );
        assert_eq!(
            find(&[("^[\\x00-\\x7f]*$", false)], 0, Some(1)),
            Found::Text("À".to_owned())
        );
    }

    #[test]
    fn word_boundaries_are_bounded_by_automata_that_never_give_up() {
        // Seven characters at least: no string of four has a ticket, boundaries or not.
        let product = product(&[(r"\b(CHG|INC)-[0-9]{3}\b", true)]);
        let loose = product.loosened().unwrap();
        assert_eq!(
            search(&loose, 0, Some(4), &mut Meter::unlimited()),
            Found::None
        );
        assert!(product_has_bounds(&product));
    }

    fn product_has_bounds(product: &Product) -> bool {
        product.constraints.iter().all(|c| c.lang.has_bounds())
    }

    #[test]
    fn word_boundaries_cut_non_ascii_paths() {
        // `\b` makes the DFA quit on non-ASCII bytes: only ASCII is explored, so an empty
        // result is not a proof (a no-break space would do: no word character, no boundary).
        assert_eq!(
            find(&[(r"\b", false), ("^[\\x00-\\x7f]*$", false)], 0, None),
            Found::Unknown
        );
    }
}
