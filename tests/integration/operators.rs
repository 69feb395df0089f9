//! Every operator of the policy language's table: where it holds, where it does not, on an
//! absent field, and on a value it cannot read; then shorthands, field references, combinators,
//! glob and regex semantics, lengths, `during`, timestamps and the derived fields.

mod prelude {
    pub(super) use crate::support::{at, check, check_at, holds};
    pub(super) use serde_json::json;
}

mod absent;
mod comparisons;
mod derived;
mod membership;
mod patterns;
mod time;
