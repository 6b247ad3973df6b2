"""The benchmark harness (`vidtrace bench`): a room above the API that builds benchmarks with
the transformation engine, drives the whole pipeline through `vidtrace.api.Library` and scores
it with `vidtrace.evaluate`'s pure metrics. `default` (the development benchmark), `ablation`
(stage-1 x stage-2 combinations), `backends` (descriptors and sampling), `speed` (throughput,
search and latency), `learned` (the learned head), `provenance` (what every report records).
Importing it is light: each module imports what it runs."""
