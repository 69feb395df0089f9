//! Compiling one policy document: its rules, their cases, its exceptions, and the ids, levels
//! and messages they carry.

use std::collections::HashMap;

use marked_yaml::Node;
use marked_yaml::types::MarkedMappingNode;

use super::{
    CASE_KEYS, CompileError, Compiler, Compiles, DEFAULTS_KEYS, EXCEPTION_KEYS, Failures,
    MAX_RULES_PER_POLICY, POLICY_KEYS, RULE_KEYS, is_valid_id,
};
use crate::diagnostic::{Location, closest};
use crate::message::{Template, TemplateErrors};
use crate::model::{TagFamilies, Timestamp};
use crate::policy::{Action, Body, Case, Exception, OnUnknown, Policy, Rule, RuleId, Severity};

/// What a policy's `defaults` give the rules that do not say.
#[derive(Debug, Clone, Copy)]
struct RuleDefaults {
    severity: Severity,
    action: Action,
    on_unknown: OnUnknown,
}

impl Compiler<'_> {
    /// Compiles one policy document. Every problem is reported, and any error fails it whole:
    /// a policy never compiles without one of its rules.
    pub(super) fn policy(
        &mut self,
        document: &Node,
        policy_index: usize,
        first_rule: usize,
    ) -> Compiles<(Policy, Vec<Rule>)> {
        let mark = self.error_mark();
        let mut failures = Failures::default();
        let map = self.mapping(document, "a policy file")?;
        failures.note(self.check_keys(map, POLICY_KEYS, "a policy"));
        let id = self.id(map, "policy", "policy");
        let description = failures
            .note(self.optional_string(map, "description"))
            .flatten();
        let (default_severity, default_action, default_on_unknown) = match map.get_node("defaults")
        {
            Some(node) => match failures.note(self.mapping(node, "`defaults`")) {
                Some(defaults) => {
                    failures.note(self.check_keys(defaults, DEFAULTS_KEYS, "`defaults`"));
                    (
                        failures.note(self.severity(defaults)).flatten(),
                        failures.note(self.action(defaults)).flatten(),
                        failures.note(self.on_unknown(defaults)).flatten(),
                    )
                }
                None => (None, None, None),
            },
            None => (None, None, None),
        };
        let defaults = RuleDefaults {
            severity: default_severity.unwrap_or(Severity::Medium),
            action: default_action.unwrap_or(Action::Deny),
            on_unknown: default_on_unknown.unwrap_or_default(),
        };

        let mut rules: Vec<Rule> = Vec::new();
        let mut rule_ids: HashMap<String, usize> = HashMap::new();
        let list = self
            .required(map, "rules", "a policy")
            .and_then(|n| self.sequence(n, "`rules`"));
        match failures.note(list) {
            Some(list) if list.is_empty() => {
                failures.add(self.error_at_span(
                    list.span(),
                    1,
                    CompileError::Empty { what: "`rules`" },
                ));
            }
            Some(list) if list.len() > MAX_RULES_PER_POLICY => {
                failures.add(self.error_at_span(
                    list.span(),
                    1,
                    CompileError::TooManyRules {
                        count: list.len(),
                        limit: MAX_RULES_PER_POLICY,
                    },
                ));
            }
            Some(list) => {
                for node in list.iter() {
                    // Its place in the set, should it be kept: rules before it that were
                    // dropped take none.
                    let index = RuleId(first_rule + rules.len());
                    let policy_id = id.as_deref().unwrap_or_default();
                    let compiled = self.rule(node, policy_index, policy_id, index, defaults);
                    let Some((id_node, rule)) = failures.note(compiled) else {
                        // A rule with errors still has its id: an exception naming it is not
                        // wrong, and a later rule with the same id is still a duplicate. The
                        // policy fails to compile, so the index is never used.
                        if let Some(id) = node.as_mapping().and_then(|m| m.get_scalar("id")) {
                            rule_ids.entry(id.as_str().to_owned()).or_insert(usize::MAX);
                        }
                        continue;
                    };
                    if rule_ids.contains_key(&rule.id) {
                        failures.add(self.error_at(
                            id_node,
                            CompileError::DuplicateRule {
                                id: rule.id.clone(),
                                policy: id.as_deref().unwrap_or_default().to_owned(),
                            },
                        ));
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
            && let Some(list) = failures.note(self.sequence(node, "`exceptions`"))
        {
            let policy_id = id.as_deref().unwrap_or_default().to_owned();
            for node in list.iter() {
                let Some(exception) = failures.note(self.exception(node, &policy_id, &rule_ids))
                else {
                    continue;
                };
                if exceptions.iter().any(|e: &Exception| e.id == exception.id) {
                    failures.add(self.error_at(
                        node,
                        CompileError::DuplicateException {
                            id: exception.id.clone(),
                            policy: policy_id.clone(),
                        },
                    ));
                    continue;
                }
                exceptions.push(exception);
            }
        }
        failures.note(self.errors_since(mark));
        let id = id?;
        // A rule that an exception reading tags may waive is judged with its tags too.
        for rule in &mut rules {
            for exception in exceptions.iter().filter(|e| e.names(rule.index)) {
                if let Some(when) = &exception.when {
                    rule.tags = rule.tags.union(when.tag_families());
                }
            }
        }
        failures.finish(|| {
            let policy = Policy {
                id,
                description,
                source: self.source,
                exceptions,
            };
            (policy, rules)
        })
    }

    fn rule<'d>(
        &mut self,
        node: &'d Node,
        policy: usize,
        policy_id: &str,
        index: RuleId,
        defaults: RuleDefaults,
    ) -> Compiles<(&'d Node, Rule)> {
        let mark = self.error_mark();
        let map = self.mapping(node, "a rule")?;
        let keys = self.check_keys(map, RULE_KEYS, "a rule");
        let id_node = map.get_node("id");
        let id = self.id(map, "id", "rule");
        let description = self.optional_string(map, "description");
        let severity = self.severity(map);
        let action = self.action(map);
        let on_unknown = self.on_unknown(map);
        let when = map
            .get_node("when")
            .map(|n| self.condition(n, "`when`"))
            .transpose();
        let body = match (map.get_node("require"), map.get_node("cases")) {
            (Some(require), None) => self.condition(require, "`require`").map(Body::Require),
            (None, Some(cases)) => self.cases(cases).map(Body::Cases),
            (Some(_), Some(_)) => {
                Err(self.error_at(node, CompileError::RequireXorCases { found: "both" }))
            }
            (None, None) => {
                // A misspelt `require` or `cases` is already reported with its suggestion;
                // saying that the rule lacks both would only repeat it.
                let misspelt = map
                    .keys()
                    .filter(|key| {
                        !RULE_KEYS.contains(&key.as_str())
                            && closest(key.as_str(), ["require", "cases"]).is_some()
                    })
                    .find_map(|key| self.reported_unknown_key(key.as_str()));
                Err(misspelt.unwrap_or_else(|| {
                    self.error_at_map(map, CompileError::RequireXorCases { found: "neither" })
                }))
            }
        };
        let message = map
            .get_node("message")
            .map(|n| self.template(n))
            .transpose();
        self.analyze_rule(map);
        keys?;
        self.errors_since(mark)?;
        let location = self.location(node.span(), 1);
        let id = id?;
        let when = when?;
        let body = body?;
        let tags = when
            .iter()
            .chain(body.conditions())
            .fold(TagFamilies::NONE, |all, c| all.union(c.tag_families()));
        let rule = Rule {
            policy,
            index,
            // The one place `policy/rule` is written: every output reads it from here.
            qualified_id: format!("{policy_id}/{id}"),
            id,
            description: description?,
            severity: severity?.unwrap_or(defaults.severity),
            action: action?.unwrap_or(defaults.action),
            on_unknown: on_unknown?.unwrap_or(defaults.on_unknown),
            tags,
            when,
            body,
            message: message?,
            location,
        };
        Ok((id_node.unwrap_or(node), rule))
    }

    fn cases(&mut self, node: &Node) -> Compiles<Vec<Case>> {
        let list = self.sequence(node, "`cases`")?;
        if list.is_empty() {
            return Err(self.error_at(node, CompileError::Empty { what: "`cases`" }));
        }
        let mut cases = Vec::new();
        let mut failures = Failures::default();
        let last = list.len() - 1;
        for (index, entry) in list.iter().enumerate() {
            let Some(map) = failures.note(self.mapping(entry, "a case")) else {
                continue;
            };
            failures.note(self.check_keys(map, CASE_KEYS, "a case"));
            let when = match map.get_node("when") {
                Some(n) => failures.note(self.condition(n, "`when`").map(Some)),
                None if index != last => {
                    failures.add(self.error_at_map(map, CompileError::DefaultCaseNotLast));
                    None
                }
                None => Some(None),
            };
            let require = self
                .required(map, "require", "a case")
                .and_then(|n| self.condition(n, "`require`"));
            if let (Some(when), Some(require)) = (when, failures.note(require)) {
                cases.push(Case::new(when, require));
            }
        }
        failures.finish(|| cases)
    }

    fn exception(
        &mut self,
        node: &Node,
        policy: &str,
        rule_ids: &HashMap<String, usize>,
    ) -> Compiles<Exception> {
        let mark = self.error_mark();
        let map = self.mapping(node, "an exception")?;
        let mut failures = Failures::default();
        failures.note(self.check_keys(map, EXCEPTION_KEYS, "an exception"));
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
                    let Some(name) = failures.note(self.string(item, "a rule id")) else {
                        continue;
                    };
                    let name = name.strip_prefix(&format!("{policy}/")).unwrap_or(name);
                    match rule_ids.get(name) {
                        Some(index) => indices.push(*index),
                        None => failures.add(
                            self.error_at(
                                item,
                                CompileError::UnknownExceptionRule {
                                    rule: name.to_owned(),
                                    policy: policy.to_owned(),
                                    suggestion: closest(name, rule_ids.keys().map(String::as_str))
                                        .map(str::to_owned),
                                },
                            ),
                        ),
                    }
                }
                Some(indices)
            }
        };
        let when = map
            .get_node("when")
            .map(|n| self.condition(n, "`when`"))
            .transpose();
        let when = failures.note(when).flatten();
        let expires = match map.get_node("expires") {
            Some(node) => {
                let expires = self.string(node, "`expires`").and_then(|text| {
                    Timestamp::parse_expiry(text)
                        .map(|expires| (node, expires))
                        .map_err(|_| {
                            self.error_at(
                                node,
                                CompileError::InvalidTimestamp {
                                    text: text.to_owned(),
                                },
                            )
                        })
                });
                failures.note(expires)
            }
            None => None,
        };
        let reason = self
            .required(map, "reason", "an exception")
            .and_then(|n| self.string(n, "`reason`"));
        if reason.is_ok_and(|r| r.trim().is_empty())
            && let Some(node) = map.get_node("reason")
        {
            failures.add(self.error_at(node, CompileError::Empty { what: "`reason`" }));
        }
        let approved_by = failures
            .note(self.optional_string(map, "approved_by"))
            .flatten();
        self.analyze_exception(map);
        failures.note(self.errors_since(mark));
        let (id, reason) = (id?, reason?);
        failures.finish(|| ())?;
        match expires {
            None => {
                let key = map.keys().find(|k| k.as_str() == "id");
                self.warn(
                    key.map_or(node.span(), |k| k.span()),
                    2,
                    CompileError::ExceptionWithoutExpiry { id: id.clone() },
                );
            }
            Some((node, expires)) if expires <= self.now => {
                let text = node
                    .as_scalar()
                    .map_or(String::new(), |s| s.as_str().to_owned());
                self.warn(
                    node.span(),
                    text.chars().count(),
                    CompileError::ExpiredException {
                        id: id.clone(),
                        expires: text,
                    },
                );
            }
            Some(_) => {}
        }
        Ok(Exception {
            id,
            rules,
            when,
            expires: expires.map(|(_, e)| e),
            reason: reason.to_owned(),
            approved_by,
        })
    }

    fn template(&mut self, node: &Node) -> Compiles<Template> {
        let scalar = self.scalar(node, "`message`")?;
        match Template::parse(scalar.as_str()) {
            Ok(template) => Ok(template),
            Err(TemplateErrors { first, rest }) => {
                // Point into the message text, past an opening quote.
                let start = scalar.span().start().copied();
                let quoted = start
                    .and_then(|m| {
                        let line = self.sources.line(self.source, m.line())?;
                        line.chars().nth(m.column().saturating_sub(1))
                    })
                    .is_some_and(|c| c == '"' || c == '\'');
                let mut report = |(offset, problem): (usize, CompileError)| {
                    let length = match &problem {
                        CompileError::UnknownPlaceholder { name, .. } => name.chars().count() + 2,
                        _ => 1,
                    };
                    let location = start.map(|m| Location {
                        source: self.source,
                        line: m.line(),
                        column: m.column() + offset + usize::from(quoted),
                        length,
                    });
                    self.error_at_location(location, problem)
                };
                let reported = report(first);
                rest.into_iter().for_each(|problem| {
                    report(problem);
                });
                Err(reported)
            }
        }
    }

    /// `severity`, if the mapping names one.
    fn severity(&mut self, map: &MarkedMappingNode) -> Compiles<Option<Severity>> {
        let Some(node) = map.get_node("severity") else {
            return Ok(None);
        };
        let name = self.string(node, "`severity`")?;
        match Severity::from_name(name) {
            Some(severity) => Ok(Some(severity)),
            None => Err(self.error_at(
                node,
                CompileError::UnknownValue {
                    value: name.to_owned(),
                    what: "severity",
                    allowed: Severity::NAMES,
                    suggestion: closest(name, Severity::NAMES.iter().copied()),
                },
            )),
        }
    }

    /// `on_unknown`, if the mapping names one.
    fn on_unknown(&mut self, map: &MarkedMappingNode) -> Compiles<Option<OnUnknown>> {
        let Some(node) = map.get_node("on_unknown") else {
            return Ok(None);
        };
        let name = self.string(node, "`on_unknown`")?;
        match OnUnknown::from_name(name) {
            Some(on_unknown) => Ok(Some(on_unknown)),
            None => Err(self.error_at(
                node,
                CompileError::UnknownValue {
                    value: name.to_owned(),
                    what: "on_unknown",
                    allowed: OnUnknown::NAMES,
                    suggestion: closest(name, OnUnknown::NAMES.iter().copied()),
                },
            )),
        }
    }

    /// `action`, if the mapping names one.
    fn action(&mut self, map: &MarkedMappingNode) -> Compiles<Option<Action>> {
        let Some(node) = map.get_node("action") else {
            return Ok(None);
        };
        let name = self.string(node, "`action`")?;
        match Action::from_name(name) {
            Some(action) => Ok(Some(action)),
            None => Err(self.error_at(
                node,
                CompileError::UnknownValue {
                    value: name.to_owned(),
                    what: "action",
                    allowed: Action::NAMES,
                    suggestion: closest(name, Action::NAMES.iter().copied()),
                },
            )),
        }
    }

    fn id(
        &mut self,
        map: &MarkedMappingNode,
        key: &'static str,
        what: &'static str,
    ) -> Compiles<String> {
        let context = match what {
            "policy" => "a policy",
            "rule" => "a rule",
            _ => "an exception",
        };
        let node = self.required(map, key, context)?;
        let id = self.string(node, "an id")?;
        if !is_valid_id(id) {
            return Err(self.error_at(
                node,
                CompileError::InvalidId {
                    id: id.to_owned(),
                    what,
                },
            ));
        }
        Ok(id.to_owned())
    }

    fn optional_string(&mut self, map: &MarkedMappingNode, key: &str) -> Compiles<Option<String>> {
        match map.get_node(key) {
            Some(node) => self
                .string(node, &format!("`{key}`"))
                .map(|s| Some(s.to_owned())),
            None => Ok(None),
        }
    }
}
