//! The options that choose the AWS account and region of `ssm:` inputs, `sweep` and
//! `hook --describe`; unset, the SDK's standard settings decide.

#[cfg(feature = "aws")]
use ssm_guard::input::AwsSettings;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct AwsArgs {
    /// The AWS region of the calls to Session Manager (default: AWS_REGION, or the profile's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The profile of the AWS configuration files (default: AWS_PROFILE, or `default`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

#[cfg(feature = "aws")]
impl AwsArgs {
    /// The settings given on the command line.
    pub fn settings(&self) -> AwsSettings {
        AwsSettings {
            region: self.region.clone(),
            profile: self.profile.clone(),
        }
    }
}
