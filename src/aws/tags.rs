//! The tag lookups' calls through the AWS SDK: the Resource Groups Tagging API's
//! `GetResources` for EC2 instances, ECS tasks and clusters, Systems Manager's
//! `ListTagsForResource` for managed nodes, and IAM's `ListRoleTags` and `ListUserTags` for
//! owners. Read permissions only: `tag:GetResources`, `ssm:ListTagsForResource`,
//! `iam:ListRoleTags`, `iam:ListUserTags`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_sdk_ssm::types::ResourceTypeForTagging;

use super::client::load_config;
use super::error::ApiError;
use crate::input::AwsSettings;
use crate::model::{SessionTags, TagFamilies, Tags};
use crate::tags::inventory::{Kind, classify_arn};
use crate::tags::{ListedType, LiveTags, LookupError, OwnerRef, TagApi, TagSource, TagSubject};

/// The most pages of one listing: 100 resources a page, far beyond a region's instances.
const MAX_PAGES: usize = 1000;

/// Attempts per tag call: fewer than the session calls', since a lookup that keeps failing
/// leaves its tags unknown (and the rule judged so) rather than holding up every session.
const TAG_ATTEMPTS: u32 = 3;

/// The SDK's clients of the tag lookups.
#[derive(Debug, Clone)]
pub struct SdkTagApi {
    tagging: aws_sdk_resourcegroupstagging::Client,
    ssm: aws_sdk_ssm::Client,
    iam: aws_sdk_iam::Client,
    region: String,
}

impl SdkTagApi {
    /// The clients, from the standard settings with `settings` over them.
    pub async fn from_settings(settings: &AwsSettings) -> Self {
        let config = load_config(settings).await;
        let retries = RetryConfig::standard()
            .with_max_attempts(TAG_ATTEMPTS)
            .with_initial_backoff(Duration::from_millis(100));
        let region = config
            .region()
            .map(|region| region.as_ref().to_owned())
            .unwrap_or_default();
        let tagging = aws_sdk_resourcegroupstagging::config::Builder::from(&config)
            .retry_config(retries.clone())
            .build();
        let ssm = aws_sdk_ssm::config::Builder::from(&config)
            .retry_config(retries.clone())
            .build();
        let iam = aws_sdk_iam::config::Builder::from(&config)
            .retry_config(retries)
            .build();
        Self {
            tagging: aws_sdk_resourcegroupstagging::Client::from_conf(tagging),
            ssm: aws_sdk_ssm::Client::from_conf(ssm),
            iam: aws_sdk_iam::Client::from_conf(iam),
            region,
        }
    }
}

fn failed(error: ApiError) -> LookupError {
    LookupError(error.message)
}

impl TagApi for SdkTagApi {
    async fn list_tagged(&self, kind: ListedType) -> Result<HashMap<String, Tags>, LookupError> {
        let mut listed = HashMap::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .tagging
                .get_resources()
                .resource_type_filters(kind.filter())
                .resources_per_page(100)
                .set_pagination_token(token.take())
                .send()
                .await
                .map_err(|e| failed(ApiError::from_sdk("GetResources", &self.region, &e)))?;
            for mapping in page.resource_tag_mapping_list() {
                let Some((found, id)) = mapping.resource_arn().and_then(classify_arn) else {
                    continue;
                };
                let wanted = matches!(
                    (kind, found),
                    (ListedType::Instance, Kind::Node)
                        | (ListedType::Task, Kind::Task)
                        | (ListedType::Cluster, Kind::Cluster)
                );
                if wanted {
                    let tags = mapping
                        .tags()
                        .iter()
                        .map(|t| (t.key(), t.value()))
                        .collect();
                    listed.insert(id.to_owned(), tags);
                }
            }
            match page.pagination_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => return Ok(listed),
            }
        }
        Err(LookupError(format!(
            "GetResources gave more than {MAX_PAGES} pages of {}",
            kind.filter()
        )))
    }

    async fn node_tags(&self, node: &str) -> Result<Tags, LookupError> {
        let output = self
            .ssm
            .list_tags_for_resource()
            .resource_type(ResourceTypeForTagging::ManagedInstance)
            .resource_id(node)
            .send()
            .await
            .map_err(|e| failed(ApiError::from_sdk("ListTagsForResource", &self.region, &e)))?;
        Ok(output
            .tag_list()
            .iter()
            .map(|t| (t.key(), t.value()))
            .collect())
    }

    async fn owner_tags(&self, owner: &OwnerRef) -> Result<Tags, LookupError> {
        let mut tags = Tags::default();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let (page, truncated, next) = match owner {
                OwnerRef::Role(name) => {
                    let out = self
                        .iam
                        .list_role_tags()
                        .role_name(name)
                        .set_marker(marker.take())
                        .send()
                        .await
                        .map_err(|e| {
                            failed(ApiError::from_sdk("ListRoleTags", &self.region, &e))
                        })?;
                    let page: Vec<(String, String)> = out
                        .tags()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned()))
                        .collect();
                    (page, out.is_truncated(), out.marker().map(str::to_owned))
                }
                OwnerRef::User(name) => {
                    let out = self
                        .iam
                        .list_user_tags()
                        .user_name(name)
                        .set_marker(marker.take())
                        .send()
                        .await
                        .map_err(|e| {
                            failed(ApiError::from_sdk("ListUserTags", &self.region, &e))
                        })?;
                    let page: Vec<(String, String)> = out
                        .tags()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned()))
                        .collect();
                    (page, out.is_truncated(), out.marker().map(str::to_owned))
                }
            };
            for (key, value) in page {
                tags.insert(key, value);
            }
            match (truncated, next) {
                (true, Some(next)) => marker = Some(next),
                _ => return Ok(tags),
            }
        }
        Ok(tags)
    }
}

/// Live lookups for code that is not async (`check`'s evaluating threads): each lookup runs
/// on a runtime of its own, the cache shared.
#[derive(Debug)]
pub struct BlockingTags {
    live: Arc<LiveTags<SdkTagApi>>,
    runtime: tokio::runtime::Runtime,
}

impl BlockingTags {
    /// Lookups through the SDK with `settings`.
    pub fn from_settings(settings: &AwsSettings) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let api = runtime.block_on(SdkTagApi::from_settings(settings));
        Ok(Self {
            live: Arc::new(LiveTags::new(api)),
            runtime,
        })
    }
}

impl TagSource for BlockingTags {
    fn tags(&self, subject: &TagSubject, families: TagFamilies) -> SessionTags {
        self.runtime
            .block_on(self.live.lookup(subject, families, false))
    }
}
