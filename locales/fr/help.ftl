## Accompagnement : l'offre après les résultats
help-offer-title = Besoin d'un coup de main ?
help-offer-text = Des bénévoles peuvent vous aider à changer d'adresse, par mail, par téléphone ou en vrai. C'est gratuit et sans engagement. Vous n'avez rien à remplir pour garder vos résultats.
help-offer-button = Demander de l'aide

## Le formulaire
help-title = Demander de l'aide à un bénévole
help-lead = Dites-nous comment vous joindre et ce dont vous avez besoin. Un bénévole vous répond.
help-who-title = Ce que nous faisons de vos informations
help-who-receives = Qui les reçoit : les bénévoles de la campagne Démailnagement, et personne d'autre, sauf l'hébergeur que vous choisissez de nommer ci-dessous.
help-who-why = Pourquoi : seulement pour vous aider à changer d'adresse mail, comme vous le demandez.
help-who-how-long = Combien de temps : nous effaçons tout { $months } mois après notre dernier échange. Si vous ne confirmez pas votre demande, nous l'effaçons au bout de 48 heures.
help-who-nothing-else = Rien d'autre : pas de publicité, pas de revente, pas de traceur.
help-who-rights = Vos droits : chaque mail contient un lien pour voir vos informations, les télécharger, retirer votre accord ou tout effacer. Vous pouvez aussi vous plaindre auprès de la CNIL (cnil.fr).
help-address = Votre adresse mail
help-address-hint = L'adresse où nous pouvons vous écrire. Ce peut être votre nouvelle adresse : inutile de nous donner celle que vous quittez.
help-need = Ce dont vous avez besoin (facultatif)
help-need-hint = En quelques mots. N'écrivez jamais de mot de passe ici.
help-channel = Comment préférez-vous être aidé ?
help-channel-hint = Pour le téléphone ou une rencontre, le bénévole vous écrit d'abord pour convenir d'un moment.
help-channel-mail = Par mail
help-channel-phone = Par téléphone
help-channel-in-person = En vrai, près de chez moi
help-region = Votre région
help-region-none = Je ne précise pas
help-context = Ce que vous voulez joindre
help-context-attach = Joindre ma liste d'hébergeurs :
help-context-never = Nous ne demandons jamais le contenu de votre ancienne boîte, ni ses mots de passe.
help-consents = Vos accords
help-consents-hint = Une case par usage. Aucune n'est cochée d'avance.
help-consent-followup = J'accepte qu'un bénévole me recontacte pour m'aider à changer d'adresse.
help-consent-news = J'accepte de recevoir de temps en temps les nouvelles de la campagne.
help-consent-partner = J'accepte que ma demande soit transmise à l'hébergeur { $name }, pour qu'il m'aide directement.
help-required = (obligatoire pour envoyer la demande)
help-optional = (facultatif)
help-double-opt-in = Nous vous envoyons un mail de confirmation. Votre demande compte seulement après votre clic sur le lien du mail.
help-submit = Envoyer ma demande
help-outbox-note = Sur ce site, l'envoi de mails n'est pas encore configuré : les mails sont gardés dans un dossier que l'équipe lit elle-même. Votre mail peut donc arriver avec du retard.
help-errors-title = Il y a un problème dans le formulaire
help-error-title-prefix = Erreur :
help-error-email = Écrivez une adresse mail complète, par exemple jeanne@exemple.fr.
help-error-need = Votre message est trop long : 2000 caractères au plus.
help-error-channel = Choisissez comment vous préférez être aidé.
help-error-region = Pour une aide en vrai, choisissez votre région.
help-error-consent = Cochez la première case : sans votre accord, nous ne pouvons pas vous recontacter.

## Après l'envoi
help-sent-title = Regardez votre boîte mail
help-sent-text = Nous vous avons envoyé un mail. Cliquez sur le lien qu'il contient pour confirmer votre demande.
help-sent-expiry = Le lien marche pendant { $hours } heures. Sans confirmation, nous effaçons votre demande. Pensez à regarder dans les indésirables.
help-confirm-title = Confirmer ma demande
help-confirm-text = Appuyez sur le bouton pour confirmer votre demande d'aide.
help-confirm-button = Je confirme ma demande
help-confirmed-title = Merci, votre demande est confirmée
help-confirmed-text = Un bénévole va vous écrire. Nous effaçons tout { $months } mois après notre dernier échange.
help-confirmed-data = Le mail que vous avez reçu contient aussi un lien vers vos informations : gardez-le.
help-withdrawn-title = Accord retiré
help-withdrawn-text = C'est fait. Nous n'utilisons plus vos informations pour cet usage.
help-back-to-data = Revenir à mes informations
help-erased-title = Tout est effacé
help-erased-text = Nous avons effacé votre demande et toutes les informations qui vous concernent. Le lien que vous avez reçu ne marche plus.

## États d'une demande
help-status-pending = En attente de votre confirmation
help-status-new = Reçue
help-status-assigned = Confiée à un bénévole
help-status-in-progress = En cours
help-status-done = Terminée
help-status-no-answer = Sans réponse

## Mails
help-mail-confirm-subject = Confirmez votre demande d'aide
help-mail-confirm-text =
    Bonjour,

    Vous avez demandé l'aide d'un bénévole pour changer d'adresse mail. Pour confirmer, ouvrez ce lien :
    { $confirm }

    Le lien marche pendant { $hours } heures. Si vous n'avez rien demandé, ne faites rien : nous effacerons tout.

    Voir, télécharger ou effacer vos informations, ou retirer votre accord :
    { $data }

    L'équipe bénévole Démailnagement
help-mail-footer = Voir, télécharger ou effacer vos informations, ou ne plus recevoir de mails : { $data }

## Mes données
mydata-title = Mes informations
mydata-lead = Voici tout ce que nous gardons sur vous. Vous pouvez le télécharger, retirer un accord ou tout effacer maintenant.
mydata-held = Ce que nous gardons
mydata-status = État
mydata-created = Reçue le
mydata-delete-on = Effacement automatique le
mydata-download = Télécharger mes informations (fichier JSON)
mydata-consents = Mes accords
mydata-given = Donné le
mydata-withdrawn = retiré le
mydata-withdraw = Retirer cet accord
mydata-erase-title = Tout effacer
mydata-erase-text = Nous effaçons tout de suite votre demande, vos accords et les notes des bénévoles. Vous ne pourrez pas revenir en arrière.
mydata-erase-button = Tout effacer maintenant
mydata-cnil = Une question ou un désaccord ? Répondez à l'un de nos mails. Vous pouvez aussi vous plaindre auprès de la CNIL (cnil.fr).

## Erreurs
error-forbidden-title = Formulaire refusé
error-forbidden = Ce formulaire n'a pas été envoyé depuis notre site, ou il est resté ouvert plus d'un jour. Rechargez la page et recommencez.
error-too-many-title = Trop d'essais
error-too-many = Vous avez envoyé beaucoup de formulaires en peu de temps. Attendez une minute, puis recommencez.
error-help-off-title = Service indisponible
error-help-off = L'aide par des bénévoles n'est pas proposée sur ce site pour le moment.
error-internal-title = Problème technique
error-internal = Quelque chose n'a pas marché de notre côté. Réessayez dans quelques minutes.
error-link-unknown-title = Lien inconnu ou expiré
error-link-unknown = Ce lien ne marche pas ou plus. La demande a peut-être été effacée, ou le délai de confirmation est passé. Vous pouvez refaire une demande.
error-bad-form-title = Formulaire incomplet
error-bad-form = Une information du formulaire manque ou n'est pas valable. Revenez en arrière et vérifiez.
error-admin-only-title = Réservé aux administrateurs
error-admin-only = Cette page est réservée aux comptes administrateurs.

## Événements
events-title = Ateliers et rencontres
events-lead = Des bénévoles vous montrent comment changer d'adresse mail, en ligne ou près de chez vous. C'est gratuit.
events-none = Aucun événement n'est prévu pour le moment. Revenez bientôt.
events-online = En ligne
events-lang-fr = en français
events-lang-en = en anglais
events-places-left = Places libres : { $count }.
events-full = Complet. Liste d'attente : { $waiting }.
events-back = Tous les événements
events-online-link-later = Le lien pour participer vous sera envoyé par mail.
events-register = S'inscrire
events-privacy = Nous gardons votre adresse seulement pour cet événement : confirmation, rappel la veille, et un lien pour annuler. Nous effaçons la liste des inscrits 3 mois après l'événement.
events-consent = J'accepte de recevoir les mails de cet événement (confirmation et rappel).
events-error-consent = Cochez la case : sans votre accord, nous ne pouvons pas vous écrire.
events-waiting-note = L'événement est complet : vous serez sur la liste d'attente, et prévenu si une place se libère.
events-join-waiting = M'inscrire sur la liste d'attente
events-register-button = M'inscrire
events-sent-text = Nous vous avons envoyé un mail. Cliquez sur le lien qu'il contient pour confirmer votre inscription.
events-confirm-title = Confirmer mon inscription
events-confirm-text = Appuyez sur le bouton pour confirmer votre inscription.
events-confirm-button = Je confirme
events-confirmed-title = Vous êtes inscrit
events-confirmed-text = C'est noté. Nous vous avons envoyé un mail avec l'invitation pour votre agenda, et nous vous écrirons la veille.
events-waiting-title = Vous êtes sur la liste d'attente
events-waiting-text = L'événement est complet. Nous vous écrivons si une place se libère.
events-cancel-title = Annuler mon inscription
events-cancel-text = Appuyez sur le bouton pour annuler. Votre adresse sera effacée de la liste.
events-cancel-button = J'annule mon inscription
events-cancelled-title = Inscription annulée
events-cancelled-text = C'est fait, et votre adresse est effacée. Merci d'avoir libéré la place.
error-event-unknown-title = Événement introuvable
error-event-unknown = Cet événement n'existe pas, ou il est terminé. Consultez la liste des événements.
events-mail-confirm-subject = Confirmez votre inscription : { $title }
events-mail-confirm-text =
    Bonjour,

    Vous vous êtes inscrit à « { $title } » ({ $when }). Pour confirmer, ouvrez ce lien :
    { $confirm }

    Si vous n'avez rien demandé, ne faites rien : nous effacerons votre adresse sous 48 heures.

    L'équipe bénévole Démailnagement
events-mail-confirmed-subject = Inscription confirmée : { $title }
events-mail-confirmed-text =
    Bonjour,

    Votre place est réservée pour « { $title } », { $when }.
    Lieu : { $place }

    L'invitation pour votre agenda est jointe. Nous vous écrirons la veille.

    Pour annuler et effacer votre adresse :
    { $cancel }
events-mail-waiting-subject = Liste d'attente : { $title }
events-mail-waiting-text =
    Bonjour,

    « { $title } » ({ $when }) est complet. Vous êtes sur la liste d'attente : nous vous écrivons si une place se libère.

    Pour quitter la liste et effacer votre adresse :
    { $cancel }
events-mail-promoted-subject = Une place s'est libérée : { $title }
events-mail-promoted-text =
    Bonjour,

    Bonne nouvelle : une place s'est libérée pour « { $title } », { $when }. Elle est à vous.
    Lieu : { $place }

    L'invitation pour votre agenda est jointe.

    Pour annuler et effacer votre adresse :
    { $cancel }
events-mail-reminder-subject = C'est demain : { $title }
events-mail-reminder-text =
    Bonjour,

    Petit rappel : « { $title } », { $when }.
    Lieu : { $place }

    Vous ne pouvez plus venir ? Libérez votre place :
    { $cancel }
