//! hyper 0.14 peer: hyper's HTTP/1.1 server (http1 only) on a Tokio
//! current-thread runtime (one thread does all the work), service_fn
//! answering every request with 200 "Hello, World!". hyper adds the
//! Content-Length and Date headers itself; keep-alive and pipelining are
//! hyper's defaults.
//!
//! RINGLANE_HYPER_PIPELINE_FLUSH=1 turns on hyper's (experimental, off by
//! default) http1_pipeline_flush, which writes the responses to a pipelined
//! batch with one flush instead of one per response.

use std::convert::Infallible;
use std::net::SocketAddr;

use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Request, Response, Server};

async fn hello(_req: Request<Body>) -> Result<Response<Body>, Infallible> {
    Ok(Response::builder()
        .header("Content-Type", "text/plain")
        .body(Body::from("Hello, World!"))
        .expect("response"))
}

fn main() {
    let port: u16 = match std::env::args().nth(1).and_then(|p| p.parse().ok()) {
        Some(p) => p,
        None => {
            eprintln!("usage: ringlane-peer-hyper PORT");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let make_svc =
            make_service_fn(|_conn| async { Ok::<_, Infallible>(service_fn(hello)) });
        let builder = Server::try_bind(&addr).unwrap_or_else(|e| {
            eprintln!("bind {}: {}", addr, e);
            std::process::exit(1);
        });
        let pipeline_flush = std::env::var("RINGLANE_HYPER_PIPELINE_FLUSH").map_or(false, |v| v == "1");
        let server = builder
            .http1_only(true)
            .http1_pipeline_flush(pipeline_flush)
            .tcp_nodelay(true)
            .serve(make_svc);
        if let Err(e) = server.await {
            eprintln!("server: {}", e);
            std::process::exit(1);
        }
    });
}
