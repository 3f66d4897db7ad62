//! The shared store failing under the gateway: Redis going away, and keys vanishing (a
//! `FLUSHALL`, an evicting `maxmemory-policy`, a Redis without persistence).

use gateway_core::codex::lite::LITE_MODELS_KEY;
use std::time::Duration;

use gateway_core::auth::lease::{HOLDER_PREFIX, LEASE_PREFIX};
use gateway_core::auth::token::TOKEN_KEY;
use gateway_core::openai::models::MODELS_CACHE_KEY;
use serde_json::Value;

use crate::runtime::Gateway;
use crate::spin_redis_only;
use crate::support::*;

const ADMIN: &str = "adm-store-loss-key-123-for-this-scenario-00";

async fn healthz(env: &Env) -> Result<(u16, Value), reqwest::Error> {
    let res = env
        .client
        .get(env.url("/healthz"))
        .timeout(Duration::from_secs(3))
        .send()
        .await?;
    let status = res.status().as_u16();
    Ok((status, res.json().await?))
}

/// Whether docs/examples/systemd/healthcheck, which the systemd example runs, finds the
/// gateway alive.
async fn documented_check_passes(env: &Env) -> bool {
    tokio::process::Command::new(test_host::repo_path("docs/examples/systemd/healthcheck"))
        .arg(env.url("/healthz"))
        .env("HEALTHCHECK_TIMEOUT", "2")
        .status()
        .await
        .unwrap()
        .success()
}

async fn chat_status(env: &Env) -> (u16, Value) {
    let (status, _, body) = env.post("/v1/chat/completions", &chat_body()).await;
    (status, body)
}

#[tokio::test]
async fn a_wiped_store_asks_for_login_and_a_pushed_token_restores_service() {
    let env = Env::start("wiped", &[("admin_api_key", ADMIN)]).await;
    env.seed_token(3600);
    assert_eq!(env.fetch("/v1/models").await.0, 200);
    assert_eq!(env.codex.models_calls(), 1);
    assert_eq!(chat_status(&env).await.0, 200);

    env.kv().wipe();
    crate::runtime::another_instance_wrote().await;
    let (status, body) = chat_status(&env).await;
    assert_asks_for_login(status, &body);
    let (status, health) = healthz(&env).await.unwrap();
    assert_eq!(status, 200, "the process is alive: {health}");
    assert_eq!(health["token"]["needs_login"], true, "{health}");

    // What `login-cli auth push` sends. The token is inside the refresh margin, so its first
    // use refreshes through a lease whose keys were wiped with everything else.
    let record = env.login_record(60);
    let res = env
        .client
        .put(env.url("/admin/token"))
        .bearer_auth(ADMIN)
        .body(record.to_json().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, body) = chat_status(&env).await;
    assert_eq!(status, 200, "served again without a restart: {body}");
    assert_eq!(env.oauth.refresh_calls(), 1, "the lease works from scratch");
    assert_eq!(
        healthz(&env).await.unwrap().1["token"]["needs_login"],
        false
    );

    assert_eq!(env.fetch("/v1/models").await.0, 200);
    assert_eq!(env.fetch("/v1/models").await.0, 200);
    assert_eq!(
        env.codex.models_calls(),
        2,
        "the lost model cache was fetched once and stored again"
    );
    let mut keys = env.kv().keys().unwrap();
    // Usage counters are the chat call's own record, not the refresh's.
    keys.retain(|k| !k.starts_with("codex-gateway/usage/"));
    keys.sort();
    assert_eq!(
        keys,
        [MODELS_CACHE_KEY, LITE_MODELS_KEY, TOKEN_KEY],
        "the lease left nothing behind"
    );
}

/// Spin 4.0.2 never recovers its Redis connection by itself; what the gateway owes the operator
/// is a `/healthz` that stops answering 200 (so probes restart Spin) and a clean start after.
#[tokio::test]
async fn a_redis_outage_fails_healthz_and_a_restarted_spin_serves_the_same_token() {
    spin_redis_only!("stops and starts the Redis behind Spin's key-value store");
    let mut env = Env::start("redis-outage", &[]).await;
    env.seed_token(3600);
    assert_eq!(env.fetch("/v1/models").await.0, 200);
    assert_eq!(chat_status(&env).await.0, 200);
    assert_keys_never_expire(&env).await;
    let record = env.stored_token().unwrap();
    let refreshes = env.oauth.refresh_calls();
    assert!(documented_check_passes(&env).await);

    let Gateway::Spin(spin) = &mut env.host else {
        unreachable!("spin_redis_only")
    };
    spin.redis().unwrap().stop();
    match healthz(&env).await {
        Ok((status, body)) => assert_ne!(status, 200, "{body}"),
        Err(e) => assert!(e.is_timeout(), "{e}"),
    }
    assert!(
        !documented_check_passes(&env).await,
        "the systemd example restarts this Spin"
    );

    let Gateway::Spin(spin) = &mut env.host else {
        unreachable!("spin_redis_only")
    };
    spin.redis().unwrap().resume();
    spin.restart().await;
    let (status, health) = healthz(&env).await.unwrap();
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["token"]["needs_login"], false, "{health}");
    assert!(documented_check_passes(&env).await);
    let (status, body) = chat_status(&env).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        env.oauth.refresh_calls(),
        refreshes,
        "the issuer saw no refresh"
    );
    assert_eq!(env.stored_token().unwrap(), record, "the same token");
}

/// Spin's key-value interface has no expiry, so nothing the gateway writes can carry a TTL that
/// a `volatile-*` eviction policy would act on. Checked on every key, a refresh lease included.
async fn assert_keys_never_expire(env: &Env) {
    let record = env.login_record(60);
    env.kv()
        .set(TOKEN_KEY, &serde_json::to_vec(&record).unwrap())
        .unwrap();
    crate::runtime::another_instance_wrote().await;
    env.oauth.set_delay_ms(1500);
    let refreshing = env.post_json("/v1/chat/completions", &chat_body()).send();
    // Read while the refresh is in flight: the lease is released when it ends.
    let watch = async {
        loop {
            let kv = env.kv();
            let keys = kv.keys().unwrap();
            let lease = [LEASE_PREFIX, HOLDER_PREFIX]
                .iter()
                .any(|p| keys.iter().any(|k| k.starts_with(p)));
            if lease {
                return keys
                    .into_iter()
                    .map(|k| {
                        let ttl = kv.ttl_secs(&k);
                        (k, ttl)
                    })
                    .collect::<Vec<_>>();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (answer, ttls) = tokio::join!(refreshing, watch);
    env.oauth.set_delay_ms(0);
    assert_eq!(answer.unwrap().status(), 200);
    assert!(ttls.len() >= 4, "token, models, lease counters: {ttls:?}");
    for (key, ttl) in ttls {
        assert_eq!(ttl, Some(-1), "{key} has no expiry");
    }
}
