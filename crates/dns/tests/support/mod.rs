//! DNS servers on 127.0.0.1 for the tests: an authoritative hickory-server serving
//! `zone.test`, one that never answers, and one that answers every question with SERVFAIL.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use demail_dns::{ResolverSettings, TokioResolver, resolver_at};
use hickory_server::Server;
use hickory_server::net::runtime::TokioRuntimeProvider;
use hickory_server::proto::rr::{LowerName, Name};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use tokio::net::{TcpListener, UdpSocket};

const ZONE: &str = include_str!("zone.test");

/// Short enough to keep the suite fast, long enough for a loaded CI machine.
pub fn settings() -> ResolverSettings {
    ResolverSettings { timeout: Duration::from_secs(2), attempts: 1 }
}

/// The authoritative server for `test.`; stops when dropped.
pub struct ZoneServer {
    pub addr: SocketAddr,
    _server: Server<Catalog>,
}

impl ZoneServer {
    pub async fn start() -> ZoneServer {
        let origin = Name::from_ascii("test.").unwrap();
        let (origin, records) = Parser::new(ZONE, None, Some(origin)).parse().unwrap();
        let zone = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
            origin.clone(),
            records,
            ZoneType::Primary,
            AxfrPolicy::Deny,
        )
        .unwrap();
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&origin), vec![Arc::new(zone)]);
        let (udp, tcp) = bind_pair().await;
        let addr = udp.local_addr().unwrap();
        let mut server = Server::new(catalog);
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 65_535);
        ZoneServer { addr, _server: server }
    }

    pub fn resolver(&self) -> TokioResolver {
        resolver_at(self.addr, &settings()).unwrap()
    }
}

/// A server that reads nothing and answers nothing, over UDP and TCP.
pub struct SilentServer {
    pub addr: SocketAddr,
    _udp: UdpSocket,
    accept: tokio::task::JoinHandle<()>,
}

impl SilentServer {
    pub async fn start() -> SilentServer {
        let (udp, tcp) = bind_pair().await;
        let addr = udp.local_addr().unwrap();
        let accept = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = tcp.accept().await {
                held.push(stream);
            }
        });
        SilentServer { addr, _udp: udp, accept }
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A server that answers every UDP question with SERVFAIL.
pub struct FailingServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl FailingServer {
    pub async fn start() -> FailingServer {
        let (udp, _tcp) = bind_pair().await;
        let addr = udp.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            while let Ok((len, peer)) = udp.recv_from(&mut buf).await {
                if len < 12 {
                    continue;
                }
                let mut reply = buf[..len].to_vec();
                reply[2] |= 0x80; // QR: this is a response
                reply[3] = (reply[3] & 0xF0) | 0x02; // RCODE 2: SERVFAIL
                let _ = udp.send_to(&reply, peer).await;
            }
        });
        FailingServer { addr, task }
    }
}

impl Drop for FailingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A UDP socket and a TCP listener on the same free port of 127.0.0.1.
async fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = udp.local_addr().unwrap().port();
        if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)).await {
            return (udp, tcp);
        }
    }
    panic!("no free port with both UDP and TCP on 127.0.0.1");
}
