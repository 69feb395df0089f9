//! What went wrong in a call to Session Manager, told as what to fix: the SDK's errors are
//! precise but name types, not remedies (`DispatchFailure`, `CredentialsNotLoaded`).

use std::error::Error as StdError;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};

/// The kinds of failure a caller may act on differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// No region was given or configured.
    NoRegion,
    /// No credentials could be found or loaded.
    NoCredentials,
    /// AWS does not accept the credentials (unknown, expired, wrong signature).
    CredentialsRefused,
    /// The credentials are valid but may not make the call.
    AccessDenied,
    /// The region's endpoint does not resolve: a region that does not exist, or no network.
    UnknownRegion,
    /// Throttled on every retry.
    Throttled,
    /// No answer in time.
    Timeout,
    /// The endpoint could not be reached.
    Network,
    /// Any other error the service answered with.
    Service,
    /// Anything else.
    Other,
}

/// A failed call, with a message that names the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ApiErrorKind,
    /// The service's error code, when it answered with one (`AccessDeniedException`).
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for ApiError {}

impl ApiError {
    pub(crate) fn new(kind: ApiErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: None,
            message: message.into(),
        }
    }

    /// No region anywhere the SDK looks.
    pub(crate) fn no_region(profile: Option<&str>) -> Self {
        let profile = match profile {
            Some(name) => format!(" (the profile `{name}` sets none, or does not exist)"),
            None => String::new(),
        };
        Self::new(
            ApiErrorKind::NoRegion,
            format!(
                "no AWS region is set{profile}: give --region, or set AWS_REGION, or a region in the profile (~/.aws/config)"
            ),
        )
    }

    /// Whether the call was refused for lack of permission or credentials: retrying will not help.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self.kind,
            ApiErrorKind::NoRegion
                | ApiErrorKind::NoCredentials
                | ApiErrorKind::CredentialsRefused
                | ApiErrorKind::AccessDenied
                | ApiErrorKind::UnknownRegion
        )
    }

    /// Reads an SDK error of `operation` (`DescribeSessions`) in `region`.
    pub(crate) fn from_sdk<E, R>(operation: &str, region: &str, error: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: fmt::Debug + 'static,
    {
        let context = chain(error);
        if let SdkError::ServiceError(service) = error {
            let inner = service.err();
            let code = inner.code().unwrap_or("").to_owned();
            let said = inner.message().unwrap_or("");
            let (kind, message) = service_error(operation, &code, said);
            return Self {
                kind,
                code: (!code.is_empty()).then_some(code),
                message,
            };
        }
        if let Some(credentials) = find_source::<CredentialsError>(error) {
            return Self::new(
                ApiErrorKind::NoCredentials,
                format!(
                    "no AWS credentials could be loaded ({}): set AWS_PROFILE or give --profile (after `aws sso login` for an SSO profile), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                    chain(credentials)
                ),
            );
        }
        if matches!(error, SdkError::TimeoutError(_)) {
            return Self::new(
                ApiErrorKind::Timeout,
                format!("{operation} did not answer in time (region `{region}`): {context}"),
            );
        }
        let lowered = context.to_ascii_lowercase();
        if lowered.contains("dns error") || lowered.contains("failed to lookup address") {
            return Self::new(
                ApiErrorKind::UnknownRegion,
                format!(
                    "the SSM endpoint of region `{region}` cannot be resolved: check the region (--region, AWS_REGION, the profile's region) and the network ({context})"
                ),
            );
        }
        if lowered.contains("region") && matches!(error, SdkError::ConstructionFailure(_)) {
            return Self::new(
                ApiErrorKind::UnknownRegion,
                format!(
                    "`{region}` is not a region SSM can be called in: check --region, AWS_REGION or the profile's region ({context})"
                ),
            );
        }
        if matches!(error, SdkError::DispatchFailure(_)) {
            return Self::new(
                ApiErrorKind::Network,
                format!("cannot reach SSM in region `{region}`: {context}"),
            );
        }
        Self::new(
            ApiErrorKind::Other,
            format!("{operation} failed: {context}"),
        )
    }
}

/// The kind and the message of an error the service answered with.
fn service_error(operation: &str, code: &str, said: &str) -> (ApiErrorKind, String) {
    // An operation of another service comes with its service's prefix (`s3:GetObject`).
    let operation = operation.strip_prefix("ssm:").unwrap_or(operation);
    let (service, operation) = operation.split_once(':').unwrap_or(("ssm", operation));
    let detail = if said.is_empty() {
        code.to_owned()
    } else {
        format!("{code}: {said}")
    };
    match code {
        "AccessDeniedException" | "AccessDenied" | "AllAccessDisabled" => (
            ApiErrorKind::AccessDenied,
            format!(
                "AWS denied {service}:{operation} ({detail}): allow the action `{service}:{operation}` to these credentials"
            ),
        ),
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "RequestExpired" => (
            ApiErrorKind::CredentialsRefused,
            format!(
                "AWS refused the credentials ({detail}): they are unknown, expired or of another account or partition; refresh them (`aws sso login`, new keys) or choose others with --profile or AWS_PROFILE"
            ),
        ),
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" => (
            ApiErrorKind::Throttled,
            format!("{service}:{operation} was still throttled after the retries ({detail})"),
        ),
        _ => (
            ApiErrorKind::Service,
            format!("{service}:{operation} failed ({detail})"),
        ),
    }
}

/// An error and its sources, each said once: `dispatch failure: io error: tcp connect error`.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        // Wrappers often repeat their source's words; say them once.
        if !text.is_empty() && !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

/// The first error of type `T` in the chain of sources.
fn find_source<'e, T: StdError + 'static>(error: &'e (dyn StdError + 'static)) -> Option<&'e T> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_name_the_fix() {
        let (kind, message) = service_error(
            "DescribeSessions",
            "AccessDeniedException",
            "User: arn:aws:sts::1:assumed-role/R/x is not authorized",
        );
        assert_eq!(kind, ApiErrorKind::AccessDenied);
        assert!(message.contains("allow the action `ssm:DescribeSessions`"));
        assert!(message.contains("is not authorized"));
        let (kind, message) = service_error("TerminateSession", "ExpiredTokenException", "");
        assert_eq!(kind, ApiErrorKind::CredentialsRefused);
        assert!(message.contains("aws sso login"), "{message}");
        let (kind, _) = service_error("DescribeSessions", "ThrottlingException", "Rate exceeded");
        assert_eq!(kind, ApiErrorKind::Throttled);
        let (kind, message) = service_error("TerminateSession", "DoesNotExistException", "");
        assert_eq!(kind, ApiErrorKind::Service);
        assert_eq!(
            message,
            "ssm:TerminateSession failed (DoesNotExistException)"
        );
    }
}
