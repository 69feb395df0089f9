//! The invocation's payload as the exact bytes Lambda delivered, whatever they are.

use std::task::{Context as TaskContext, Poll};

use lambda_runtime::LambdaInvocation;
use lambda_runtime::tower::{Layer, Service};

/// Hands the handler the invocation's exact bytes. `lambda_runtime` deserializes the payload
/// itself and, for a body that is not JSON, answers with an error instead of calling the handler
/// (and stops the runtime for one that is not UTF-8); the hook must answer `deny` to those like
/// `ssm-guard hook` does. So this layer re-wraps the body as a JSON string (an array of bytes
/// when it is not UTF-8), which always deserializes into [`RawEvent`], and the handler decides
/// on the original bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct RawPayloadLayer;

impl<S> Layer<S> for RawPayloadLayer {
    type Service = RawPayload<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RawPayload { inner }
    }
}

#[derive(Debug, Clone)]
pub(super) struct RawPayload<S> {
    inner: S,
}

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for RawPayload<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        let wrapped = match std::str::from_utf8(&invocation.body) {
            Ok(text) => serde_json::to_vec(text),
            Err(_) => serde_json::to_vec(invocation.body.as_ref()),
        };
        // Serializing a string or bytes cannot fail; should it, `null` does not deserialize and
        // the runtime answers with an error: never an allow.
        invocation.body = wrapped.unwrap_or_else(|_| b"null".to_vec()).into();
        self.inner.call(invocation)
    }
}

/// An invocation's payload as [`RawPayloadLayer`] wraps it.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub(super) enum RawEvent {
    Text(String),
    Bytes(Vec<u8>),
}

impl RawEvent {
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Bytes(bytes) => bytes,
        }
    }
}
