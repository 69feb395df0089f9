//! `--tags FILE` and `--lookup-tags`: where `check` and `diff` get the tags that `TargetTags`,
//! `TargetClusterTags` and `OwnerTags` read.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use ssm_guard::model::TagFamilies;
use ssm_guard::tags::{Inventory, TagContext, TagSource};

use super::aws::AwsArgs;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct TagArgs {
    /// A tag inventory (repeatable, gzip allowed): the output of `aws resourcegroupstaggingapi
    /// get-resources`, `aws ec2 describe-instances` or `describe-tags`, `aws ecs
    /// describe-tasks|describe-clusters --include TAGS`, `aws iam
    /// get-account-authorization-details`, or CloudQuery rows. A target in none has unknown tags.
    #[arg(long = "tags", value_name = "FILE")]
    pub inventories: Vec<PathBuf>,
    /// Look tags up live (Resource Groups Tagging API, Systems Manager, IAM), cached for the
    /// run; only the tag families the policies read. Needs a build with `--features aws`.
    #[arg(long)]
    pub lookup_tags: bool,
}

impl TagArgs {
    /// The tags sessions are judged with, for the families `families` the policies read. With
    /// neither flag, every tag is unknown; warnings about skipped entries go to `stderr`.
    pub fn context(
        &self,
        families: TagFamilies,
        aws: &AwsArgs,
        stderr: &mut dyn Write,
    ) -> Result<TagContext, String> {
        if self.lookup_tags && !self.inventories.is_empty() {
            return Err("give --tags or --lookup-tags, not both: a target missing from an inventory would otherwise be judged by another source".to_owned());
        }
        if families.is_empty() {
            if !self.inventories.is_empty() || self.lookup_tags {
                let _ = writeln!(
                    stderr,
                    "warning: no policy reads a tag field (TargetTags, TargetClusterTags, OwnerTags): the tags are not read"
                );
            }
            return Ok(TagContext::new(None, families));
        }
        if self.lookup_tags {
            return lookup(aws).map(|source| TagContext::new(Some(source), families));
        }
        if self.inventories.is_empty() {
            return Ok(TagContext::new(None, families));
        }
        let mut inventory = Inventory::new();
        for path in &self.inventories {
            inventory
                .read_file(path)
                .map_err(|error| error.to_string())?;
        }
        for warning in inventory.warnings() {
            let _ = writeln!(stderr, "warning: {warning}");
        }
        Ok(TagContext::new(Some(Arc::new(inventory)), families))
    }
}

#[cfg(feature = "aws")]
fn lookup(aws: &AwsArgs) -> Result<Arc<dyn TagSource>, String> {
    ssm_guard::aws::BlockingTags::from_settings(&aws.settings())
        .map(|tags| Arc::new(tags) as Arc<dyn TagSource>)
        .map_err(|error| format!("cannot start the async runtime: {error}"))
}

#[cfg(not(feature = "aws"))]
fn lookup(_aws: &AwsArgs) -> Result<Arc<dyn TagSource>, String> {
    Err("--lookup-tags looks tags up in AWS, and this ssm-guard was built without the AWS SDK: build it with `--features aws`, or export the tags and pass them with --tags FILE".to_owned())
}
