/* phr serve: the "New assessment" and "Follow-up" pages (clinicians).
 *
 * GET shows the form web/form.c writes from the schema table; POST with
 * action=review parses it (phr_web_form_parse) and either shows it again
 * with each message beside its field, or shows the summary to check, with
 * the posted values carried in hidden fields; POST with action=sign parses
 * the same values again, encodes the entry and signs it with the clinic's
 * key held by the server (web_sign: filed in the register, audit row
 * naming the staff member). The draft lives in the browser (form.js,
 * localStorage) until the entry is signed.
 *
 * A lab follow-up may carry a document (PDF, PNG, JPEG): at review it is
 * checked and hashed as phr attach does (record/document.c) and kept in
 * the register by its hash; the reference travels in hidden fields and is
 * checked against the register's copy before signing. */
#include "web.h"
#include "web_private.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "form.h"
#include "forms.h"
#include "phr/document.h"
#include "phr/json.h"
#include "phr/register.h"
#include "phr/seal.h"

extern const unsigned char web_form_js[], web_form_css[];
extern const unsigned long web_form_js_len, web_form_css_len;

static int asset_js(struct web_request *rq, struct web_response *rs)
{
	(void)rq;
	return web_bytes(rs, "text/javascript; charset=utf-8", NULL, web_form_js, web_form_js_len);
}

static int asset_css(struct web_request *rq, struct web_response *rs)
{
	(void)rq;
	return web_bytes(rs, "text/css; charset=utf-8", NULL, web_form_css, web_form_css_len);
}

/* What one page is about: the form kind, where it posts, the record it
 * extends (NULL: a new record), the draft's key in the browser. */
struct target {
	const char *kind;
	char action[128];
	char record[33];
	char draft[128];
};

#define DOC_FIELD "document"
#define REVIEW_FIELD "review_token" /* the review page's stand-in for a follow-up's holder key */

static const char *L(struct web_request *rq, const char *id, const char *fallback)
{
	return web_label(rq, id, fallback);
}

static void head_assets(FILE *f)
{
	fputs("<link rel=\"stylesheet\" href=\"/forms/form.css\">\n<script src=\"/forms/form.js\" defer></script>\n", f);
}

/* The kinds of follow-up, as links (the one shown marked). */
static void kind_menu(struct web_request *rq, FILE *f, const struct target *t)
{
	fputs("<ul class=\"phr-kinds\">", f);
	for (size_t i = 0; phr_web_form_kind(i); i++) {
		const char *k = phr_web_form_kind(i);
		if (strcmp(k, "assessment") == 0)
			continue;
		char id[64];
		snprintf(id, sizeof(id), "web.forms.kind.%s", k);
		fprintf(f, "<li><a id=\"kind-%s\" href=\"/record/%s/followup?kind=%s\"%s>", k, t->record, k,
			strcmp(k, t->kind) ? "" : " aria-current=\"page\"");
		web_html(f, L(rq, id, k));
		fputs("</a></li>", f);
	}
	fputs("</ul>\n", f);
}

static void document_inputs(struct web_request *rq, FILE *f, const char *error)
{
	fputs("<section class=\"phr-section\" id=\"sec-document\"><h2>", f);
	web_html(f, L(rq, "web.forms.document", "Document (PDF, PNG or JPEG)"));
	fputs("</h2>\n<div class=\"phr-field\"><label for=\"" DOC_FIELD "\">", f);
	web_html(f, L(rq, "web.forms.document", "Document (PDF, PNG or JPEG)"));
	fputs("</label><input type=\"file\" name=\"" DOC_FIELD "\" id=\"" DOC_FIELD
	      "\" accept=\"application/pdf,image/png,image/jpeg\">",
	      f);
	if (error) {
		fputs("<span class=\"phr-err\" id=\"err-" DOC_FIELD "\">", f);
		web_html(f, error);
		fputs("</span>", f);
	}
	fputs("</div>\n<div class=\"phr-field\"><label for=\"doc_type\">", f);
	web_html(f, L(rq, "field.documents.type", "Type"));
	fputs("</label><select name=\"doc_type\" id=\"doc_type\">", f);
	const char *want = web_param(rq, "doc_type");
	for (size_t i = 0; phr_document_type(i); i++) {
		const char *ty = phr_document_type(i);
		char id[80];
		snprintf(id, sizeof(id), "enum.documents.type.%s", ty);
		fprintf(f, "<option value=\"%s\"%s>", ty, want && !strcmp(want, ty) ? " selected" : "");
		web_html(f, L(rq, id, ty));
		fputs("</option>", f);
	}
	fputs("</select></div>\n<div class=\"phr-field\"><label for=\"doc_title\">", f);
	web_html(f, L(rq, "field.documents.title", "Title"));
	fputs("</label><input type=\"text\" class=\"phr-in phr-wide\" name=\"doc_title\" id=\"doc_title\" dir=\"auto\" "
	      "maxlength=\"200\"",
	      f);
	const char *title = web_param(rq, "doc_title");
	if (title) {
		fputs(" value=\"", f);
		web_html(f, title);
		fputs("\"", f);
	}
	fputs("></div></section>\n", f);
}

/* A follow-up's holder key, typed from the holder's slip: the entry's
 * sensitive sections are sealed under it as phr extend --holder-key does. */
static void holder_key_input(struct web_request *rq, FILE *f, const char *error)
{
	fputs("<section class=\"phr-section\" id=\"sec-holder-key\"><div class=\"phr-field\"><label for=\"holder_key\">", f);
	web_html(f, L(rq, "web.forms.holder_key_in", "Holder key"));
	fputs("</label><input type=\"text\" class=\"phr-in phr-code\" name=\"holder_key\" id=\"holder_key\" "
	      "autocomplete=\"off\" spellcheck=\"false\" dir=\"ltr\"",
	      f);
	const char *v = web_param(rq, "holder_key");
	if (v && *v) {
		fputs(" value=\"", f);
		web_html(f, v);
		fputs("\"", f);
	}
	if (error)
		fputs(" aria-invalid=\"true\"", f);
	fputs(">", f);
	if (error) {
		fputs("<span class=\"phr-err\" id=\"err-holder_key\">", f);
		web_html(f, error);
		fputs("</span>", f);
	}
	fputs("</div></section>\n", f);
}

/* The form page. prefill/errors as phr_web_form_html takes them. */
static int form_page(struct web_request *rq, struct web_response *rs, const struct target *t, const json_t *prefill,
		     const json_t *errors, const char *doc_error, const char *hk_error, bool fresh, int status)
{
	const char *title = t->record[0] ? L(rq, "web.forms.followup", "Follow-up")
					 : L(rq, "web.forms.new_assessment", "New assessment");
	FILE *f = web_page_begin(rq, rs, title);
	if (!f)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	head_assets(f);
	if (t->record[0]) {
		fputs("<p class=\"phr-record\">", f);
		web_html(f, L(rq, "ui.record_id", "Record"));
		fputs(": <a id=\"phr-record-id\" dir=\"ltr\" href=\"/record/", f);
		web_html(f, t->record);
		fputs("\">", f);
		web_html(f, t->record);
		fputs("</a></p>\n", f);
		kind_menu(rq, f, t);
	}
	fputs("<p id=\"phr-draft-note\" hidden>", f);
	web_html(f, L(rq, "web.forms.draft_restored", "Draft restored from this browser"));
	fputs(" <button type=\"button\" id=\"phr-draft-discard\">", f);
	web_html(f, L(rq, "web.forms.draft_clear", "Discard the draft"));
	fputs("</button></p>\n", f);
	fputs("<form method=\"post\" novalidate id=\"phr-entry\" enctype=\"multipart/form-data\" action=\"", f);
	web_html(f, t->action);
	fputs("\" data-draft=\"", f);
	web_html(f, t->draft);
	fprintf(f, "\"%s>\n", fresh ? " data-fresh=\"1\"" : "");
	web_csrf_field(f, rq);
	fputs("<input type=\"hidden\" name=\"kind\" value=\"", f);
	web_html(f, t->kind);
	fputs("\">\n", f);
	fflush(f);
	int rc = phr_web_form_html(f, t->kind, rq->lang, prefill, errors);
	if (rc)
		return rc;
	if (!strcmp(t->kind, "followup-lab"))
		document_inputs(rq, f, doc_error);
	if (t->record[0])
		holder_key_input(rq, f, hk_error);
	fputs("<div class=\"phr-actions\"><button type=\"submit\" name=\"action\" value=\"review\" id=\"phr-review\">", f);
	web_html(f, L(rq, "web.forms.review", "Review before signing"));
	fputs("</button></div>\n</form>\n", f);
	rs->status = status;
	return web_page_end(rq, rs);
}

/* Today, for a new form's date. */
static void today(struct web_request *rq, char out[11])
{
	int y, m, d;
	phr_civil_from_days((int64_t)(web_now(rq) / 86400) + phr_days_from_civil(1970, 1, 1), &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

static int show_new_form(struct web_request *rq, struct web_response *rs, const struct target *t)
{
	char date[11];
	today(rq, date);
	/* what the form knows: the visit is today, by the one signing in */
	json_t *pre = json_pack("{s:s, s:{s:s}}", "date", date, "author", "professional", rq->user->name);
	if (!pre)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	/* a vaccine given here, today */
	if (!strcmp(t->kind, "followup-vaccination") &&
	    json_object_set_new(pre, "vaccinations", json_pack("[{s:s, s:s}]", "date", date, "source", "given"))) {
		json_decref(pre);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	int rc = form_page(rq, rs, t, pre, NULL, NULL, NULL, true, 200);
	json_decref(pre);
	return rc;
}

/* The request's fields as the parser takes them (only "e." ones are its). */
static struct phr_web_field *posted(struct web_request *rq, size_t *n)
{
	size_t count = web_param_count(rq);
	struct phr_web_field *fs = calloc(count ? count : 1, sizeof(*fs));
	if (!fs)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < count; i++) {
		const char *name, *value;
		web_param_nth(rq, i, &name, &value);
		if (!name || strncmp(name, "e.", 2) != 0)
			continue;
		fs[k++] = (struct phr_web_field){ name, value ? value : "", value ? strlen(value) : 0 };
	}
	*n = k;
	return fs;
}

/* A document reference carried between review and sign. */
struct doc {
	bool present;
	struct phr_document_ref ref;
};

/* At review: the uploaded file checked, hashed and kept in the register.
 * *msg: what was wrong, for the page (then PHR_OK is returned). */
static int doc_from_upload(struct web_request *rq, struct doc *d, char *msg, size_t cap)
{
	const struct web_upload *u = NULL;
	msg[0] = '\0';
	for (size_t i = 0; i < rq->n_uploads; i++)
		if (!strcmp(rq->uploads[i].field, DOC_FIELD) && rq->uploads[i].len > 0)
			u = &rq->uploads[i];
	if (!u)
		return PHR_OK;
	const char *type = web_param(rq, "doc_type");
	const char *title = web_param(rq, "doc_title");
	if (!title || !*title)
		title = u->filename && *u->filename ? u->filename : "document";
	int rc = phr_document_ref_make(u->data, u->len, NULL, type ? type : "other", title, &d->ref);
	if (rc) {
		snprintf(msg, cap, "%s: %s", L(rq, "web.forms.document", "Document"), phr_last_error());
		return PHR_OK;
	}
	struct phr_register *reg = web_register(rq);
	if (!reg)
		return PHR_E_DB;
	if ((rc = phr_register_put_document(reg, d->ref.hash, d->ref.media_type, u->data, u->len)))
		return rc;
	d->present = true;
	return PHR_OK;
}

/* At sign: the reference from the hidden fields, and the register's copy
 * of the bytes must be it. */
static int doc_from_fields(struct web_request *rq, struct doc *d, bool *bad)
{
	const char *type = web_param(rq, "d.type"), *title = web_param(rq, "d.title");
	const char *media = web_param(rq, "d.media_type"), *size = web_param(rq, "d.size");
	const char *hash = web_param(rq, "d.hash");
	*bad = false;
	if (!hash)
		return PHR_OK;
	size_t hl = 0;
	if (!type || !title || !media || !size || strlen(hash) != 2 * PHR_DOCUMENT_HASH_LEN ||
	    sodium_hex2bin(d->ref.hash, sizeof(d->ref.hash), hash, strlen(hash), NULL, &hl, NULL) ||
	    hl != PHR_DOCUMENT_HASH_LEN) {
		*bad = true;
		return PHR_OK;
	}
	struct phr_register *reg = web_register(rq);
	if (!reg)
		return PHR_E_DB;
	char kept_media[PHR_REG_MEDIA_TYPE_MAX];
	uint8_t *bytes = NULL;
	size_t len = 0;
	int rc = phr_register_get_document(reg, d->ref.hash, kept_media, &bytes, &len);
	if (rc) {
		*bad = true;
		return PHR_OK;
	}
	/* made again from the kept bytes: the same checks as at review */
	rc = phr_document_ref_make(bytes, len, media, type, title, &d->ref);
	free(bytes);
	if (rc || strcmp(kept_media, d->ref.media_type) || strtoull(size, NULL, 10) != d->ref.size) {
		*bad = true;
		return PHR_OK;
	}
	d->present = true;
	return PHR_OK;
}

static void doc_hidden(FILE *f, const struct doc *d)
{
	char hex[2 * PHR_DOCUMENT_HASH_LEN + 1];
	sodium_bin2hex(hex, sizeof(hex), d->ref.hash, sizeof(d->ref.hash));
	fputs("<input type=\"hidden\" name=\"d.type\" value=\"", f);
	web_html(f, d->ref.type);
	fputs("\"><input type=\"hidden\" name=\"d.title\" value=\"", f);
	web_html(f, d->ref.title);
	fputs("\"><input type=\"hidden\" name=\"d.media_type\" value=\"", f);
	web_html(f, d->ref.media_type);
	fprintf(f, "\"><input type=\"hidden\" name=\"d.size\" value=\"%llu\">", (unsigned long long)d->ref.size);
	fprintf(f, "<input type=\"hidden\" name=\"d.hash\" value=\"%s\">\n", hex);
}

static int add_doc(json_t *entry, const struct doc *d)
{
	char hex[2 * PHR_DOCUMENT_HASH_LEN + 1];
	sodium_bin2hex(hex, sizeof(hex), d->ref.hash, sizeof(d->ref.hash));
	json_t *item = json_pack("{s:s, s:s, s:s, s:I, s:s}", "type", d->ref.type, "title", d->ref.title, "media_type",
				 d->ref.media_type, "size", (json_int_t)d->ref.size, "hash", hex);
	json_t *arr = json_array();
	if (!item || !arr || json_array_append_new(arr, item) || json_object_set_new(entry, "documents", arr)) {
		json_decref(item);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	return PHR_OK;
}

/* The page to check before signing: the summary, the values in hidden
 * fields, sign or go back. A follow-up's holder key is not among them: the
 * session keeps it (web_held_key_put), the page carries review_token. */
static int review_page(struct web_request *rq, struct web_response *rs, const struct target *t, const json_t *entry,
		       const struct phr_web_field *fs, size_t n, const struct doc *d, const char *review_token)
{
	FILE *f = web_page_begin(rq, rs, L(rq, "web.forms.confirm_title", "Check the entry before signing it"));
	if (!f)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	head_assets(f);
	if (t->record[0]) {
		fputs("<p class=\"phr-record\">", f);
		web_html(f, L(rq, "ui.record_id", "Record"));
		fputs(": <span dir=\"ltr\">", f);
		web_html(f, t->record);
		fputs("</span></p>\n", f);
	}
	json_t *shown = json_deep_copy(entry);
	if (!shown)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	if (d->present && add_doc(shown, d)) {
		json_decref(shown);
		return PHR_E_NOMEM;
	}
	fflush(f);
	int rc = phr_web_form_summary_html(f, shown, rq->lang);
	json_decref(shown);
	if (rc)
		return rc;
	fputs("<form method=\"post\" enctype=\"multipart/form-data\" id=\"phr-confirm\" action=\"", f);
	web_html(f, t->action);
	fputs("\">\n", f);
	web_csrf_field(f, rq);
	fputs("<input type=\"hidden\" name=\"kind\" value=\"", f);
	web_html(f, t->kind);
	fputs("\">\n", f);
	for (size_t i = 0; i < n; i++) {
		if (!fs[i].value_len)
			continue;
		fputs("<input type=\"hidden\" name=\"", f);
		web_html(f, fs[i].name);
		fputs("\" value=\"", f);
		web_htmln(f, fs[i].value, fs[i].value_len);
		fputs("\">\n", f);
	}
	if (d->present)
		doc_hidden(f, d);
	if (review_token) {
		fputs("<input type=\"hidden\" name=\"" REVIEW_FIELD "\" value=\"", f);
		web_html(f, review_token);
		fputs("\">\n", f);
	} else if (t->record[0]) {
		fputs("<p class=\"warn\" id=\"phr-unsealed\">", f);
		web_html(f, L(rq, "web.forms.not_sealed", "No holder key was given: this entry is signed unsealed."));
		fputs("</p>\n", f);
	}
	fputs("<div class=\"phr-actions\"><button type=\"submit\" name=\"action\" value=\"sign\" id=\"phr-sign\">", f);
	web_html(f, L(rq, "web.forms.sign", "Sign and file"));
	fputs("</button><button type=\"submit\" name=\"action\" value=\"edit\" id=\"phr-back\">", f);
	web_html(f, L(rq, "web.forms.back", "Back to the form"));
	fputs("</button></div>\n</form>\n", f);
	return web_page_end(rq, rs);
}

static int signed_page(struct web_request *rq, struct web_response *rs, const struct target *t, const char *id,
		       const char *holder_key, bool unsealed)
{
	FILE *f = web_page_begin(rq, rs, L(rq, "web.forms.signed", "Signed and filed in the register"));
	if (!f)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	head_assets(f);
	/* form.js forgets the draft when it sees this */
	fputs("<p data-clear-draft=\"", f);
	web_html(f, t->draft);
	fputs("\">", f);
	web_html(f, L(rq, "ui.record_id", "Record"));
	fputs(": <a id=\"phr-signed-id\" dir=\"ltr\" href=\"/record/", f);
	web_html(f, id);
	fputs("\">", f);
	web_html(f, id);
	fputs("</a></p>\n", f);
	if (holder_key) {
		fputs("<div class=\"phr-holder-key\"><p>", f);
		web_html(f, L(rq, "web.forms.holder_key", "Holder key"));
		fputs(": <strong id=\"phr-holder-key\" dir=\"ltr\">", f);
		web_html(f, holder_key);
		fputs("</strong></p><p>", f);
		web_html(f, L(rq, "web.forms.holder_key_note", "Give this key to the holder, apart from the booklet."));
		fputs("</p></div>\n", f);
	} else if (unsealed) {
		fputs("<p class=\"warn\" id=\"phr-unsealed\">", f);
		web_html(f, L(rq, "web.forms.not_sealed", "No holder key was given: this entry was signed unsealed."));
		fputs("</p>\n", f);
	}
	return web_page_end(rq, rs);
}

/* A well-formed holder key that is not this record's (web_holder_key_check,
 * web_sign_sealed): the error codes that mean it. */
static bool key_refused(int rc)
{
	return rc == PHR_E_SEAL_KEY || rc == PHR_E_REKEYED || rc == PHR_E_SEALED;
}

/* The form again with the holder key's message, nothing signed: the same
 * page at review and at signing. */
static int key_refused_page(struct web_request *rq, struct web_response *rs, const struct target *t,
			    const json_t *values)
{
	return form_page(rq, rs, t, values, NULL, NULL,
			 L(rq, "web.forms.holder_key_wrong",
			   "Holder key: it does not open this record's sealed sections (another record's key, or one a newer key slip replaced); nothing was signed"),
			 false, 422);
}

/* The form again at signing, nothing signed: the review's token kept no
 * holder key for this session (used already, expired, another session's),
 * or a key was posted at signing instead of at review. */
static int token_refused_page(struct web_request *rq, struct web_response *rs, const struct target *t,
			      const json_t *values, const json_t *errors, const char *doc_msg)
{
	return form_page(rq, rs, t, values, errors, doc_msg,
			 L(rq, "web.forms.holder_key_review_gone",
			   "Holder key: this review is no longer valid (signed already, expired, or from another session); type the key again and review; nothing was signed"),
			 false, 422);
}

static int handle_post(struct web_request *rq, struct web_response *rs, const struct target *t)
{
	const char *action = web_param(rq, "action");
	size_t n = 0;
	struct phr_web_field *fs = posted(rq, &n);
	json_t *entry = NULL, *errors = NULL, *values = NULL;
	struct doc d = { 0 };
	char doc_msg[PHR_ERRMSG_MAX + 64] = "";
	uint8_t hk[PHR_HOLDER_KEY_LEN];
	bool have_hk = false;
	int rc;
	if (!fs)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	if (!(values = phr_web_form_values(fs, n))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	if (action && !strcmp(action, "edit")) {
		/* back to the form: the key kept for the review goes; typed again */
		web_held_key_drop(rq, web_param(rq, REVIEW_FIELD));
		rc = form_page(rq, rs, t, values, NULL, NULL, NULL, false, 200);
		goto out;
	}
	rc = phr_web_form_parse(fs, n, t->kind, rq->lang, &entry, &errors);
	if (rc && rc != PHR_E_FORM)
		goto out;
	bool sign = action && !strcmp(action, "sign");
	if (!strcmp(t->kind, "followup-lab")) {
		bool bad = false;
		rc = sign ? doc_from_fields(rq, &d, &bad) : doc_from_upload(rq, &d, doc_msg, sizeof(doc_msg));
		if (rc)
			goto out;
		if (bad)
			snprintf(doc_msg, sizeof(doc_msg), "%s", L(rq, "web.forms.document", "Document"));
	}
	/* the holder key of a follow-up, when the holder has it: typed on the
	 * form for the review; at signing, the one the session kept for the
	 * review's token (taken once, whatever comes next) */
	const char *hk_text = t->record[0] ? web_param(rq, "holder_key") : NULL;
	const char *review_token = t->record[0] ? web_param(rq, REVIEW_FIELD) : NULL;
	bool hk_bad = false;
	if (sign && t->record[0]) {
		bool gone = hk_text && *hk_text; /* a key only at review, never posted to sign */
		if (review_token && *review_token) {
			if (web_held_key_take(rq, t->record, review_token, hk) == PHR_OK)
				have_hk = true;
			else
				gone = true;
		}
		if (gone) {
			rc = token_refused_page(rq, rs, t, values, errors, doc_msg[0] ? doc_msg : NULL);
			goto out;
		}
	} else if (hk_text && *hk_text) {
		if (phr_holder_key_parse(hk_text, strlen(hk_text), hk) == PHR_OK)
			have_hk = true;
		else
			hk_bad = true;
	}
	if (errors || doc_msg[0] || hk_bad) {
		rc = form_page(rq, rs, t, values, errors, doc_msg[0] ? doc_msg : NULL,
			       hk_bad ? L(rq, "web.forms.holder_key_bad", "Holder key: not a holder key") : NULL, false, 422);
		goto out;
	}
	if (!sign) {
		/* the key is checked at review as at signing, so that the page to
		 * check does not pass a key signing will refuse */
		rc = have_hk ? web_holder_key_check(rq, t->record, hk) : PHR_OK;
		if (key_refused(rc)) {
			rc = key_refused_page(rq, rs, t, values);
			goto out;
		}
		char token[WEB_TOKEN_HEX + 1] = "";
		/* a review done again (reload, a second review) replaces the kept key */
		if (rc == PHR_OK && have_hk)
			rc = web_held_key_put(rq, t->record, hk, token);
		if (rc == PHR_OK)
			rc = review_page(rq, rs, t, entry, fs, n, &d, have_hk ? token : NULL);
		goto out;
	}
	if (d.present && (rc = add_doc(entry, &d)))
		goto out;
	uint8_t *cbor = NULL;
	size_t len = 0;
	if ((rc = phr_entry_encode_json(entry, &cbor, &len)))
		goto out;
	/* a new record gets a new holder key; a follow-up is sealed under the
	 * one typed, else signed unsealed (as phr extend without --holder-key) */
	char id[33], hk_shown[PHR_HOLDER_KEY_TEXT_LEN] = "";
	if (!t->record[0]) {
		if ((rc = phr_holder_key_generate(hk))) {
			free(cbor);
			goto out;
		}
		have_hk = true;
		phr_holder_key_format(hk, hk_shown);
	}
	rc = web_sign_sealed(rq, t->record[0] ? t->record : NULL, cbor, len, have_hk ? hk : NULL,
			     phr_seal_default_sections(), id);
	free(cbor);
	if (t->record[0] && have_hk && key_refused(rc)) {
		rc = key_refused_page(rq, rs, t, values);
		goto out;
	}
	if (rc)
		goto out;
	rc = signed_page(rq, rs, t, id, hk_shown[0] ? hk_shown : NULL, !have_hk);
	sodium_memzero(hk_shown, sizeof(hk_shown));
out:
	sodium_memzero(hk, sizeof(hk));
	json_decref(entry);
	json_decref(errors);
	json_decref(values);
	free(fs);
	return rc;
}

/* ---- /assess (and /assessment, the menu's address) ---- */

static void assess_target(struct web_request *rq, struct target *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = "assessment";
	snprintf(t->action, sizeof(t->action), "%s", rq->path);
	snprintf(t->draft, sizeof(t->draft), "assessment");
}

static int assess_get(struct web_request *rq, struct web_response *rs)
{
	struct target t;
	assess_target(rq, &t);
	return show_new_form(rq, rs, &t);
}

static int assess_post(struct web_request *rq, struct web_response *rs)
{
	struct target t;
	assess_target(rq, &t);
	return handle_post(rq, rs, &t);
}

/* ---- /record/ID/followup ---- */

/* 1 when path is "/record/<32 hex>/followup", the id copied. */
static int followup_path(const char *path, char id[33])
{
	static const char pre[] = "/record/", post[] = "/followup";
	size_t n = strlen(path);
	if (strncmp(path, pre, sizeof(pre) - 1) != 0 || n != sizeof(pre) - 1 + 32 + sizeof(post) - 1 ||
	    strcmp(path + n - (sizeof(post) - 1), post) != 0)
		return 0;
	const char *h = path + sizeof(pre) - 1;
	for (int i = 0; i < 32; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	memcpy(id, h, 32);
	id[32] = '\0';
	return 1;
}

/* Another module's route for this path (this table comes first so that
 * /record/ID/followup is ours; every other /record/ address is theirs). */
static int pass_on(struct web_request *rq, struct web_response *rs)
{
	const char *method = strcmp(rq->method, "HEAD") ? rq->method : "GET";
	for (size_t t = 0; web_route_tables[t]; t++) {
		if (web_route_tables[t] == web_forms_routes)
			continue;
		for (const struct web_route *r = web_route_tables[t]; r->path; r++) {
			bool match = (r->flags & WEB_PREFIX) ? !strncmp(rq->path, r->path, strlen(r->path))
							     : !strcmp(rq->path, r->path);
			if (!match || strcmp(r->method, method))
				continue;
			if (r->role != PHR_ROLE_NONE && (!rq->user || rq->user->role < r->role))
				return web_error(rq, rs, 403,
						 L(rq, "ui.web.err_role",
						   "Your role does not allow this. Ask a clinician or an administrator."));
			return r->fn(rq, rs);
		}
	}
	return web_error(rq, rs, 404, L(rq, "ui.web.err_not_found", "There is no such page."));
}

static int followup(struct web_request *rq, struct web_response *rs)
{
	struct target t;
	memset(&t, 0, sizeof(t));
	if (!followup_path(rq->path, t.record))
		return pass_on(rq, rs);
	/* the route lets clerks in for the other /record/ pages: signing is a clinician's */
	if (!rq->user || rq->user->role < PHR_ROLE_CLINICIAN)
		return web_error(rq, rs, 403,
				 L(rq, "ui.web.err_role", "Your role does not allow this. Ask a clinician or an administrator."));
	const char *k = web_param(rq, "kind");
	t.kind = k && phr_web_form_kind_known(k) && strcmp(k, "assessment") ? k : "followup-vaccination";
	/* the static name, not the request's string */
	for (size_t i = 0; phr_web_form_kind(i); i++)
		if (!strcmp(phr_web_form_kind(i), t.kind))
			t.kind = phr_web_form_kind(i);
	/* a record the register holds, or no form */
	struct phr_register *reg = web_register(rq);
	uint8_t rid[PHR_RECORD_ID_LEN];
	if (!reg)
		return PHR_E_DB;
	int rc = phr_register_resolve(reg, t.record, rid);
	if (rc == PHR_E_NOT_STORED || rc == PHR_E_AMBIGUOUS || rc == PHR_E_ARG)
		return web_error(rq, rs, 404, phr_last_error());
	if (rc)
		return rc;
	snprintf(t.action, sizeof(t.action), "/record/%s/followup", t.record);
	snprintf(t.draft, sizeof(t.draft), "followup:%s:%s", t.record, t.kind);
	if (!strcmp(rq->method, "POST"))
		return handle_post(rq, rs, &t);
	return show_new_form(rq, rs, &t);
}

/* /followup?record=HEX (the record page's button) -> /record/HEX/followup */
static int followup_link(struct web_request *rq, struct web_response *rs)
{
	const char *rec = web_param(rq, "record");
	char path[128], id[33];
	snprintf(path, sizeof(path), "/record/%.32s/followup", rec ? rec : "");
	if (!rec || strlen(rec) != 32 || !followup_path(path, id))
		return web_error(rq, rs, 404, L(rq, "ui.web.err_not_found", "There is no such page."));
	return web_redirect(rs, path);
}

const struct web_route web_forms_routes[] = {
	{ "GET", "/followup", PHR_ROLE_CLINICIAN, 0, followup_link },
	{ "GET", "/assess", PHR_ROLE_CLINICIAN, 0, assess_get },
	{ "POST", "/assess", PHR_ROLE_CLINICIAN, 0, assess_post },
	{ "GET", "/assessment", PHR_ROLE_CLINICIAN, 0, assess_get },
	{ "POST", "/assessment", PHR_ROLE_CLINICIAN, 0, assess_post },
	{ "GET", "/forms/form.js", PHR_ROLE_NONE, 0, asset_js },
	{ "GET", "/forms/form.css", PHR_ROLE_NONE, 0, asset_css },
	{ "GET", "/record/", PHR_ROLE_CLERK, WEB_PREFIX, followup },
	{ "POST", "/record/", PHR_ROLE_CLERK, WEB_PREFIX, followup },
	{ 0 },
};
