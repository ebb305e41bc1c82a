//! "Still writing to the old address", seen from the new mailbox through forwarding traces.

use demail_scan::{FolderRole, Scanner};

fn forwarded(from: &str, subject: &str) -> Vec<u8> {
    format!(
        "Delivered-To: camille@nouvelle.example\r\nX-Forwarded-To: camille@nouvelle.example\r\n\
X-Forwarded-For: camille.martin@gmail.com camille@nouvelle.example\r\n\
Delivered-To: camille.martin@gmail.com\r\nFrom: {from}\r\nTo: camille.martin@gmail.com\r\n\
Subject: {subject}\r\nDate: Mon, 23 Nov 2026 09:00:00 +0100\r\n\
DKIM-Signature: v=1; d={}; s=a; b=x\r\n\r\n",
        from.rsplit('@').next().unwrap_or_default().trim_end_matches('>')
    )
    .into_bytes()
}

#[test]
fn forwarded_mail_names_the_senders_still_using_the_old_address() {
    let mut scanner = Scanner::new(["camille@nouvelle.example"]);
    scanner.add_message(
        &forwarded("EDF <ne-pas-repondre@edf.fr>", "Votre facture est disponible"),
        FolderRole::Received,
    );
    scanner.add_message(&forwarded("Jeanne <jeanne.martin@orange.fr>", "Photos"), FolderRole::Received);
    // Mail that reached the new address directly is not "still writing".
    scanner.add_message(
        b"Delivered-To: camille@nouvelle.example\r\nFrom: Vinted <no-reply@vinted.fr>\r\n\
To: camille@nouvelle.example\r\nSubject: Ta commande est confirm\xc3\xa9e\r\nDKIM-Signature: d=vinted.fr; s=a\r\n\r\n",
        FolderRole::Received,
    );
    let report = scanner.finish();
    let still: Vec<(&str, &[String])> = report
        .services
        .iter()
        .filter(|s| s.still_writing)
        .map(|s| (s.domain.as_str(), s.addresses.as_slice()))
        .collect();
    assert_eq!(still, vec![("edf.fr", &["camille.martin@gmail.com".to_string()][..])]);
    let people: Vec<(&str, bool)> =
        report.correspondents.iter().map(|p| (p.address.as_str(), p.still_writing)).collect();
    assert_eq!(people, vec![("jeanne.martin@orange.fr", true)]);
    let vinted = report.services.iter().find(|s| s.domain == "vinted.fr");
    assert!(vinted.is_some_and(|v| !v.still_writing && v.addresses == ["camille@nouvelle.example"]));
}
