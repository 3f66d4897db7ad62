//! The deployment examples hold what docs/en/deployment.md promises: SpinKube probes that take
//! a replica stuck on its key-value store out of service and restart it within seconds, with
//! only fields the `SpinApp` resource accepts, and a Redis that persists and never evicts.

use serde::Deserialize;
use serde_yaml::Value;

/// The fields of spin-operator's `HealthProbe` (api/v1alpha1/spinapp_types.go, v0.6.1). The
/// API server drops anything else without a word, so a misspelt timeout would silently be 1 s.
const PROBE_FIELDS: &[&str] = &[
    "httpGet",
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold",
];

fn documents(rel: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(test_host::repo_path(rel)).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap())
        .collect()
}

fn seconds(probe: &Value, field: &str, default: i64) -> i64 {
    let value = probe.get(field).map_or(default, |v| v.as_i64().unwrap());
    assert!(value >= 1, "{field} must be at least 1");
    value
}

/// Worst case from the store getting stuck to the probe acting: the probe that just passed,
/// then `failureThreshold` probes that each wait out their timeout.
fn seconds_to_act(probe: &Value) -> i64 {
    let period = seconds(probe, "periodSeconds", 10);
    let timeout = seconds(probe, "timeoutSeconds", 1);
    let failures = seconds(probe, "failureThreshold", 3);
    assert!(timeout < period, "a probe ends before the next starts");
    period * failures + timeout
}

#[test]
fn spinkube_probes_act_on_a_stuck_replica_within_seconds() {
    let docs = documents("docs/examples/spinkube/spinapp.yaml");
    let checks = &docs[0]["spec"]["checks"];
    for (kind, bound) in [("readiness", 10), ("liveness", 15)] {
        let probe = &checks[kind];
        for field in probe.as_mapping().unwrap().keys() {
            let field = field.as_str().unwrap();
            assert!(
                PROBE_FIELDS.contains(&field),
                "{kind}.{field} is not a SpinApp field"
            );
        }
        assert_eq!(probe["httpGet"]["path"], "/healthz");
        assert!(
            seconds(probe, "timeoutSeconds", 1) >= 2,
            "{kind}: room for a busy replica"
        );
        let acts = seconds_to_act(probe);
        assert!(acts <= bound, "{kind} acts after up to {acts} s");
    }
}

#[test]
fn the_redis_example_persists_and_never_evicts() {
    let docs = documents("docs/examples/spinkube/redis.yaml");
    let deployment = docs
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Redis Deployment");
    let args: Vec<&str> = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let setting = |name: &str| args.iter().position(|a| *a == name).map(|i| args[i + 1]);
    assert_eq!(setting("--appendonly"), Some("yes"), "{args:?}");
    assert_eq!(
        setting("--maxmemory-policy"),
        Some("noeviction"),
        "{args:?}"
    );
}
