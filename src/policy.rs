//! The compiled policy set, immutable and shareable across threads, and its evaluation of a
//! record into violations and a decision.

use std::fmt;

use serde::Serialize;

mod breach;
mod unknown;

pub(crate) use breach::Breach;

use crate::condition::Condition;
use crate::diagnostic::Location;
use crate::message::Template;
use crate::model::{Field, Session, TagFamilies, Timestamp, UnreadableOperand};

/// How serious a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Self::Info,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];
    /// The names policies use.
    pub const NAMES: &'static [&'static str] = &["info", "low", "medium", "high", "critical"];

    /// The name policies use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Resolves a policy's severity name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a violation does to the record's decision.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Warn,
    Deny,
}

impl Action {
    /// The names policies use.
    pub const NAMES: &'static [&'static str] = &["deny", "warn"];

    /// The name policies use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Warn => "warn",
            Self::Deny => "deny",
        }
    }

    /// Resolves a policy's action name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "deny" => Some(Self::Deny),
            "warn" => Some(Self::Warn),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a rule does where it could not be judged, because tags it reads could not be learned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnUnknown {
    /// A violation with the rule's own action (the default): a failed lookup never passes.
    #[default]
    Action,
    /// A violation that denies.
    Deny,
    /// A violation that warns.
    Warn,
    /// No violation.
    Skip,
}

impl OnUnknown {
    /// The names policies use.
    pub const NAMES: &'static [&'static str] = &["action", "deny", "warn", "skip"];

    /// The name policies use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Action => "action",
            Self::Deny => "deny",
            Self::Warn => "warn",
            Self::Skip => "skip",
        }
    }

    /// Resolves a policy's name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "action" => Some(Self::Action),
            "deny" => Some(Self::Deny),
            "warn" => Some(Self::Warn),
            "skip" => Some(Self::Skip),
            _ => None,
        }
    }

    /// The action of a rule's violation that could not be judged; `None` where it gives none.
    pub fn action(self, rule: Action) -> Option<Action> {
        match self {
            Self::Action => Some(rule),
            Self::Deny => Some(Action::Deny),
            Self::Warn => Some(Action::Warn),
            Self::Skip => None,
        }
    }
}

impl fmt::Display for OnUnknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A record's verdict: `deny` if any violation that denies is not waived, else `warn` if any
/// that warns is not waived, else `allow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Warn,
    Deny,
}

impl Decision {
    /// The name outputs use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Warn => "warn",
            Self::Deny => "deny",
        }
    }
}

impl From<Action> for Decision {
    fn from(action: Action) -> Self {
        match action {
            Action::Deny => Decision::Deny,
            Action::Warn => Decision::Warn,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A compiled policy: its id, its place among the sources, and its exceptions.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) id: String,
    pub(crate) description: Option<String>,
    pub(crate) source: usize,
    pub(crate) exceptions: Vec<Exception>,
}

impl Policy {
    /// The policy id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The description, if the policy has one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The index of the source the policy came from.
    pub fn source(&self) -> usize {
        self.source
    }

    /// The policy's exceptions in document order.
    pub fn exceptions(&self) -> &[Exception] {
        &self.exceptions
    }
}

/// A rule's identity within its compiled set: the index of its entry in
/// [`CompiledPolicySet::rules`]. Cheap to copy and compare; meaningless across two sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleId(pub(crate) usize);

impl RuleId {
    /// The index of the rule in [`CompiledPolicySet::rules`].
    pub fn index(self) -> usize {
        self.0
    }
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub(crate) policy: usize,
    pub(crate) index: RuleId,
    pub(crate) id: String,
    /// `policy/rule`, written once by the compiler.
    pub(crate) qualified_id: String,
    pub(crate) description: Option<String>,
    pub(crate) severity: Severity,
    pub(crate) action: Action,
    /// What it does where tags it reads could not be learned.
    pub(crate) on_unknown: OnUnknown,
    /// The tag families its conditions read; none for most rules, which are then judged
    /// without regard to tags.
    pub(crate) tags: TagFamilies,
    pub(crate) when: Option<Condition>,
    pub(crate) body: Body,
    pub(crate) message: Option<Template>,
    pub(crate) location: Option<Location>,
}

/// What a rule requires.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Require(Condition),
    Cases(Vec<Case>),
}

impl Body {
    /// Every condition of the body: the requirement, or each case's `when` and requirement.
    pub(crate) fn conditions(&self) -> Vec<&Condition> {
        match self {
            Self::Require(condition) => vec![condition],
            Self::Cases(cases) => cases
                .iter()
                .flat_map(|case| case.when.iter().chain(std::iter::once(&case.require)))
                .collect(),
        }
    }
}

/// One entry of `cases`.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) when: Option<Condition>,
    pub(crate) require: Condition,
    /// Its `when` in words, for messages: written once, not per violation.
    described: Option<Box<str>>,
}

impl Case {
    pub(crate) fn new(when: Option<Condition>, require: Condition) -> Self {
        let described = when.as_ref().map(|w| w.describe().into_boxed_str());
        Self {
            when,
            require,
            described,
        }
    }

    /// Its `when` in words (`Target glob "mi-*"`); `None` for the case without one.
    pub(crate) fn described(&self) -> Option<&str> {
        self.described.as_deref()
    }
}

impl Rule {
    /// The rule id, unique within its policy.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `policy/rule`: the id outputs name the rule by, unique within the set.
    pub fn qualified_id(&self) -> &str {
        &self.qualified_id
    }

    /// The rule's identity within its set.
    pub fn index(&self) -> RuleId {
        self.index
    }

    /// The description, if the rule has one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The severity, the rule's own or its policy's default.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The action, the rule's own or its policy's default.
    pub fn action(&self) -> Action {
        self.action
    }

    /// What it does where tags it reads could not be learned.
    pub fn on_unknown(&self) -> OnUnknown {
        self.on_unknown
    }

    /// The tag families its conditions read.
    pub fn tag_families(&self) -> TagFamilies {
        self.tags
    }

    /// Where the rule is defined.
    pub fn location(&self) -> Option<Location> {
        self.location
    }

    /// Whether the rule writes its own `message`; without one, a violation's message is written
    /// from the failed check, and says why a value was unreadable.
    pub fn has_message(&self) -> bool {
        self.message.is_some()
    }

    /// The rule's condition for `explain`: its `when`, and what it requires (per case).
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(when) = &self.when {
            lines.push(format!("applies when {}", when.describe()));
        }
        match &self.body {
            Body::Require(condition) => lines.push(format!("requires {}", condition.describe())),
            Body::Cases(cases) => {
                for case in cases {
                    match &case.when {
                        Some(when) => lines.push(format!(
                            "when {}: requires {}",
                            when.describe(),
                            case.require.describe()
                        )),
                        None => {
                            lines.push(format!("otherwise: requires {}", case.require.describe()))
                        }
                    }
                }
            }
        }
        lines
    }

    /// The condition that must hold for this record, and the case it came from; `None` when
    /// the rule does not apply (its `when` fails, or no case's `when` holds).
    pub(crate) fn requirement(
        &self,
        session: &Session<'_>,
        now: Timestamp,
    ) -> Option<(&Condition, Option<&Case>)> {
        if let Some(when) = &self.when
            && !when.holds(session, now)
        {
            return None;
        }
        match &self.body {
            Body::Require(condition) => Some((condition, None)),
            Body::Cases(cases) => cases
                .iter()
                .find(|case| case.when.as_ref().is_none_or(|w| w.holds(session, now)))
                .map(|case| (&case.require, Some(case))),
        }
    }
}

/// A waiver of a policy's violations.
#[derive(Debug, Clone)]
pub struct Exception {
    pub(crate) id: String,
    /// The [`RuleId::index`] of each rule it waives; `None` waives every rule of the policy.
    pub(crate) rules: Option<Vec<usize>>,
    pub(crate) when: Option<Condition>,
    /// Sessions that started at or after this instant are not waived.
    pub(crate) expires: Option<Timestamp>,
    pub(crate) reason: String,
    pub(crate) approved_by: Option<String>,
}

impl Exception {
    /// The exception id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Why the waiver exists.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Who approved it.
    pub fn approved_by(&self) -> Option<&str> {
        self.approved_by.as_deref()
    }

    /// When it stops waiving.
    pub fn expires(&self) -> Option<Timestamp> {
        self.expires
    }

    /// Its `when` in words, if it has one.
    pub fn describe(&self) -> Option<String> {
        self.when.as_ref().map(Condition::describe)
    }

    /// Whether it can waive the rule, whatever the record.
    pub(crate) fn names(&self, rule: RuleId) -> bool {
        self.rules
            .as_ref()
            .is_none_or(|rules| rules.contains(&rule.index()))
    }

    fn waives(&self, rule: RuleId, session: &Session<'_>, now: Timestamp) -> bool {
        self.names(rule)
            && self
                .expires
                .is_none_or(|expires| session.started_at_or(now) < expires)
            && self
                .when
                .as_ref()
                .is_none_or(|when| when.holds(session, now))
    }
}

/// One rule that a record breaks.
#[derive(Debug, Clone)]
pub struct Violation<'p> {
    pub policy: &'p Policy,
    pub rule: &'p Rule,
    pub message: String,
    pub field: Field,
    /// The field's value in the record, `null` where absent.
    pub actual: serde_json::Value,
    /// What the failing check expected; borrowed from the compiled set, except where a
    /// violation was read back from a recorded result.
    pub expected: std::borrow::Cow<'p, str>,
    /// Why the failing check could not read a value it needed, when that is why it failed.
    /// The default message says so too; a rule's own message may not.
    pub unreadable: Option<UnreadableOperand>,
    pub waived_by: Option<&'p Exception>,
    /// Where the rule could not be judged (tags it reads could not be learned): the action the
    /// violation acts with, after the rule's `on_unknown`. `unreadable` says which tag and why.
    pub unjudged: Option<Action>,
}

impl Violation<'_> {
    /// Whether an exception waived it.
    pub fn is_waived(&self) -> bool {
        self.waived_by.is_some()
    }

    /// Whether the rule could not be judged, because tags it reads could not be learned.
    pub fn is_unjudged(&self) -> bool {
        self.unjudged.is_some()
    }

    /// What it does to the decision: the rule's action, or where the rule could not be
    /// judged, the action its `on_unknown` gives.
    pub fn action(&self) -> Action {
        self.unjudged.unwrap_or(self.rule.action)
    }

    /// `policy/rule`.
    pub fn id(&self) -> &str {
        self.rule.qualified_id()
    }
}

/// The result of evaluating one record: its decision and every violation, waived ones included.
#[derive(Debug, Clone)]
pub struct Evaluation<'p> {
    pub decision: Decision,
    pub violations: Vec<Violation<'p>>,
}

/// A set of policies compiled for evaluation. Immutable: share it across threads by reference.
#[derive(Debug, Clone)]
pub struct CompiledPolicySet {
    pub(crate) policies: Vec<Policy>,
    pub(crate) rules: Vec<Rule>,
}

impl CompiledPolicySet {
    /// The policies, in load order.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// Every rule of every policy, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The tag families some rule or exception of the set reads: only they are looked up.
    pub fn tag_families(&self) -> TagFamilies {
        self.rules
            .iter()
            .fold(TagFamilies::NONE, |all, rule| all.union(rule.tags))
    }

    /// The rule with an identity of this set.
    pub fn rule(&self, id: RuleId) -> Option<&Rule> {
        self.rules.get(id.index())
    }

    /// The policy a rule belongs to.
    pub fn policy_of(&self, rule: &Rule) -> Option<&Policy> {
        self.policies.get(rule.policy)
    }

    /// The exceptions that can waive a rule of this set: those of its policy that name it or
    /// name no rule.
    pub fn exceptions_for(&self, rule: &Rule) -> Vec<&Exception> {
        self.policy_of(rule).map_or_else(Vec::new, |policy| {
            policy
                .exceptions
                .iter()
                .filter(|e| e.names(rule.index))
                .collect()
        })
    }

    /// Finds a rule by `policy/rule` id, or by a rule id that only one policy uses.
    pub fn find_rule(&self, id: &str) -> Option<&Rule> {
        // Ids cannot hold `/`, so only a qualified id has one.
        if id.contains('/') {
            return self.rules.iter().find(|r| r.qualified_id == id);
        }
        let mut found = self.rules.iter().filter(|r| r.id == id);
        let first = found.next();
        if found.next().is_some() { None } else { first }
    }

    /// Evaluates one record at the evaluation time `now` (which ends active sessions' `Duration`
    /// and judges waivers of records without a start).
    pub fn evaluate<'p>(&'p self, session: &Session<'_>, now: Timestamp) -> Evaluation<'p> {
        let mut breaches = Vec::new();
        let decision = self.judge(session, now, &mut breaches);
        Evaluation {
            decision,
            violations: breaches
                .into_iter()
                .map(|breach| breach.violation(session, now))
                .collect(),
        }
    }

    /// Judges one record as [`CompiledPolicySet::evaluate`] does, appending the rules it
    /// breaks to `breaches` without writing their words: the check path renders them straight
    /// into its output.
    pub(crate) fn judge<'p>(
        &'p self,
        session: &Session<'_>,
        now: Timestamp,
        breaches: &mut Vec<Breach<'p>>,
    ) -> Decision {
        let mut decision = Decision::Allow;
        for rule in &self.rules {
            if !rule.tags.is_empty() {
                if let Some(breach) = self.judge_tagged(rule, session, now) {
                    if breach.waived_by.is_none() {
                        decision = decision.max(breach.action().into());
                    }
                    breaches.push(breach);
                }
                continue;
            }
            let Some((require, case)) = rule.requirement(session, now) else {
                continue;
            };
            if require.holds(session, now) {
                continue;
            }
            let Some(policy) = self.policies.get(rule.policy) else {
                continue;
            };
            let waived_by = policy
                .exceptions
                .iter()
                .find(|e| e.waives(rule.index, session, now));
            if waived_by.is_none() {
                decision = decision.max(match rule.action {
                    Action::Deny => Decision::Deny,
                    Action::Warn => Decision::Warn,
                });
            }
            breaches.push(Breach {
                policy,
                rule,
                failure: require.explain(session, now),
                case,
                waived_by,
                unjudged: None,
            });
        }
        decision
    }

    /// Whether a rule applies to a record (its `when` holds and, with cases, one is chosen).
    pub fn applies(&self, rule: &Rule, session: &Session<'_>, now: Timestamp) -> bool {
        rule.requirement(session, now).is_some()
    }
}
