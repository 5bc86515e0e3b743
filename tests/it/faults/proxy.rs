//! A TCP proxy between a pool and its database server, which the test can take down (every
//! open connection dropped, new ones closed as soon as they are accepted, until it comes back)
//! or stall (bytes held in both directions, no connection closed). What a client sees when its
//! server restarts or its network stops answering, without the privileges to cause either.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

pub struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    stalled: watch::Sender<bool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.down();
    }
}

impl Proxy {
    /// A proxy to `target` (`host:port`) on a port of its own.
    pub async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("its address");
        let up = Arc::new(AtomicBool::new(true));
        let links = Arc::new(Mutex::new(Vec::new()));
        let (stalled, _) = watch::channel(false);
        let accept = {
            let (up, links, stalled) = (Arc::clone(&up), Arc::clone(&links), stalled.clone());
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    if !up.load(Ordering::SeqCst) {
                        continue; // dropped: closed at once
                    }
                    let target = target.clone();
                    let stalled = stalled.clone();
                    let link = tokio::spawn(async move {
                        let Ok(server) = TcpStream::connect(&target).await else {
                            return;
                        };
                        let (client_read, client_write) = client.into_split();
                        let (server_read, server_write) = server.into_split();
                        tokio::join!(
                            forward(client_read, server_write, stalled.subscribe()),
                            forward(server_read, client_write, stalled.subscribe()),
                        );
                    });
                    links.lock().expect("links").push(link.abort_handle());
                }
            })
            .abort_handle()
        };
        Self {
            addr,
            up,
            stalled,
            links,
            accept,
        }
    }

    /// `url` with its server's `host:port` replaced by the proxy's.
    pub fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").expect("a URL");
        let at = rest.find('@').map_or(0, |i| i + 1);
        let end = rest[at..].find(['/', '?']).map_or(rest.len(), |i| at + i);
        format!("{scheme}://{}{}{}", &rest[..at], self.addr, &rest[end..])
    }

    /// The server's `host:port` in `url`.
    pub fn target(url: &str) -> String {
        let rest = url.split_once("://").expect("a URL").1;
        let at = rest.find('@').map_or(0, |i| i + 1);
        let end = rest[at..].find(['/', '?']).map_or(rest.len(), |i| at + i);
        rest[at..end].to_owned()
    }

    /// The server goes away: every connection is cut, and new ones are closed at once.
    pub fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    /// The server is back.
    pub fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    /// The network stops answering: every byte either side sends from now on is held, and
    /// no connection is closed, so neither side learns anything until [`Proxy::resume`].
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }

    /// The held bytes go through, and the links forward again.
    pub fn resume(&self) {
        self.stalled.send_replace(false);
    }
}

/// Copies `from` to `to` until either ends, holding each chunk while the link is stalled.
async fn forward(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut stalled: watch::Receiver<bool>,
) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(n) if n > 0 => n,
            _ => break,
        };
        if stalled.wait_for(|stalled| !stalled).await.is_err()
            || to.write_all(&buffer[..n]).await.is_err()
        {
            break;
        }
    }
    // The end of a stream is news too: held like the bytes before it.
    let _ = stalled.wait_for(|stalled| !stalled).await;
    let _ = to.shutdown().await;
}
