//! `s3://` inputs, the Distributed Map shard handler and `merge`, against moto's S3 on
//! 127.0.0.1: what `check s3://...` gives equals `check` on the same files, CloudTrail's layout is
//! pruned by `--since`/`--until` without reading, a missing bucket and a corrupt object are input
//! errors, a prefix of more than one listing page is read whole and in order, and shards merged
//! equal one check.

#![cfg(feature = "aws")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod loopback;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use loopback::function::scratch_dir;
use loopback::moto::Moto;

const NOW: &str = "2026-03-13T21:30:00Z";
const TRAIL_ACCOUNT: &str = "111122223333";

fn example(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name),
    )
    .unwrap()
}

/// Runs `ssm-guard ARGS` in `dir` in a clean environment pointed at moto.
fn ssm_guard(moto: &Moto, dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ssm-guard"));
    command
        .env_clear()
        .env("HOME", dir)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null());
    moto.configure(&mut command);
    command.output().unwrap()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Files put both in the bucket `bucket` under `prefix` and in a local folder of the same
/// relative paths; returns the folder.
fn put_both(
    moto: &Moto,
    bucket: &str,
    prefix: &str,
    files: &[(&str, Vec<u8>)],
) -> std::path::PathBuf {
    let dir = scratch_dir("s3-local");
    let mut objects = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(prefix).join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        objects.push(json!([
            format!("{prefix}{name}"),
            path.display().to_string()
        ]));
    }
    moto.python(&format!(
        "s3 = client('s3')\n\
         try:\n    s3.create_bucket(Bucket={bucket:?})\nexcept s3.exceptions.BucketAlreadyOwnedByYou:\n    pass\n\
         for key, path in json.loads({objects:?}):\n    s3.put_object(Bucket={bucket:?}, Key=key, Body=open(path, 'rb').read())\n",
        objects = Value::from(objects).to_string(),
    ));
    dir
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A report with every `s3://bucket/` made relative, to compare with the local run.
fn relative(text: &str, bucket: &str) -> String {
    text.replace(&format!("s3://{bucket}/"), "")
}

/// Exports of every shape, gzip by content (a `.json` name that is gzip and the reverse),
/// in more objects than are fetched at once, and a folder marker.
fn exports() -> Vec<(&'static str, Vec<u8>)> {
    let sessions = example("sessions.json");
    let mut files = vec![
        ("a/sessions.json", sessions.clone()),
        ("a/sessions.jsonl", example("sessions.jsonl")),
        ("b/gzip-named-json.json", gzip(&sessions)),
        ("b/cloudtrail.json.gz", gzip(&example("cloudtrail.json"))),
    ];
    for n in 0..20 {
        let name: &'static str = Box::leak(format!("c/{n:02}.json").into_boxed_str());
        files.push((name, sessions.clone()));
    }
    files
}

#[test]
fn check_of_a_prefix_gives_what_check_gives_on_the_same_files() {
    let moto = Moto::start();
    let files = exports();
    let dir = put_both(&moto, "exports", "daily/", &files);
    let mut local: Vec<String> = files
        .iter()
        .map(|(name, _)| format!("daily/{name}"))
        .collect();
    local.sort();
    for format in ["json", "sarif", "text"] {
        let from_s3 = ssm_guard(
            &moto,
            &dir,
            &[
                "check",
                "--now",
                NOW,
                "--format",
                format,
                "s3://exports/daily/",
            ],
        );
        let mut args = vec!["check", "--now", NOW, "--format", format];
        args.extend(local.iter().map(String::as_str));
        let from_files = ssm_guard(&moto, &dir, &args);
        assert_eq!(from_s3.status.code(), from_files.status.code(), "{format}");
        assert_eq!(
            relative(&String::from_utf8_lossy(&from_s3.stdout), "exports"),
            String::from_utf8_lossy(&from_files.stdout),
            "{format}\nstderr: {}",
            String::from_utf8_lossy(&from_s3.stderr)
        );
    }
    let report = json_of(&ssm_guard(
        &moto,
        &dir,
        &[
            "check",
            "--now",
            NOW,
            "--format",
            "json",
            "s3://exports/daily/",
        ],
    ));
    assert_eq!(report["summary"]["inputs"], files.len());
    assert_eq!(
        report["results"][0]["source"],
        "s3://exports/daily/a/sessions.json"
    );
}

#[test]
fn since_and_until_skip_cloudtrail_days_outside_them_without_reading_them() {
    let moto = Moto::start();
    let trail = gzip(&example("cloudtrail.json"));
    let key = |day: &str| {
        format!(
            "AWSLogs/o-a1b2c3d4e5/{TRAIL_ACCOUNT}/CloudTrail/us-east-1/2026/03/{day}/{TRAIL_ACCOUNT}_CloudTrail_us-east-1_202603{day}T0000Z_x.json.gz"
        )
    };
    // The days outside the range hold no JSON: read, they would be input errors.
    let files: Vec<(String, Vec<u8>)> = vec![
        (key("01"), b"not json".to_vec()),
        (key("02"), trail.clone()),
        (key("03"), trail.clone()),
        (key("04"), b"not json".to_vec()),
    ];
    let borrowed: Vec<(&str, Vec<u8>)> =
        files.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let dir = put_both(&moto, "org-trail", "", &borrowed);
    let output = ssm_guard(
        &moto,
        &dir,
        &[
            "check",
            "--now",
            NOW,
            "--format",
            "json",
            "--since",
            "2026-03-02",
            "--until",
            "2026-03-03",
            "s3://org-trail/AWSLogs/",
        ],
    );
    let report = json_of(&output);
    assert_eq!(report["errors"], json!([]), "{report}");
    assert_eq!(report["summary"]["inputs"], 2);
    let local = ssm_guard(
        &moto,
        &dir,
        &[
            "check",
            "--now",
            NOW,
            "--format",
            "json",
            &key("02"),
            &key("03"),
        ],
    );
    assert_eq!(
        relative(&report.to_string(), "org-trail"),
        json_of(&local).to_string()
    );
    // Without the dates every day is read, and the two that are not JSON are input errors.
    let all = ssm_guard(
        &moto,
        &dir,
        &[
            "check",
            "--now",
            NOW,
            "--format",
            "json",
            "s3://org-trail/AWSLogs/",
        ],
    );
    assert_eq!(all.status.code(), Some(3));
    assert_eq!(json_of(&all)["errors"].as_array().unwrap().len(), 2);
}

#[test]
fn a_missing_bucket_and_a_corrupt_object_are_input_errors_and_the_rest_is_read() {
    let moto = Moto::start();
    let mut corrupt = gzip(&example("sessions.json"));
    corrupt.truncate(corrupt.len() / 2);
    let files = vec![
        ("x/1.json", example("sessions.json")),
        ("x/2-corrupt.json.gz", corrupt),
        ("x/3.json", example("sessions.json")),
    ];
    let dir = put_both(&moto, "exports", "", &files);
    let output = ssm_guard(
        &moto,
        &dir,
        &[
            "check",
            "--now",
            NOW,
            "--format",
            "json",
            "s3://no-such-bucket/x/",
            "s3://exports/x/",
        ],
    );
    assert_eq!(output.status.code(), Some(3));
    let report = json_of(&output);
    let errors = report["errors"].as_array().unwrap();
    let sources: Vec<&str> = errors
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        ["s3://no-such-bucket/x/", "s3://exports/x/2-corrupt.json.gz"],
        "{errors:?}"
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("NoSuchBucket"),
        "{errors:?}"
    );
    let read: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert!(read.contains(&"s3://exports/x/1.json") && read.contains(&"s3://exports/x/3.json"));
    assert_eq!(report["summary"]["inputs"], 4);
}

#[test]
fn a_prefix_of_more_objects_than_one_listing_page_is_read_whole_in_key_order() {
    let moto = Moto::start();
    // ListObjectsV2 gives at most 1,000 keys a page: 1,205 objects take two pages, and a
    // folder marker and keys outside the prefix are in the same bucket.
    let objects = 1_205;
    moto.python(&format!(
        "s3 = client('s3')\n\
         s3.create_bucket(Bucket='many')\n\
         s3.put_object(Bucket='many', Key='p/', Body=b'')\n\
         s3.put_object(Bucket='many', Key='q/outside.json', Body=b'not json')\n\
         for n in range({objects}):\n    \
             body = json.dumps({{'SessionId': 'user-%05d' % n, 'Target': 'i-0123456789abcdef0', 'Status': 'Terminated', 'StartDate': 1773150011.204, 'Owner': 'arn:aws:iam::111122223333:user/u'}})\n    \
             s3.put_object(Bucket='many', Key='p/%05d.json' % n, Body=body.encode())\n"
    ));
    let dir = scratch_dir("s3-many");
    let output = ssm_guard(
        &moto,
        &dir,
        &["check", "--now", NOW, "--format", "json", "s3://many/p/"],
    );
    let report = json_of(&output);
    assert_eq!(report["errors"], json!([]), "{report}");
    assert_eq!(report["summary"]["inputs"], objects);
    let sources: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..objects)
        .map(|n| format!("s3://many/p/{n:05}.json"))
        .collect();
    assert_eq!(sources, expected);
}

#[cfg(feature = "lambda")]
mod shards {
    use super::*;
    use loopback::function::{Binary, run_lambda};
    use loopback::runtime_api::Outcome;
    use loopback::ssm::SsmSetup;

    /// The keys of `bucket/prefix`, as the ItemReader lists them.
    fn keys(moto: &Moto, bucket: &str, prefix: &str) -> Vec<String> {
        let listed = moto.python(&format!(
            "keys = [o['Key'] for p in client('s3').get_paginator('list_objects_v2').paginate(Bucket={bucket:?}, Prefix={prefix:?}) for o in p.get('Contents', [])]\nprint(json.dumps(keys))"
        ));
        serde_json::from_str(&listed).unwrap()
    }

    fn get(moto: &Moto, bucket: &str, key: &str) -> String {
        moto.python(&format!(
            "import sys\nsys.stdout.write(client('s3').get_object(Bucket={bucket:?}, Key={key:?})['Body'].read().decode())"
        ))
    }

    #[test]
    fn shards_through_the_runtime_api_merge_into_the_reports_of_one_check() {
        let moto = Moto::start();
        let files = exports();
        let dir = put_both(&moto, "exports", "daily/", &files);
        moto.python("client('s3').create_bucket(Bucket='results')");
        let listed = keys(&moto, "exports", "daily/");
        // Batches as an ItemBatcher makes them, handed out of order.
        let batch = |keys: &[String]| {
            let items: Vec<Value> = keys
                .iter()
                .map(|k| json!({"Key": k, "Size": 1, "Etag": "\"x\"", "StorageClass": "STANDARD"}))
                .collect();
            serde_json::to_vec(&json!({"Items": items, "BatchInput": {"Bucket": "exports", "Results": "s3://results/run-1/", "Now": NOW}})).unwrap()
        };
        let merge = serde_json::to_vec(&json!({"Merge": {
            "Results": "s3://results/run-1/",
            "Outputs": {"json": "s3://results/reports/report.json", "sarif": "s3://results/reports/report.sarif"},
            "Now": NOW,
        }}))
        .unwrap();
        let events = vec![
            batch(&listed[10..]),
            batch(&listed[..4]),
            batch(&listed[4..10]),
            merge,
        ];
        let endpoint = moto.endpoint();
        let run = run_lambda(
            Binary::Bootstrap,
            &[
                ("AWS_ENDPOINT_URL_S3", &endpoint),
                ("AWS_REGION", "us-east-1"),
            ],
            &events,
            SsmSetup::default(),
        );
        let mut objects = 0;
        for n in 0..3 {
            let answer = run.answer(n);
            assert!(
                answer["result"]
                    .as_str()
                    .unwrap()
                    .starts_with("s3://results/run-1/shard-"),
                "{answer}"
            );
            objects += answer["inputs"].as_u64().unwrap();
        }
        assert_eq!(objects as usize, files.len());
        let merged = run.answer(3);
        assert_eq!(merged["inputs"], files.len(), "{merged}");

        let check = |format: &str| {
            let output = ssm_guard(
                &moto,
                &dir,
                &[
                    "check",
                    "--now",
                    NOW,
                    "--format",
                    format,
                    "s3://exports/daily/",
                ],
            );
            String::from_utf8(output.stdout).unwrap()
        };
        assert_eq!(get(&moto, "results", "reports/report.json"), check("json"));
        let sarif: Value =
            serde_json::from_str(&get(&moto, "results", "reports/report.sarif")).unwrap();
        let expected: Value = serde_json::from_str(&check("sarif")).unwrap();
        assert_eq!(sarif["runs"][0]["results"], expected["runs"][0]["results"]);
        assert!(
            !expected["runs"][0]["results"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        // The command merges the same result objects into the same reports, to a file and S3.
        for format in ["json", "sarif", "text", "junit", "html", "github", "jsonl"] {
            let output = ssm_guard(
                &moto,
                &dir,
                &["merge", "--format", format, "s3://results/run-1/"],
            );
            assert_eq!(
                String::from_utf8(output.stdout).unwrap(),
                check(format),
                "{format}"
            );
        }
        let output = ssm_guard(
            &moto,
            &dir,
            &[
                "merge",
                "--format",
                "text",
                "--output",
                "html=s3://results/reports/report.html",
                "s3://results/run-1/",
            ],
        );
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(get(&moto, "results", "reports/report.html").starts_with("<!DOCTYPE html>"));
    }

    #[test]
    fn a_batch_whose_results_cannot_be_written_fails_the_invocation() {
        let moto = Moto::start();
        let dir = put_both(
            &moto,
            "exports",
            "",
            &[("a.json", example("sessions.json"))],
        );
        let _ = dir;
        let event = serde_json::to_vec(&json!({"Items": [{"Key": "a.json", "Size": 1}], "BatchInput": {"Bucket": "exports", "Results": "s3://no-such-results/x/"}})).unwrap();
        let endpoint = moto.endpoint();
        let run = run_lambda(
            Binary::Bootstrap,
            &[
                ("AWS_ENDPOINT_URL_S3", &endpoint),
                ("AWS_REGION", "us-east-1"),
            ],
            &[event],
            SsmSetup::default(),
        );
        match &run.outcomes[0] {
            Some(Outcome::Error(body)) => assert!(body.contains("ResultNotWritten"), "{body}"),
            other => panic!("expected an error, got {other:?}\n{}", run.stdout),
        }
    }
}

/// The figures of `benches/README.md`: `check s3://` against moto relative to the same files
/// read locally, and records per second of one shard invocation. Run with
/// `cargo test --features lambda --test s3 figures -- --ignored --nocapture`.
#[cfg(feature = "lambda")]
#[test]
#[ignore = "a measurement, not a test: prints figures"]
fn figures() {
    use std::time::Instant;
    let moto = Moto::start();
    let record = example("sessions.jsonl");
    let body: Vec<u8> = record.repeat(40);
    let objects = 100;
    let files: Vec<(String, Vec<u8>)> = (0..objects)
        .map(|n| (format!("{n:03}.jsonl.gz"), gzip(&body)))
        .collect();
    let borrowed: Vec<(&str, Vec<u8>)> =
        files.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let dir = put_both(&moto, "bench", "p/", &borrowed);
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/five-rules.yaml");
    let best = |args: &[&str]| {
        (0..3)
            .map(|_| {
                let start = Instant::now();
                let output = ssm_guard(&moto, &dir, args);
                assert!(output.status.code().unwrap() <= 1);
                start.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    let mut local = vec!["check", "-p", policies, "--now", NOW, "--format", "jsonl"];
    let names: Vec<String> = files.iter().map(|(k, _)| format!("p/{k}")).collect();
    local.extend(names.iter().map(String::as_str));
    let local_s = best(&local);
    let s3_s = best(&[
        "check",
        "-p",
        policies,
        "--now",
        NOW,
        "--format",
        "jsonl",
        "s3://bench/p/",
    ]);
    let records = json_of(&ssm_guard(
        &moto,
        &dir,
        &[
            "check",
            "-p",
            policies,
            "--now",
            NOW,
            "--format",
            "json",
            "s3://bench/p/",
        ],
    ))["summary"]["records"]
        .as_u64()
        .unwrap();
    let mb = (body.len() * objects) as f64 / 1e6;
    println!("objects {objects}, records {records}, {mb:.1} MB of JSON");
    println!(
        "local: {local_s:.3} s ({:.0} records/s); s3://: {s3_s:.3} s ({:.0} records/s); ratio {:.2}",
        records as f64 / local_s,
        records as f64 / s3_s,
        local_s / s3_s
    );
    let keys: Vec<Value> = files
        .iter()
        .map(|(k, _)| json!({"Key": format!("p/{k}")}))
        .collect();
    moto.python("client('s3').create_bucket(Bucket='bench-results')");
    let event = serde_json::to_vec(&json!({"Items": keys, "BatchInput": {"Bucket": "bench", "Results": "s3://bench-results/r/", "Now": NOW}})).unwrap();
    let endpoint = moto.endpoint();
    let run = loopback::function::run_lambda(
        loopback::function::Binary::Bootstrap,
        &[
            ("AWS_ENDPOINT_URL_S3", &endpoint),
            ("AWS_REGION", "us-east-1"),
            ("SSM_GUARD_POLICIES", policies),
        ],
        &[event],
        loopback::ssm::SsmSetup::default(),
    );
    let answer = run.answer(0);
    let seconds = run.durations[0].unwrap().as_secs_f64();
    let shard_records = answer["records"].as_u64().unwrap();
    println!(
        "one shard invocation: {shard_records} records in {seconds:.3} s: {:.0} records/s",
        shard_records as f64 / seconds
    );
}
