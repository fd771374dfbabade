/* phr serve: signing in and out, the home page, the assets, staff accounts. */
#include "web.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "web_private.h"

extern const unsigned char web_app_css[], web_app_js[];
extern const unsigned long web_app_css_len, web_app_js_len;

/* ---- assets: a fixed table, no file system path is ever built from a URL */

static int assets(struct web_request *rq, struct web_response *rs)
{
	static const struct {
		const char *path, *type;
		const unsigned char *data;
		const unsigned long *len;
	} table[] = {
		{ "/assets/app.css", "text/css; charset=utf-8", web_app_css, &web_app_css_len },
		{ "/assets/app.js", "text/javascript; charset=utf-8", web_app_js, &web_app_js_len },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(rq->path, table[i].path))
			return web_bytes(rs, table[i].type, NULL, table[i].data, *table[i].len);
	return web_error(rq, rs, 404, web_label(rq, "ui.web.err_not_found", "There is no such page."));
}

/* ---- sign in ---------------------------------------------------------- */

static int login_form(struct web_request *rq, struct web_response *rs, const char *message, int status)
{
	char token[WEB_TOKEN_HEX + 1];
	{
		uint8_t b[WEB_TOKEN_HEX / 2];
		randombytes_buf(b, sizeof(b));
		sodium_bin2hex(token, sizeof(token), b, sizeof(b));
	}
	/* double submit: the same random value in a cookie and in the form, so
	 * that another site cannot post a login (its form cannot read the cookie) */
	snprintf(rs->set_cookie[0], sizeof(rs->set_cookie[0]),
		 "phr_login=%s; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600", token);
	FILE *f = web_page_begin(rq, rs, web_label(rq, "ui.web.login", "Sign in"));
	if (!f)
		return PHR_E_NOMEM;
	if (message) {
		fputs("<p class=\"error\" role=\"alert\" id=\"error\">", f);
		web_html(f, message);
		fputs("</p>\n", f);
	}
	fputs("<form method=\"post\" action=\"/login\" class=\"card\" id=\"login-form\">\n", f);
	fprintf(f, "<input type=\"hidden\" name=\"login_token\" value=\"%s\">\n", token);
	fputs("<label>", f);
	web_html(f, web_label(rq, "ui.web.user_name", "Name"));
	fputs(" <input name=\"name\" id=\"name\" autocomplete=\"username\" required maxlength=\"64\" autofocus></label>\n<label>", f);
	web_html(f, web_label(rq, "ui.web.password", "Password"));
	fputs(" <input type=\"password\" name=\"password\" id=\"password\" autocomplete=\"current-password\" required></label>\n", f);
	fprintf(f, "<input type=\"hidden\" name=\"lang\" value=\"%s\">\n", rq->lang);
	fputs("<button type=\"submit\" id=\"login\">", f);
	web_html(f, web_label(rq, "ui.web.login", "Sign in"));
	fputs("</button>\n</form>\n", f);
	rs->status = status;
	return web_page_end(rq, rs);
}

static int login_get(struct web_request *rq, struct web_response *rs)
{
	if (rq->user)
		return web_redirect(rs, "/");
	return login_form(rq, rs, NULL, 200);
}

static int login_post(struct web_request *rq, struct web_response *rs)
{
	const char *name = web_param(rq, "name"), *password = web_param(rq, "password");
	const char *form_token = web_param(rq, "login_token"), *cookie = web_cookie(rq, "phr_login");
	if (!form_token || !cookie || strlen(form_token) != WEB_TOKEN_HEX || strlen(cookie) != WEB_TOKEN_HEX ||
	    sodium_memcmp(form_token, cookie, WEB_TOKEN_HEX))
		return login_form(rq, rs,
				  web_label(rq, "ui.web.err_csrf", "This form has expired or did not come from this application: open the page again."),
				  403);
	if (!name || !password || !*name)
		return login_form(rq, rs, web_label(rq, "ui.web.err_login", "Wrong name or password."), 401);
	unsigned wait = web_throttle_wait(rq, name);
	if (wait) {
		char msg[300];
		web_label_nums(rq, "ui.web.err_throttled", "Too many failed attempts: wait %d seconds, then try again.", msg,
			       sizeof(msg), 1, (long)wait);
		return login_form(rq, rs, msg, 429);
	}
	int role = 0;
	int rc = web_password_check(rq, name, password, &role);
	if (rc == PHR_E_AUTH) {
		web_throttle_result(rq, name, false);
		struct phr_register *reg = web_register(rq);
		char detail[PHR_REG_USER_NAME_MAX + 64];
		snprintf(detail, sizeof(detail), "failed sign-in as %.64s from %s", name, web_client_addr(rq));
		if (reg && (rc = phr_register_audit_log(reg, "login", NULL, detail)))
			return rc;
		return login_form(rq, rs, web_label(rq, "ui.web.err_login", "Wrong name or password."), 401);
	}
	if (rc)
		return rc;
	web_throttle_result(rq, name, true);
	char token[WEB_TOKEN_HEX + 1];
	const char *lang = web_param(rq, "lang");
	if ((rc = web_session_create(rq->srv, name, role, lang, token)))
		return rc;
	snprintf(rs->set_cookie[0], sizeof(rs->set_cookie[0]), "phr_session=%s; Path=/; HttpOnly; SameSite=Strict%s",
		 token, web_is_tls(rq) ? "; Secure" : "");
	snprintf(rs->set_cookie[1], sizeof(rs->set_cookie[1]), "phr_login=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0");
	sodium_memzero(token, sizeof(token));
	struct phr_register *reg = web_register(rq);
	if (reg) {
		char detail[PHR_REG_USER_NAME_MAX + 64];
		snprintf(detail, sizeof(detail), "%.64s signed in as %s from %s", name, phr_role_name(role),
			 web_client_addr(rq));
		if ((rc = phr_register_audit_log(reg, "login", NULL, detail)))
			return rc;
	}
	return web_redirect(rs, "/");
}

static int logout_post(struct web_request *rq, struct web_response *rs)
{
	web_session_end(rq->srv, web_session_token(rq));
	snprintf(rs->set_cookie[0], sizeof(rs->set_cookie[0]), "phr_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	return web_redirect(rs, "/login");
}

static int home(struct web_request *rq, struct web_response *rs)
{
	if (!rq->user)
		return web_redirect(rs, "/login");
	return web_redirect(rs, "/scan");
}

const struct web_route web_core_routes[] = {
	{ "GET", "/", PHR_ROLE_NONE, 0, home },
	{ "GET", "/assets/", PHR_ROLE_NONE, WEB_PREFIX, assets },
	{ "GET", "/login", PHR_ROLE_NONE, 0, login_get },
	{ "POST", "/login", PHR_ROLE_NONE, WEB_NO_CSRF, login_post },
	{ "POST", "/logout", PHR_ROLE_CLERK, 0, logout_post },
	{ 0 },
};
