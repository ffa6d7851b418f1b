//! The raw Rust peer's core (tokio_raw's `build` copies it next to its
//! main.rs): a connection's read buffer that finds request ends (CRLFCRLF;
//! no bodies, GET only) and turns every complete request of one read into
//! one fixed response, batched so that pipelined requests are answered with
//! one write. (rust_std used it too until it parsed HTTP.)

pub const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";

const BUF_SIZE: usize = 64 * 1024;

pub struct Batcher {
    buf: Vec<u8>,
    len: usize, // bytes held in buf; the unfinished request always starts at 0
    out: Vec<u8>,
}

impl Batcher {
    pub fn new() -> Self {
        Batcher { buf: vec![0u8; BUF_SIZE], len: 0, out: Vec::with_capacity(RESPONSE.len() * 16) }
    }

    /// Where the next read goes.
    pub fn space(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// Books `n` bytes just read into space(). Returns the responses to
    /// write (possibly empty), or None when a request head fills the whole
    /// buffer (the connection should close).
    pub fn took(&mut self, n: usize) -> Option<&[u8]> {
        self.len += n;
        self.out.clear();
        // Rescan from 3 bytes before the old end so a CRLFCRLF split across
        // reads is found.
        let mut from = (self.len - n).saturating_sub(3);
        let mut done = 0;
        while let Some(end) = find_end(&self.buf[..self.len], from) {
            self.out.extend_from_slice(RESPONSE);
            done = end;
            from = end;
        }
        if done == self.len {
            self.len = 0;
        } else if done > 0 {
            self.buf.copy_within(done..self.len, 0);
            self.len -= done;
        }
        if self.len == self.buf.len() {
            return None;
        }
        Some(&self.out)
    }
}

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
