//! `Owner` with its derived parts (`OwnerAccount`, `OwnerName`, `OwnerRole`): one machine that
//! reads an `Owner` string as [`OwnerArn`](crate::model::OwnerArn) parses it, feeding each
//! part's automata the bytes of that part, so that conditions on the ARN and on its parts are
//! decided together, exactly.
//!
//! The parse: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` (the resource may hold `:`); the
//! account is a part only when it is 12 digits; the role is the second `/`-segment of a
//! resource whose first is `assumed-role`, when not empty; the name is the last segment, when
//! not empty. Anything with fewer than five `:` or not starting `arn:` has no parts.

use serde_json::Value as Json;

use super::automaton::{self, Found, Machine, Step};
use super::literal::Literal;
use super::solve::Solution;
use super::text::{TextSpec, holds, other_values};
use super::{Context, Meter};
use crate::model::{Field, Session};

/// What one part must be: its spec where present, and whether its literals hold where absent.
#[derive(Debug, Clone)]
struct Part {
    spec: TextSpec,
    absent_ok: bool,
}

impl Part {
    fn new(field: Field, literals: &[&Literal<'_>], cx: &mut Context) -> Self {
        let mine: Vec<&Literal<'_>> = literals
            .iter()
            .copied()
            .filter(|l| l.field() == field)
            .collect();
        let absent = Session::default();
        let absent_ok = mine.iter().all(|l| l.holds(&absent, cx.now));
        Self {
            spec: TextSpec::of(&mine, cx),
            absent_ok,
        }
    }

    /// Whether its literals hold whatever the part is, present or not: then the machine need
    /// not follow it.
    fn is_free(&self) -> bool {
        self.absent_ok
            && self.spec.possible
            && self.spec.product.constraints.is_empty()
            && self.spec.min == 0
            && self.spec.max.is_none()
    }

    /// The cap of its character count: one past the maximum, else the minimum.
    fn cap(&self) -> usize {
        self.spec
            .max
            .map_or(self.spec.min, |max| max.saturating_add(1))
    }

    fn judge(&self, present: bool, states: &[u32], chars: u32) -> bool {
        if !present {
            return self.absent_ok;
        }
        let chars = usize::try_from(chars).unwrap_or(usize::MAX);
        self.spec.possible
            && chars >= self.spec.min
            && self.spec.max.is_none_or(|max| chars <= max)
            && !states.contains(&DEAD)
            && self.spec.product.accepts(states)
    }
}

/// A part's automata after a byte that rules it out, should the part turn out present.
const DEAD: u32 = u32::MAX - 1;

// The parser's slots, after the whole string's automata.
const PHASE: usize = 0;
const ARN: usize = 1;
const DIGITS: usize = 2;
const SEGMENT: usize = 3;
const ASSUMED: usize = 4;
const ACCOUNT_CHARS: usize = 5;
const ROLE_CHARS: usize = 6;
const NAME_CHARS: usize = 7;
const ACCOUNT_OK: usize = 8;
const ROLE_OK: usize = 9;
const SLOTS: usize = 10;

const RESOURCE: u32 = 5;
const NOT_ARN: u32 = 6;
const ASSUMED_ROLE: &[u8] = b"assumed-role";
/// A prefix that stopped matching.
const MISMATCH: u32 = 99;
const UNDECIDED: u32 = 0;
const YES: u32 = 1;
const NO: u32 = 2;

/// The `Owner` string's automata, the ARN parser, and the automata of each part.
struct OwnerMachine {
    whole: TextSpec,
    account: Part,
    role: Part,
    name: Part,
}

impl OwnerMachine {
    /// Where the parser's slots start, and where the account's, role's and name's automata do.
    fn layout(&self) -> [usize; 4] {
        let parser = self.whole.product.constraints.len();
        let account = parser + SLOTS;
        let role = account + self.account.spec.product.constraints.len();
        let name = role + self.role.spec.product.constraints.len();
        [parser, account, role, name]
    }

    fn slot(state: &[u32], base: usize, slot: usize) -> u32 {
        state.get(base + slot).copied().unwrap_or(0)
    }
}

/// Steps a part's automata, marking them dead instead of ending the path.
fn step_part(part: &Part, states: &[u32], byte: u8, out: &mut Vec<u32>) -> Step {
    if states.contains(&DEAD) {
        out.extend(std::iter::repeat_n(DEAD, states.len()));
        return Step::Live;
    }
    let mark = out.len();
    match part.spec.product.step(states, byte, out) {
        Step::Live => Step::Live,
        Step::Cut => Step::Cut,
        Step::Dead => {
            out.truncate(mark);
            out.extend(std::iter::repeat_n(DEAD, states.len()));
            Step::Live
        }
    }
}

fn count(chars: u32, byte: u8, cap: usize) -> u32 {
    let starts = u32::from(!(0x80..0xc0).contains(&byte));
    chars
        .saturating_add(starts)
        .min(u32::try_from(cap).unwrap_or(u32::MAX))
}

impl Machine for OwnerMachine {
    fn start(&self, out: &mut Vec<u32>) {
        self.whole.product.start(out);
        out.extend([0; SLOTS]);
        self.account.spec.product.start(out);
        self.role.spec.product.start(out);
        self.name.spec.product.start(out);
    }

    fn step(&self, state: &[u32], byte: u8, out: &mut Vec<u32>) -> Step {
        let [parser, account, role, name] = self.layout();
        let slot = |s: usize| Self::slot(state, parser, s);
        match self
            .whole
            .product
            .step(state.get(..parser).unwrap_or(&[]), byte, out)
        {
            Step::Live => {}
            other => return other,
        }
        let mut slots = [0u32; SLOTS];
        for (index, value) in slots.iter_mut().enumerate() {
            *value = slot(index);
        }
        let parts = |from: usize, to: usize| state.get(from..to).unwrap_or(&[]);
        let mut account_states = parts(account, role).to_vec();
        let mut role_states = parts(role, name).to_vec();
        let mut name_states = parts(name, state.len()).to_vec();
        let mut scratch = Vec::new();
        let mut feed = |part: &Part, states: &mut Vec<u32>| -> Step {
            scratch.clear();
            let step = step_part(part, states, byte, &mut scratch);
            states.clone_from(&scratch);
            step
        };
        let phase = slots[PHASE];
        match phase {
            0 => {
                if byte == b':' {
                    slots[PHASE] = if slots[ARN] == 3 { 1 } else { NOT_ARN };
                } else {
                    let at = usize::try_from(slots[ARN]).unwrap_or(usize::MAX);
                    slots[ARN] = if b"arn".get(at) == Some(&byte) {
                        slots[ARN] + 1
                    } else {
                        MISMATCH
                    };
                }
            }
            1..=3 if byte == b':' => slots[PHASE] += 1,
            4 => {
                if byte == b':' {
                    let present = slots[DIGITS] == 12;
                    let ok = self
                        .account
                        .judge(present, &account_states, slots[ACCOUNT_CHARS]);
                    if !ok {
                        return Step::Dead;
                    }
                    slots[ACCOUNT_OK] = YES;
                    slots[PHASE] = RESOURCE;
                } else {
                    if !self.account.is_free() {
                        slots[DIGITS] = if byte.is_ascii_digit() && slots[DIGITS] < 12 {
                            slots[DIGITS] + 1
                        } else {
                            MISMATCH
                        };
                    }
                    slots[ACCOUNT_CHARS] = count(slots[ACCOUNT_CHARS], byte, self.account.cap());
                    if feed(&self.account, &mut account_states) == Step::Cut {
                        return Step::Cut;
                    }
                }
            }
            RESOURCE => {
                if byte == b'/' {
                    match slots[SEGMENT] {
                        0 => {
                            slots[ASSUMED] = if slots[ASSUMED] == 12 { YES } else { NO };
                            slots[SEGMENT] = 1;
                        }
                        1 => {
                            if slots[ASSUMED] == YES {
                                let ok = self.role.judge(
                                    slots[ROLE_CHARS] > 0,
                                    &role_states,
                                    slots[ROLE_CHARS],
                                );
                                if !ok {
                                    return Step::Dead;
                                }
                                slots[ROLE_OK] = YES;
                            }
                            slots[SEGMENT] = 2;
                        }
                        _ => {}
                    }
                    // The name is the last segment: it starts again after every `/`.
                    name_states.clear();
                    self.name.spec.product.start(&mut name_states);
                    slots[NAME_CHARS] = 0;
                } else {
                    if slots[SEGMENT] == 0 && !self.role.is_free() {
                        let at = usize::try_from(slots[ASSUMED]).unwrap_or(usize::MAX);
                        slots[ASSUMED] = if ASSUMED_ROLE.get(at) == Some(&byte) {
                            slots[ASSUMED] + 1
                        } else {
                            MISMATCH
                        };
                    }
                    if slots[SEGMENT] == 1 && slots[ASSUMED] == YES {
                        slots[ROLE_CHARS] = count(slots[ROLE_CHARS], byte, self.role.cap().max(1));
                        if feed(&self.role, &mut role_states) == Step::Cut {
                            return Step::Cut;
                        }
                    }
                    if !self.name.is_free() {
                        slots[NAME_CHARS] = count(slots[NAME_CHARS], byte, self.name.cap().max(1));
                        if feed(&self.name, &mut name_states) == Step::Cut {
                            return Step::Cut;
                        }
                    }
                }
            }
            _ => {}
        }
        out.extend(slots);
        out.extend(account_states);
        out.extend(role_states);
        out.extend(name_states);
        Step::Live
    }

    fn accepts(&self, state: &[u32]) -> bool {
        let [parser, _, role, name] = self.layout();
        if !self
            .whole
            .product
            .accepts(state.get(..parser).unwrap_or(&[]))
        {
            return false;
        }
        let slot = |s: usize| Self::slot(state, parser, s);
        if slot(PHASE) != RESOURCE {
            return self.account.absent_ok && self.role.absent_ok && self.name.absent_ok;
        }
        let role_ok = match (slot(ROLE_OK), slot(SEGMENT), slot(ASSUMED)) {
            (YES, _, _) => true,
            (UNDECIDED, 1, YES) => self.role.judge(
                slot(ROLE_CHARS) > 0,
                state.get(role..name).unwrap_or(&[]),
                slot(ROLE_CHARS),
            ),
            _ => self.role.absent_ok,
        };
        let name_chars = slot(NAME_CHARS);
        slot(ACCOUNT_OK) == YES
            && role_ok
            && (self.name.is_free()
                || self
                    .name
                    .judge(name_chars > 0, state.get(name..).unwrap_or(&[]), name_chars))
    }

    fn signature(&self, byte: u8, out: &mut Vec<u32>) {
        self.whole.product.signature(byte, out);
        // The parser tells apart the separators, digits and the letters it compares.
        let structural = byte == b':'
            || byte == b'/'
            || byte.is_ascii_digit()
            || b"arn".contains(&byte)
            || ASSUMED_ROLE.contains(&byte);
        out.push(if structural { u32::from(byte) } else { 256 });
        self.account.spec.product.signature(byte, out);
        self.role.spec.product.signature(byte, out);
        self.name.spec.product.signature(byte, out);
    }
}

/// An `Owner` value (`None`: absent) whose string and parts meet the literals.
pub(crate) fn solve(
    literals: &[&Literal<'_>],
    seed: Option<&Json>,
    hints: &[String],
    cx: &mut Context,
) -> Solution<Option<Json>> {
    let now = cx.now;
    let fits = |value: Option<&Json>| holds(&[(Field::Owner, value)], literals, now);
    if fits(seed) {
        return Solution::Sat(seed.cloned());
    }
    for hint in hints {
        let value = Json::String(hint.clone());
        if fits(Some(&value)) {
            return Solution::Sat(Some(value));
        }
    }
    let whole: Vec<&Literal<'_>> = literals
        .iter()
        .copied()
        .filter(|l| l.field() == Field::Owner)
        .collect();
    let machine = OwnerMachine {
        whole: TextSpec::of(&whole, cx),
        account: Part::new(Field::OwnerAccount, literals, cx),
        role: Part::new(Field::OwnerRole, literals, cx),
        name: Part::new(Field::OwnerName, literals, cx),
    };
    let relaxed = machine.whole.relaxed
        || machine.account.spec.relaxed
        || machine.role.spec.relaxed
        || machine.name.spec.relaxed;
    let mut unknown = false;
    if machine.whole.possible {
        match search(&machine, &mut cx.meter) {
            Found::Text(text) => {
                let value = Json::String(text);
                if fits(Some(&value)) {
                    return Solution::Sat(Some(value));
                }
                unknown = true;
            }
            Found::Unknown => unknown = true,
            Found::None => unknown |= relaxed,
        }
    }
    // Absent, or not a string: no parts.
    if let Some(value) = other_values(&whole).into_iter().find(|v| fits(v.as_ref())) {
        return Solution::Sat(value);
    }
    if unknown {
        Solution::Unknown
    } else {
        Solution::Unsat
    }
}

fn search(machine: &OwnerMachine, meter: &mut Meter) -> Found {
    let (min, max) = (machine.whole.min, machine.whole.max);
    if min == 0 {
        match automaton::search(machine, 1, max, meter) {
            Found::None => {}
            other => return other,
        }
    }
    automaton::search(machine, min, max, meter)
}

#[cfg(test)]
mod tests {
    use crate::model::{OwnerArn, Timestamp};
    use crate::source::SourceMap;
    use crate::witness::{Answer, Engine, Outcome, Query};

    /// Whether some session meets `require`, by the engine.
    fn possible(require: &str) -> Answer {
        let mut sources = SourceMap::new();
        sources.add(
            "p.yaml",
            format!("policy: p\nrules:\n  - id: r\n    require: {require}\n"),
        );
        let set = crate::compile(&sources, Timestamp::from_micros(0))
            .unwrap()
            .set;
        let query = Query {
            rule: 0,
            case: None,
            outcome: Outcome::Passes,
        };
        Engine::new(&set).find(&query)
    }

    /// The machine reads each `Owner` into the parts [`OwnerArn`] gives it: with the string
    /// fixed by a regex (which no hint supplies), the parts it gives are possible and any
    /// other is proved impossible.
    #[test]
    fn the_machine_parses_as_owner_arn_does() {
        for owner in [
            "arn:aws:sts::123456789012:assumed-role/Admin/jdoe",
            "arn:aws:iam::123456789012:user/jdoe",
            "arn:aws:iam::12345678901:user/jdoe",
            "arn:aws:sts::123456789012:assumed-role/Admin",
            "arn:aws:sts::123456789012:assumed-role//x",
            "arn:aws:sts::123456789012:assumed-rolex/A/b",
            "arn:a:b:c:d:",
            "arn:a:b:c:d",
            "arnx:a:b:c:d:e",
            "arn:aws:iam::123456789012:root/",
            "arn:aws:iam::123456789012:a:b/c:d",
        ] {
            let parsed = OwnerArn::parse(owner);
            let fixed = format!("Owner: {{ matches: '^{}$' }}", regex::escape(owner));
            let parts = [
                ("OwnerAccount", parsed.and_then(|a| a.account())),
                ("OwnerRole", parsed.and_then(|a| a.role())),
                ("OwnerName", parsed.and_then(|a| a.name())),
            ];
            let expect = |field: &str, value: Option<&str>| match value {
                Some(value) => format!("{field}: {{ equals: '{value}' }}"),
                None => format!("{field}: {{ exists: false }}"),
            };
            let all: Vec<String> = parts.iter().map(|(f, v)| expect(f, *v)).collect();
            let right = format!("{{ {fixed}, {} }}", all.join(", "));
            assert!(
                matches!(possible(&right), Answer::Found(_)),
                "{owner}: {right}"
            );
            for (field, value) in parts {
                let wrong = match value {
                    Some(_) => format!("{field}: {{ exists: false }}"),
                    None => format!("{field}: {{ exists: true }}"),
                };
                let wrong = format!("{{ {fixed}, {wrong} }}");
                assert_eq!(possible(&wrong), Answer::Impossible, "{owner}: {wrong}");
            }
        }
    }
}
