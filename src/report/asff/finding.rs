//! One violation as one finding of the AWS Security Finding Format (ASFF), typed, so that the
//! report (JSON for `BatchImportFindings`) and the Lambda function (the SDK's types) send the
//! same fields, and only fields Security Hub knows.
//!
//! Every text is one line without control characters (Security Hub's string pattern,
//! `.*\S.*`, does not cross line ends) and within Security Hub's documented limits; a text cut
//! to fit ends with `…`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::fingerprint;
use super::super::sarif::first_sentence;
use crate::check::RecordResult;
use crate::model::{OwnerArn, Timestamp};
use crate::policy::{Action, Severity, Violation};

/// The only ASFF schema version.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// `ProductName` of every finding.
pub const PRODUCT_NAME: &str = "ssm-guard";
/// Who wrote the note of a waived finding.
pub const NOTE_AUTHOR: &str = "ssm-guard";

/// Security Hub's documented limits, in characters.
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 1024;
const NOTE_MAX: usize = 512;
const ID_MAX: usize = 512;
const PRODUCT_FIELD_VALUE_MAX: usize = 2048;
const DETAIL_VALUE_MAX: usize = 1024;

/// Every finding's type: a session broke an organization's policy for sessions.
pub const POLICY_TYPE: &str =
    "Software and Configuration Checks/Industry and Regulatory Standards/Session Manager Policy";
/// Added for violations that deny and were not waived: a user opened a session that policy
/// forbids.
pub const VIOLATION_TYPE: &str = "Unusual Behaviors/User/Session Manager Policy Violation";

/// Where findings go and whose they are, where the records do not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsffSettings {
    /// The Security Hub region the findings are imported into (`ProductArn`, `Region`, and the
    /// region of the ARNs built for targets and sessions).
    pub region: String,
    /// The account of findings whose session's `Owner` names none.
    pub account: Option<String>,
    /// `UpdatedAt` (and the note's time): the evaluation time.
    pub updated_at: Timestamp,
}

impl AsffSettings {
    /// Settings for `region`, at `updated_at`, without a fallback account.
    pub fn new(region: impl Into<String>, updated_at: Timestamp) -> Self {
        Self {
            region: region.into(),
            account: None,
            updated_at,
        }
    }

    /// The account of findings whose session's `Owner` names none.
    pub fn with_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// The partition of the region: `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, and so on.
    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }
}

/// The ARN partition a region belongs to.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eusc-") {
        "aws-eusc"
    } else {
        "aws"
    }
}

/// Whether `text` has the form of a region name: lowercase words and a number, joined by `-`
/// (`eu-west-1`, `us-gov-west-1`).
pub fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `text` is a 12-digit account id.
pub fn is_account(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// A finding, its members named as ASFF names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Finding {
    pub schema_version: &'static str,
    pub id: String,
    pub product_arn: String,
    pub product_name: &'static str,
    pub generator_id: String,
    pub aws_account_id: String,
    pub region: String,
    pub types: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_observed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub severity: FindingSeverity,
    pub title: String,
    pub description: String,
    pub product_fields: BTreeMap<&'static str, String>,
    pub resources: Vec<Resource>,
    pub compliance: Compliance,
    pub workflow: Workflow,
    pub record_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
    pub finding_provider_fields: FindingProviderFields,
}

/// `Severity`: the label Security Hub ranks by, and ssm-guard's own name for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FindingSeverity {
    pub label: &'static str,
    pub original: &'static str,
}

/// The same severity and types under `FindingProviderFields`, where Security Hub keeps the
/// provider's values apart from what its users change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FindingProviderFields {
    pub severity: FindingSeverity,
    pub types: Vec<&'static str>,
}

/// A resource the finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<&'static str>,
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<ResourceDetails>,
}

/// `Resources[].Details`: only `Other`, a map of texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceDetails {
    pub other: BTreeMap<&'static str, String>,
}

/// `Compliance.Status`: `FAILED` for rules that deny, `WARNING` for rules that warn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Compliance {
    pub status: &'static str,
}

/// `Workflow.Status`: `NEW`, or `SUPPRESSED` for a waived violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Workflow {
    pub status: &'static str,
}

/// The note of a waived finding: the exception and its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Note {
    pub text: String,
    pub updated_by: &'static str,
    pub updated_at: String,
}

impl Finding {
    /// Applies `edit` to every text that came from a record or a policy, so that a caller can
    /// remove what must not leave (the Lambda function's secrets).
    pub fn edit_texts(&mut self, mut edit: impl FnMut(&mut String)) {
        edit(&mut self.title);
        edit(&mut self.description);
        self.product_fields.values_mut().for_each(&mut edit);
        for resource in &mut self.resources {
            edit(&mut resource.id);
            if let Some(details) = &mut resource.details {
                details.other.values_mut().for_each(&mut edit);
            }
        }
        if let Some(note) = &mut self.note {
            edit(&mut note.text);
        }
    }
}

/// Security Hub's severity label for a rule's severity.
pub fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Info => "INFORMATIONAL",
    }
}

/// An instant as ASFF writes it: UTC, milliseconds, `Z` (`2026-03-10T13:15:30.123Z`).
pub fn asff_time(instant: Timestamp) -> String {
    let micros = instant.as_micros();
    let seconds = micros.div_euclid(1_000_000);
    let millis = micros.rem_euclid(1_000_000) / 1_000;
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let text = time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|datetime| datetime.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00".to_owned());
    format!("{text}.{millis:03}Z")
}

/// The account a finding belongs to: the session owner's, else the settings' fallback.
pub fn account_of(result: &RecordResult<'_>, settings: &AsffSettings) -> Option<String> {
    result
        .owner
        .as_deref()
        .and_then(OwnerArn::parse)
        .and_then(|arn| arn.account())
        .map(str::to_owned)
        .or_else(|| settings.account.clone())
}

/// The finding of one violation of a record, or `None` when neither the session's `Owner` nor
/// the settings name the account it belongs to (Security Hub takes no finding without one).
pub fn finding(
    result: &RecordResult<'_>,
    violation: &Violation<'_>,
    settings: &AsffSettings,
) -> Option<Finding> {
    let account = account_of(result, settings)?;
    let partition = settings.partition();
    let region = settings.region.as_str();
    let rule = violation.rule;
    let rule_id = violation.id();
    let waived = violation.waived_by;
    let severity = FindingSeverity {
        label: severity_label(rule.severity()),
        original: rule.severity().name(),
    };
    let mut types = vec![POLICY_TYPE];
    if waived.is_none() && rule.action() == Action::Deny {
        types.push(VIOLATION_TYPE);
    }
    let updated_at = asff_time(settings.updated_at);
    // A finding is created when its session starts: a re-run then updates it with the same
    // `CreatedAt`, as Security Hub expects of an update.
    let start = result.start.filter(|start| *start <= settings.updated_at);
    let fingerprint = fingerprint(result, violation);
    let note = waived.map(|exception| {
        let mut text = format!(
            "Waived by exception {}: {}",
            exception.id(),
            exception.reason()
        );
        if let Some(approver) = exception.approved_by() {
            text.push_str(&format!("; approved by {approver}"));
        }
        if let Some(expires) = exception.expires() {
            text.push_str(&format!("; expires {expires}"));
        }
        Note {
            text: fit(&text, NOTE_MAX),
            updated_by: NOTE_AUTHOR,
            updated_at: updated_at.clone(),
        }
    });
    Some(Finding {
        schema_version: SCHEMA_VERSION,
        product_arn: format!(
            "arn:{partition}:securityhub:{region}:{account}:product/{account}/default"
        ),
        product_name: PRODUCT_NAME,
        generator_id: fit(rule_id, ID_MAX),
        region: region.to_owned(),
        types: types.clone(),
        first_observed_at: start.map(asff_time),
        created_at: start.map_or_else(|| updated_at.clone(), asff_time),
        updated_at,
        severity: severity.clone(),
        title: title(result, violation),
        description: description(result, violation),
        product_fields: product_fields(result, violation),
        resources: resources(result, settings, &account, &fingerprint),
        compliance: Compliance {
            status: match rule.action() {
                Action::Deny => "FAILED",
                Action::Warn => "WARNING",
            },
        },
        workflow: Workflow {
            status: if waived.is_some() {
                "SUPPRESSED"
            } else {
                "NEW"
            },
        },
        record_state: "ACTIVE",
        note,
        finding_provider_fields: FindingProviderFields { severity, types },
        aws_account_id: account,
        id: fingerprint,
    })
}

/// What the rule asks, on what: `Sessions carry a Reason (i-0123…)`.
fn title(result: &RecordResult<'_>, violation: &Violation<'_>) -> String {
    let what = violation
        .rule
        .description()
        .map(first_sentence)
        .filter(|sentence| !sentence.trim().is_empty())
        .unwrap_or_else(|| violation.id().to_owned());
    let on = result
        .target
        .as_deref()
        .or(result.session_id.as_deref())
        .filter(|text| !text.trim().is_empty());
    match on {
        Some(on) => fit(&format!("{what} ({on})"), TITLE_MAX),
        None => fit(&what, TITLE_MAX),
    }
}

/// The message, then the rule, the session, the failing field and any waiver, on one line.
fn description(result: &RecordResult<'_>, violation: &Violation<'_>) -> String {
    let rule = violation.rule;
    let mut parts = Vec::new();
    let message = violation.message.trim();
    parts.push(if message.is_empty() {
        format!("The session breaks {}.", violation.id())
    } else {
        end_sentence(message)
    });
    let mut rule_part = format!(
        "Rule {} (severity {}, action {})",
        violation.id(),
        rule.severity(),
        rule.action()
    );
    if let Some(description) = rule.description().filter(|d| !d.trim().is_empty()) {
        rule_part.push_str(": ");
        rule_part.push_str(description.trim());
    }
    parts.push(end_sentence(&rule_part));
    let mut session = format!(
        "Session {}",
        result.session_id.as_deref().unwrap_or("(no SessionId)")
    );
    if let Some(target) = &result.target {
        session.push_str(&format!(" on {target}"));
    }
    if let Some(owner) = &result.owner {
        session.push_str(&format!(" by {owner}"));
    }
    if let Some(start) = result.start {
        session.push_str(&format!(", started {start}"));
    }
    session.push_str(&format!(", decision {}", result.evaluation.decision));
    parts.push(end_sentence(&session));
    parts.push(end_sentence(&format!(
        "{} is {}, expected {}",
        violation.field.name(),
        violation.actual,
        violation.expected
    )));
    if let Some(exception) = violation.waived_by {
        parts.push(end_sentence(&format!(
            "Waived by exception {}: {}",
            exception.id(),
            exception.reason()
        )));
    }
    fit(&parts.join(" "), DESCRIPTION_MAX)
}

fn end_sentence(text: &str) -> String {
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// ssm-guard's own fields, for filters and automation rules in Security Hub.
fn product_fields(
    result: &RecordResult<'_>,
    violation: &Violation<'_>,
) -> BTreeMap<&'static str, String> {
    let mut fields = BTreeMap::new();
    let mut put = |key: &'static str, value: &str| {
        if !value.trim().is_empty() {
            fields.insert(key, fit(value, PRODUCT_FIELD_VALUE_MAX));
        }
    };
    put("ssm-guard/Version", env!("CARGO_PKG_VERSION"));
    put("ssm-guard/Policy", violation.policy.id());
    put("ssm-guard/Rule", violation.rule.id());
    put("ssm-guard/Action", violation.rule.action().name());
    put("ssm-guard/Decision", result.evaluation.decision.name());
    put("ssm-guard/Field", violation.field.name());
    put("ssm-guard/Expected", &violation.expected);
    put("ssm-guard/Actual", &violation.actual.to_string());
    put(
        "ssm-guard/SessionId",
        result.session_id.as_deref().unwrap_or(""),
    );
    put("ssm-guard/Target", result.target.as_deref().unwrap_or(""));
    put("ssm-guard/Owner", result.owner.as_deref().unwrap_or(""));
    if let Some(exception) = violation.waived_by {
        put("ssm-guard/WaivedBy", exception.id());
        put("ssm-guard/WaiverReason", exception.reason());
    }
    fields
}

/// The target (an EC2 instance, a managed node, an ECS task, or what the record names) and the
/// session, by ARN where one can be built.
fn resources(
    result: &RecordResult<'_>,
    settings: &AsffSettings,
    account: &str,
    fingerprint: &str,
) -> Vec<Resource> {
    let partition = settings.partition();
    let region = settings.region.as_str();
    // The resource `Partition` member takes only these three.
    let member_partition =
        matches!(partition, "aws" | "aws-cn" | "aws-us-gov").then_some(partition);
    let resource = |kind, id: String, role, other: BTreeMap<&'static str, String>| Resource {
        kind,
        id: fit(&id, ID_MAX),
        partition: member_partition,
        region: region.to_owned(),
        resource_role: role,
        details: (!other.is_empty()).then_some(ResourceDetails { other }),
    };
    let mut resources = Vec::with_capacity(2);
    if let Some(target) = result.target.as_deref().filter(|t| !t.trim().is_empty()) {
        let mut other = BTreeMap::new();
        other.insert("Target", fit(target, DETAIL_VALUE_MAX));
        let (kind, id) = match parse_target(target) {
            Target::Instance(id) => (
                "AwsEc2Instance",
                format!("arn:{partition}:ec2:{region}:{account}:instance/{id}"),
            ),
            Target::ManagedNode(id) => (
                "Other",
                format!("arn:{partition}:ssm:{region}:{account}:managed-instance/{id}"),
            ),
            Target::EcsTask { cluster, task } => (
                "AwsEcsTask",
                format!("arn:{partition}:ecs:{region}:{account}:task/{cluster}/{task}"),
            ),
            Target::Other => ("Other", target.to_owned()),
        };
        resources.push(resource(kind, id, Some("Target"), other));
    }
    let mut other = BTreeMap::new();
    let mut detail = |key, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            other.insert(key, fit(&value, DETAIL_VALUE_MAX));
        }
    };
    detail("SessionId", result.session_id.clone());
    detail("Target", result.target.clone());
    detail("Owner", result.owner.clone());
    detail("StartDate", result.start.map(|start| start.to_string()));
    let id = match result
        .session_id
        .as_deref()
        .filter(|id| !id.trim().is_empty())
    {
        Some(session) => format!("arn:{partition}:ssm:{region}:{account}:session/{session}"),
        // Without an id the session is named by the finding, which is stable.
        None => format!("ssm-guard:session-without-id/{fingerprint}"),
    };
    resources.push(resource("Other", id, None, other));
    resources
}

/// What a session's `Target` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// `i-0123456789abcdef0`: an EC2 instance.
    Instance(&'a str),
    /// `mi-0123456789abcdef0`: a managed node outside EC2 (hybrid activation).
    ManagedNode(&'a str),
    /// `ecs:<cluster>_<task id>_<runtime id>`: a container of an ECS task.
    EcsTask { cluster: &'a str, task: &'a str },
    /// Anything else.
    Other,
}

/// Reads a `Target`. Cluster names may hold `_`, task and runtime ids do not, so an ECS
/// target is split at its last two `_`.
pub fn parse_target(target: &str) -> Target<'_> {
    let hex_id = |id: &str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(id) = target.strip_prefix("i-")
        && hex_id(id)
    {
        return Target::Instance(target);
    }
    if let Some(id) = target.strip_prefix("mi-")
        && hex_id(id)
    {
        return Target::ManagedNode(target);
    }
    if let Some(rest) = target.strip_prefix("ecs:")
        && let Some((head, runtime)) = rest.rsplit_once('_')
        && let Some((cluster, task)) = head.rsplit_once('_')
        && !cluster.is_empty()
        && !runtime.is_empty()
        && hex_id(task)
        && cluster
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Target::EcsTask { cluster, task };
    }
    Target::Other
}

/// `text` on one line (control characters become spaces, runs of whitespace one space), cut
/// to at most `max` characters with `…` where it was cut; never empty.
pub fn fit(text: &str, max: usize) -> String {
    let line = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if line.is_empty() {
        return "-".to_owned();
    }
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_as_instances_nodes_and_tasks() {
        assert_eq!(
            parse_target("i-0123456789abcdef0"),
            Target::Instance("i-0123456789abcdef0")
        );
        assert_eq!(
            parse_target("mi-0a1b2c3d4e5f60718"),
            Target::ManagedNode("mi-0a1b2c3d4e5f60718")
        );
        assert_eq!(
            parse_target(
                "ecs:my_cluster-prod_8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f_8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f-3391045521"
            ),
            Target::EcsTask {
                cluster: "my_cluster-prod",
                task: "8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
            }
        );
        for other in [
            "i-",
            "i-xyz",
            "ecs:",
            "ecs:_a_b",
            "ecs:c_task-x_r",
            "host.example.org",
        ] {
            assert_eq!(parse_target(other), Target::Other, "{other}");
        }
    }

    #[test]
    fn texts_fit_on_one_line_within_their_limit() {
        assert_eq!(fit("a\nb\t c\u{7}d", 100), "a b c d");
        assert_eq!(fit("  \n ", 10), "-");
        let long = "é".repeat(300);
        let cut = fit(&long, 256);
        assert_eq!(cut.chars().count(), 256);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn times_are_utc_with_milliseconds() {
        let instant = Timestamp::parse("2026-03-08T01:52:10.204567-05:00")
            .unwrap_or_else(|_| unreachable!("a valid timestamp"));
        assert_eq!(asff_time(instant), "2026-03-08T06:52:10.204Z");
        assert_eq!(
            asff_time(Timestamp::from_micros(-1)),
            "1969-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn regions_give_partitions() {
        assert_eq!(partition_of("eu-west-1"), "aws");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert!(is_region("us-gov-west-1") && is_region("eu-central-2"));
        assert!(!is_region("EU-west-1") && !is_region("eu-west") && !is_region("x"));
        assert!(is_account("210987654321") && !is_account("21098765432a"));
    }
}
