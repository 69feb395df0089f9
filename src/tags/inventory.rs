//! Tag inventories (`--tags FILE`): the exports a user already has, detected by shape.
//!
//! `aws resourcegroupstaggingapi get-resources`, `aws ec2 describe-instances` and
//! `describe-tags`, `aws ecs describe-tasks` and `describe-clusters` with `--include TAGS`
//! (lowercase `key`/`value`), `aws iam get-account-authorization-details`, and CloudQuery rows
//! (`aws_ec2_instances`, `aws_ecs_cluster_tasks`, `aws_iam_roles`, with `tags` as a JSON map),
//! as one document, several documents one after another, a JSON array of rows or JSON Lines,
//! plain or gzip. A resource listed is known, with the tags listed (none where the export lists
//! none); a resource in no inventory has unknown tags.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;
use serde_json::{Map, Value};

use super::{OwnerRef, TagSource, TagSubject, TargetRef, no_cluster, per_family};
use crate::model::{SessionTags, TagFamilies, TagFamily, TagSet, Tags};

/// The largest inventory read, decompressed: an account's worth of resources is far less.
pub const MAX_INVENTORY_BYTES: u64 = 1 << 30;

/// The tags of the resources every inventory read lists.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    /// EC2 instances and managed nodes, by id.
    nodes: HashMap<String, Tags>,
    /// ECS tasks, by task id.
    tasks: HashMap<String, Tags>,
    /// ECS clusters, by name.
    clusters: HashMap<String, Tags>,
    /// IAM roles and users, by name in lower case.
    owners: HashMap<OwnerRef, Tags>,
    /// Problems with single entries, which were skipped: `file: what`.
    warnings: Vec<String>,
}

/// An inventory that could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct InventoryError {
    /// The file.
    pub file: String,
    pub message: String,
}

/// What one inventory file held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InventoryCounts {
    /// Resources whose tags it gave.
    pub resources: usize,
    /// Resources of kinds no tag field reads (volumes, buckets, ...).
    pub ignored: usize,
}

impl Inventory {
    /// An empty inventory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Problems with single entries, skipped while the rest was read.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// How many resources it knows the tags of.
    pub fn len(&self) -> usize {
        self.nodes.len() + self.tasks.len() + self.clusters.len() + self.owners.len()
    }

    /// Whether it knows no resource.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads an inventory file, gzip or not.
    pub fn read_file(&mut self, path: &Path) -> Result<InventoryCounts, InventoryError> {
        let name = path.display().to_string();
        let error = |message: String| InventoryError {
            file: name.clone(),
            message,
        };
        let file = std::fs::File::open(path).map_err(|e| error(format!("cannot open it: {e}")))?;
        let mut raw = Vec::new();
        file.take(MAX_INVENTORY_BYTES + 1)
            .read_to_end(&mut raw)
            .map_err(|e| error(format!("cannot read it: {e}")))?;
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut text = Vec::new();
            MultiGzDecoder::new(raw.as_slice())
                .take(MAX_INVENTORY_BYTES + 1)
                .read_to_end(&mut text)
                .map_err(|e| error(format!("cannot decompress it: {e}")))?;
            text
        } else {
            raw
        };
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_INVENTORY_BYTES {
            return Err(error(format!(
                "it is larger than {} MiB",
                MAX_INVENTORY_BYTES >> 20
            )));
        }
        self.read_bytes(&name, &bytes)
    }

    /// Reads an inventory's text; `name` is how problems name it.
    pub fn read_bytes(
        &mut self,
        name: &str,
        bytes: &[u8],
    ) -> Result<InventoryCounts, InventoryError> {
        let error = |message: String| InventoryError {
            file: name.to_owned(),
            message,
        };
        let mut counts = InventoryCounts::default();
        let mut documents = 0usize;
        let mut offset = 0usize;
        while let Some(rest) = bytes.get(offset..) {
            let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
            match stream.next() {
                None => break,
                Some(Ok(value)) => {
                    let skipped = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
                    let line = line_of(bytes, offset + skipped);
                    offset += stream.byte_offset();
                    documents += 1;
                    self.read_document(name, line, &value, &mut counts)
                        .map_err(&error)?;
                }
                Some(Err(problem)) => {
                    // One broken line of JSON Lines: reported, and reading goes on at the next.
                    let at = offset + stream.byte_offset();
                    let line = line_of(bytes, at);
                    let next = bytes
                        .get(at..)
                        .and_then(|tail| tail.iter().position(|b| *b == b'\n'))
                        .map(|n| at + n + 1);
                    match next {
                        Some(next) if documents > 0 => {
                            self.warnings.push(format!(
                                "{name}: line {line}: not JSON ({problem}); skipped"
                            ));
                            offset = next;
                        }
                        _ => return Err(error(format!("line {line}: not JSON: {problem}"))),
                    }
                }
            }
        }
        if documents == 0 {
            return Err(error("it is empty: no inventory in it".to_owned()));
        }
        Ok(counts)
    }

    fn read_document(
        &mut self,
        name: &str,
        line: usize,
        value: &Value,
        counts: &mut InventoryCounts,
    ) -> Result<(), String> {
        match value {
            Value::Array(rows) => {
                for row in rows {
                    match row {
                        Value::Object(row) => self.read_object(name, line, row, counts)?,
                        other => {
                            return Err(format!(
                                "line {line}: a list of {}, not of inventory rows",
                                kind(other)
                            ));
                        }
                    }
                }
                Ok(())
            }
            Value::Object(object) => self.read_object(name, line, object, counts),
            other => Err(format!(
                "line {line}: {}, not a tag inventory; {EXPECTED}",
                kind(other)
            )),
        }
    }

    /// One document or row, by its shape.
    fn read_object(
        &mut self,
        name: &str,
        line: usize,
        object: &Map<String, Value>,
        counts: &mut InventoryCounts,
    ) -> Result<(), String> {
        let mut known = false;
        if let Some(list) = object.get("ResourceTagMappingList") {
            known = true;
            for entry in entries(list) {
                let arn = entry.get("ResourceARN").and_then(Value::as_str);
                self.add_by_arn(name, line, arn, entry.get("Tags"), counts);
            }
        }
        if let Some(reservations) = object.get("Reservations") {
            known = true;
            for reservation in entries(reservations) {
                for instance in reservation
                    .get("Instances")
                    .map(entries)
                    .into_iter()
                    .flatten()
                {
                    let id = instance.get("InstanceId").and_then(Value::as_str);
                    self.add(name, line, Kind::Node, id, instance.get("Tags"), counts);
                }
            }
        }
        if let Some(Value::Array(tags)) = object.get("Tags")
            && tags.iter().any(|t| t.get("ResourceId").is_some())
        {
            // `describe-tags`: one entry per tag; a resource with no tag is not listed.
            known = true;
            let mut by_resource: HashMap<&str, Tags> = HashMap::new();
            for tag in tags {
                let (Some(id), Some(key)) = (
                    tag.get("ResourceId").and_then(Value::as_str),
                    tag.get("Key").and_then(Value::as_str),
                ) else {
                    self.warnings.push(format!(
                        "{name}: line {line}: a tag without ResourceId or Key; skipped"
                    ));
                    continue;
                };
                let value = tag.get("Value").and_then(scalar_text).unwrap_or_default();
                by_resource.entry(id).or_default().insert(key, value);
            }
            for (id, tags) in by_resource {
                match kind_of_id(id) {
                    Some(kind) => {
                        counts.resources += 1;
                        self.merge(kind, id, tags);
                    }
                    None => counts.ignored += 1,
                }
            }
        }
        if let Some(tasks) = object.get("tasks") {
            known = true;
            for task in entries(tasks) {
                let id = task
                    .get("taskArn")
                    .and_then(Value::as_str)
                    .and_then(|arn| arn.rsplit('/').next());
                self.add(name, line, Kind::Task, id, task.get("tags"), counts);
            }
        }
        if let Some(clusters) = object.get("clusters") {
            known = true;
            for cluster in entries(clusters) {
                let id = cluster
                    .get("clusterName")
                    .and_then(Value::as_str)
                    .or_else(|| {
                        cluster
                            .get("clusterArn")
                            .and_then(Value::as_str)
                            .and_then(|arn| arn.rsplit('/').next())
                    });
                self.add(name, line, Kind::Cluster, id, cluster.get("tags"), counts);
            }
        }
        for (list, key, kind) in [
            ("RoleDetailList", "RoleName", Kind::Role),
            ("UserDetailList", "UserName", Kind::User),
        ] {
            if let Some(details) = object.get(list) {
                known = true;
                for detail in entries(details) {
                    let id = detail.get(key).and_then(Value::as_str);
                    self.add(name, line, kind, id, detail.get("Tags"), counts);
                }
            }
        }
        if !known && object.contains_key("tags") {
            // A CloudQuery row: identified by its ARN, or by the instance id.
            known = true;
            let tags = object.get("tags");
            match object.get("arn").and_then(Value::as_str) {
                Some(arn) => self.add_by_arn(name, line, Some(arn), tags, counts),
                None => {
                    let id = object
                        .get("instance_id")
                        .or_else(|| object.get("task_arn"))
                        .and_then(Value::as_str);
                    match id.and_then(|id| id.rsplit('/').next()) {
                        Some(id) if id.starts_with("i-") || id.starts_with("mi-") => {
                            self.add(name, line, Kind::Node, Some(id), tags, counts);
                        }
                        Some(id) => self.add(name, line, Kind::Task, Some(id), tags, counts),
                        None => self.warnings.push(format!(
                            "{name}: line {line}: a row with tags but no arn or instance_id; skipped"
                        )),
                    }
                }
            }
        }
        if known {
            return Ok(());
        }
        let mut keys: Vec<&str> = object.keys().map(String::as_str).take(6).collect();
        keys.sort_unstable();
        Err(format!(
            "line {line}: an object with {}, which is not a tag inventory; {EXPECTED}",
            match keys.is_empty() {
                true => "no member".to_owned(),
                false => format!("members {}", keys.join(", ")),
            }
        ))
    }

    fn add_by_arn(
        &mut self,
        name: &str,
        line: usize,
        arn: Option<&str>,
        tags: Option<&Value>,
        counts: &mut InventoryCounts,
    ) {
        let Some(arn) = arn else {
            self.warnings.push(format!(
                "{name}: line {line}: an entry without an ARN; skipped"
            ));
            return;
        };
        match classify_arn(arn) {
            Some((kind, id)) => self.add(name, line, kind, Some(id), tags, counts),
            None => counts.ignored += 1,
        }
    }

    fn add(
        &mut self,
        name: &str,
        line: usize,
        kind: Kind,
        id: Option<&str>,
        tags: Option<&Value>,
        counts: &mut InventoryCounts,
    ) {
        let Some(id) = id.filter(|id| !id.is_empty()) else {
            self.warnings.push(format!(
                "{name}: line {line}: {} without its id; skipped",
                kind.noun()
            ));
            return;
        };
        match read_tags(tags) {
            Ok(tags) => {
                counts.resources += 1;
                self.merge(kind, id, tags);
            }
            Err(problem) => self.warnings.push(format!(
                "{name}: line {line}: the tags of {} {id}: {problem}; skipped",
                kind.noun()
            )),
        }
    }

    /// Adds a resource's tags; a resource listed twice has the tags of both.
    fn merge(&mut self, kind: Kind, id: &str, tags: Tags) {
        let known = match kind {
            Kind::Node => self.nodes.entry(id.to_owned()).or_default(),
            Kind::Task => self.tasks.entry(id.to_owned()).or_default(),
            Kind::Cluster => self.clusters.entry(id.to_owned()).or_default(),
            Kind::Role => self
                .owners
                .entry(OwnerRef::Role(id.to_ascii_lowercase()))
                .or_default(),
            Kind::User => self
                .owners
                .entry(OwnerRef::User(id.to_ascii_lowercase()))
                .or_default(),
        };
        for (key, value) in tags.iter() {
            known.insert(key, value);
        }
    }

    fn lookup(&self, map: &HashMap<String, Tags>, id: &str, what: &str) -> TagSet {
        match map.get(id) {
            Some(tags) => TagSet::Known(tags.clone()),
            None => TagSet::Unknown(format!("{what} is in no tag inventory")),
        }
    }
}

impl TagSource for Inventory {
    fn tags(&self, subject: &TagSubject, families: TagFamilies) -> SessionTags {
        per_family(families, |family| match family {
            TagFamily::Target => match &subject.target {
                Ok(TargetRef::Instance(id) | TargetRef::ManagedNode(id)) => {
                    self.lookup(&self.nodes, id, &format!("`{id}`"))
                }
                Ok(TargetRef::EcsTask { task, .. }) => {
                    self.lookup(&self.tasks, task, &format!("ECS task `{task}`"))
                }
                Err(reason) => TagSet::Unknown(reason.clone()),
            },
            TagFamily::TargetCluster => match &subject.target {
                Ok(TargetRef::EcsTask { cluster, .. }) => {
                    self.lookup(&self.clusters, cluster, &format!("ECS cluster `{cluster}`"))
                }
                Ok(_) => no_cluster(),
                Err(reason) => TagSet::Unknown(reason.clone()),
            },
            TagFamily::Owner => match &subject.owner {
                Ok(owner) => match self.owners.get(&owner.folded()) {
                    Some(tags) => TagSet::Known(tags.clone()),
                    None => TagSet::Unknown(format!("IAM {owner} is in no tag inventory")),
                },
                Err(reason) => TagSet::Unknown(reason.clone()),
            },
        })
    }
}

/// What the inventories hold, said in errors about anything else.
const EXPECTED: &str = "expected the output of `aws resourcegroupstaggingapi get-resources`, `aws ec2 describe-instances` or `describe-tags`, `aws ecs describe-tasks` or `describe-clusters` with `--include TAGS`, `aws iam get-account-authorization-details`, or CloudQuery rows with `tags`";

/// The kinds of resource whose tags tag fields read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Node,
    Task,
    Cluster,
    Role,
    User,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Self::Node => "an instance",
            Self::Task => "an ECS task",
            Self::Cluster => "an ECS cluster",
            Self::Role => "an IAM role",
            Self::User => "an IAM user",
        }
    }
}

/// The kind and id of a resource by its ARN; `None` for kinds no tag field reads.
pub fn classify_arn(arn: &str) -> Option<(Kind, &str)> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let (_partition, service, _region, _account) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let resource = parts.next()?;
    let (kind, rest) = resource.split_once('/')?;
    let last = resource.rsplit('/').next().filter(|id| !id.is_empty())?;
    let kind = match (service, kind) {
        ("ec2", "instance") | ("ssm", "managed-instance") => Kind::Node,
        ("ecs", "task") => Kind::Task,
        ("ecs", "cluster") => return Some((Kind::Cluster, rest)),
        ("iam", "role") => Kind::Role,
        ("iam", "user") => Kind::User,
        _ => return None,
    };
    Some((kind, last))
}

fn kind_of_id(id: &str) -> Option<Kind> {
    (id.starts_with("i-") || id.starts_with("mi-")).then_some(Kind::Node)
}

/// The objects of a list; other entries are passed over.
fn entries(list: &Value) -> impl Iterator<Item = &Map<String, Value>> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// Tags as AWS writes them: a list of `Key`/`Value` (or ECS's lowercase `key`/`value`), or a
/// JSON map (CloudQuery); absent or `null` is no tag.
fn read_tags(tags: Option<&Value>) -> Result<Tags, String> {
    let mut read = Tags::default();
    match tags {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                let value = scalar_text(value)
                    .ok_or_else(|| format!("the value of `{key}` is {}", kind(value)))?;
                read.insert(key.as_str(), value);
            }
        }
        Some(Value::Array(list)) => {
            for tag in list {
                let key = tag
                    .get("Key")
                    .or_else(|| tag.get("key"))
                    .and_then(Value::as_str)
                    .ok_or("a tag without a Key")?;
                let value = match tag.get("Value").or_else(|| tag.get("value")) {
                    None | Some(Value::Null) => String::new(),
                    Some(value) => scalar_text(value)
                        .ok_or_else(|| format!("the value of `{key}` is {}", kind(value)))?,
                };
                read.insert(key, value);
            }
        }
        Some(other) => return Err(format!("they are {}, not a list or a map", kind(other))),
    }
    Ok(read)
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The 1-based line of a byte offset.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes
        .get(..offset)
        .map_or(0, |head| head.iter().filter(|b| **b == b'\n').count())
        + 1
}

#[cfg(test)]
mod tests;
