//! Generates a deterministic, realistic session export for benchmarks and scale tests.
//!
//! ```sh
//! cargo run --release --example generate -- 1000000 > sessions.jsonl
//! cargo run --release --example generate -- 1000000 --document > sessions.json
//! cargo run --release --example generate -- 1000000 --violating 61 > dense.jsonl
//! ```
//!
//! Records look like the AWS CLI v2 prints them: ISO-8601 timestamps with a local offset and six
//! fraction digits, SSO and automation owners, JIT and standard sessions, about 485 bytes each
//! as JSON Lines. The same count, seed and options always give the same bytes.
//!
//! Without `--violating`, about one record in twelve breaks one of the five benchmark rules
//! (`benches/five-rules.yaml`), as where a policy is in force. `--violating P` sets that share
//! to P percent: each of those records breaks exactly one rule, every other record none, as when
//! a new policy meets last year's history (`--violating 61` gives 0.61 violations per record).

use std::io::{self, BufWriter, Write};

/// xorshift64*: tiny, fast and stable across platforms, which is all a generator needs.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.below(items.len() as u64) as usize)
            .copied()
            .unwrap_or_default()
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn hex(&mut self, digits: usize) -> String {
        (0..digits)
            .map(|_| char::from_digit(self.below(16) as u32, 16).unwrap_or('0'))
            .collect()
    }
}

const USERS: &[&str] = &[
    "alex.kim",
    "lee.ng",
    "sam.oduya",
    "priya.nair",
    "mara.lind",
    "tomasz.wojcik",
    "ines.garcia",
    "kofi.mensah",
    "yuki.sato",
    "olga.petrova",
    "ravi.shah",
    "emma.brown",
];
const SSO_ROLES: &[&str] = &[
    "AWSReservedSSO_Developer_5f1c2e9a0b7d3c41",
    "AWSReservedSSO_PlatformEngineer_8d2e41f0c7a9b365",
    "AWSReservedSSO_ReadOnly_1a2b3c4d5e6f7081",
];
const DOCUMENTS: &[&str] = &[
    "SSM-SessionManagerRunShell",
    "SSM-SessionManagerRunShell",
    "SSM-SessionManagerRunShell",
    "AWS-StartPortForwardingSession",
    "AWS-StartSSHSession",
];
const REASONS: &[&str] = &[
    "INC-4410 disk pressure on build agent",
    "CHG-90211 deploy hotfix",
    "CHG-90342 rotate TLS certificates",
    "INC-4502 investigate elevated 5xx",
    "debugging flaky integration test",
];
/// Caps as an organisation sets them: short on managed instances and containers.
const CAPS_INSTANCE: &[&str] = &["60", "60", "120", "240"];
const CAPS_MANAGED: &[&str] = &["30", "60"];
const CAPS_CONTAINER: &[&str] = &["15", "30"];
const OFFSETS: &[&str] = &["-05:00", "-04:00", "+00:00", "+01:00", "+05:30"];

/// Produces records one after another; the same seed gives the same records.
#[derive(Debug)]
pub struct Generator {
    rng: Rng,
    targets: Vec<String>,
    /// The percentage of records that break a rule, when set; otherwise the natural mix.
    violating: Option<u64>,
}

/// What a record of a set share of violations breaks.
#[derive(Debug, Clone, Copy, Default)]
struct Breaks {
    reason: bool,
    cap: bool,
    document: bool,
    overrun: bool,
    owner: bool,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng(seed | 1);
        let targets = (0..2_000)
            .map(|i| match i % 10 {
                0 => format!("mi-0{}", rng.hex(16)),
                1 => format!(
                    "ecs:checkout-prod_{}_{}-{}",
                    rng.hex(32),
                    rng.hex(32),
                    rng.below(9_999_999_999)
                ),
                _ => format!("i-0{}", rng.hex(16)),
            })
            .collect();
        Self {
            rng,
            targets,
            violating: None,
        }
    }

    /// A generator whose records break a rule in `percent` percent of cases.
    pub fn with_violating(mut self, percent: u64) -> Self {
        self.violating = Some(percent.min(100));
        self
    }

    /// One Session as compact JSON.
    pub fn record(&mut self) -> String {
        match self.violating {
            Some(percent) => self.record_with_share(percent),
            None => self.natural_record(),
        }
    }

    /// One record of the natural mix, about one in twelve breaking a rule.
    fn natural_record(&mut self) -> String {
        let rng = &mut self.rng;
        let user = rng.pick(USERS);
        // Most sessions comply, as they do where a policy is in force: about one record in
        // twelve breaks one of the five benchmark rules.
        let (owner, session_user) = match rng.below(100) {
            0..=87 => (
                format!(
                    "arn:aws:sts::210987654321:assumed-role/{}/{user}@example.org",
                    rng.pick(SSO_ROLES)
                ),
                user.to_owned(),
            ),
            88..=97 => (
                "arn:aws:sts::210987654321:assumed-role/CiRunner/ci-runner".to_owned(),
                "ci-runner".to_owned(),
            ),
            98 => (
                format!("arn:aws:iam::210987654321:user/{user}"),
                user.to_owned(),
            ),
            _ => (
                format!(
                    "arn:aws:sts::210987654321:assumed-role/BreakGlassAdmin/{user}@example.org"
                ),
                user.to_owned(),
            ),
        };
        let jit = rng.chance(30);
        // 2026-01-01T00:00:00Z, plus up to a year.
        let start = 1_767_225_600 + rng.below(365 * 86_400);
        let target = self
            .targets
            .get(rng.below(self.targets.len() as u64) as usize)
            .cloned()
            .unwrap_or_default();
        let cap = if rng.chance(2) {
            "480"
        } else if target.starts_with("mi-") {
            rng.pick(CAPS_MANAGED)
        } else if target.starts_with("ecs:") {
            rng.pick(CAPS_CONTAINER)
        } else {
            rng.pick(CAPS_INSTANCE)
        };
        let cap_minutes: u64 = cap.parse().unwrap_or(60);
        let ended = rng.chance(92);
        let length = if rng.chance(3) {
            cap_minutes * 60 + rng.below(cap_minutes * 15 + 1)
        } else {
            rng.below(cap_minutes * 60 + 1)
        };
        let offset = rng.pick(OFFSETS);
        let document = if rng.chance(2) {
            "AWS-StartInteractiveCommand"
        } else {
            rng.pick(DOCUMENTS)
        };
        let mut record = format!(
            "{{\"SessionId\":\"{session_user}-{}\",\"Target\":\"{target}\",\"Status\":\"{}\",\"StartDate\":\"{}\"",
            rng.hex(17),
            if ended { "Terminated" } else { "Connected" },
            iso(start, rng.below(1_000_000), offset),
        );
        if ended {
            record.push_str(&format!(
                ",\"EndDate\":\"{}\"",
                iso(start + length, rng.below(1_000_000), offset)
            ));
        }
        record.push_str(&format!(
            ",\"DocumentName\":\"{document}\",\"Owner\":\"{owner}\""
        ));
        if jit && rng.chance(97) {
            record.push_str(&format!(",\"Reason\":\"{}\"", rng.pick(REASONS)));
        }
        record.push_str(&format!(
            ",\"MaxSessionDuration\":\"{cap}\",\"AccessType\":\"{}\"",
            if jit { "JustInTime" } else { "Standard" }
        ));
        if rng.chance(80) {
            record.push_str(&format!(
                ",\"OutputUrl\":{{\"S3OutputUrl\":\"https://s3.amazonaws.com/session-logs-210987654321/{session_user}.log\"}}"
            ));
        }
        record.push('}');
        record
    }

    /// One record that breaks a rule with probability `percent`: then one of the five rules,
    /// otherwise none.
    fn record_with_share(&mut self, percent: u64) -> String {
        let rng = &mut self.rng;
        let mut breaks = Breaks::default();
        if rng.chance(percent) {
            match rng.below(5) {
                0 => breaks.reason = true,
                1 => breaks.cap = true,
                2 => breaks.document = true,
                3 => breaks.overrun = true,
                _ => breaks.owner = true,
            }
        }
        let user = rng.pick(USERS);
        let owner = if breaks.owner {
            format!("arn:aws:iam::210987654321:user/{user}")
        } else if rng.chance(90) {
            format!(
                "arn:aws:sts::210987654321:assumed-role/{}/{user}@example.org",
                rng.pick(SSO_ROLES)
            )
        } else {
            "arn:aws:sts::210987654321:assumed-role/CiRunner/ci-runner".to_owned()
        };
        let jit = breaks.reason || rng.chance(30);
        let start = 1_767_225_600 + rng.below(365 * 86_400);
        let target = self
            .targets
            .get(rng.below(self.targets.len() as u64) as usize)
            .cloned()
            .unwrap_or_default();
        let limit: u64 = if target.starts_with("mi-") {
            60
        } else if target.starts_with("ecs:") {
            30
        } else {
            240
        };
        let cap = if breaks.cap {
            limit * 2
        } else {
            *[limit, limit / 2, limit / 4]
                .get(rng.below(3) as usize)
                .unwrap_or(&limit)
        };
        let ended = breaks.overrun || rng.chance(92);
        let length = if breaks.overrun {
            cap * 60 + 60 + rng.below(cap * 15 + 1)
        } else {
            rng.below(cap * 60 + 1)
        };
        let offset = rng.pick(OFFSETS);
        let document = if breaks.document {
            "AWS-StartInteractiveCommand"
        } else {
            rng.pick(DOCUMENTS)
        };
        let mut record = format!(
            "{{\"SessionId\":\"{user}-{}\",\"Target\":\"{target}\",\"Status\":\"{}\",\"StartDate\":\"{}\"",
            rng.hex(17),
            if ended { "Terminated" } else { "Connected" },
            iso(start, rng.below(1_000_000), offset),
        );
        if ended {
            record.push_str(&format!(
                ",\"EndDate\":\"{}\"",
                iso(start + length, rng.below(1_000_000), offset)
            ));
        }
        record.push_str(&format!(
            ",\"DocumentName\":\"{document}\",\"Owner\":\"{owner}\""
        ));
        if jit && !breaks.reason {
            record.push_str(&format!(",\"Reason\":\"{}\"", rng.pick(REASONS)));
        }
        record.push_str(&format!(
            ",\"MaxSessionDuration\":\"{cap}\",\"AccessType\":\"{}\"",
            if jit { "JustInTime" } else { "Standard" }
        ));
        if rng.chance(80) {
            record.push_str(&format!(
                ",\"OutputUrl\":{{\"S3OutputUrl\":\"https://s3.amazonaws.com/session-logs-210987654321/{user}.log\"}}"
            ));
        }
        record.push('}');
        record
    }
}

/// The default seed, so that every run of the benches sees the same records.
pub const SEED: u64 = 0x5eed_5e55_1017;

fn main() -> io::Result<()> {
    let mut count: u64 = 100_000;
    let mut document = false;
    let mut seed = SEED;
    let mut violating = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--document" => document = true,
            "--seed" => seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(seed),
            "--violating" => violating = args.next().and_then(|s| s.parse().ok()),
            n => count = n.replace('_', "").parse().unwrap_or(count),
        }
    }
    let mut generator = Generator::new(seed);
    if let Some(percent) = violating {
        generator = generator.with_violating(percent);
    }
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    if document {
        out.write_all(b"{\n    \"Sessions\": [\n")?;
    }
    for n in 0..count {
        let record = generator.record();
        if document {
            let comma = if n + 1 < count { "," } else { "" };
            writeln!(out, "        {record}{comma}")?;
        } else {
            writeln!(out, "{record}")?;
        }
    }
    if document {
        out.write_all(b"    ]\n}\n")?;
    }
    out.flush()
}

/// `2026-03-08T01:52:10.204000-05:00`: the instant written at a fixed offset, as CLI v2 does.
fn iso(epoch: u64, micros: u64, offset: &str) -> String {
    let sign: i64 = if offset.starts_with('-') { -1 } else { 1 };
    let hours: i64 = offset.get(1..3).and_then(|h| h.parse().ok()).unwrap_or(0);
    let minutes: i64 = offset.get(4..6).and_then(|m| m.parse().ok()).unwrap_or(0);
    let local = epoch as i64 + sign * (hours * 3600 + minutes * 60);
    let days = local.div_euclid(86_400);
    let seconds = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}{offset}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
