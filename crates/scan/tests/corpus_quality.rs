//! Precision and recall of "service with an account" detection on the labelled corpus.

use std::collections::BTreeSet;

use demail_scan::{Scanner, corpus};

fn measure(seed: u64) -> (f64, f64, Vec<String>, Vec<String>) {
    let c = corpus::generate(seed, 1);
    let mut scanner = Scanner::new([c.owner.as_str()]);
    for m in &c.messages {
        scanner.add_message(&m.raw, m.role);
    }
    let report = scanner.finish();
    let found: BTreeSet<String> = report.accounts().map(|s| s.domain.clone()).collect();
    let truth: BTreeSet<String> = c.accounts.iter().cloned().collect();
    let hits = found.intersection(&truth).count() as f64;
    let false_pos: Vec<String> = found.difference(&truth).cloned().collect();
    let missed: Vec<String> = truth.difference(&found).cloned().collect();
    (hits / found.len().max(1) as f64, hits / truth.len().max(1) as f64, false_pos, missed)
}

#[test]
fn finds_accounts_with_precision_and_recall_of_at_least_0_9() {
    let mut precision = 0.0;
    let mut recall = 0.0;
    let seeds = [1u64, 2, 3, 4, 5];
    for seed in seeds {
        let (p, r, fp, missed) = measure(seed);
        println!("seed {seed}: precision {p:.3} recall {r:.3} false positives {fp:?} missed {missed:?}");
        precision += p;
        recall += r;
    }
    precision /= seeds.len() as f64;
    recall /= seeds.len() as f64;
    println!("mean precision {precision:.3}, mean recall {recall:.3}");
    assert!(precision >= 0.9, "precision {precision}");
    assert!(recall >= 0.9, "recall {recall}");
}

#[test]
fn ranks_accounts_before_newsletters_and_reads_people_from_sent_mail() {
    let c = corpus::generate(1, 1);
    let mut scanner = Scanner::new([c.owner.as_str()]);
    for m in &c.messages {
        scanner.add_message(&m.raw, m.role);
    }
    let report = scanner.finish();
    let first_newsletter = report.services.iter().position(|s| s.domain == "lemonde.fr");
    let last_account = report.services.iter().rposition(|s| s.has_account());
    assert!(last_account < first_newsletter, "accounts first");
    let amazon = report.services.iter().find(|s| s.domain == "amazon.fr");
    assert!(amazon.is_some_and(|a| a.domains.contains("amazon.de") && a.name == "Amazon"));
    let people: Vec<&str> = report.correspondents.iter().map(|p| p.address.as_str()).collect();
    assert!(people.contains(&"jeanne.martin@orange.fr"));
    assert!(!people.contains(&corpus::OWNER), "the owner is not a correspondent");
    assert!(!people.iter().any(|p| p.contains("noreply") || p.contains("mailer-daemon")));
    let google = report.services.iter().find(|s| s.domain == "google.com");
    assert!(google.is_some_and(|g| g.has_account()), "Google account mail from accounts.google.com");
    let phishing = report.services.iter().find(|s| s.domain == "secure-paypa1-login.com");
    assert!(phishing.is_some_and(|p| !p.has_account() && p.maybe_account()));
}
