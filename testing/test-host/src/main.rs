//! `test-host`: serve the built gateway `.wasm` from the command line, optionally with the fake
//! Codex and OAuth servers and a seeded token. Used by the real-client tests (Python, Node), the
//! OpenAPI conformance test, the two-process lease test and the benchmarks.
//!
//! It prints one JSON line with the URLs once everything listens, then serves until killed. The
//! gateway's log goes to stderr.
//!
//! ```text
//! test-host --fakes --seed-token [--kv PATH] [--port N] [--var name=value]...
//! ```

use std::collections::HashMap;
use std::path::PathBuf;

use gateway_core::auth::token::TOKEN_KEY;
use test_host::fake_codex::FakeCodex;
use test_host::fake_oauth::{login_record, FakeOAuth};
use test_host::{GuestLogs, HostConfig, TestHost};

struct Args {
    fakes: bool,
    seed_token: bool,
    kv: Option<PathBuf>,
    files_dir: Option<PathBuf>,
    port: u16,
    vars: HashMap<String, String>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        fakes: false,
        seed_token: false,
        kv: None,
        files_dir: None,
        port: 0,
        vars: HashMap::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--fakes" => args.fakes = true,
            "--seed-token" => args.seed_token = true,
            "--kv" => args.kv = it.next().map(PathBuf::from),
            "--files" => args.files_dir = it.next().map(PathBuf::from),
            "--port" => args.port = it.next().unwrap_or_default().parse()?,
            "--var" => {
                let pair = it.next().unwrap_or_default();
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--var wants name=value"))?;
                args.vars.insert(k.to_owned(), v.to_owned());
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = parse_args()?;
    let kv_path = args.kv.clone().unwrap_or_else(|| {
        std::env::temp_dir()
            .join(format!("test-host-{}", std::process::id()))
            .join(".spin/sqlite_key_value.db")
    });
    let (codex, oauth) = if args.fakes {
        let codex = FakeCodex::start().await?;
        let oauth = FakeOAuth::start("rt-initial").await?;
        for (k, v) in [
            ("codex_base_url", codex.base_url()),
            ("upstream_base_url", codex.base_url()),
            ("oauth_issuer", oauth.base_url()),
        ] {
            args.vars.entry(k.into()).or_insert(v);
        }
        (Some(codex), Some(oauth))
    } else {
        (None, None)
    };
    args.vars
        .entry("downstream_api_key".into())
        .or_insert_with(|| "sk-test-host".into());
    if args.seed_token {
        let kv = kv_sqlite::SqliteKv::open(&kv_path, kv_sqlite::DEFAULT_STORE)?;
        let refresh = oauth
            .as_ref()
            .map_or("rt-initial".into(), |o| o.current_refresh());
        let record = login_record(&refresh, 3600);
        kv.set(TOKEN_KEY, &serde_json::to_vec(&record)?)?;
    }
    let host = TestHost::start(HostConfig {
        variables: args.vars.clone(),
        kv_path: kv_path.clone(),
        files_dir: args.files_dir,
        port: args.port,
        logs: GuestLogs::Stderr,
        ..Default::default()
    })
    .await?;
    let line = serde_json::json!({
        "gateway_url": host.base_url(),
        "codex_url": codex.as_ref().map(|c| c.base_url()),
        "oauth_url": oauth.as_ref().map(|o| o.base_url()),
        "api_key": args.vars.get("downstream_api_key"),
        "kv_path": kv_path,
        // The component it serves, for runs that serve the same build with `spin up`.
        "wasm": test_host::GATEWAY_WASM,
        "p3_wasm": test_host::GATEWAY_P3_WASM,
        "instance_allocator": test_host::server::instance_allocator(),
    });
    println!("{line}");
    std::future::pending::<()>().await;
    Ok(())
}
