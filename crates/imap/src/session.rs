//! An authenticated IMAP connection and the commands demail sends on it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_rustls::TlsConnector;

use crate::codec::{
    Code, Condition, FetchData, Limits, ListEntry, Response, ResponseReader, Status, Untagged, parse,
};
use crate::{Error, utf7};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (imaps, port 993).
    Tls,
    /// Plain TCP upgraded with STARTTLS before anything else (port 143).
    StartTls,
    /// No encryption at all: only for a test server on loopback.
    Plaintext,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Accept any certificate (self-signed test servers). Off by default.
    pub insecure: bool,
    /// Longest wait for the connection, and for any one response.
    pub timeout: Duration,
    pub limits: Limits,
}

impl ConnectOptions {
    /// Options with certificate verification on and a five-minute response timeout.
    pub fn new(host: impl Into<String>, port: u16, security: Security) -> Self {
        ConnectOptions {
            host: host.into(),
            port,
            security,
            insecure: false,
            timeout: Duration::from_secs(300),
            limits: Limits::default(),
        }
    }
}

/// A user name and a secret: a password, or an OAuth 2.0 access token. The secret never
/// appears in `Debug` output.
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    /// The password, or the access token when `method` is [`AuthMethod::OAuth2`].
    pub password: SecretString,
    pub method: AuthMethod,
}

/// What kind of secret [`Credentials`] hold, hence how to log in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuthMethod {
    /// AUTHENTICATE PLAIN where offered, LOGIN otherwise.
    #[default]
    Password,
    /// An OAuth 2.0 bearer token: OAUTHBEARER (RFC 7628) where offered, else XOAUTH2.
    OAuth2,
}

impl Credentials {
    /// A user name and password.
    pub fn password(user: impl Into<String>, password: SecretString) -> Credentials {
        Credentials { user: user.into(), password, method: AuthMethod::Password }
    }

    /// A user name and OAuth 2.0 access token.
    pub fn oauth2(user: impl Into<String>, token: SecretString) -> Credentials {
        Credentials { user: user.into(), password: token, method: AuthMethod::OAuth2 }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"[REDACTED]")
            .field("method", &self.method)
            .finish()
    }
}

/// One resource of a quota root (RFC 9208): `STORAGE` is counted in KiB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaResource {
    pub root: String,
    pub resource: String,
    pub usage: u64,
    pub limit: u64,
}

/// A folder's role announced by SPECIAL-USE (RFC 6154) attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SpecialUse {
    All,
    Archive,
    Drafts,
    Flagged,
    Junk,
    Sent,
    Trash,
}

impl SpecialUse {
    /// The attribute as sent by the server (`\Sent`…).
    pub fn attribute(self) -> &'static str {
        match self {
            SpecialUse::All => "\\All",
            SpecialUse::Archive => "\\Archive",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Flagged => "\\Flagged",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Trash => "\\Trash",
        }
    }

    fn from_attribute(a: &str) -> Option<SpecialUse> {
        const ALL: [SpecialUse; 7] = [
            SpecialUse::All,
            SpecialUse::Archive,
            SpecialUse::Drafts,
            SpecialUse::Flagged,
            SpecialUse::Junk,
            SpecialUse::Sent,
            SpecialUse::Trash,
        ];
        // XLIST (old Gmail) says \AllMail and \Spam.
        match a.to_ascii_lowercase().as_str() {
            "\\allmail" => Some(SpecialUse::All),
            "\\spam" => Some(SpecialUse::Junk),
            l => ALL.into_iter().find(|s| s.attribute().eq_ignore_ascii_case(l)),
        }
    }
}

/// A mailbox as listed by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Decoded name (modified UTF-7 undone); the wire name if it was not valid UTF-7.
    pub name: String,
    /// Name as the server spells it; send this back to address the mailbox.
    pub wire_name: Vec<u8>,
    pub delimiter: Option<char>,
    pub attributes: Vec<String>,
}

impl Mailbox {
    fn from_entry(e: ListEntry) -> Mailbox {
        let name =
            utf7::decode(&e.wire_name).unwrap_or_else(|| String::from_utf8_lossy(&e.wire_name).into_owned());
        Mailbox { name, wire_name: e.wire_name, delimiter: e.delimiter, attributes: e.attributes }
    }

    pub fn has_attribute(&self, attribute: &str) -> bool {
        self.attributes.iter().any(|a| a.eq_ignore_ascii_case(attribute))
    }

    /// Whether messages can live in it (not `\Noselect` / `\NonExistent`).
    pub fn is_selectable(&self) -> bool {
        !self.has_attribute("\\Noselect") && !self.has_attribute("\\NonExistent")
    }

    /// The first special-use role among its attributes.
    pub fn special_use(&self) -> Option<SpecialUse> {
        self.attributes.iter().find_map(|a| SpecialUse::from_attribute(a))
    }
}

/// What SELECT/EXAMINE tells about a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selected {
    pub exists: u32,
    pub uidvalidity: u32,
    pub uidnext: Option<u32>,
    pub highest_modseq: Option<u64>,
    pub read_only: bool,
}

/// Counts from STATUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxStatus {
    pub messages: u32,
    pub uidnext: Option<u32>,
    pub uidvalidity: Option<u32>,
}

/// A bound on the bytes of message bodies held in memory at once, shared by a fetcher and an
/// appender. Counted in KiB; a message bigger than the whole budget waits until it is alone.
#[derive(Debug, Clone)]
pub struct ByteBudget {
    sem: Arc<Semaphore>,
    kib: u32,
}

/// Budget held by one message; given back when dropped.
#[derive(Debug)]
pub struct BudgetPermit(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

impl ByteBudget {
    pub fn new(bytes: u64) -> ByteBudget {
        let kib = u32::try_from((bytes / 1024).max(1)).unwrap_or(u32::MAX);
        let kib = kib.min(u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX));
        ByteBudget { sem: Arc::new(Semaphore::new(kib as usize)), kib }
    }

    /// The whole budget, in bytes.
    pub fn total(&self) -> u64 {
        u64::from(self.kib) * 1024
    }

    /// Waits until `bytes` fit in the budget.
    pub async fn reserve(&self, bytes: u64) -> BudgetPermit {
        let want = self.units(bytes);
        BudgetPermit(self.sem.clone().acquire_many_owned(want).await.ok())
    }

    /// Budget units (KiB, at least one, at most the whole budget) a message of `bytes` takes.
    fn units(&self, bytes: u64) -> u32 {
        u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX).clamp(1, self.kib)
    }
}

/// A message read from the source.
#[derive(Debug)]
pub struct FetchedMessage {
    pub uid: u32,
    pub flags: Vec<String>,
    pub internal_date: Option<String>,
    /// The message exactly as the server stores it.
    pub body: Vec<u8>,
    pub permit: BudgetPermit,
}

/// One message to append; `token` identifies it in the matching [`Appended`].
#[derive(Debug)]
pub struct AppendRequest {
    pub token: u64,
    pub flags: Vec<String>,
    pub internal_date: Option<String>,
    pub body: Vec<u8>,
    pub permit: BudgetPermit,
}

/// The server's answer to one APPEND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub token: u64,
    pub outcome: Result<AppendedUid, Refusal>,
}

/// Where an appended message landed (known when the server has UIDPLUS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendedUid {
    pub uidvalidity: Option<u32>,
    pub uid: Option<u32>,
}

/// A command the server refused, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Option<Code>,
    pub text: String,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
type Stream = Box<dyn Io>;

/// A connection to an IMAP server. Commands are tagged `A1`, `A2`…; pipelined operations keep
/// several in flight.
pub struct Session {
    reader: ResponseReader<ReadHalf<Stream>>,
    writer: BufWriter<WriteHalf<Stream>>,
    tag: u32,
    capabilities: Vec<String>,
    timeout: Duration,
    host: String,
    port: u16,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("capabilities", &self.capabilities).finish_non_exhaustive()
    }
}

/// Messages per UID FETCH command in a pipelined fetch.
const FETCH_CHUNK: usize = 128;

impl Session {
    /// Connects, sets up TLS as asked, and reads the greeting and capabilities.
    pub async fn connect(opts: &ConnectOptions) -> Result<Session, Error> {
        let connect_error = |source| Error::Connect { host: opts.host.clone(), port: opts.port, source };
        let tcp = tokio::time::timeout(opts.timeout, TcpStream::connect((&*opts.host, opts.port)))
            .await
            .map_err(|_| connect_error(std::io::ErrorKind::TimedOut.into()))?
            .map_err(connect_error)?;
        tcp.set_nodelay(true)?;
        let stream: Stream = match opts.security {
            Security::Plaintext => Box::new(tcp),
            Security::Tls => Box::new(tls_handshake(tcp, opts).await?),
            Security::StartTls => {
                let mut tcp = tcp;
                tokio::time::timeout(opts.timeout, starttls_prelude(&mut tcp))
                    .await
                    .map_err(|_| Error::Timeout)??;
                Box::new(tls_handshake(tcp, opts).await?)
            }
        };
        let (r, w) = tokio::io::split(stream);
        let mut session = Session {
            reader: ResponseReader::new(r, opts.limits),
            writer: BufWriter::with_capacity(64 * 1024, w),
            tag: 0,
            capabilities: Vec::new(),
            timeout: opts.timeout,
            host: opts.host.clone(),
            port: opts.port,
        };
        if opts.security != Security::StartTls {
            match session.read().await? {
                Response::Untagged(Untagged::Condition {
                    kind: Condition::Ok | Condition::Preauth,
                    code,
                    ..
                }) => {
                    if let Some(Code::Capability(c)) = code {
                        session.capabilities = c;
                    }
                }
                Response::Untagged(Untagged::Condition { kind: Condition::Bye, text, .. }) => {
                    return Err(Error::Closed(text));
                }
                other => return Err(Error::Protocol(format!("unexpected greeting {other:?}"))),
            }
        }
        if session.capabilities.is_empty() {
            session.refresh_capabilities().await?;
        }
        Ok(session)
    }

    /// Capabilities as last announced, upper-cased.
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    /// Whether the server announced `capability` (case-insensitive).
    pub fn has(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c.eq_ignore_ascii_case(capability))
    }

    /// Asks the server for its capabilities again.
    pub async fn refresh_capabilities(&mut self) -> Result<(), Error> {
        let done = self.run(b"CAPABILITY", "CAPABILITY").await?;
        for u in done.untagged {
            if let Untagged::Capability(c) = u {
                self.set_capabilities(c);
            }
        }
        Ok(())
    }

    /// Logs in with AUTHENTICATE PLAIN where offered, LOGIN otherwise; with OAUTHBEARER or
    /// XOAUTH2 for an OAuth 2.0 token.
    pub async fn login(&mut self, credentials: &Credentials) -> Result<(), Error> {
        let plain = self.has("AUTH=PLAIN");
        let result = if credentials.method == AuthMethod::OAuth2 {
            self.authenticate_oauth2(credentials).await
        } else if plain {
            self.authenticate_plain(credentials).await
        } else if self.has("LOGINDISABLED") {
            return Err(Error::LoginDisabled);
        } else {
            let unsendable = |_| {
                Error::Protocol(
                    "the user name or password has characters LOGIN cannot carry, and the server \
                     does not offer AUTHENTICATE PLAIN"
                        .into(),
                )
            };
            let user = quoted(credentials.user.as_bytes()).map_err(unsendable)?;
            let pass = quoted(credentials.password.expose_secret().as_bytes()).map_err(unsendable)?;
            let mut cmd = b"LOGIN ".to_vec();
            cmd.extend_from_slice(&user);
            cmd.push(b' ');
            cmd.extend_from_slice(&pass);
            self.run(&cmd, "LOGIN").await
        };
        let done = match result {
            Ok(done) => done,
            Err(Error::Refused { text, .. }) => return Err(Error::AuthenticationFailed(text)),
            Err(e) => return Err(e),
        };
        match done.code {
            Some(Code::Capability(c)) => self.set_capabilities(c),
            _ => self.refresh_capabilities().await?,
        }
        Ok(())
    }

    /// Lists every mailbox, with special-use attributes when the server supports them.
    pub async fn list(&mut self) -> Result<Vec<Mailbox>, Error> {
        let cmd: &[u8] = if self.has("SPECIAL-USE") && self.has("LIST-EXTENDED") {
            br#"LIST "" "*" RETURN (SPECIAL-USE)"#
        } else {
            br#"LIST "" "*""#
        };
        let done = self.run(cmd, "LIST").await?;
        Ok(done
            .untagged
            .into_iter()
            .filter_map(|u| match u {
                Untagged::List(e) => Some(Mailbox::from_entry(e)),
                _ => None,
            })
            .collect())
    }

    /// Selects a mailbox (EXAMINE when `read_only`), asking for CONDSTORE data where offered.
    pub async fn select(&mut self, wire_name: &[u8], read_only: bool) -> Result<Selected, Error> {
        let verb: &[u8] = if read_only { b"EXAMINE " } else { b"SELECT " };
        let mut cmd = verb.to_vec();
        cmd.extend_from_slice(&self.mailbox_arg(wire_name)?);
        if self.has("CONDSTORE") {
            cmd.extend_from_slice(b" (CONDSTORE)");
        }
        let done = self.run(&cmd, if read_only { "EXAMINE" } else { "SELECT" }).await?;
        let mut selected = Selected {
            exists: 0,
            uidvalidity: 0,
            uidnext: None,
            highest_modseq: None,
            read_only: matches!(done.code, Some(Code::ReadOnly)),
        };
        let mut has_uidvalidity = false;
        for u in done.untagged {
            match u {
                Untagged::Exists(n) => selected.exists = n,
                Untagged::Condition { code: Some(c), .. } => match c {
                    Code::UidValidity(v) => {
                        selected.uidvalidity = v;
                        has_uidvalidity = true;
                    }
                    Code::UidNext(n) => selected.uidnext = Some(n),
                    Code::HighestModSeq(m) => selected.highest_modseq = Some(m),
                    _ => {}
                },
                _ => {}
            }
        }
        if !has_uidvalidity {
            return Err(Error::Protocol("SELECT gave no UIDVALIDITY".into()));
        }
        Ok(selected)
    }

    /// Creates a mailbox; one that already exists is not an error.
    pub async fn create(&mut self, wire_name: &[u8]) -> Result<(), Error> {
        let mut cmd = b"CREATE ".to_vec();
        cmd.extend_from_slice(&self.mailbox_arg(wire_name)?);
        match self.run(&cmd, "CREATE").await {
            Ok(_) => Ok(()),
            Err(Error::Refused { code: Some(Code::AlreadyExists), .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Message count, UIDNEXT and UIDVALIDITY of a mailbox without selecting it.
    pub async fn status(&mut self, wire_name: &[u8]) -> Result<MailboxStatus, Error> {
        let mut cmd = b"STATUS ".to_vec();
        cmd.extend_from_slice(&self.mailbox_arg(wire_name)?);
        cmd.extend_from_slice(b" (MESSAGES UIDNEXT UIDVALIDITY)");
        let done = self.run(&cmd, "STATUS").await?;
        let mut status = MailboxStatus { messages: 0, uidnext: None, uidvalidity: None };
        for u in done.untagged {
            if let Untagged::Status { items, .. } = u {
                for (k, v) in items {
                    let v = u32::try_from(v).ok();
                    match k.as_str() {
                        "MESSAGES" => status.messages = v.unwrap_or(0),
                        "UIDNEXT" => status.uidnext = v,
                        "UIDVALIDITY" => status.uidvalidity = v,
                        _ => {}
                    }
                }
            }
        }
        Ok(status)
    }

    /// `UID FETCH <set> <items>` on the selected mailbox, collected in memory: for metadata
    /// (flags, sizes, header fields), not bodies.
    pub async fn uid_fetch(&mut self, uid_set: &str, items: &str) -> Result<Vec<FetchData>, Error> {
        let cmd = format!("UID FETCH {uid_set} {items}");
        let done = self.run(cmd.as_bytes(), "UID FETCH").await?;
        Ok(done
            .untagged
            .into_iter()
            .filter_map(|u| match u {
                Untagged::Fetch { data, .. } if data.uid.is_some() => Some(*data),
                _ => None,
            })
            .collect())
    }

    /// Fetches whole messages (`BODY.PEEK[]`, flags, internal date) from the selected mailbox
    /// with several `UID FETCH` commands in flight, each message's size reserved in `budget`
    /// before it is asked for. Sends each message to `out` as it arrives; returns the UIDs the
    /// server did not return (expunged meanwhile).
    pub async fn fetch_messages(
        &mut self,
        wanted: &[(u32, u64)],
        budget: &ByteBudget,
        out: &mpsc::Sender<FetchedMessage>,
    ) -> Result<Vec<u32>, Error> {
        struct Sent {
            tag: String,
            permits: Vec<(u32, BudgetPermit)>,
        }
        let Session { reader, writer, tag, timeout, .. } = self;
        let timeout = *timeout;
        let (sent_tx, mut sent_rx) = mpsc::unbounded_channel::<Sent>();

        let send_side = async move {
            let mut start = 0;
            while start < wanted.len() {
                // A chunk never needs more than the whole budget, or it could never be sent.
                let mut end = start;
                let mut units = 0u64;
                while end < wanted.len()
                    && end - start < FETCH_CHUNK
                    && (end == start
                        || units + u64::from(budget.units(wanted[end].1)) <= u64::from(budget.kib))
                {
                    units += u64::from(budget.units(wanted[end].1));
                    end += 1;
                }
                let chunk = &wanted[start..end];
                start = end;
                let mut permits = Vec::with_capacity(chunk.len());
                for &(uid, size) in chunk {
                    permits.push((uid, budget.reserve(size).await));
                }
                *tag += 1;
                let t = format!("A{tag}");
                let uids: Vec<u32> = chunk.iter().map(|c| c.0).collect();
                let cmd = format!(
                    "{t} UID FETCH {} (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])\r\n",
                    crate::uid_set(&uids)
                );
                // Announce before writing, so the reader knows the tag before any reply.
                if sent_tx.send(Sent { tag: t, permits }).is_err() {
                    return Ok::<(), Error>(());
                }
                writer.write_all(cmd.as_bytes()).await?;
                writer.flush().await?;
            }
            Ok(())
        };

        let receive_side = async move {
            let mut pending: HashSet<String> = HashSet::new();
            let mut permits: HashMap<u32, BudgetPermit> = HashMap::new();
            let mut returned: HashSet<u32> = HashSet::new();
            let mut sender_done = false;
            fn register(s: Sent, pending: &mut HashSet<String>, permits: &mut HashMap<u32, BudgetPermit>) {
                pending.insert(s.tag);
                permits.extend(s.permits);
            }
            loop {
                sender_done |= drain_announced(&mut sent_rx, |s| register(s, &mut pending, &mut permits));
                if pending.is_empty() {
                    if sender_done {
                        break;
                    }
                    match sent_rx.recv().await {
                        Some(s) => register(s, &mut pending, &mut permits),
                        None => sender_done = true,
                    }
                    continue;
                }
                let response = read_with_timeout(reader, timeout).await?;
                sender_done |= drain_announced(&mut sent_rx, |s| register(s, &mut pending, &mut permits));
                match response {
                    Response::Untagged(Untagged::Fetch { data, .. }) => {
                        let FetchData { uid: Some(uid), body: Some(body), flags, internal_date, .. } = *data
                        else {
                            continue;
                        };
                        let Some(permit) = permits.remove(&uid) else {
                            continue; // not one we asked for
                        };
                        returned.insert(uid);
                        let message = FetchedMessage {
                            uid,
                            flags: flags.unwrap_or_default(),
                            internal_date,
                            body,
                            permit,
                        };
                        if out.send(message).await.is_err() {
                            return Err(Error::Cancelled);
                        }
                    }
                    Response::Tagged { tag, .. } => {
                        pending.remove(&tag);
                    }
                    Response::Untagged(Untagged::Condition { kind: Condition::Bye, text, .. }) => {
                        return Err(Error::Closed(text));
                    }
                    _ => {}
                }
            }
            Ok(returned)
        };

        let ((), returned) = tokio::try_join!(send_side, receive_side)?;
        Ok(wanted.iter().map(|w| w.0).filter(|uid| !returned.contains(uid)).collect())
    }

    /// Appends every message received on `input` to a mailbox, reporting each on `out`. With
    /// LITERAL+ the APPENDs are pipelined (no wait for the server between commands); without it
    /// they go one at a time. With MULTIAPPEND (RFC 3502) the messages waiting in `input` go
    /// several to a command: one transaction on the server, so one index update and one sync
    /// instead of one per message. A message with NUL bytes needs BINARY and is refused otherwise.
    pub async fn append_messages(
        &mut self,
        wire_name: &[u8],
        mut input: mpsc::Receiver<AppendRequest>,
        out: &mpsc::Sender<Appended>,
    ) -> Result<(), Error> {
        /// A command on its way: a group kept for a possible retry, or one message alone (its
        /// body is dropped once written: the answer is its own).
        enum Sent {
            Group(Vec<AppendRequest>),
            Single(u64),
        }
        const GROUP_BYTES: usize = 4 << 20;
        /// How long a started group waits for one more message before it is sent.
        const GROUP_WAIT: Duration = Duration::from_millis(2);

        let mailbox = self.mailbox_arg(wire_name)?;
        let binary = self.has("BINARY");
        if !self.has("LITERAL+") {
            while let Some(req) = input.recv().await {
                let appended = self.append_one(&mailbox, req, binary).await?;
                out.send(appended).await.map_err(|_| Error::Cancelled)?;
            }
            return Ok(());
        }
        let group_messages = if self.has("MULTIAPPEND") { 200 } else { 1 };
        let Session { reader, writer, tag, timeout, .. } = self;
        let timeout = *timeout;
        let (sent_tx, mut sent_rx) = mpsc::unbounded_channel::<(String, Sent)>();
        // Answers back to the sender: `None` when a command is settled, a refused group to send
        // again message by message otherwise (RFC 3502: nothing of a refused group is stored).
        let (back_tx, mut back_rx) = mpsc::unbounded_channel::<Option<Vec<AppendRequest>>>();

        let send_side = async move {
            let mut outstanding = 0usize;
            let mut retries: VecDeque<AppendRequest> = VecDeque::new();
            // A command answered: one less outstanding, and a refused group's messages to retry.
            fn settle(
                back: Option<Vec<AppendRequest>>,
                outstanding: &mut usize,
                retries: &mut VecDeque<AppendRequest>,
            ) {
                *outstanding -= 1;
                retries.extend(back.into_iter().flatten());
            }
            let mut input_open = true;
            loop {
                while let Ok(back) = back_rx.try_recv() {
                    settle(back, &mut outstanding, &mut retries);
                }
                // A retried message goes alone, to learn which one the server refuses.
                let (mut group, alone) = match retries.pop_front() {
                    Some(req) => (vec![req], true),
                    None => {
                        let first = match input.try_recv() {
                            Ok(r) => Some(r),
                            Err(mpsc::error::TryRecvError::Disconnected) => {
                                input_open = false;
                                None
                            }
                            Err(mpsc::error::TryRecvError::Empty) => {
                                writer.flush().await?;
                                tokio::select! {
                                    r = input.recv() => {
                                        input_open = r.is_some();
                                        r
                                    }
                                    back = back_rx.recv() => {
                                        if let Some(back) = back {
                                            settle(back, &mut outstanding, &mut retries);
                                        }
                                        continue;
                                    }
                                }
                            }
                        };
                        let Some(first) = first else {
                            if outstanding == 0 && retries.is_empty() {
                                break;
                            }
                            writer.flush().await?;
                            match back_rx.recv().await {
                                Some(back) => settle(back, &mut outstanding, &mut retries),
                                None => break,
                            }
                            continue;
                        };
                        (vec![first], false)
                    }
                };
                let mut bytes = group[0].body.len();
                while !alone && input_open && group.len() < group_messages && bytes < GROUP_BYTES {
                    // After a short wait (or at the end of the input) the group goes as it is.
                    let next = match input.try_recv() {
                        Ok(r) => Some(r),
                        Err(mpsc::error::TryRecvError::Disconnected) => None,
                        Err(mpsc::error::TryRecvError::Empty) => {
                            tokio::time::timeout(GROUP_WAIT, input.recv()).await.ok().flatten()
                        }
                    };
                    let Some(r) = next else { break };
                    bytes += r.body.len();
                    group.push(r);
                }
                // Each message's part of the command; one the server could not take (NUL
                // without BINARY) is answered at once and left out.
                let mut parts = Vec::with_capacity(group.len());
                let mut kept = Vec::with_capacity(group.len());
                for req in group {
                    match append_head(&mailbox, &req, binary, true) {
                        Ok(head) => {
                            parts.push(head);
                            kept.push(req);
                        }
                        Err(refusal) => {
                            out.send(Appended { token: req.token, outcome: Err(refusal) })
                                .await
                                .map_err(|_| Error::Cancelled)?;
                        }
                    }
                }
                if kept.is_empty() {
                    continue;
                }
                *tag += 1;
                let t = format!("A{tag}");
                writer.write_all(format!("{t} ").as_bytes()).await?;
                for (i, (head, req)) in parts.iter().zip(&kept).enumerate() {
                    // `APPEND <mailbox>` once, then each message's flags, date and literal.
                    let head: &[u8] = if i == 0 { head } else { &head[b"APPEND ".len() + mailbox.len()..] };
                    writer.write_all(head).await?;
                    writer.write_all(&req.body).await?;
                }
                writer.write_all(b"\r\n").await?;
                outstanding += 1;
                // No await since the last write: the receiver learns the tag before it can read
                // its answer.
                let sent = match <[AppendRequest; 1]>::try_from(kept) {
                    Ok([req]) => Sent::Single(req.token),
                    Err(kept) => Sent::Group(kept),
                };
                if sent_tx.send((t, sent)).is_err() {
                    break;
                }
            }
            writer.flush().await?;
            Ok::<(), Error>(())
        };

        let receive_side = async move {
            let mut pending: HashMap<String, Sent> = HashMap::new();
            let mut sender_done = false;
            loop {
                sender_done |= drain_announced(&mut sent_rx, |(t, sent)| {
                    pending.insert(t, sent);
                });
                if pending.is_empty() {
                    if sender_done {
                        break;
                    }
                    match sent_rx.recv().await {
                        Some((t, sent)) => {
                            pending.insert(t, sent);
                        }
                        None => sender_done = true,
                    }
                    continue;
                }
                let response = read_with_timeout(reader, timeout).await?;
                sender_done |= drain_announced(&mut sent_rx, |(t, sent)| {
                    pending.insert(t, sent);
                });
                match response {
                    Response::Tagged { tag, status, code, text } => match pending.remove(&tag) {
                        None => {}
                        Some(Sent::Single(token)) => {
                            let appended = Appended { token, outcome: appended_outcome(status, code, text) };
                            out.send(appended).await.map_err(|_| Error::Cancelled)?;
                            let _ = back_tx.send(None);
                        }
                        Some(Sent::Group(group)) if status == Status::Ok => {
                            let (uidvalidity, uids) = match code {
                                Some(Code::AppendUid { uidvalidity, uids }) => {
                                    (Some(uidvalidity), expand_uid_ranges(&uids, group.len()))
                                }
                                _ => (None, None),
                            };
                            for (i, req) in group.into_iter().enumerate() {
                                let uid = uids.as_ref().and_then(|u| u.get(i).copied());
                                let outcome = Ok(AppendedUid { uidvalidity, uid });
                                out.send(Appended { token: req.token, outcome })
                                    .await
                                    .map_err(|_| Error::Cancelled)?;
                            }
                            let _ = back_tx.send(None);
                        }
                        Some(Sent::Group(group)) => {
                            let _ = back_tx.send(Some(group));
                        }
                    },
                    Response::Untagged(Untagged::Condition { kind: Condition::Bye, text, .. }) => {
                        return Err(Error::Closed(text));
                    }
                    _ => {}
                }
            }
            Ok::<(), Error>(())
        };
        tokio::try_join!(send_side, receive_side)?;
        Ok(())
    }

    /// Replaces the flags of the messages `uid_set` in the selected mailbox
    /// (`UID STORE … FLAGS.SILENT`); flags no client may set are left out.
    pub async fn uid_store_flags(&mut self, uid_set: &str, flags: &[String]) -> Result<(), Error> {
        let flags: Vec<&str> = flags.iter().map(String::as_str).filter(|f| is_appendable_flag(f)).collect();
        let cmd = format!("UID STORE {uid_set} FLAGS.SILENT ({})", flags.join(" "));
        self.run(cmd.as_bytes(), "UID STORE").await?;
        Ok(())
    }

    /// Permanently removes the messages marked `\\Deleted` in the selected mailbox.
    pub async fn expunge(&mut self) -> Result<(), Error> {
        self.run(b"EXPUNGE", "EXPUNGE").await?;
        Ok(())
    }

    /// Usage and limits of the quota roots of a mailbox (`GETQUOTAROOT`, RFC 9208); empty when
    /// the server has no QUOTA capability or sets no limit.
    pub async fn quota_root(&mut self, wire_name: &[u8]) -> Result<Vec<QuotaResource>, Error> {
        if !self.has("QUOTA") {
            return Ok(Vec::new());
        }
        let mut cmd = b"GETQUOTAROOT ".to_vec();
        cmd.extend_from_slice(&self.mailbox_arg(wire_name)?);
        let done = self.run(&cmd, "GETQUOTAROOT").await?;
        Ok(done
            .untagged
            .into_iter()
            .filter_map(|u| match u {
                Untagged::Quota { root, resources } => Some(
                    resources
                        .into_iter()
                        .map(move |(resource, usage, limit)| QuotaResource {
                            root: root.clone(),
                            resource,
                            usage,
                            limit,
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect())
    }

    /// Says goodbye; errors are ignored (the connection is going away anyway).
    pub async fn logout(mut self) {
        let _ = self.run(b"LOGOUT", "LOGOUT").await;
    }

    /// Replaces the announced capabilities (tests of servers that lack one).
    #[cfg(feature = "test-support")]
    pub fn set_capabilities_for_test(&mut self, caps: Vec<String>) {
        self.set_capabilities(caps);
    }

    // -----------------------------------------------------------------------------------------

    fn set_capabilities(&mut self, caps: Vec<String>) {
        self.capabilities = caps.into_iter().map(|c| c.to_ascii_uppercase()).collect();
    }

    async fn read(&mut self) -> Result<Response, Error> {
        read_with_timeout(&mut self.reader, self.timeout).await
    }

    /// Sends one command and waits for its tagged completion; a NO or BAD is an error.
    async fn run(&mut self, command: &[u8], verb: &str) -> Result<Completed, Error> {
        let tag = self.send(command).await?;
        self.complete(&tag, verb).await
    }

    async fn send(&mut self, command: &[u8]) -> Result<String, Error> {
        self.tag += 1;
        let tag = format!("A{}", self.tag);
        self.writer.write_all(tag.as_bytes()).await?;
        self.writer.write_all(b" ").await?;
        self.writer.write_all(command).await?;
        self.writer.write_all(b"\r\n").await?;
        self.writer.flush().await?;
        Ok(tag)
    }

    async fn complete(&mut self, tag: &str, verb: &str) -> Result<Completed, Error> {
        let mut untagged = Vec::new();
        loop {
            match self.read().await? {
                Response::Tagged { tag: t, status, code, text } if t == tag => {
                    if status != Status::Ok {
                        return Err(Error::Refused { command: verb.to_string(), code, text });
                    }
                    return Ok(Completed { untagged, code });
                }
                Response::Untagged(Untagged::Condition { kind: Condition::Bye, text, .. })
                    if verb != "LOGOUT" =>
                {
                    return Err(Error::Closed(text));
                }
                Response::Untagged(Untagged::Capability(c)) => {
                    self.set_capabilities(c.clone());
                    untagged.push(Untagged::Capability(c));
                }
                Response::Untagged(u) => untagged.push(u),
                _ => {}
            }
        }
    }

    async fn authenticate_plain(&mut self, credentials: &Credentials) -> Result<Completed, Error> {
        let payload = SecretString::from(base64::engine::general_purpose::STANDARD.encode(format!(
            "\0{}\0{}",
            credentials.user,
            credentials.password.expose_secret()
        )));
        if self.has("SASL-IR") {
            let mut cmd = b"AUTHENTICATE PLAIN ".to_vec();
            cmd.extend_from_slice(payload.expose_secret().as_bytes());
            return self.run(&cmd, "AUTHENTICATE").await;
        }
        let tag = self.send(b"AUTHENTICATE PLAIN").await?;
        self.wait_continuation(&tag).await?;
        self.writer.write_all(payload.expose_secret().as_bytes()).await?;
        self.writer.write_all(b"\r\n").await?;
        self.writer.flush().await?;
        self.complete(&tag, "AUTHENTICATE").await
    }

    /// AUTHENTICATE OAUTHBEARER (RFC 7628) or XOAUTH2 with the initial response. On a refused
    /// token the server sends a challenge (an error report) that must be answered before it
    /// says NO.
    async fn authenticate_oauth2(&mut self, credentials: &Credentials) -> Result<Completed, Error> {
        let mechanism = if self.has("AUTH=OAUTHBEARER") {
            OAuthMechanism::OAuthBearer
        } else if self.has("AUTH=XOAUTH2") {
            OAuthMechanism::XOAuth2
        } else {
            return Err(Error::OAuthUnavailable);
        };
        let payload = oauth2_initial_response(mechanism, credentials, &self.host, self.port);
        let name: &[u8] = match mechanism {
            OAuthMechanism::OAuthBearer => b"AUTHENTICATE OAUTHBEARER",
            OAuthMechanism::XOAuth2 => b"AUTHENTICATE XOAUTH2",
        };
        let mut cmd = name.to_vec();
        let tag = if self.has("SASL-IR") {
            cmd.push(b' ');
            cmd.extend_from_slice(payload.expose_secret().as_bytes());
            self.send(&cmd).await?
        } else {
            let tag = self.send(&cmd).await?;
            self.wait_continuation(&tag).await?;
            self.writer.write_all(payload.expose_secret().as_bytes()).await?;
            self.writer.write_all(b"\r\n").await?;
            self.writer.flush().await?;
            tag
        };
        drop(cmd);
        loop {
            match self.read().await? {
                Response::Continuation(_) => {
                    // The error challenge: answer with the dummy response (%x01 for
                    // OAUTHBEARER, empty for XOAUTH2) so that the server finishes with NO.
                    let answer: &[u8] = match mechanism {
                        OAuthMechanism::OAuthBearer => b"AQ==\r\n",
                        OAuthMechanism::XOAuth2 => b"\r\n",
                    };
                    self.writer.write_all(answer).await?;
                    self.writer.flush().await?;
                }
                Response::Tagged { tag: t, status, code, text } if t == tag => {
                    if status != Status::Ok {
                        return Err(Error::Refused { command: "AUTHENTICATE".into(), code, text });
                    }
                    return Ok(Completed { untagged: Vec::new(), code });
                }
                Response::Untagged(Untagged::Capability(c)) => self.set_capabilities(c),
                _ => {}
            }
        }
    }

    async fn wait_continuation(&mut self, tag: &str) -> Result<(), Error> {
        loop {
            match self.read().await? {
                Response::Continuation(_) => return Ok(()),
                Response::Tagged { tag: t, code, text, .. } if t == tag => {
                    return Err(Error::Refused { command: "AUTHENTICATE".into(), code, text });
                }
                _ => {}
            }
        }
    }

    /// One APPEND with a synchronising literal (servers without LITERAL+).
    async fn append_one(
        &mut self,
        mailbox: &[u8],
        req: AppendRequest,
        binary: bool,
    ) -> Result<Appended, Error> {
        let head = match append_head(mailbox, &req, binary, false) {
            Ok(h) => h,
            Err(refusal) => {
                return Ok(Appended { token: req.token, outcome: Err(refusal) });
            }
        };
        // `head` ends with CRLF; `send` adds its own.
        let tag = self.send(&head[..head.len() - 2]).await?;
        loop {
            match self.read().await? {
                Response::Continuation(_) => break,
                Response::Tagged { tag: t, status, code, text } if t == tag => {
                    return Ok(Appended { token: req.token, outcome: appended_outcome(status, code, text) });
                }
                _ => {}
            }
        }
        self.writer.write_all(&req.body).await?;
        self.writer.write_all(b"\r\n").await?;
        self.writer.flush().await?;
        loop {
            if let Response::Tagged { tag: t, status, code, text } = self.read().await?
                && t == tag
            {
                return Ok(Appended { token: req.token, outcome: appended_outcome(status, code, text) });
            }
        }
    }

    /// A mailbox name as a command argument: quoted, or a literal if it cannot be quoted.
    fn mailbox_arg(&self, wire_name: &[u8]) -> Result<Vec<u8>, Error> {
        match quoted(wire_name) {
            Ok(q) => Ok(q),
            Err(_) if self.has("LITERAL+") && !wire_name.contains(&0) => {
                let mut arg = format!("{{{}+}}\r\n", wire_name.len()).into_bytes();
                arg.extend_from_slice(wire_name);
                Ok(arg)
            }
            Err(e) => Err(e),
        }
    }
}

struct Completed {
    untagged: Vec<Untagged>,
    code: Option<Code>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OAuthMechanism {
    OAuthBearer,
    XOAuth2,
}

/// The base64 initial client response of OAUTHBEARER (RFC 7628 §3.1, with the GS2 header
/// `n,a=<user>,` where `,` and `=` are escaped) or of XOAUTH2 (Google's format).
fn oauth2_initial_response(
    mechanism: OAuthMechanism,
    credentials: &Credentials,
    host: &str,
    port: u16,
) -> SecretString {
    let token = credentials.password.expose_secret();
    let raw = match mechanism {
        OAuthMechanism::OAuthBearer => {
            let user = credentials.user.replace('=', "=3D").replace(',', "=2C");
            format!("n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
        }
        OAuthMechanism::XOAuth2 => format!("user={}\x01auth=Bearer {token}\x01\x01", credentials.user),
    };
    SecretString::from(base64::engine::general_purpose::STANDARD.encode(raw))
}

async fn read_with_timeout<R: AsyncRead + Unpin>(
    reader: &mut ResponseReader<R>,
    timeout: Duration,
) -> Result<Response, Error> {
    let raw = tokio::time::timeout(timeout, reader.read()).await.map_err(|_| Error::Timeout)??;
    parse(raw)
}

fn appended_outcome(status: Status, code: Option<Code>, text: String) -> Result<AppendedUid, Refusal> {
    if status != Status::Ok {
        return Err(Refusal { code, text });
    }
    Ok(match code {
        Some(Code::AppendUid { uidvalidity, uids }) => {
            AppendedUid { uidvalidity: Some(uidvalidity), uid: uids.first().map(|r| r.0) }
        }
        _ => AppendedUid { uidvalidity: None, uid: None },
    })
}

#[cfg(test)]
mod multiappend_tests {
    #[test]
    fn an_appenduid_set_expands_in_order_only_when_it_counts_every_message() {
        assert_eq!(super::expand_uid_ranges(&[(4, 6), (9, 9)], 4), Some(vec![4, 5, 6, 9]));
        assert_eq!(super::expand_uid_ranges(&[(7, 7)], 1), Some(vec![7]));
        assert_eq!(super::expand_uid_ranges(&[(4, 6)], 2), None, "a set that does not match is not guessed");
    }
}

/// The UIDs of an APPENDUID set in order, when it names exactly `count` messages (a server
/// gives them in the order of the messages it stored).
fn expand_uid_ranges(ranges: &[(u32, u32)], count: usize) -> Option<Vec<u32>> {
    // `parse_uid_set` gives each range as (low, high).
    let total: u64 = ranges.iter().map(|&(a, b)| u64::from(b - a) + 1).sum();
    if total != count as u64 {
        return None;
    }
    Some(ranges.iter().flat_map(|&(a, b)| a..=b).collect())
}

/// `APPEND <mailbox> (<flags>) "<date>" {n+}\r\n` (without the tag).
fn append_head(
    mailbox: &[u8],
    req: &AppendRequest,
    binary: bool,
    non_sync: bool,
) -> Result<Vec<u8>, Refusal> {
    let has_nul = req.body.contains(&0);
    if has_nul && !binary {
        return Err(Refusal {
            code: None,
            text: "the message contains NUL bytes and the server does not offer BINARY".into(),
        });
    }
    let mut head = b"APPEND ".to_vec();
    head.extend_from_slice(mailbox);
    let flags: Vec<&str> = req.flags.iter().map(String::as_str).filter(|f| is_appendable_flag(f)).collect();
    head.extend_from_slice(format!(" ({})", flags.join(" ")).as_bytes());
    if let Some(date) = &req.internal_date
        && date.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\' || b == b' ')
    {
        head.extend_from_slice(format!(" \"{date}\"").as_bytes());
    }
    let tilde = if has_nul { "~" } else { "" };
    let plus = if non_sync { "+" } else { "" };
    head.extend_from_slice(format!(" {tilde}{{{}{plus}}}\r\n", req.body.len()).as_bytes());
    Ok(head)
}

/// System flags a client may set, and keywords that are valid atoms.
fn is_appendable_flag(flag: &str) -> bool {
    const SYSTEM: [&str; 5] = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"];
    if flag.starts_with('\\') {
        return SYSTEM.iter().any(|s| s.eq_ignore_ascii_case(flag));
    }
    !flag.is_empty()
        && flag.bytes().all(|b| {
            b.is_ascii_graphic() && !matches!(b, b'(' | b')' | b'{' | b'"' | b'\\' | b']' | b'%' | b'*')
        })
}

/// A quoted string; fails for bytes that cannot be quoted (CR, LF, NUL, 8-bit).
fn quoted(s: &[u8]) -> Result<Vec<u8>, Error> {
    if s.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0 || b >= 0x80) {
        return Err(Error::BadMailboxName(String::from_utf8_lossy(s).into_owned()));
    }
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'"');
    for &b in s {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
    Ok(out)
}

/// Reads the greeting, sends STARTTLS and reads its answer, one byte at a time so that no byte
/// meant for the TLS layer is swallowed by a buffer.
async fn starttls_prelude(tcp: &mut TcpStream) -> Result<(), Error> {
    async fn line(tcp: &mut TcpStream) -> Result<Vec<u8>, Error> {
        let mut line = Vec::new();
        loop {
            let b = tcp.read_u8().await.map_err(|_| Error::Closed(String::new()))?;
            if b == b'\n' {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if line.len() > 8192 {
                return Err(Error::Protocol("greeting too long".into()));
            }
            line.push(b);
        }
    }
    let greeting = line(tcp).await?;
    if !greeting.starts_with(b"* OK") {
        return Err(Error::Protocol(format!("unexpected greeting {:?}", String::from_utf8_lossy(&greeting))));
    }
    tcp.write_all(b"S0 STARTTLS\r\n").await?;
    loop {
        let l = line(tcp).await?;
        if let Some(rest) = l.strip_prefix(b"S0 ") {
            return if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case(b"OK") {
                Ok(())
            } else {
                Err(Error::StartTlsUnavailable)
            };
        }
    }
}

/// TLS over `tcp`. Reads are buffered under the TLS layer: rustls asks the socket for 4 KiB at
/// a time, which would cost a system call per 4 KiB of mail (writes pass straight through).
async fn tls_handshake(
    tcp: TcpStream,
    opts: &ConnectOptions,
) -> Result<tokio_rustls::client::TlsStream<tokio::io::BufReader<TcpStream>>, Error> {
    let tcp = tokio::io::BufReader::with_capacity(64 * 1024, tcp);
    let config = crate::tls::client_config(opts.insecure)
        .map_err(|e| Error::Tls { host: opts.host.clone(), source: std::io::Error::other(e) })?;
    let name = rustls::pki_types::ServerName::try_from(opts.host.clone())
        .map_err(|_| Error::InvalidServerName(opts.host.clone()))?;
    tokio::time::timeout(opts.timeout, TlsConnector::from(config).connect(name, tcp))
        .await
        .map_err(|_| Error::Timeout)?
        .map_err(|source| Error::Tls { host: opts.host.clone(), source })
}

/// Takes every command the writer half has already announced to the reader half of a pipeline.
/// Returns true when the writer has finished and will announce nothing more.
fn drain_announced<T>(rx: &mut mpsc::UnboundedReceiver<T>, mut take: impl FnMut(T)) -> bool {
    loop {
        match rx.try_recv() {
            Ok(item) => take(item),
            Err(mpsc::error::TryRecvError::Empty) => return false,
            Err(mpsc::error::TryRecvError::Disconnected) => return true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_hides_the_password() {
        let c = Credentials::password("alice", SecretString::from("hunter2".to_string()));
        let shown = format!("{c:?}");
        assert!(shown.contains("alice"));
        assert!(!shown.contains("hunter2"));
    }

    #[test]
    fn oauth_initial_responses_follow_rfc_7628_and_xoauth2() {
        use base64::Engine as _;
        let c = Credentials::oauth2("a,b=c@example.org", SecretString::from("tok".to_string()));
        let decode = |m| {
            let s = oauth2_initial_response(m, &c, "imap.example.org", 993);
            base64::engine::general_purpose::STANDARD.decode(s.expose_secret()).unwrap_or_default()
        };
        assert_eq!(
            decode(OAuthMechanism::OAuthBearer),
            b"n,a=a=2Cb=3Dc@example.org,\x01host=imap.example.org\x01port=993\x01auth=Bearer tok\x01\x01"
        );
        assert_eq!(decode(OAuthMechanism::XOAuth2), b"user=a,b=c@example.org\x01auth=Bearer tok\x01\x01");
        assert!(!format!("{c:?}").contains("tok"));
    }

    #[test]
    fn append_head_keeps_flags_keywords_and_date_and_drops_recent() {
        let req = AppendRequest {
            token: 1,
            flags: vec!["\\Seen".into(), "\\Recent".into(), "$Forwarded".into(), "bad(kw".into()],
            internal_date: Some("01-Feb-2003 04:05:06 +0100".into()),
            body: b"abc".to_vec(),
            permit: BudgetPermit(None),
        };
        let head = append_head(b"\"INBOX\"", &req, false, true).unwrap_or_default();
        assert_eq!(head, b"APPEND \"INBOX\" (\\Seen $Forwarded) \"01-Feb-2003 04:05:06 +0100\" {3+}\r\n");
    }

    #[test]
    fn append_head_uses_literal8_for_nul_bytes_only_with_binary() {
        let req = AppendRequest {
            token: 1,
            flags: vec![],
            internal_date: None,
            body: b"a\0b".to_vec(),
            permit: BudgetPermit(None),
        };
        assert!(append_head(b"X", &req, false, true).is_err());
        assert_eq!(append_head(b"X", &req, true, true).unwrap_or_default(), b"APPEND X () ~{3+}\r\n");
    }

    #[test]
    fn mailbox_names_are_quoted_with_escapes() {
        assert_eq!(quoted(b"a\"b\\c").unwrap_or_default(), b"\"a\\\"b\\\\c\"");
        assert!(quoted(b"a\r\nb").is_err());
    }

    #[tokio::test]
    async fn byte_budget_blocks_until_bytes_are_given_back() {
        let budget = ByteBudget::new(10 * 1024);
        let a = budget.reserve(8 * 1024).await;
        let b = tokio::time::timeout(Duration::from_millis(50), budget.reserve(4 * 1024)).await;
        assert!(b.is_err(), "second reservation should wait");
        drop(a);
        let big = tokio::time::timeout(Duration::from_millis(50), budget.reserve(1 << 30)).await;
        assert!(big.is_ok(), "an oversized message runs alone once the budget is free");
    }
}
