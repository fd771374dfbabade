/* phr serve: Staff (accounts, admins only), Trust (the bundle in use, its
 * age; admins import a new one) and Reports (the register's indicators). */
#include "web.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phr/crypto.h"
#include "phr/json.h"
#include "phr/labels.h"
#include "phr/render.h"
#include "report.h"
#include "web_private.h"

static const char *L(const struct web_request *rq, const char *id, const char *en)
{
	return web_label(rq, id, en);
}

static void message(FILE *f, const char *cls, const char *text)
{
	fprintf(f, "<p class=\"%s\" id=\"message\" role=\"status\">", cls);
	web_html(f, text);
	fputs("</p>\n", f);
}

/* ---- Staff ---------------------------------------------------------------- */

static const char *role_label(const struct web_request *rq, int role)
{
	char id[40];
	snprintf(id, sizeof(id), "ui.web.role_%s", phr_role_name(role));
	return L(rq, id, phr_role_name(role));
}

static void role_select(const struct web_request *rq, FILE *f, const char *name, int selected)
{
	fprintf(f, "<select name=\"%s\">", name);
	for (int r = PHR_ROLE_CLERK; r <= PHR_ROLE_ADMIN; r++) {
		fprintf(f, "<option value=\"%s\"%s>", phr_role_name(r), r == selected ? " selected" : "");
		web_html(f, role_label(rq, r));
		fputs("</option>", f);
	}
	fputs("</select>", f);
}

struct users_ctx {
	struct web_request *rq;
	FILE *f;
};

static int user_row(void *ctx, const struct phr_register_user *u)
{
	struct users_ctx *x = ctx;
	FILE *f = x->f;
	char when[21];
	phr_format_time((uint64_t)u->created, when);
	fputs("<tr><td class=\"user-name\">", f);
	web_html(f, u->name);
	fputs("</td><td>", f);
	fputs("<form method=\"post\" action=\"/users\" class=\"inline\">", f);
	web_csrf_field(f, x->rq);
	fputs("<input type=\"hidden\" name=\"name\" value=\"", f);
	web_html(f, u->name);
	fputs("\"><input type=\"hidden\" name=\"action\" value=\"role\">", f);
	role_select(x->rq, f, "role", u->role);
	fputs(" <button type=\"submit\" class=\"secondary\">OK</button></form></td><td>", f);
	web_html(f, when);
	fputs("</td><td>", f);
	web_html(f, u->disabled ? L(x->rq, "ui.web.user_disabled", "disabled") : L(x->rq, "ui.web.user_active", "active"));
	fputs(" <form method=\"post\" action=\"/users\" class=\"inline\">", f);
	web_csrf_field(f, x->rq);
	fputs("<input type=\"hidden\" name=\"name\" value=\"", f);
	web_html(f, u->name);
	fprintf(f, "\"><input type=\"hidden\" name=\"action\" value=\"%s\"><button type=\"submit\" class=\"secondary\">",
		u->disabled ? "enable" : "disable");
	web_html(f, u->disabled ? L(x->rq, "ui.web.user_enable", "Enable") : L(x->rq, "ui.web.user_disable", "Disable"));
	fputs("</button></form></td></tr>\n", f);
	return 0;
}

static int users_page(struct web_request *rq, struct web_response *rs, const char *cls, const char *msg, int status)
{
	struct phr_register *reg = web_register(rq);
	if (!reg)
		return PHR_E_DB;
	FILE *f = web_page_begin(rq, rs, L(rq, "ui.web.users_title", "Staff accounts"));
	if (!f)
		return PHR_E_NOMEM;
	if (msg)
		message(f, cls, msg);
	fputs("<table id=\"users\"><tr><th>", f);
	web_html(f, L(rq, "ui.web.user_name", "Name"));
	fputs("</th><th>", f);
	web_html(f, L(rq, "ui.web.user_role", "Role"));
	fputs("</th><th>", f);
	web_html(f, L(rq, "ui.web.user_created", "Created"));
	fputs("</th><th>", f);
	web_html(f, L(rq, "ui.web.user_state", "State"));
	fputs("</th></tr>\n", f);
	struct users_ctx x = { rq, f };
	int rc = phr_register_user_each(reg, user_row, &x);
	if (rc)
		return rc;
	fputs("</table>\n<h2>", f);
	web_html(f, L(rq, "ui.web.user_add", "Add an account"));
	fputs("</h2>\n<form method=\"post\" action=\"/users\" class=\"card\" id=\"user-add\">", f);
	web_csrf_field(f, rq);
	fputs("<input type=\"hidden\" name=\"action\" value=\"add\"><label>", f);
	web_html(f, L(rq, "ui.web.user_name", "Name"));
	fputs(" <input name=\"name\" id=\"new-name\" required maxlength=\"64\"></label><label>", f);
	web_html(f, L(rq, "ui.web.user_role", "Role"));
	fputs(" ", f);
	role_select(rq, f, "role", PHR_ROLE_CLERK);
	fputs("</label><label>", f);
	web_html(f, L(rq, "ui.web.password_new", "Password (at least 10 characters)"));
	fputs(" <input type=\"password\" name=\"password\" id=\"new-password\" autocomplete=\"new-password\" required "
	      "minlength=\"10\"></label><button type=\"submit\" id=\"user-add-go\">", f);
	web_html(f, L(rq, "ui.web.user_add", "Add an account"));
	fputs("</button></form>\n", f);
	rs->status = status;
	return web_page_end(rq, rs);
}

static int users_get(struct web_request *rq, struct web_response *rs)
{
	return users_page(rq, rs, NULL, NULL, 200);
}

static int users_post(struct web_request *rq, struct web_response *rs)
{
	struct phr_register *reg = web_register(rq);
	const char *action = web_param(rq, "action"), *name = web_param(rq, "name");
	int rc;
	if (!reg)
		return PHR_E_DB;
	if (!action || !name)
		return web_error(rq, rs, 400, L(rq, "ui.web.err_body", "The form could not be read."));
	phr_clear_error();
	if (!strcmp(action, "add")) {
		const char *pw = web_param(rq, "password");
		rc = phr_register_user_add(reg, name, phr_role_parse(web_param(rq, "role")), pw, pw ? strlen(pw) : 0);
	} else if (!strcmp(action, "role")) {
		int role = phr_role_parse(web_param(rq, "role"));
		rc = role ? phr_register_user_set(reg, name, role, NULL, 0, -1)
			  : phr_fail(PHR_E_ARG, "a role is clerk, clinician or admin");
	} else if (!strcmp(action, "disable") || !strcmp(action, "enable")) {
		/* an administrator does not lock herself out */
		if (!strcmp(action, "disable") && !strcmp(name, rq->user->name))
			rc = phr_fail(PHR_E_ARG, "you cannot disable your own account");
		else
			rc = phr_register_user_set(reg, name, PHR_ROLE_NONE, NULL, 0, !strcmp(action, "disable"));
	} else {
		return web_error(rq, rs, 400, L(rq, "ui.web.err_body", "The form could not be read."));
	}
	if (rc == PHR_E_ARG || rc == PHR_E_USER_EXISTS || rc == PHR_E_NOT_FOUND)
		return users_page(rq, rs, "error", phr_last_error(), rc == PHR_E_NOT_FOUND ? 404 : 400);
	if (rc)
		return rc;
	if (strcmp(action, "add")) /* a changed role or a disabled account holds from the next request */
		web_sessions_end_user(rq->srv, name);
	return users_page(rq, rs, "ok",
			  !strcmp(action, "add") ? L(rq, "ui.web.user_added", "Account added.")
						 : L(rq, "ui.web.user_changed", "Account changed."),
			  200);
}

/* ---- Trust ---------------------------------------------------------------- */

static int trust_page(struct web_request *rq, struct web_response *rs, const char *cls, const char *msg, int status)
{
	const struct phr_trust *t = web_trust(rq);
	FILE *f = web_page_begin(rq, rs, L(rq, "ui.web.trust_title", "Trust bundle"));
	char when[21], buf[300];
	if (!f)
		return PHR_E_NOMEM;
	if (msg)
		message(f, cls, msg);
	uint64_t now = web_now(rq), issued = phr_trust_issued(t), expires = phr_trust_expires(t);
	long age = now > issued ? (long)((now - issued) / 86400) : 0;
	fputs("<table class=\"card\" id=\"trust\">\n<tr><th>", f);
	web_html(f, L(rq, "ui.web.trust_version", "Version"));
	fprintf(f, "</th><td id=\"trust-version\">%llu</td></tr>\n<tr><th>", (unsigned long long)phr_trust_version(t));
	web_html(f, L(rq, "ui.web.trust_issued", "Signed on"));
	phr_format_time(issued, when);
	fputs("</th><td>", f);
	web_html(f, when);
	fputs("</td></tr>\n<tr><th>", f);
	web_html(f, L(rq, "ui.web.trust_expires", "Expires"));
	phr_format_time(expires, when);
	fputs("</th><td>", f);
	web_html(f, when);
	fputs("</td></tr>\n<tr><td colspan=\"2\" id=\"trust-age\">", f);
	web_html(f, web_label_nums(rq, "ui.web.trust_age", "Age in days: %d", buf, sizeof(buf), 1, age));
	fputs("</td></tr>\n<tr><td colspan=\"2\">", f);
	web_html(f, web_label_nums(rq, "ui.web.trust_counts", "Authorities: %d, clinics: %d, revoked keys: %d", buf,
				   sizeof(buf), 3, (long)phr_trust_count_authorities(t), (long)phr_trust_count_certs(t),
				   (long)phr_trust_count_revoked(t)));
	fputs("</td></tr>\n</table>\n", f);
	if (age > (long)web_trust_warn_days(rq) || now >= expires) {
		fputs("<p class=\"warn\" id=\"trust-warning\">", f);
		web_html(f, web_label_nums(rq, "ui.web.trust_old",
					   "The trust bundle is %d days old: ask the health authority for a new one.", buf,
					   sizeof(buf), 1, age));
		fputs("</p>\n", f);
	}
	struct web_sync_status ss;
	if (web_sync_status(rq, &ss)) {
		/* phr serve --hub: the background sync's last round and the outbox */
		char last[21] = "-";
		if (ss.last_ok)
			phr_format_time(ss.last_ok, last);
		fputs("<p id=\"sync-status\">", f);
		web_html(f, L(rq, "ui.web.sync_hub", "Sync with the hub"));
		fputs(" <span id=\"sync-hub\">", f);
		web_html(f, ss.hub);
		fputs("</span>: ", f);
		web_html(f, L(rq, "ui.web.sync_last", "last sync"));
		fputs(" <span id=\"sync-last\">", f);
		web_html(f, last);
		fputs("</span>; ", f);
		web_html(f, L(rq, "ui.web.sync_outbox", "outbox"));
		fprintf(f, " <span id=\"sync-outbox\">%zu</span></p>\n", ss.outbox);
		if (ss.error[0]) {
			fputs("<p class=\"warn\" id=\"sync-error\">", f);
			web_html(f, ss.error);
			fputs("</p>\n", f);
		}
	}
	if (rq->user->role >= PHR_ROLE_ADMIN) {
		fputs("<h2>", f);
		web_html(f, L(rq, "ui.web.trust_import", "Import a new bundle"));
		fputs("</h2>\n<form method=\"post\" action=\"/trust\" enctype=\"multipart/form-data\" class=\"card\" "
		      "id=\"trust-form\">",
		      f);
		web_csrf_field(f, rq);
		fputs("<label>", f);
		web_html(f, L(rq, "ui.web.trust_file", "Bundle file"));
		fputs(" <input type=\"file\" name=\"bundle\" id=\"bundle\" required></label><button type=\"submit\" "
		      "id=\"trust-go\">",
		      f);
		web_html(f, L(rq, "ui.web.trust_import", "Import a new bundle"));
		fputs("</button></form>\n", f);
	}
	rs->status = status;
	return web_page_end(rq, rs);
}

static int trust_get(struct web_request *rq, struct web_response *rs)
{
	return trust_page(rq, rs, NULL, NULL, 200);
}

static int trust_post(struct web_request *rq, struct web_response *rs)
{
	const struct web_upload *up = NULL;
	char msg[PHR_ERRMSG_MAX + 100];
	for (size_t i = 0; i < rq->n_uploads; i++)
		if (!strcmp(rq->uploads[i].field, "bundle"))
			up = &rq->uploads[i];
	if (!up || !up->len)
		return trust_page(rq, rs, "error", L(rq, "ui.web.err_body", "The form could not be read."), 400);
	phr_clear_error();
	int rc = web_trust_import(rq, up->data, up->len);
	if (rc == PHR_OK) {
		struct phr_register *reg = web_register(rq);
		char detail[80];
		snprintf(detail, sizeof(detail), "trust bundle version %llu imported (web)",
			 (unsigned long long)phr_trust_version(web_trust(rq)));
		if (reg && (rc = phr_register_audit_log(reg, "trust", NULL, detail)))
			return rc;
		return trust_page(rq, rs, "ok", L(rq, "ui.web.trust_imported", "The new bundle was checked and is in use."),
				  200);
	}
	if (rc == PHR_E_NOMEM)
		return rc;
	snprintf(msg, sizeof(msg), "%s %s", L(rq, "ui.web.trust_refused", "The bundle was refused:"),
		 *phr_last_error() ? phr_last_error() : phr_strerror(rc));
	return trust_page(rq, rs, "error", msg, 400);
}

/* ---- Reports ------------------------------------------------------------- */

static int parse_day(const char *s, int64_t *out)
{
	int y, m, d;
	char tail;
	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
	    d > 31 || y < 1900)
		return -1;
	int64_t day = phr_days_from_civil(y, m, d);
	int yy, mm, dd;
	phr_civil_from_days(day, &yy, &mm, &dd);
	if (yy != y || mm != m || dd != d)
		return -1;
	*out = day;
	return 0;
}

static int mem_write(void *ctx, const uint8_t *data, size_t len)
{
	return fwrite(data, 1, len, ctx) == len ? PHR_OK : phr_fail(PHR_E_NOMEM, "out of memory");
}

static const struct {
	const char *value, *label, *en;
} groups[] = {
	{ "nationality", "ui.web.rep_g_nationality", "nationality" },
	{ "age-band", "ui.web.rep_g_age_band", "age band" },
	{ "sex", "ui.web.rep_g_sex", "sex" },
	{ "clinic", "ui.web.rep_g_clinic", "clinic" },
	{ "host-country", "ui.web.rep_g_host_country", "host country" },
};

static void report_form(struct web_request *rq, FILE *f, const char *from, const char *to, const char *by,
			const char *group)
{
	fputs("<form method=\"get\" action=\"/reports\" class=\"card\" id=\"report-form\"><div class=\"grid\"><label>", f);
	web_html(f, L(rq, "ui.web.rep_from", "From"));
	fputs(" <input type=\"date\" name=\"from\" id=\"from\" required value=\"", f);
	web_html(f, from);
	fputs("\"></label><label>", f);
	web_html(f, L(rq, "ui.web.rep_to", "To"));
	fputs(" <input type=\"date\" name=\"to\" id=\"to\" required value=\"", f);
	web_html(f, to);
	fputs("\"></label><label>", f);
	web_html(f, L(rq, "ui.web.rep_by", "Per"));
	fputs(" <select name=\"by\" id=\"by\">", f);
	fprintf(f, "<option value=\"month\"%s>", by && !strcmp(by, "week") ? "" : " selected");
	web_html(f, L(rq, "ui.web.rep_month", "month"));
	fprintf(f, "</option><option value=\"week\"%s>", by && !strcmp(by, "week") ? " selected" : "");
	web_html(f, L(rq, "ui.web.rep_week", "week"));
	fputs("</option></select></label><label>", f);
	web_html(f, L(rq, "ui.web.rep_group", "Grouped by"));
	fputs(" <select name=\"group\" id=\"group\">", f);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		fprintf(f, "<option value=\"%s\"%s>", groups[i].value,
			group && !strcmp(group, groups[i].value) ? " selected" : "");
		web_html(f, L(rq, groups[i].label, groups[i].en));
		fputs("</option>", f);
	}
	fputs("</select></label></div><button type=\"submit\" name=\"format\" value=\"text\" id=\"report-show\">", f);
	web_html(f, L(rq, "ui.web.rep_show", "Show"));
	fputs("</button> <button type=\"submit\" name=\"format\" value=\"csv\" class=\"secondary\" id=\"report-csv\">", f);
	web_html(f, L(rq, "ui.web.rep_csv", "Download CSV"));
	fputs("</button> <button type=\"submit\" name=\"format\" value=\"pdf\" class=\"secondary\" id=\"report-pdf\">", f);
	web_html(f, L(rq, "ui.web.rep_pdf", "Download PDF"));
	fputs("</button></form>\n", f);
}

/* The report's headline indicators drawn on the page, as the PDF draws
 * them (print/report_pdf.c): a bar per indicator over the whole period and
 * a line per indicator across the weeks or months. The numbers are the
 * report's own, already suppressed: a hidden cell is drawn as a hatched
 * bar labelled with the suppressed text, or a gap in its line, never at
 * its value. Bars are HTML (the browser shapes the labels and lays them
 * out right to left in Arabic and Farsi); lines are an inline SVG. */
#define CHART_COLOURS 6
static const char *const chart_colour[CHART_COLOURS] = { "#1f6feb", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#5f3dc4" };

static void report_charts(struct web_request *rq, FILE *f, struct phr_report *rep)
{
	const struct phr_report_doc *d;
	if (phr_report_doc(rep, &d) || d->n_cols < 1)
		return;
	size_t whole = d->n_cols - 1, n_buckets = d->n_cols - 1, shown = 0;
	int64_t max = 1;
	for (size_t t = 0; t < d->n_tables; t++) {
		const struct phr_report_table *tb = &d->tables[t];
		if (!tb->chart)
			continue;
		const int64_t *total = tb->cells + tb->n_rows * d->n_cols;
		for (size_t c = 0; c < n_buckets; c++) /* the lines: weeks or months, not the whole period */
			if (total[c] > max)
				max = total[c];
		shown++;
	}
	if (!shown)
		return;
	fputs("<section class=\"card\" id=\"report-charts\"><h2>", f);
	web_html(f, d->chart_bars_title);
	fputs("</h2>\n<svg width=\"0\" height=\"0\" aria-hidden=\"true\"><defs><pattern id=\"hatch\" width=\"3\" height=\"3\" "
	      "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"1.5\" height=\"3\" fill=\"#888\"/>"
	      "</pattern></defs></svg>\n<div class=\"bars\">\n", f);
	int64_t max_whole = 1;
	for (size_t t = 0; t < d->n_tables; t++)
		if (d->tables[t].chart && d->tables[t].cells[d->tables[t].n_rows * d->n_cols + whole] > max_whole)
			max_whole = d->tables[t].cells[d->tables[t].n_rows * d->n_cols + whole];
	size_t k = 0;
	for (size_t t = 0; t < d->n_tables; t++) {
		const struct phr_report_table *tb = &d->tables[t];
		if (!tb->chart)
			continue;
		int64_t v = tb->cells[tb->n_rows * d->n_cols + whole];
		fputs("<div class=\"bar-row\" data-id=\"", f);
		web_html(f, tb->id);
		fputs("\"><span class=\"bar-label\">", f);
		web_html(f, tb->title);
		fputs("</span><span class=\"bar-track\">", f);
		/* an inline SVG, not a style attribute: the pages' Content-Security-Policy
		 * allows no inline style; mirrored right to left */
		double len = v == PHR_REPORT_SUPPRESSED ? 8.0 : v > 0 ? 100.0 * (double)v / (double)max_whole : 0.0;
		fprintf(f, "<svg class=\"bar%s\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" aria-hidden=\"true\">"
			   "<rect x=\"%.2f\" width=\"%.2f\" height=\"10\" fill=\"%s\"/></svg><span class=\"bar-value\">",
			v == PHR_REPORT_SUPPRESSED ? " suppressed" : "", rq->rtl ? 100.0 - len : 0.0, len,
			v == PHR_REPORT_SUPPRESSED ? "url(#hatch)" : chart_colour[k % CHART_COLOURS]);
		if (v == PHR_REPORT_SUPPRESSED)
			web_html(f, d->suppressed_text);
		else
			fprintf(f, "%lld", (long long)v);
		fputs("</span></span></div>\n", f);
		k++;
	}
	fputs("</div>\n", f);
	if (n_buckets >= 2) {
		const double w = 680, h = 220, pad = 34;
		fputs("<h2>", f);
		web_html(f, d->chart_lines_title);
		fprintf(f, "</h2>\n<svg class=\"lines\" dir=\"ltr\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n", w, h + pad);
		fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#888\"/>\n", pad, h, w - 4, h);
		fprintf(f, "<text x=\"%.0f\" y=\"12\" font-size=\"11\" direction=\"ltr\" text-anchor=\"end\">%lld</text>"
			   "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" direction=\"ltr\" text-anchor=\"end\">0</text>\n",
			pad - 4, (long long)max, pad - 4, h);
		for (size_t c = 0; c < n_buckets; c++) {
			double x = pad + (w - pad - 40) * (double)c / (double)(n_buckets - 1);
			if (n_buckets <= 13 || c % ((n_buckets + 12) / 13) == 0) {
				fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" direction=\"ltr\" text-anchor=\"middle\">", x, h + 16);
				web_html(f, d->col_labels[c]);
				fputs("</text>\n", f);
			}
		}
		k = 0;
		for (size_t t = 0; t < d->n_tables; t++) {
			const struct phr_report_table *tb = &d->tables[t];
			if (!tb->chart)
				continue;
			const int64_t *total = tb->cells + tb->n_rows * d->n_cols;
			bool open = false;
			for (size_t c = 0; c < n_buckets; c++) {
				if (total[c] == PHR_REPORT_SUPPRESSED) { /* a gap, never the hidden value */
					if (open)
						fputs("\"/>\n", f);
					open = false;
					continue;
				}
				double x = pad + (w - pad - 40) * (double)c / (double)(n_buckets - 1);
				double y = h - (h - 8) * (double)total[c] / (double)max;
				if (!open)
					fprintf(f, "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"%s\" points=\"",
						chart_colour[k % CHART_COLOURS]);
				fprintf(f, "%s%.1f,%.1f", open ? " " : "", x, y);
				open = true;
			}
			if (open)
				fputs("\"/>\n", f);
			k++;
		}
		fputs("</svg>\n<ul class=\"legend\">", f);
		k = 0;
		for (size_t t = 0; t < d->n_tables; t++) {
			if (!d->tables[t].chart)
				continue;
			fprintf(f, "<li><svg class=\"swatch\" viewBox=\"0 0 10 10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" "
				   "fill=\"%s\"/></svg>", chart_colour[k++ % CHART_COLOURS]);
			web_html(f, d->tables[t].title);
			fputs("</li>", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("<p class=\"hint\">", f);
	web_html(f, d->note);
	fputs("</p></section>\n", f);
	(void)rq;
}

static int reports_get(struct web_request *rq, struct web_response *rs)
{
	const char *from = web_param(rq, "from"), *to = web_param(rq, "to"), *by = web_param(rq, "by");
	const char *group = web_param(rq, "group"), *format = web_param(rq, "format");
	struct phr_report_options o = { .by = PHR_REPORT_BY_MONTH, .group = PHR_REPORT_GROUP_NATIONALITY,
					.min_cell = PHR_REPORT_MIN_CELL, .lang = rq->lang, .now = web_now(rq) };
	struct phr_report *rep = NULL;
	char *out = NULL;
	size_t out_len = 0;
	FILE *m = NULL, *f;
	int rc, fmt = -1;
	bool asked = format != NULL;
	bool dates_ok = from && to && !parse_day(from, &o.from_day) && !parse_day(to, &o.to_day) &&
			o.from_day <= o.to_day;
	if (asked && dates_ok) {
		if (by && (o.by = phr_report_by_parse(by)) < 0)
			o.by = PHR_REPORT_BY_MONTH;
		if (group && (o.group = phr_report_group_parse(group)) < 0)
			o.group = PHR_REPORT_GROUP_NATIONALITY;
		fmt = phr_report_format_parse(format);
		if (fmt != PHR_REPORT_CSV && fmt != PHR_REPORT_PDF)
			fmt = PHR_REPORT_TEXT;
		struct phr_register *reg = web_register(rq);
		char detail[160];
		snprintf(detail, sizeof(detail), "%s..%s by %s, group %s (web)", from, to,
			 o.by == PHR_REPORT_BY_WEEK ? "week" : "month", group ? group : "nationality");
		if (!reg)
			return PHR_E_DB;
		if ((rc = phr_report_create(&o, &rep)))
			goto out;
		if ((rc = phr_register_audit_log(reg, "report", NULL, detail)) ||
		    (rc = phr_register_each_facts(reg, o.from_day, o.to_day, phr_report_add_cb, rep)))
			goto out;
		if (!(m = open_memstream(&out, &out_len))) {
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = phr_report_write(rep, fmt, mem_write, m)))
			goto out;
		fclose(m);
		m = NULL;
		if (fmt != PHR_REPORT_TEXT) {
			char name[80];
			snprintf(name, sizeof(name), "report-%s-%s.%s", from, to, fmt == PHR_REPORT_CSV ? "csv" : "pdf");
			rc = web_bytes(rs, fmt == PHR_REPORT_CSV ? "text/csv; charset=utf-8" : "application/pdf", name, out,
				       out_len);
			goto out;
		}
	}
	if (!(f = web_page_begin(rq, rs, L(rq, "ui.web.menu_reports", "Reports")))) {
		rc = PHR_E_NOMEM;
		goto out;
	}
	report_form(rq, f, from, to, by, group);
	if (asked && !dates_ok)
		message(f, "error", L(rq, "ui.web.rep_dates", "Give both dates (YYYY-MM-DD), the first not after the second."));
	if (out) {
		report_charts(rq, f, rep);
		fprintf(f, "<pre class=\"view\" id=\"report\" dir=\"%s\">", rq->rtl ? "rtl" : "ltr");
		web_htmln(f, out, out_len);
		fputs("</pre>\n", f);
	}
	rc = web_page_end(rq, rs);
out:
	if (m)
		fclose(m);
	free(out);
	phr_report_destroy(rep);
	return rc;
}

const struct web_route web_admin_routes[] = {
	{ "GET", "/users", PHR_ROLE_ADMIN, 0, users_get },
	{ "POST", "/users", PHR_ROLE_ADMIN, 0, users_post },
	{ "GET", "/trust", PHR_ROLE_CLERK, 0, trust_get },
	{ "POST", "/trust", PHR_ROLE_ADMIN, 0, trust_post },
	{ "GET", "/reports", PHR_ROLE_CLERK, 0, reports_get },
	{ 0 },
};
