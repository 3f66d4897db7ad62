//! Serves the built gateway `.wasm` the way Spin does: a fresh instance per request, Spin's
//! request headers added, outbound HTTP limited to `allowed_outbound_hosts`, an empty 500 when the
//! guest traps or never answers, key-value on Spin's SQLite layout, variables from `spin.toml`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, Result};
use http_body_util::{BodyExt, Empty};
use hyper::server::conn::http1;
use tokio::net::TcpListener;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use crate::kv::SharedKv;
use crate::manifest;
use crate::outbound::Outbound;

/// How to run one test host.
#[derive(Debug, Clone, Default)]
pub struct HostConfig {
    /// Variable values (as `SPIN_VARIABLE_*` would set them); the rest come from `spin.toml`.
    pub variables: HashMap<String, String>,
    /// The SQLite key-value file (`.spin/sqlite_key_value.db` layout).
    pub kv_path: PathBuf,
    /// A host directory mounted at `/` read-only (Spin's `files`), if any.
    pub files_dir: Option<PathBuf>,
    /// Port to listen on (0 = ephemeral).
    pub port: u16,
    /// Where the guest's stdout/stderr go.
    pub logs: GuestLogs,
    /// Variables whose provider fails (as an unreachable Vault does on Spin): `get` answers
    /// `provider` errors for these names.
    pub failing_variables: Vec<String>,
    /// Seconds added to the guest's wall clock (tests move time past a window with it; Spin
    /// has no such knob).
    pub clock_shift: Arc<AtomicI64>,
}

/// The host's wall clock, `shift` seconds ahead.
struct ShiftedClock(Arc<AtomicI64>);

impl wasmtime_wasi::HostWallClock for ShiftedClock {
    fn resolution(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(1)
    }

    fn now(&self) -> std::time::Duration {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let shift = self.0.load(Ordering::SeqCst);
        let magnitude = std::time::Duration::from_secs(shift.unsigned_abs());
        if shift >= 0 {
            now + magnitude
        } else {
            now.saturating_sub(magnitude)
        }
    }
}

/// Where the guest's stdout/stderr (the gateway's log) go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GuestLogs {
    /// Kept in memory for [`TestHost::logs`] (tests check them for secrets).
    #[default]
    Memory,
    /// Both written to this process's stderr as they come (Spin prints them on its stdout and
    /// stderr; this binary's stdout carries its JSON line). Nothing is kept, so long benchmark
    /// runs do not grow the host's memory.
    Stderr,
}

/// Per-request store data.
pub struct HostState {
    pub(crate) table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: Hooks,
    pub(crate) kv: SharedKv,
    pub(crate) variables: Arc<HashMap<String, String>>,
    pub(crate) failing_variables: Arc<Vec<String>>,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Outbound policy: only `allowed_outbound_hosts`; connections pooled across requests as Spin does.
struct Hooks {
    allowed: Arc<Vec<(String, String, Option<u16>)>>,
    outbound: Outbound,
}

type SendFuture = Box<
    dyn std::future::Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<wasmtime_wasi_http::WasiBody>,
                Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for Hooks {
    fn send_request(
        &mut self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> SendFuture {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("http").to_owned();
        let host = uri.host().unwrap_or_default().to_owned();
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        let allowed = manifest::is_allowed(&self.allowed, &scheme, &host, port);
        let outbound = self.outbound.clone();
        Box::new(async move {
            if !allowed {
                return Err(wasmtime_wasi_http::Error::HttpRequestDenied);
            }
            let res = outbound.send(request, options).await?;
            // The pool drives its connections itself; there is no per-request I/O future.
            Ok((
                res,
                Box::new(async { Ok(()) }) as Box<dyn std::future::Future<Output = _> + Send>,
            ))
        })
    }
}

fn engine() -> &'static Engine {
    &host_engine().0
}

/// The engine and whether it really got the pooling allocator.
fn host_engine() -> &'static (Engine, bool) {
    static ENGINE: OnceLock<(Engine, bool)> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let build = |pooling: bool| {
            let mut config = Config::new();
            if pooling {
                config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool_config()));
            }
            // For `perf record` on a benchmark run: names the guest's JIT code in
            // /tmp/perf-PID.map.
            if std::env::var_os("TEST_HOST_PERFMAP").is_some() {
                config.profiler(wasmtime::ProfilingStrategy::PerfMap);
            }
            Engine::new(&config)
        };
        let wanted = *WANT_POOLING.get_or_init(pooling_possible);
        match build(wanted) {
            Ok(engine) => (engine, wanted),
            Err(e) => {
                eprintln!("test-host: engine with pooling={wanted} failed ({e}); using defaults");
                (build(false).unwrap_or_else(|_| Engine::default()), false)
            }
        }
    })
}

/// Spin's instance pool and its default limits: slots reused across requests, a little memory
/// kept resident between them.
fn pool_config() -> PoolingAllocationConfig {
    const MIB: usize = 1 << 20;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(1_000)
        .total_memories(1_000)
        .total_tables(2_000)
        .max_component_instance_size(10 * MIB)
        .max_core_instance_size(10 * MIB)
        .max_core_instances_per_component(200)
        .max_tables_per_component(20)
        .table_elements(100_000)
        .max_memories_per_component(32)
        .max_memory_size(4 << 30)
        .linear_memory_keep_resident(2 * MIB)
        .table_keep_resident(MIB / 2);
    pool
}

static WANT_POOLING: OnceLock<bool> = OnceLock::new();

/// Whether instances come from Spin's pooling allocator (else wasmtime's on-demand one): what
/// the engine got, not what was asked for.
pub fn uses_pooling() -> bool {
    host_engine().1
}

/// The allocator's name as reports show it: `pooling` or `on-demand`.
pub fn instance_allocator() -> &'static str {
    if uses_pooling() {
        "pooling"
    } else {
        "on-demand"
    }
}

/// Ask for the pooling allocator or not, before anything in this process has settled the choice
/// (the first host start or [`uses_pooling`] does); false if it was already settled otherwise.
/// The soak test wants on-demand: the pool keeps each used slot's pages resident for reuse, so
/// its RSS follows the peak number of live instances and would hide (or fake) a leak.
pub fn choose_pooling(pooling: bool) -> bool {
    *WANT_POOLING.get_or_init(|| pooling) == pooling
}

/// Whether the pool's address-space reservation (about 2^42 bytes) is possible here, probed the
/// way Spin and `wasmtime serve` do; `SPIN_WASMTIME_POOLING=0|1` overrides, as in Spin.
fn pooling_possible() -> bool {
    match std::env::var("SPIN_WASMTIME_POOLING").as_deref() {
        Ok("1") => return true,
        Ok("0") => return false,
        _ => {}
    }
    const BITS: u32 = 42;
    let mut probe = Config::new();
    probe.wasm_memory64(true).memory_reservation(1 << BITS);
    let Ok(engine) = Engine::new(&probe) else {
        return false;
    };
    let mut store = Store::new(&engine, ());
    let ty = wasmtime::MemoryType::new64(0, Some(1 << (BITS - 16)));
    wasmtime::Memory::new(&mut store, ty).is_ok()
}

/// The gateway component, compiled once per process.
pub fn component() -> Result<&'static Component> {
    static COMPONENT: OnceLock<Component> = OnceLock::new();
    if let Some(c) = COMPONENT.get() {
        return Ok(c);
    }
    let c = Component::from_file(engine(), crate::GATEWAY_WASM)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("load {}", crate::GATEWAY_WASM))?;
    Ok(COMPONENT.get_or_init(|| c))
}

fn linker() -> Result<Linker<HostState>> {
    let mut linker = Linker::new(engine());
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::bindings::HostExtras::add_to_linker::<HostState, wasmtime::component::HasSelf<HostState>>(
        &mut linker,
        |s| s,
    )?;
    Ok(linker)
}

struct Shared {
    pre: ProxyPre<HostState>,
    kv: SharedKv,
    variables: Arc<HashMap<String, String>>,
    failing_variables: Arc<Vec<String>>,
    allowed: Arc<Vec<(String, String, Option<u16>)>>,
    outbound: Outbound,
    logs: Option<MemoryOutputPipe>,
    files_dir: Option<PathBuf>,
    addr: SocketAddr,
    clock_shift: Arc<AtomicI64>,
}

/// A running test host.
pub struct TestHost {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestHost {
    /// Start serving on 127.0.0.1.
    pub async fn start(config: HostConfig) -> Result<Self> {
        let manifest_text = std::fs::read_to_string(crate::repo_path("spin.toml"))?;
        let resolved = manifest::resolve(&manifest_text, &config.variables)?;
        let kv = kv_sqlite::SqliteKv::open(&config.kv_path, kv_sqlite::DEFAULT_STORE)?;
        let pre = ProxyPre::new(linker()?.instantiate_pre(component()?)?)?;
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let shared = Arc::new(Shared {
            pre,
            kv: Arc::new(Mutex::new(kv)),
            variables: Arc::new(resolved.variables),
            failing_variables: Arc::new(config.failing_variables),
            allowed: Arc::new(resolved.allowed),
            outbound: Outbound::default(),
            logs: (config.logs == GuestLogs::Memory).then(|| MemoryOutputPipe::new(256 << 20)),
            files_dir: config.files_dir,
            addr: listener.local_addr()?,
            clock_shift: config.clock_shift,
        });
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Self { shared, task })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// Everything the guest wrote to stdout/stderr so far (empty unless [`GuestLogs::Memory`]).
    pub fn logs(&self) -> String {
        self.shared
            .logs
            .as_ref()
            .map(|logs| String::from_utf8_lossy(&logs.contents()).into_owned())
            .unwrap_or_default()
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Spin does not set TCP_NODELAY on accepted connections, and neither do we, so an answer
    // split into small writes stalls here as it does on Spin (Nagle's algorithm holds a small
    // write behind unacknowledged data until the client's delayed ACK, up to 40 ms).
    // TEST_HOST_TCP_NODELAY=1 turns it on for experiments; no test or benchmark sets it.
    let nodelay = std::env::var_os("TEST_HOST_TCP_NODELAY").is_some_and(|v| v == "1");
    while let Ok((stream, peer)) = listener.accept().await {
        if nodelay {
            let _ = stream.set_nodelay(true);
        }
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(serve(shared, peer, req).await) }
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type OutBody = wasmtime_wasi_http::p2::body::HyperOutgoingBody;

fn empty(status: u16) -> hyper::Response<OutBody> {
    let mut res = hyper::Response::new(Empty::new().map_err(|e| match e {}).boxed_unsync());
    *res.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    res
}

async fn serve(
    shared: Arc<Shared>,
    peer: SocketAddr,
    mut req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<OutBody> {
    // Spin refuses header values that are not UTF-8.
    if req
        .headers()
        .values()
        .any(|v| std::str::from_utf8(v.as_bytes()).is_err())
    {
        return empty(400);
    }
    add_spin_headers(&mut req, &shared, peer);
    match run_guest(shared, req).await {
        Ok(res) => res,
        Err(e) => {
            // Spin answers a trap or a missing response with an empty 500; so do we, loudly.
            eprintln!("test-host: guest failed: {e:?}");
            empty(500)
        }
    }
}

fn add_spin_headers(
    req: &mut hyper::Request<hyper::body::Incoming>,
    shared: &Shared,
    peer: SocketAddr,
) {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into());
    let full = format!("http://{}{}", shared.addr, path);
    let pairs = [
        ("spin-full-url", full),
        ("spin-path-info", req.uri().path().to_owned()),
        ("spin-matched-route", "/...".to_owned()),
        ("spin-raw-component-route", "/...".to_owned()),
        ("spin-component-route", String::new()),
        ("spin-base-path", "/".to_owned()),
        ("spin-client-addr", peer.to_string()),
    ];
    for (name, value) in pairs {
        if let Ok(v) = http::HeaderValue::from_str(&value) {
            req.headers_mut().insert(name, v);
        }
    }
}

async fn run_guest(
    shared: Arc<Shared>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<OutBody>> {
    let mut wasi = WasiCtx::builder();
    match &shared.logs {
        Some(logs) => wasi.stdout(logs.clone()).stderr(logs.clone()),
        None => wasi.stdout(wasmtime_wasi::cli::stderr()).inherit_stderr(),
    };
    if let Some(dir) = &shared.files_dir {
        wasi.preopened_dir(dir, "/", FsPerms::ReadOnly)?;
    }
    wasi.wall_clock(ShiftedClock(shared.clock_shift.clone()));
    let state = HostState {
        table: ResourceTable::new(),
        wasi: wasi.build(),
        http: WasiHttpCtx::new(),
        hooks: Hooks {
            allowed: shared.allowed.clone(),
            outbound: shared.outbound.clone(),
        },
        kv: shared.kv.clone(),
        variables: shared.variables.clone(),
        failing_variables: shared.failing_variables.clone(),
    };
    let mut store = Store::new(shared.pre.engine(), state);
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let req = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)?;
    let out = store.data_mut().http().new_response_outparam(sender)?;
    let pre = shared.pre.clone();
    let task = tokio::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, req, out)
            .await
    });
    match receiver.await {
        Ok(Ok(resp)) => Ok(resp),
        Ok(Err(e)) => Err(anyhow::anyhow!("guest set an error response: {e:?}")),
        Err(_) => match task.await {
            Ok(Ok(())) => Err(anyhow::anyhow!("guest never set a response")),
            Ok(Err(e)) => Err(anyhow::Error::from(e).context("guest trapped")),
            Err(e) => Err(e.into()),
        },
    }
}
