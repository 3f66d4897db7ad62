//! The command line: every command, flag and help text (clap derive). No behaviour here.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use gateway_core::accounts::{check_name, DEFAULT_ACCOUNT};

use crate::exit::EXIT_CODES_HELP;

/// codex-gateway's operator tool: log in with a ChatGPT account and seed the gateway's token
/// store, inspect or remove the token, install it into a deployed gateway, or forward the
/// gateway's upstream calls through network.proxy_url.
#[derive(Debug, Parser)]
#[command(name = "login-cli", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Paths shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags accepted by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Runtime directory (the one holding spin.toml): config.yaml, oauth-token.json and
    /// .spin/sqlite_key_value.db are resolved against it.
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub workdir: PathBuf,
    /// Config file, relative to the workdir and inside it [default: config.yaml, optional].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// OAuth login and token management.
    #[command(subcommand, after_help = EXIT_CODES_HELP)]
    Auth(AuthCommand),
    /// Forward plain-HTTP requests from the gateway to an upstream through network.proxy_url.
    ///
    /// Spin's outbound HTTP has no proxy setting. Where chatgpt.com and auth.openai.com are only
    /// reachable through a proxy, run this next to `spin up` and point the gateway at it:
    ///
    ///   login-cli proxy-forward --listen 127.0.0.1:8089 --upstream https://chatgpt.com \
    ///                           --listen 127.0.0.1:8090 --upstream https://auth.openai.com
    ///
    ///   SPIN_VARIABLE_CODEX_BASE_URL=http://127.0.0.1:8089 \
    ///   SPIN_VARIABLE_OAUTH_ISSUER=http://127.0.0.1:8090 spin up
    ///
    /// Each --listen pairs with the --upstream at the same position. Requests and responses are
    /// streamed unchanged (SSE included); hop-by-hop headers are dropped; the Host header becomes
    /// the upstream's. Keep the listeners on loopback: anyone who can reach them can use the
    /// upstream through your proxy.
    #[command(verbatim_doc_comment, after_help = EXIT_CODES_HELP)]
    ProxyForward(ForwardArgs),
    /// Write Codex CLI settings for this gateway: the model catalog and a provider block.
    ///
    /// Fetches the gateway's live model catalog in the Codex CLI's own shape and writes it as
    /// codex-gateway-models.json in --out (default: $CODEX_HOME, else ~/.codex), with a
    /// provider block that points the CLI at the gateway and at that file
    /// (model_catalog_json). The block goes into --out/config.toml when there is none yet,
    /// else into codex-gateway.config.toml beside it, to merge by hand. With them the CLI knows
    /// each model's context window, reasoning levels and prompts, and stops warning about
    /// fallback metadata.
    #[command(verbatim_doc_comment, after_help = EXIT_CODES_HELP)]
    CodexConfig(CodexConfigArgs),
    /// Client keys for the people you share the gateway with: create, list, revoke, rotate.
    ///
    /// Each key has a name, an optional model list, limits and an expiry. The store keeps only
    /// a hash of each key; `create` and `rotate` print the key once. Without --url they work on
    /// the local Spin store (what `spin up` in this directory uses); with --url on a deployed
    /// gateway through its /admin/keys (its admin_api_key must be set).
    #[command(subcommand, after_help = EXIT_CODES_HELP)]
    Keys(KeysCommand),
    /// Usage by day, key or model: requests and the tokens the backend reported.
    #[command(after_help = EXIT_CODES_HELP)]
    Usage(UsageArgs),
}

/// `codex-config`.
#[derive(Debug, Args)]
pub struct CodexConfigArgs {
    /// Base URL of the gateway, e.g. https://gateway.example or http://127.0.0.1:3000.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The gateway's downstream API key.
    #[arg(long, env = "CODEX_GATEWAY_API_KEY", hide_env_values = true)]
    pub api_key: String,
    /// Where to write (the Codex CLI's home) [default: $CODEX_HOME, else ~/.codex].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Allow a plain http:// URL to a non-loopback host (the key would travel unencrypted).
    #[arg(long)]
    pub insecure_http: bool,
}

/// `auth` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Log in with a ChatGPT account (browser + PKCE, or --device, or --paste) and store the token.
    #[command(after_help = EXIT_CODES_HELP)]
    Login(LoginArgs),
    /// Who is logged in, when the token expires, where it is stored (never prints a token).
    ///
    /// Exits 0 only when a usable token is stored (present, readable, not refused by the issuer).
    #[command(after_help = EXIT_CODES_HELP)]
    Status(StatusArgs),
    /// Revoke the token at the issuer (best effort) and remove it from the stores.
    #[command(after_help = EXIT_CODES_HELP)]
    Logout(LogoutArgs),
    /// Import the official Codex CLI's auth.json (or a login-cli token file) into the stores.
    #[command(after_help = EXIT_CODES_HELP)]
    Import(ImportArgs),
    /// Install the stored token into a deployed gateway (PUT <url>/admin/token).
    ///
    /// The gateway exposes /admin/token only when its secret variable admin_api_key is set;
    /// pass the same value with --admin-key or CODEX_GATEWAY_ADMIN_KEY (prefer the variable:
    /// command lines are visible to other users). With --account NAME the token is installed
    /// as that account (PUT <url>/admin/token?account=NAME).
    #[command(after_help = EXIT_CODES_HELP)]
    Push(PushArgs),
    /// Every account stored here: plan, token expiry, last usage and cooldown (never a token).
    ///
    /// The accounts are those in the Spin store's account index (or `default` alone when there
    /// is none) and those with a token file. Usage and cooldowns are what the gateway recorded
    /// in the Spin store.
    #[command(after_help = EXIT_CODES_HELP)]
    List(ListArgs),
}

/// Where tokens are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreChoice {
    /// Spin's default key-value store for `spin up` in the workdir:
    /// <workdir>/.spin/sqlite_key_value.db, table spin_key_value, store "default",
    /// key codex-gateway/token (--account NAME: codex-gateway/accounts/NAME/token).
    Spin,
    /// <workdir>/oauth-token.json (mode 0600, written atomically; --account NAME:
    /// oauth-token.NAME.json, which the gateway's mounted-file import never reads).
    File,
    /// Both.
    Both,
}

/// Store selection shared by the `auth` commands.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Which token stores to use.
    #[arg(long, value_enum, default_value_t = StoreChoice::Both)]
    pub store: StoreChoice,
    /// Spin key-value database to use instead of <workdir>/.spin/sqlite_key_value.db
    /// (relative paths are resolved against the workdir).
    #[arg(long, value_name = "PATH")]
    pub spin_db: Option<PathBuf>,
}

/// One account's token in the selected stores.
#[derive(Debug, Args)]
pub struct AccountArgs {
    /// Token stores.
    #[command(flatten)]
    pub stores: StoreArgs,
    /// The gateway account whose token this is (a-z, 0-9, '-' and '_'; at most 32 characters).
    ///
    /// `default` is the single-account token: key codex-gateway/token, file oauth-token.json.
    /// Any other name is one more account the gateway routes between: key
    /// codex-gateway/accounts/NAME/token, file oauth-token.NAME.json (the gateway's
    /// mounted-file import reads only oauth-token.json, so use the Spin store or `auth push`).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_ACCOUNT, value_parser = parse_account)]
    pub account: String,
}

/// `auth login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The account and its token stores.
    #[command(flatten)]
    pub target: AccountArgs,
    /// Do not open a browser; print the URL only.
    #[arg(long)]
    pub no_browser: bool,
    /// Headless: device-code login (open a URL anywhere, type the code shown here).
    #[arg(long, conflicts_with_all = ["paste", "port"])]
    pub device: bool,
    /// Headless: no local listener; after logging in, paste the URL the browser ended on.
    #[arg(long)]
    pub paste: bool,
    /// How long to wait for the browser or the device approval [default: 5m; 15m with --device].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Callback port (overrides oauth.redirect_port; 0 = any free port).
    #[arg(long)]
    pub port: Option<u16>,
}

/// `auth status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The account and its token stores to inspect.
    #[command(flatten)]
    pub target: AccountArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `auth logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The account and its token stores to clear.
    #[command(flatten)]
    pub target: AccountArgs,
    /// Remove locally only; do not revoke at the issuer.
    #[arg(long)]
    pub no_revoke: bool,
}

/// `auth import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The account and its token stores to write.
    #[command(flatten)]
    pub target: AccountArgs,
    /// File to import (relative to the current directory)
    /// [default: $CODEX_HOME/auth.json, else ~/.codex/auth.json].
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
}

/// `auth push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The account and its token stores to read (the most recently obtained token is pushed).
    #[command(flatten)]
    pub target: AccountArgs,
    /// Base URL of the deployed gateway, e.g. https://gateway.example.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The gateway's admin_api_key.
    #[arg(long, env = "CODEX_GATEWAY_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: String,
    /// Allow a plain http:// URL to a non-loopback host (the token would travel unencrypted).
    #[arg(long)]
    pub insecure_http: bool,
}

/// `auth list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Token stores to read.
    #[command(flatten)]
    pub stores: StoreArgs,
    /// Print a JSON array (one object per account) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `proxy-forward`.
#[derive(Debug, Args)]
pub struct ForwardArgs {
    /// Address to listen on (repeatable, pairs with --upstream).
    #[arg(long, value_name = "ADDR", required = true)]
    pub listen: Vec<SocketAddr>,
    /// Upstream base URL, e.g. https://chatgpt.com (repeatable, pairs with --listen).
    #[arg(long, value_name = "URL", required = true)]
    pub upstream: Vec<String>,
    /// Give up on an upstream that sends nothing for this long.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub idle_timeout: Duration,
}

/// An account name as the gateway accepts it; a bad one is a usage error that names the rule.
fn parse_account(text: &str) -> Result<String, String> {
    check_name(text)?;
    Ok(text.to_owned())
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if let Ok(secs) = trimmed.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(trimmed)
        .map_err(|e| format!("{e} (examples: 90s, 5m, 1h30m; a bare number is seconds)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_accept_units_and_bare_seconds() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn account_names_follow_the_gateway_rule() {
        assert_eq!(parse_account("work"), Ok("work".to_owned()));
        for bad in ["Work", "", "a/b", "-x"] {
            assert!(
                parse_account(bad).unwrap_err().contains("a-z, 0-9"),
                "{bad}"
            );
        }
    }
}

/// Where `keys` and `usage` work: the local Spin store, or a deployed gateway.
#[derive(Debug, Args)]
pub struct GatewayTarget {
    /// A deployed gateway's base URL (e.g. https://gateway.example); without it, the local
    /// Spin store.
    #[arg(long, value_name = "URL", requires = "admin_key")]
    pub url: Option<String>,
    /// The gateway's admin_api_key (with --url).
    #[arg(long, env = "CODEX_GATEWAY_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// Allow a plain http:// URL to a non-loopback host.
    #[arg(long)]
    pub insecure_http: bool,
    /// The local Spin key-value file [default: .spin/sqlite_key_value.db in the workdir].
    #[arg(long, value_name = "PATH", conflicts_with = "url")]
    pub spin_db: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a key and print it (once).
    #[command(after_help = EXIT_CODES_HELP)]
    Create(KeysCreateArgs),
    /// List the keys: name, creation, last use, limits and their current windows (never a key).
    #[command(after_help = EXIT_CODES_HELP)]
    List(KeysListArgs),
    /// Revoke a key: it is refused from then on (its usage stays).
    #[command(after_help = EXIT_CODES_HELP)]
    Revoke(KeysNameArgs),
    /// Give a key a new secret (printed once); the old one stops working at once.
    #[command(after_help = EXIT_CODES_HELP)]
    Rotate(KeysNameArgs),
}

/// `keys create`.
#[derive(Debug, Args)]
pub struct KeysCreateArgs {
    /// The key's name (letters, digits, '.', '_', '-'; at most 64).
    pub name: String,
    /// Models it may use, comma-separated: exact names or a prefix ending in '*' [default: any].
    #[arg(long, value_name = "MODELS", value_delimiter = ',')]
    pub models: Vec<String>,
    /// A limit, METRIC=N/WINDOW: requests or tokens per 5h, day, week or month (repeatable),
    /// e.g. --limit requests=100/5h --limit tokens=2000000/day.
    #[arg(long = "limit", value_name = "LIMIT")]
    pub limits: Vec<String>,
    /// Expire after this long: 30d, 12h, 2w, 90m [default: never].
    #[arg(long, value_name = "DURATION")]
    pub expires: Option<String>,
    /// Where.
    #[command(flatten)]
    pub target: GatewayTarget,
}

/// `keys list`.
#[derive(Debug, Args)]
pub struct KeysListArgs {
    /// Where.
    #[command(flatten)]
    pub target: GatewayTarget,
}

/// `keys revoke`, `keys rotate`.
#[derive(Debug, Args)]
pub struct KeysNameArgs {
    /// The key's name.
    pub name: String,
    /// Where.
    #[command(flatten)]
    pub target: GatewayTarget,
}

/// `usage`.
#[derive(Debug, Args)]
pub struct UsageArgs {
    /// Only this key (`owner` is the downstream_api_key).
    #[arg(long, value_name = "NAME")]
    pub key: Option<String>,
    /// Only this model.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// The last N UTC days, today included.
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..=366))]
    pub days: u16,
    /// Rows by day, key or model, or several joined by commas (day,model).
    #[arg(long, value_name = "BY", default_value = "day")]
    pub group_by: String,
    /// Where.
    #[command(flatten)]
    pub target: GatewayTarget,
}
