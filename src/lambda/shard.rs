//! The function as the worker and the reducer of a Step Functions Distributed Map: a batch of
//! objects an `s3:listObjectsV2` ItemReader listed (`{"Items": [{"Key": ..}], "BatchInput":
//! {"Bucket": .., "Results": "s3://bucket/prefix/"}}`) is checked and written as one result
//! object under `Results`; `{"Merge": {"Results": .., "Outputs": {"sarif": "s3://.."}}}` merges
//! every result object under a prefix into reports, as `ssm-guard merge` does.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};

use flate2::Compression;
use flate2::write::GzEncoder;
use lambda_runtime::Diagnostic;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Timestamp;
use crate::aws::{DEFAULT_CONCURRENCY, S3Store, list_inputs, object_inputs};
use crate::check::{Checker, Summary};
use crate::input::{AwsSettings, InputSource, KeyDates, S3Uri};
use crate::merge::{ReportContext, ReportFormat, ResultWriter, Shard, merge, order, reporter};
use crate::policy::CompiledPolicySet;
use crate::report::{AsffSettings, Tee};

/// An invocation of the Distributed Map's kind.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum MapEvent {
    Batch {
        #[serde(rename = "Items")]
        items: Vec<Item>,
        #[serde(rename = "BatchInput")]
        batch: BatchInput,
    },
    Merge {
        #[serde(rename = "Merge")]
        merge: MergeInput,
    },
}

/// One object of the batch, as `listObjectsV2` lists it (`Etag`, `LastModified`, ... are not
/// needed).
#[derive(Debug, Deserialize)]
pub(super) struct Item {
    #[serde(rename = "Key")]
    key: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct BatchInput {
    #[serde(rename = "Bucket")]
    bucket: String,
    /// `s3://bucket/prefix/` under which the result object is written.
    #[serde(rename = "Results")]
    results: String,
    /// The evaluation time (RFC 3339), so that every shard of a run evaluates at one instant;
    /// default: the clock.
    #[serde(rename = "Now", default)]
    now: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct MergeInput {
    #[serde(rename = "Results")]
    results: String,
    /// Report format to `s3://` URI.
    #[serde(rename = "Outputs", default)]
    outputs: BTreeMap<String, String>,
    #[serde(rename = "Now", default)]
    now: Option<String>,
}

impl MapEvent {
    /// The event, when it is a batch or a merge; any other is the gate's.
    pub(super) fn of(bytes: &[u8]) -> Option<Self> {
        let value: Value = serde_json::from_slice(bytes).ok()?;
        let object = value.as_object()?;
        let batch = object.contains_key("Items") && object.contains_key("BatchInput");
        if !batch && !object.contains_key("Merge") {
            return None;
        }
        // A malformed batch is still a batch: it fails below, saying what is wrong.
        Some(
            serde_json::from_value(value.clone()).unwrap_or(MapEvent::Batch {
                items: Vec::new(),
                batch: BatchInput {
                    bucket: String::new(),
                    results: format!("<malformed: {value}>"),
                    now: None,
                },
            }),
        )
    }
}

fn failure(error_type: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        error_type: error_type.to_owned(),
        error_message: message.into(),
    }
}

fn evaluation_time(now: Option<&str>, fallback: Timestamp) -> Result<Timestamp, Diagnostic> {
    match now {
        Some(text) => Timestamp::parse(text)
            .map_err(|error| failure("InvalidEvent", format!("`Now` is `{text}`: {error}"))),
        None => Ok(fallback),
    }
}

/// Handles a batch or a merge with the function's policies; `None` policies (they did not
/// load) fail the invocation, so that the Map's tolerance and retries decide.
pub(super) async fn handle(
    set: Option<&CompiledPolicySet>,
    store: &S3Store,
    event: MapEvent,
    now: Timestamp,
) -> Result<Value, Diagnostic> {
    let Some(set) = set else {
        return Err(failure(
            "PoliciesNotLoaded",
            "the function's policies do not load (see its cold start log line): nothing was checked",
        ));
    };
    match event {
        MapEvent::Batch { items, batch } => check_batch(set, store, items, batch, now).await,
        MapEvent::Merge { merge } => merge_results(set, store, merge, now).await,
    }
}

async fn check_batch(
    set: &CompiledPolicySet,
    store: &S3Store,
    items: Vec<Item>,
    batch: BatchInput,
    now: Timestamp,
) -> Result<Value, Diagnostic> {
    let results = S3Uri::parse(&batch.results)
        .map_err(|error| failure("InvalidEvent", format!("`BatchInput.Results`: {error}")))?;
    if batch.bucket.is_empty() {
        return Err(failure("InvalidEvent", "`BatchInput.Bucket` is missing"));
    }
    let now = evaluation_time(batch.now.as_deref(), now)?;
    let keys: Vec<String> = items.into_iter().map(|item| item.key).collect();
    let name = result_name(&batch.bucket, &keys);
    let inputs = object_inputs(
        &batch.bucket,
        keys,
        &AwsSettings::default(),
        DEFAULT_CONCURRENCY,
    );
    // The objects are read by blocking readers: on a thread of their own, off this runtime.
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (summary, body) = std::thread::scope(|scope| {
        scope
            .spawn(|| check_to_result(set, now, jobs, &inputs))
            .join()
            .unwrap_or_else(|_| Err("the check stopped unexpectedly".to_owned()))
    })
    .map_err(|message| failure("CheckFailed", message))?;
    let target = results.object(&format!("{}{name}", directory(&results.key)));
    store
        .put(&target, body, "application/x-ndjson")
        .await
        .map_err(|error| failure("ResultNotWritten", format!("{target}: {error}")))?;
    Ok(counts(&summary, json!({"result": target.to_string()})))
}

/// `prefix/` for a prefix that names a folder without its slash.
fn directory(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_owned()
    } else {
        format!("{prefix}/")
    }
}

/// The result object's name: the same for the same batch, so that a retried batch overwrites
/// its own result rather than adding a second.
fn result_name(bucket: &str, keys: &[String]) -> String {
    let mut digest = Sha256::new();
    digest.update(bucket.as_bytes());
    for key in keys {
        digest.update([0x1f]);
        digest.update(key.as_bytes());
    }
    let hex: String = digest
        .finalize()
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("shard-{hex}.jsonl.gz")
}

fn check_to_result(
    set: &CompiledPolicySet,
    now: Timestamp,
    jobs: usize,
    inputs: &[InputSource],
) -> Result<(Summary, Vec<u8>), String> {
    // Buffered: serde_json writes a line in dozens of small pieces, and the gzip encoder
    // clears its 32 KiB output buffer on every write it is given. The fastest level: a result
    // object lives only until the merge reads it, and compressing was most of a shard's time.
    let out = BufWriter::with_capacity(64 * 1024, GzEncoder::new(Vec::new(), Compression::fast()));
    let mut writer = ResultWriter::new(out, set, now, inputs)
        .map_err(|error| format!("cannot write the result: {error}"))?;
    let summary = Checker::new(set, now, jobs)
        .run(inputs, &mut writer)
        .map_err(|error| format!("cannot write the result: {error}"))?;
    let body = writer
        .into_inner()
        .into_inner()
        .map_err(|error| format!("cannot write the result: {}", error.error()))?
        .finish()
        .map_err(|error| format!("cannot write the result: {error}"))?;
    Ok((summary, body))
}

/// The counts an answer carries, with `extra`'s members.
fn counts(summary: &Summary, extra: Value) -> Value {
    let mut answer = json!({
        "inputs": summary.inputs,
        "records": summary.records,
        "evaluated": summary.evaluated,
        "errors": summary.errors,
        "skipped_events": summary.skipped_events.values().sum::<u64>(),
        "decisions": summary.decisions,
        "violations": summary.violations,
        "waived": summary.waived,
    });
    if let (Some(map), Value::Object(extra)) = (answer.as_object_mut(), extra) {
        map.extend(extra);
    }
    answer
}

async fn merge_results(
    set: &CompiledPolicySet,
    store: &S3Store,
    input: MergeInput,
    now: Timestamp,
) -> Result<Value, Diagnostic> {
    let results = S3Uri::parse(&input.results)
        .map_err(|error| failure("InvalidEvent", format!("`Merge.Results`: {error}")))?;
    let mut outputs = Vec::new();
    for (format, uri) in &input.outputs {
        let format = format
            .parse::<ReportFormat>()
            .map_err(|error| failure("InvalidEvent", format!("`Merge.Outputs`: {error}")))?;
        let uri = S3Uri::parse(uri)
            .map_err(|error| failure("InvalidEvent", format!("`Merge.Outputs`: {error}")))?;
        outputs.push((format, uri));
    }
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_owned());
    let account = std::env::var("AWS_ACCOUNT_ID").ok();
    let pinned = input.now.as_deref();
    let formats: Vec<ReportFormat> = outputs.iter().map(|(format, _)| *format).collect();
    let (summary, bodies) = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let sources = list_inputs(
                    &results,
                    &AwsSettings::default(),
                    &KeyDates::default(),
                    DEFAULT_CONCURRENCY,
                );
                let mut shards: Vec<Shard> = sources.iter().map(Shard::read).collect();
                order(&mut shards);
                let now = match pinned {
                    Some(text) => Timestamp::parse(text).map_err(|error| error.to_string())?,
                    None => shards.iter().find_map(Shard::now).unwrap_or(now),
                };
                let mut asff = AsffSettings::new(region, now);
                if let Some(account) = account {
                    asff = asff.with_account(account);
                }
                write_reports(set, &shards, &formats, now, &asff)
            })
            .join()
            .unwrap_or_else(|_| Err("the merge stopped unexpectedly".to_owned()))
    })
    .map_err(|message| failure("MergeFailed", message))?;
    let mut written = serde_json::Map::new();
    for ((format, uri), body) in outputs.iter().zip(bodies) {
        store
            .put(uri, body, content_type(*format))
            .await
            .map_err(|error| failure("ReportNotWritten", format!("{uri}: {error}")))?;
        written.insert(format.name().to_owned(), json!(uri.to_string()));
    }
    Ok(counts(&summary, json!({"outputs": written})))
}

/// Merges `shards` into a report of each of `formats`, in one pass.
fn write_reports(
    set: &CompiledPolicySet,
    shards: &[Shard],
    formats: &[ReportFormat],
    now: Timestamp,
    asff: &AsffSettings,
) -> Result<(Summary, Vec<Vec<u8>>), String> {
    let context = ReportContext {
        set,
        sources: None,
        now,
        asff,
        color: false,
        unattributed: None,
    };
    let mut bodies: Vec<Vec<u8>> = formats.iter().map(|_| Vec::new()).collect();
    let identify_clean = formats.contains(&ReportFormat::Json);
    let summary = {
        let mut tee = Tee::new();
        for (format, body) in formats.iter().zip(bodies.iter_mut()) {
            let out: Box<dyn Write + '_> = Box::new(body);
            tee.add(format.name().to_owned(), reporter(*format, out, &context));
        }
        let summary = merge(set, shards, identify_clean, &mut tee)
            .map_err(|error| format!("cannot write the reports: {error}"))?;
        if let Some((label, error)) = tee.errors().next() {
            return Err(format!("cannot write the {label} report: {error}"));
        }
        summary
    };
    Ok((summary, bodies))
}

fn content_type(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Text | ReportFormat::Github => "text/plain; charset=utf-8",
        ReportFormat::Html => "text/html; charset=utf-8",
        ReportFormat::Junit => "application/xml",
        ReportFormat::Sarif => "application/sarif+json",
        ReportFormat::Jsonl | ReportFormat::AsffBatches => "application/x-ndjson",
        ReportFormat::Json | ReportFormat::Asff => "application/json",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn batches_and_merges_are_told_from_the_gate_events() {
        let batch = br#"{"Items": [{"Key": "a.json", "Size": 3}], "BatchInput": {"Bucket": "b", "Results": "s3://r/x/"}}"#;
        assert!(matches!(MapEvent::of(batch), Some(MapEvent::Batch { .. })));
        let merge =
            br#"{"Merge": {"Results": "s3://r/x/", "Outputs": {"sarif": "s3://r/o.sarif"}}}"#;
        assert!(matches!(MapEvent::of(merge), Some(MapEvent::Merge { .. })));
        assert!(MapEvent::of(br#"{"detail-type": "AWS API Call via CloudTrail"}"#).is_none());
        assert!(MapEvent::of(b"not json").is_none());
    }

    #[test]
    fn a_retried_batch_names_the_same_result() {
        let keys = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(result_name("b", &keys), result_name("b", &keys));
        assert_ne!(result_name("b", &keys), result_name("b", &keys[..1]));
    }
}
