/* phr serve: the Card page — read, write and format a holder's smartcard
 * through the workstation's pcscd (card/pcsc.c), the PIN typed on the page.
 *
 * The PIN travels in a POST (with the session's CSRF token), is copied
 * into a small buffer, checked (6 to 8 digits), sent to the card and wiped;
 * the server wipes every posted value when the request ends
 * (web/server.c), never writes it to a page (the PIN input is always
 * empty), a log or the audit. One card operation at a time: the reader is
 * one device. Roles (docs/WEB.md): reading and writing are a clerk's (a
 * record the register holds, verified, copied as printing copies it; the
 * card keeps the newest version and its holder key); formatting (a blank
 * card personalised, or a card's record removed) is a clinician's. */
#include "web.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cards.h"
#include "phr/card.h"
#include "phr/container.h"
#include "phr/render.h"
#include "phr/seal.h"
#include "phr/verify.h"

#define CARD_MSG_MAX 600

/* pcscd serves one transaction per card: requests take turns. */
static pthread_mutex_t card_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *L(const struct web_request *rq, const char *id, const char *en)
{
	return web_label(rq, id, en);
}

/* The PIN posted, checked: 6 to 8 digits. false: out is empty. */
static bool pin_take(const struct web_request *rq, char out[PHR_CARD_PIN_MAX + 1])
{
	const char *p = web_param(rq, "pin");
	size_t n = p ? strlen(p) : 0;
	out[0] = '\0';
	if (n < PHR_CARD_PIN_MIN || n > PHR_CARD_PIN_MAX || strspn(p, "0123456789") != n)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* The reader asked for ("" or absent: the one that holds a card). */
static const char *reader_param(const struct web_request *rq)
{
	const char *r = web_param(rq, "reader");
	return r && *r ? r : NULL;
}

/* A card error in the page's language. tries: after PHR_E_CARD_PIN. */
static const char *card_message(struct web_request *rq, int rc, int tries, char *buf, size_t cap)
{
	switch (rc) {
	case PHR_E_CARD_NO_READER:
		return L(rq, "ui.web.card_no_reader",
			 "No card reader was found: check that the reader is plugged in and that the smartcard service (pcscd) runs.");
	case PHR_E_CARD_ABSENT:
		return L(rq, "ui.web.card_absent", "There is no card in the reader: insert the holder's card.");
	case PHR_E_CARD_REMOVED:
	case PHR_E_CARD_TRANSPORT:
		return L(rq, "ui.web.card_removed",
			 "The card was taken out or stopped answering: insert it again and repeat. A write leaves the old record or the new one, never a mix.");
	case PHR_E_CARD_PIN:
		if (tries > 0)
			return web_label_nums(rq, "ui.web.card_pin_wrong", "Wrong PIN: %d tries left.", buf, cap, 1,
					      (long)tries);
		if (tries < 0) /* the card did not say how many are left */
			return L(rq, "ui.web.card_pin_bad", "Wrong PIN.");
		return L(rq, "ui.web.card_pin_last",
			 "Wrong PIN, and that was the last try: the PIN is now blocked. The holder's PUK unblocks it.");
	case PHR_E_CARD_BLOCKED:
		return L(rq, "ui.web.card_blocked", "The card's PIN is blocked: the holder's PUK unblocks it.");
	case PHR_E_CARD_NO_APP:
	case PHR_E_CARD_NOT_FOUND:
		return L(rq, "ui.web.card_no_app", "This card holds no health record application: a clinician formats it first.");
	case PHR_E_CARD_EMPTY:
		return L(rq, "ui.web.card_empty", "The card holds no record yet.");
	case PHR_E_CARD_TORN:
		return L(rq, "ui.web.card_torn", "The record on the card is damaged: write it again from the register or a booklet.");
	default:
		snprintf(buf, cap, "%s %s", L(rq, "ui.web.card_failed", "The card could not be used:"),
			 *phr_last_error() ? phr_last_error() : phr_strerror(rc));
		return buf;
	}
}

struct card_session {
	struct phr_pcsc *pcsc;
	struct phr_card *card;
};

static void card_close(struct card_session *s)
{
	phr_card_destroy(s->card);
	phr_pcsc_close(s->pcsc);
	s->card = NULL;
	s->pcsc = NULL;
}

/* Connects, selects the application (unless !app) and verifies pin (unless NULL). */
static int card_open(const char *reader, bool app, const char *pin, struct card_session *s, int *tries)
{
	int rc;
	*tries = -1;
	memset(s, 0, sizeof(*s));
	if ((rc = phr_pcsc_open(reader, &s->pcsc)) ||
	    (rc = phr_card_create(phr_pcsc_transmit, s->pcsc, PHR_CARD_AUTO, &s->card)) ||
	    (app && (rc = phr_card_open(s->card))) || (pin && (rc = phr_card_verify_pin(s->card, pin, tries)))) {
		card_close(s);
		return rc;
	}
	return PHR_OK;
}

/* ---- the page ------------------------------------------------------------ */

static void pin_input(struct web_request *rq, FILE *f, const char *id, const char *label_id, const char *en)
{
	fprintf(f, "<p><label for=\"%s\">", id);
	web_html(f, L(rq, label_id, en));
	/* never a value: the PIN is not sent back */
	fprintf(f, "</label> <input type=\"password\" id=\"%s\" name=\"pin\" inputmode=\"numeric\" "
		   "autocomplete=\"off\" minlength=\"%d\" maxlength=\"%d\" pattern=\"[0-9]{%d,%d}\" required dir=\"ltr\"></p>\n",
		id, PHR_CARD_PIN_MIN, PHR_CARD_PIN_MAX, PHR_CARD_PIN_MIN, PHR_CARD_PIN_MAX);
}

static void reader_select(struct web_request *rq, FILE *f, const struct phr_pcsc_reader *r, size_t n,
			  const char *id)
{
	if (n < 2)
		return;
	fprintf(f, "<p><label for=\"%s\">", id);
	web_html(f, L(rq, "ui.web.card_reader", "Reader"));
	fprintf(f, "</label> <select id=\"%s\" name=\"reader\">", id);
	bool chosen = false;
	for (size_t i = 0; i < n; i++) {
		fputs("<option value=\"", f);
		web_html(f, r[i].name);
		/* the first reader that holds a card is chosen; the others without one cannot be */
		fprintf(f, "\"%s>", !r[i].card ? " disabled" : chosen ? "" : " selected");
		chosen = chosen || r[i].card;
		web_html(f, r[i].name);
		fputs("</option>", f);
	}
	fputs("</select></p>\n", f);
}

/* The Card page, with msg (ok or not) at the top; record: the record to
 * write ("" none); extra: HTML already escaped to show after the message. */
static int card_page(struct web_request *rq, struct web_response *rs, int status, const char *msg, bool ok,
		     const char *record, const char *extra)
{
	struct phr_pcsc_reader r[PHR_PCSC_MAX_READERS];
	size_t n = 0;
	char buf[CARD_MSG_MAX];
	FILE *f = web_page_begin(rq, rs, L(rq, "ui.web.menu_card", "Card"));
	if (!f)
		return PHR_E_NOMEM;
	rs->status = status; /* the layout's <h1> is the title */
	if (msg) {
		fprintf(f, "<p class=\"%s\" id=\"card-msg\" role=\"status\">", ok ? "ok" : "error");
		web_html(f, msg);
		fputs("</p>\n", f);
	}
	if (extra)
		fputs(extra, f);
	pthread_mutex_lock(&card_lock);
	int rc = phr_pcsc_list(r, PHR_PCSC_MAX_READERS, &n);
	pthread_mutex_unlock(&card_lock);
	fputs("<h2>", f);
	web_html(f, L(rq, "ui.web.card_readers", "Card readers"));
	fputs("</h2>\n", f);
	if (rc) {
		n = 0;
		fputs("<p class=\"warn\" id=\"card-readers-none\">", f);
		web_html(f, card_message(rq, rc, -1, buf, sizeof(buf)));
		fputs("</p>\n", f);
	} else {
		fputs("<table id=\"card-readers\">\n", f);
		for (size_t i = 0; i < n; i++) {
			fputs("<tr><td><bdi>", f);
			web_html(f, r[i].name);
			fputs("</bdi></td><td>", f);
			web_html(f, !r[i].card    ? L(rq, "ui.web.card_state_none", "no card")
				    : r[i].mute   ? L(rq, "ui.web.card_state_mute", "a card that does not answer")
				    : r[i].in_use ? L(rq, "ui.web.card_state_busy", "a card in use by another program")
						  : L(rq, "ui.web.card_state_present", "card present"));
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}

	/* read */
	fputs("<section id=\"card-read-section\"><h2>", f);
	web_html(f, L(rq, "ui.web.card_read_title", "Read the card"));
	fputs("</h2>\n<p>", f);
	web_html(f, L(rq, "ui.web.card_read_help",
		      "The holder types the card's PIN. The record is verified, filed in the register and shown."));
	fputs("</p>\n<form method=\"post\" action=\"/card/read\">", f);
	web_csrf_field(f, rq);
	reader_select(rq, f, r, n, "reader-read");
	pin_input(rq, f, "pin-read", "ui.web.card_pin", "PIN");
	fputs("<button type=\"submit\" id=\"card-read\">", f);
	web_html(f, L(rq, "ui.web.card_read", "Read"));
	fputs("</button></form></section>\n", f);

	/* write: from the Record page's button */
	if (record && *record) {
		fputs("<section id=\"card-write-section\"><h2>", f);
		web_html(f, L(rq, "ui.web.card_write_title", "Write the record to the card"));
		fputs("</h2>\n<p>", f);
		web_html(f, L(rq, "ui.record_id", "Record"));
		fputs(": <code dir=\"ltr\">", f);
		web_html(f, record);
		fputs("</code></p>\n<form method=\"post\" action=\"/card/write\">", f);
		web_csrf_field(f, rq);
		fputs("<input type=\"hidden\" name=\"record\" value=\"", f);
		web_html(f, record);
		fputs("\">", f);
		reader_select(rq, f, r, n, "reader-write");
		pin_input(rq, f, "pin-write", "ui.web.card_pin", "PIN");
		fputs("<p><label><input type=\"checkbox\" name=\"replace\" value=\"1\" id=\"card-replace\"> ", f);
		web_html(f, L(rq, "ui.web.card_replace", "Write over another person's record or a newer version on the card"));
		fputs("</label></p><button type=\"submit\" id=\"card-write\">", f);
		web_html(f, L(rq, "ui.web.card_write", "Write to the card"));
		fputs("</button></form></section>\n", f);
	}

	/* format: clinicians and admins */
	if (rq->user->role >= PHR_ROLE_CLINICIAN) {
		fputs("<section id=\"card-format-section\"><h2>", f);
		web_html(f, L(rq, "ui.web.card_format_title", "Format a card"));
		fputs("</h2>\n<p>", f);
		web_html(f, L(rq, "ui.web.card_format_help",
			      "A blank card gets the health record application and the PIN typed here, and a PUK shown once. On a card that has them, the PIN typed removes its record."));
		fputs("</p>\n<form method=\"post\" action=\"/card/format\">", f);
		web_csrf_field(f, rq);
		reader_select(rq, f, r, n, "reader-format");
		pin_input(rq, f, "pin-format", "ui.web.card_pin", "PIN");
		fputs("<button type=\"submit\" id=\"card-format\">", f);
		web_html(f, L(rq, "ui.web.card_format", "Format"));
		fputs("</button></form></section>\n", f);
	}
	return web_page_end(rq, rs);
}

/* The record to write: ?record= (32 hex digits), else "". */
static const char *record_param(const struct web_request *rq)
{
	const char *h = web_param(rq, "record");
	return h && strlen(h) == 32 && strspn(h, "0123456789abcdef") == 32 ? h : "";
}

static int card_get(struct web_request *rq, struct web_response *rs)
{
	return card_page(rq, rs, 200, NULL, false, record_param(rq), NULL);
}

static int bad_pin(struct web_request *rq, struct web_response *rs, const char *record)
{
	return card_page(rq, rs, 422, L(rq, "ui.web.card_pin_form", "The PIN is 6 to 8 digits."), false, record, NULL);
}

/* ---- read ----------------------------------------------------------------- */

static int card_read_post(struct web_request *rq, struct web_response *rs)
{
	char pin[PHR_CARD_PIN_MAX + 1], msg[CARD_MSG_MAX];
	struct card_session s;
	uint8_t *buf = NULL;
	size_t len = 0;
	int tries = -1, rc;
	if (!pin_take(rq, pin))
		return bad_pin(rq, rs, "");
	if (!(buf = malloc(PHR_MAX_CONTAINER))) {
		sodium_memzero(pin, sizeof(pin));
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	pthread_mutex_lock(&card_lock);
	phr_clear_error();
	rc = card_open(reader_param(rq), true, pin, &s, &tries);
	sodium_memzero(pin, sizeof(pin));
	if (rc == PHR_OK) {
		rc = phr_card_read(s.card, buf, PHR_MAX_CONTAINER, &len);
		card_close(&s);
	}
	pthread_mutex_unlock(&card_lock);
	if (rc) {
		const char *m = card_message(rq, rc, tries, msg, sizeof(msg));
		free(buf);
		return card_page(rq, rs, 422, m, false, "", NULL);
	}
	/* verified and filed as a scanned record is; the Record page shows it */
	struct phr_record *r = NULL;
	struct phr_register *reg = web_register(rq);
	struct phr_register_added added;
	if (!reg) {
		free(buf);
		return PHR_E_DB;
	}
	phr_clear_error();
	if ((rc = phr_record_decode(buf, len, &r))) {
		snprintf(msg, sizeof(msg), "%s %s", L(rq, "ui.web.card_not_record", "The card's contents are not a readable record:"),
			 phr_last_error());
		free(buf);
		return card_page(rq, rs, 422, msg, false, "", NULL);
	}
	rc = phr_register_add(reg, buf, len, web_trust(rq), web_now(rq), PHR_REG_HOW_CARD, &added);
	if (rc == PHR_OK) {
		char path[128];
		const char *how = added.new_record ? "new" : added.new_version ? "version" : added.older ? "older" : "seen";
		snprintf(path, sizeof(path), "/record/%s?filed=%s", added.record_hex, how);
		phr_record_destroy(r);
		free(buf);
		return web_redirect(rs, path);
	}
	/* not filed: the consent says so, or it does not verify; shown here */
	char *view = NULL;
	size_t vn = 0;
	const char *why = rc == PHR_E_CONSENT
				  ? L(rq, "ui.web.consent_no_store", "The holder's consent says this record is not kept: it is shown here and not stored.")
				  : phr_last_error();
	snprintf(msg, sizeof(msg), "%s", why);
	struct phr_report *rep = calloc(1, sizeof(*rep));
	FILE *m = open_memstream(&view, &vn);
	if (rep && m) {
		(void)phr_verify_record(r, web_trust(rq), web_now(rq), rep);
		char *text = NULL;
		size_t tn = 0;
		FILE *t = open_memstream(&text, &tn);
		if (t) {
			int vr = phr_render_text(r, rep, rq->lang, t);
			fclose(t);
			if (!vr) {
				fprintf(m, "<pre class=\"view\" id=\"view-clinic\" dir=\"%s\">", rq->rtl ? "rtl" : "ltr");
				web_htmln(m, text, tn);
				fputs("</pre>\n", m);
			}
		}
		free(text);
	}
	if (m)
		fclose(m);
	free(rep);
	phr_record_destroy(r);
	free(buf);
	rc = card_page(rq, rs, rc == PHR_E_CONSENT ? 200 : 422, msg, false, "", view);
	free(view);
	return rc;
}

/* ---- write ---------------------------------------------------------------- */

static size_t shared_entries(const struct phr_record *a, const struct phr_record *b)
{
	size_t n = 0;
	while (n < a->n_entries && n < b->n_entries && !memcmp(a->entries[n].hash, b->entries[n].hash, PHR_HASH_LEN))
		n++;
	return n;
}

static int card_write_post(struct web_request *rq, struct web_response *rs)
{
	const char *hex = record_param(rq);
	bool replace = web_param(rq, "replace") != NULL;
	char pin[PHR_CARD_PIN_MAX + 1], msg[CARD_MSG_MAX];
	struct card_session s = { 0 };
	struct phr_record *r = NULL, *old = NULL;
	struct phr_report *rep = NULL;
	uint8_t *c = NULL, *cur = NULL, card_key[PHR_CARD_KEY_LEN];
	size_t clen = 0, cur_len = 0;
	bool card_has_key = false, keep_key = false, locked = false;
	int tries = -1, rc, status = 422;
	const char *out_msg = NULL;
	bool ok = false;
	if (!*hex)
		return web_error(rq, rs, 404, L(rq, "ui.web.err_not_found", "There is no such page."));
	if (!pin_take(rq, pin))
		return bad_pin(rq, rs, hex);
	/* the register's newest version, verified before the card is touched */
	struct phr_register *reg = web_register(rq);
	uint8_t id[PHR_RECORD_ID_LEN];
	if (!reg) {
		rc = PHR_E_DB;
		goto out;
	}
	rc = phr_register_resolve(reg, hex, id);
	if (rc == PHR_E_NOT_STORED || rc == PHR_E_AMBIGUOUS || rc == PHR_E_ARG) {
		rc = web_error(rq, rs, 404, phr_last_error());
		goto out;
	}
	if (rc || (rc = phr_register_latest(reg, id, &c, &clen)) || (rc = phr_record_decode(c, clen, &r)))
		goto out;
	if (!(rep = calloc(1, sizeof(*rep))) || !(cur = malloc(PHR_MAX_CONTAINER))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	(void)phr_verify_record(r, web_trust(rq), web_now(rq), rep);
	if (phr_report_error(rep)) {
		out_msg = L(rq, "ui.web.card_write_unverified", "This record does not verify: it is not written to a card.");
		goto page;
	}
	pthread_mutex_lock(&card_lock);
	locked = true;
	phr_clear_error();
	if ((rc = card_open(reader_param(rq), true, pin, &s, &tries))) {
		out_msg = card_message(rq, rc, tries, msg, sizeof(msg));
		goto page;
	}
	/* what the card holds: another person's record, or a version with
	 * entries the register's lacks, is not written over without "replace" */
	rc = phr_card_read_key(s.card, cur, PHR_MAX_CONTAINER, &cur_len, card_key, &card_has_key);
	if (rc == PHR_E_CARD_REMOVED || rc == PHR_E_CARD_TRANSPORT) {
		out_msg = card_message(rq, rc, tries, msg, sizeof(msg));
		goto page;
	}
	if (rc == PHR_OK && phr_record_decode(cur, cur_len, &old) == PHR_OK && !replace) {
		if (memcmp(old->id, r->id, PHR_RECORD_ID_LEN) != 0) {
			out_msg = L(rq, "ui.web.card_other_record",
				    "The card holds another person's record: it is not written over (tick the box to replace it).");
			goto page;
		}
		if (shared_entries(old, r) != old->n_entries) {
			out_msg = web_label_nums(rq, "ui.web.card_newer",
						 "The card holds %d entries of this record that the register's version does not: writing would drop them (tick the box to replace it).",
						 msg, sizeof(msg), 1, (long)(old->n_entries - shared_entries(old, r)));
			goto page;
		}
	}
	/* the card's holder key for this record is kept while it is the newest */
	if (card_has_key && old && !memcmp(old->id, r->id, PHR_RECORD_ID_LEN)) {
		size_t at, rekeyed;
		int st = phr_record_seal_key_state(r, card_key, &at, &rekeyed);
		keep_key = st == PHR_SEAL_KEY_NEWEST || st == PHR_SEAL_KEY_NONE;
	}
	phr_clear_error();
	if ((rc = phr_card_write_key(s.card, c, clen, keep_key ? card_key : NULL))) {
		out_msg = card_message(rq, rc, -1, msg, sizeof(msg));
		goto page;
	}
	card_close(&s);
	pthread_mutex_unlock(&card_lock);
	locked = false;
	if ((rc = phr_register_audit_log(reg, "card-write", hex, "web")))
		goto out;
	out_msg = web_label_nums(rq, "ui.web.card_written", "The record (%d entries) is written to the card.", msg,
				 sizeof(msg), 1, (long)r->n_entries);
	ok = true;
	status = 200;
page:
	card_close(&s);
	if (locked)
		pthread_mutex_unlock(&card_lock);
	locked = false;
	rc = card_page(rq, rs, status, out_msg, ok, hex, NULL);
out:
	if (locked)
		pthread_mutex_unlock(&card_lock);
	card_close(&s);
	sodium_memzero(pin, sizeof(pin));
	sodium_memzero(card_key, sizeof(card_key));
	if (cur)
		sodium_memzero(cur, PHR_MAX_CONTAINER);
	free(cur);
	free(c);
	free(rep);
	phr_record_destroy(old);
	phr_record_destroy(r);
	return rc;
}

/* ---- format --------------------------------------------------------------- */

static int card_format_post(struct web_request *rq, struct web_response *rs)
{
	char pin[PHR_CARD_PIN_MAX + 1], puk[PHR_CARD_PUK_LEN + 1], msg[CARD_MSG_MAX];
	struct card_session s;
	struct phr_card_perso p;
	int tries = -1, rc;
	bool personalised = false;
	char *extra = NULL;
	if (!pin_take(rq, pin))
		return bad_pin(rq, rs, "");
	for (int i = 0; i < PHR_CARD_PUK_LEN; i++)
		puk[i] = (char)('0' + randombytes_uniform(10));
	puk[PHR_CARD_PUK_LEN] = '\0';
	memset(&p, 0, sizeof(p));
	pthread_mutex_lock(&card_lock);
	phr_clear_error();
	if ((rc = card_open(reader_param(rq), false, NULL, &s, &tries)) == PHR_OK) {
		rc = phr_card_personalise(s.card, pin, puk, &p);
		if (rc == PHR_OK) {
			personalised = true;
		} else if (rc == PHR_E_CARD_EXISTS) {
			/* a card that has its application: the PIN removes its record */
			if ((rc = phr_card_open(s.card)) == PHR_OK && (rc = phr_card_verify_pin(s.card, pin, &tries)) == PHR_OK)
				rc = phr_card_format(s.card);
		}
		card_close(&s);
	}
	pthread_mutex_unlock(&card_lock);
	sodium_memzero(pin, sizeof(pin));
	if (rc) {
		const char *m = card_message(rq, rc, tries, msg, sizeof(msg));
		sodium_memzero(puk, sizeof(puk));
		return card_page(rq, rs, 422, m, false, "", NULL);
	}
	struct phr_register *reg = web_register(rq);
	if (!reg || (rc = phr_register_audit_log(reg, "card-format", NULL, personalised ? "personalised" : "erased"))) {
		sodium_memzero(puk, sizeof(puk));
		return reg ? rc : PHR_E_DB;
	}
	size_t en = 0;
	FILE *m = NULL;
	if (personalised && p.set_puk && (m = open_memstream(&extra, &en))) {
		/* the PUK, once: the holder keeps it with their papers */
		fputs("<div class=\"key\"><p>", m);
		web_html(m, L(rq, "ui.web.card_puk", "PUK"));
		fputs(": <strong id=\"card-puk\" dir=\"ltr\">", m);
		web_html(m, puk);
		fputs("</strong></p><p>", m);
		web_html(m, L(rq, "ui.web.card_puk_note",
			      "Give the PUK to the holder with their papers: it unblocks the PIN after three wrong tries, and it is not shown again."));
		fputs("</p></div>\n", m);
		fclose(m);
	}
	sodium_memzero(puk, sizeof(puk));
	rc = card_page(rq, rs, 200,
		       personalised ? L(rq, "ui.web.card_formatted", "The card is formatted: it has the health record application and the PIN typed.")
				    : L(rq, "ui.web.card_erased", "The card's record is removed."),
		       true, "", extra);
	if (extra) {
		sodium_memzero(extra, en);
		free(extra);
	}
	return rc;
}

const struct web_route web_card_routes[] = {
	{ "GET", "/card", PHR_ROLE_CLERK, 0, card_get },
	{ "POST", "/card/read", PHR_ROLE_CLERK, 0, card_read_post },
	{ "POST", "/card/write", PHR_ROLE_CLERK, 0, card_write_post },
	{ "POST", "/card/format", PHR_ROLE_CLINICIAN, 0, card_format_post },
	{ 0 },
};
