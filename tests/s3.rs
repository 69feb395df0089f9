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

/// `ssm-guard check --now NOW --format FORMAT INPUTS...` in `dir`, pointed at moto.
fn check(moto: &Moto, dir: &Path, format: &str, inputs: &[&str]) -> Output {
    let mut args = vec!["check", "--now", NOW, "--format", format];
    args.extend_from_slice(inputs);
    ssm_guard(moto, dir, &args)
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
        let from_s3 = check(&moto, &dir, format, &["s3://exports/daily/"]);
        let local: Vec<&str> = local.iter().map(String::as_str).collect();
        let from_files = check(&moto, &dir, format, &local);
        assert_eq!(from_s3.status.code(), from_files.status.code(), "{format}");
        assert_eq!(
            relative(&String::from_utf8_lossy(&from_s3.stdout), "exports"),
            String::from_utf8_lossy(&from_files.stdout),
            "{format}\nstderr: {}",
            String::from_utf8_lossy(&from_s3.stderr)
        );
    }
    let report = json_of(&check(&moto, &dir, "json", &["s3://exports/daily/"]));
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
    let output = check(
        &moto,
        &dir,
        "json",
        &[
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
    let local = check(&moto, &dir, "json", &[&key("02"), &key("03")]);
    assert_eq!(
        relative(&report.to_string(), "org-trail"),
        json_of(&local).to_string()
    );
    // Without the dates every day is read, and the two that are not JSON are input errors.
    let all = check(&moto, &dir, "json", &["s3://org-trail/AWSLogs/"]);
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
    let output = check(
        &moto,
        &dir,
        "json",
        &["s3://no-such-bucket/x/", "s3://exports/x/"],
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
    let output = check(&moto, &dir, "json", &["s3://many/p/"]);
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

        let checked = |format: &str| {
            let output = check(&moto, &dir, format, &["s3://exports/daily/"]);
            String::from_utf8(output.stdout).unwrap()
        };
        assert_eq!(
            get(&moto, "results", "reports/report.json"),
            checked("json")
        );
        let sarif: Value =
            serde_json::from_str(&get(&moto, "results", "reports/report.sarif")).unwrap();
        let expected: Value = serde_json::from_str(&checked("sarif")).unwrap();
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
                checked(format),
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
/// read locally and to downloading the same objects with boto3 alone, and records per second
/// of one shard invocation. Run in release, on records from `examples/generate.rs`:
///
/// ```sh
/// cargo run --release --example generate -- 600000 > /tmp/sessions.jsonl
/// SSM_GUARD_FIGURES_JSONL=/tmp/sessions.jsonl \
///   cargo test --release --features lambda --test s3 figures -- --ignored --nocapture
/// ```
///
/// The records are cut into 300 gzip objects of CloudTrail-like sizes (from a few KB to a few
/// MB); the three ways of reading them take turns for five rounds, so that load on a shared
/// machine falls on them alike, and medians are printed.
#[cfg(feature = "lambda")]
#[test]
#[ignore = "a measurement, not a test: prints figures"]
fn figures() {
    use std::time::Instant;
    let moto = Moto::start();
    let records = match std::env::var_os("SSM_GUARD_FIGURES_JSONL") {
        Some(path) => std::fs::read(path).unwrap(),
        None => example("sessions.jsonl").repeat(4_000),
    };
    let lines: Vec<&[u8]> = records
        .split_inclusive(|&b| b == b'\n')
        .filter(|line| line.len() > 1)
        .collect();
    // Object sizes spread over two orders of magnitude (a deterministic log-uniform draw), as a
    // trail's five-minute files are small at night and large at peak.
    let objects = 300;
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let weights: Vec<f64> = (0..objects)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (100f64).powf((seed % 10_000) as f64 / 10_000.0)
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let (mut next, mut sum) = (0, 0.0);
    for (n, weight) in weights.iter().enumerate() {
        sum += weight;
        // Every object holds at least one record, and the last ends with the last record.
        let end = ((sum / total) * lines.len() as f64).round() as usize;
        let end = end.max(next + 1).min(lines.len() - (objects - n - 1));
        let body: Vec<u8> = lines[next..end].concat();
        next = end;
        files.push((format!("{n:03}.jsonl.gz"), gzip(&body)));
    }
    let gz: usize = files.iter().map(|(_, bytes)| bytes.len()).sum();
    let (smallest, largest) = files.iter().fold((usize::MAX, 0), |(lo, hi), (_, b)| {
        (lo.min(b.len()), hi.max(b.len()))
    });
    let dir = scratch_dir("s3-figures");
    for (name, bytes) in &files {
        std::fs::create_dir_all(dir.join("p")).unwrap();
        std::fs::write(dir.join("p").join(name), bytes).unwrap();
    }
    moto.python(&format!(
        "import os\nfrom concurrent.futures import ThreadPoolExecutor\n\
         s3 = client('s3')\ns3.create_bucket(Bucket='bench')\n\
         d = {dir:?}\n\
         def put(name):\n    s3.put_object(Bucket='bench', Key='p/' + name, Body=open(os.path.join(d, name), 'rb').read())\n\
         list(ThreadPoolExecutor(8).map(put, sorted(os.listdir(d))))\n",
        dir = dir.join("p").display().to_string(),
    ));
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/five-rules.yaml");
    let timed = |args: &[&str]| {
        let start = Instant::now();
        let output = ssm_guard(&moto, &dir, args);
        assert!(
            output.status.code().unwrap() <= 1,
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        start.elapsed().as_secs_f64()
    };
    let mut local = vec!["check", "-p", policies, "--now", NOW, "--format", "jsonl"];
    let names: Vec<String> = files.iter().map(|(k, _)| format!("p/{k}")).collect();
    local.extend(names.iter().map(String::as_str));
    let from_s3 = [
        "check",
        "-p",
        policies,
        "--now",
        NOW,
        "--format",
        "jsonl",
        "s3://bench/p/",
    ];
    // boto3 lists the prefix and downloads every body, 16 at once like `check`, and does
    // nothing with them: how fast moto's Python server hands the objects out.
    let download = "import time\nfrom concurrent.futures import ThreadPoolExecutor\n\
        s3 = client('s3')\nstart = time.perf_counter()\n\
        keys = [o['Key'] for p in s3.get_paginator('list_objects_v2').paginate(Bucket='bench', Prefix='p/') for o in p['Contents']]\n\
        sizes = list(ThreadPoolExecutor(16).map(lambda k: len(s3.get_object(Bucket='bench', Key=k)['Body'].read()), keys))\n\
        print(time.perf_counter() - start)\n";
    let (mut local_s, mut s3_s, mut boto_s) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        local_s.push(timed(&local));
        s3_s.push(timed(&from_s3));
        boto_s.push(moto.python(download).trim().parse::<f64>().unwrap());
    }
    let median = |times: &mut Vec<f64>| {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let (local_s, s3_s, boto_s) = (median(&mut local_s), median(&mut s3_s), median(&mut boto_s));
    let mut json_args = from_s3.to_vec();
    json_args[6] = "json";
    let count = json_of(&ssm_guard(&moto, &dir, &json_args))["summary"]["records"]
        .as_u64()
        .unwrap();
    let mb = records.len() as f64 / 1e6;
    println!(
        "objects {objects}, records {count}, {mb:.1} MB of JSON Lines, {:.1} MB of gzip ({:.0} KB to {:.2} MB an object)",
        gz as f64 / 1e6,
        smallest as f64 / 1e3,
        largest as f64 / 1e6
    );
    println!("medians of 5 interleaved rounds:");
    println!(
        "local files: {local_s:.3} s ({:.0} records/s, {:.0} MB/s of JSON)",
        count as f64 / local_s,
        mb / local_s
    );
    println!(
        "s3://: {s3_s:.3} s ({:.0} records/s, {:.0} MB/s of JSON); local/s3 {:.2}",
        count as f64 / s3_s,
        mb / s3_s,
        local_s / s3_s
    );
    println!(
        "boto3 list and download only, 16 at once: {boto_s:.3} s ({:.1} MB/s of gzip); s3:// / download {:.2}",
        gz as f64 / 1e6 / boto_s,
        s3_s / boto_s
    );
    let keys: Vec<Value> = names.iter().map(|k| json!({"Key": k})).collect();
    moto.python("client('s3').create_bucket(Bucket='bench-results')");
    let event = serde_json::to_vec(&json!({"Items": keys, "BatchInput": {"Bucket": "bench", "Results": "s3://bench-results/r/", "Now": NOW}})).unwrap();
    let endpoint = moto.endpoint();
    // Three invocations of the same batch in one function: the first pays the cold start.
    let run = loopback::function::run_lambda(
        loopback::function::Binary::Bootstrap,
        &[
            ("AWS_ENDPOINT_URL_S3", &endpoint),
            ("AWS_REGION", "us-east-1"),
            ("SSM_GUARD_POLICIES", policies),
        ],
        &[event.clone(), event.clone(), event],
        loopback::ssm::SsmSetup::default(),
    );
    for n in 0..3 {
        let answer = run.answer(n);
        let seconds = run.durations[n].unwrap().as_secs_f64();
        let shard_records = answer["records"].as_u64().unwrap();
        println!(
            "shard invocation {n}: {objects} objects, {shard_records} records in {seconds:.3} s: {:.0} records/s, {:.0} MB/s of JSON",
            shard_records as f64 / seconds,
            mb / seconds
        );
    }
}
