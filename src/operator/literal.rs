//! Texts compared with the short literals policies name (`mi-`, `JustInTime`, a document name)
//! by loading words, not by a call to `memcmp`, whose call cost more than the comparison.

/// Whether `a` and `b` hold the same bytes.
///
/// Up to sixteen bytes are compared as two overlapping words (or half-words), longer texts by
/// the standard library.
#[inline]
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        0 => true,
        1..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => halves::<4>(a) == halves::<4>(b),
        8..=16 => halves::<8>(a) == halves::<8>(b),
        _ => a == b,
    }
}

/// Whether `text` starts with `prefix`.
#[inline]
pub(super) fn starts_with(text: &[u8], prefix: &[u8]) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| same(head, prefix))
}

/// Whether `text` ends with `suffix`.
#[inline]
pub(super) fn ends_with(text: &[u8], suffix: &[u8]) -> bool {
    text.len()
        .checked_sub(suffix.len())
        .and_then(|start| text.get(start..))
        .is_some_and(|tail| same(tail, suffix))
}

/// The first and the last `N` bytes of `bytes` (which holds at least `N`, at most twice as
/// many): together they cover every byte.
#[inline(always)]
fn halves<const N: usize>(bytes: &[u8]) -> (Option<&[u8; N]>, Option<&[u8; N]>) {
    (bytes.first_chunk::<N>(), bytes.last_chunk::<N>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_and_every_differing_byte_is_told_apart() {
        for length in 0..40 {
            let text: Vec<u8> = (0..length).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same(&text, &text.clone()), "{length}");
            for at in 0..length {
                let mut other = text.clone();
                other[at] ^= 0x20;
                assert!(!same(&text, &other), "{length} at {at}");
            }
            let mut longer = text.clone();
            longer.push(b'z');
            assert!(!same(&text, &longer));
            assert!(starts_with(&longer, &text) && ends_with(&longer, &longer[1..]));
            assert!(!starts_with(&text, &longer));
            assert!(!ends_with(&text, &longer));
        }
        assert!(starts_with(b"mi-0123", b"mi-") && !starts_with(b"i-0123", b"mi-"));
        assert!(ends_with(b"checkout-prod", b"-prod") && !ends_with(b"prod", b"-prod"));
    }
}
