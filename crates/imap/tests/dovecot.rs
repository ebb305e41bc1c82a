//! demail-imap against a real, throwaway Dovecot.

use demail_imap::testing::Dovecot;
use demail_imap::{AppendRequest, ByteBudget, Error, Security, Session, SpecialUse, utf7};
use tokio::sync::mpsc;

fn dovecot() -> Dovecot {
    Dovecot::start().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn logs_in_over_implicit_tls_starttls_and_plaintext() {
    let server = dovecot();
    for security in [Security::Tls, Security::StartTls, Security::Plaintext] {
        let mut s = Session::connect(&server.options(security))
            .await
            .unwrap_or_else(|e| panic!("{security:?}: {e}\n{}", server.log()));
        s.login(&server.credentials("alice")).await.unwrap_or_else(|e| panic!("{security:?}: {e}"));
        assert!(s.has("UIDPLUS"), "{security:?}: {:?}", s.capabilities());
        assert!(s.has("LITERAL+"));
        s.logout().await;
    }
}

#[tokio::test]
async fn refuses_a_self_signed_certificate_unless_insecure() {
    let server = dovecot();
    let mut options = server.options(Security::Tls);
    options.insecure = false;
    let err = Session::connect(&options).await.err();
    assert!(matches!(err, Some(Error::Tls { .. })), "{err:?}");
}

#[tokio::test]
async fn wrong_password_is_an_authentication_failure() {
    let server = dovecot();
    let mut s = Session::connect(&server.options(Security::Plaintext)).await.expect("connect");
    let mut creds = server.credentials("alice");
    creds.password = "wrong".to_string().into();
    let err = s.login(&creds).await.err();
    assert!(matches!(err, Some(Error::AuthenticationFailed(_))), "{err:?}");
}

#[tokio::test]
async fn lists_special_use_roles_and_decodes_french_names() {
    let server = dovecot();
    let mut s = server.session("gmail").await.expect("login");
    for name in ["[Gmail]/Messages envoyés", "[Gmail]/Tous les messages", "Clients/Déménagement & Co"] {
        s.create(utf7::encode(name).as_bytes()).await.expect("create");
    }
    // Creating twice is not an error.
    s.create(utf7::encode("[Gmail]/Messages envoyés").as_bytes()).await.expect("create again");
    let list = s.list().await.expect("list");
    let find =
        |n: &str| list.iter().find(|m| m.name == n).unwrap_or_else(|| panic!("{n} missing from {list:?}"));
    let sent = find("[Gmail]/Messages envoyés");
    assert_eq!(sent.special_use(), Some(SpecialUse::Sent));
    assert_eq!(sent.wire_name, b"[Gmail]/Messages envoy&AOk-s");
    assert_eq!(sent.delimiter, Some('/'));
    assert_eq!(find("[Gmail]/Tous les messages").special_use(), Some(SpecialUse::All));
    assert_eq!(find("Clients/Déménagement & Co").special_use(), None);
    assert!(find("INBOX").is_selectable());
}

#[tokio::test]
async fn pipelined_append_returns_uids_and_fetch_gives_the_same_bytes_flags_and_dates() {
    let server = dovecot();
    let mut s = server.session("alice").await.expect("login");
    let bodies: Vec<Vec<u8>> = (0..300)
        .map(|i| {
            let mut m = format!("Message-ID: <{i}@test>\r\nSubject: n{i}\r\n\r\n").into_bytes();
            m.extend(std::iter::repeat_n(b'x', i * 37));
            m.extend_from_slice(b"\r\n");
            m
        })
        .collect();
    let budget = ByteBudget::new(64 * 1024);
    let (in_tx, in_rx) = mpsc::channel(16);
    let (out_tx, mut out_rx) = mpsc::channel(1024);
    let feeder = {
        let bodies = bodies.clone();
        let budget = budget.clone();
        tokio::spawn(async move {
            for (i, body) in bodies.into_iter().enumerate() {
                let permit = budget.reserve(body.len() as u64).await;
                let req = AppendRequest {
                    token: i as u64,
                    flags: vec!["\\Seen".into(), format!("$kw{}", i % 3)],
                    internal_date: Some(format!("{:02}-Mar-20{:02} 10:11:12 +0000", 1 + i % 28, i % 25)),
                    body,
                    permit,
                };
                if in_tx.send(req).await.is_err() {
                    break;
                }
            }
        })
    };
    s.append_messages(b"INBOX", in_rx, &out_tx).await.expect("append");
    feeder.await.expect("feeder");
    drop(out_tx);
    let mut uids = vec![0u32; bodies.len()];
    while let Some(a) = out_rx.recv().await {
        let appended = a.outcome.expect("accepted");
        uids[a.token as usize] = appended.uid.expect("APPENDUID");
    }
    assert!(uids.iter().all(|&u| u > 0));

    let selected = s.select(b"INBOX", true).await.expect("examine");
    assert_eq!(selected.exists, 300);
    assert_eq!(selected.uidnext, Some(301));
    assert!(selected.highest_modseq.is_some());

    let wanted: Vec<(u32, u64)> = uids.iter().zip(&bodies).map(|(&u, b)| (u, b.len() as u64)).collect();
    let (tx, mut rx) = mpsc::channel::<demail_imap::FetchedMessage>(8);
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        while let Some(m) = rx.recv().await {
            got.push((m.uid, m.flags, m.internal_date, m.body));
        }
        got
    });
    let missing = s.fetch_messages(&wanted, &budget, &tx).await.expect("fetch");
    drop(tx);
    assert!(missing.is_empty());
    let got = reader.await.expect("reader");
    assert_eq!(got.len(), 300);
    for (uid, flags, date, body) in got {
        let i = uids.iter().position(|&u| u == uid).expect("known uid");
        assert_eq!(body, bodies[i], "message {i} differs");
        assert!(
            flags.contains(&"\\Seen".to_string()) && flags.contains(&format!("$kw{}", i % 3)),
            "{flags:?}"
        );
        assert_eq!(date, Some(format!("{:02}-Mar-20{:02} 10:11:12 +0000", 1 + i % 28, i % 25)));
    }
}

#[tokio::test]
async fn a_message_with_nul_bytes_goes_through_binary_unchanged() {
    let server = dovecot();
    let mut s = server.session("alice").await.expect("login");
    assert!(s.has("BINARY"));
    let body = b"Subject: nul\r\n\r\na\0b\r\n".to_vec();
    let (in_tx, in_rx) = mpsc::channel(1);
    let (out_tx, mut out_rx) = mpsc::channel(1);
    in_tx
        .send(AppendRequest {
            token: 7,
            flags: vec![],
            internal_date: None,
            body: body.clone(),
            permit: ByteBudget::new(1024).reserve(1).await,
        })
        .await
        .expect("queue");
    drop(in_tx);
    s.append_messages(b"INBOX", in_rx, &out_tx).await.expect("append");
    let appended = out_rx.recv().await.expect("outcome");
    let uid = appended.outcome.expect("accepted").uid.expect("uid");
    s.select(b"INBOX", true).await.expect("examine");
    // BODY[] would show the NUL as 0x80 (Dovecot's choice); BINARY[] gives the stored bytes
    // (identical here, as the message has no Content-Transfer-Encoding to undo).
    let fetched = s.uid_fetch(&uid.to_string(), "(UID BINARY.PEEK[])").await.expect("fetch");
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].body.as_deref(), Some(&body[..]));
}

/// The harness checks a bearer token like a password (passwd-file), so a real SASL exchange
/// with Dovecot proves the encoding: OAUTHBEARER first, XOAUTH2 when it is the only one.
#[tokio::test]
async fn logs_in_with_an_oauth2_token_and_reports_a_refused_one() {
    let server = dovecot();
    let mut s = Session::connect(&server.options(Security::StartTls)).await.expect("connect");
    assert!(s.has("AUTH=OAUTHBEARER") && s.has("AUTH=XOAUTH2"), "{:?}", s.capabilities());
    let good = demail_imap::Credentials::oauth2("alice", "pw-alice".to_string().into());
    s.login(&good).await.unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    assert!(s.select(b"INBOX", true).await.is_ok());
    s.logout().await;

    let mut s = Session::connect(&server.options(Security::StartTls)).await.expect("connect");
    let bad = demail_imap::Credentials::oauth2("alice", "expired-token".to_string().into());
    let err = tokio::time::timeout(std::time::Duration::from_secs(10), s.login(&bad)).await;
    assert!(matches!(err, Ok(Err(Error::AuthenticationFailed(_)))), "{err:?}");
}

#[tokio::test]
async fn an_oauth2_token_for_a_server_without_oauth_is_a_clear_error() {
    let server = dovecot();
    let mut s = Session::connect(&server.options(Security::Plaintext)).await.expect("connect");
    // Before STARTTLS-less login Dovecot announces its mechanisms; pretend it offered none.
    let caps: Vec<String> = s.capabilities().iter().filter(|c| !c.contains("OAUTH")).cloned().collect();
    s.set_capabilities_for_test(caps);
    let token = demail_imap::Credentials::oauth2("alice", "pw-alice".to_string().into());
    let err = s.login(&token).await.err();
    assert!(matches!(err, Some(Error::OAuthUnavailable)), "{err:?}");
    assert!(err.is_some_and(|e| e.to_string().contains("app password")));
}

#[tokio::test]
async fn getquotaroot_gives_usage_and_limit_in_kib() {
    let server =
        Dovecot::start_with(&[demail_imap::testing::User { name: "q".into(), quota_kib: Some(512) }])
            .unwrap_or_else(|e| panic!("{e}"));
    let mut s = server.session("q").await.expect("login");
    let quota = s.quota_root(b"INBOX").await.unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    let storage = quota.iter().find(|q| q.resource == "STORAGE");
    assert_eq!(storage.map(|q| (q.usage, q.limit)), Some((0, 512)), "{quota:?}");
}

#[tokio::test]
async fn a_refused_multiappend_group_is_sent_again_message_by_message() {
    // 30 messages of 30 KB for a 512 KiB quota: the first groups fit, a later group is refused
    // whole (RFC 3502: nothing of it is stored); each of its messages then gets its own answer.
    let server =
        Dovecot::start_with(&[demail_imap::testing::User { name: "q".into(), quota_kib: Some(512) }])
            .unwrap_or_else(|e| panic!("{e}"));
    let mut s = server.session("q").await.expect("login");
    assert!(s.has("MULTIAPPEND"), "this Dovecot announces MULTIAPPEND");
    let (in_tx, in_rx) = mpsc::channel(64);
    let (out_tx, mut out_rx) = mpsc::channel(64);
    let budget = ByteBudget::new(8 << 20);
    for i in 0..30u64 {
        let mut body = format!("Message-ID: <q{i}@test>\r\nSubject: q{i}\r\n\r\n").into_bytes();
        body.extend(std::iter::repeat_n(b'y', 30_000));
        body.extend_from_slice(b"\r\n");
        let permit = budget.reserve(body.len() as u64).await;
        let req = AppendRequest { token: i, flags: Vec::new(), internal_date: None, body, permit };
        in_tx.send(req).await.expect("queued");
    }
    drop(in_tx);
    s.append_messages(b"INBOX", in_rx, &out_tx).await.expect("append");
    drop(out_tx);
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    while let Some(a) = out_rx.recv().await {
        match a.outcome {
            Ok(at) => accepted.push((a.token, at.uid.expect("APPENDUID"))),
            Err(r) => refused.push((a.token, r)),
        }
    }
    assert_eq!(accepted.len() + refused.len(), 30, "one answer per message");
    assert!(
        accepted.len() >= 10 && !refused.is_empty(),
        "{} accepted, {} refused",
        accepted.len(),
        refused.len()
    );
    assert!(
        refused.iter().all(|(_, r)| r.code == Some(demail_imap::codec::Code::Other("OVERQUOTA".into()))),
        "{refused:?}\n{}",
        server.log()
    );
    let selected = s.select(b"INBOX", true).await.expect("examine");
    assert_eq!(selected.exists as usize, accepted.len(), "nothing stored twice, nothing lost");
    let mut uids: Vec<u32> = accepted.iter().map(|a| a.1).collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), accepted.len(), "distinct UIDs");
}
