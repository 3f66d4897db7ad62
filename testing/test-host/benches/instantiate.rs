//! Per-request instantiation cost of the gateway component, as the test host (and Spin) pays it:
//! a fresh `Store` with its WASI and HTTP contexts, then `ProxyPre::instantiate_async`, for every
//! request. The component is compiled once (`test_host::server::component`), with the same
//! wasmtime `Config` the host uses; imports the stock WASI crates do not provide (key-value,
//! variables) are stubs that fail if called, since instantiation does not call them.
//!
//! Run: `cargo bench -p test-host --bench instantiate` (bench/run.sh does). Prints one JSON line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark code: a panic is a broken benchmark"
)]

use std::time::{Duration, Instant};

use test_host::bindings::fermyon::spin::variables;
use test_host::bindings::wasi::keyvalue::{atomics, store};
use test_host::kv::{Bucket, Cas};
use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};
use wasmtime::Store;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{default_hooks, WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

struct State {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: default_hooks(),
        }
    }
}

fn unused<T>() -> wasmtime::Result<T> {
    Err(wasmtime::Error::msg("not called during instantiation"))
}

impl variables::Host for State {
    fn get(&mut self, _: String) -> wasmtime::Result<Result<String, variables::Error>> {
        unused()
    }
}

impl store::Host for State {
    fn open(&mut self, _: String) -> wasmtime::Result<Result<Resource<Bucket>, store::Error>> {
        unused()
    }
}

impl store::HostBucket for State {
    fn get(
        &mut self,
        _: Resource<Bucket>,
        _: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        unused()
    }
    fn set(
        &mut self,
        _: Resource<Bucket>,
        _: String,
        _: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        unused()
    }
    fn delete(
        &mut self,
        _: Resource<Bucket>,
        _: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        unused()
    }
    fn exists(
        &mut self,
        _: Resource<Bucket>,
        _: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        unused()
    }
    fn list_keys(
        &mut self,
        _: Resource<Bucket>,
        _: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        unused()
    }
    fn drop(&mut self, _: Resource<Bucket>) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl atomics::Host for State {
    fn increment(
        &mut self,
        _: Resource<Bucket>,
        _: String,
        _: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        unused()
    }
    fn swap(
        &mut self,
        _: Resource<Cas>,
        _: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        unused()
    }
}

impl atomics::HostCas for State {
    fn new(
        &mut self,
        _: Resource<Bucket>,
        _: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, store::Error>> {
        unused()
    }
    fn current(
        &mut self,
        _: Resource<Cas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        unused()
    }
    fn drop(&mut self, _: Resource<Cas>) -> wasmtime::Result<()> {
        Ok(())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let t0 = Instant::now();
    let component = test_host::server::component()?;
    let compile = t0.elapsed();
    let engine = component.engine();
    let mut linker = Linker::<State>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    test_host::bindings::HostExtras::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    let pre = ProxyPre::new(linker.instantiate_pre(component)?)?;
    let logs = MemoryOutputPipe::new(1 << 20);
    let iterations = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(5_000);
    let mut times = Vec::with_capacity(iterations);
    for i in 0..iterations + 200 {
        let start = Instant::now();
        let mut wasi = WasiCtx::builder();
        wasi.stdout(logs.clone()).stderr(logs.clone());
        let state = State {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
        };
        let mut store = Store::new(engine, state);
        // Instantiation is what is measured; the instance dies with its store.
        let _proxy = pre.instantiate_async(&mut store).await?;
        drop(store);
        if i >= 200 {
            times.push(start.elapsed());
        }
    }
    times.sort();
    let mean = times.iter().sum::<Duration>().as_secs_f64() * 1e6 / times.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "bench": "instantiate",
            "iterations": times.len(),
            "component_compile_ms": compile.as_secs_f64() * 1e3,
            "instance_allocator": test_host::server::instance_allocator(),
            "instantiate_us": {
                "mean": mean,
                "p50": percentile(&times, 0.50),
                "p90": percentile(&times, 0.90),
                "p99": percentile(&times, 0.99),
            },
        })
    );
    Ok(())
}
