#!/usr/bin/env bash
# Fuzz every target for a bounded time, then minimise the corpus into fuzz/corpus/<target>/.
#
#   fuzz/run.sh [seconds-per-target] [target...]     (default: 180 s, all targets)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Starts from the
# checked-in corpus plus seeds regenerated from the golden fixtures and the table tests
# (fuzz/make_seeds.py). Debug assertions are on (`-a`), so integer overflow is a finding.
# A crash leaves its input in fuzz/artifacts/<target>/; replay one with
# `cargo +nightly fuzz run <target> <file>`. The minimised corpus is replayed by
# `cargo test -p gateway-core --test fuzz_corpus` on stable.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-180}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sse_decode chat_stream chat_request responses_request jwt_claims token_record)
python3 make_seeds.py
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "work/$t"
  cp -n corpus/"$t"/* "work/$t"/ 2>/dev/null || true
  echo "== $t: fuzzing for ${secs}s"
  start=$(date +%s)
  cargo +nightly fuzz run -a "$t" "work/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -print_final_stats=1 2>&1 | tee "work/$t.log" | grep -E "^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|==[0-9]+==|thread )" || true
  echo "== $t: ran $(( $(date +%s) - start ))s"
  # Minimise: a smallest set of inputs covering the same edges (hit counts ignored, to keep
  # the checked-in corpus small).
  rm -rf "corpus/$t.min" && mkdir -p "corpus/$t.min"
  cargo +nightly fuzz run -a "$t" "corpus/$t.min" "work/$t" "seeds/$t" -- \
    -set_cover_merge=1 -use_counters=0 >"work/$t.merge.log" 2>&1
  rm -rf "corpus/$t" && mv "corpus/$t.min" "corpus/$t"
  echo "== $t: corpus $(ls "corpus/$t" | wc -l) files, $(du -sk "corpus/$t" | cut -f1) KiB"
done
