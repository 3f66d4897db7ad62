//! Builds the gateway's two components for wasm32-wasip2 (release, as shipped) so `cargo test`
//! always exercises the current sources through the real `.wasm`: the WASI 0.2 one the test
//! host serves, and the WASIp3 one that the e2e suite serves on Spin with `E2E_BUILD=p3`.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest_dir.join("../..");
    for dir in [
        "gateway-core/src",
        "gateway-core/dashboard",
        "gateway-component/src",
        "gateway-component-p3/src",
        "wit",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    for file in [
        "gateway-core/Cargo.toml",
        "gateway-component/Cargo.toml",
        "gateway-component-p3/Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }
    println!("cargo:rerun-if-env-changed=GATEWAY_WASM_SYMBOLS");
    // A separate target dir: the outer cargo holds the lock on the main one.
    let target_dir = root.join("target/test-wasm");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    // The .wasm is always built with the workspace's release profile, as shipped, whatever
    // profile overrides the outer build has (a profiling build of the host, say). Only
    // GATEWAY_WASM_SYMBOLS=1 keeps the guest's function names, for `perf` with
    // TEST_HOST_PERFMAP=1.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CARGO_PROFILE_") {
            command.env_remove(key);
        }
    }
    if std::env::var_os("GATEWAY_WASM_SYMBOLS").is_some_and(|v| v == "1") {
        command.env("CARGO_PROFILE_RELEASE_STRIP", "none");
    }
    let status = command
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            "gateway-component",
            "-p",
            "gateway-component-p3",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => {
            println!(
                "cargo:warning=building the gateway components for wasm32-wasip2 failed ({other:?}); \
                 is the target installed? `rustup target add wasm32-wasip2`"
            );
            std::process::exit(1);
        }
    }
    let wasm = target_dir.join("wasm32-wasip2/release/gateway_component.wasm");
    println!("cargo:rustc-env=GATEWAY_WASM={}", wasm.display());
    let p3 = target_dir.join("wasm32-wasip2/release/gateway_component_p3.wasm");
    println!("cargo:rustc-env=GATEWAY_P3_WASM={}", p3.display());
    println!("cargo:rustc-env=REPO_ROOT={}", root.display());
}
