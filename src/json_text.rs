//! JSON string text, read and written many bytes at a time: how far a string runs without a byte
//! that JSON escapes, and writing strings escaped exactly as serde_json escapes them.
//!
//! Strings are most of every record read and of every report line written; serde_json looks at
//! them a byte at a time, which was a fifth of the time of a report with many violations.

use std::fmt;

use wide::u8x16;

/// How many bytes start `bytes` before the first quote, backslash or control character (or
/// its length if there is none): the plain text of a JSON string.
///
/// Strings are most of a record, so this looks at sixteen bytes at a time with one vector
/// compare per kind of byte (`wide` maps them to SSE2 or NEON, and to plain code elsewhere),
/// then at what is left eight bytes at a time.
#[inline]
pub(crate) fn plain_length(bytes: &[u8]) -> usize {
    match plain_steps(bytes) {
        Ok(length) => length,
        Err(rest) => bytes.len() - rest.len() + plain_length_by_words(rest),
    }
}

/// [`plain_length`] of a string that is all there is, as when one is written. Its last bytes
/// are looked at as the last sixteen of the string, overlapping bytes already found plain; a
/// string shorter than that, eight bytes at a time. Neither copies: a copy of the last bytes
/// into a padded block cost a call to `memcpy` for every string written.
#[inline]
fn plain_prefix(bytes: &[u8]) -> usize {
    let rest = match plain_steps(bytes) {
        Ok(length) => return length,
        Err(rest) => rest,
    };
    let done = bytes.len() - rest.len();
    match bytes.last_chunk::<16>() {
        Some(last) if !rest.is_empty() => {
            // The bits of the bytes before `rest` are clear: they were found plain.
            let stops = stops(*last) >> (16 - rest.len());
            done + (stops.trailing_zeros() as usize).min(rest.len())
        }
        _ => done + plain_length_by_words(rest),
    }
}

/// How far `bytes` runs plain, looked at sixteen bytes at a time: the length before the first
/// stop found, or the bytes after the last whole step when none was.
#[inline(always)]
fn plain_steps(bytes: &[u8]) -> Result<usize, &[u8]> {
    let mut rest = bytes;
    while let Some((chunk, after)) = rest.split_first_chunk::<16>() {
        let stops = stops(*chunk);
        if stops != 0 {
            return Ok(bytes.len() - rest.len() + stops.trailing_zeros() as usize);
        }
        rest = after;
    }
    Err(rest)
}

/// A bit for each of sixteen bytes that is a quote, a backslash or a control character.
#[inline(always)]
fn stops(chunk: [u8; 16]) -> u32 {
    let chunk = u8x16::new(chunk);
    // A byte is a control character where the smaller of it and 0x1f is itself.
    let stops = chunk.cmp_eq(u8x16::splat(b'"'))
        | chunk.cmp_eq(u8x16::splat(b'\\'))
        | chunk.min(u8x16::splat(0x1f)).cmp_eq(chunk);
    stops.move_mask().cast_unsigned()
}

/// [`plain_length`] eight bytes at a time: a byte of a word is flagged when it equals `"` or
/// `\\`, or is below 0x20, and the lowest flag is the first such byte (a flag can be wrong only
/// above a byte that is rightly flagged).
fn plain_length_by_words(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let mut rest = bytes;
    while let Some((word, after)) = rest.split_first_chunk::<8>() {
        let word = u64::from_le_bytes(*word);
        let flags = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')))
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS);
        if flags != 0 {
            return bytes.len() - rest.len() + flags.trailing_zeros() as usize / 8;
        }
        rest = after;
    }
    let tail = rest
        .iter()
        .take_while(|b| !matches!(b, b'"' | b'\\' | 0..0x20));
    bytes.len() - rest.len() + tail.count()
}

/// A string to be written as JSON, with what is known of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Text<'a> {
    /// Known to hold nothing JSON escapes: text a reader borrowed from JSON input as it was
    /// written, without escapes (which JSON text cannot hold unescaped).
    Plain(&'a str),
    /// Anything else.
    Any(&'a str),
}

/// Appends `text` as a JSON string; plain text is copied without looking for escapes.
pub(crate) fn push_text(out: &mut Vec<u8>, text: Text<'_>) {
    match text {
        Text::Plain(text) => {
            debug_assert_eq!(plain_prefix(text.as_bytes()), text.len(), "{text:?}");
            out.push(b'"');
            out.extend_from_slice(text.as_bytes());
            out.push(b'"');
        }
        Text::Any(text) => push_str(out, text),
    }
}

/// Appends `text` as a JSON string, quotes included, escaped byte for byte as serde_json does:
/// `"` and `\\` with a backslash, `\b \f \n \r \t` by name, other control characters as
/// `\u00XX`, everything else as it is.
pub(crate) fn push_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    push_escaped(out, text.as_bytes());
    out.push(b'"');
}

/// Appends `text` escaped as [`push_str`] escapes it, without the quotes.
fn push_escaped(out: &mut Vec<u8>, text: &[u8]) {
    let mut rest = text;
    loop {
        let plain = plain_prefix(rest);
        let (run, after) = rest.split_at(plain.min(rest.len()));
        out.extend_from_slice(run);
        let Some((&byte, after)) = after.split_first() else {
            break;
        };
        push_escape(out, byte);
        rest = after;
    }
}

/// Appends as a JSON string the text `write` writes, as a message is written into a report
/// line: written as it is, then looked at once, and escaped in place in the case that it
/// needs it (through `spare`, a buffer the caller reuses). Escaping each piece as it came cost
/// more than the one look, and building the text in a String first cost a copy.
pub(crate) fn push_written(
    out: &mut Vec<u8>,
    spare: &mut Vec<u8>,
    write: impl FnOnce(&mut Unescaped<'_>),
) {
    out.push(b'"');
    let start = out.len();
    write(&mut Unescaped(out));
    let written = out.get(start..).unwrap_or_default();
    if plain_prefix(written) < written.len() {
        spare.clear();
        spare.extend_from_slice(written);
        out.truncate(start);
        push_escaped(out, spare);
    }
    out.push(b'"');
}

/// Text appended as it is, for [`push_written`].
pub(crate) struct Unescaped<'a>(&'a mut Vec<u8>);

impl fmt::Write for Unescaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

fn push_escape(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let named = match byte {
        b'"' => Some(b'"'),
        b'\\' => Some(b'\\'),
        0x08 => Some(b'b'),
        0x0c => Some(b'f'),
        b'\n' => Some(b'n'),
        b'\r' => Some(b'r'),
        b'\t' => Some(b't'),
        _ => None,
    };
    match named {
        Some(name) => out.extend_from_slice(&[b'\\', name]),
        None => {
            let hex = |nibble: u8| HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex(byte >> 4), hex(byte & 0xf)]);
        }
    }
}

/// Appends a JSON value: strings through [`push_str`], anything else as serde_json writes it.
pub(crate) fn push_value(out: &mut Vec<u8>, value: &serde_json::Value) {
    match value {
        serde_json::Value::String(text) => push_str(out, text),
        serde_json::Value::Null => out.extend_from_slice(b"null"),
        // Writing into a vector cannot fail.
        other => drop(serde_json::to_writer(&mut *out, other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_length_stops_at_the_first_quote_backslash_or_control_character() {
        for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for at in 0..40 {
                let mut bytes = vec![b'a'; 44];
                bytes.extend_from_slice("é\u{7f}".as_bytes());
                if let Some(byte) = bytes.get_mut(at) {
                    *byte = stop;
                }
                // Later stops of every kind must not hide the first one.
                bytes.extend_from_slice(b"\"\\\x01");
                assert_eq!(plain_length(&bytes), at, "{stop:#x} at {at}");
            }
        }
        let plain = "plain text, \u{20} and above: \u{7f} é".as_bytes();
        assert_eq!(plain_length(plain), plain.len());
        assert_eq!(plain_length(b""), 0);
    }

    #[test]
    fn a_whole_string_is_plain_up_to_its_first_stop_whatever_its_length() {
        for length in 0..50 {
            let plain = vec![b'a'; length];
            assert_eq!(plain_prefix(&plain), length, "plain, {length} bytes");
            for at in 0..length {
                for stop in [b'"', b'\\', 0x00, 0x1f] {
                    let mut bytes = plain.clone();
                    bytes[at] = stop;
                    // A later stop must not hide the first one.
                    if let Some(last) = bytes.last_mut().filter(|_| at + 1 < length) {
                        *last = b'"';
                    }
                    assert_eq!(plain_prefix(&bytes), at, "{stop:#x} at {at} of {length}");
                }
            }
        }
    }

    #[test]
    fn text_written_in_pieces_is_escaped_as_the_whole_would_be() {
        use std::fmt::Write as _;
        let mut spare = Vec::new();
        for pieces in [
            &["plain", " and ", "more"][..],
            &["one of [\"a\", ", "\"b\"]"],
            &["line\nbreak", "\u{1}\t", "é ", "back\\slash"],
            &[""],
        ] {
            let mut ours = b"before".to_vec();
            push_written(&mut ours, &mut spare, |out| {
                for piece in pieces {
                    out.write_str(piece).unwrap();
                }
            });
            let mut whole = b"before".to_vec();
            push_str(&mut whole, &pieces.concat());
            assert_eq!(ours, whole, "{pieces:?}");
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut all = String::new();
        for c in (0u32..0x300).filter_map(char::from_u32) {
            all.push(c);
        }
        for text in [
            all.as_str(),
            "",
            "plain",
            "tab\there \"quoted\" back\\slash \u{2028} é",
        ] {
            let mut ours = Vec::new();
            push_str(&mut ours, text);
            assert_eq!(ours, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(text in "\\PC*|[\\x00-\\x7f]{0,64}") {
            let mut ours = Vec::new();
            push_str(&mut ours, &text);
            proptest::prop_assert_eq!(ours, serde_json::to_vec(&text).unwrap());
        }
    }
}
