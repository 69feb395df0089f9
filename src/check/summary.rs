//! Counts over a whole run: records, decisions, violations per rule and severity, events passed
//! over and input warnings.

use serde::Serialize;

use super::InputWarning;
use crate::policy::{CompiledPolicySet, Decision, Evaluation, Severity};
use std::collections::BTreeMap;

/// Counts over a whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub inputs: u64,
    /// Records read: evaluated plus those in error.
    pub records: u64,
    pub evaluated: u64,
    pub errors: u64,
    /// Events that started no Session Manager session, passed over, per event source
    /// (`ssm.amazonaws.com` for its other calls, `athena.amazonaws.com`, ...).
    pub skipped_events: BTreeMap<String, u64>,
    pub decisions: DecisionCounts,
    pub violations: u64,
    pub waived: u64,
    pub by_rule: Vec<RuleCount>,
    pub by_severity: SeverityCounts,
    /// What was read but may not be what was meant, per input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<InputWarning>,
}

/// Records per decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DecisionCounts {
    pub deny: u64,
    pub warn: u64,
    pub allow: u64,
}

/// Violations (not waived) per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub info: u64,
}

/// Violations of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub rule: String,
    pub severity: Severity,
    pub violations: u64,
    pub waived: u64,
}

impl Summary {
    pub(crate) fn new(set: &CompiledPolicySet) -> Self {
        let by_rule = set
            .rules()
            .iter()
            .map(|rule| RuleCount {
                rule: rule.qualified_id().to_owned(),
                severity: rule.severity(),
                violations: 0,
                waived: 0,
            })
            .collect();
        Self {
            by_rule,
            ..Self::default()
        }
    }

    /// Counts one evaluation of the set the summary was made for: `by_rule` is in the set's
    /// order, so a violation's rule index is its entry.
    pub(crate) fn count(&mut self, evaluation: &Evaluation<'_>) {
        self.records += 1;
        self.evaluated += 1;
        match evaluation.decision {
            Decision::Deny => self.decisions.deny += 1,
            Decision::Warn => self.decisions.warn += 1,
            Decision::Allow => self.decisions.allow += 1,
        }
        for violation in &evaluation.violations {
            let entry = self.by_rule.get_mut(violation.rule.index().index());
            if violation.is_waived() {
                self.waived += 1;
                if let Some(entry) = entry {
                    entry.waived += 1;
                }
                continue;
            }
            self.violations += 1;
            if let Some(entry) = entry {
                entry.violations += 1;
            }
            let bucket = match violation.rule.severity() {
                Severity::Critical => &mut self.by_severity.critical,
                Severity::High => &mut self.by_severity.high,
                Severity::Medium => &mut self.by_severity.medium,
                Severity::Low => &mut self.by_severity.low,
                Severity::Info => &mut self.by_severity.info,
            };
            *bucket += 1;
        }
    }

    /// The highest decision of any record.
    pub fn worst(&self) -> Decision {
        if self.decisions.deny > 0 {
            Decision::Deny
        } else if self.decisions.warn > 0 {
            Decision::Warn
        } else {
            Decision::Allow
        }
    }
}
