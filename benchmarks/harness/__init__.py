"""One harness under every benchmark script: each script under `benchmarks/` keeps only its workload (what it builds,
what it sends, what it checks) and takes the rest from here.

| module | what it holds |
|---|---|
| `bootstrap` | the repo root, the environment every script runs in, Django's setup, the shared apps' migration |
| `database` | the bench database: a fresh `<source>_<suffix>` on the source's server, dropped at the end (or reused) |
| `figures` | percentiles and latency summaries, how a figure is printed, PASS/FAIL |
| `report` | sections, the machine, markdown tables for docs/benchmarks.md |
| `procfile` | the Procfile's web and worker lines: a benchmark serves what `make run` serves |
| `processes` | the web server, the sandboxes, Celery workers, spawned client processes, CPU per process |
| `keepalive` | a minimal keep-alive HTTP/1.1 client, headers optional (the health check, the sequential clients) |

A script puts the repo root on `sys.path` (so `make bench` can run `benchmarks/<name>.py` from anywhere) and imports
`benchmarks.harness.bootstrap` first: settings read DATABASE_URL once, so nothing may import Django's settings before
`database.bench_database` has pointed DATABASE_URL at the bench database.
"""
