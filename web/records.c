/* phr serve: Scan, Record, Search and Print — the register's records in the
 * browser, shown exactly as 'phr show' shows them. */
#include "web.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "phr/chunk.h"
#include "phr/container.h"
#include "phr/document.h"
#include "phr/labels.h"
#include "phr/print.h"
#include "phr/qrimage.h"
#include "phr/render.h"
#include "phr/scan.h"
#include "phr/verify.h"
#include "web_private.h"

#define SCAN_AT_ONCE 2          /* pictures decoded and scanned at once (CPU, up to 40 MP of grey each) */
#define SCAN_MAX_CODES 256      /* codes carried from one Scan page to the next */
#define CODE_B64_MAX 4096       /* one carried code, base64 */

static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t scan_cond = PTHREAD_COND_INITIALIZER;
static int scan_busy;

static void scan_enter(void)
{
	pthread_mutex_lock(&scan_lock);
	while (scan_busy >= SCAN_AT_ONCE)
		pthread_cond_wait(&scan_cond, &scan_lock);
	scan_busy++;
	pthread_mutex_unlock(&scan_lock);
}

static void scan_leave(void)
{
	pthread_mutex_lock(&scan_lock);
	scan_busy--;
	pthread_cond_signal(&scan_cond);
	pthread_mutex_unlock(&scan_lock);
}

static const char *L(const struct web_request *rq, const char *id, const char *en)
{
	return web_label(rq, id, en);
}

/* ---- the verified view --------------------------------------------------- */

/* The record as 'phr show' gives it in lang, escaped, in a <pre>. */
static int view_text(FILE *f, const struct phr_record *r, const struct phr_report *rep, const char *lang,
		     const char *id)
{
	char *text = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&text, &n);
	if (!m)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	int rc = phr_render_text(r, rep, lang, m);
	fclose(m);
	if (!rc) {
		fprintf(f, "<pre class=\"view\" id=\"%s\" lang=\"%s\" dir=\"%s\">", id, lang,
			phr_lang_is_rtl(lang) ? "rtl" : "ltr");
		web_htmln(f, text, n);
		fputs("</pre>\n", f);
	}
	free(text);
	return rc;
}

/* The holder's language: the record's preferred one when its labels are
 * here, else the page's. */
static const char *holder_lang(const struct web_request *rq, const struct phr_record *r, const struct phr_report *rep,
			       char out[8])
{
	struct phr_print_view *v = NULL;
	snprintf(out, 8, "%s", rq->lang);
	if (phr_render_print_view(r, rep, rq->lang, &v) == PHR_OK) {
		if (v->preferred_language[0] && phr_label_has_lang(v->preferred_language))
			snprintf(out, 8, "%s", v->preferred_language);
		phr_render_print_view_free(v);
	}
	return out;
}

/* Both columns: the holder's language and the clinic's (the page's). */
static int view_side_by_side(struct web_request *rq, FILE *f, const struct phr_record *r,
			     const struct phr_report *rep, const char *holder)
{
	int rc;
	fputs("<div class=\"side\">\n<section>\n<h2>", f);
	web_html(f, L(rq, "ui.web.holder_language", "Holder's language"));
	fputs(": ", f);
	char id[16];
	snprintf(id, sizeof(id), "lang.%s", holder);
	web_html(f, phr_label_or(holder, id, holder));
	fputs("</h2>\n", f);
	if ((rc = view_text(f, r, rep, holder, "view-holder")))
		return rc;
	fputs("</section>\n<section>\n<h2>", f);
	web_html(f, L(rq, "ui.web.clinic_language", "Clinic's language"));
	fputs(": ", f);
	snprintf(id, sizeof(id), "lang.%s", rq->lang);
	web_html(f, phr_label_or(rq->lang, id, rq->lang));
	fputs("</h2>\n", f);
	if ((rc = view_text(f, r, rep, rq->lang, "view-clinic")))
		return rc;
	fputs("</section>\n</div>\n", f);
	return PHR_OK;
}

static void status_line(struct web_request *rq, FILE *f, const struct phr_report *rep)
{
	char buf[200];
	if (rep->all_valid) {
		fputs("<p class=\"ok\" id=\"status\">", f);
		web_html(f, web_label_nums(rq, "ui.web.all_valid", "Entries verified: %d, all of them.", buf, sizeof(buf), 1,
					   (long)rep->n));
	} else {
		fputs("<p class=\"error\" id=\"status\">", f);
		web_html(f, L(rq, "ui.web.not_valid", "NOT VERIFIED: some entries do not verify; they are marked below."));
	}
	fputs("</p>\n", f);
}

/* ---- Scan ------------------------------------------------------------------ */

static void scan_form(struct web_request *rq, FILE *f, char **carried, size_t n_carried)
{
	fputs("<form method=\"post\" action=\"/scan\" enctype=\"multipart/form-data\" class=\"card\" id=\"scan-form\">\n", f);
	web_csrf_field(f, rq);
	for (size_t i = 0; i < n_carried; i++) {
		fputs("<input type=\"hidden\" name=\"code\" value=\"", f);
		web_html(f, carried[i]);
		fputs("\">\n", f);
	}
	fputs("<label>", f);
	web_html(f, L(rq, "ui.web.scan_pick", "Photos or scans of the booklet's QR code pages (several at once; a phone opens its camera)"));
	fputs("<br><input type=\"file\" name=\"images\" id=\"images\" accept=\"image/*\" capture=\"environment\" multiple "
	      "required></label>\n<button type=\"submit\" id=\"scan\">", f);
	web_html(f, L(rq, "ui.web.scan_button", "Read the codes"));
	fputs("</button>\n", f);
	/* the workstation's webcam (app.js shows the button when the browser has one):
	 * frames go to /scan/frame until the record is whole */
	fputs("<button type=\"button\" class=\"secondary\" id=\"webcam\" hidden>", f);
	web_html(f, L(rq, "ui.web.webcam", "Use the webcam"));
	fputs("</button>\n<video id=\"video\" autoplay muted playsinline hidden></video>\n"
	      "<p id=\"cam-status\" role=\"status\" aria-live=\"polite\"></p>\n</form>\n", f);
	char lim[300];
	fputs("<p class=\"muted\">", f);
	web_html(f, web_label_nums(rq, "ui.web.scan_limits", "PNG or JPEG, at most %d MB and %d million pixels each.", lim,
				   sizeof(lim), 2, (long)(WEB_MAX_UPLOAD >> 20), (long)(WEB_MAX_PIXELS / 1000000)));
	fputs("</p>\n", f);
}

static int scan_get(struct web_request *rq, struct web_response *rs)
{
	FILE *f = web_page_begin(rq, rs, L(rq, "ui.web.menu_scan", "Scan"));
	if (!f)
		return PHR_E_NOMEM;
	scan_form(rq, f, NULL, 0);
	return web_page_end(rq, rs);
}

struct scan_msgs {
	char **lines;
	size_t n;
};

static void say(struct scan_msgs *m, const char *s)
{
	char **l = realloc(m->lines, (m->n + 1) * sizeof(*l));
	if (!l)
		return;
	m->lines = l;
	if ((l[m->n] = strdup(s)))
		m->n++;
}

static int scan_post(struct web_request *rq, struct web_response *rs)
{
	struct phr_assembler *as = NULL;
	struct scan_msgs msgs = { 0 };
	char *carried[SCAN_MAX_CODES];
	size_t n_carried = 0, images = 0;
	char buf[600];
	int rc;
	FILE *f = NULL;
	struct phr_scan_result *res = calloc(1, sizeof(*res));
	if (!res || (rc = phr_assembler_new(&as))) {
		free(res);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	/* the codes read on the pages before, carried in the form */
	for (size_t i = 0; n_carried < SCAN_MAX_CODES; i++) {
		const char *b64 = web_param_at(rq, "code", i);
		if (!b64)
			break;
		uint8_t bin[CODE_B64_MAX];
		size_t blen;
		if (strlen(b64) >= CODE_B64_MAX ||
		    sodium_base642bin(bin, sizeof(bin), b64, strlen(b64), NULL, &blen, NULL,
				      sodium_base64_VARIANT_URLSAFE_NO_PADDING))
			continue;
		size_t set;
		bool dup;
		if (phr_assembler_add(as, bin, blen, &set, &dup) == PHR_OK && !dup && (carried[n_carried] = strdup(b64)))
			n_carried++;
	}
	for (size_t u = 0; u < rq->n_uploads; u++) {
		const struct web_upload *up = &rq->uploads[u];
		if (strcmp(up->field, "images") || up->len == 0)
			continue;
		images++;
		struct phr_image img = { 0 };
		scan_enter();
		phr_clear_error();
		rc = phr_image_load(up->data, up->len, &img);
		if (!rc && (uint64_t)img.width * (uint64_t)img.height > WEB_MAX_PIXELS)
			rc = PHR_E_LIMIT;
		if (!rc)
			rc = phr_scan_image(&img, res);
		scan_leave();
		if (rc == PHR_E_LIMIT) {
			char t[300];
			snprintf(buf, sizeof(buf), "%s: %s", up->filename,
				 web_label_nums(rq, "ui.web.err_pixels", "the picture is too large (at most %d million pixels): take it again at a lower resolution.",
						t, sizeof(t), 1, (long)(WEB_MAX_PIXELS / 1000000)));
			say(&msgs, buf);
		} else if (rc) {
			snprintf(buf, sizeof(buf), "%s: %s (%s)", up->filename,
				 L(rq, "ui.web.err_image", "not a picture this app reads (PNG or JPEG)"), phr_last_error());
			say(&msgs, buf);
		} else {
			size_t found = 0;
			for (size_t i = 0; i < res->n; i++) {
				size_t set;
				bool dup;
				if (phr_assembler_add(as, res->codes[i].data, res->codes[i].len, &set, &dup) != PHR_OK)
					continue;
				found++;
				if (dup || n_carried == SCAN_MAX_CODES || res->codes[i].len > (CODE_B64_MAX / 4) * 3 - 4)
					continue;
				char b64[CODE_B64_MAX];
				sodium_bin2base64(b64, sizeof(b64), res->codes[i].data, res->codes[i].len,
						  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
				if ((carried[n_carried] = strdup(b64)))
					n_carried++;
			}
			char t[200];
			snprintf(buf, sizeof(buf), "%s: %s", up->filename,
				 web_label_nums(rq, "ui.web.codes_in_picture", "record codes found in this picture: %d", t, sizeof(t),
						1, (long)found));
			say(&msgs, buf);
			if (res->n_unread)
				say(&msgs, L(rq, "ui.web.unread", "A code was seen but could not be read: take a closer, sharper photo of it."));
			phr_scan_result_free(res);
		}
		phr_image_free(&img);
	}
	if (images == 0 && n_carried == 0)
		say(&msgs, L(rq, "ui.web.no_images", "No picture was sent."));

	/* what the codes make */
	size_t n_sets = phr_assembler_count(as);
	char filed_hex[33] = "";
	const char *filed_how = NULL;
	bool incomplete = false, shown = false;
	f = web_page_begin(rq, rs, L(rq, "ui.web.menu_scan", "Scan"));
	if (!f) {
		rc = PHR_E_NOMEM;
		goto out;
	}
	fputs("<ul class=\"card\" id=\"scan-log\">\n", f);
	for (size_t i = 0; i < msgs.n; i++) {
		fputs("<li>", f);
		web_html(f, msgs.lines[i]);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
	if (n_sets == 0 && images) {
		fputs("<p class=\"error\" id=\"progress\">", f);
		web_html(f, L(rq, "ui.web.no_codes", "No record code was found in these pictures."));
		fputs("</p>\n", f);
	}
	for (size_t s = 0; s < n_sets; s++) {
		struct phr_set_info info;
		phr_assembler_info(as, s, &info);
		unsigned total = info.k + info.m;
		if (!info.complete) {
			incomplete = true;
			char t[300];
			fputs("<p class=\"warn\" id=\"progress\">", f);
			web_html(f, web_label_nums(rq, "ui.web.codes_found", "%d of %d codes found.", t, sizeof(t), 2,
						   (long)info.have, (long)total));
			fputs(" ", f);
			web_html(f, web_label_nums(rq, "ui.web.codes_need", "%d more code would restore the record: add a picture of a missing code.",
						   t, sizeof(t), 1, (long)info.need));
			fputs(" <span class=\"muted\">(", f);
			for (size_t i = 0; i < info.n_missing; i++)
				fprintf(f, "%s%u", i ? ", " : "", info.missing[i] + 1u);
			fputs(")</span></p>\n", f);
			continue;
		}
		uint8_t *c = NULL;
		size_t clen = 0;
		struct phr_record *r = NULL;
		phr_clear_error();
		if ((rc = phr_assembler_container(as, s, &c, &clen)) || (rc = phr_record_decode(c, clen, &r))) {
			fputs("<p class=\"error\">", f);
			web_html(f, L(rq, "ui.web.err_restore", "The codes were read, but the record cannot be restored:"));
			fputs(" ", f);
			web_html(f, phr_last_error());
			fputs("</p>\n", f);
			free(c);
			continue;
		}
		struct phr_register *reg = web_register(rq);
		struct phr_register_added added;
		rc = reg ? phr_register_add(reg, c, clen, web_trust(rq), web_now(rq), PHR_REG_HOW_SCANNED, &added)
			 : PHR_E_DB;
		if (rc == PHR_OK) {
			snprintf(filed_hex, sizeof(filed_hex), "%s", added.record_hex);
			filed_how = added.new_record ? "new" : added.new_version ? "version" : added.older ? "older" : "seen";
		} else if (rc == PHR_E_CONSENT) {
			/* shown, not stored: the consent says so */
			struct phr_report *rep = calloc(1, sizeof(*rep));
			char hl[8];
			if (rep) {
				(void)phr_verify_record(r, web_trust(rq), web_now(rq), rep);
				fputs("<p class=\"warn\" id=\"consent\">", f);
				web_html(f, L(rq, "ui.web.consent_no_store", "The holder's consent says this record is not kept: it is shown here and not stored."));
				fputs("</p>\n", f);
				status_line(rq, f, rep);
				rc = view_side_by_side(rq, f, r, rep, holder_lang(rq, r, rep, hl));
				shown = true;
			}
			free(rep);
		} else {
			fputs("<p class=\"error\">", f);
			web_html(f, phr_last_error());
			fputs("</p>\n", f);
		}
		phr_record_destroy(r);
		free(c);
		rc = PHR_OK;
	}
	if (n_sets == 1 && filed_hex[0] && !incomplete && !shown) {
		fclose(f);
		rs->page = NULL;
		free(rs->body);
		rs->body = NULL;
		snprintf(buf, sizeof(buf), "/record/%s?filed=%s", filed_hex, filed_how);
		rc = web_redirect(rs, buf);
		goto out;
	}
	if (filed_hex[0]) {
		fputs("<p><a href=\"/record/", f);
		web_html(f, filed_hex);
		fputs("\">", f);
		web_html(f, L(rq, "ui.web.open_record", "Open the record"));
		fputs("</a></p>\n", f);
	}
	scan_form(rq, f, incomplete ? carried : NULL, incomplete ? n_carried : 0);
	rc = web_page_end(rq, rs);
out:
	for (size_t i = 0; i < msgs.n; i++)
		free(msgs.lines[i]);
	free(msgs.lines);
	for (size_t i = 0; i < n_carried; i++)
		free(carried[i]);
	phr_assembler_free(as);
	free(res);
	return rc;
}

/* One webcam frame (POST /scan/frame, from app.js): the codes carried so
 * far and one JPEG or PNG; answers JSON {"message", "codes": [...],
 * "record": "/record/HEX?filed=..." when the record is whole and filed}. */
static int scan_frame(struct web_request *rq, struct web_response *rs)
{
	struct phr_assembler *as = NULL;
	struct phr_scan_result *res = calloc(1, sizeof(*res));
	json_t *codes = json_array(), *out = json_object();
	char msg[600] = "", t[300];
	int rc;
	if (!res || !codes || !out || (rc = phr_assembler_new(&as))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; json_array_size(codes) < SCAN_MAX_CODES; i++) {
		const char *b64 = web_param_at(rq, "code", i);
		uint8_t bin[CODE_B64_MAX];
		size_t blen, set;
		bool dup;
		if (!b64)
			break;
		if (strlen(b64) < CODE_B64_MAX &&
		    !sodium_base642bin(bin, sizeof(bin), b64, strlen(b64), NULL, &blen, NULL,
				       sodium_base64_VARIANT_URLSAFE_NO_PADDING) &&
		    phr_assembler_add(as, bin, blen, &set, &dup) == PHR_OK && !dup)
			json_array_append_new(codes, json_string(b64));
	}
	const struct web_upload *up = NULL;
	for (size_t u = 0; u < rq->n_uploads; u++)
		if (!strcmp(rq->uploads[u].field, "frame"))
			up = &rq->uploads[u];
	if (up) {
		struct phr_image img = { 0 };
		scan_enter();
		rc = phr_image_load(up->data, up->len, &img);
		if (!rc && (uint64_t)img.width * (uint64_t)img.height > WEB_MAX_PIXELS)
			rc = PHR_E_LIMIT;
		if (!rc)
			rc = phr_scan_image(&img, res);
		scan_leave();
		phr_image_free(&img);
		for (size_t i = 0; !rc && i < res->n && json_array_size(codes) < SCAN_MAX_CODES; i++) {
			size_t set;
			bool dup;
			char b64[CODE_B64_MAX];
			if (res->codes[i].len > (CODE_B64_MAX / 4) * 3 - 4 ||
			    phr_assembler_add(as, res->codes[i].data, res->codes[i].len, &set, &dup) != PHR_OK || dup)
				continue;
			sodium_bin2base64(b64, sizeof(b64), res->codes[i].data, res->codes[i].len,
					  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
			json_array_append_new(codes, json_string(b64));
		}
		if (!rc)
			phr_scan_result_free(res);
	}
	rc = PHR_OK;
	size_t n_sets = phr_assembler_count(as);
	if (n_sets == 0)
		snprintf(msg, sizeof(msg), "%s", L(rq, "ui.web.no_codes", "No record code was found in these pictures."));
	for (size_t s = 0; s < n_sets; s++) {
		struct phr_set_info info;
		phr_assembler_info(as, s, &info);
		if (!info.complete) {
			snprintf(msg, sizeof(msg), "%s",
				 web_label_nums(rq, "ui.web.codes_found", "%d of %d codes found.", t, sizeof(t), 2,
						(long)info.have, (long)(info.k + info.m)));
			continue;
		}
		uint8_t *c = NULL;
		size_t clen = 0;
		struct phr_register_added added;
		struct phr_register *reg = web_register(rq);
		phr_clear_error();
		if ((rc = phr_assembler_container(as, s, &c, &clen)) || !reg ||
		    (rc = phr_register_add(reg, c, clen, web_trust(rq), web_now(rq), PHR_REG_HOW_SCANNED, &added))) {
			snprintf(msg, sizeof(msg), "%s", *phr_last_error() ? phr_last_error() : phr_strerror(rc));
			free(c);
			rc = PHR_OK;
			continue;
		}
		free(c);
		char where[80];
		snprintf(where, sizeof(where), "/record/%s?filed=%s", added.record_hex,
			 added.new_record ? "new" : added.new_version ? "version" : added.older ? "older" : "seen");
		json_object_set_new(out, "record", json_string(where));
		break;
	}
	json_object_set_new(out, "message", json_string(msg));
	json_object_set(out, "codes", codes);
	char *text = json_dumps(out, JSON_COMPACT);
	if (!text) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto done;
	}
	rc = web_bytes(rs, "application/json", NULL, text, strlen(text));
	free(text);
done:
	json_decref(codes);
	json_decref(out);
	phr_assembler_free(as);
	free(res);
	return rc;
}

/* ---- Record ----------------------------------------------------------------- */

struct versions_ctx {
	struct web_request *rq;
	FILE *f;
};

/* A version named as phr register show names it: the first 16 hex digits
 * of its hash after the record id (the record id is the same on every row). */
static void version_code(FILE *f, const char *vhex)
{
	size_t skip = strlen(vhex) > 2 * PHR_RECORD_ID_LEN ? 2 * PHR_RECORD_ID_LEN : 0;
	web_htmln(f, vhex + skip, strnlen(vhex + skip, 16));
}

static int show_version(void *ctx, const struct phr_register_version *v)
{
	struct versions_ctx *x = ctx;
	char when[21], t[120];
	phr_format_time((uint64_t)v->stored_at, when);
	fputs("<tr><td><code dir=\"ltr\">", x->f);
	version_code(x->f, v->version_hex);
	fputs("</code></td><td>", x->f);
	web_html(x->f, web_label_nums(x->rq, "ui.web.n_entries", "entries: %d", t, sizeof(t), 1, (long)v->n_entries));
	fputs("</td><td><span class=\"when\" dir=\"ltr\">", x->f);
	web_html(x->f, when);
	fputs("</span></td><td>", x->f);
	web_html(x->f, v->latest ? L(x->rq, "ui.web.latest", "latest")
		       : v->older ? L(x->rq, "ui.web.older", "older copy")
		       : v->fork ? L(x->rq, "ui.web.fork", "fork") : "");
	/* a merge, and what it joined: phr register show's MERGED and
	 * "merged into" */
	fputs("</td><td>", x->f);
	if (v->merged) {
		fputs("<strong class=\"merged\">", x->f);
		web_html(x->f, L(x->rq, "ui.web.merged", "MERGED (joins two branches)"));
		fputs("</strong>", x->f);
	}
	if (v->merged_into) {
		fputs("<span class=\"merged-into\">", x->f);
		web_html(x->f, L(x->rq, "ui.web.merged_into", "merged into"));
		fputs(" <code dir=\"ltr\">", x->f);
		version_code(x->f, v->merged_into_hex);
		fputs("…</code></span>", x->f);
	}
	fputs("</td></tr>\n", x->f);
	return 0;
}

static int show_sighting(void *ctx, const struct phr_register_sighting *s)
{
	struct versions_ctx *x = ctx;
	char when[21];
	phr_format_time((uint64_t)s->at, when);
	fputs("<tr><td><span class=\"when\" dir=\"ltr\">", x->f);
	web_html(x->f, when);
	fputs("</span></td><td>", x->f);
	web_html(x->f, s->how);
	fputs("</td><td>", x->f);
	web_html(x->f, s->who);
	fputs("</td><td><code dir=\"ltr\">", x->f);
	version_code(x->f, s->version_hex);
	fputs("</code></td></tr>\n", x->f);
	return 0;
}

struct docs_ctx {
	struct web_request *rq;
	FILE *f;
	const char *hex;
	const struct phr_record *r;
	const struct phr_report *rep;
	size_t n;
};

/* The signed reference of a document's hash in a valid entry, if any. */
static bool signed_ref(const struct phr_record *r, const struct phr_report *rep, const uint8_t hash[PHR_HASH_LEN],
		       struct phr_document_ref *out)
{
	for (size_t i = 0; i < r->n_entries; i++) {
		struct phr_document_ref refs[PHR_MAX_DOCUMENTS];
		size_t k;
		if (rep->entries[i].status != PHR_ST_VALID || !r->entries[i].content ||
		    phr_document_refs(r->entries[i].content, r->entries[i].content_len, refs, PHR_MAX_DOCUMENTS, &k))
			continue;
		for (size_t j = 0; j < k && j < PHR_MAX_DOCUMENTS; j++)
			if (!sodium_memcmp(refs[j].hash, hash, PHR_HASH_LEN)) {
				*out = refs[j];
				return true;
			}
	}
	return false;
}

static int show_document(void *ctx, const struct phr_register_document *d)
{
	struct docs_ctx *x = ctx;
	char hex[2 * PHR_HASH_LEN + 1];
	sodium_bin2hex(hex, sizeof(hex), d->hash, PHR_HASH_LEN);
	struct phr_document_ref ref;
	bool ok = signed_ref(x->r, x->rep, d->hash, &ref);
	fputs("<tr><td>", x->f);
	if (ok)
		web_html(x->f, ref.title);
	fputs("</td><td>", x->f);
	if (ok)
		web_html(x->f, ref.type);
	fputs("</td><td><code>", x->f);
	web_htmln(x->f, hex, 16);
	fputs("</code></td><td>", x->f);
	if (d->present && ok) {
		fprintf(x->f, "<a class=\"doc\" href=\"/record/%s/document/%s\">", x->hex, hex);
		web_html(x->f, L(x->rq, "ui.web.download", "Download"));
		fputs("</a>", x->f);
	} else if (!ok) {
		web_html(x->f, L(x->rq, "ui.web.doc_unsigned", "no verified entry signed it"));
	} else {
		web_html(x->f, L(x->rq, "ui.web.doc_absent", "not on this machine"));
	}
	fputs("</td></tr>\n", x->f);
	x->n++;
	return 0;
}

/* Loads the latest version of the record named in the path: its id (hex), record and report. */
static int load_record(struct web_request *rq, const char *prefix, char hex[33], struct phr_record **r,
		       struct phr_report **rep, uint8_t **container, size_t *clen)
{
	struct phr_register *reg = web_register(rq);
	uint8_t id[PHR_RECORD_ID_LEN];
	int rc;
	*r = NULL;
	*rep = NULL;
	*container = NULL;
	if (!reg)
		return PHR_E_DB;
	if ((rc = phr_register_resolve(reg, prefix, id)) || (rc = phr_register_latest(reg, id, container, clen)) ||
	    (rc = phr_record_decode(*container, *clen, r)))
		return rc;
	if (!(*rep = calloc(1, sizeof(**rep))))
		return phr_fail(PHR_E_NOMEM, "out of memory");
	(void)phr_verify_record(*r, web_trust(rq), web_now(rq), *rep);
	phr_record_id_hex((*r)->id, hex);
	return PHR_OK;
}

static int document_get(struct web_request *rq, struct web_response *rs, const char *prefix, const char *hash_hex)
{
	char hex[33];
	struct phr_record *r;
	struct phr_report *rep;
	uint8_t *c, hash[PHR_HASH_LEN], *bytes = NULL;
	size_t clen, blen, hlen;
	char media[PHR_REG_MEDIA_TYPE_MAX];
	int rc = load_record(rq, prefix, hex, &r, &rep, &c, &clen);
	if (rc)
		goto out;
	struct phr_document_ref ref;
	if (strlen(hash_hex) != 2 * PHR_HASH_LEN ||
	    sodium_hex2bin(hash, sizeof(hash), hash_hex, strlen(hash_hex), NULL, &hlen, NULL) || hlen != PHR_HASH_LEN ||
	    !signed_ref(r, rep, hash, &ref)) {
		rc = web_error(rq, rs, 404, L(rq, "ui.web.doc_unsigned", "no verified entry signed it"));
		goto out;
	}
	/* the register hashes the bytes again on every read (PHR_E_DOC_MISMATCH) */
	if ((rc = phr_register_get_document(web_register(rq), hash, media, &bytes, &blen))) {
		if (rc == PHR_E_DOC_MISMATCH || rc == PHR_E_NOT_FOUND)
			rc = web_error(rq, rs, 409, phr_last_error());
		goto out;
	}
	if (blen != ref.size || strcmp(media, ref.media_type)) {
		rc = web_error(rq, rs, 409, "the document kept is not the one the entry signed");
		goto out;
	}
	if ((rc = phr_register_audit_log(web_register(rq), "documents", hex, "download (web)")))
		goto out;
	char name[64];
	snprintf(name, sizeof(name), "%.16s.%s", hash_hex,
		 !strcmp(media, "application/pdf") ? "pdf" : !strcmp(media, "image/png") ? "png" : "jpg");
	rc = web_bytes(rs, ref.media_type, name, bytes, blen);
out:
	free(bytes);
	free(c);
	free(rep);
	phr_record_destroy(r);
	return rc;
}

static int record_get(struct web_request *rq, struct web_response *rs)
{
	const char *rest = rq->path + strlen("/record/");
	char prefix[33];
	size_t n = strspn(rest, "0123456789abcdefABCDEF");
	if (n == 0 || n > 32)
		return web_error(rq, rs, 404, L(rq, "ui.web.err_not_found", "There is no such page."));
	memcpy(prefix, rest, n);
	prefix[n] = '\0';
	if (!strncmp(rest + n, "/document/", 10))
		return document_get(rq, rs, prefix, rest + n + 10);
	if (rest[n])
		return web_error(rq, rs, 404, L(rq, "ui.web.err_not_found", "There is no such page."));
	char hex[33], hl[8];
	struct phr_record *r;
	struct phr_report *rep;
	uint8_t *c;
	size_t clen;
	FILE *f;
	int rc = load_record(rq, prefix, hex, &r, &rep, &c, &clen);
	if (rc == PHR_E_NOT_STORED || rc == PHR_E_AMBIGUOUS || rc == PHR_E_ARG) {
		rc = web_error(rq, rs, 404, phr_last_error());
		goto out;
	}
	if (rc)
		goto out;
	struct phr_register *reg = web_register(rq);
	if ((rc = phr_register_audit_log(reg, "show", hex, "web")))
		goto out;
	char title[120];
	snprintf(title, sizeof(title), "%s %.8s", L(rq, "ui.record_id", "Record"), hex);
	if (!(f = web_page_begin(rq, rs, title))) {
		rc = PHR_E_NOMEM;
		goto out;
	}
	const char *filed = web_param(rq, "filed");
	if (filed) {
		const char *msg = !strcmp(filed, "new") ? L(rq, "ui.web.filed_new", "Filed in the register: a new record.")
				: !strcmp(filed, "version") ? L(rq, "ui.web.filed_version", "Filed in the register: a new version of a record it holds.")
				: !strcmp(filed, "older") ? L(rq, "ui.web.filed_older", "This is an OLDER COPY of a record the register holds: the newer version is shown.")
				: L(rq, "ui.web.filed_seen", "The register holds this version already.");
		fprintf(f, "<p class=\"%s\" id=\"filed\">", !strcmp(filed, "older") ? "warn" : "ok");
		web_html(f, msg);
		fputs("</p>\n", f);
	}
	fputs("<p><code id=\"record-id\">", f);
	web_html(f, hex);
	fputs("</code></p>\n", f);
	status_line(rq, f, rep);
	fputs("<p class=\"actions\">", f);
	fprintf(f, "<a class=\"button\" id=\"print\" href=\"/print/%s\">", hex);
	web_html(f, L(rq, "ui.web.print", "Print"));
	fputs("</a> ", f);
	if (rq->user->role >= PHR_ROLE_CLINICIAN) {
		fprintf(f, "<a class=\"button\" id=\"extend\" href=\"/followup?record=%s\">", hex);
		web_html(f, L(rq, "ui.web.extend", "Add a follow-up"));
		fputs("</a>", f);
	}
	fprintf(f, " <a class=\"button\" id=\"write-card\" href=\"/card?record=%s\">", hex);
	web_html(f, L(rq, "ui.web.write_card", "Write to card"));
	fputs("</a>", f);
	fputs("</p>\n", f);
	if ((rc = view_side_by_side(rq, f, r, rep, holder_lang(rq, r, rep, hl))))
		goto out;
	struct versions_ctx vx = { rq, f };
	uint8_t id[PHR_RECORD_ID_LEN];
	if ((rc = phr_register_resolve(reg, hex, id)))
		goto out;
	fputs("<h2>", f);
	web_html(f, L(rq, "ui.web.versions", "Versions met"));
	/* on a narrow screen the tables scroll, the page does not */
	fputs("</h2>\n<div class=\"scroll\"><table id=\"versions\">\n", f);
	if ((rc = phr_register_each_version(reg, id, show_version, &vx)))
		goto out;
	fputs("</table></div>\n<h2>", f);
	web_html(f, L(rq, "ui.web.sightings", "When and by whom"));
	fputs("</h2>\n<div class=\"scroll\"><table id=\"sightings\">\n", f);
	if ((rc = phr_register_each_sighting(reg, id, show_sighting, &vx)))
		goto out;
	fputs("</table></div>\n<h2>", f);
	web_html(f, L(rq, "ui.web.documents", "Documents"));
	fputs("</h2>\n<table id=\"documents\">\n", f);
	struct docs_ctx dx = { rq, f, hex, r, rep, 0 };
	if ((rc = phr_register_each_document(reg, id, show_document, &dx)))
		goto out;
	fputs("</table>\n", f);
	rc = web_page_end(rq, rs);
out:
	free(c);
	free(rep);
	phr_record_destroy(r);
	return rc;
}

/* ---- Search ------------------------------------------------------------------ */

struct hits_ctx {
	struct web_request *rq;
	FILE *f;
	size_t n;
};

/* Why a name matched, in the page's language: the register's reason
 * (register/names.c: "exact: 'a' 'b'", "transliterated: 'x'='y'",
 * "fuzzy: ...", then " (N of M names)") with its words through labels;
 * the names themselves as they are. Anything else is shown as it is. */
static void why_html(struct web_request *rq, FILE *f, const char *why)
{
	static const struct {
		const char *word, *id, *en;
	} kinds[] = {
		{ "exact:", "ui.web.why_exact", "exact:" },
		{ "transliterated:", "ui.web.why_transliterated", "transliterated:" },
		{ "fuzzy:", "ui.web.why_fuzzy", "fuzzy:" },
	};
	size_t n = strlen(why), k;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strncmp(why, kinds[k].word, strlen(kinds[k].word)))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0])) {
		web_html(f, why);
		return;
	}
	const char *rest = why + strlen(kinds[k].word);
	size_t rest_n = n - strlen(kinds[k].word);
	/* the " (N of M names)" at the end */
	unsigned used = 0, all = 0;
	const char *paren = strrchr(rest, '(');
	int end = 0;
	if (paren && paren > rest && paren[-1] == ' ' && sscanf(paren, "(%u of %u names)%n", &used, &all, &end) == 2 &&
	    paren[end] == '\0')
		rest_n = (size_t)(paren - 1 - rest);
	else
		paren = NULL;
	fputs("<bdi>", f);
	web_html(f, L(rq, kinds[k].id, kinds[k].en));
	fputs("</bdi><bdi dir=\"ltr\">", f);
	web_htmln(f, rest, rest_n);
	fputs("</bdi>", f);
	if (paren) {
		char buf[120];
		fputs(" <bdi>", f);
		web_html(f, web_label_nums(rq, "ui.web.why_names", "(%d of %d names)", buf, sizeof(buf), 2, (long)used,
					   (long)all));
		fputs("</bdi>", f);
	}
}

static int show_hit(void *ctx, const struct phr_register_hit *h)
{
	struct hits_ctx *x = ctx;
	fprintf(x->f, "<tr><td><a class=\"hit\" href=\"/record/%s\"><bdi>", h->record_hex);
	web_html(x->f, h->name[0] ? h->name : h->record_hex);
	fputs("</bdi></a></td><td>", x->f);
	web_html(x->f, h->born);
	fputs("</td><td>", x->f);
	if (h->sex[0]) {
		char id[40];
		snprintf(id, sizeof(id), "enum.identity.sex.%s", h->sex);
		web_html(x->f, L(x->rq, id, h->sex));
	}
	fputs("</td><td>", x->f);
	if (h->nationality[0]) {
		char id[16];
		snprintf(id, sizeof(id), "country.%s", h->nationality);
		web_html(x->f, L(x->rq, id, h->nationality));
	}
	fputs("</td><td class=\"muted why\">", x->f);
	why_html(x->rq, x->f, h->why);
	fputs("</td></tr>\n", x->f);
	x->n++;
	return 0;
}

static void search_field(struct web_request *rq, FILE *f, const char *name, const char *label_id, const char *en,
			 const char *hint)
{
	fprintf(f, "<label>");
	web_html(f, L(rq, label_id, en));
	fprintf(f, " <input name=\"%s\" id=\"q-%s\" dir=\"auto\" value=\"", name, name);
	web_html(f, web_param(rq, name));
	fputs("\"", f);
	if (hint) {
		fputs(" placeholder=\"", f);
		web_html(f, hint);
		fputs("\"", f);
	}
	fputs("></label>\n", f);
}

static int search_get(struct web_request *rq, struct web_response *rs)
{
	FILE *f = web_page_begin(rq, rs, L(rq, "ui.web.menu_search", "Search"));
	int rc = PHR_OK;
	if (!f)
		return PHR_E_NOMEM;
	fputs("<form method=\"get\" action=\"/search\" class=\"card\" id=\"search-form\"><div class=\"grid\">\n", f);
	search_field(rq, f, "name", "ui.web.q_name", "Name (any script)", NULL);
	search_field(rq, f, "born", "field.identity.birth_date", "Date of birth", "YYYY[-MM[-DD]]");
	search_field(rq, f, "sex", "field.identity.sex", "Sex", "female, male, other, unknown");
	search_field(rq, f, "nationality", "field.identity.nationality", "Nationality", "SY");
	search_field(rq, f, "code", "ui.web.q_code", "Code", "icd11:1B10.1");
	search_field(rq, f, "clinic", "ui.clinic", "Clinic", NULL);
	search_field(rq, f, "record", "ui.record_id", "Record", "3f2a9c");
	fputs("</div><input type=\"hidden\" name=\"go\" value=\"1\"><button type=\"submit\" id=\"search\">", f);
	web_html(f, L(rq, "ui.web.menu_search", "Search"));
	fputs("</button></form>\n", f);
	if (web_param(rq, "go")) {
		struct phr_register_query q = { 0 };
		const char *v;
#define TAKE(field)                                                \
	if ((v = web_param(rq, #field)) && *v)                     \
		q.field = v;
		TAKE(name) TAKE(born) TAKE(sex) TAKE(nationality) TAKE(code) TAKE(clinic) TAKE(record)
#undef TAKE
		if (!q.name && !q.born && !q.sex && !q.nationality && !q.code && !q.clinic && !q.record) {
			fputs("<p class=\"warn\">", f);
			web_html(f, L(rq, "ui.web.q_empty", "Fill in at least one field."));
			fputs("</p>\n", f);
		} else {
			struct phr_register *reg = web_register(rq);
			struct hits_ctx hx = { rq, f, 0 };
			fputs("<table id=\"hits\">\n<tr><th>", f);
			web_html(f, L(rq, "ui.web.user_name", "Name"));
			fputs("</th><th>", f);
			web_html(f, L(rq, "field.identity.birth_date", "Date of birth"));
			fputs("</th><th>", f);
			web_html(f, L(rq, "field.identity.sex", "Sex"));
			fputs("</th><th>", f);
			web_html(f, L(rq, "field.identity.nationality", "Nationality"));
			fputs("</th><th></th></tr>\n", f);
			phr_clear_error();
			rc = reg ? phr_register_find(reg, &q, show_hit, &hx) : PHR_E_DB;
			fputs("</table>\n", f);
			if (rc == PHR_E_ARG) {
				fputs("<p class=\"error\">", f);
				web_html(f, phr_last_error());
				fputs("</p>\n", f);
				rc = PHR_OK;
			} else if (rc) {
				return rc;
			}
			char t[100];
			fputs("<p id=\"count\">", f);
			web_html(f, web_label_nums(rq, "ui.web.n_found", "Records found: %d", t, sizeof(t), 1, (long)hx.n));
			fputs("</p>\n", f);
		}
	}
	return web_page_end(rq, rs);
}

/* ---- Print ---------------------------------------------------------------------- */

static void lang_select(FILE *f, const char *name, const char *selected)
{
	fprintf(f, "<select name=\"%s\" id=\"%s\">", name, name);
	for (size_t i = 0; i < phr_label_lang_count(); i++) {
		const char *l = phr_label_lang_at(i);
		char id[16];
		snprintf(id, sizeof(id), "lang.%s", l);
		fprintf(f, "<option value=\"%s\"%s>", l, strcmp(l, selected) ? "" : " selected");
		web_html(f, phr_label_or(l, id, l));
		fputs("</option>", f);
	}
	fputs("</select>", f);
}

static int print_get(struct web_request *rq, struct web_response *rs)
{
	const char *prefix = rq->path + strlen("/print/");
	char hex[33], hl[8];
	struct phr_record *r;
	struct phr_report *rep;
	uint8_t *c;
	size_t clen;
	int rc = load_record(rq, prefix, hex, &r, &rep, &c, &clen);
	if (rc == PHR_E_NOT_STORED || rc == PHR_E_AMBIGUOUS || rc == PHR_E_ARG) {
		rc = web_error(rq, rs, 404, phr_last_error());
		goto out;
	}
	if (rc)
		goto out;
	char title[120];
	snprintf(title, sizeof(title), "%s %.8s", L(rq, "ui.web.print", "Print"), hex);
	FILE *f = web_page_begin(rq, rs, title);
	if (!f) {
		rc = PHR_E_NOMEM;
		goto out;
	}
	status_line(rq, f, rep);
	fprintf(f, "<form method=\"post\" action=\"/print/%s\" class=\"card\" id=\"print-form\">\n", hex);
	web_csrf_field(f, rq);
	fputs("<fieldset><legend>", f);
	web_html(f, L(rq, "ui.web.print_what", "What to print"));
	fputs("</legend>\n", f);
	static const struct {
		const char *value, *label, *en;
	} kinds[] = {
		{ "a6-booklet", "ui.web.print_booklet", "Booklet (A6, PDF)" },
		{ "id1-card", "ui.web.print_card", "Wallet card (PDF)" },
		{ "codes", "ui.web.print_codes", "QR codes only" },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		fprintf(f, "<label><input type=\"radio\" name=\"kind\" value=\"%s\"%s> ", kinds[i].value, i ? "" : " checked");
		web_html(f, L(rq, kinds[i].label, kinds[i].en));
		fputs("</label>\n", f);
	}
	fputs("</fieldset>\n<label>", f);
	web_html(f, L(rq, "ui.web.holder_language", "Holder's language"));
	fputs(" ", f);
	lang_select(f, "holder", holder_lang(rq, r, rep, hl));
	fputs("</label>\n<label>", f);
	web_html(f, L(rq, "ui.web.clinic_language", "Clinic's language"));
	fputs(" ", f);
	lang_select(f, "clinic", rq->lang);
	fputs("</label>\n<button type=\"submit\" id=\"print-go\">", f);
	web_html(f, L(rq, "ui.web.print", "Print"));
	fputs("</button>\n</form>\n", f);
	rc = web_page_end(rq, rs);
out:
	free(c);
	free(rep);
	phr_record_destroy(r);
	return rc;
}

static int pdf_write(void *ctx, const uint8_t *data, size_t len)
{
	return fwrite(data, 1, len, ctx) == len ? PHR_OK : phr_fail(PHR_E_NOMEM, "out of memory");
}

/* The QR codes alone, as 'phr qr' cuts them, on one page the browser prints. */
static int print_codes(struct web_request *rq, struct web_response *rs, const char *hex, const uint8_t *c, size_t clen)
{
	struct phr_chunk_plan plan;
	struct phr_chunk_set set;
	int rc;
	if ((rc = phr_chunk_plan(clen, PHR_CHUNK_BASE45, PHR_QR_DEFAULT_ECC, PHR_QR_DEFAULT_MAX_VERSION, 1, &plan)))
		return rc;
	if ((rc = phr_chunk_split(c, clen, &plan, &set)))
		return rc;
	char title[120];
	snprintf(title, sizeof(title), "%s %.8s", L(rq, "ui.web.print_codes", "QR codes only"), hex);
	FILE *f = web_page_begin(rq, rs, title);
	if (!f) {
		phr_chunk_set_free(&set);
		return PHR_E_NOMEM;
	}
	fputs("<div class=\"codes\" id=\"codes\">\n", f);
	for (size_t i = 0; i < set.n; i++) {
		struct phr_qr *q = NULL;
		uint8_t *png = NULL;
		size_t plen = 0;
		if ((rc = phr_qr_make(set.payload[i], set.len[i], plan.mode, plan.ecc, plan.max_version, &q)) ||
		    (rc = phr_qr_png(q, 4, 4, &png, &plen))) {
			phr_qr_free(q);
			break;
		}
		size_t blen = sodium_base64_ENCODED_LEN(plen, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = malloc(blen);
		if (b64) {
			sodium_bin2base64(b64, blen, png, plen, sodium_base64_VARIANT_ORIGINAL);
			fprintf(f, "<figure><img class=\"code\" alt=\"%zu/%zu\" src=\"data:image/png;base64,%s\"><figcaption>%zu / %zu</figcaption></figure>\n",
				i + 1, set.n, b64, i + 1, set.n);
		}
		free(b64);
		free(png);
		phr_qr_free(q);
	}
	fputs("</div>\n", f);
	phr_chunk_set_free(&set);
	if (rc) {
		fclose(f);
		rs->page = NULL;
		return rc;
	}
	return web_page_end(rq, rs);
}

static int print_post(struct web_request *rq, struct web_response *rs)
{
	const char *prefix = rq->path + strlen("/print/");
	const char *kind = web_param(rq, "kind"), *holder = web_param(rq, "holder"), *clinic = web_param(rq, "clinic");
	char hex[33];
	struct phr_record *r;
	struct phr_report *rep;
	uint8_t *c;
	size_t clen;
	struct phr_layout *layout = NULL;
	struct phr_print_view *hv = NULL, *cv = NULL;
	struct phr_print_doc *doc = NULL;
	char *pdf = NULL;
	size_t pdf_len = 0;
	FILE *m = NULL;
	int rc = load_record(rq, prefix, hex, &r, &rep, &c, &clen);
	if (rc == PHR_E_NOT_STORED || rc == PHR_E_AMBIGUOUS || rc == PHR_E_ARG) {
		rc = web_error(rq, rs, 404, phr_last_error());
		goto out;
	}
	if (rc)
		goto out;
	if (!kind || (strcmp(kind, "a6-booklet") && strcmp(kind, "id1-card") && strcmp(kind, "codes")) || !holder ||
	    !clinic || !phr_label_has_lang(holder) || !phr_label_has_lang(clinic)) {
		rc = web_error(rq, rs, 400, L(rq, "ui.web.err_body", "The form could not be read."));
		goto out;
	}
	char detail[80];
	snprintf(detail, sizeof(detail), "print %s %s,%s (web)", kind, holder, clinic);
	if ((rc = phr_register_audit_log(web_register(rq), "print", hex, detail)))
		goto out;
	if (!strcmp(kind, "codes")) {
		rc = print_codes(rq, rs, hex, c, clen);
		goto out;
	}
	if ((rc = phr_layout_load(kind, &layout)) || (rc = phr_render_print_view(r, rep, clinic, &cv)) ||
	    (rc = phr_render_print_view(r, rep, holder, &hv)))
		goto out;
	if (!(m = open_memstream(&pdf, &pdf_len))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	struct phr_print_options po = { .now = web_now(rq), .write = pdf_write, .ctx = m };
	struct phr_print_result res;
	if ((rc = phr_print_open(layout, &po, &doc)) || (rc = phr_print_record(doc, c, clen, hv, cv, &res)) ||
	    (rc = phr_print_close(doc)))
		goto out;
	fclose(m);
	m = NULL;
	char name[64];
	snprintf(name, sizeof(name), "%.8s-%s-%s-%s.pdf", hex, kind, holder, clinic);
	rc = web_bytes(rs, "application/pdf", name, pdf, pdf_len);
out:
	if (m)
		fclose(m);
	free(pdf);
	phr_print_doc_destroy(doc);
	phr_render_print_view_free(hv);
	phr_render_print_view_free(cv);
	phr_layout_destroy(layout);
	free(c);
	free(rep);
	phr_record_destroy(r);
	return rc;
}

const struct web_route web_record_routes[] = {
	{ "GET", "/scan", PHR_ROLE_CLERK, 0, scan_get },
	{ "POST", "/scan", PHR_ROLE_CLERK, 0, scan_post },
	{ "POST", "/scan/frame", PHR_ROLE_CLERK, 0, scan_frame },
	{ "GET", "/record/", PHR_ROLE_CLERK, WEB_PREFIX, record_get },
	{ "GET", "/search", PHR_ROLE_CLERK, 0, search_get },
	{ "GET", "/print/", PHR_ROLE_CLERK, WEB_PREFIX, print_get },
	{ "POST", "/print/", PHR_ROLE_CLERK, WEB_PREFIX, print_post },
	{ 0 },
};
