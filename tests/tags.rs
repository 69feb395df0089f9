//! Tag fields judged with live lookups and with inventories of the same resources: instances,
//! an ECS task and its cluster, and IAM roles made with their tags in moto's server; managed
//! nodes in the project's SSM stand-in, one of them throttled; and targets whose tags cannot
//! be learned, which are judged "could not be judged", never as untagged.

#![cfg(feature = "aws")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod loopback;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use loopback::events::{active_session, api_record, bytes, policies, seconds_ago, start_session};
use loopback::function::{scratch_dir, ssm_guard};
use loopback::moto::Moto;
use loopback::ssm::{FakeSsm, SsmSetup};

const POLICY: &str = r#"policy: tagged
rules:
  - id: prod-needs-reason
    when:
      any:
        - TargetTags.Environment: prod
        - TargetClusterTags.Environment: prod
    require: { Reason: { matches: "^INC-" } }
  - id: same-team
    action: warn
    when: { TargetTags.team: { exists: true } }
    require: { OwnerTags.team: { equals: { field: TargetTags.team } } }
"#;

/// Makes the resources and exports them in every inventory shape; prints the ids as JSON.
const WORLD: &str = r#"
ec2 = client('ec2')
ami = ec2.describe_images()['Images'][0]['ImageId']
def instance(tags):
    spec = {'ImageId': ami, 'MinCount': 1, 'MaxCount': 1}
    if tags:
        spec['TagSpecifications'] = [{'ResourceType': 'instance', 'Tags': [{'Key': k, 'Value': v} for k, v in tags.items()]}]
    return ec2.run_instances(**spec)['Instances'][0]['InstanceId']
prod = instance({'Environment': 'prod', 'team': 'payments'})
dev = instance({'Environment': 'dev', 'Cost Center': '42'})
ecs = client('ecs')
ecs.create_cluster(clusterName='pay_prod', tags=[{'key': 'Environment', 'value': 'prod'}])
ecs.register_task_definition(family='web', containerDefinitions=[{'name': 'web', 'image': 'nginx', 'memory': 128}])
task = ecs.run_task(cluster='pay_prod', taskDefinition='web', launchType='FARGATE',
    tags=[{'key': 'team', 'value': 'payments'}],
    networkConfiguration={'awsvpcConfiguration': {'subnets': ['subnet-1']}})['tasks'][0]
iam = client('iam')
iam.create_role(RoleName='Payments-Admin', AssumeRolePolicyDocument='{}', Tags=[{'Key': 'Team', 'Value': 'payments'}])
iam.create_role(RoleName='Ops', AssumeRolePolicyDocument='{}', Tags=[{'Key': 'team', 'Value': 'ops'}])
def strip(answer):
    answer.pop('ResponseMetadata', None)
    return answer
out = {}
out['get-resources.json'] = strip(client('resourcegroupstaggingapi').get_resources())
out['get-resources.json']['ResourceTagMappingList'].append({'ResourceARN': 'arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0aaa', 'Tags': [{'Key': 'Environment', 'Value': 'prod'}]})
out['describe-instances.json'] = strip(ec2.describe_instances())
out['describe-tags.json'] = strip(ec2.describe_tags())
out['describe-tasks.json'] = strip(ecs.describe_tasks(cluster='pay_prod', tasks=[task['taskArn']], include=['TAGS']))
out['describe-clusters.json'] = strip(ecs.describe_clusters(clusters=['pay_prod'], include=['TAGS']))
out['authorization-details.json'] = strip(iam.get_account_authorization_details())
rows = []
for r in out['describe-instances.json']['Reservations']:
    for i in r['Instances']:
        rows.append(json.dumps({'instance_id': i['InstanceId'], 'tags': {t['Key']: t['Value'] for t in i.get('Tags', [])}}))
rows.append(json.dumps({'arn': task['taskArn'], 'cluster_arn': task['clusterArn'], 'tags': {'team': 'payments'}}))
for role in out['authorization-details.json']['RoleDetailList']:
    rows.append(json.dumps({'arn': role['Arn'], 'tags': {t['Key']: t['Value'] for t in role.get('Tags', [])}}))
out['cloudquery.jsonl'] = '\n'.join(rows) + '\n'
print(json.dumps({'prod': prod, 'dev': dev, 'task': task['taskArn'].rsplit('/', 1)[1], 'exports': out}, default=str))
"#;

struct World {
    moto: Moto,
    ssm: FakeSsm,
    sessions: Vec<Value>,
    /// Each export, by file name, in a folder of its own.
    exports: BTreeMap<String, PathBuf>,
}

fn owner(role: &str) -> String {
    format!("arn:aws:sts::123456789012:assumed-role/{role}/ana@example.org")
}

fn session(id: &str, target: &str, role: &str) -> Value {
    let mut record = active_session(id, target, "60", seconds_ago(60));
    record["Owner"] = json!(owner(role));
    record
}

/// The SSM stand-in's setup: the sessions active, `mi-0aaa` tagged, `mi-0bbb` throttled.
fn stand_in(sessions: &[Value]) -> SsmSetup {
    SsmSetup {
        active: sessions.to_vec(),
        node_tags: vec![(
            "mi-0aaa".to_owned(),
            vec![("Environment".to_owned(), "prod".to_owned())],
        )],
        throttle_tags: vec!["mi-0bbb".to_owned()],
        ..SsmSetup::default()
    }
}

fn world() -> World {
    let moto = Moto::start();
    let made: Value = serde_json::from_str(moto.python(WORLD).trim()).unwrap();
    let dir = scratch_dir("inventories");
    let mut exports = BTreeMap::new();
    for (name, export) in made["exports"].as_object().unwrap() {
        let text = match export {
            Value::String(text) => text.clone(),
            other => serde_json::to_string_pretty(other).unwrap(),
        };
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        exports.insert(name.clone(), path);
    }
    let (prod, dev, task) = (
        made["prod"].as_str().unwrap(),
        made["dev"].as_str().unwrap(),
        made["task"].as_str().unwrap(),
    );
    let sessions = vec![
        session("s-prod", prod, "Payments-Admin"),
        session("s-dev", dev, "Payments-Admin"),
        session("s-task", &format!("ecs:pay_prod_{task}_{task}-1"), "Ops"),
        session("s-node", "mi-0aaa", "Payments-Admin"),
        session("s-throttled", "mi-0bbb", "Payments-Admin"),
        session("s-gone", "i-0123456789abcdef0", "Payments-Admin"),
    ];
    let ssm = FakeSsm::start(stand_in(&sessions));
    World {
        moto,
        ssm,
        sessions,
        exports,
    }
}

fn policy() -> String {
    policies("tagged.yaml", POLICY).display().to_string()
}

fn run(world: &World, args: &[&str]) -> Output {
    let endpoint = world.moto.endpoint();
    // moto keeps the resources in its region; the SSM stand-in answers in any.
    let vars = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", loopback::moto::REGION),
    ];
    ssm_guard(&world.ssm, args, &vars, b"")
}

fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Each session's decision and its violations (rule, and whether it could not be judged).
fn decisions(report: &Value) -> BTreeMap<String, (String, Vec<String>)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            let violations = result["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    let unjudged = v["message"]
                        .as_str()
                        .unwrap()
                        .contains("could not be judged");
                    format!(
                        "{}{}",
                        v["rule"].as_str().unwrap(),
                        if unjudged {
                            " (could not be judged)"
                        } else {
                            ""
                        }
                    )
                })
                .collect();
            (
                result["session_id"].as_str().unwrap().to_owned(),
                (result["decision"].as_str().unwrap().to_owned(), violations),
            )
        })
        .collect()
}

fn expected() -> BTreeMap<String, (String, Vec<String>)> {
    let row = |decision: &str, rules: &[&str]| {
        (
            decision.to_owned(),
            rules.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>(),
        )
    };
    BTreeMap::from([
        ("s-prod".to_owned(), row("deny", &["prod-needs-reason"])),
        ("s-dev".to_owned(), row("allow", &[])),
        (
            "s-task".to_owned(),
            row("deny", &["prod-needs-reason", "same-team"]),
        ),
        ("s-node".to_owned(), row("deny", &["prod-needs-reason"])),
        (
            "s-throttled".to_owned(),
            row(
                "deny",
                &[
                    "prod-needs-reason (could not be judged)",
                    "same-team (could not be judged)",
                ],
            ),
        ),
        (
            "s-gone".to_owned(),
            row(
                "deny",
                &[
                    "prod-needs-reason (could not be judged)",
                    "same-team (could not be judged)",
                ],
            ),
        ),
    ])
}

fn saved(world: &World) -> PathBuf {
    let path = scratch_dir("sessions").join("active.json");
    std::fs::write(&path, json!({"Sessions": world.sessions}).to_string()).unwrap();
    path
}

fn export(world: &World, name: &str) -> String {
    world.exports[name].display().to_string()
}

#[test]
fn live_lookups_and_every_inventory_shape_give_the_same_decisions() {
    let world = world();
    let policy = policy();
    let live = run(
        &world,
        &[
            "check",
            "-p",
            &policy,
            "--format",
            "json",
            "--lookup-tags",
            "ssm:active",
        ],
    );
    assert_eq!(
        live.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    let live = report(&live);
    assert_eq!(decisions(&live), expected(), "{:#}", live["results"]);
    let throttled = &live["results"].as_array().unwrap()[4]["violations"][0];
    assert!(
        throttled["unreadable"]
            .as_str()
            .unwrap()
            .contains("Rate exceeded"),
        "{throttled}"
    );
    // Throttled calls are retried by the SDK, then left unknown: never cached, so asked again
    // for the second rule's lookup of the same session.
    assert!(world.ssm.calls_of("ListTagsForResource").len() >= 2);

    let sessions = saved(&world).display().to_string();
    let check = |inventories: &[&str]| {
        let mut args = vec!["check", "-p", policy.as_str(), "--format", "json"];
        for name in inventories {
            args.extend(["--tags", Box::leak(export(&world, name).into_boxed_str())]);
        }
        args.push(&sessions);
        report(&run(&world, &args))
    };
    // The Tagging API's listing alone holds targets; IAM's details hold owners.
    for inventories in [
        &["get-resources.json", "authorization-details.json"][..],
        &[
            "describe-instances.json",
            "describe-tasks.json",
            "describe-clusters.json",
            "authorization-details.json",
            "get-resources.json",
        ][..],
        &[
            "cloudquery.jsonl",
            "describe-clusters.json",
            "get-resources.json",
        ][..],
    ] {
        assert_eq!(
            decisions(&check(inventories)),
            expected(),
            "{inventories:?}"
        );
    }
    // describe-tags lists only tagged instances, like the other shapes.
    let tags_only = check(&[
        "describe-tags.json",
        "describe-tasks.json",
        "describe-clusters.json",
        "authorization-details.json",
    ]);
    assert_eq!(decisions(&tags_only)["s-prod"], expected()["s-prod"]);
}

#[test]
fn without_a_tag_source_tag_rules_could_not_be_judged_and_say_why() {
    let world = world();
    let sessions = saved(&world).display().to_string();
    let policy = policy();
    let output = run(
        &world,
        &["check", "-p", &policy, "--format", "json", &sessions],
    );
    let report = report(&output);
    let dev = &report["results"].as_array().unwrap()[1];
    assert_eq!(dev["decision"], "deny");
    let message = dev["violations"][0]["message"].as_str().unwrap();
    assert!(message.contains("could not be judged"), "{message}");
    assert!(message.contains("--tags"), "{message}");
    assert!(world.moto.python("print('ok')").contains("ok"));
}

#[test]
fn an_inventory_of_another_kind_is_a_clear_error() {
    let world = world();
    let sessions = saved(&world);
    let policy = policy();
    let output = run(
        &world,
        &[
            "check",
            "-p",
            &policy,
            "--tags",
            sessions.to_str().unwrap(),
            sessions.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a tag inventory"), "{stderr}");
    assert!(stderr.contains("active.json"), "{stderr}");
    let _ = Path::new(&sessions);
}

#[test]
fn the_sweep_decides_as_check_does_and_terminates_what_its_fresh_read_denies() {
    let world = world();
    let policy = policy();
    let output = run(
        &world,
        &[
            "sweep", "-p", &policy, "--mode", "enforce", "--format", "json",
        ],
    );
    let report = report(&output);
    let decided: BTreeMap<String, String> = report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|swept| {
            (
                swept["session"]["SessionId"].as_str().unwrap().to_owned(),
                swept["decision"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let from_check: BTreeMap<String, String> = expected()
        .into_iter()
        .map(|(id, (decision, _))| (id, decision))
        .collect();
    assert_eq!(decided, from_check, "{report:#}");
    let mut terminated = world.ssm.terminated_ids();
    terminated.sort();
    assert_eq!(
        terminated,
        ["s-gone", "s-node", "s-prod", "s-task", "s-throttled"]
    );
    // Each terminated session's managed-node tags were read again past the cache.
    assert!(world.ssm.calls_of("ListTagsForResource").len() >= 2);
}

#[cfg(feature = "lambda")]
#[test]
fn the_lambda_functions_sweep_decides_as_check_does() {
    use loopback::events::scheduled_event;
    use loopback::function::{Binary, run_lambda};
    let world = world();
    let policy = policy();
    let endpoint = world.moto.endpoint();
    let settings = [
        ("SSM_GUARD_POLICIES", policy.as_str()),
        ("SSM_GUARD_MODE", "enforce"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", loopback::moto::REGION),
    ];
    let event = serde_json::to_vec(&scheduled_event()).unwrap();
    let run = run_lambda(
        Binary::Bootstrap,
        &settings,
        &[event],
        stand_in(&world.sessions),
    );
    let answer = run.answer(0);
    let decided: BTreeMap<String, String> = answer["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer:#}"))
        .iter()
        .map(|swept| {
            (
                swept["SessionId"].as_str().unwrap().to_owned(),
                swept["decision"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let from_check: BTreeMap<String, String> = expected()
        .into_iter()
        .map(|(id, (decision, _))| (id, decision))
        .collect();
    assert_eq!(decided, from_check, "{answer:#}");
    let mut terminated = run.terminations.clone();
    terminated.sort();
    assert_eq!(
        terminated,
        ["s-gone", "s-node", "s-prod", "s-task", "s-throttled"]
    );
}

#[test]
fn hook_describe_judges_the_started_session_with_its_tags() {
    let world = world();
    let policy = policy();
    let endpoint = world.moto.endpoint();
    let vars = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", loopback::moto::REGION),
    ];
    let prod = world.sessions[0]["Target"].as_str().unwrap().to_owned();
    let dev = world.sessions[1]["Target"].as_str().unwrap().to_owned();
    // The event's Reason cites a change, not an incident: production denies it.
    for (target, decision) in [(prod, "deny"), (dev, "allow")] {
        let mut event = start_session("s-hook", "SSM-SessionManagerRunShell");
        event["detail"]["requestParameters"]["target"] = json!(target);
        let ssm = FakeSsm::start(SsmSetup {
            active: vec![api_record(&event, "60")],
            ..SsmSetup::default()
        });
        let output = ssm_guard(
            &ssm,
            &["hook", "-p", &policy, "--describe"],
            &vars,
            &bytes(&event),
        );
        let answer = report(&output);
        assert_eq!(answer["described"], true, "{answer:#}");
        assert_eq!(answer["decision"], decision, "{target}: {answer:#}");
        // Judged on the target's tags looked up, not left unjudged (the owner's role is not in
        // IAM, so the team rule, a warning, could not be judged).
        let denying = answer["violations"].to_string();
        assert!(!denying.contains("could not be judged"), "{answer:#}");
    }
}
