//! Rust std peer: a thread-per-connection HTTP/1.1 "Hello, World!" server on
//! the standard library alone (the seeds' "Rust std" entry, which issue 5
//! counts among the peers that parse HTTP).
//!
//! std::net::TcpListener on 127.0.0.1:PORT; the main thread accepts and
//! spawns one OS thread per connection. Each thread reads requests through a
//! BufReader: the request line (method, target, HTTP/1.x), then every header
//! line (name ':' value), honouring Content-Length (the body is read and
//! dropped) and Connection (keep-alive is HTTP/1.1's default, HTTP/1.0's only
//! when asked). Malformed input gets 400 and a close, a Transfer-Encoding 501
//! and a close. Responses go through a BufWriter that is flushed once the
//! reader holds no further pipelined request, so all the responses to one
//! read leave in one write.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};

/// The three answers, precomputed: HTTP/1.1 keep-alive, HTTP/1.0
/// keep-alive (which must say so), and the last one on a connection.
const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
const OK_KEEP_ALIVE_10: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\r\nHello, World!";
const OK_CLOSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nHello, World!";
const MAX_LINE: usize = 8 * 1024;
const MAX_HEADERS: usize = 100;

enum Outcome {
    /// A request was read: answer it, keep the connection open or not.
    Request { keep_alive: bool, version_10: bool },
    /// The client closed: between requests, or before its head or body
    /// was complete (nothing to answer).
    Closed,
    /// The request cannot be served: this status, then close.
    Refuse(&'static str),
}

/// Reads one line (up to LF) into `line`, without its CRLF or LF. Ok(false)
/// at end of stream before any byte.
fn read_line(r: &mut BufReader<TcpStream>, line: &mut String) -> io::Result<bool> {
    line.clear();
    let n = r.by_ref().take(MAX_LINE as u64).read_line(line)?;
    if n == 0 {
        return Ok(false);
    }
    if !line.ends_with('\n') {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long or cut short"));
    }
    line.pop();
    if line.ends_with('\r') {
        line.pop();
    }
    Ok(true)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Parses one request head and skips its body.
fn read_request(r: &mut BufReader<TcpStream>, line: &mut String) -> io::Result<Outcome> {
    if !read_line(r, line)? {
        return Ok(Outcome::Closed);
    }
    let mut parts = line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) => (m, t, v),
        _ => return Ok(Outcome::Refuse("400 Bad Request")),
    };
    if !is_token(method) || target.is_empty() || !(version == "HTTP/1.1" || version == "HTTP/1.0") {
        return Ok(Outcome::Refuse("400 Bad Request"));
    }
    let version_10 = version == "HTTP/1.0";
    let mut keep_alive = !version_10;
    let mut content_length: Option<u64> = None;
    let mut has_host = false;
    let mut headers = 0;
    loop {
        if !read_line(r, line)? {
            return Ok(Outcome::Closed);
        }
        if line.is_empty() {
            break;
        }
        headers += 1;
        if headers > MAX_HEADERS {
            return Ok(Outcome::Refuse("431 Request Header Fields Too Large"));
        }
        let (name, value) = match line.split_once(':') {
            Some((n, v)) if is_token(n) => (n, v.trim_matches(|c| c == ' ' || c == '\t')),
            _ => return Ok(Outcome::Refuse("400 Bad Request")),
        };
        if name.eq_ignore_ascii_case("content-length") {
            match value.parse::<u64>() {
                Ok(n) if content_length.map_or(true, |old| old == n) => content_length = Some(n),
                _ => return Ok(Outcome::Refuse("400 Bad Request")),
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Ok(Outcome::Refuse("501 Not Implemented"));
        } else if name.eq_ignore_ascii_case("connection") {
            for option in value.split(',').map(str::trim) {
                if option.eq_ignore_ascii_case("close") {
                    keep_alive = false;
                } else if option.eq_ignore_ascii_case("keep-alive") && version_10 {
                    keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case("host") {
            has_host = true;
        }
    }
    if !version_10 && !has_host {
        return Ok(Outcome::Refuse("400 Bad Request"));
    }
    if let Some(n) = content_length {
        let copied = io::copy(&mut r.by_ref().take(n), &mut io::sink())?;
        if copied != n {
            return Ok(Outcome::Closed);
        }
    }
    Ok(Outcome::Request { keep_alive, version_10 })
}

fn serve(sock: TcpStream) -> io::Result<()> {
    sock.set_nodelay(true)?;
    let mut reader = BufReader::with_capacity(16 * 1024, sock.try_clone()?);
    let mut writer = BufWriter::with_capacity(16 * 1024, sock);
    let mut line = String::with_capacity(256);
    loop {
        match read_request(&mut reader, &mut line)? {
            Outcome::Request { keep_alive, version_10 } => {
                writer.write_all(match (keep_alive, version_10) {
                    (false, _) => OK_CLOSE,
                    (true, true) => OK_KEEP_ALIVE_10,
                    (true, false) => OK,
                })?;
                if !keep_alive {
                    return writer.flush();
                }
                if reader.buffer().is_empty() {
                    writer.flush()?;
                }
            }
            Outcome::Closed => return writer.flush(),
            Outcome::Refuse(status) => {
                write!(writer, "HTTP/1.1 {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status)?;
                return writer.flush();
            }
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
                std::thread::spawn(move || {
                    let _ = serve(sock);
                });
            }
            Err(e) => eprintln!("accept: {}", e),
        }
    }
}
