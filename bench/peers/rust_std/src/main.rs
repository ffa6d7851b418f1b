//! Rust std peer: thread-per-connection HTTP/1.1 "Hello, World!" server.
//!
//! std::net::TcpListener on 127.0.0.1:PORT; the main thread accepts and
//! spawns one OS thread per connection. Each thread reads, finds request
//! ends (CRLFCRLF; no body support, GET only), and answers every complete
//! request in one read with one write holding that many fixed responses
//! (pipelining-safe). Keep-alive until the client closes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
const BUF_SIZE: usize = 64 * 1024;

/// Index just past the first CRLFCRLF at or after `from`, if any.
fn find_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from + 3;
    while i < buf.len() {
        if buf[i] == b'\n' && buf[i - 1] == b'\r' && buf[i - 2] == b'\n' && buf[i - 3] == b'\r' {
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

fn serve(mut sock: TcpStream) {
    let _ = sock.set_nodelay(true);
    let mut buf = vec![0u8; BUF_SIZE];
    let mut out: Vec<u8> = Vec::with_capacity(RESPONSE.len() * 16);
    let mut len = 0; // bytes held in buf
    loop {
        let n = match sock.read(&mut buf[len..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        len += n;
        out.clear();
        // Rescan from 3 bytes before the old end so a CRLFCRLF split across
        // reads is found; the unfinished request always starts at 0.
        let mut from = (len - n).saturating_sub(3);
        let mut done = 0;
        while let Some(end) = find_end(&buf[..len], from) {
            out.extend_from_slice(RESPONSE);
            done = end;
            from = end;
        }
        if !out.is_empty() && sock.write_all(&out).is_err() {
            return;
        }
        if done == len {
            len = 0;
        } else if done > 0 {
            buf.copy_within(done..len, 0);
            len -= done;
        }
        if len == buf.len() {
            return; // a request head larger than the buffer
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
