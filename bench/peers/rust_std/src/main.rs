//! Rust std peer: thread-per-connection HTTP/1.1 "Hello, World!" server.
//!
//! std::net::TcpListener on 127.0.0.1:PORT; the main thread accepts and
//! spawns one OS thread per connection. Each thread reads, finds request
//! ends (CRLFCRLF; no body support, GET only), and answers every complete
//! request in one read with one write holding that many fixed responses
//! (pipelining-safe). Keep-alive until the client closes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

// bench/peers/rust_common/batcher.rs, copied next to main.rs by build
mod batcher;

fn serve(mut sock: TcpStream) {
    let _ = sock.set_nodelay(true);
    let mut batch = batcher::Batcher::new();
    loop {
        let n = match sock.read(batch.space()) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let out = match batch.took(n) {
            Some(out) => out,
            None => return, // a request head larger than the buffer
        };
        if !out.is_empty() && sock.write_all(out).is_err() {
            return;
        }
    }
}

fn main() {
    let port: u16 = match std::env::args().nth(1).and_then(|p| p.parse().ok()) {
        Some(p) => p,
        None => {
            eprintln!("usage: ringlane-peer-rust-std PORT");
            std::process::exit(2);
        }
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| {
        eprintln!("bind 127.0.0.1:{}: {}", port, e);
        std::process::exit(1);
    });
    for conn in listener.incoming() {
        match conn {
            Ok(sock) => {
                std::thread::spawn(move || serve(sock));
            }
            Err(e) => eprintln!("accept: {}", e),
        }
    }
}
