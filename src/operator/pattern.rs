//! `glob`/`not_glob` (parsed by globset, compiled once into one regex set per condition) and
//! `matches`/`not_matches` (regex, compiled once).

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use marked_yaml::Node;
use memchr::memmem::Finder;
use regex::{Regex, RegexSet, RegexSetBuilder};

use super::{OperatorName, literal};
use crate::compile::{CompileError, Compiler, Compiles, Failures, MAX_GLOBS_PER_CONDITION};

use super::sequence::Sequence;

/// Glob patterns; a value matches when any pattern matches all of it.
#[derive(Debug, Clone)]
pub(crate) struct Globs {
    set: GlobMatcher,
    pub(super) negated: bool,
    patterns: Vec<String>,
}

/// How globs are matched. globset matches bytes: where patterns have only literals, `*` and
/// `{a,b}`, bytes and characters agree (a literal found in UTF-8 text starts and ends on
/// character boundaries), and globset's strategies (literal, prefix, suffix) are the cheapest
/// to build and run. `?` and classes need characters, hence a Unicode regex.
#[derive(Debug, Clone)]
enum GlobMatcher {
    /// Every pattern is literal text and `*`s (`i-0prod*`, `*-prod`, `ecs:*-prod_*`): a
    /// comparison or two per pattern, and a substring search per literal between stars.
    Affixes(Vec<Affix>),
    Bytes(GlobSet),
    Chars(RegexSet),
}

#[derive(Debug, Clone)]
enum Affix {
    Any,
    Exact(String),
    Prefix(String),
    Suffix(String),
    /// `first*middle*...*last`, at least two pieces: the text starts with `first`, ends with
    /// `last`, and holds the middle pieces in order between them.
    Stars {
        first: String,
        middle: Vec<Finder<'static>>,
        last: String,
    },
}

/// How many patterns of literal text and stars a condition's globs may expand to (through
/// their `{a,b}` alternatives) and still be matched as such; past it, globset matches them.
const MAX_EXPANDED: usize = 64;

/// The globs as patterns of literal text and stars, `{a,b}` alternatives expanded, where all
/// of them are such patterns.
fn affixes_of(patterns: &[String]) -> Option<Vec<Affix>> {
    let mut expanded = Vec::new();
    for pattern in patterns {
        expand(pattern, String::new(), &mut expanded)?;
    }
    expanded.iter().map(|pattern| Affix::of(pattern)).collect()
}

/// Appends `head` followed by each way of reading `rest`'s alternatives to `out`; `None` where
/// the groups nest, are not closed, or make more than [`MAX_EXPANDED`] patterns.
fn expand(rest: &str, head: String, out: &mut Vec<String>) -> Option<()> {
    let Some((before, group)) = rest.split_once('{') else {
        if out.len() == MAX_EXPANDED {
            return None;
        }
        out.push(head + rest);
        return Some(());
    };
    let (alternatives, after) = group.split_once('}')?;
    if alternatives.contains('{') || before.contains('}') {
        return None;
    }
    // globset drops empty alternatives (`x{a,}` is `xa`), and a group of none is empty text.
    let mut kept: Vec<&str> = alternatives.split(',').filter(|a| !a.is_empty()).collect();
    if kept.is_empty() {
        kept.push("");
    }
    for alternative in kept {
        expand(after, format!("{head}{before}{alternative}"), out)?;
    }
    Some(())
}

impl Affix {
    /// The affix a pattern is, if it is one. Not where stars are doubled: globset reads `**`
    /// next to a `/` as any number of path components, so `a/**/b` matches `a/b`.
    fn of(pattern: &str) -> Option<Affix> {
        if pattern.contains(['?', '[', ']', '{', '}', '\\']) || pattern.contains("**") {
            return None;
        }
        let pieces: Vec<&str> = pattern.split('*').collect();
        Some(match pieces.as_slice() {
            [exact] => Affix::Exact((*exact).to_owned()),
            ["", ""] => Affix::Any,
            [prefix, ""] => Affix::Prefix((*prefix).to_owned()),
            ["", suffix] => Affix::Suffix((*suffix).to_owned()),
            [first, middle @ .., last] => Affix::Stars {
                first: (*first).to_owned(),
                // No middle piece is empty: that would take a doubled star.
                middle: middle
                    .iter()
                    .map(|piece| Finder::new(piece).into_owned())
                    .collect(),
                last: (*last).to_owned(),
            },
            [] => return None,
        })
    }

    fn matches(&self, text: &str) -> bool {
        let text = text.as_bytes();
        match self {
            Affix::Any => true,
            Affix::Exact(exact) => literal::same(text, exact.as_bytes()),
            Affix::Prefix(prefix) => literal::starts_with(text, prefix.as_bytes()),
            Affix::Suffix(suffix) => literal::ends_with(text, suffix.as_bytes()),
            Affix::Stars {
                first,
                middle,
                last,
            } => {
                // The first and last pieces may not overlap; between them, each middle piece
                // is taken where it first occurs, which leaves the most room for the rest.
                let Some(mut between) = text
                    .get(first.len()..)
                    .and_then(|rest| rest.get(..rest.len().checked_sub(last.len())?))
                else {
                    return false;
                };
                if !literal::starts_with(text, first.as_bytes())
                    || !literal::ends_with(text, last.as_bytes())
                {
                    return false;
                }
                middle.iter().all(|piece| match piece.find(between) {
                    Some(at) => {
                        between = between.get(at + piece.needle().len()..).unwrap_or_default();
                        true
                    }
                    None => false,
                })
            }
        }
    }
}

impl Globs {
    pub(super) fn compile(cx: &mut Compiler<'_>, op: OperatorName, arg: &Node) -> Compiles<Self> {
        let nodes: Vec<&Node> = match arg {
            Node::Sequence(list) => list.iter().collect(),
            _ => vec![arg],
        };
        if nodes.is_empty() {
            return Err(cx.error_at(
                arg,
                CompileError::Empty {
                    what: "the list of globs",
                },
            ));
        }
        if nodes.len() > MAX_GLOBS_PER_CONDITION {
            return Err(cx.error_at(
                arg,
                CompileError::TooManyGlobs {
                    operator: op,
                    count: nodes.len(),
                    limit: MAX_GLOBS_PER_CONDITION,
                },
            ));
        }
        let mut regexes = Vec::new();
        let mut globs = GlobSetBuilder::new();
        let mut patterns = Vec::new();
        let mut failures = Failures::default();
        for node in nodes {
            let Some(pattern) = failures.note(cx.string(node, &format!("a pattern of `{op}`")))
            else {
                continue;
            };
            // `*` crosses `/` (targets and ARNs are not paths); `{a,b}` and `[a-z]` as usual.
            match GlobBuilder::new(pattern)
                .literal_separator(false)
                .backslash_escape(true)
                .build()
            {
                Ok(glob) => {
                    regexes.push(unicode_regex(glob.regex()));
                    globs.add(glob);
                    patterns.push(pattern.to_owned());
                }
                Err(error) => failures.add(cx.error_at(
                    node,
                    CompileError::InvalidGlob {
                        pattern: pattern.to_owned(),
                        error: error.kind().to_string(),
                    },
                )),
            }
        }
        let affixes = affixes_of(&patterns);
        let by_bytes = patterns.iter().all(|p| !p.contains(['?', '[']));
        let built = if let Some(affixes) = affixes {
            Ok(GlobMatcher::Affixes(affixes))
        } else if by_bytes {
            globs
                .build()
                .map(GlobMatcher::Bytes)
                .map_err(|e| e.to_string())
        } else {
            RegexSetBuilder::new(&regexes)
                .dot_matches_new_line(true)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map(GlobMatcher::Chars)
                .map_err(|e| e.to_string())
        };
        let set = match built {
            Ok(set) => set,
            Err(error) => {
                return Err(cx.error_at(
                    arg,
                    CompileError::InvalidGlob {
                        pattern: patterns.join(", "),
                        error,
                    },
                ));
            }
        };
        failures.finish(|| Self {
            set,
            negated: op.is_negated(),
            patterns,
        })
    }

    pub(super) fn is_match(&self, text: &str) -> bool {
        match &self.set {
            GlobMatcher::Affixes(affixes) => affixes.iter().any(|a| a.matches(text)),
            GlobMatcher::Bytes(set) => set.is_match(text),
            GlobMatcher::Chars(set) => set.is_match(text),
        }
    }

    /// The patterns as written.
    pub(crate) fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether it is `not_glob`.
    pub(crate) fn is_negated(&self) -> bool {
        self.negated
    }

    /// Each pattern as the regex that matches what it matches, by characters, anchored at both
    /// ends, `*` crossing line breaks: the language the `Chars` matcher accepts, which the
    /// other matchers agree with.
    pub(crate) fn regexes(&self) -> Vec<String> {
        self.patterns
            .iter()
            .filter_map(|pattern| {
                let glob = GlobBuilder::new(pattern)
                    .literal_separator(false)
                    .backslash_escape(true)
                    .build()
                    .ok()?;
                Some(format!("(?s){}", unicode_regex(glob.regex())))
            })
            .collect()
    }

    pub(super) fn expected(&self) -> String {
        let quoted: Vec<String> = self.patterns.iter().map(|p| format!("{p:?}")).collect();
        let list = match quoted.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        if self.negated {
            format!("not glob {list}")
        } else {
            format!("glob {list}")
        }
    }
}

/// globset's regex for a glob, made to match `str` by characters instead of bytes: globset
/// writes it for bytes (`(?-u)`, where `?` is one byte and non-ASCII literals are `\xNN`
/// escapes), but the language's `?` and classes are one character each.
fn unicode_regex(bytes_regex: &str) -> String {
    let body = bytes_regex.strip_prefix("(?-u)").unwrap_or(bytes_regex);
    let mut out = String::with_capacity(body.len());
    let mut raw = Vec::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush_bytes(&mut raw, &mut out);
            out.push(c);
            continue;
        }
        let Some(next) = chars.next() else {
            out.push(c);
            break;
        };
        let hex: String = if next == 'x' {
            chars.clone().take(2).collect()
        } else {
            String::new()
        };
        match u8::from_str_radix(&hex, 16) {
            Ok(byte) if hex.len() == 2 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                chars.nth(1);
                raw.push(byte);
            }
            _ => {
                flush_bytes(&mut raw, &mut out);
                out.push(c);
                out.push(next);
            }
        }
    }
    flush_bytes(&mut raw, &mut out);
    out
}

/// Writes escaped bytes gathered by [`unicode_regex`] as the characters they encode.
fn flush_bytes(raw: &mut Vec<u8>, out: &mut String) {
    if !raw.is_empty() {
        out.push_str(&regex::escape(&String::from_utf8_lossy(raw)));
        raw.clear();
    }
}

/// A regular expression found anywhere in the value (anchor it for a whole match).
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    matcher: Matcher,
    source: String,
    pub(super) negated: bool,
}

/// How a pattern is matched: the regex crate in general, or, for sequences of literals and
/// class runs (`^arn:aws:sts::[0-9]{12}:...`, and the shape the API reference writes its
/// constraints in, `^[class]{m,n}$`), one pass over the text (see [`Sequence`]). The API
/// reference's shape also compiles to a large automaton (hundreds of repeated states) although
/// it is a length check; recognising it keeps compiling the `aws-api` pack well under a
/// millisecond.
#[derive(Debug, Clone)]
enum Matcher {
    Regex(Regex),
    Sequence(Sequence),
}

/// Bounds the compiled size of one regex, so a policy cannot make the engine allocate without limit.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

impl Pattern {
    pub(super) fn compile(cx: &mut Compiler<'_>, op: OperatorName, arg: &Node) -> Compiles<Self> {
        let source = cx.string(arg, &format!("the argument of `{op}`"))?;
        let negated = op.is_negated();
        if let Some(sequence) = Sequence::of(source) {
            return Ok(Self {
                matcher: Matcher::Sequence(sequence),
                source: source.to_owned(),
                negated,
            });
        }
        match regex::RegexBuilder::new(source)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(regex) => Ok(Self {
                matcher: Matcher::Regex(regex),
                source: source.to_owned(),
                negated,
            }),
            Err(error) => {
                let error = match error {
                    regex::Error::Syntax(text) => text
                        .lines()
                        .last()
                        .unwrap_or("")
                        .trim_start_matches("error: ")
                        .to_owned(),
                    other => other.to_string(),
                };
                Err(cx.error_at(
                    arg,
                    CompileError::InvalidRegex {
                        pattern: source.to_owned(),
                        error,
                    },
                ))
            }
        }
    }

    pub(super) fn is_match(&self, text: &str) -> bool {
        match &self.matcher {
            Matcher::Regex(regex) => regex.is_match(text),
            Matcher::Sequence(sequence) => sequence.is_match(text),
        }
    }

    /// The regex as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Whether it is `not_matches`.
    pub(crate) fn is_negated(&self) -> bool {
        self.negated
    }

    pub(super) fn expected(&self) -> String {
        let verb = if self.negated {
            "not matching"
        } else {
            "matching"
        };
        format!("{verb} /{}/", self.source)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// Literal text and stars, over small alphabets so that pieces recur, overlap and
        /// cross multi-byte characters.
        #[test]
        fn star_globs_match_as_globset_does(
            pattern in "[a*]{0,6}|[ab*é-]{0,8}|[a/*]{0,8}",
            text in "a{0,4}|[abé-]{0,12}|[a/]{0,6}",
        ) {
            let Some(affix) = Affix::of(&pattern) else {
                prop_assert!(pattern.contains("**"), "{}", pattern);
                return Ok(());
            };
            let glob = GlobBuilder::new(&pattern)
                .literal_separator(false)
                .build()
                .unwrap()
                .compile_matcher();
            prop_assert_eq!(affix.matches(&text), glob.is_match(&text), "{} on {:?}", pattern, text);
        }

        /// `{a,b}` alternatives, holding stars or nothing, expanded into several patterns.
        #[test]
        fn expanded_alternatives_match_as_globset_does(
            pattern in "[a/*]{0,2}(\\{[ab/*]{0,2}(,[ab*é]{0,2}){0,2}\\}[a/*]{0,2}){0,2}",
            text in "a{0,4}|[abé]{0,8}|[a/]{0,6}",
        ) {
            let Ok(glob) = GlobBuilder::new(&pattern).literal_separator(false).build() else {
                return Ok(());
            };
            let Some(affixes) = affixes_of(std::slice::from_ref(&pattern)) else {
                return Ok(());
            };
            let matched = affixes.iter().any(|affix| affix.matches(&text));
            prop_assert_eq!(matched, glob.compile_matcher().is_match(&text), "{} on {:?}", pattern, text);
        }
    }

    #[test]
    fn affix_globs_match_as_globset_does() {
        let texts = [
            "",
            "i-0prod1",
            "i-0prod",
            "i-0dev",
            "x-prod",
            "prod",
            "ecs:a",
            "ECS:a",
            "i-0prod/x",
        ];
        for pattern in [
            "*",
            "i-0prod*",
            "*-prod",
            "ecs:*",
            "exact",
            "i-0prod",
            "i-*-prod",
            "*a*",
            "i-0*d*",
            "*prod*prod*",
            "ecs:*-prod_*",
        ] {
            let affix = Affix::of(pattern).expect("an affix");
            let glob = GlobBuilder::new(pattern)
                .literal_separator(false)
                .build()
                .unwrap()
                .compile_matcher();
            for text in texts {
                assert_eq!(
                    affix.matches(text),
                    glob.is_match(text),
                    "{pattern} on {text:?}"
                );
            }
        }
        for pattern in [
            "a?", "[ab]*", "{a,b}*", "a\\*", "a}", "a/**/b", "**/b", "**",
        ] {
            assert!(Affix::of(pattern).is_none(), "{pattern}");
        }
    }
}
