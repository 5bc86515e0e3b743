//! A TCP proxy between a pool and its database server, which the test can take down: every
//! open connection dropped, new ones closed as soon as they are accepted, until it comes
//! back. What a client sees when its server restarts, without the privileges to restart one.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
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
        let accept = {
            let (up, links) = (Arc::clone(&up), Arc::clone(&links));
            tokio::spawn(async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if !up.load(Ordering::SeqCst) {
                        continue; // dropped: closed at once
                    }
                    let target = target.clone();
                    let link = tokio::spawn(async move {
                        let Ok(mut server) = TcpStream::connect(&target).await else {
                            return;
                        };
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    });
                    links.lock().expect("links").push(link.abort_handle());
                }
            })
            .abort_handle()
        };
        Self {
            addr,
            up,
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
}
