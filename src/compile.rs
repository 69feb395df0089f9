//! Loading is compiling: policy YAML becomes a [`CompiledPolicySet`], with every problem of
//! every file reported at once, located by file, line and column.

mod analysis;
mod condition;
mod error;

use std::collections::HashMap;

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, MarkedSequenceNode};
use marked_yaml::{LoaderOptions, Node, Span};

pub(crate) use analysis::api_values;
pub use error::LoadError;

use crate::diagnostic::{Diagnostic, Level, Location, closest};
use crate::message::Template;
use crate::model::{Field, Timestamp};
use crate::policy::{
    Action, Body, Case, CompiledPolicySet, Exception, Policy, Rule, RuleId, Severity,
};
use crate::source::SourceMap;

/// The keys each mapping of a policy file accepts (the editor schema lists the same).
pub(crate) const POLICY_KEYS: &[&str] =
    &["policy", "description", "defaults", "rules", "exceptions"];
pub(crate) const DEFAULTS_KEYS: &[&str] = &["severity", "action"];
pub(crate) const RULE_KEYS: &[&str] = &[
    "id",
    "description",
    "severity",
    "action",
    "when",
    "require",
    "cases",
    "message",
];
pub(crate) const CASE_KEYS: &[&str] = &["when", "require"];
pub(crate) const EXCEPTION_KEYS: &[&str] =
    &["id", "rules", "when", "expires", "reason", "approved_by"];

/// The largest policy file, in bytes: some fifty times the largest shipped pack. The limit keeps a wrong path (a log file, a disk image) from being read whole and parsed.
pub const MAX_POLICY_BYTES: usize = 1 << 20;

/// The most rules one policy may have.
pub const MAX_RULES_PER_POLICY: usize = 1000;

/// The most patterns one `glob` or `not_glob` may list: each is compiled into the condition's
/// matcher, and a list this long is a target inventory, better matched by a prefix.
pub const MAX_GLOBS_PER_CONDITION: usize = 4096;

/// A compiled set and the warnings its sources gave.
#[derive(Debug)]
pub struct Compiled {
    pub set: CompiledPolicySet,
    pub warnings: Vec<Diagnostic>,
}

/// Compiles every source of `sources` into one set. `now` decides which exceptions have
/// expired (a warning). On any error, every diagnostic (errors and warnings) is returned.
pub fn compile(sources: &SourceMap, now: Timestamp) -> Result<Compiled, Vec<Diagnostic>> {
    let mut cx = Compiler {
        sources,
        source: 0,
        diagnostics: Vec::new(),
        now,
    };
    let mut set = CompiledPolicySet {
        policies: Vec::new(),
        rules: Vec::new(),
    };
    let mut policy_ids: HashMap<String, String> = HashMap::new();
    for index in sources.indices() {
        cx.source = index;
        // Texts added to the map directly (not through `add_path`) are bounded here too.
        let size = sources.text(index).len();
        if size > MAX_POLICY_BYTES {
            cx.push(
                Level::Error,
                None,
                LoadError::PolicyTooLarge {
                    path: sources.name(index).to_owned(),
                    size: size as u64,
                    limit: MAX_POLICY_BYTES,
                },
            );
            continue;
        }
        let options = LoaderOptions::default().error_on_duplicate_keys(true);
        let document =
            match marked_yaml::parse_yaml_with_options(index, sources.text(index), options) {
                Ok(document) => document,
                Err(error) => {
                    cx.yaml_error(error);
                    continue;
                }
            };
        // Duplicate ids are judged on the id as written, before the policy compiles, so that a
        // duplicate is reported even when either file has other problems.
        let declared = document.as_mapping().and_then(|map| {
            let key = map.keys().find(|k| k.as_str() == "policy")?;
            let id = map.get_scalar("policy")?.as_str().to_owned();
            Some((key.clone(), id))
        });
        let duplicate = match &declared {
            Some((key, id)) => match policy_ids.get(id) {
                Some(first) => {
                    cx.error_at_key(
                        key,
                        LoadError::DuplicatePolicy {
                            id: id.clone(),
                            first: first.clone(),
                        },
                    );
                    true
                }
                None => {
                    let line = key.span().start().map_or(0, |m| m.line());
                    policy_ids.insert(id.clone(), format!("{}:{line}", sources.name(index)));
                    false
                }
            },
            None => false,
        };
        let Some((policy, rules)) = cx.policy(&document, set.policies.len(), set.rules.len())
        else {
            continue;
        };
        if !duplicate {
            set.policies.push(policy);
            set.rules.extend(rules);
        }
    }
    let mut diagnostics = cx.diagnostics;
    // In reading order: by file (in load order), line and column; problems without a
    // position (a file that cannot be read) first. The sort is stable, so problems at one
    // place keep the order they were found in.
    diagnostics.sort_by_key(|d| d.location.map(|at| (at.source, at.line, at.column)));
    if diagnostics.iter().any(|d| d.level == Level::Error) {
        Err(diagnostics)
    } else {
        Ok(Compiled {
            set,
            warnings: diagnostics,
        })
    }
}

/// The state of compiling one source: where problems go, and the clock for expiry warnings.
#[derive(Debug)]
pub(crate) struct Compiler<'s> {
    sources: &'s SourceMap,
    source: usize,
    diagnostics: Vec<Diagnostic>,
    now: Timestamp,
}

impl Compiler<'_> {
    /// Compiles one policy document; `None` if it had errors.
    fn policy(
        &mut self,
        document: &Node,
        policy_index: usize,
        first_rule: usize,
    ) -> Option<(Policy, Vec<Rule>)> {
        let errors_before = self.error_count();
        let map = self.mapping(document, "a policy file")?;
        self.check_keys(map, POLICY_KEYS, "a policy");
        let id = self.id(map, "policy", "policy");
        let description = self.optional_string(map, "description");
        let (default_severity, default_action) = match map.get_node("defaults") {
            Some(node) => match self.mapping(node, "`defaults`") {
                Some(defaults) => {
                    self.check_keys(defaults, DEFAULTS_KEYS, "`defaults`");
                    (self.severity(defaults), self.action(defaults))
                }
                None => (None, None),
            },
            None => (None, None),
        };
        let default_severity = default_severity.unwrap_or(Severity::Medium);
        let default_action = default_action.unwrap_or(Action::Deny);

        let mut rules: Vec<Rule> = Vec::new();
        let mut rule_ids: HashMap<String, usize> = HashMap::new();
        match self
            .required(map, "rules", "a policy")
            .and_then(|n| self.sequence(n, "`rules`"))
        {
            Some(list) if list.is_empty() => {
                self.error_at_span(list.span(), 1, LoadError::Empty { what: "`rules`" });
            }
            Some(list) if list.len() > MAX_RULES_PER_POLICY => {
                self.error_at_span(
                    list.span(),
                    1,
                    LoadError::TooManyRules {
                        count: list.len(),
                        limit: MAX_RULES_PER_POLICY,
                    },
                );
            }
            Some(list) => {
                for node in list.iter() {
                    // Its place in the set, should it be kept: rules before it that were
                    // dropped take none.
                    let index = RuleId(first_rule + rules.len());
                    let policy_id = id.as_deref().unwrap_or_default();
                    let Some((id_node, rule)) = self.rule(
                        node,
                        policy_index,
                        policy_id,
                        index,
                        default_severity,
                        default_action,
                    ) else {
                        // A rule with errors still has its id: an exception naming it is not
                        // wrong, and a later rule with the same id is still a duplicate. The
                        // policy fails to compile, so the index is never used.
                        if let Some(id) = node.as_mapping().and_then(|m| m.get_scalar("id")) {
                            rule_ids.entry(id.as_str().to_owned()).or_insert(usize::MAX);
                        }
                        continue;
                    };
                    if rule_ids.contains_key(&rule.id) {
                        self.error_at(
                            id_node,
                            LoadError::DuplicateRule {
                                id: rule.id.clone(),
                                policy: id.clone().unwrap_or_default(),
                            },
                        );
                        continue;
                    }
                    rule_ids.insert(rule.id.clone(), first_rule + rules.len());
                    rules.push(rule);
                }
            }
            None => {}
        }

        let mut exceptions = Vec::new();
        if let Some(node) = map.get_node("exceptions")
            && let Some(list) = self.sequence(node, "`exceptions`")
        {
            let policy_id = id.clone().unwrap_or_default();
            for node in list.iter() {
                let Some(exception) = self.exception(node, &policy_id, &rule_ids) else {
                    continue;
                };
                if exceptions.iter().any(|e: &Exception| e.id == exception.id) {
                    self.error_at(
                        node,
                        LoadError::DuplicateException {
                            id: exception.id.clone(),
                            policy: policy_id.clone(),
                        },
                    );
                    continue;
                }
                exceptions.push(exception);
            }
        }

        if self.error_count() > errors_before {
            return None;
        }
        let policy = Policy {
            id: id?,
            description,
            source: self.source,
            exceptions,
        };
        Some((policy, rules))
    }

    fn rule<'d>(
        &mut self,
        node: &'d Node,
        policy: usize,
        policy_id: &str,
        index: RuleId,
        default_severity: Severity,
        default_action: Action,
    ) -> Option<(&'d Node, Rule)> {
        let errors_before = self.error_count();
        let map = self.mapping(node, "a rule")?;
        self.check_keys(map, RULE_KEYS, "a rule");
        let id_node = map.get_node("id");
        let id = self.id(map, "id", "rule");
        let description = self.optional_string(map, "description");
        let severity = self.severity(map).unwrap_or(default_severity);
        let action = self.action(map).unwrap_or(default_action);
        let when = map
            .get_node("when")
            .and_then(|n| self.condition(n, "`when`"));
        let body = match (map.get_node("require"), map.get_node("cases")) {
            (Some(require), None) => self.condition(require, "`require`").map(Body::Require),
            (None, Some(cases)) => self.cases(cases).map(Body::Cases),
            (Some(_), Some(_)) => {
                self.error_at(node, LoadError::RequireXorCases { found: "both" });
                None
            }
            (None, None) => {
                // A misspelt `require` or `cases` is already reported with its suggestion;
                // saying that the rule lacks both would only repeat it.
                let misspelt = map.keys().any(|key| {
                    !RULE_KEYS.contains(&key.as_str())
                        && closest(key.as_str(), ["require", "cases"]).is_some()
                });
                if !misspelt {
                    self.error_at_map(map, LoadError::RequireXorCases { found: "neither" });
                }
                None
            }
        };
        let message = map.get_node("message").and_then(|n| self.template(n));
        self.analyze_rule(map);
        if self.error_count() > errors_before {
            return None;
        }
        let location = self.location(node.span(), 1);
        let id = id?;
        let rule = Rule {
            policy,
            index,
            // The one place `policy/rule` is written: every output reads it from here.
            qualified_id: format!("{policy_id}/{id}"),
            id,
            description,
            severity,
            action,
            when,
            body: body?,
            message,
            location,
        };
        Some((id_node.unwrap_or(node), rule))
    }

    fn cases(&mut self, node: &Node) -> Option<Vec<Case>> {
        let list = self.sequence(node, "`cases`")?;
        if list.is_empty() {
            self.error_at(node, LoadError::Empty { what: "`cases`" });
            return None;
        }
        let mut cases = Vec::new();
        let mut ok = true;
        let last = list.len() - 1;
        for (index, entry) in list.iter().enumerate() {
            let Some(map) = self.mapping(entry, "a case") else {
                ok = false;
                continue;
            };
            self.check_keys(map, CASE_KEYS, "a case");
            let when = match map.get_node("when") {
                Some(n) => match self.condition(n, "`when`") {
                    Some(c) => Some(c),
                    None => {
                        ok = false;
                        None
                    }
                },
                None => {
                    if index != last {
                        self.error_at_map(map, LoadError::DefaultCaseNotLast);
                        ok = false;
                    }
                    None
                }
            };
            let require = self
                .required(map, "require", "a case")
                .and_then(|n| self.condition(n, "`require`"));
            match require {
                Some(require) => cases.push(Case { when, require }),
                None => ok = false,
            }
        }
        ok.then_some(cases)
    }

    fn exception(
        &mut self,
        node: &Node,
        policy: &str,
        rule_ids: &HashMap<String, usize>,
    ) -> Option<Exception> {
        let errors_before = self.error_count();
        let map = self.mapping(node, "an exception")?;
        self.check_keys(map, EXCEPTION_KEYS, "an exception");
        let id = self.id(map, "id", "exception");
        let rules = match map.get_node("rules") {
            None => None,
            Some(node) => {
                let items: Vec<&Node> = match node {
                    Node::Sequence(list) => list.iter().collect(),
                    _ => vec![node],
                };
                let mut indices = Vec::new();
                for item in items {
                    let Some(name) = self.string(item, "a rule id") else {
                        continue;
                    };
                    let name = name.strip_prefix(&format!("{policy}/")).unwrap_or(name);
                    match rule_ids.get(name) {
                        Some(index) => indices.push(*index),
                        None => self.error_at(
                            item,
                            LoadError::UnknownExceptionRule {
                                rule: name.to_owned(),
                                policy: policy.to_owned(),
                                suggestion: closest(name, rule_ids.keys().map(String::as_str))
                                    .map(str::to_owned),
                            },
                        ),
                    }
                }
                Some(indices)
            }
        };
        let when = map
            .get_node("when")
            .and_then(|n| self.condition(n, "`when`"));
        let expires = match map.get_node("expires") {
            Some(node) => self.string(node, "`expires`").and_then(|text| {
                match Timestamp::parse_expiry(text) {
                    Ok(expires) => Some((node, expires)),
                    Err(_) => {
                        self.error_at(
                            node,
                            LoadError::InvalidTimestamp {
                                text: text.to_owned(),
                            },
                        );
                        None
                    }
                }
            }),
            None => None,
        };
        let reason = self
            .required(map, "reason", "an exception")
            .and_then(|n| self.string(n, "`reason`"));
        if reason.is_some_and(|r| r.trim().is_empty())
            && let Some(node) = map.get_node("reason")
        {
            self.error_at(node, LoadError::Empty { what: "`reason`" });
        }
        let approved_by = self.optional_string(map, "approved_by");
        self.analyze_exception(map);
        if self.error_count() > errors_before {
            return None;
        }
        let id = id?;
        match expires {
            None => {
                let key = map.keys().find(|k| k.as_str() == "id");
                self.warn(
                    key.map_or(node.span(), |k| k.span()),
                    2,
                    LoadError::ExceptionWithoutExpiry { id: id.clone() },
                );
            }
            Some((node, expires)) if expires <= self.now => {
                let text = node
                    .as_scalar()
                    .map_or(String::new(), |s| s.as_str().to_owned());
                self.warn(
                    node.span(),
                    text.chars().count(),
                    LoadError::ExpiredException {
                        id: id.clone(),
                        expires: text,
                    },
                );
            }
            Some(_) => {}
        }
        Some(Exception {
            id,
            rules,
            when,
            expires: expires.map(|(_, e)| e),
            reason: reason?.to_owned(),
            approved_by,
        })
    }

    fn template(&mut self, node: &Node) -> Option<Template> {
        let scalar = self.scalar(node, "`message`")?;
        match Template::parse(scalar.as_str()) {
            Ok(template) => Some(template),
            Err(errors) => {
                // Point into the message text, past an opening quote.
                let start = scalar.span().start().copied();
                let quoted = start
                    .and_then(|m| {
                        let line = self.sources.line(self.source, m.line())?;
                        line.chars().nth(m.column().saturating_sub(1))
                    })
                    .is_some_and(|c| c == '"' || c == '\'');
                for (offset, problem) in errors {
                    let length = match &problem {
                        LoadError::UnknownPlaceholder { name, .. } => name.chars().count() + 2,
                        _ => 1,
                    };
                    let location = start.map(|m| Location {
                        source: self.source,
                        line: m.line(),
                        column: m.column() + offset + usize::from(quoted),
                        length,
                    });
                    self.push(Level::Error, location, problem);
                }
                None
            }
        }
    }

    fn severity(&mut self, map: &MarkedMappingNode) -> Option<Severity> {
        let node = map.get_node("severity")?;
        let name = self.string(node, "`severity`")?;
        let found = Severity::from_name(name);
        if found.is_none() {
            self.error_at(
                node,
                LoadError::UnknownValue {
                    value: name.to_owned(),
                    what: "severity",
                    allowed: Severity::NAMES,
                    suggestion: closest(name, Severity::NAMES.iter().copied()),
                },
            );
        }
        found
    }

    fn action(&mut self, map: &MarkedMappingNode) -> Option<Action> {
        let node = map.get_node("action")?;
        let name = self.string(node, "`action`")?;
        let found = Action::from_name(name);
        if found.is_none() {
            self.error_at(
                node,
                LoadError::UnknownValue {
                    value: name.to_owned(),
                    what: "action",
                    allowed: Action::NAMES,
                    suggestion: closest(name, Action::NAMES.iter().copied()),
                },
            );
        }
        found
    }

    fn id(
        &mut self,
        map: &MarkedMappingNode,
        key: &'static str,
        what: &'static str,
    ) -> Option<String> {
        let context = match what {
            "policy" => "a policy",
            "rule" => "a rule",
            _ => "an exception",
        };
        let node = self.required(map, key, context)?;
        let id = self.string(node, "an id")?;
        if !is_valid_id(id) {
            self.error_at(
                node,
                LoadError::InvalidId {
                    id: id.to_owned(),
                    what,
                },
            );
            return None;
        }
        Some(id.to_owned())
    }

    fn optional_string(&mut self, map: &MarkedMappingNode, key: &str) -> Option<String> {
        let node = map.get_node(key)?;
        self.string(node, &format!("`{key}`")).map(str::to_owned)
    }

    // --- reading YAML nodes, reporting what does not fit ---

    pub(crate) fn mapping<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
    ) -> Option<&'n MarkedMappingNode> {
        match node {
            Node::Mapping(map) => Some(map),
            _ => {
                self.wrong_shape(node, what, "a mapping");
                None
            }
        }
    }

    pub(crate) fn sequence<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
    ) -> Option<&'n MarkedSequenceNode> {
        match node {
            Node::Sequence(list) => Some(list),
            _ => {
                self.wrong_shape(node, what, "a list");
                None
            }
        }
    }

    pub(crate) fn scalar<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
    ) -> Option<&'n MarkedScalarNode> {
        match node {
            Node::Scalar(scalar) => Some(scalar),
            _ => {
                self.wrong_shape(node, what, "a scalar");
                None
            }
        }
    }

    pub(crate) fn string<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n str> {
        self.scalar(node, what).map(|s| s.as_str())
    }

    pub(crate) fn boolean(&mut self, node: &Node, operator: &'static str) -> Option<bool> {
        let found = self.scalar(node, &format!("the argument of `{operator}`"))?;
        let value = found.as_bool();
        if value.is_none() {
            self.error_at(
                node,
                LoadError::InvalidArgument {
                    operator,
                    expected: "`true` or `false`",
                    found: format!("`{}`", found.as_str()),
                },
            );
        }
        value
    }

    pub(crate) fn integer(&mut self, node: &Node, operator: &'static str) -> Option<usize> {
        let found = self.scalar(node, &format!("the argument of `{operator}`"))?;
        let value = found.as_str().parse::<usize>().ok();
        if value.is_none() {
            self.error_at(
                node,
                LoadError::InvalidArgument {
                    operator,
                    expected: "a whole number",
                    found: format!("`{}`", found.as_str()),
                },
            );
        }
        value
    }

    pub(crate) fn number(&mut self, node: &Node, operator: &'static str) -> Option<f64> {
        let found = self.scalar(node, &format!("the argument of `{operator}`"))?;
        let value = found.as_str().parse::<f64>().ok().filter(|n| n.is_finite());
        if value.is_none() {
            self.error_at(
                node,
                LoadError::InvalidArgument {
                    operator,
                    expected: "a number or `{ field: Name }`",
                    found: format!("`{}`", found.as_str()),
                },
            );
        }
        value
    }

    /// Resolves a field name written as a scalar value (`{ field: MaxSessionDuration }`).
    pub(crate) fn field(&mut self, node: &Node) -> Option<Field> {
        let name = self.string(node, "a field name")?;
        let field = Field::from_name(name);
        if field.is_none() {
            self.error_at(
                node,
                LoadError::UnknownField {
                    name: name.to_owned(),
                    suggestion: closest(name, Field::ALL.iter().map(|f| f.name())),
                },
            );
        }
        field
    }

    pub(crate) fn required<'n>(
        &mut self,
        map: &'n MarkedMappingNode,
        key: &'static str,
        context: &'static str,
    ) -> Option<&'n Node> {
        let node = map.get_node(key);
        // A misspelling of the key is reported where it stands, with the key as its suggestion.
        let misspelt = || {
            map.keys()
                .any(|k| k.as_str() != key && closest(k.as_str(), [key]).is_some())
        };
        if node.is_none() && !misspelt() {
            self.error_at_map(map, LoadError::MissingKey { key, context });
        }
        node
    }

    pub(crate) fn check_keys(
        &mut self,
        map: &MarkedMappingNode,
        allowed: &[&'static str],
        context: &'static str,
    ) {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.error_at_key(
                    key,
                    LoadError::UnknownKey {
                        key: key.as_str().to_owned(),
                        context,
                        suggestion: closest(key.as_str(), allowed.iter().copied()),
                    },
                );
            }
        }
    }

    pub(crate) fn wrong_shape(&mut self, node: &Node, what: &str, expected: &'static str) {
        let found = match node {
            Node::Scalar(s)
                if s.as_str().is_empty() || s.as_str() == "~" || s.as_str() == "null" =>
            {
                "nothing"
            }
            Node::Scalar(_) => "a scalar",
            Node::Mapping(_) => "a mapping",
            Node::Sequence(_) => "a list",
        };
        let what = what.to_owned();
        self.error_at(
            node,
            LoadError::WrongShape {
                what,
                expected,
                found,
            },
        );
    }

    // --- reporting ---

    pub(crate) fn error_at(&mut self, node: &Node, problem: LoadError) {
        let location = match node {
            Node::Scalar(scalar) => self.scalar_location(scalar),
            Node::Mapping(map) => self.mapping_location(map),
            Node::Sequence(list) => self.location(list.span(), 1),
        };
        self.push(Level::Error, location, problem);
    }

    /// A scalar's place, spanning its quotes when it has them.
    fn scalar_location(&self, scalar: &MarkedScalarNode) -> Option<Location> {
        let mut location = self.location(scalar.span(), scalar.as_str().chars().count())?;
        let first = self
            .sources
            .line(self.source, location.line)
            .and_then(|line| line.chars().nth(location.column.saturating_sub(1)));
        if matches!(first, Some('"' | '\'')) {
            location.length += 2;
        }
        Some(location)
    }

    /// A mapping's place: its first key, which is where a reader looks for the entry.
    fn mapping_location(&self, map: &MarkedMappingNode) -> Option<Location> {
        match map.keys().next() {
            Some(key) => self.location(key.span(), key.as_str().chars().count()),
            None => self.location(map.span(), 1),
        }
    }

    pub(crate) fn error_at_key(&mut self, key: &MarkedScalarNode, problem: LoadError) {
        let location = self.scalar_location(key);
        self.push(Level::Error, location, problem);
    }

    fn error_at_map(&mut self, map: &MarkedMappingNode, problem: LoadError) {
        let location = self.mapping_location(map);
        self.push(Level::Error, location, problem);
    }

    fn error_at_span(&mut self, span: &Span, length: usize, problem: LoadError) {
        let location = self.location(span, length);
        self.push(Level::Error, location, problem);
    }

    fn warn(&mut self, span: &Span, length: usize, problem: LoadError) {
        let location = self.location(span, length);
        self.push(Level::Warning, location, problem);
    }

    fn push(&mut self, level: Level, location: Option<Location>, problem: LoadError) {
        self.diagnostics.push(Diagnostic {
            level,
            location,
            problem,
        });
    }

    fn location(&self, span: &Span, length: usize) -> Option<Location> {
        span.start().map(|m| Location {
            source: self.source,
            line: m.line(),
            column: m.column(),
            length: length.max(1),
        })
    }

    fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count()
    }

    fn yaml_error(&mut self, error: marked_yaml::LoadError) {
        use marked_yaml::LoadError as Yaml;
        let (marker, problem) = match error {
            Yaml::TopLevelMustBeMapping(m) => (
                Some(m),
                LoadError::WrongShape {
                    what: "a policy file".to_owned(),
                    expected: "a mapping",
                    found: "something else",
                },
            ),
            Yaml::UnexpectedAnchor(m) => (Some(m), LoadError::YamlAnchor),
            Yaml::UnexpectedTag(m) => (
                Some(m),
                LoadError::Yaml {
                    message: "YAML tags are not supported".to_owned(),
                },
            ),
            Yaml::MappingKeyMustBeScalar(m) => (
                Some(m),
                LoadError::Yaml {
                    message: "mapping keys must be scalars".to_owned(),
                },
            ),
            Yaml::ScanError(m, scan) => (
                Some(m),
                LoadError::Yaml {
                    message: scan.info().to_owned(),
                },
            ),
            Yaml::DuplicateKey(inner) => (
                inner.key.span().start().copied(),
                LoadError::DuplicateKey {
                    key: inner.key.as_str().to_owned(),
                },
            ),
            other => (
                None,
                LoadError::Yaml {
                    message: other.to_string(),
                },
            ),
        };
        let location = marker.map(|m| Location {
            source: self.source,
            line: m.line(),
            column: m.column(),
            length: 1,
        });
        self.push(Level::Error, location, problem);
    }
}

fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    let lead_ok = bytes
        .first()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    lead_ok && rest_ok && bytes.len() <= 64
}
