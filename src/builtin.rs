//! The policy packs compiled into the binary, written in the policy language itself.

/// Every embedded pack by name.
pub const NAMES: &[&str] = &["aws-api", "org-baseline"];

/// The packs `check` and `hook` use when no policy is given.
pub const DEFAULT_SET: &[&str] = &["aws-api", "org-baseline"];

/// The text of an embedded pack.
pub fn text(name: &str) -> Option<&'static str> {
    match name {
        "aws-api" => Some(include_str!("../policies/aws-api/aws-api.yaml")),
        "org-baseline" => Some(include_str!("../policies/org-baseline/org-baseline.yaml")),
        _ => None,
    }
}
