//! Regexes that are a sequence of literals and character-class runs, with alternation, matched
//! in one pass without an automaton: the shapes policies write ARNs, IDs and names in.
//!
//! `^arn:aws:sts::[0-9]{12}:assumed-role/(AWSReservedSSO_[A-Za-z0-9_]+|CiRunner)/` is a literal,
//! twelve digits, a literal, then one of two branches. A DFA walks such a pattern a byte at a
//! time through dependent table lookups; comparing the literals and counting the runs is several
//! times faster. Only patterns where that is exact are taken: anchored at the start, no
//! look-arounds but a final `$`, repetitions only of single classes, and every run of variable
//! length followed by something that cannot start with a character of its class, so that the
//! longest run is the only one that can match. Everything else stays with the regex crate.

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look};
use wide::u8x16;

use super::literal;

/// How many ways alternations may combine (the product of their branch counts): the matcher
/// tries branches one after another, so this bounds its work per character.
const MAX_COMBINATIONS: usize = 64;

/// How many literals, runs and choices a pattern may have: checking a longer one for the
/// shape this module needs would cost more than the regex crate's compile, and policies' patterns
/// are far shorter.
const MAX_ITEMS: usize = 256;

/// A pattern this module matches.
#[derive(Debug, Clone)]
pub(super) struct Sequence {
    items: Vec<Item>,
    /// Whether the pattern ends with `$`, so the match must reach the end of the text.
    to_end: bool,
}

#[derive(Debug, Clone)]
enum Item {
    Literal(String),
    Run {
        class: CharClass,
        min: u32,
        max: Option<u32>,
    },
    /// One of several branches, each a sequence of its own.
    Either(Vec<Vec<Item>>),
}

/// A character class with its ASCII members in a table, the common case in one lookup, and
/// where they are a few ranges, as ranges compared sixteen bytes at a time.
#[derive(Debug, Clone)]
struct CharClass {
    /// By byte: whether it is an ASCII member. Bytes from 0x80 up are part of longer
    /// characters, looked up in `class`; a table of all 256 needs no bounds check (a table of
    /// bits took more instructions a byte).
    ascii: Box<[bool; 256]>,
    ranges: Option<AsciiRanges>,
    class: ClassUnicode,
}

/// The ASCII members of a class as at most [`AsciiRanges::MAX`] ranges of bytes, each bound
/// repeated across a vector: a run of `[A-Za-z0-9_]` in an ARN is found sixteen bytes at a
/// step instead of a lookup a byte.
#[derive(Debug, Clone)]
struct AsciiRanges {
    lows: [u8x16; AsciiRanges::MAX],
    highs: [u8x16; AsciiRanges::MAX],
}

impl AsciiRanges {
    const MAX: usize = 4;

    fn of(class: &ClassUnicode) -> Option<Self> {
        let ranges: Vec<(u8, u8)> = class
            .ranges()
            .iter()
            .filter_map(|range| {
                let low = u8::try_from(u32::from(range.start()))
                    .ok()
                    .filter(u8::is_ascii)?;
                let high = u8::try_from(u32::from(range.end())).map_or(0x7f, |high| high.min(0x7f));
                Some((low, high))
            })
            .collect();
        let &first = ranges.first()?;
        if ranges.len() > Self::MAX {
            return None;
        }
        // The slots left over repeat the first range: a byte in it twice is in it once.
        let range = |slot: usize| ranges.get(slot).copied().unwrap_or(first);
        Some(Self {
            lows: std::array::from_fn(|slot| u8x16::splat(range(slot).0)),
            highs: std::array::from_fn(|slot| u8x16::splat(range(slot).1)),
        })
    }

    /// A bit for each of sixteen bytes that is in none of the ranges.
    fn misses(&self, chunk: [u8; 16]) -> u32 {
        let chunk = u8x16::new(chunk);
        let hits = self
            .lows
            .iter()
            .zip(&self.highs)
            .fold(u8x16::splat(0), |hits, (low, high)| {
                // A byte is in a range where clamping it to the range leaves it as it is.
                hits | chunk.max(*low).min(*high).cmp_eq(chunk)
            });
        !hits.move_mask().cast_unsigned() & 0xffff
    }
}

impl CharClass {
    fn new(class: ClassUnicode) -> Self {
        let ascii = Box::new(std::array::from_fn(|byte| {
            u8::try_from(byte)
                .is_ok_and(|byte| byte.is_ascii() && class_contains(&class, char::from(byte)))
        }));
        let ranges = AsciiRanges::of(&class);
        Self {
            ascii,
            ranges,
            class,
        }
    }

    /// How many of the first `limit` bytes of `bytes` are ASCII members, counted from the start.
    fn ascii_run(&self, bytes: &[u8], limit: usize) -> usize {
        let mut at = 0;
        if let Some(ranges) = &self.ranges {
            // Sixteen bytes at a step while sixteen are there, which may reach past `limit`:
            // the count is held to it.
            while at < limit {
                let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) else {
                    break;
                };
                let misses = ranges.misses(*chunk);
                if misses != 0 {
                    return (at + misses.trailing_zeros() as usize).min(limit);
                }
                at += 16;
            }
            if at >= limit {
                return limit;
            }
        }
        let window = bytes.get(at..limit).unwrap_or_default();
        at + window
            .iter()
            .position(|byte| !self.has_byte(*byte))
            .unwrap_or(window.len())
    }

    /// Whether `byte` is an ASCII member.
    fn has_byte(&self, byte: u8) -> bool {
        self.ascii.get(usize::from(byte)) == Some(&true)
    }

    fn contains(&self, c: char) -> bool {
        match usize::try_from(u32::from(c)) {
            Ok(code @ 0..128) => u8::try_from(code).is_ok_and(|byte| self.has_byte(byte)),
            _ => class_contains(&self.class, c),
        }
    }

    /// The longest run of the class, up to `max` characters, that `text` starts with.
    fn run_length(&self, text: &str, max: u32) -> RunEnd {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        // ASCII a byte at a time (a byte below 128 is a whole character), the rest a character
        // at a time.
        let bytes = text.as_bytes();
        let ascii = self.ascii_run(bytes, max.min(bytes.len()));
        let mut end = RunEnd {
            count: ascii,
            bytes: ascii,
        };
        if let Some(rest) = text.get(ascii..)
            && rest.as_bytes().first().is_some_and(|byte| !byte.is_ascii())
        {
            for c in rest.chars().take(max.saturating_sub(ascii)) {
                if !self.contains(c) {
                    break;
                }
                end.count += 1;
                end.bytes += c.len_utf8();
            }
        }
        end
    }
}

/// How far a run of a class reaches: its characters and their bytes.
struct RunEnd {
    count: usize,
    bytes: usize,
}

fn class_contains(class: &ClassUnicode, c: char) -> bool {
    let ranges = class.ranges();
    // Ranges are sorted and disjoint: binary search for the one that could hold `c`.
    let index = ranges.partition_point(|range| range.end() < c);
    ranges.get(index).is_some_and(|range| range.start() <= c)
}

impl Sequence {
    /// The pattern as a sequence, if it has a shape this module matches exactly.
    pub(super) fn of(source: &str) -> Option<Self> {
        let hir = regex_syntax::Parser::new().parse(source).ok()?;
        let parts = match hir.kind() {
            HirKind::Concat(parts) => parts.as_slice(),
            _ => std::slice::from_ref(&hir),
        };
        let (first, mut rest) = parts.split_first()?;
        if first.kind() != &HirKind::Look(Look::Start) {
            return None;
        }
        let mut to_end = false;
        if let Some((last, before)) = rest.split_last()
            && last.kind() == &HirKind::Look(Look::End)
        {
            to_end = true;
            rest = before;
        }
        let mut items = Vec::new();
        for part in rest {
            append(part, &mut items)?;
        }
        let combinations = combinations(&items)?;
        let end = Follow {
            first: ClassUnicode::empty(),
        };
        (combinations <= MAX_COMBINATIONS
            && size(&items) <= MAX_ITEMS
            && deterministic(&items, &end))
        .then_some(Self { items, to_end })
    }

    pub(super) fn is_match(&self, text: &str) -> bool {
        matches(&self.items, text, &|rest: &str| {
            !self.to_end || rest.is_empty()
        })
    }
}

/// Appends the items a part of the pattern is made of; `None` for any other shape.
fn append(hir: &Hir, items: &mut Vec<Item>) -> Option<()> {
    match hir.kind() {
        HirKind::Empty => {}
        HirKind::Literal(literal) => {
            items.push(Item::Literal(String::from_utf8(literal.0.to_vec()).ok()?));
        }
        HirKind::Class(_) => items.push(Item::Run {
            class: CharClass::new(single_class(hir)?),
            min: 1,
            max: Some(1),
        }),
        HirKind::Repetition(repetition) => items.push(Item::Run {
            // Greedy or lazy makes no difference to whether there is a match.
            class: CharClass::new(single_class(&repetition.sub)?),
            min: repetition.min,
            max: repetition.max,
        }),
        HirKind::Capture(capture) => append(&capture.sub, items)?,
        HirKind::Concat(parts) => {
            for part in parts {
                append(part, items)?;
            }
        }
        HirKind::Alternation(branches) => {
            let mut sequences = Vec::with_capacity(branches.len());
            for branch in branches {
                let mut sequence = Vec::new();
                append(branch, &mut sequence)?;
                sequences.push(sequence);
            }
            items.push(Item::Either(sequences));
        }
        HirKind::Look(_) => return None,
    }
    Some(())
}

/// The class a repeated part matches one character of: a class, or a single character.
fn single_class(hir: &Hir) -> Option<ClassUnicode> {
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => Some(class.clone()),
        HirKind::Literal(literal) => {
            let mut chars = std::str::from_utf8(&literal.0).ok()?.chars();
            let c = chars.next()?;
            chars
                .next()
                .is_none()
                .then(|| ClassUnicode::new([ClassUnicodeRange::new(c, c)]))
        }
        _ => None,
    }
}

/// How many ways the alternations of `items` combine, `None` past any reasonable count.
fn combinations(items: &[Item]) -> Option<usize> {
    items.iter().try_fold(1usize, |product, item| match item {
        Item::Either(branches) => {
            let ways = branches
                .iter()
                .try_fold(0usize, |sum, branch| sum.checked_add(combinations(branch)?))?;
            product.checked_mul(ways)
        }
        _ => Some(product),
    })
}

/// The characters what follows a point in the pattern can start with. (Where it can be empty,
/// the characters of what comes after it are included; the end of the pattern adds none.)
#[derive(Clone)]
struct Follow {
    first: ClassUnicode,
}

/// The characters a sequence followed by `then` can start with.
fn follow_of(items: &[Item], then: &Follow) -> Follow {
    items.iter().rev().fold(then.clone(), |after, item| {
        let mut first = match item {
            Item::Literal(text) => match text.chars().next() {
                Some(c) => return single(c),
                None => return after,
            },
            Item::Run { class, min, .. } => {
                if *min > 0 {
                    return Follow {
                        first: class.class.clone(),
                    };
                }
                class.class.clone()
            }
            Item::Either(branches) => {
                let mut first = ClassUnicode::empty();
                for branch in branches {
                    first.union(&follow_of(branch, &after).first);
                }
                return Follow { first };
            }
        };
        first.union(&after.first);
        Follow { first }
    })
}

fn single(c: char) -> Follow {
    Follow {
        first: ClassUnicode::new([ClassUnicodeRange::new(c, c)]),
    }
}

/// Whether every run of variable length in `items` (followed by `then`) is followed by
/// something that cannot start with a character of its class: then the longest run is the
/// only one that can lead to a match, and matching needs no backtracking within runs.
fn deterministic(items: &[Item], then: &Follow) -> bool {
    // One pass from the end, carrying what follows each item.
    let mut after = then.clone();
    for item in items.iter().rev() {
        let holds = match item {
            Item::Literal(_) => true,
            Item::Run { max, min, .. } if *max == Some(*min) => true,
            Item::Run { class, .. } => {
                let mut overlap = class.class.clone();
                overlap.intersect(&after.first);
                overlap.ranges().is_empty()
            }
            Item::Either(branches) => branches.iter().all(|branch| deterministic(branch, &after)),
        };
        if !holds {
            return false;
        }
        after = follow_of(std::slice::from_ref(item), &after);
    }
    true
}

/// How many items a sequence holds, its branches' included.
fn size(items: &[Item]) -> usize {
    items
        .iter()
        .map(|item| match item {
            Item::Either(branches) => 1 + branches.iter().map(|b| size(b)).sum::<usize>(),
            _ => 1,
        })
        .sum()
}

/// Whether `items` match a prefix of `text` after which `then` accepts the rest.
fn matches(items: &[Item], text: &str, then: &dyn Fn(&str) -> bool) -> bool {
    let Some((item, rest)) = items.split_first() else {
        return then(text);
    };
    match item {
        Item::Literal(word) => {
            literal::starts_with(text.as_bytes(), word.as_bytes())
                && text
                    .get(word.len()..)
                    .is_some_and(|text| matches(rest, text, then))
        }
        Item::Run { class, min, max } => {
            let end = class.run_length(text, max.unwrap_or(u32::MAX));
            end.count >= usize::try_from(*min).unwrap_or(usize::MAX)
                && text
                    .get(end.bytes..)
                    .is_some_and(|text| matches(rest, text, then))
        }
        Item::Either(branches) => branches
            .iter()
            .any(|branch| matches(branch, text, &|text: &str| matches(rest, text, then))),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use regex::Regex;

    use super::*;

    const OWNER: &str =
        r"^arn:aws:sts::[0-9]{12}:assumed-role/(AWSReservedSSO_[A-Za-z0-9_]+|CiRunner)/";

    fn agree(pattern: &str, text: &str) {
        let sequence = Sequence::of(pattern).expect("a sequence");
        let regex = Regex::new(pattern).unwrap();
        assert_eq!(
            sequence.is_match(text),
            regex.is_match(text),
            "{pattern} on {text:?}"
        );
    }

    #[test]
    fn owner_arns_match_as_the_regex_does() {
        for text in [
            "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Eng_8d2e/kofi@example.org",
            "arn:aws:sts::210987654321:assumed-role/CiRunner/build-17",
            "arn:aws:sts::210987654321:assumed-role/CiRunnerX/build-17",
            "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_/x",
            "arn:aws:sts::21098765432:assumed-role/CiRunner/x",
            "arn:aws:sts::2109876543210:assumed-role/CiRunner/x",
            "arn:aws:iam::210987654321:user/sam.oduya",
            "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_Eng-8d2e/kofi",
            "",
        ] {
            agree(OWNER, text);
        }
        for text in ["abcd", "abbcd", "abcdd", "acd", "ab"] {
            agree("^(a|ab)(c|bcd)(d*)$", text);
        }
        for text in [] {
            agree(OWNER, text);
        }
    }

    #[test]
    fn runs_end_where_the_regex_ends_them_at_every_length_and_stop() {
        let patterns = [
            "^[A-Za-z0-9_]+/",
            "^[0-9]{12}:",
            "^[a-z]{3,20}$",
            "^[a-zA-Z0-9_\\-.]{3,128}$",
            "^[^/]+/",
        ];
        for pattern in patterns {
            for length in 0..50 {
                let run: String = (0..length).map(|i| ['a', '7', 'Z', '_'][i % 4]).collect();
                for stop in ["", "/", ":", "é", "-", "~"] {
                    for tail in ["", "/rest of the text, long enough to read ahead"] {
                        agree(pattern, &format!("{run}{stop}{tail}"));
                    }
                }
            }
        }
    }

    #[test]
    fn api_reference_length_patterns_are_sequences() {
        for pattern in [
            "^.{1,256}$",
            "^[a-zA-Z0-9_\\-.]{3,128}$",
            "^[a-z]+$",
            "^x*$",
            "^[^\\s]{2}$",
            "^a{2,}$",
        ] {
            for text in [
                "",
                "a",
                "ab\ncd",
                "é",
                &"x".repeat(257),
                "SSM-Doc_1.2",
                "a b",
                "\r",
            ] {
                agree(pattern, text);
            }
        }
    }

    #[test]
    fn shapes_where_the_longest_run_could_be_wrong_stay_with_the_regex() {
        for pattern in [
            "^[a-z]+[a-c]",
            "^[a-z]*(x|[0-9])",
            "^(a|b)+$",
            "[a-z]{1,3}",
            "(?m)^.{1,2}$",
            "^a\\b",
            "^((ab|c)(de|f)(gh|i)(jk|l)(mn|o)(pq|r)(st|u))",
        ] {
            assert!(Sequence::of(pattern).is_none(), "{pattern}");
        }
    }

    #[test]
    fn long_patterns_stay_with_the_regex() {
        let long = format!("^{}", "a?b?".repeat(2_000));
        assert!(Sequence::of(&long).is_none());
        let short = format!("^{}$", "[a-z]{2}-".repeat(20));
        assert!(Sequence::of(&short).is_some());
    }

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec!["a", "b", "ab", "-", "é", ":", "/"]).prop_map(str::to_owned),
            (
                prop::sample::select(vec!["[a-c]", "[0-9]", "[^a]", ".", "\\w", "x", "é"]),
                prop::sample::select(vec!["", "+", "*", "?", "{2}", "{1,3}", "{2,}"])
            )
                .prop_map(|(class, repeat)| format!("{class}{repeat}")),
            prop::sample::select(vec!["(a|bc)", "(b[0-9]+|c)", "(|x)", "(é|a*)"])
                .prop_map(str::to_owned),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

        /// Whenever a pattern is taken as a sequence, it matches exactly what the regex does.
        #[test]
        fn sequences_match_exactly_what_the_regex_matches(
            pieces in prop::collection::vec(piece(), 0..5),
            to_end in any::<bool>(),
            texts in prop::collection::vec("[abcx0-9é:/\\-\n]{0,8}|[abcx0-9é:/]{12,40}", 8),
        ) {
            let pattern = format!("^{}{}", pieces.concat(), if to_end { "$" } else { "" });
            if let Some(sequence) = Sequence::of(&pattern) {
                let regex = Regex::new(&pattern).unwrap();
                for text in &texts {
                    prop_assert_eq!(sequence.is_match(text), regex.is_match(text), "{} on {:?}", pattern, text);
                }
            }
        }
    }
}
