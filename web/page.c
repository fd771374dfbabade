/* phr serve: the page layout, escaping and the simple responses (web/web.h). */
#include "web.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "phr/labels.h"

const char *web_label_nums(const struct web_request *rq, const char *id, const char *fallback, char *out, size_t cap,
			   int n, ...)
{
	const char *t = web_label(rq, id, fallback);
	va_list ap;
	va_start(ap, n);
	size_t o = 0;
	int used = 0;
	if (!cap)
		return out;
	for (; *t && o + 1 < cap; t++) {
		if (t[0] == '%' && t[1] == 'd' && used < n) {
			long v = va_arg(ap, long);
			used++;
			int k = snprintf(out + o, cap - o, "%ld", v);
			if (k < 0 || (size_t)k >= cap - o)
				break;
			o += (size_t)k;
			t++;
			continue;
		}
		out[o++] = *t;
	}
	out[o] = '\0';
	va_end(ap);
	return out;
}

void web_htmlf(FILE *f, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	web_html(f, buf);
}

void web_csrf_field(FILE *f, const struct web_request *rq)
{
	fputs("<input type=\"hidden\" name=\"csrf\" value=\"", f);
	if (rq->user)
		web_html(f, rq->user->csrf);
	fputs("\">", f);
}

/* The menu: path, label id, English, least role. Pages of other modules
 * (web/form.c: /assessment) are listed here too. */
static const struct {
	const char *path, *label, *english;
	int role;
} menu[] = {
	{ "/scan", "ui.web.menu_scan", "Scan", PHR_ROLE_CLERK },
	{ "/search", "ui.web.menu_search", "Search", PHR_ROLE_CLERK },
	{ "/card", "ui.web.menu_card", "Card", PHR_ROLE_CLERK },
	{ "/assessment", "ui.web.menu_assessment", "New assessment", PHR_ROLE_CLINICIAN },
	{ "/reports", "ui.web.menu_reports", "Reports", PHR_ROLE_CLERK },
	{ "/trust", "ui.web.menu_trust", "Trust", PHR_ROLE_CLERK },
	{ "/users", "ui.web.menu_users", "Staff", PHR_ROLE_ADMIN },
};

FILE *web_page_begin(struct web_request *rq, struct web_response *rs, const char *title)
{
	free(rs->body);
	rs->body = NULL;
	rs->len = 0;
	FILE *f = open_memstream(&rs->body, &rs->len);
	if (!f)
		return NULL;
	rs->page = f;
	fprintf(f, "<!doctype html>\n<html lang=\"%s\" dir=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
		rq->lang, rq->rtl ? "rtl" : "ltr");
	web_html(f, title);
	fputs(" — phr</title>\n<link rel=\"stylesheet\" href=\"/assets/app.css\">\n"
	      "<script src=\"/assets/app.js\" defer></script>\n</head>\n<body>\n<header>\n", f);
	fputs("<div class=\"brand\"><a href=\"/\">", f);
	web_html(f, web_label(rq, "ui.title", "Personal Health Record"));
	fputs("</a> <bdi class=\"clinic\">", f);
	web_html(f, web_clinic_name(rq));
	fputs("</bdi></div>\n", f);
	if (rq->user) {
		fputs("<nav>", f);
		for (size_t i = 0; i < sizeof(menu) / sizeof(menu[0]); i++) {
			if (rq->user->role < menu[i].role)
				continue;
			bool here = !strncmp(rq->path, menu[i].path, strlen(menu[i].path));
			fprintf(f, "<a href=\"%s\"%s>", menu[i].path, here ? " aria-current=\"page\"" : "");
			web_html(f, web_label(rq, menu[i].label, menu[i].english));
			fputs("</a>", f);
		}
		fputs("</nav>\n<div class=\"who\"><bdi id=\"user\">", f);
		web_html(f, rq->user->name);
		fputs("</bdi> (", f);
		char id[40];
		snprintf(id, sizeof(id), "ui.web.role_%s", phr_role_name(rq->user->role));
		web_html(f, web_label(rq, id, phr_role_name(rq->user->role)));
		fputs(")<form method=\"post\" action=\"/logout\" class=\"inline\">", f);
		web_csrf_field(f, rq);
		fputs("<button type=\"submit\" id=\"logout\">", f);
		web_html(f, web_label(rq, "ui.web.logout", "Sign out"));
		fputs("</button></form></div>\n", f);
	}
	/* the language chooser: a plain GET form (app.js submits it on change) */
	fputs("<form method=\"get\" class=\"lang\"><label>", f);
	web_html(f, web_label(rq, "ui.web.language", "Language"));
	fputs(" <select name=\"lang\" id=\"lang\">", f);
	for (size_t i = 0; i < phr_label_lang_count(); i++) {
		const char *l = phr_label_lang_at(i);
		char id[16];
		snprintf(id, sizeof(id), "lang.%s", l);
		fprintf(f, "<option value=\"%s\"%s>", l, strcmp(l, rq->lang) ? "" : " selected");
		web_html(f, phr_label_or(l, id, l));
		fputs("</option>", f);
	}
	fputs("</select></label> <button type=\"submit\">OK</button></form>\n</header>\n<main>\n<h1>", f);
	web_html(f, title);
	fputs("</h1>\n", f);
	return f;
}

int web_page_end(struct web_request *rq, struct web_response *rs)
{
	(void)rq;
	FILE *f = rs->page;
	if (!f)
		return phr_fail(PHR_E_ARG, "web_page_end without web_page_begin");
	fputs("</main>\n</body>\n</html>\n", f);
	rs->page = NULL;
	if (fclose(f) != 0 || !rs->body)
		return phr_fail(PHR_E_NOMEM, "out of memory writing a page");
	if (!rs->content_type)
		rs->content_type = "text/html; charset=utf-8";
	return PHR_OK;
}

int web_error(struct web_request *rq, struct web_response *rs, int status, const char *text)
{
	const char *title = web_label(rq, "ui.web.error", "Something went wrong");
	FILE *f = web_page_begin(rq, rs, title);
	if (!f)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	fputs("<p class=\"error\" role=\"alert\" id=\"error\">", f);
	web_html(f, text);
	fputs("</p>\n", f);
	if (status == 401) {
		fputs("<p><a href=\"/login\">", f);
		web_html(f, web_label(rq, "ui.web.login", "Sign in"));
		fputs("</a></p>\n", f);
	}
	rs->status = status;
	return web_page_end(rq, rs);
}

int web_redirect(struct web_response *rs, const char *path)
{
	if (!path || path[0] != '/' || path[1] == '/' || path[1] == '\\' || strpbrk(path, "\r\n"))
		path = "/";
	free(rs->body);
	rs->body = NULL;
	rs->len = 0;
	rs->status = 303;
	snprintf(rs->location, sizeof(rs->location), "%s", path);
	rs->content_type = "text/plain; charset=utf-8";
	return PHR_OK;
}

int web_bytes(struct web_response *rs, const char *content_type, const char *filename, const void *data, size_t len)
{
	free(rs->body);
	rs->body = malloc(len ? len : 1);
	if (!rs->body)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	memcpy(rs->body, data, len);
	rs->len = len;
	rs->content_type = content_type;
	if (filename) {
		char safe[128];
		size_t o = 0;
		for (size_t i = 0; filename[i] && o + 1 < sizeof(safe); i++) {
			unsigned char c = (unsigned char)filename[i];
			safe[o++] = (isalnum(c) || c == '.' || c == '-' || c == '_') ? (char)c : '_';
		}
		safe[o] = '\0';
		snprintf(rs->disposition, sizeof(rs->disposition), "attachment; filename=\"%s\"", safe);
	}
	return PHR_OK;
}
