//! Tokio raw-TCP peer: a current-thread runtime (one thread does all the
//! work), a task per connection, no HTTP parsing beyond finding request ends
//! (CRLFCRLF; no body support, GET only). All complete requests of one read
//! are answered by one write holding that many fixed responses (batched,
//! pipelining-safe). Keep-alive until the client closes.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// bench/peers/rust_common/batcher.rs, copied next to main.rs by build
mod batcher;

async fn serve(mut sock: TcpStream) {
    let _ = sock.set_nodelay(true);
    let mut batch = batcher::Batcher::new();
    loop {
        let n = match sock.read(batch.space()).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let out = match batch.took(n) {
            Some(out) => out,
            None => return, // a request head larger than the buffer
        };
        if !out.is_empty() && sock.write_all(out).await.is_err() {
            return;
        }
    }
}

fn main() {
    let port: u16 = match std::env::args().nth(1).and_then(|p| p.parse().ok()) {
        Some(p) => p,
        None => {
            eprintln!("usage: ringlane-peer-tokio-raw PORT");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap_or_else(|e| {
            eprintln!("bind 127.0.0.1:{}: {}", port, e);
            std::process::exit(1);
        });
        loop {
            match listener.accept().await {
                Ok((sock, _)) => {
                    tokio::spawn(serve(sock));
                }
                Err(e) => eprintln!("accept: {}", e),
            }
        }
    });
}
