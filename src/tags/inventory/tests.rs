use super::*;
use crate::model::TagField;
use crate::model::TagRead;

fn subject(target: &str, owner: &str) -> TagSubject {
    TagSubject {
        target: TargetRef::parse(target).ok_or_else(|| "no target".to_owned()),
        owner: OwnerRef::parse(owner).ok_or_else(|| "no owner".to_owned()),
    }
}

fn all() -> TagFamilies {
    let mut families = TagFamilies::NONE;
    for family in TagFamily::ALL {
        families.insert(family);
    }
    families
}

fn read<'t>(tags: &'t SessionTags, name: &str) -> TagRead<'t> {
    tags.read(TagField::from_name(name).unwrap())
}

const ROLE: &str = "arn:aws:sts::123456789012:assumed-role/Payments-Admin/ana";

#[test]
fn every_listed_shape_is_read() {
    let mut inventory = Inventory::new();
    let shapes: [(&str, &str); 7] = [
        (
            "tagging",
            r#"{"ResourceTagMappingList": [
            {"ResourceARN": "arn:aws:ec2:us-east-1:123456789012:instance/i-0aaa", "Tags": [{"Key": "Environment", "Value": "prod"}]},
            {"ResourceARN": "arn:aws:ecs:us-east-1:123456789012:cluster/pay_prod", "Tags": [{"Key": "Environment", "Value": "prod"}]},
            {"ResourceARN": "arn:aws:s3:::bucket", "Tags": []}]}"#,
        ),
        (
            "instances",
            r#"{"Reservations": [{"Instances": [{"InstanceId": "i-0bbb", "Tags": [{"Key": "Environment", "Value": "dev"}]}, {"InstanceId": "i-0ccc"}]}]}"#,
        ),
        (
            "describe-tags",
            r#"{"Tags": [{"Key": "Environment", "ResourceId": "i-0ddd", "ResourceType": "instance", "Value": "stage"}]}"#,
        ),
        (
            "tasks",
            r#"{"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/pay_prod/0123abcd", "tags": [{"key": "team", "value": "payments"}]}], "failures": []}"#,
        ),
        (
            "clusters",
            r#"{"clusters": [{"clusterName": "web", "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/web", "tags": [{"key": "Environment", "value": "dev"}]}]}"#,
        ),
        (
            "iam",
            r#"{"UserDetailList": [{"UserName": "bob", "Tags": [{"Key": "team", "Value": "ops"}]}], "RoleDetailList": [{"RoleName": "payments-admin", "Arn": "arn:aws:iam::123456789012:role/payments-admin", "Tags": [{"Key": "Team", "Value": "payments"}]}], "GroupDetailList": [], "Policies": []}"#,
        ),
        (
            "cloudquery",
            "{\"instance_id\": \"mi-0eee\", \"tags\": {\"Environment\": \"prod\"}}\n{\"arn\": \"arn:aws:ecs:us-east-1:123456789012:task/web/0999\", \"cluster_arn\": \"arn:aws:ecs:us-east-1:123456789012:cluster/web\", \"tags\": {\"team\": \"web\"}}\n",
        ),
    ];
    for (name, text) in shapes {
        inventory.read_bytes(name, text.as_bytes()).unwrap();
    }
    assert_eq!(inventory.warnings(), &[] as &[String]);
    let tags = inventory.tags(&subject("i-0aaa", ROLE), all());
    assert_eq!(
        read(&tags, "TargetTags.Environment"),
        TagRead::Value("prod")
    );
    assert_eq!(read(&tags, "OwnerTags.team"), TagRead::Value("payments"));
    assert_eq!(
        read(&tags, "TargetClusterTags.Environment"),
        TagRead::Absent
    );
    let untagged = inventory.tags(&subject("i-0ccc", ROLE), all());
    assert_eq!(read(&untagged, "TargetTags.Environment"), TagRead::Absent);
    let stage = inventory.tags(&subject("i-0ddd", ROLE), all());
    assert_eq!(
        read(&stage, "TargetTags.Environment"),
        TagRead::Value("stage")
    );
    let node = inventory.tags(&subject("mi-0eee", ROLE), all());
    assert_eq!(
        read(&node, "TargetTags.Environment"),
        TagRead::Value("prod")
    );
    let task = inventory.tags(&subject("ecs:pay_prod_0123abcd_0123abcd-99", ROLE), all());
    assert_eq!(read(&task, "TargetTags.team"), TagRead::Value("payments"));
    assert_eq!(
        read(&task, "TargetClusterTags.Environment"),
        TagRead::Value("prod")
    );
    let web = inventory.tags(
        &subject("ecs:web_0999_0999-1", "arn:aws:iam::123456789012:user/bob"),
        all(),
    );
    assert_eq!(read(&web, "TargetTags.team"), TagRead::Value("web"));
    assert_eq!(
        read(&web, "TargetClusterTags.Environment"),
        TagRead::Value("dev")
    );
    assert_eq!(read(&web, "OwnerTags.Team"), TagRead::Value("ops"));
}

#[test]
fn a_target_in_no_inventory_has_unknown_tags() {
    let mut inventory = Inventory::new();
    inventory
        .read_bytes(
            "i",
            br#"{"Reservations": [{"Instances": [{"InstanceId": "i-0bbb"}]}]}"#,
        )
        .unwrap();
    let tags = inventory.tags(&subject("i-0fff", ROLE), all());
    let TagRead::Unknown(reason) = read(&tags, "TargetTags.Environment") else {
        panic!("known");
    };
    assert!(reason.contains("i-0fff"), "{reason}");
    assert!(matches!(read(&tags, "OwnerTags.team"), TagRead::Unknown(_)));
}

#[test]
fn anything_else_is_a_clear_error_and_bad_entries_are_skipped() {
    let mut inventory = Inventory::new();
    let error = inventory
        .read_bytes("sessions.json", br#"{"Sessions": []}"#)
        .unwrap_err();
    assert!(error.to_string().contains("sessions.json"), "{error}");
    assert!(error.message.contains("not a tag inventory"), "{error}");
    assert!(inventory.read_bytes("empty", b"  ").is_err());
    assert!(
        inventory
            .read_bytes("broken", b"{\"Reservations\": [")
            .is_err()
    );
    let text = "{\"instance_id\": \"i-01\", \"tags\": {\"a\": \"b\"}}\n{broken\n{\"instance_id\": \"i-02\", \"tags\": [{\"Value\": \"x\"}]}\n{\"instance_id\": \"i-03\", \"tags\": null}\n";
    let counts = inventory.read_bytes("rows.jsonl", text.as_bytes()).unwrap();
    assert_eq!(counts.resources, 2);
    assert_eq!(inventory.warnings().len(), 2, "{:?}", inventory.warnings());
    assert!(
        inventory.warnings()[0].contains("line 2"),
        "{:?}",
        inventory.warnings()
    );
}

#[test]
fn gzip_inventories_are_read() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("ssm-guard-inventory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tags.json.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(br#"[{"instance_id": "i-0abc", "tags": {"Environment": "prod"}}]"#)
        .unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let mut inventory = Inventory::new();
    assert_eq!(inventory.read_file(&path).unwrap().resources, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
