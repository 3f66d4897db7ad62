//! login-cli: the operator's tool for codex-gateway. Logs in with a ChatGPT account (browser +
//! PKCE, pasted redirect, or device code), stores the token where the Spin component reads it,
//! inspects, removes, imports or pushes it, and forwards the gateway's upstream calls through a
//! proxy. `anyhow` lives here (and only here); tokens never reach a message or a log line.
#![forbid(unsafe_code)]

mod admin_target;
mod auth;
mod cli;
mod codex_config;
mod config;
mod exit;
mod forward;
mod gateway_url;
mod http;
mod keys;
mod logging;
mod login;
mod oauth;
mod paths;
mod serve;
mod store;
mod ui;
mod usage;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{AuthCommand, Cli, Command};
use crate::config::Config;
use crate::exit::{exit_kind, ExitKind};
use crate::paths::RuntimePaths;

/// What every command works with.
pub struct Ctx {
    /// Workdir and config paths.
    pub paths: RuntimePaths,
    /// The validated config.
    pub config: Config,
    /// The proxy-aware client for OAuth and admin calls.
    pub http: reqwest::Client,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            ui::error(&format!("start the async runtime: {e}"));
            return ExitCode::from(ExitKind::Error.code());
        }
    };
    let result = runtime.block_on(run(cli));
    // Do not wait for connection tasks or a blocked stdin read.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            ui::error(&format!("{err:#}"));
            ExitCode::from(exit_kind(&err).code())
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let paths = RuntimePaths::resolve(&cli.global.workdir, cli.global.config.as_deref())?;
    let loaded = config::load(&paths)?;
    logging::init(loaded.config.logging);
    for warning in &loaded.warnings {
        ui::warn(warning);
    }
    let http = http::client(&loaded.config)?;
    let ctx = Ctx {
        paths,
        config: loaded.config,
        http,
    };
    match &cli.command {
        Command::Auth(AuthCommand::Login(args)) => login::run(&ctx, args).await,
        Command::Auth(AuthCommand::Status(args)) => auth::status::run(&ctx, args),
        Command::Auth(AuthCommand::Logout(args)) => auth::logout::run(&ctx, args).await,
        Command::Auth(AuthCommand::Import(args)) => auth::import::run(&ctx, args),
        Command::Auth(AuthCommand::Push(args)) => auth::push::run(&ctx, args).await,
        Command::Auth(AuthCommand::List(args)) => auth::list::run(&ctx, args),
        Command::ProxyForward(args) => forward::run(&ctx, args).await,
        Command::CodexConfig(args) => codex_config::run(&ctx, args).await,
        Command::Keys(command) => keys::run(&ctx, command).await,
        Command::Usage(args) => usage::run(&ctx, args).await,
    }
}
