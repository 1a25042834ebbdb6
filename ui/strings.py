"""The dashboard's words in English and German; each connection picks its language."""

from __future__ import annotations

from datetime import datetime

from nicegui import app

LANGUAGES = ("en", "de")

_WORDS: dict[str, tuple[str, str]] = {
    "mesh": ("Mesh", "Netz"),
    "board": ("Board", "Brett"),
    "messages": ("Messages", "Nachrichten"),
    "log": ("Log", "Protokoll"),
    "community": ("Community", "Gemeinschaft"),
    "online": ("online · {n} peers", "online · {n} Nachbarn"),
    "online_one": ("online · 1 peer", "online · 1 Nachbar"),
    "damaged": ("log damaged: see Log", "Protokoll beschädigt: siehe Log"),
    "unfolded": (
        "events a view could not take: {n}",
        "Ereignisse, die eine Ansicht nicht übernehmen konnte: {n}",
    ),
    "alone": ("no peers reachable", "keine Nachbarn erreichbar"),
    "emergency": ("EMERGENCY", "NOTFALL"),
    "this_node": ("this node", "dieser Knoten"),
    "peers": ("Peers", "Nachbarn"),
    "url": ("URL", "URL"),
    "node": ("Node", "Knoten"),
    "state": ("State", "Zustand"),
    "source": ("Source", "Quelle"),
    "last_sync": ("Last sync", "Letzter Abgleich"),
    "lag": ("Lag", "Rückstand"),
    "serves": ("Serves", "Bietet"),
    "add_peer": ("Add peer", "Nachbarn hinzufügen"),
    "peer_url": ("Peer URL (http://host:port)", "Adresse (http://host:port)"),
    "url_invalid": ("starts with http:// or https://", "beginnt mit http:// oder https://"),
    "peer_added": ("Peer added: {url}", "Nachbar hinzugefügt: {url}"),
    "no_peers": (
        "No peers yet. Nodes of the community on this network appear by themselves; add one "
        "by its address below.",
        "Noch keine Nachbarn. Knoten der Gemeinschaft in diesem Netz erscheinen von selbst; "
        "füge einen unten mit seiner Adresse hinzu.",
    ),
    "category": ("Category", "Kategorie"),
    "all": ("all", "alle"),
    "offer": ("offer", "Angebot"),
    "request": ("request", "Gesuch"),
    "info": ("info", "Info"),
    "tag": ("Tag", "Schlagwort"),
    "search": ("Search", "Suche"),
    "new_post": ("New post", "Neuer Beitrag"),
    "title": ("Title", "Titel"),
    "text": ("Text", "Text"),
    "tags": ("Tags (comma separated)", "Schlagwörter (mit Komma)"),
    "days": ("Days on the board", "Tage sichtbar"),
    "publish": ("Publish", "Veröffentlichen"),
    "cancel": ("Cancel", "Abbrechen"),
    "required": ("required", "Pflichtfeld"),
    "too_long": ("at most {n} characters", "höchstens {n} Zeichen"),
    "too_many_tags": ("at most 10 tags of 32 characters", "höchstens 10 Schlagwörter à 32 Zeichen"),
    "posted": ("Posted: {title}", "Veröffentlicht: {title}"),
    "fulfilled": ("Fulfilled", "Erledigt"),
    "withdraw": ("Withdraw", "Zurückziehen"),
    "expired": ("Taken off the board", "Vom Brett genommen"),
    "no_posts": (
        "Nothing on the board. Offer something, ask for help or share news with New post.",
        "Nichts am Brett. Biete etwas an, bitte um Hilfe oder teile Neuigkeiten mit Neuer Beitrag.",
    ),
    "more": ("Show more", "Mehr zeigen"),
    "by": ("by {who}", "von {who}"),
    "conversations": ("Conversations", "Gespräche"),
    "new_conversation": ("Write to", "Schreiben an"),
    "safety_number": ("Safety number", "Sicherheitsnummer"),
    "safety_hint": (
        "Compare it with {who} in person: the same 60 digits on both screens mean that each "
        "of you holds the other's real keys.",
        "Vergleicht sie persönlich mit {who}: Dieselben 60 Ziffern auf beiden Bildschirmen "
        "heißen, dass ihr die echten Schlüssel des anderen habt.",
    ),
    "safety_fixed": (
        "This number cannot change: it comes from {who}'s node key. If {who} ever shows you "
        "another one, you are not talking to the same node.",
        "Diese Nummer kann sich nicht ändern: Sie stammt vom Knotenschlüssel von {who}. Zeigt "
        "{who} dir je eine andere, sprichst du nicht mit demselben Knoten.",
    ),
    "private_direct": (
        "End-to-end encrypted: only you and {who} can read these messages.",
        "Ende-zu-Ende-verschlüsselt: Nur du und {who} könnt diese Nachrichten lesen.",
    ),
    "private_group": (
        "End-to-end encrypted: only the group's members can read it, and only what was "
        "written while they were members.",
        "Ende-zu-Ende-verschlüsselt: Nur die Mitglieder der Gruppe können sie lesen, und nur, "
        "was geschrieben wurde, während sie Mitglied waren.",
    ),
    "unreadable": ("Could not be opened: {why}", "Konnte nicht geöffnet werden: {why}"),
    "opening": ("being opened…", "wird geöffnet…"),
    "groups": ("Groups", "Gruppen"),
    "new_group": ("New group", "Neue Gruppe"),
    "group_name": ("Group name", "Name der Gruppe"),
    "group_members": ("Members", "Mitglieder"),
    "create_group": ("Create", "Anlegen"),
    "add": ("Add", "Hinzufügen"),
    "remove": ("Remove", "Entfernen"),
    "leave": ("Leave group", "Gruppe verlassen"),
    "no_groups": (
        "No groups yet. A group is a private conversation of up to 32 members: start one below.",
        "Noch keine Gruppen. Eine Gruppe ist ein privates Gespräch mit bis zu 32 Mitgliedern: "
        "Starte unten eine.",
    ),
    "members_n": ("{n} members", "{n} Mitglieder"),
    "members_n_one": ("1 member", "1 Mitglied"),
    "your_name": ("Your name", "Dein Name"),
    "you": ("you", "du"),
    "requests": ("Requests to approve", "Anfragen zur Zustimmung"),
    "no_requests": (
        "No open requests. A change that needs more than your signature waits here until "
        "enough trusted members approve it.",
        "Keine offenen Anfragen. Eine Änderung, die mehr als deine Unterschrift braucht, wartet "
        "hier, bis genug vertrauenswürdige Mitglieder zustimmen.",
    ),
    "change_done": ("Done: the change is recorded.", "Erledigt: Die Änderung ist eingetragen."),
    "change_asked_one": (
        "Asked: one more approval is needed, from {who}. They see the request on their "
        "Community page.",
        "Gefragt: Es fehlt noch eine Zustimmung, von {who}. Die Anfrage steht auf deren "
        "Gemeinschaftsseite.",
    ),
    "change_asked": (
        "Asked: {n} more approvals are needed, from {who}. They see the request on their "
        "Community page.",
        "Gefragt: Es fehlen noch {n} Zustimmungen, von {who}. Die Anfrage steht auf deren "
        "Gemeinschaftsseite.",
    ),
    "approved_by": ("{n} of {of} approved", "{n} von {of} zugestimmt"),
    "approve": ("Approve", "Zustimmen"),
    "approved": ("Approved", "Zugestimmt"),
    "new_message": ("New message from {who}", "Neue Nachricht von {who}"),
    "anyone_once": ("whoever opens it first", "wer ihn zuerst öffnet"),
    "pending_invites": ("Pending invites", "Offene Einladungen"),
    "no_pending_invites": (
        "No pending invites. Invite a neighbour above: by their node id, or with a one-time link.",
        "Keine offenen Einladungen. Lade oben jemanden ein: mit der Knoten-ID oder mit einem "
        "Einmal-Link.",
    ),
    "one_time_link": ("One-time link", "Einmal-Link"),
    "invited_by": ("invited by {who}", "eingeladen von {who}"),
    "take_back": ("Take back", "Zurücknehmen"),
    "taken_back": ("Invitation taken back", "Einladung zurückgenommen"),
    "settings": ("Settings", "Einstellungen"),
    "appearance": ("Appearance", "Darstellung"),
    "theme_auto": ("As the system", "Wie das System"),
    "theme_light": ("Light", "Hell"),
    "theme_dark": ("Dark", "Dunkel"),
    "language": ("Language", "Sprache"),
    "save": ("Save", "Speichern"),
    "name_saved": ("You are now called {name}", "Du heißt jetzt {name}"),
    "key_backup": ("Back up this node's key", "Schlüssel dieses Knotens sichern"),
    "key_backup_warning": (
        "With this key a new device becomes this node again (on its first page: Restore a "
        "backed-up node; or hearthnet init --restore FILE --peer URL). Whoever holds it can "
        "act as you in the community: keep it offline, like a house key, and show it to nobody.",
        "Mit diesem Schlüssel wird ein neues Gerät wieder zu diesem Knoten (auf seiner ersten "
        "Seite: Gesicherten Knoten wiederherstellen; oder hearthnet init --restore DATEI "
        "--peer URL). Wer ihn hat, kann in der Gemeinschaft als du handeln: "
        "Bewahre ihn offline auf wie einen Hausschlüssel und zeig ihn niemandem.",
    ),
    "show_backup": ("Show the key backup", "Schlüsselsicherung zeigen"),
    "notifications": ("Notifications", "Benachrichtigungen"),
    "notifications_intro": (
        "The browser tells you of new messages while this tab is in the background, and of "
        "every emergency post.",
        "Der Browser meldet neue Nachrichten, während dieser Tab im Hintergrund ist, und jeden "
        "Notfall-Beitrag.",
    ),
    "allow_notifications": ("Allow browser notifications", "Browser-Benachrichtigungen erlauben"),
    "notify_granted": ("Browser notifications are on.", "Browser-Benachrichtigungen sind an."),
    "notify_denied": (
        "This browser blocks notifications for this page: allow them in its site settings.",
        "Dieser Browser blockiert Benachrichtigungen dieser Seite: Erlaube sie in den "
        "Website-Einstellungen.",
    ),
    "notify_default": ("Browser notifications are off.", "Browser-Benachrichtigungen sind aus."),
    "notify_unsupported": (
        "This browser cannot show notifications.",
        "Dieser Browser kann keine Benachrichtigungen zeigen.",
    ),
    "emergency_sound": ("Sound for emergencies", "Ton bei Notfällen"),
    "restore_key": ("Restore a backed-up node", "Gesicherten Knoten wiederherstellen"),
    "restore_intro": (
        "Moving to a new device? Paste the key backup of your old node and the address of a "
        "neighbour's node: this device becomes your node again, with its name and messages.",
        "Neues Gerät? Füge die Schlüsselsicherung deines alten Knotens und die Adresse des "
        "Knotens einer Nachbarin ein: Dieses Gerät wird wieder dein Knoten, mit Namen und "
        "Nachrichten.",
    ),
    "backup_text": ("Key backup (hearthnet-key://…)", "Schlüsselsicherung (hearthnet-key://…)"),
    "backup_invalid": (
        "A key backup starts with hearthnet-key://v1/",
        "Eine Schlüsselsicherung beginnt mit hearthnet-key://v1/",
    ),
    "peer_address": ("A neighbour's node (http://…)", "Knoten einer Nachbarin (http://…)"),
    "restore": ("Restore", "Wiederherstellen"),
    "restored": ("Welcome back", "Willkommen zurück"),
    "download_backup": ("Download as a file", "Als Datei herunterladen"),
    "forget_peer": ("Forget {url}", "{url} vergessen"),
    "peer_forgotten": ("No longer syncing with {url}", "Kein Abgleich mehr mit {url}"),
    "copy": ("Copy link", "Link kopieren"),
    "err_invite_invalid": (
        "This invite link is damaged or incomplete: ask for a new one.",
        "Dieser Einladungslink ist beschädigt oder unvollständig: Bitte um einen neuen.",
    ),
    "err_invite_expired": (
        "This invite has expired: ask for a new one.",
        "Diese Einladung ist abgelaufen: Bitte um eine neue.",
    ),
    "err_invitee_mismatch": (
        "This invite was made for another device.",
        "Diese Einladung gilt für ein anderes Gerät.",
    ),
    "err_backup_invalid": (
        "This is not a whole key backup: copy it again from the old node's settings.",
        "Das ist keine vollständige Schlüsselsicherung: Kopiere sie noch einmal aus den "
        "Einstellungen des alten Knotens.",
    ),
    "err_not_a_member": (
        "This key is not a member there: was it removed, or is it another community's?",
        "Dieser Schlüssel ist dort kein Mitglied: Wurde er ausgeschlossen, oder gehört er zu "
        "einer anderen Gemeinschaft?",
    ),
    "err_already_member": (
        "This node already belongs to a community.",
        "Dieser Knoten gehört schon zu einer Gemeinschaft.",
    ),
    "err_bootstrap_unreachable": (
        "The inviting node cannot be reached right now: try again when it is online.",
        "Der einladende Knoten ist gerade nicht erreichbar: Versuch es, wenn er online ist.",
    ),
    "err_sync_failed": (
        "The community's log could not be copied: try again.",
        "Das Protokoll der Gemeinschaft konnte nicht kopiert werden: Versuch es noch einmal.",
    ),
    "next_step_title": ("Next: invite a neighbour", "Als Nächstes: lade jemanden ein"),
    "next_step_text": (
        "Your community has only you so far. Invite a neighbour: they get a link or a QR code "
        "to join from their own device.",
        "Bisher bist nur du in der Gemeinschaft. Lade jemanden aus der Nachbarschaft ein: Sie "
        "bekommen einen Link oder QR-Code, um mit dem eigenen Gerät beizutreten.",
    ),
    "invite_neighbour": ("Invite a neighbour", "Jemanden einladen"),
    "no_match": (
        "No post matches “{words}”. Try fewer or other words, or clear the search.",
        "Kein Beitrag passt zu „{words}“. Versuch weniger oder andere Wörter, oder leere die "
        "Suche.",
    ),
    "level_member": ("member", "Mitglied"),
    "level_trusted": ("trusted", "vertrauenswürdig"),
    "level_anchor": ("anchor", "Anker"),
    "status_active": ("active", "aktiv"),
    "status_revoked": ("removed", "ausgeschlossen"),
    "state_connected": ("online", "verbunden"),
    "state_unreachable": ("unreachable", "nicht erreichbar"),
    "state_new": ("new", "neu"),
    "state_connecting": ("connecting", "verbinde"),
    "starting": ("The node is starting…", "Der Knoten startet…"),
    "reconnecting": ("offline · reconnecting…", "offline · verbinde neu…"),
    "just_now": ("just now", "gerade eben"),
    "minutes_ago": ("{n} min ago", "vor {n} Min."),
    "hours_ago": ("{n} h ago", "vor {n} Std."),
    "days_ago": ("{n} days ago", "vor {n} Tagen"),
    "days_ago_one": ("yesterday", "gestern"),
    "message_author": ("Write to {who}", "{who} schreiben"),
    "confirm_withdraw": (
        "Take “{title}” off the board? Everyone will see it as withdrawn.",
        "„{title}“ vom Brett nehmen? Alle sehen ihn dann als zurückgezogen.",
    ),
    "cancel_keep": ("Keep it", "Behalten"),
    "no_conversations": (
        "No messages yet. Choose someone under Write to: only the two of you can read it.",
        "Noch keine Nachrichten. Wähle jemanden unter Schreiben an: Nur ihr beide könnt sie lesen.",
    ),
    "message": ("Message", "Nachricht"),
    "send": ("Send", "Senden"),
    "sent": ("sent", "gesendet"),
    "delivered": ("delivered", "zugestellt"),
    "read": ("read", "gelesen"),
    "unread": ("{n} unread", "{n} ungelesen"),
    "pick_member": ("Pick a member", "Mitglied wählen"),
    "type": ("Type", "Typ"),
    "author": ("Author", "Autor"),
    "since": ("Since (YYYY-MM-DD HH:MM)", "Seit (JJJJ-MM-TT HH:MM)"),
    "bad_time": ("use YYYY-MM-DD or YYYY-MM-DD HH:MM", "Format JJJJ-MM-TT oder JJJJ-MM-TT HH:MM"),
    "newest": ("Newest", "Neueste"),
    "older": ("Older", "Ältere"),
    "verify": ("Verify the whole log", "Ganzes Protokoll prüfen"),
    "verified": (
        "Log verified: {events} events, clean",
        "Protokoll geprüft: {events} Ereignisse, sauber",
    ),
    "problems": ("{n} problems found", "{n} Probleme gefunden"),
    "problems_one": ("1 problem found", "1 Problem gefunden"),
    "feeds": ("Feeds", "Feeds"),
    "events": ("Events", "Ereignisse"),
    "forked": ("FORK", "GABELUNG"),
    "signature": ("Signature", "Signatur"),
    "valid": ("valid", "gültig"),
    "invalid": ("INVALID", "UNGÜLTIG"),
    "event": ("Event", "Ereignis"),
    "body": ("Body", "Inhalt"),
    "close": ("Close", "Schließen"),
    "live": ("live", "live"),
    "members": ("Members", "Mitglieder"),
    "level": ("Level", "Stufe"),
    "status": ("Status", "Status"),
    "name": ("Name", "Name"),
    "invite": ("Invite a member", "Mitglied einladen"),
    "invitee": (
        "Their node id (ed25519:…), or empty for a one-time link",
        "Deren Knoten-ID (ed25519:…), oder leer für einen Einmal-Link",
    ),
    "invitee_name": ("Their name", "Name der eingeladenen Person"),
    "hours": ("Valid for hours", "Gültig für Stunden"),
    "create_invite": ("Create invite", "Einladung erstellen"),
    "invite_ready": (
        "Invite for {who}: scan or send the link",
        "Einladung für {who}: scannen oder Link senden",
    ),
    "node_id_invalid": ("a node id looks like ed25519:…", "eine Knoten-ID sieht aus wie ed25519:…"),
    "change": ("Change", "Änderung"),
    "promote": ("promote", "befördern"),
    "demote": ("demote", "herabstufen"),
    "revoke": ("revoke", "ausschließen"),
    "target": ("Member", "Mitglied"),
    "reason": ("Reason", "Grund"),
    "reason_other": ("other", "anderer Grund"),
    "reason_compromised": ("key compromised", "Schlüssel kompromittiert"),
    "reason_inactive": ("inactive", "inaktiv"),
    "reason_policy_violation": ("broke the rules", "Regeln verletzt"),
    "apply": ("Apply", "Ausführen"),
    "membership": ("Membership changes", "Mitgliedschaft ändern"),
    "your_id": ("Your node id", "Deine Knoten-ID"),
    "welcome": ("Welcome to HearthNet", "Willkommen bei HearthNet"),
    "onboard_intro": (
        "This node has no community yet. Found one, or join with an invite link.",
        "Dieser Knoten gehört noch zu keiner Gemeinschaft. "
        "Gründe eine oder tritt mit einem Einladungslink bei.",
    ),
    "create_community": ("Create a community", "Gemeinschaft gründen"),
    "community_name": ("Community name", "Name der Gemeinschaft"),
    "revoke_threshold": (
        "Co-signatures to revoke a member",
        "Mitunterschriften für einen Ausschluss",
    ),
    "create": ("Create", "Gründen"),
    "join_community": ("Join with an invite", "Mit Einladung beitreten"),
    "invite_link": ("Invite link (hearthnet://v1/…)", "Einladungslink (hearthnet://v1/…)"),
    "display_name": ("Your name in the community", "Dein Name in der Gemeinschaft"),
    "join": ("Join", "Beitreten"),
    "link_invalid": (
        "an invite link starts with hearthnet://v1/",
        "ein Einladungslink beginnt mit hearthnet://v1/",
    ),
    "founded": ("You founded {name}!", "Du bist Gründer von {name}!"),
    "joined": ("Welcome to the community!", "Willkommen in der Gemeinschaft!"),
    "working": ("Working …", "Einen Moment …"),
    "alerts": ("Alerts", "Warnungen"),
    "mode_degraded": ("Connection poor", "Verbindung gestört"),
    "mode_emergency": ("Emergency mode", "Notfallbetrieb"),
    "publish_alert": ("Publish alert", "Warnung herausgeben"),
    "not_real": ("not a real alert", "keine echte Warnung"),
    "alert_event": ("What happens", "Was geschieht"),
    "severity": ("Severity", "Schwere"),
    "headline": ("Headline", "Überschrift"),
    "what_to_do": ("What people should do", "Was die Menschen tun sollen"),
    "area": ("Area", "Gebiet"),
    "region_code": (
        "Region code (e.g. DE.NRW.Kleve.Issum)",
        "Regionscode (z. B. DE.NRW.Kleve.Issum)",
    ),
    "two_person_hint": (
        "An Actual Severe or Extreme alert counts once a second role holder co-signs it.",
        "Echte schwere oder extreme Warnungen gelten erst, wenn eine zweite Rolle mitzeichnet.",
    ),
    "alert_waiting": (
        "Published: waiting for a second role holder",
        "Herausgegeben: wartet auf eine zweite Rolle",
    ),
    "alert_published": ("Alert published", "Warnung herausgegeben"),
    "no_alerts": ("No alerts.", "Keine Warnungen."),
    "alert_active": ("in force", "gilt"),
    "alert_pending": ("awaiting co-signature", "wartet auf Mitzeichnung"),
    "alert_updated": ("updated", "aktualisiert"),
    "alert_cancelled": ("cancelled", "aufgehoben"),
    "alert_refused": ("refused", "abgelehnt"),
    "alert_done": ("cancellation", "Aufhebung"),
    "ack_received": ("Received", "Erhalten"),
    "ack_acting": ("Acting", "Handle"),
    "ack_need_help": ("Need help", "Brauche Hilfe"),
    "ack_standing_down": ("Standing down", "Ziehe mich zurück"),
    "ack_mistaken": ("Mistaken", "Irrtum"),
    "audit_trail": ("Audit trail", "Prüfpfad"),
    "cosign": ("Co-sign", "Mitzeichnen"),
    "cancel_alert": ("Cancel alert", "Warnung aufheben"),
    "done": ("Done", "Erledigt"),
    "published_by": ("Published by", "Herausgegeben von"),
    "cosigned_by": ("Co-signed by", "Mitgezeichnet von"),
    "targeted": ("Addressed to", "Gerichtet an"),
    "files": ("Files", "Dateien"),
    "share_file": ("Share a file", "Datei teilen"),
    "file_shared": ("Shared: {name}", "Geteilt: {name}"),
    "held_here": ("here", "hier"),
    "pinned": ("pinned here", "hier behalten"),
    "held_by": ("Held by: {who}", "Liegt bei: {who}"),
    "download": ("Download", "Herunterladen"),
    "pin": ("Keep here", "Hier behalten"),
    "unpin": ("Let go", "Freigeben"),
    "remove_here": ("Remove here", "Hier entfernen"),
    "no_files": (
        "No files yet. Share a photo or a document with Share a file.",
        "Noch keine Dateien. Teile ein Foto oder ein Dokument mit Datei teilen.",
    ),
    "attach": ("Attach a file or photo", "Datei oder Foto anhängen"),
    "choose_files": ("Choose files", "Dateien wählen"),
    "attached": ("Attached: {name}", "Angehängt: {name}"),
    "ask": ("Ask", "Fragen"),
    "ask_question": ("Your question", "Deine Frage"),
    "ask_send": ("Send question", "Frage senden"),
    "ask_stop": ("Stop", "Anhalten"),
    "ask_model": ("Model", "Modell"),
    "ask_any_model": ("Any model (the mesh picks)", "Beliebiges Modell (das Netz wählt)"),
    "ask_corpus": ("Ground in documents", "Mit Dokumenten belegen"),
    "ask_no_corpus": ("No documents", "Ohne Dokumente"),
    "ask_served": ("{model} on {node}", "{model} auf {node}"),
    "ask_sources": ("Sources", "Quellen"),
    "ask_stopped": ("Stopped.", "Angehalten."),
    "ask_hint": (
        "Answers come from a small language model on your own or a neighbour's computer. "
        "It can be wrong: check what matters.",
        "Antworten kommen von einem kleinen Sprachmodell auf deinem oder dem Rechner eines "
        "Nachbarn. Es kann sich irren: Prüfe, was wichtig ist.",
    ),
    "library": ("Library", "Bibliothek"),
    "library_corpus": ("Collection", "Sammlung"),
    "library_add": (
        "Add documents (text, Markdown, HTML, PDF)",
        "Dokumente hinzufügen (Text, Markdown, HTML, PDF)",
    ),
    "library_added": ("Added: {name} ({n} passages)", "Hinzugefügt: {name} ({n} Abschnitte)"),
    "library_added_one": ("Added: {name} (1 passage)", "Hinzugefügt: {name} (1 Abschnitt)"),
    "library_reading": ("Reading {done} of {total}…", "Lese {done} von {total} …"),
    "library_docs": ("{n} documents, {chunks} passages", "{n} Dokumente, {chunks} Abschnitte"),
    "library_docs_one": ("1 document, {chunks} passages", "1 Dokument, {chunks} Abschnitte"),
    "library_empty": (
        "No documents yet. Choose a collection name and add documents.",
        "Noch keine Dokumente. Wähle einen Namen für die Sammlung und füge Dokumente hinzu.",
    ),
    "library_bad_name": (
        "A collection name uses lowercase letters, digits, dots, dashes and underscores.",
        "Ein Sammlungsname besteht aus Kleinbuchstaben, Ziffern, Punkten und Strichen.",
    ),
    "read_aloud": ("Read aloud", "Vorlesen"),
    "translate": ("Translate", "Übersetzen"),
    "translated": ("translated {source} → {target}", "übersetzt {source} → {target}"),
    "already_in_language": (
        "This text is already in your language.",
        "Dieser Text ist schon in deiner Sprache.",
    ),
    "speak_question": ("Speak your question", "Frage sprechen"),
    "no_microphone": (
        "The browser gave no microphone.",
        "Der Browser hat kein Mikrofon freigegeben.",
    ),
    "nothing_heard": ("Nothing was heard.", "Es war nichts zu hören."),
    "find_in_conversation": ("Find in this conversation", "In diesem Gespräch suchen"),
    "photo_text": ("Text in the photo: {text}", "Text im Foto: {text}"),
    "library_scanned": (
        "Reading scanned pages of {name}: {done} of {total}…",
        "Lese gescannte Seiten von {name}: {done} von {total} …",
    ),
    "err_unsupported_language_pair": (
        "No computer in the community can translate between these languages.",
        "Kein Rechner der Gemeinschaft übersetzt zwischen diesen Sprachen.",
    ),
    "err_capacity_exceeded": (
        "There is no room for this file on this node.",
        "Für diese Datei ist auf diesem Knoten kein Platz.",
    ),
}


def language() -> str:
    """The language of the current connection."""
    lang = app.storage.client.get("lang", "en")
    return lang if lang in LANGUAGES else "en"


def set_language(lang: str) -> None:
    """Use this language for the current connection."""
    app.storage.client["lang"] = lang


def pick_language(query: str, accept: str) -> str:
    """Choose from a ?lang= parameter, else the browser's Accept-Language."""
    if query in LANGUAGES:
        return query
    for part in accept.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def t(key: str, **values: object) -> str:
    """The text for key in this connection's language; a count `n` of 1 takes the key's
    singular form where it has one ("1 peer", not "1 peers")."""
    if values.get("n") == 1 and f"{key}_one" in _WORDS:
        key = f"{key}_one"
    en, de = _WORDS[key]
    text = de if language() == "de" else en
    return text.format(**values) if values else text


def plain_error(code: str, message: str) -> tuple[str, str]:
    """An error as a person reads it, and the details (its code and message) to show small."""
    key = f"err_{code}"
    if key in _WORDS:
        return t(key), f"{code}: {message}"
    return message[:1].upper() + message[1:], code


def word(kind: str, value: str) -> str:
    """A protocol value (a level, a status, a peer's state) in this connection's words; an
    unknown one as it is."""
    key = f"{kind}_{value}"
    return t(key) if key in _WORDS else value


def ago(ms: int, now_ms: int) -> str:
    """A moment as people say it: just now, minutes, hours or days ago, else its date."""
    minutes = max(0, now_ms - ms) // 60000
    if minutes < 1:
        return t("just_now")
    if minutes < 60:
        return t("minutes_ago", n=minutes)
    if minutes < 24 * 60:
        return t("hours_ago", n=minutes // 60)
    if minutes < 7 * 24 * 60:
        return t("days_ago", n=minutes // (24 * 60))
    day = datetime.fromtimestamp(ms / 1000)
    return day.strftime("%d.%m.%Y") if language() == "de" else day.strftime("%Y-%m-%d")
