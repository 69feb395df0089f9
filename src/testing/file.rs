//! Reading a test file (`*.test.yaml`): its YAML parsed once, by the loader that reads policies,
//! into the typed tests that `ssm-guard test` runs and `ssm-guard explain` lists, each part with
//! the position its diagnostics point at.

use std::fmt::Display;

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoaderOptions, Node};

use super::Expected;
use super::TestFileError;
use super::yaml::{self, Scalar};
use crate::diagnostic::{Diagnostic, Level, Location};
use crate::policy::Decision;

/// What reading gives: the value, or the first problem (boxed, as it is large and rare).
pub type Read<T> = Result<T, Box<Diagnostic>>;

/// A value of a test file and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub at: Option<Location>,
}

/// A test file as written.
#[derive(Debug, Clone)]
pub struct TestFile {
    pub tests: Vec<TestDoc>,
}

/// One test as written, not yet checked against the policies it tests.
#[derive(Debug, Clone)]
pub struct TestDoc {
    pub name: Located<String>,
    pub session: Located<SessionDoc>,
    /// `tags`: the tags the session is judged with, as the JSON they stand for.
    pub tags: Option<Located<Result<serde_json::Value, String>>>,
    pub now: Option<Located<String>>,
    pub decision: Option<Decision>,
    pub violations: Option<Vec<Located<Expected>>>,
    pub waived: Option<Vec<Located<Expected>>>,
}

impl TestDoc {
    /// Whether the test expects the rule `id` (`policy/rule`) among its violations or waivers.
    pub fn expects(&self, id: &str, waived: bool) -> bool {
        let list = if waived {
            &self.waived
        } else {
            &self.violations
        };
        list.iter().flatten().any(|e| e.value.rule == id)
    }
}

/// A test's session as written.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionDoc {
    /// `file: NAME`: a record file beside the test file.
    File(String),
    /// An inline record, as the JSON it stands for, or why it cannot be JSON.
    Inline(Result<serde_json::Value, String>),
}

/// Reads the text of a test file; `source` is its index in the [`SourceMap`] that
/// diagnostics are rendered with. Stops at the first problem, as a diagnostic.
///
/// Anchors, aliases and tags are refused, as in policies; so is a second YAML document, which
/// the loader would pass over.
///
/// [`SourceMap`]: crate::SourceMap
pub fn read(source: usize, text: &str) -> Read<TestFile> {
    let reader = Reader { source };
    // Coercion is kept to plain scalars, so that a quoted "60" stays text.
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    let root = marked_yaml::parse_yaml_with_options(source, text, options)
        .map_err(|error| reader.yaml_error(error))?;
    if let Some(at) = crate::yaml::second_document(text, &root) {
        return Err(reader.error(
            Some(reader.point(at)),
            "a test file holds one YAML document; this starts another",
        ));
    }
    reader.file(&root)
}

/// A mapping's entries; an empty plain scalar (`expect:`) stands for an empty mapping.
struct Fields<'n> {
    map: Option<&'n MarkedMappingNode>,
    node: &'n Node,
    path: String,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.map?.get_node(key)
    }

    fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

struct Reader {
    source: usize,
}

impl Reader {
    fn file(&self, root: &Node) -> Read<TestFile> {
        let fields = self.mapping(root, String::new(), &["tests"])?;
        let tests = self.required(&fields, "tests")?;
        let tests = self
            .sequence(tests, "tests")?
            .iter()
            .enumerate()
            .map(|(index, test)| self.test(test, format!("tests[{index}]")))
            .collect::<Result<_, _>>()?;
        Ok(TestFile { tests })
    }

    fn test(&self, node: &Node, path: String) -> Read<TestDoc> {
        let fields = self.mapping(node, path, &["name", "session", "tags", "now", "expect"])?;
        let name = self.required(&fields, "name")?;
        let name = self.text(name, &fields.path("name"))?;
        let session = self.required(&fields, "session")?;
        let session = Located {
            value: session_doc(session),
            at: self.at(session),
        };
        let tags = fields.get("tags").map(|tags| Located {
            value: yaml::json(tags),
            at: self.at(tags),
        });
        let now = match fields.get("now") {
            Some(now) => self.optional_text(now, &fields.path("now"))?,
            None => None,
        };
        let expect = self.required(&fields, "expect")?;
        let expect = self.mapping(
            expect,
            fields.path("expect"),
            &["decision", "violations", "waived"],
        )?;
        let decision = match expect.get("decision") {
            Some(node) => match self.optional_text(node, &expect.path("decision"))? {
                Some(text) => Some(self.decision(node, &expect.path("decision"), &text.value)?),
                None => None,
            },
            None => None,
        };
        let violations = self.expected_list(&expect, "violations")?;
        let waived = self.expected_list(&expect, "waived")?;
        Ok(TestDoc {
            name,
            session,
            tags,
            now,
            decision,
            violations,
            waived,
        })
    }

    fn decision(&self, node: &Node, path: &str, text: &str) -> Read<Decision> {
        match text {
            "allow" => Ok(Decision::Allow),
            "warn" => Ok(Decision::Warn),
            "deny" => Ok(Decision::Deny),
            other => Err(self.error(
                self.at(node),
                format_args!(
                    "{path}: unknown decision `{other}`, expected `allow`, `warn` or `deny`"
                ),
            )),
        }
    }

    /// `violations:` or `waived:`: absent or null for no expectation, else a list whose
    /// entries are a `policy/rule` id or `{ rule, field, message_contains }`.
    fn expected_list(
        &self,
        expect: &Fields<'_>,
        key: &str,
    ) -> Read<Option<Vec<Located<Expected>>>> {
        let Some(node) = expect.get(key) else {
            return Ok(None);
        };
        if is_null(node) {
            return Ok(None);
        }
        let path = expect.path(key);
        let mut list = Vec::new();
        for (index, entry) in self.sequence(node, &path)?.iter().enumerate() {
            let path = format!("{path}[{index}]");
            let expected = match entry {
                Node::Mapping(_) => {
                    let fields =
                        self.mapping(entry, path, &["rule", "field", "message_contains"])?;
                    let rule = self.required(&fields, "rule")?;
                    let rule = self.string(rule, &fields.path("rule"))?;
                    let field = self.optional_string(&fields, "field")?;
                    let message_contains = self.optional_string(&fields, "message_contains")?;
                    Located {
                        value: Expected {
                            rule: rule.value,
                            field,
                            message_contains,
                        },
                        at: rule.at,
                    }
                }
                _ => {
                    let rule = self.string(entry, &path)?;
                    Located {
                        value: Expected {
                            rule: rule.value,
                            field: None,
                            message_contains: None,
                        },
                        at: rule.at,
                    }
                }
            };
            list.push(expected);
        }
        Ok(Some(list))
    }

    fn mapping<'n>(
        &self,
        node: &'n Node,
        path: String,
        keys: &'static [&'static str],
    ) -> Read<Fields<'n>> {
        let map = match node {
            Node::Mapping(map) => Some(map),
            Node::Scalar(scalar) if is_empty_plain(scalar) => None,
            _ => return Err(self.invalid_type(node, &path, "a mapping")),
        };
        for key in map.iter().flat_map(|m| m.keys()) {
            if !keys.contains(&key.as_str()) {
                let prefix = if path.is_empty() {
                    String::new()
                } else {
                    format!("{path}: ")
                };
                return Err(self.error(
                    self.scalar_at(key),
                    format_args!(
                        "{prefix}unknown field `{}`, expected {}",
                        key.as_str(),
                        one_of(keys)
                    ),
                ));
            }
        }
        Ok(Fields { map, node, path })
    }

    fn required<'n>(&self, fields: &Fields<'n>, key: &str) -> Read<&'n Node> {
        fields.get(key).ok_or_else(|| {
            let prefix = if fields.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", fields.path)
            };
            self.error(
                self.at(fields.node),
                format_args!("{prefix}missing field `{key}`"),
            )
        })
    }

    /// A sequence's items; an empty plain scalar stands for an empty sequence.
    fn sequence<'n>(&self, node: &'n Node, path: &str) -> Read<&'n [Node]> {
        match node {
            Node::Sequence(items) => Ok(items),
            Node::Scalar(scalar) if is_empty_plain(scalar) => Ok(&[]),
            _ => Err(self.invalid_type(node, path, "a sequence")),
        }
    }

    /// Any scalar, as written (`name: 60` is the name "60").
    fn text(&self, node: &Node, path: &str) -> Read<Located<String>> {
        match node {
            Node::Scalar(scalar) => Ok(Located {
                value: scalar.as_str().to_owned(),
                at: self.at(node),
            }),
            _ => Err(self.invalid_type(node, path, "a string")),
        }
    }

    /// Any scalar but null, as written; null (`~`, `null`, nothing) is absent.
    fn optional_text(&self, node: &Node, path: &str) -> Read<Option<Located<String>>> {
        if is_null(node) {
            return Ok(None);
        }
        self.text(node, path).map(Some)
    }

    /// A scalar that is text by the core schema (`rule: 60` is a number, not an id).
    fn string(&self, node: &Node, path: &str) -> Read<Located<String>> {
        match node {
            Node::Scalar(scalar) if matches!(yaml::scalar(scalar), Scalar::Text(_)) => {
                Ok(Located {
                    value: scalar.as_str().to_owned(),
                    at: self.at(node),
                })
            }
            _ => Err(self.invalid_type(node, path, "a string")),
        }
    }

    fn optional_string(&self, fields: &Fields<'_>, key: &str) -> Read<Option<String>> {
        match fields.get(key) {
            Some(node) if !is_null(node) => Ok(Some(self.string(node, &fields.path(key))?.value)),
            _ => Ok(None),
        }
    }

    fn invalid_type(&self, node: &Node, path: &str, expected: &str) -> Box<Diagnostic> {
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}: ")
        };
        self.error(
            self.at(node),
            format_args!(
                "{prefix}invalid type: {}, expected {expected}",
                unexpected(node)
            ),
        )
    }

    /// A problem of the file's form, pointed at by its first character, as problems of a
    /// test's content (an unknown rule, a bad `now`) are underlined in full.
    fn error(&self, location: Option<Location>, message: impl Display) -> Box<Diagnostic> {
        Box::new(Diagnostic {
            level: Level::Error,
            location: location.map(|at| Location { length: 1, ..at }),
            problem: TestFileError::Invalid {
                message: message.to_string(),
            }
            .into(),
        })
    }

    fn yaml_error(&self, error: marked_yaml::LoadError) -> Box<Diagnostic> {
        use marked_yaml::LoadError as Yaml;
        let (marker, message) = match error {
            Yaml::TopLevelMustBeMapping(m) => (Some(m), "the top level must be a mapping".into()),
            Yaml::UnexpectedAnchor(m) => {
                (Some(m), "YAML anchors and aliases are not supported".into())
            }
            Yaml::UnexpectedTag(m) => (Some(m), "YAML tags are not supported".into()),
            Yaml::MappingKeyMustBeScalar(m) => (Some(m), "mapping keys must be scalars".into()),
            Yaml::ScanError(m, scan) => (Some(m), scan.info().to_owned()),
            Yaml::DuplicateKey(inner) => (
                inner.key.span().start().copied(),
                format!("duplicate key `{}`", inner.key.as_str()),
            ),
            other => (None, other.to_string()),
        };
        self.error(marker.map(|m| self.point(m)), message)
    }

    fn at(&self, node: &Node) -> Option<Location> {
        // A block mapping's span starts at its first value, so its first key is where it starts.
        if let Some(first) = node.as_mapping().and_then(|m| m.keys().next()) {
            return self.scalar_at(first).map(|at| Location { length: 1, ..at });
        }
        let start = node.span().start()?;
        let length = node.as_scalar().map_or(1, |s| s.as_str().chars().count());
        Some(Location {
            length,
            ..self.point(*start)
        })
    }

    fn scalar_at(&self, scalar: &MarkedScalarNode) -> Option<Location> {
        let start = scalar.span().start()?;
        Some(Location {
            length: scalar.as_str().chars().count(),
            ..self.point(*start)
        })
    }

    fn point(&self, marker: marked_yaml::Marker) -> Location {
        Location {
            source: self.source,
            line: marker.line(),
            column: marker.column(),
            length: 1,
        }
    }
}

/// A test's session: `file: NAME` alone names a record file, anything else is the record.
fn session_doc(node: &Node) -> SessionDoc {
    if let Node::Mapping(map) = node
        && map.len() == 1
        && let Some((key, Node::Scalar(name))) = map.iter().next()
        && yaml::scalar(key) == Scalar::Text("file")
        && let Scalar::Text(name) = yaml::scalar(name)
    {
        return SessionDoc::File(name.to_owned());
    }
    SessionDoc::Inline(yaml::json(node))
}

fn is_empty_plain(scalar: &MarkedScalarNode) -> bool {
    scalar.may_coerce() && scalar.as_str().is_empty()
}

fn is_null(node: &Node) -> bool {
    node.as_scalar()
        .is_some_and(|s| yaml::scalar(s) == Scalar::Null)
}

/// What a node is, in the words serde uses for what it did not expect.
fn unexpected(node: &Node) -> String {
    let Node::Scalar(scalar) = node else {
        return if node.as_mapping().is_some() {
            "map"
        } else {
            "sequence"
        }
        .to_owned();
    };
    let text = scalar.as_str();
    match yaml::scalar(scalar) {
        Scalar::Null => "unit value".to_owned(),
        Scalar::Bool(b) => format!("boolean `{b}`"),
        Scalar::Int(_) | Scalar::TooLarge => format!("integer `{text}`"),
        Scalar::Float(_) => format!("floating point `{text}`"),
        Scalar::Text(_) => format!("string {text:?}"),
    }
}

/// `` `a` ``, `` `a` or `b` ``, or `` one of `a`, `b`, `c` ``.
fn one_of(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    match quoted.as_slice() {
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(text: &str) -> String {
        let problem = read(0, text).unwrap_err();
        let at = problem.location.map(|l| (l.line, l.column));
        format!("{} at {at:?}", problem.problem)
    }

    #[test]
    fn a_test_file_is_read_into_typed_tests_with_their_positions() {
        let text = "tests:\n  - name: one\n    session: { MaxSessionDuration: \"60\", Count: 60, \
            Reason: ~ }\n    now: 2026-03-13T21:30:00Z\n    expect:\n      decision: deny\n      \
            violations:\n        - p/a\n        - { rule: p/b, field: Target, message_contains: 60 min }\n      \
            waived: [p/c]\n  - name: 60\n    session: { file: record.json }\n    expect:\n";
        let file = read(3, text).unwrap();
        let [one, two] = file.tests.as_slice() else {
            panic!("{file:?}")
        };
        assert_eq!(one.name.value, "one");
        assert_eq!(
            one.name.at.map(|a| (a.source, a.line, a.column)),
            Some((3, 2, 11))
        );
        assert_eq!(
            one.session.value,
            SessionDoc::Inline(Ok(
                json!({"MaxSessionDuration": "60", "Count": 60, "Reason": null})
            ))
        );
        assert_eq!(one.now.as_ref().unwrap().value, "2026-03-13T21:30:00Z");
        assert_eq!(one.decision, Some(Decision::Deny));
        let violations = one.violations.as_ref().unwrap();
        assert_eq!(violations[0].value.rule, "p/a");
        assert_eq!(
            violations[0].at.map(|a| (a.line, a.column, a.length)),
            Some((8, 11, 3))
        );
        assert_eq!(
            violations[1].value,
            Expected {
                rule: "p/b".to_owned(),
                field: Some("Target".to_owned()),
                message_contains: Some("60 min".to_owned()),
            }
        );
        assert!(
            one.expects("p/b", false) && one.expects("p/c", true) && !one.expects("p/c", false)
        );
        assert_eq!(two.name.value, "60");
        assert_eq!(
            two.session.value,
            SessionDoc::File("record.json".to_owned())
        );
        assert!(two.decision.is_none() && two.violations.is_none() && two.waived.is_none());
    }

    #[test]
    fn problems_of_form_name_their_place_in_the_file() {
        assert_eq!(
            message("tests:\n  - name: x\n    session: {}\n"),
            "invalid test file: tests[0]: missing field `expect` at Some((2, 5))"
        );
        assert_eq!(
            message("tests:\n  - name: x\n    session: {}\n    expect: { violations: [60] }\n"),
            "invalid test file: tests[0].expect.violations[0]: invalid type: integer `60`, \
             expected a string at Some((4, 28))"
        );
        assert_eq!(
            message("tests: []\nextra: 1\n"),
            "invalid test file: unknown field `extra`, expected `tests` at Some((2, 1))"
        );
        assert_eq!(
            message("tests:\n  - name: x\n    session: {}\n    expect: { decision: maybe }\n"),
            "invalid test file: tests[0].expect.decision: unknown decision `maybe`, expected \
             `allow`, `warn` or `deny` at Some((4, 25))"
        );
    }

    #[test]
    fn a_second_document_anchors_and_duplicate_keys_are_refused() {
        assert!(message("tests: []\n---\ntests: []\n").contains("one YAML document"));
        assert!(message("tests: []\n---\n: : [\n").contains("at Some((2, 1))"));
        assert!(message("tests: &a []\n").contains("anchors"));
        assert!(message("tests: []\ntests: []\n").contains("duplicate key `tests`"));
        // Comments and an end marker after the document are not another one.
        assert!(read(0, "{tests: []}  # done\n... # end\n# more\n").is_ok());
        assert!(read(0, "tests:\n  # none yet\n").is_ok());
        assert!(read(0, "").is_err());
    }
}
