//! A deterministic, labelled test mailbox: realistic services in five languages (accounts,
//! newsletters, mailing lists), people, phishing and spam. Used to measure how well the scan
//! finds "services with an account" (precision and recall, see docs/SCAN.md) and to fill the
//! throwaway Dovecot in tests and benchmarks. All names and addresses are made up or public brand
//! domains; no real mail is included.

use std::fmt::Write as _;

use crate::FolderRole;

/// One generated message.
#[derive(Debug, Clone)]
pub struct CorpusMessage {
    /// A complete RFC 5322 message (headers and a short body).
    pub raw: Vec<u8>,
    pub role: FolderRole,
}

/// The generated mailbox and its labels.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The mailbox owner's address.
    pub owner: String,
    pub messages: Vec<CorpusMessage>,
    /// Group keys (as the scan reports them) of services where the owner has an account.
    pub accounts: Vec<String>,
    /// Group keys of senders that are not accounts (newsletters, lists, phishing, spam, people).
    pub not_accounts: Vec<String>,
}

/// How a generated sender authenticates its mail.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Auth {
    /// DKIM by its own domain, Authentication-Results pass.
    Good,
    /// DKIM by its own domain and by its e-mail service provider.
    ViaEsp(&'static str),
    /// No DKIM and no Authentication-Results (small sites that never set it up).
    None,
    /// The receiving server says DKIM and DMARC failed (spoofing).
    Fail,
}

struct Sender {
    /// Group key the scan should report.
    key: &'static str,
    name: &'static str,
    /// From addresses (several domains for grouped services).
    from: &'static [&'static str],
    account: bool,
    auth: Auth,
    /// Subjects of account, security and order mail (empty for non-accounts).
    lifecycle: &'static [&'static str],
    /// Newsletter subjects (sent with List-Unsubscribe).
    news: &'static [&'static str],
    /// A mailing list id (`List-Id`, `Precedence: list`).
    list: Option<&'static str>,
}

const fn s(
    key: &'static str,
    name: &'static str,
    from: &'static [&'static str],
    account: bool,
    auth: Auth,
    lifecycle: &'static [&'static str],
    news: &'static [&'static str],
) -> Sender {
    Sender { key, name, from, account, auth, lifecycle, news, list: None }
}

const SENDERS: &[Sender] = &[
    // French accounts.
    s(
        "amazon.fr",
        "Amazon.fr",
        &[
            "confirmation-commande@amazon.fr",
            "marketplace-messages@amazon.fr",
            "versandbestaetigung@amazon.de",
        ],
        true,
        Auth::Good,
        &[
            "Votre commande Amazon.fr de « Bouilloire inox »",
            "Votre commande a été expédiée",
            "Ihre Bestellung bei Amazon.de",
            "Réinitialisation du mot de passe Amazon",
        ],
        &["Offres du Black Friday sélectionnées pour vous"],
    ),
    s(
        "leboncoin.fr",
        "leboncoin",
        &["no-reply@leboncoin.fr"],
        true,
        Auth::ViaEsp("sendgrid.net"),
        &[
            "Bienvenue sur leboncoin !",
            "Confirmez votre adresse e-mail",
            "Un nouveau message concernant votre annonce",
        ],
        &["Vos recherches sauvegardées : 12 nouvelles annonces"],
    ),
    s(
        "vinted.fr",
        "Vinted",
        &["no-reply@vinted.fr"],
        true,
        Auth::Good,
        &[
            "Bienvenue sur Vinted, Camille !",
            "Ta commande est confirmée",
            "Nouvelle connexion à ton compte Vinted",
        ],
        &[],
    ),
    s(
        "sncf-connect.com",
        "SNCF Connect",
        &["noreply@sncf-connect.com", "ne-pas-repondre@info.sncf.com"],
        true,
        Auth::Good,
        &["Confirmation de réservation : Paris → Lyon", "Votre e-billet", "Votre compte a été créé"],
        &["Les petits prix de l'automne sont là"],
    ),
    s(
        "doctolib.fr",
        "Doctolib",
        &["no-reply@doctolib.fr"],
        true,
        Auth::Good,
        &["Confirmation de votre rendez-vous", "Code de vérification Doctolib", "Bienvenue sur Doctolib"],
        &[],
    ),
    s(
        "impots.gouv.fr",
        "impots.gouv.fr",
        &["ne-pas-repondre@dgfip.finances.gouv.fr"],
        true,
        Auth::Good,
        &[
            "Votre avis d'impôt est disponible dans votre espace particulier",
            "Modification de votre mot de passe",
        ],
        &[],
    ),
    s(
        "ameli.fr",
        "l'Assurance Maladie",
        &["ne-pas-repondre@assurance-maladie.fr"],
        true,
        Auth::Good,
        &["Un nouveau document est disponible dans votre compte ameli", "Activez votre compte ameli"],
        &[],
    ),
    s(
        "caf.fr",
        "Caf",
        &["ne-pas-repondre@caf.fr"],
        true,
        Auth::Good,
        &["Votre code de confirmation", "Un nouveau courrier dans votre espace Mon Compte"],
        &[],
    ),
    s(
        "laposte.fr",
        "La Poste",
        &["noreply@notif.laposte.fr", "noreply@laposte.fr"],
        true,
        Auth::Good,
        &["Votre colis est en cours de livraison", "Bienvenue dans votre espace client La Poste"],
        &[],
    ),
    s(
        "fnac.com",
        "Fnac",
        &["fnac@fnac.com", "commande@fnac.com"],
        true,
        Auth::ViaEsp("emsecure.net"),
        &["Confirmation de votre commande Fnac n° 3847561", "Votre facture Fnac"],
        &["-20 % sur les livres ce week-end", "La sélection BD de la semaine"],
    ),
    s(
        "cdiscount.com",
        "Cdiscount",
        &["service-client@cdiscount.com"],
        true,
        Auth::Good,
        &["Votre commande n°25091 a bien été enregistrée", "Votre colis a été expédié"],
        &["Les French Days commencent !"],
    ),
    s(
        "decathlon.fr",
        "Decathlon",
        &["noreply@decathlon.fr"],
        true,
        Auth::Good,
        &["Bienvenue dans le programme Decathlon", "Votre reçu en magasin"],
        &["Prêt·e pour la rando ?"],
    ),
    s(
        "edf.fr",
        "EDF",
        &["ne-pas-repondre@edf.fr"],
        true,
        Auth::Good,
        &[
            "Votre facture d'électricité est disponible",
            "Confirmez votre adresse e-mail pour votre espace client",
        ],
        &[],
    ),
    s(
        "orange.fr",
        "Orange",
        &["ne-pas-repondre@orange.fr"],
        true,
        Auth::Good,
        &["Votre facture Orange est disponible", "Alerte de sécurité : nouvelle connexion"],
        &[],
    ),
    s(
        "blablacar.fr",
        "BlaBlaCar",
        &["ne-pas-repondre@blablacar.fr"],
        true,
        Auth::ViaEsp("mcsv.net"),
        &["Votre réservation est confirmée", "Vérifiez votre adresse e-mail"],
        &[],
    ),
    s(
        "deezer.com",
        "Deezer",
        &["no-reply@deezer.com"],
        true,
        Auth::Good,
        &["Votre abonnement Deezer Premium", "Réinitialisez votre mot de passe"],
        &["Les nouveautés de la semaine"],
    ),
    s(
        "boulanger.com",
        "Boulanger",
        &["service.client@boulanger.com"],
        true,
        Auth::Good,
        &["Votre commande Boulanger est prête", "Facture de votre achat"],
        &["Nos bons plans électroménager"],
    ),
    // English accounts.
    s(
        "google.com",
        "Google",
        &["no-reply@accounts.google.com"],
        true,
        Auth::Good,
        &[
            "Security alert",
            "Alerte de sécurité pour votre compte Google",
            "Welcome to your new Google Account",
        ],
        &[],
    ),
    s(
        "facebook.com",
        "Facebook",
        &["security@facebookmail.com", "notification@facebookmail.com"],
        true,
        Auth::Good,
        &["Facebook password reset", "New login to Facebook from Firefox on Linux"],
        &[],
    ),
    s(
        "linkedin.com",
        "LinkedIn",
        &["security-noreply@linkedin.com", "messages-noreply@linkedin.com"],
        true,
        Auth::Good,
        &["Camille, please confirm your email address", "Your LinkedIn verification code"],
        &["Your weekly digest of jobs"],
    ),
    s(
        "netflix.com",
        "Netflix",
        &["info@account.netflix.com"],
        true,
        Auth::Good,
        &["Your Netflix membership receipt", "New sign-in to your account"],
        &["New on Netflix this week"],
    ),
    s(
        "spotify.com",
        "Spotify",
        &["no-reply@spotify.com"],
        true,
        Auth::Good,
        &["Your Spotify Premium receipt", "Reset your password"],
        &["Your Release Radar is ready"],
    ),
    s(
        "paypal.com",
        "PayPal",
        &["service@paypal.fr", "service@intl.paypal.com"],
        true,
        Auth::Good,
        &["Reçu de votre paiement à Vinted", "You've got a new sign-in"],
        &[],
    ),
    s(
        "github.com",
        "GitHub",
        &["noreply@github.com"],
        true,
        Auth::Good,
        &["[GitHub] Please verify your device", "[GitHub] A new SSH key was added to your account"],
        &[],
    ),
    s(
        "dropbox.com",
        "Dropbox",
        &["no-reply@dropbox.com", "no-reply@dropboxmail.com"],
        true,
        Auth::Good,
        &["Welcome to Dropbox!", "Your Dropbox password was changed"],
        &[],
    ),
    s(
        "airbnb.com",
        "Airbnb",
        &["automated@airbnb.com"],
        true,
        Auth::ViaEsp("sendgrid.net"),
        &["Reservation confirmed for Lisbon", "Your receipt from Airbnb"],
        &["Get inspired for your next trip"],
    ),
    s(
        "booking.com",
        "Booking.com",
        &["noreply@booking.com", "email.campaign@sg.booking.com"],
        true,
        Auth::Good,
        &["Your booking is confirmed at Hotel Central", "Booking confirmation 4810377"],
        &["Deals for the weekend"],
    ),
    s(
        "uber.com",
        "Uber",
        &["uber.france@uber.com", "noreply@uber.com"],
        true,
        Auth::Good,
        &["Your Thursday evening trip with Uber", "Your Uber receipt"],
        &[],
    ),
    s(
        "steampowered.com",
        "Steam",
        &["noreply@steampowered.com"],
        true,
        Auth::Good,
        &["Your Steam account: Access from new web or mobile device", "Thank you for your Steam purchase!"],
        &[],
    ),
    // German, Spanish and Italian accounts.
    s(
        "zalando.fr",
        "Zalando",
        &["info@service-mail.zalando.de", "info@zalando.fr"],
        true,
        Auth::Good,
        &["Willkommen bei Zalando", "Ihre Bestellung ist unterwegs", "Votre commande Zalando"],
        &["Neue Styles für den Herbst"],
    ),
    s(
        "bahn.de",
        "Deutsche Bahn",
        &["buchungsbestaetigung@bahn.de", "noreply@bahn.de"],
        true,
        Auth::Good,
        &["Buchungsbestätigung (Auftrag 5J2K8M)", "Passwort zurücksetzen"],
        &[],
    ),
    s(
        "renfe.com",
        "Renfe",
        &["venta@renfe.com"],
        true,
        Auth::Good,
        &["Confirmación de tu compra: tu reserva Madrid - Barcelona", "Restablecer contraseña"],
        &[],
    ),
    s(
        "elcorteingles.es",
        "El Corte Inglés",
        &["pedidos@elcorteingles.es"],
        true,
        Auth::ViaEsp("amazonses.com"),
        &["Tu pedido ha sido enviado", "Bienvenido a El Corte Inglés"],
        &["Ofertas exclusivas de la semana"],
    ),
    s(
        "idealista.com",
        "idealista",
        &["noresponder@idealista.com"],
        true,
        Auth::Good,
        &["Bienvenida a idealista", "Confirma tu correo"],
        &["Nuevos pisos en tu búsqueda"],
    ),
    s(
        "trenitalia.com",
        "Trenitalia",
        &["noreply@trenitalia.com"],
        true,
        Auth::Good,
        &["La tua prenotazione è confermata", "Reimposta la password"],
        &[],
    ),
    s(
        "subito.it",
        "Subito",
        &["noreply@subito.it"],
        true,
        Auth::Good,
        &["Benvenuto su Subito!", "Conferma il tuo indirizzo email"],
        &[],
    ),
    s(
        "ikea.com",
        "IKEA",
        &["noreply@order.ikea.com"],
        true,
        Auth::Good,
        &["Il tuo ordine IKEA è stato spedito", "Votre commande IKEA est confirmée"],
        &["Nouveautés pour la maison"],
    ),
    // Small services without any DKIM: real accounts the scan can only call "maybe".
    s(
        "mutuelle-solidaire.fr",
        "Mutuelle Solidaire",
        &["contact@mutuelle-solidaire.fr"],
        true,
        Auth::None,
        &["Votre compte adhérent a été créé", "Votre décompte de remboursement"],
        &[],
    ),
    s(
        "tennis-club-vanves.fr",
        "Tennis club",
        &["secretariat@tennis-club-vanves.fr"],
        true,
        Auth::None,
        &["Votre inscription : facture saison 2025"],
        &[],
    ),
    // Newsletters without an account.
    s(
        "lemonde.fr",
        "Le Monde",
        &["newsletters@redaction.lemonde.fr"],
        false,
        Auth::Good,
        &[],
        &[
            "La Matinale du Monde",
            "Bienvenue dans la newsletter « La Matinale »",
            "Les essentiels de la semaine",
        ],
    ),
    s(
        "framasoft.org",
        "Framasoft",
        &["lettre@framasoft.org"],
        false,
        Auth::Good,
        &[],
        &["Lettre d'information de Framasoft — novembre", "Dégooglisons : les nouvelles"],
    ),
    s(
        "quechoisir.org",
        "UFC-Que Choisir",
        &["newsletter@quechoisir.org"],
        false,
        Auth::ViaEsp("mcsv.net"),
        &[],
        &["Rappels de produits de la semaine", "Newsletter : arnaques au téléphone"],
    ),
    s(
        "substack.com",
        "Substack",
        &["lanouvelle@substack.com"],
        false,
        Auth::Good,
        &[],
        &["La Nouvelle #42 : écrire lentement", "Welcome to La Nouvelle newsletter"],
    ),
    s(
        "spiegel.de",
        "DER SPIEGEL",
        &["newsletter@spiegel.de"],
        false,
        Auth::Good,
        &[],
        &["Die Lage am Morgen", "Der Newsletter am Wochenende"],
    ),
    s(
        "elpais.com",
        "EL PAÍS",
        &["boletines@elpais.com"],
        false,
        Auth::Good,
        &[],
        &["Boletín: lo más leído hoy", "Bienvenido al boletín de EL PAÍS"],
    ),
    s(
        "corriere.it",
        "Corriere della Sera",
        &["newsletter@corriere.it"],
        false,
        Auth::Good,
        &[],
        &["Il Punto: le notizie del giorno", "Newsletter del weekend"],
    ),
    s(
        "theguardian.com",
        "The Guardian",
        &["newsletters@theguardian.com"],
        false,
        Auth::Good,
        &[],
        &["The Long Read", "First Edition: this week's top stories"],
    ),
];

/// Mailing lists: subscriptions, but no account.
const LISTS: &[(&str, &str, &str, &[&str])] = &[
    (
        "debian.org",
        "debian-user-french@lists.debian.org",
        "<debian-user-french.lists.debian.org>",
        &["Re: Problème de son après mise à jour", "Clé USB non reconnue"],
    ),
    (
        "framalistes.org",
        "amap-vanves@framalistes.org",
        "<amap-vanves.framalistes.org>",
        &["Distribution de jeudi", "Re: Paniers de légumes : changement d'horaire"],
    ),
];

/// Phishing (failed or absent authentication) and spam: never accounts.
const NOISE: &[(&str, &str, Auth, &[&str])] = &[
    (
        "secure-paypa1-login.com",
        "service@secure-paypa1-login.com",
        Auth::Fail,
        &[
            "Alerte de sécurité : votre compte PayPal est limité",
            "Confirmez votre adresse pour éviter la suspension",
        ],
    ),
    (
        "amaz0n-verification.net",
        "account@amaz0n-verification.net",
        Auth::None,
        &["Votre commande a été annulée : vérifiez votre compte", "Réinitialisation du mot de passe requise"],
    ),
    (
        "netfllix-billing.info",
        "billing@netfllix-billing.info",
        Auth::Fail,
        &["Your payment was declined: update your subscription"],
    ),
    (
        "colis-suivi-livraison.top",
        "suivi@colis-suivi-livraison.top",
        Auth::None,
        &["Votre colis est en attente de livraison : frais de 1,99 €"],
    ),
    (
        "super-promos-du-jour.biz",
        "offres@super-promos-du-jour.biz",
        Auth::None,
        &["Gagnez un iPhone 17 !", "Dernière chance : -90 %"],
    ),
    (
        "crypto-gains-rapides.xyz",
        "team@crypto-gains-rapides.xyz",
        Auth::None,
        &["Doublez votre épargne en 7 jours"],
    ),
];

/// People (from public mailboxes and one company domain).
const PEOPLE: &[(&str, &str)] = &[
    ("Jeanne Martin", "jeanne.martin@orange.fr"),
    ("Paul Leroy", "paul.leroy@gmail.com"),
    ("Inès Benali", "ines.benali@free.fr"),
    ("Marco Rossi", "marco.rossi@libero.it"),
    ("Sophie Durand", "sophie@atelier-durand.fr"),
    ("Lucas Petit", "lucas.petit@laposte.net"),
    ("Anna Schmidt", "anna.schmidt@gmx.de"),
    ("Tante Odile", "odile.bernard@wanadoo.fr"),
];

const PERSONAL_SUBJECTS: &[&str] = &[
    "On se voit samedi ?",
    "Photos des vacances",
    "Re: Repas de dimanche",
    "Anniversaire de Léa",
    "Le document dont je t'ai parlé",
    "Re: Covoiturage pour jeudi",
    "Nouvelles de Lyon",
    "Merci !",
];

/// The owner and their alias.
pub const OWNER: &str = "camille.martin@gmail.com";
const ALIAS: &str = "camille.martin+achats@gmail.com";

/// Generates the labelled mailbox. `scale` repeats the mailbox's history with fresh message ids
/// (1 gives about 500 messages); `seed` varies dates and choices.
pub fn generate(seed: u64, scale: u32) -> Corpus {
    let mut rng = Rng(seed ^ 0x5EED_DE3A_11C0_FFEE);
    let mut messages = Vec::new();
    let mut n = 0u64;
    let mut next_id = |domain: &str| {
        n += 1;
        format!("<{n}.{seed}.{}@{domain}>", n.wrapping_mul(2_654_435_761) % 1_000_003)
    };
    for round in 0..scale.max(1) {
        for sender in SENDERS {
            let count = 3 + rng.below(5);
            for i in 0..count {
                let from = sender.from[rng.below(sender.from.len() as u64) as usize];
                let domain = from.rsplit('@').next().unwrap_or_default();
                // Accounts: mostly lifecycle mail, some newsletters; the first message is lifecycle.
                let use_news =
                    !sender.news.is_empty() && (sender.lifecycle.is_empty() || (i > 0 && rng.below(3) == 0));
                let (subject, news) = if use_news {
                    (sender.news[rng.below(sender.news.len() as u64) as usize], true)
                } else {
                    (sender.lifecycle[rng.below(sender.lifecycle.len() as u64) as usize], false)
                };
                let to = if sender.account && rng.below(4) == 0 { ALIAS } else { OWNER };
                let mut h = Headers::new(
                    &format!("{} <{from}>", sender.name),
                    to,
                    rng.date(round),
                    subject,
                    &next_id(domain),
                );
                h.auth(sender.auth, domain, &mut rng);
                if news {
                    h.line(
                        "List-Unsubscribe",
                        &format!(
                            "<https://{domain}/unsubscribe?u={}>, <mailto:unsubscribe@{domain}>",
                            rng.below(99_999)
                        ),
                    );
                    if rng.below(2) == 0 {
                        h.line("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
                    }
                    h.line("Precedence", "bulk");
                }
                if let Some(list) = sender.list {
                    h.line("List-Id", list);
                }
                messages.push(h.finish(FolderRole::Received));
            }
        }
        for (_, address, list_id, subjects) in LISTS {
            for subject in *subjects {
                let person = PEOPLE[rng.below(PEOPLE.len() as u64) as usize].0;
                let mut h = Headers::new(
                    &format!("{person} via liste <{address}>"),
                    address,
                    rng.date(round),
                    subject,
                    &next_id("lists.example"),
                );
                h.line("List-Id", list_id);
                h.line("Precedence", "list");
                h.line("List-Unsubscribe", &format!("<mailto:{}>", address.replace('@', "-request@")));
                messages.push(h.finish(FolderRole::Received));
            }
        }
        for (_, from, auth, subjects) in NOISE {
            for subject in *subjects {
                let domain = from.rsplit('@').next().unwrap_or_default();
                let mut h = Headers::new(from, OWNER, rng.date(round), subject, &next_id(domain));
                h.auth(*auth, domain, &mut rng);
                if domain.ends_with(".biz") || domain.ends_with(".xyz") {
                    h.line("List-Unsubscribe", &format!("<http://{domain}/stop>"));
                }
                messages.push(h.finish(FolderRole::Received));
            }
        }
        for (name, address) in PEOPLE {
            let domain = address.rsplit('@').next().unwrap_or_default();
            for _ in 0..(1 + rng.below(4)) {
                let subject = PERSONAL_SUBJECTS[rng.below(PERSONAL_SUBJECTS.len() as u64) as usize];
                let mut h = Headers::new(
                    &format!("{name} <{address}>"),
                    OWNER,
                    rng.date(round),
                    subject,
                    &next_id(domain),
                );
                h.auth(Auth::Good, domain, &mut rng);
                messages.push(h.finish(FolderRole::Received));
            }
            for _ in 0..rng.below(4) {
                let subject = PERSONAL_SUBJECTS[rng.below(PERSONAL_SUBJECTS.len() as u64) as usize];
                let h = Headers::new(
                    &format!("Camille Martin <{OWNER}>"),
                    &format!("{name} <{address}>"),
                    rng.date(round),
                    subject,
                    &next_id("gmail.com"),
                );
                messages.push(h.finish(FolderRole::Sent));
            }
        }
        // An out-of-office reply and a delivery failure: neither a service nor a person to tell.
        let h = {
            let mut h = Headers::new(
                "Paul Leroy <paul.leroy@gmail.com>",
                OWNER,
                rng.date(round),
                "Réponse automatique : absent jusqu'au 3 janvier",
                &next_id("gmail.com"),
            );
            h.line("Auto-Submitted", "auto-replied");
            h
        };
        messages.push(h.finish(FolderRole::Received));
        let mut h = Headers::new(
            "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
            OWNER,
            rng.date(round),
            "Delivery Status Notification (Failure)",
            &next_id("googlemail.com"),
        );
        h.line("Auto-Submitted", "auto-replied");
        messages.push(h.finish(FolderRole::Received));
    }
    let accounts = SENDERS.iter().filter(|s| s.account).map(|s| s.key.to_string()).collect();
    let mut not_accounts: Vec<String> =
        SENDERS.iter().filter(|s| !s.account).map(|s| s.key.to_string()).collect();
    not_accounts.extend(LISTS.iter().map(|l| l.0.to_string()));
    not_accounts.extend(NOISE.iter().map(|n| n.0.to_string()));
    not_accounts.push("atelier-durand.fr".into());
    Corpus { owner: OWNER.into(), messages, accounts, not_accounts }
}

struct Headers(String);

impl Headers {
    fn new(from: &str, to: &str, date: String, subject: &str, id: &str) -> Headers {
        let mut h = Headers(String::new());
        let to_addr = to.rsplit('<').next().unwrap_or(to).trim_end_matches('>');
        h.line("Delivered-To", to_addr);
        h.line("From", &encode_if_needed(from));
        h.line("To", &encode_if_needed(to));
        h.line("Subject", &encode_if_needed(subject));
        h.line("Date", &date);
        h.line("Message-ID", id);
        h.line("MIME-Version", "1.0");
        h.line("Content-Type", "text/plain; charset=utf-8");
        h
    }

    fn line(&mut self, name: &str, value: &str) {
        let _ = write!(self.0, "{name}: {value}\r\n");
    }

    fn auth(&mut self, auth: Auth, domain: &str, rng: &mut Rng) {
        let org = crate::registrable_domain(domain).unwrap_or_else(|| domain.to_string());
        let mut sig = |d: &str| {
            format!(
                "v=1; a=rsa-sha256; c=relaxed/relaxed; d={d}; s=s{};\r\n\th=from:to:subject:date; bh=Zm9v; b=YmFy",
                1 + rng.below(3)
            )
        };
        match auth {
            Auth::Good => {
                self.line("DKIM-Signature", &sig(&org));
                self.line("Authentication-Results", &format!("mx.google.com;\r\n       dkim=pass header.i=@{org} header.s=s1;\r\n       spf=pass smtp.mailfrom={domain};\r\n       dmarc=pass (p=REJECT) header.from={org}"));
            }
            Auth::ViaEsp(esp) => {
                self.line("DKIM-Signature", &sig(&org));
                self.line("DKIM-Signature", &sig(esp));
                self.line("Return-Path", &format!("<bounces+123@{esp}>"));
                self.line("Authentication-Results", &format!("mx.google.com; dkim=pass header.i=@{org}; dkim=pass header.i=@{esp}; spf=pass smtp.mailfrom={esp}; dmarc=pass header.from={org}"));
            }
            Auth::None => {}
            Auth::Fail => {
                self.line("Authentication-Results", &format!("mx.google.com; dkim=fail header.i=@{org}; spf=softfail smtp.mailfrom={domain}; dmarc=fail header.from={org}"));
            }
        }
    }

    fn finish(mut self, role: FolderRole) -> CorpusMessage {
        self.0.push_str("\r\nBonjour,\r\n\r\nCeci est un message de test généré par demail.\r\n");
        CorpusMessage { raw: self.0.into_bytes(), role }
    }
}

/// RFC 2047 Q-encoding for non-ASCII display names and subjects, as real mailers do.
fn encode_if_needed(value: &str) -> String {
    if value.is_ascii() {
        return value.to_string();
    }
    // Keep an address part (`<…>`) unencoded.
    let (text, addr) = match value.rfind(" <") {
        Some(i) if value.ends_with('>') => (&value[..i], &value[i..]),
        _ => (value, ""),
    };
    let mut out = String::from("=?UTF-8?Q?");
    for b in text.bytes() {
        match b {
            b' ' => out.push('_'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'!' => out.push(b as char),
            _ => {
                let _ = write!(out, "={b:02X}");
            }
        }
    }
    out.push_str("?=");
    out.push_str(addr);
    out
}

/// splitmix64: a few lines of deterministic randomness instead of a dependency, so that the
/// corpus is identical on every machine and every version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// An RFC 5322 date between 2019 and 2026.
    fn date(&mut self, round: u32) -> String {
        const MONTHS: [&str; 12] =
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let year = 2019 + self.below(8);
        let month = MONTHS[self.below(12) as usize];
        let day = 1 + self.below(28);
        let (h, m, s) = (self.below(24), self.below(60), (self.below(60) + u64::from(round)) % 60);
        format!("{day} {month} {year} {h:02}:{m:02}:{s:02} +0100")
    }
}

/// Appends `messages` to the mailbox `wire_name` (created if `create`), pipelined; for filling
/// test servers and benchmarks. Returns how many the server refused.
pub async fn append_all(
    session: &mut demail_imap::Session,
    wire_name: &[u8],
    create: bool,
    messages: &[&CorpusMessage],
) -> Result<usize, demail_imap::Error> {
    use demail_imap::{AppendRequest, ByteBudget};
    if create {
        session.create(wire_name).await?;
    }
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let (out_tx, mut out_rx) = tokio::sync::mpsc::channel::<demail_imap::Appended>(64);
    let bodies: Vec<Vec<u8>> = messages.iter().map(|m| m.raw.clone()).collect();
    let feed = async move {
        let budget = ByteBudget::new(4 << 20);
        for (i, body) in bodies.into_iter().enumerate() {
            let permit = budget.reserve(body.len() as u64).await;
            let req = AppendRequest { token: i as u64, flags: vec![], internal_date: None, body, permit };
            if tx.send(req).await.is_err() {
                break;
            }
        }
    };
    let count = async move {
        let mut refused = 0;
        while let Some(a) = out_rx.recv().await {
            refused += usize::from(a.outcome.is_err());
        }
        refused
    };
    let append = async move {
        let r = session.append_messages(wire_name, rx, &out_tx).await;
        drop(out_tx);
        r
    };
    let ((), r, refused) = tokio::join!(feed, append, count);
    r.map(|()| refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_and_big_enough() {
        let a = generate(7, 1);
        let b = generate(7, 1);
        assert_eq!(a.messages.len(), b.messages.len());
        assert!(a.messages.iter().zip(&b.messages).all(|(x, y)| x.raw == y.raw));
        assert!(a.accounts.len() + a.not_accounts.len() >= 40, "at least 40 services");
        assert!(a.messages.len() > 200);
    }
}
