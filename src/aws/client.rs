//! The SSM client of the AWS SDK, configured the standard way (`AWS_REGION`, `AWS_PROFILE`,
//! `AWS_ENDPOINT_URL_SSM`, the profile files, the credential chain) with the command line's
//! `--region` and `--profile` over it, bounded timeouts and retries of throttling.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_ssm::types::{SessionFilter, SessionFilterKey, SessionState as ApiState};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

use super::api::{PAGE_SIZE, Page, SessionApi};
use super::error::ApiError;
use super::json::session_json;
use crate::input::{AwsSettings, Filter, SessionState};

/// Attempts per call, the first included: throttling and transient errors are retried with
/// exponential backoff and jitter (the SDK's standard mode) from [`INITIAL_BACKOFF`].
const MAX_ATTEMPTS: u32 = 5;
const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Session Manager's API through the SDK. Building it makes no call; a configuration that
/// cannot work (no region) is kept and returned by every call, so that whoever builds the
/// client at start-up (the Lambda function) still starts and reports it per call.
#[derive(Debug, Clone)]
pub struct SsmApi {
    client: aws_sdk_ssm::Client,
    region: String,
    broken: Option<ApiError>,
}

impl SsmApi {
    /// A client from the standard settings, with `settings` over them.
    pub async fn from_settings(settings: &AwsSettings) -> Self {
        let config = load_config(settings).await;
        let region = config.region().map(|region| region.as_ref().to_owned());
        Self {
            client: aws_sdk_ssm::Client::new(&config),
            broken: region
                .is_none()
                .then(|| ApiError::no_region(settings.profile.as_deref())),
            region: region.unwrap_or_default(),
        }
    }

    /// The region calls go to.
    pub fn region(&self) -> &str {
        &self.region
    }

    fn check(&self) -> Result<(), ApiError> {
        match &self.broken {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }
}

/// The SDK's configuration from the standard settings, with `settings` over them: rustls with
/// ring, bounded timeouts, and retries of throttling. Every client of the crate is built on it.
pub(crate) async fn load_config(settings: &AwsSettings) -> aws_config::SdkConfig {
    // rustls with ring: see Cargo.toml for why not the SDK's default TLS.
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    // Bounded so that a hanging endpoint cannot use up a Lambda invocation or hang a
    // terminal; the retries happen within the operation timeout.
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(12))
        .build();
    let retries = RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(timeouts)
        .retry_config(retries);
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    loader.load().await
}

impl SessionApi for SsmApi {
    async fn describe_page(
        &self,
        state: SessionState,
        filters: &[Filter],
        next_token: Option<String>,
    ) -> Result<Page, ApiError> {
        self.check()?;
        let state = match state {
            SessionState::Active => ApiState::Active,
            SessionState::History => ApiState::History,
        };
        let filters = filters
            .iter()
            .map(|filter| {
                SessionFilter::builder()
                    .key(SessionFilterKey::from(filter.key.api_name()))
                    .value(&filter.value)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| {
                ApiError::new(
                    super::ApiErrorKind::Other,
                    format!("cannot build the filters: {error}"),
                )
            })?;
        let output = self
            .client
            .describe_sessions()
            .state(state)
            .set_filters((!filters.is_empty()).then_some(filters))
            .max_results(PAGE_SIZE)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|error| ApiError::from_sdk("DescribeSessions", &self.region, &error))?;
        Ok(Page {
            sessions: output.sessions().iter().map(session_json).collect(),
            next_token: output.next_token().map(str::to_owned),
        })
    }

    async fn terminate(&self, session_id: &str) -> Result<(), ApiError> {
        self.check()?;
        self.client
            .terminate_session()
            .session_id(session_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| ApiError::from_sdk("TerminateSession", &self.region, &error))
    }
}
