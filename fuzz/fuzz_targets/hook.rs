//! Fuzzes the hook's event handling: any bytes give a decision that serializes, and an event
//! that is not readable JSON is never allowed, in either mode.

#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;
use ssm_guard::hook::{Gate, Mode};
use ssm_guard::{Decision, SourceMap, Timestamp, compile};

fn now() -> Timestamp {
    Timestamp::from_micros(1_773_437_400_000_000)
}

fn gates() -> &'static [Gate; 2] {
    static GATES: OnceLock<[Gate; 2]> = OnceLock::new();
    GATES.get_or_init(|| {
        let gate = |mode| match compile(&SourceMap::defaults(), now()) {
            Ok(compiled) => Gate::new(compiled.set, mode),
            Err(_) => panic!("the embedded default set compiles"),
        };
        [gate(Mode::Enforce), gate(Mode::Audit)]
    })
}

fuzz_target!(|data: &[u8]| {
    // Readable is a JSON object by the grammar. Values are skipped, not built: the number
    // range is an implementation's choice, and the hook skips keys it does not read.
    let readable = serde_json::from_slice::<BTreeMap<String, IgnoredAny>>(data).is_ok();
    for gate in gates() {
        let decision = gate.decide(data, now());
        assert_eq!(decision.allowed, decision.decision != Decision::Deny);
        if !readable {
            assert_eq!(decision.decision, Decision::Deny, "{decision:?}");
            assert!(decision.error.is_some());
        }
        if decision.error.is_some() {
            assert!(!decision.allowed);
        }
        assert!(serde_json::to_vec(&decision).is_ok());
    }
});
