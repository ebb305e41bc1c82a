## Help: the offer after the results
help-offer-title = Would you like a hand?
help-offer-text = Volunteers can help you change address, by e-mail, by phone or in person. It is free, with no strings attached. You do not need to fill anything in to keep your results.
help-offer-button = Ask for help

## The form
help-title = Ask a volunteer for help
help-lead = Tell us how to reach you and what you need. A volunteer will answer.
help-who-title = What we do with your information
help-who-receives = Who receives it: the volunteers of the Démailnagement campaign, and nobody else, except the host you choose to name below.
help-who-why = Why: only to help you change your e-mail address, as you ask.
help-who-how-long = How long: we erase everything { $months } months after our last exchange. If you do not confirm your request, we erase it after 48 hours.
help-who-nothing-else = Nothing else: no advertising, no selling, no tracker.
help-who-rights = Your rights: every e-mail has a link to see your information, download it, withdraw your consent or erase it all. You can also complain to the CNIL, the French data protection authority (cnil.fr).
help-address = Your e-mail address
help-address-hint = The address where we can write to you. It can be your new address: no need to give us the one you are leaving.
help-need = What you need (optional)
help-need-hint = In a few words. Never write a password here.
help-channel = How would you like to be helped?
help-channel-hint = For a phone call or a meeting, the volunteer writes to you first to agree on a time.
help-channel-mail = By e-mail
help-channel-phone = By phone
help-channel-in-person = In person, near where I live
help-region = Your region
help-region-none = I would rather not say
help-context = What you want to attach
help-context-attach = Attach my list of hosts:
help-context-never = We never ask for the content of your old mailbox, nor its passwords.
help-consents = Your consent
help-consents-hint = One box per use. None is ticked in advance.
help-consent-followup = I agree that a volunteer contacts me to help me change my e-mail address.
help-consent-news = I agree to receive news of the campaign from time to time.
help-consent-partner = I agree that my request is passed to the host { $name }, so that they help me directly.
help-required = (needed to send the request)
help-optional = (optional)
help-double-opt-in = We send you a confirmation e-mail. Your request counts only once you click the link in it.
help-submit = Send my request
help-outbox-note = Sending e-mail is not set up on this site yet: messages are kept in a folder the team reads itself. Your e-mail may therefore arrive late.
help-errors-title = There is a problem in the form
help-error-title-prefix = Error:
help-error-email = Write a full e-mail address, for example jane@example.org.
help-error-need = Your message is too long: 2,000 characters at most.
help-error-channel = Choose how you would like to be helped.
help-error-region = For help in person, choose your region.
help-error-consent = Tick the first box: without your consent we cannot contact you.

## After sending
help-sent-title = Check your mailbox
help-sent-text = We have sent you an e-mail. Click the link in it to confirm your request.
help-sent-expiry = The link works for { $hours } hours. Without confirmation, we erase your request. Remember to look in your spam folder.
help-confirm-title = Confirm my request
help-confirm-text = Press the button to confirm your request for help.
help-confirm-button = I confirm my request
help-confirmed-title = Thank you, your request is confirmed
help-confirmed-text = A volunteer will write to you. We erase everything { $months } months after our last exchange.
help-confirmed-data = The e-mail you received also has a link to your information: keep it.
help-withdrawn-title = Consent withdrawn
help-withdrawn-text = Done. We no longer use your information for this purpose.
help-back-to-data = Back to my information
help-erased-title = Everything is erased
help-erased-text = We have erased your request and all the information about you. The link you received no longer works.

## Request states
help-status-pending = Waiting for your confirmation
help-status-new = Received
help-status-assigned = Given to a volunteer
help-status-in-progress = In progress
help-status-done = Done
help-status-no-answer = No answer

## E-mails
help-mail-confirm-subject = Confirm your request for help
help-mail-confirm-text =
    Hello,

    You asked a volunteer for help to change your e-mail address. To confirm, open this link:
    { $confirm }

    The link works for { $hours } hours. If you did not ask for anything, do nothing: we will erase it all.

    See, download or erase your information, or withdraw your consent:
    { $data }

    The Démailnagement volunteers
help-mail-footer = See, download or erase your information, or stop these e-mails: { $data }

## My data
mydata-title = My information
mydata-lead = Here is everything we keep about you. You can download it, withdraw a consent or erase it all now.
mydata-held = What we keep
mydata-status = State
mydata-created = Received on
mydata-delete-on = Automatically erased on
mydata-download = Download my information (JSON file)
mydata-consents = My consents
mydata-given = Given on
mydata-withdrawn = withdrawn on
mydata-withdraw = Withdraw this consent
mydata-erase-title = Erase everything
mydata-erase-text = We immediately erase your request, your consents and the volunteers' notes. This cannot be undone.
mydata-erase-button = Erase everything now
mydata-cnil = A question or a disagreement? Reply to one of our e-mails. You can also complain to the CNIL (cnil.fr).

## Errors
error-forbidden-title = Form refused
error-forbidden = This form was not sent from our site, or it stayed open for more than a day. Reload the page and try again.
error-too-many-title = Too many attempts
error-too-many = You sent many forms in a short time. Wait a minute, then try again.
error-help-off-title = Service unavailable
error-help-off = Help from volunteers is not offered on this site for now.
error-internal-title = Technical problem
error-internal = Something went wrong on our side. Try again in a few minutes.
error-link-unknown-title = Unknown or expired link
error-link-unknown = This link does not work, or no longer works. The request may have been erased, or the time to confirm has passed. You can make a new request.
error-bad-form-title = Incomplete form
error-bad-form = Some information in the form is missing or not valid. Go back and check.
error-admin-only-title = For administrators only
error-admin-only = This page is only for administrator accounts.

## Events
events-title = Workshops and meetings
events-lead = Volunteers show you how to change your e-mail address, online or near you. It is free.
events-none = No event is planned for now. Come back soon.
events-online = Online
events-lang-fr = in French
events-lang-en = in English
events-places-left = Free places: { $count }.
events-full = Full. Waiting list: { $waiting }.
events-back = All events
events-online-link-later = The link to take part will be sent to you by e-mail.
events-register = Register
events-privacy = We keep your address only for this event: confirmation, a reminder the day before, and a link to cancel. We erase the list of participants 3 months after the event.
events-consent = I agree to receive the e-mails of this event (confirmation and reminder).
events-error-consent = Tick the box: without your consent we cannot write to you.
events-waiting-note = The event is full: you will be on the waiting list, and told if a place becomes free.
events-join-waiting = Join the waiting list
events-register-button = Register
events-sent-text = We have sent you an e-mail. Click the link in it to confirm your registration.
events-confirm-title = Confirm my registration
events-confirm-text = Press the button to confirm your registration.
events-confirm-button = I confirm
events-confirmed-title = You are registered
events-confirmed-text = Done. We have sent you an e-mail with the invitation for your calendar, and we will write to you the day before.
events-waiting-title = You are on the waiting list
events-waiting-text = The event is full. We will write to you if a place becomes free.
events-cancel-title = Cancel my registration
events-cancel-text = Press the button to cancel. Your address will be erased from the list.
events-cancel-button = I cancel my registration
events-cancelled-title = Registration cancelled
events-cancelled-text = Done, and your address is erased. Thank you for freeing the place.
error-event-unknown-title = Event not found
error-event-unknown = This event does not exist, or it is over. See the list of events.
events-mail-confirm-subject = Confirm your registration: { $title }
events-mail-confirm-text =
    Hello,

    You registered for "{ $title }" ({ $when }). To confirm, open this link:
    { $confirm }

    If you did not ask for anything, do nothing: we will erase your address within 48 hours.

    The Démailnagement volunteers
events-mail-confirmed-subject = Registration confirmed: { $title }
events-mail-confirmed-text =
    Hello,

    Your place is booked for "{ $title }", { $when }.
    Place: { $place }

    The invitation for your calendar is attached. We will write to you the day before.

    To cancel and erase your address:
    { $cancel }
events-mail-waiting-subject = Waiting list: { $title }
events-mail-waiting-text =
    Hello,

    "{ $title }" ({ $when }) is full. You are on the waiting list: we will write to you if a place becomes free.

    To leave the list and erase your address:
    { $cancel }
events-mail-promoted-subject = A place is free: { $title }
events-mail-promoted-text =
    Hello,

    Good news: a place became free for "{ $title }", { $when }. It is yours.
    Place: { $place }

    The invitation for your calendar is attached.

    To cancel and erase your address:
    { $cancel }
events-mail-reminder-subject = Tomorrow: { $title }
events-mail-reminder-text =
    Hello,

    A short reminder: "{ $title }", { $when }.
    Place: { $place }

    You cannot come any more? Free your place:
    { $cancel }
