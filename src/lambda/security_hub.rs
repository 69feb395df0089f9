//! Security Hub from the Lambda function: with `SSM_GUARD_SECURITY_HUB=on`, the findings of
//! every session the policies deny (in either mode) are sent with `BatchImportFindings`, the
//! same findings `ssm-guard check --format asff` writes, in calls of at most 100.
//!
//! Sending is a report, never part of the decision: a Security Hub error, a finding it
//! rejects, or a call still unanswered when the invocation's time runs out is logged (one line
//! per rejected finding) and the answer stays what the gate decided. Findings carry no secret
//! of the event: they are redacted like the log line and the answer.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Compliance, ComplianceStatus, FindingProviderFields,
    FindingProviderSeverity, Note, Partition, RecordState, Resource, ResourceDetails, Severity,
    SeverityLabel, Workflow, WorkflowStatus,
};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use serde_json::{Value, json};

use crate::Timestamp;
use crate::check::RecordResult;
use crate::hook::{Gate, HookDecision};
use crate::model::{Field, ParsedRecord, Read, parse_event};
use crate::report::asff::{self, AsffSettings, Finding, MAX_BATCH};

/// `on` (or `true`, `1`, `yes`) sends findings; unset, empty, `off` (`false`, `0`, `no`) does not.
pub const SECURITY_HUB_ENV: &str = "SSM_GUARD_SECURITY_HUB";

/// Reads the setting's value; the text back when it is neither on nor off.
pub fn enabled(value: Option<&str>) -> Result<bool, String> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "off" | "false" | "0" | "no") => Ok(false),
        Some("on" | "true" | "1" | "yes") => Ok(true),
        Some(_) => Err(value.unwrap_or_default().to_owned()),
    }
}

/// A Security Hub client and the region its findings name.
#[derive(Debug, Clone)]
pub struct SecurityHub {
    client: aws_sdk_securityhub::Client,
    region: String,
}

/// What sending the findings of one decision did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Import {
    /// Findings built for the session.
    pub findings: usize,
    /// Findings Security Hub took.
    pub imported: usize,
    /// Findings it rejected, each with its `Id`, error code and message.
    pub rejected: Vec<(String, String, String)>,
    /// Violations left out because no account is known for them.
    pub unattributed: usize,
    /// Why a call failed as a whole (its findings are not imported).
    pub error: Option<String>,
}

impl SecurityHub {
    /// The client of the environment's configuration (`AWS_REGION`,
    /// `AWS_ENDPOINT_URL_SECURITYHUB`, credentials), or `None` when the setting is off.
    /// Timeouts are its own: an import comes after the termination and must leave the
    /// invocation time to answer.
    pub async fn from_env() -> Result<Option<Self>, String> {
        let value = std::env::var(SECURITY_HUB_ENV).ok();
        if !enabled(value.as_deref())
            .map_err(|text| format!("`{SECURITY_HUB_ENV}` is `{text}`, expected `on` or `off`"))?
        {
            return Ok(None);
        }
        // rustls with ring: see Cargo.toml for why not the SDK's default TLS.
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(Duration::from_secs(5))
            .operation_timeout(Duration::from_secs(10))
            .build();
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client)
            .timeout_config(timeouts)
            .load()
            .await;
        let Some(region) = config.region().map(|region| region.to_string()) else {
            return Err(format!(
                "`{SECURITY_HUB_ENV}` is on but no region is set (AWS_REGION)"
            ));
        };
        Ok(Some(Self {
            client: aws_sdk_securityhub::Client::new(&config),
            region,
        }))
    }

    /// Sends the findings of `decision`'s session when the policies deny it, within `budget`;
    /// `None` when there is nothing to send.
    pub async fn report(
        &self,
        gate: &Gate,
        decision: &HookDecision,
        event: &[u8],
        now: Timestamp,
        secrets: &[String],
        budget: Option<Duration>,
    ) -> Option<Import> {
        let settings = AsffSettings::new(self.region.clone(), now);
        let (findings, unattributed) = findings_of(gate, decision, event, &settings, secrets)?;
        let mut import = Import {
            findings: findings.len(),
            unattributed,
            ..Import::default()
        };
        let send = self.send(findings, &mut import);
        match budget {
            Some(budget) => {
                if tokio::time::timeout(budget, send).await.is_err() {
                    import.error = Some(format!(
                        "the invocation's time budget ({} ms) ran out before Security Hub answered",
                        budget.as_millis()
                    ));
                }
            }
            None => send.await,
        }
        Some(import)
    }

    async fn send(&self, findings: Vec<Finding>, import: &mut Import) {
        let mut findings = findings.into_iter().peekable();
        while findings.peek().is_some() {
            let batch: Vec<Finding> = findings.by_ref().take(MAX_BATCH).collect();
            let ids: Vec<String> = batch.iter().map(|f| f.id.clone()).collect();
            let typed: Vec<AwsSecurityFinding> = batch.into_iter().map(sdk_finding).collect();
            match self
                .client
                .batch_import_findings()
                .set_findings(Some(typed))
                .send()
                .await
            {
                Ok(output) => {
                    let rejected: Vec<(String, String, String)> = output
                        .failed_findings()
                        .iter()
                        .map(|failure| {
                            (
                                failure.id().unwrap_or_default().to_owned(),
                                failure.error_code().unwrap_or_default().to_owned(),
                                failure.error_message().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect();
                    import.imported += ids.len().saturating_sub(rejected.len());
                    import.rejected.extend(rejected);
                }
                Err(error) => {
                    import.error =
                        Some(aws_sdk_securityhub::error::DisplayErrorContext(&error).to_string());
                    return;
                }
            }
        }
    }
}

/// The findings of a session the policies deny (unwaived violations that deny, whatever the
/// mode), with the event's secrets redacted, and how many violations had no account; `None`
/// for any other decision.
pub fn findings_of(
    gate: &Gate,
    decision: &HookDecision,
    event: &[u8],
    settings: &AsffSettings,
    secrets: &[String],
) -> Option<(Vec<Finding>, usize)> {
    if !decision.evaluated || decision.violations.is_empty() {
        return None;
    }
    let set = gate.policies()?;
    let Ok((_, ParsedRecord::Session(session))) = parse_event(event) else {
        return None;
    };
    // The same evaluation as the gate's (same set, same instant), kept typed this time.
    let evaluation = set.evaluate(&session, settings.updated_at);
    let text = |field| match session.text(field) {
        Read::Value(text) => Some(text.to_owned()),
        _ => None,
    };
    let result = RecordResult {
        source: "event".into(),
        record: 1,
        line: 1,
        session_id: text(Field::SessionId),
        target: text(Field::Target),
        owner: text(Field::Owner),
        start: match session.instant(Field::StartDate) {
            Read::Value(start) => Some(start),
            _ => None,
        },
        evaluation,
        baseline: None,
    };
    let mut findings = Vec::new();
    let mut unattributed = 0;
    for violation in &result.evaluation.violations {
        match asff::finding(&result, violation, settings) {
            Some(mut finding) => {
                finding.edit_texts(|text| redact_text(text, secrets));
                findings.push(finding);
            }
            None => unattributed += 1,
        }
    }
    Some((findings, unattributed))
}

fn redact_text(text: &mut String, secrets: &[String]) {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), super::redact::REDACTED);
        }
    }
}

/// The SDK's form of a finding: every member of [`Finding`] (destructured, so that a member
/// added there must be added here). The SDK's builders check no required member; the
/// reporter's tests and the botocore validation of what the SDK sends do.
fn sdk_finding(finding: Finding) -> AwsSecurityFinding {
    let Finding {
        schema_version,
        id,
        product_arn,
        product_name,
        generator_id,
        aws_account_id,
        region,
        types,
        first_observed_at,
        created_at,
        updated_at,
        severity,
        title,
        description,
        product_fields,
        resources,
        compliance,
        workflow,
        record_state,
        note,
        finding_provider_fields,
    } = finding;
    let resources = resources.into_iter().map(sdk_resource).collect();
    let note = note.map(|note| {
        Note::builder()
            .text(note.text)
            .updated_by(note.updated_by)
            .updated_at(note.updated_at)
            .build()
    });
    let provider_severity = FindingProviderSeverity::builder()
        .label(SeverityLabel::from(finding_provider_fields.severity.label))
        .original(finding_provider_fields.severity.original)
        .build();
    let provider = FindingProviderFields::builder()
        .severity(provider_severity)
        .set_types(Some(
            finding_provider_fields
                .types
                .into_iter()
                .map(str::to_owned)
                .collect(),
        ))
        .build();
    AwsSecurityFinding::builder()
        .schema_version(schema_version)
        .id(id)
        .product_arn(product_arn)
        .product_name(product_name)
        .generator_id(generator_id)
        .aws_account_id(aws_account_id)
        .region(region)
        .set_types(Some(types.into_iter().map(str::to_owned).collect()))
        .set_first_observed_at(first_observed_at)
        .created_at(created_at)
        .updated_at(updated_at)
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(severity.label))
                .original(severity.original)
                .build(),
        )
        .title(title)
        .description(description)
        .set_product_fields(Some(
            product_fields
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect(),
        ))
        .set_resources(Some(resources))
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::from(compliance.status))
                .build(),
        )
        .workflow(
            Workflow::builder()
                .status(WorkflowStatus::from(workflow.status))
                .build(),
        )
        .record_state(RecordState::from(record_state))
        .set_note(note)
        .finding_provider_fields(provider)
        .build()
}

fn sdk_resource(resource: asff::Resource) -> Resource {
    let asff::Resource {
        kind,
        id,
        partition,
        region,
        resource_role,
        details,
    } = resource;
    Resource::builder()
        .r#type(kind)
        .id(id)
        .set_partition(partition.map(Partition::from))
        .region(region)
        .set_resource_role(resource_role.map(str::to_owned))
        .set_details(details.map(|details| {
            ResourceDetails::builder()
                .set_other(Some(
                    details
                        .other
                        .into_iter()
                        .map(|(key, value)| (key.to_owned(), value))
                        .collect(),
                ))
                .build()
        }))
        .build()
}

/// Adds what sending did to the decision's log line, and returns one log line per rejected
/// finding.
pub fn annotate(line: &mut Value, import: &Import) -> Vec<Value> {
    if let Some(map) = line.as_object_mut() {
        let mut value = json!({
            "findings": import.findings,
            "imported": import.imported,
            "rejected": import.rejected.len(),
        });
        if let Some(object) = value.as_object_mut() {
            if import.unattributed > 0 {
                object.insert("unattributed".to_owned(), json!(import.unattributed));
            }
            if let Some(error) = &import.error {
                object.insert("error".to_owned(), json!(error));
            }
        }
        map.insert("security_hub".to_owned(), value);
    }
    import
        .rejected
        .iter()
        .map(|(id, code, message)| {
            json!({
                "level": "error",
                "message": "Security Hub rejected a finding",
                "finding_id": id,
                "error_code": code,
                "error_message": message,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::SourceMap;
    use crate::hook::Mode;

    #[test]
    fn the_setting_is_on_or_off() {
        assert_eq!(enabled(None), Ok(false));
        assert_eq!(enabled(Some(" ")), Ok(false));
        assert_eq!(enabled(Some("OFF")), Ok(false));
        assert_eq!(enabled(Some("on")), Ok(true));
        assert_eq!(enabled(Some("True")), Ok(true));
        assert_eq!(enabled(Some("sometimes")), Err("sometimes".to_owned()));
    }

    const EVENT: &[u8] = br#"{"source": "aws.ssm", "detail-type": "AWS API Call via CloudTrail",
        "detail": {"eventSource": "ssm.amazonaws.com", "eventName": "StartSession",
        "eventTime": "2026-03-10T13:15:30Z",
        "userIdentity": {"arn": "arn:aws:sts::210987654321:assumed-role/Dev/ana"},
        "requestParameters": {"target": "i-0123456789abcdef0", "reason": "see wss://stream/s-1"},
        "responseElements": {"sessionId": "s-1", "tokenValue": "tok-1", "streamUrl": "wss://stream/s-1"}}}"#;

    fn gate(mode: Mode) -> Gate {
        let mut sources = SourceMap::new();
        sources.add(
            "p.yaml",
            "policy: p\nrules:\n  - id: r\n    require: { Reason: { equals: x } }\n    message: \"{Reason}\"\n  - id: w\n    action: warn\n    require: { Reason: { equals: x } }\n",
        );
        Gate::new(crate::compile(&sources, now()).unwrap().set, mode)
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-03-10T13:20:00Z").unwrap()
    }

    #[test]
    fn denied_sessions_give_redacted_findings_in_either_mode() {
        let secrets = super::super::redact::secrets_of(EVENT);
        for mode in [Mode::Enforce, Mode::Audit] {
            let gate = gate(mode);
            let decision = gate.decide(EVENT, now());
            let settings = AsffSettings::new("eu-west-1", now());
            let (findings, unattributed) =
                findings_of(&gate, &decision, EVENT, &settings, &secrets).unwrap();
            assert_eq!(unattributed, 0);
            assert_eq!(
                findings.len(),
                2,
                "the deny and the warning of the denied session"
            );
            let text = serde_json::to_string(&findings).unwrap();
            assert!(
                !text.contains("wss://stream/s-1") && !text.contains("tok-1"),
                "{text}"
            );
            assert!(text.contains("[redacted]"));
            assert_eq!(findings[0].aws_account_id, "210987654321");
            assert_eq!(findings[0].created_at, "2026-03-10T13:15:30.000Z");
            let typed = sdk_finding(findings[0].clone());
            assert_eq!(typed.id(), Some(findings[0].id.as_str()));
            assert_eq!(typed.resources().len(), 2);
        }
    }

    #[test]
    fn allowed_and_unjudged_sessions_give_none() {
        let gate = gate(Mode::Enforce);
        let settings = AsffSettings::new("eu-west-1", now());
        let allowed = EVENT
            .to_vec()
            .into_iter()
            .map(char::from)
            .collect::<String>()
            .replace("see wss://stream/s-1", "x");
        let decision = gate.decide(allowed.as_bytes(), now());
        assert!(findings_of(&gate, &decision, allowed.as_bytes(), &settings, &[]).is_none());
        let broken = Gate::broken("boom", Mode::Enforce);
        let decision = broken.decide(EVENT, now());
        assert!(findings_of(&broken, &decision, EVENT, &settings, &[]).is_none());
    }
}
