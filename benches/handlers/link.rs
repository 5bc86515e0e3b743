//! A TCP proxy that puts the database one network hop away: every chunk read from one side
//! is written to the other no earlier than `one_way` after it was read.
//!
//! On loopback a round trip costs almost nothing, so the PostgreSQL sections measure server
//! CPU; the goals are about round trips, which a deployment pays over a network. The delay is
//! a latency, not a bandwidth limit: each chunk is stamped when read and a chunk read while an
//! earlier one is in flight waits only for its own stamp, so delays never add up.
//!
//! Plain threads and `std::thread::sleep`, not tokio: tokio's timer has a resolution of 1 ms,
//! ten times the default delay. `sleep` still overshoots, by the kernel's timer slack and a
//! wake-up (65 to 75 µs on the machine of BENCHMARKS.md's numbers, whatever the duration): the
//! link measures that once and sleeps that much less. What it cannot remove (waking the reader
//! when a chunk arrives, more under load) is why the bench measures and prints the round trip
//! it really gets.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Both sockets of every open connection, so that dropping the [`Link`] can shut them down
/// (which ends the threads blocked reading them).
type Open = Arc<Mutex<HashMap<u64, [TcpStream; 2]>>>;

/// A listening proxy to one upstream; dropping it closes every connection through it.
pub(crate) struct Link {
    pub(crate) addr: SocketAddr,
    stop: Arc<AtomicBool>,
    open: Open,
    accept: Option<JoinHandle<()>>,
}

/// Held by the four threads of one connection; the last one out unregisters its sockets.
struct Conn {
    id: u64,
    open: Open,
}

impl Drop for Conn {
    fn drop(&mut self) {
        lock(&self.open).remove(&self.id);
    }
}

fn lock(open: &Open) -> std::sync::MutexGuard<'_, HashMap<u64, [TcpStream; 2]>> {
    // A panicking proxy thread must not keep the others from cleaning up.
    open.lock().unwrap_or_else(PoisonError::into_inner)
}

fn spawn(f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    // Named, so that `top -H` shows what the proxy itself costs.
    thread::Builder::new()
        .name("link".to_owned())
        .spawn(f)
        .expect("spawn a link thread")
}

impl Link {
    /// Listens on `127.0.0.1:0`; each accepted connection gets one of its own to `upstream`.
    pub(crate) fn start(upstream: SocketAddr, one_way: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the link");
        let addr = listener.local_addr().expect("the link's address");
        let stop = Arc::new(AtomicBool::new(false));
        let open = Open::default();
        let delay = Delay {
            one_way,
            slack: overshoot(one_way),
        };
        let accept = {
            let (stop, open) = (Arc::clone(&stop), Arc::clone(&open));
            spawn(move || {
                for (id, client) in (0_u64..).zip(listener.incoming()) {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    // A failed upstream connect drops the client: its connect fails as it would
                    // without the link.
                    if let (Ok(client), Ok(server)) = (client, TcpStream::connect(upstream)) {
                        let conn = Conn {
                            id,
                            open: Arc::clone(&open),
                        };
                        forward(conn, client, server, delay);
                    }
                }
            })
        };
        Self {
            addr,
            stop,
            open,
            accept: Some(accept),
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // `accept` has no timeout: a connection of our own wakes it to see `stop`.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        // Every connection is registered now; shutting its sockets down ends its readers, and
        // their writers with them.
        for socket in lock(&self.open).values().flatten() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

/// The delay of every chunk, and how much sooner than that to wake for it.
#[derive(Clone, Copy)]
struct Delay {
    one_way: Duration,
    /// How late `sleep` returns at least, nearly always: the writer sleeps this much less.
    slack: Duration,
}

/// How late `sleep(one_way)` returns: the 10th percentile of 100 tries, so that sleeping
/// this much less is rarely early.
fn overshoot(one_way: Duration) -> Duration {
    let mut late: Vec<Duration> = (0..100)
        .map(|_| {
            let start = Instant::now();
            thread::sleep(one_way);
            start.elapsed().saturating_sub(one_way)
        })
        .collect();
    late.sort();
    late[late.len() / 10]
}

fn forward(conn: Conn, client: TcpStream, server: TcpStream, delay: Delay) {
    let clone = |s: &TcpStream| s.try_clone().expect("clone a link socket");
    for socket in [&client, &server] {
        // Without it, Nagle would hold small messages back: a delay not modelled.
        socket.set_nodelay(true).expect("TCP_NODELAY");
    }
    lock(&conn.open).insert(conn.id, [clone(&client), clone(&server)]);
    let conn = Arc::new(conn);
    pipe(clone(&client), clone(&server), delay, Arc::clone(&conn));
    pipe(server, client, delay, conn);
}

/// One direction: a reader stamps each chunk with when it is due, a writer delivers it then.
fn pipe(from: TcpStream, to: TcpStream, delay: Delay, conn: Arc<Conn>) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let mut reader = from.try_clone().expect("clone a link socket");
    let reader_conn = Arc::clone(&conn);
    spawn(move || {
        let _conn = reader_conn;
        let mut buf = vec![0; 64 * 1024];
        // Ends at end of stream, on an error, or when the Link's drop shuts the socket down;
        // dropping `tx` then lets the writer deliver what is in flight and stop.
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            let due = Instant::now() + delay.one_way;
            if tx.send((due, buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    spawn(move || {
        let _conn = conn;
        let mut to = to;
        for (due, chunk) in rx {
            // Woken `slack` before the due time, `sleep` returns about then; if it was early
            // after all, sleep again: never early, and no spinning on the machine's few cores.
            loop {
                let wait = due.saturating_duration_since(Instant::now());
                if wait.is_zero() {
                    break;
                }
                thread::sleep(
                    wait.saturating_sub(delay.slack)
                        .max(Duration::from_nanos(1)),
                );
            }
            if to.write_all(&chunk).is_err() {
                // The receiving side is gone: stop reading from the sending side too, or its
                // reader would wait for a peer that no longer listens.
                let _ = to.shutdown(Shutdown::Both);
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
        }
        // The sender closed (or the link is shutting down): pass the close on.
        let _ = to.shutdown(Shutdown::Write);
    });
}
